"""Excel (.xlsx) through the format registry: read back with openpyxl, cell by cell.

Each number cell must hold the table's number as a number whose format
prints it as the table does (decimals, brackets, stars); each text cell its
text; spanning headers are merged ranges. The golden file lists every cell
as value and format, so a change in either shows in review.
"""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import pytest

from povdsl.render.formats import FORMATS
from povdsl.render.table_model import ASCII_EXPONENT, MINUS, SCIENTIFIC, ascii_number

openpyxl = pytest.importorskip("openpyxl")

spec = importlib.util.spec_from_file_location("povdsl_render_cases", Path(__file__).with_name("cases.py"))
cases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cases)
GOLDEN = Path(__file__).with_name("golden")


def _printed(value: float, fmt: str) -> str:
    """What Excel shows for `value` under the formats povdsl writes (decimals, #,##0, 0.00E+00, brackets, literal stars)."""
    stars = "".join(re.findall(r'"([^"]*)"', fmt))
    core = re.sub(r'"[^"]*"', "", fmt).replace("\\[", "[").replace("\\]", "]")
    opening, closing = ("(", ")") if core.startswith("(") else ("[", "]") if core.startswith("[") else ("", "")
    core = core.strip("()[]")
    if core.endswith("E+00"):  # scientific: "4.64E-18", a real minus for the mantissa only
        text = f"{value:.{len(core.removesuffix('E+00').partition('.')[2])}E}"
        return opening + (MINUS + text[1:] if text.startswith("-") else text) + closing + stars
    decimals = len(core.partition(".")[2])
    text = f"{value:,.{decimals}f}" if core.startswith("#,##0") else f"{value:.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    return opening + text.replace("-", MINUS) + closing + stars


@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_excel_workbook_reopens_with_every_number_in_place(case, golden):
    table = cases.CASES[case]()
    data = FORMATS["xlsx"].render(table)
    assert isinstance(data, bytes) and data == FORMATS["xlsx"].render(table)  # deterministic bytes
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.cell(1, 1).value == table.title
    line = 2
    merged = {str(r) for r in sheet.merged_cells.ranges}
    for header in table.header:
        assert (sheet.cell(line, 1).value or "") == header.label
        for group in header.groups:
            assert (sheet.cell(line, group.first + 1).value or "") == group.text
            if group.span > 1:
                first, last = sheet.cell(line, group.first + 1).coordinate, sheet.cell(line, group.last + 1).coordinate
                assert f"{first}:{last}" in merged
        line += 1
    for section in table.sections:
        if section.title:
            assert sheet.cell(line, 1).value == section.title
            line += 1
        for row in [*section.rows]:
            _check_row(sheet, line, row)
            line += 1
    for row in table.footer:
        _check_row(sheet, line, row)
        line += 1
    assert sheet.cell(line + 1, 1).value == "Notes: " + " ".join(table.notes)
    lines = []
    for row in sheet.iter_rows():
        lines.append("\t".join("" if c.value is None else f"{c.value!r}|{c.number_format}" if c.number_format != "General" else str(c.value) for c in row))
    golden(GOLDEN / f"{case}.xlsx.tsv", "\n".join(lines) + "\n")


def _check_row(sheet, line: int, row) -> None:
    assert (sheet.cell(line, 1).value or "") == row.label
    for column, cell in enumerate(row.cells, start=2):
        stored = sheet.cell(line, column)
        if cell.number and not cell.bound:
            assert isinstance(stored.value, (int, float))
            assert stored.value == float(ascii_number(cell.number).replace(",", ""))
            shown = SCIENTIFIC.sub(lambda m: "E" + m.group(1).translate(ASCII_EXPONENT), cell.display)  # Excel writes 4.64E-18
            assert _printed(stored.value, stored.number_format) == shown
        else:  # text, or a p-value bound "(<0.0001)" that no number format prints
            assert (stored.value or "") == cell.text.replace(MINUS, "-")


def test_excel_is_listed_and_written_by_povdsl_run(tmp_path):
    import povdsl

    spec_path = tmp_path / "t.pov"
    spec_path.write_text(
        'data households = bundled("zhejiang/households.csv") panel(household, year) region(county)\n'
        "model m1: log(income) ~ age + edu | ols\n"
        'table t1 "T" = m1\n  fit r2 "R squared" digits 4\n',
        encoding="utf-8",
    )
    out = povdsl.run(spec_path, tmp_path / "out", formats=("xlsx",))
    sheet = openpyxl.load_workbook(tmp_path / "out" / "t1.xlsx").active
    labels = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    r2 = sheet.cell(labels.index("R squared") + 1, 2)
    assert r2.value == pytest.approx(out.results["m1"].stats["r2"], abs=5e-5) and r2.number_format == "0.0000"
