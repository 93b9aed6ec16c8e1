"""Word (.docx) and Typst (.typ) through the format registry (issue 18.5).

Word files are opened again with python-docx and checked cell by cell
against the table model; Typst sources are compiled by the `typst` package.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import docx
import pytest

from povdsl.render.formats import FORMATS, RenderOptions

spec = importlib.util.spec_from_file_location("povdsl_render_cases", Path(__file__).with_name("cases.py"))
cases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cases)

GOLDEN = Path(__file__).with_name("golden")


def _expected_grid(table) -> list[list[str]]:
    """The table model as the rows of cell texts Word should hold (a spanning header repeated over its columns)."""
    grid = []
    for header in table.header:
        cells = [""] * table.ncols
        for group in header.groups:
            for column in range(group.first, group.last + 1):
                cells[column - 1] = group.text
        grid.append([header.label, *cells])
    for section in table.sections:
        if section.title:  # a panel's title: one merged cell across the table
            grid.append([section.title] * (table.ncols + 1))
        grid += [[row.label, *(c.display for c in row.cells)] for row in section.rows]
    grid += [[row.label, *(c.display for c in row.cells)] for row in table.footer]
    return grid


@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_word_table_reopens_with_every_cell_in_place(case, golden):
    table = cases.CASES[case]()
    data = FORMATS["docx"].render(table)
    assert isinstance(data, bytes) and data == FORMATS["docx"].render(table)  # deterministic bytes
    document = docx.Document(io.BytesIO(data))
    (word,) = document.tables
    grid = [[cell.text for cell in row.cells] for row in word.rows]
    assert grid == _expected_grid(table)
    assert document.paragraphs[0].text == table.title
    assert document.paragraphs[-1].text == "Notes: " + " ".join(table.notes)
    xml = word._tbl.xml
    assert xml.count('w:sz="12"') == 2 * (table.ncols + 1) - sum(g.span - 1 for g in table.header[0].groups)  # heavy top and bottom rules
    golden(GOLDEN / f"{case}.docx.tsv", "\n".join("\t".join(row) for row in grid) + "\n")


@pytest.mark.parametrize("standalone", [False, True])
@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_typst_source_compiles(case, standalone, tmp_path, golden):
    typst = pytest.importorskip("typst")
    table = cases.CASES[case]()
    source = FORMATS["typst"].render(table, RenderOptions(standalone=standalone))
    assert isinstance(source, str)
    if not standalone:
        golden(GOLDEN / f"{case}.typ", source)
    path = tmp_path / "table.typ"
    path.write_text(source if standalone else "#set page(width: auto, height: auto)\n" + source, encoding="utf-8")
    pdf = typst.compile(str(path))
    assert pdf.startswith(b"%PDF")


def test_typst_escapes_markup(tmp_path):
    typst = pytest.importorskip("typst")
    hostile = '#import "x": * // $math$ [link] <label> @ref `raw` _em_ *strong* = - + \\'
    table = cases.CASES["model"]()
    table = type(table)(**{**table.__dict__, "title": hostile})
    source = FORMATS["typst"].render(table, RenderOptions(standalone=True))
    path = tmp_path / "t.typ"
    path.write_text(source, encoding="utf-8")
    assert typst.compile(str(path)).startswith(b"%PDF")
    assert "#import" not in source.replace("\\#import", "")
