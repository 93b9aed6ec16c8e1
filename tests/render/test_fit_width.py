"""`fit width` fits the paper's tables into an ordinary article (issue 18.3 and 18.7).

Without the option, Table 1 is ~88 pt wider than the text of `article` with
default margins and Tables 5 and 6 ~67 pt; with it, every table of
spec/zhejiang.pov compiles in a plain article without an overfull box, at
the article's 345 pt and at a narrower 300 pt text width. The log is
parsed for "Overfull \\hbox". `landscape` tables compile too and are turned.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from latex_article import write_article

from povdsl.render.pdf import compile_pdf

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {"article": "", "narrow": "\\setlength{\\textwidth}{300pt}\n"}

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not found; install TeX Live")


def with_option(spec: str, option: str) -> str:
    """The spec with `option` added to every table (options are layout-free: one more line under the header)."""
    return re.sub(r"^(table .*)$", lambda m: m.group(1) + "\n  " + option, spec, flags=re.M)


@pytest.fixture(scope="module", params=["fit width", "fit width small"])
def fitted(request, tmp_path_factory):
    import povdsl

    folder = tmp_path_factory.mktemp("fitwidth")
    spec = folder / "zhejiang.pov"
    text = (ROOT / "spec" / "zhejiang.pov").read_text(encoding="utf-8")
    spec.write_text(with_option(text, request.param), encoding="utf-8")
    out = povdsl.run(spec, folder / "tables", formats=("latex",))
    return folder, out


def overfull(fragment: str, folder: Path, width: str) -> tuple[str, ...]:
    document, _ = write_article(fragment, folder, width)
    report = compile_pdf(document)
    assert report.ok, "\n".join(report.errors) or report.log[-2000:]
    return tuple(report.overfull)


@pytest.mark.latex
@needs_pdflatex
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("table", ["table1", "table2", "table3", "table4", "table5", "table6"])
def test_paper_tables_with_fit_width_have_no_overfull_box(fitted, tmp_path, table, width):
    _folder, out = fitted
    fragment = out.tables[table]["latex"]
    assert isinstance(fragment, str)
    assert not overfull(fragment, tmp_path, WIDTHS[width])


@pytest.mark.latex
@needs_pdflatex
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_fit_width_scale_shrinks_the_model_tables_instead(tmp_path, width):
    """`fit width scale`: the table as it is, shrunk to the text width by adjustbox (model tables; a sweep breaks across pages)."""
    import povdsl

    text = (ROOT / "spec" / "zhejiang.pov").read_text(encoding="utf-8").split("table table5")[0]
    spec = tmp_path / "zhejiang.pov"
    spec.write_text(with_option(text, "fit width scale"), encoding="utf-8")
    out = povdsl.run(spec, tmp_path / "tables", formats=("latex",))
    for name in ("table1", "table2", "table3", "table4"):
        fragment = out.tables[name]["latex"]
        assert isinstance(fragment, str) and "adjustbox" in fragment.splitlines()[0] and "tabularx" not in fragment
        assert not overfull(fragment, tmp_path, WIDTHS[width]), name


@pytest.mark.latex
@needs_pdflatex
def test_without_fit_width_table_1_overflows_the_article(tmp_path):
    """The problem `fit width` solves is real: the paper's own Table 1 is wider than the article's text."""
    golden = (ROOT / "tests" / "core" / "golden" / "table1.tex").read_text(encoding="utf-8")
    problems = overfull(golden, tmp_path, "")
    assert problems and re.search(r"Overfull \\hbox \((8\d|9\d)\.\d+pt too wide\)", problems[0])
