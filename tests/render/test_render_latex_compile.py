"""Every LaTeX golden, wrapped in the standalone document, compiles cleanly.

Needs pdflatex (CI installs texlive-latex-base and texlive-latex-extra);
the siunitx variants also need siunitx.sty (texlive-science).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from latex_article import write_article

from povdsl.render.pdf import MISSING_PDFLATEX, LatexError, compile_pdf
from povdsl.render.templating import render

spec = importlib.util.spec_from_file_location("povdsl_render_cases", Path(__file__).with_name("cases.py"))
regen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regen)

HAVE_PDFLATEX = shutil.which("pdflatex") is not None
needs_pdflatex = pytest.mark.skipif(
    not HAVE_PDFLATEX,
    reason="pdflatex not found; install TeX Live (Debian: texlive-latex-base texlive-latex-extra)",
)


def have_sty(name: str) -> bool:
    if shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", f"{name}.sty"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


LATEX_VARIANTS = [v for v, (fmt, _, _) in regen.VARIANTS.items() if fmt == "latex"]


@pytest.mark.latex
@needs_pdflatex
@pytest.mark.parametrize("variant", LATEX_VARIANTS)
@pytest.mark.parametrize("case", sorted(regen.CASES))
def test_golden_compiles_without_errors_or_overfull_boxes(tmp_path, case, variant):
    fmt, options, _ = regen.VARIANTS[variant]
    if options.get("siunitx") and not have_sty("siunitx"):
        pytest.skip("siunitx.sty not found; install texlive-science")
    golden = regen.golden_path(case, variant).read_text(encoding="utf-8")
    document = render(regen.CASES[case](), fmt, standalone=True, **options)
    assert golden in document  # what is compiled is the golden itself
    source = tmp_path / f"{case}.tex"
    source.write_text(document, encoding="utf-8")
    report = compile_pdf(source)
    assert report.ok, "\n".join(report.errors) or report.log[-2000:]
    assert report.pdf.startswith(b"%PDF")
    assert not report.overfull, "\n".join(report.overfull)



@pytest.mark.latex
@needs_pdflatex
@pytest.mark.parametrize("variant", LATEX_VARIANTS)
@pytest.mark.parametrize("case", sorted(regen.CASES))
def test_a_fragment_compiles_in_a_plain_article_with_the_packages_its_first_line_names(tmp_path, case, variant):
    """Issue 18.4: `\\input` of a fragment into an ordinary document works when the preamble loads what the comment says."""
    _fmt, options, _ = regen.VARIANTS[variant]
    if options.get("siunitx") and not have_sty("siunitx"):
        pytest.skip("siunitx.sty not found; install texlive-science")
    fragment = regen.golden_path(case, variant).read_text(encoding="utf-8")
    document, packages = write_article(fragment, tmp_path)
    report = compile_pdf(document)
    assert report.ok, "\n".join(report.errors) or report.log[-2000:]
    without = tmp_path / "bare.tex"
    without.write_text(document.read_text().replace(f"\\usepackage{{{packages}}}\n", ""), encoding="utf-8")
    assert not compile_pdf(without).ok  # the packages named are needed, so the comment is not decoration


@pytest.mark.latex
@needs_pdflatex
def test_a_latex_error_is_reported_not_hidden(tmp_path):
    source = tmp_path / "broken.tex"
    source.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    report = compile_pdf(source)
    assert not report.ok
    assert any("Undefined control sequence" in error for error in report.errors)


def test_missing_pdflatex_raises_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LatexError, match="texlive-latex-base texlive-latex-extra"):
        compile_pdf(tmp_path / "any.tex")
    assert "pdflatex not found" in MISSING_PDFLATEX
