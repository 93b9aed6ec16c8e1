"""Rendering: golden files byte for byte, escaping, determinism, HTML round trip.

After an intended change, regenerate the goldens with
`python -m pytest tests/render --regen` and review the diff.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from povdsl.render.templating import environment, latex_escape, markdown_escape, render


def load_cases():
    # Loaded by path: tests/render has no __init__.py and "cases" is a common name.
    spec = importlib.util.spec_from_file_location("povdsl_render_cases", Path(__file__).with_name("cases.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regen = load_cases()


@pytest.fixture(scope="module")
def tables():
    return {case: build() for case, build in regen.CASES.items()}


@pytest.mark.parametrize("variant", sorted(regen.VARIANTS))
@pytest.mark.parametrize("case", sorted(regen.CASES))
def test_output_matches_golden_file_byte_for_byte(tables, case, variant, golden):
    golden(regen.golden_path(case, variant), regen.rendered(tables[case], variant))


@pytest.mark.parametrize("fmt", ["latex", "markdown", "html"])
@pytest.mark.parametrize("standalone", [False, True])
def test_rendering_is_deterministic_and_ends_with_one_newline(tables, fmt, standalone):
    for table in tables.values():
        first = render(table, fmt, standalone=standalone)
        assert first == render(table, fmt, standalone=standalone)
        assert first.endswith("\n") and not first.endswith("\n\n")


def test_golden_model_table_carries_every_special_character_escaped(tables):
    latex = regen.golden_path("model", "latex").read_text(encoding="utf-8")
    assert r"PSI \& 50\% of \#1 (\$) \textasciitilde{} \textasciicircum{} \textbackslash{} \{\}" in latex
    assert r"gdp\_lag10" in latex
    assert r"\multicolumn{2}{c}{The probability of a better grade}" in latex
    assert r"\cmidrule(lr){2-3}" in latex
    assert "$-$" in latex and "\N{MINUS SIGN}" not in latex
    markdown = regen.golden_path("model", "markdown").read_text(encoding="utf-8")
    assert "gdp\\_lag10" in markdown and "\N{MINUS SIGN}" in markdown


def test_latex_escape_is_a_character_map():
    assert latex_escape("a_b%c&d#e$f{g}h~i^j\\k") == (
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"
    )
    assert latex_escape("\N{MINUS SIGN}1.5") == "$-$1.5"
    assert latex_escape(r"\&") == r"\textbackslash{}\&"  # escaping is not idempotent, by design


def test_markdown_escape_protects_cells_and_emphasis():
    assert markdown_escape("a|b*c_d") == "a\\|b\\*c\\_d"


def test_templates_load_from_the_package_resources():
    # povdsl.templates maps to the top-level templates/ directory (pyproject);
    # the loader must find them through the package, not a path to the repo.
    files = {p.name for p in importlib.resources.files("povdsl.templates").iterdir()}
    assert {"table.tex.j2", "sweep.tex.j2", "standalone.tex.j2", "table.md.j2", "table.html.j2"} <= files
    for fmt in ("latex", "markdown", "html"):
        env = environment(fmt)
        assert isinstance(env.loader, jinja2.PackageLoader)
        assert env.undefined is jinja2.StrictUndefined
    assert environment("html").autoescape is True
    assert environment("latex").autoescape is False
    assert environment("latex") is environment("latex")  # built once


def test_unknown_format_is_refused(tables):
    with pytest.raises(ValueError, match="latex, markdown, html"):
        render(tables["model"], "rtf")


def test_standalone_latex_loads_siunitx_only_when_used(tables):
    plain = render(tables["model"], "latex", standalone=True)
    assert "siunitx" not in plain and r"\documentclass{article}" in plain
    assert r"\usepackage{siunitx}" in render(tables["model"], "latex", standalone=True, siunitx=True)
    assert r"\usepackage{xltabular}" in render(tables["sweep"], "latex", standalone=True)


class CellCollector(HTMLParser):
    """Rows of (tag, colspan, text) for every th/td, in document order."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[tuple[str, int, str]]] = []
        self.cell: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self.cell = [tag, int(dict(attrs).get("colspan", 1)), ""]

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.rows[-1].append(tuple(self.cell))
            self.cell = None


@pytest.mark.parametrize("case", sorted(regen.CASES))
@pytest.mark.parametrize("standalone", [False, True])
def test_html_cells_read_back_equal_the_table_model(tables, case, standalone):
    table = tables[case]
    parser = CellCollector()
    parser.feed(render(table, "html", standalone=standalone))
    expected = [
        [("th", 1, row.label)] + [("th", g.span, g.text) for g in row.groups] for row in table.header
    ]
    for section in table.sections:
        if section.title:  # a panel's title spans the table
            expected.append([("th", table.ncols + 1, section.title)])
        expected += [[("th", 1, row.label)] + [("td", 1, cell.display) for cell in row.cells] for row in section.rows]
    expected += [[("th", 1, row.label)] + [("td", 1, cell.display) for cell in row.cells] for row in table.footer]
    expected.append([("td", table.ncols + 1, "Notes: " + " ".join(table.notes))])
    assert parser.rows == expected


def test_coefficients_below_1e15_keep_their_figures_in_every_format(tables):
    """`digits 3 sig` on coefficients of order 1e-17: each format carries the fitted value (statsmodels' fit divided
    by its exact rescaling), to 3 figures, in its own notation, never a row of zeros."""
    import csv
    import io
    import json

    fitted = regen.spector_results()[1]
    truth = {"GPA": fitted.params["GPA"] / 1e17, "PSI": fitted.params["PSI"] / -1e16}
    table = tables["scientific"]
    rows = list(csv.reader(io.StringIO(render(table, "csv"))))
    printed = {label: float(value) for label, value in rows if label in ("Grade point average", regen.SPECIAL_LABEL)}
    assert printed["Grade point average"] == pytest.approx(truth["GPA"], rel=5e-3) and abs(printed["Grade point average"]) < 1e-17
    assert printed[regen.SPECIAL_LABEL] == pytest.approx(truth["PSI"], rel=5e-3) and printed[regen.SPECIAL_LABEL] < 0
    shown = "4.64×10⁻¹⁸"  # the figures of truth["GPA"], as a reader writes them
    assert f"{truth['GPA']:.2e}" == "4.64e-18"
    model = json.loads(render(table, "json"))["table"]  # the table model as printed, like its "−" signs
    assert model["sections"][0]["rows"][0]["cells"][0]["number"] == shown
    assert f"{shown}***" in render(table, "markdown") and f"{shown}***" in render(table, "html")
    assert r"\ensuremath{\times 10^{-18}}" in render(table, "latex")
    aligned = render(table, "latex", siunitx=True)
    assert "4.64e-18" in aligned and "table-format=-1.4e-2," in aligned  # siunitx reads the exponent; the column reserves it
