"""Excel workbooks through openpyxl: the table's numbers as numbers, for further work.

Every number cell holds the value as a number, with a number format that
prints it as the table does: its decimals, thousands separators for counts,
parentheses or brackets around a statistic, its stars as literal text after
it (so `2.83**` sorts and sums as 2.83). Text cells (labels, "Yes", an
interval) hold text, always as text: openpyxl stores a string that starts
with "=" as a formula, and a title, label or note comes from an untrusted
spec (`=cmd|' /C calc'!A0`, `=WEBSERVICE(...)`), so `_text` sets each text
cell's type itself. Spanning headers are merged cells; the title sits
above the table and the notes below. The workbook's dates are fixed and its
zip entries dated 1980-01-01, so the same table gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from povdsl.render.docx_format import FIXED_DATE, _fixed_dates
from povdsl.render.table_model import MINUS, Cell, Row, Table, ascii_number

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell as SheetCell
    from openpyxl.worksheet.worksheet import Worksheet

    from povdsl.render.formats import OutputFormat, RenderOptions


def number_format(cell: Cell) -> str:
    """The Excel format that prints the cell's value as its text: "0.00", "#,##0", "(0.00)", '0.00"**"', "0.00E+00"."""
    number, _, exponent = ascii_number(cell.number).partition("e")
    whole, _, decimals = number.lstrip("-").partition(".")
    core = ("#,##0" if "," in whole else "0") + ("." + "0" * len(decimals) if decimals else "") + ("E+00" if exponent else "")
    if cell.bracketed:
        core = f"[{core}]" if cell.square else f"({core})"
        core = core.replace("[", "\\[").replace("]", "\\]")
    if cell.stars:
        core += f'"{cell.stars}"'
    return core


def cell_value(cell: Cell) -> float | str:
    """A number when the cell is one (thousands separators and the real minus removed), else its text."""
    if cell.number and not cell.bound:
        return float(ascii_number(cell.number).replace(",", ""))
    return cell.text.replace(MINUS, "-")


def _text(sheet: Worksheet, line: int, column: int, value: float | str | None) -> SheetCell:
    """The cell at (line, column) holding `value`; a string is stored as a string, never as a formula."""
    target = sheet.cell(line, column, value)
    if isinstance(value, str):
        target.data_type = "s"
    return target


def _row(sheet: Worksheet, line: int, row: Row) -> None:
    from openpyxl.styles import Alignment

    _text(sheet, line, 1, row.label)
    for column, cell in enumerate(row.cells, start=2):
        target = _text(sheet, line, column, cell_value(cell) if (cell.text or cell.number) else None)
        target.alignment = Alignment(horizontal="center")
        if cell.number and not cell.bound:
            target.number_format = number_format(cell)


def render_xlsx(table: Table, fmt: OutputFormat, options: RenderOptions) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, Side
    except ImportError:
        from povdsl.render.formats import FormatError

        raise FormatError("Excel tables need openpyxl: pip install 'povdsl[formats]'") from None

    book = Workbook()
    book.properties.created = book.properties.modified = FIXED_DATE
    book.properties.creator = book.properties.lastModifiedBy = "povdsl"
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31] or "table"
    _text(sheet, 1, 1, table.title).font = Font(bold=True)
    line = 2
    heavy, light = Side(style="medium"), Side(style="thin")
    first_header = line
    for header in table.header:
        _text(sheet, line, 1, header.label)
        for group in header.groups:
            target = _text(sheet, line, group.first + 1, group.text or None)
            target.alignment = Alignment(horizontal="center", wrap_text=True)
            if group.span > 1:
                sheet.merge_cells(start_row=line, start_column=group.first + 1, end_row=line, end_column=group.last + 1)
        line += 1
    last_header = line - 1
    for section in table.sections:
        if section.title:
            _text(sheet, line, 1, section.title).font = Font(italic=True)
            line += 1
        for row in section.rows:
            _row(sheet, line, row)
            line += 1
    footer = line
    for row in table.footer:
        _row(sheet, line, row)
        line += 1
    last = line - 1
    for column in range(1, table.ncols + 2):
        sheet.cell(first_header, column).border = Border(top=heavy)
        sheet.cell(last_header, column).border = Border(bottom=light, top=heavy if last_header == first_header else None)
        if table.footer:
            sheet.cell(footer, column).border = Border(top=light)
        sheet.cell(last, column).border = Border(bottom=heavy, top=light if table.footer and last == footer else None)
    if table.notes:
        _text(sheet, line + 1, 1, "Notes: " + " ".join(table.notes)).font = Font(italic=True)
    sheet.column_dimensions["A"].width = max(12, min(60, max((len(str(c.value or "")) for c in sheet["A"][1:line]), default=12)))
    if table.landscape:
        sheet.page_setup.orientation = "landscape"
    if table.fit_width:
        sheet.page_setup.fitToWidth = 1
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # openpyxl's Workbook.save stamps the current time as `modified`; its writer, called directly, keeps ours.
    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _fixed_dates(buffer.getvalue())
