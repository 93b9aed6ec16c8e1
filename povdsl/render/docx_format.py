"""Word tables through python-docx: a real Word table with booktabs-like borders.

Heavy rules above the header and below the last row, light rules under the
header and above the fit rows; spanning headers are merged cells; notes
follow the table.  The .docx is a zip whose entries carry a fixed date, so
the same table gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import TYPE_CHECKING

from povdsl.render.table_model import Row, Table

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table as DocxTable
    from docx.table import _Cell

    from povdsl.render.formats import OutputFormat, RenderOptions

HEAVY, LIGHT = 12, 4  # eighths of a point: booktabs' \toprule/\bottomrule and \midrule
FIXED_DATE = datetime(2000, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _border(cell: _Cell, edge: str, size: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    for old in borders.findall(qn(f"w:{edge}")):
        borders.remove(old)
    line = OxmlElement(f"w:{edge}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "0"), ("w:color", "000000")):
        line.set(qn(key), value)
    borders.append(line)


def _write(cell: _Cell, text: str, centred: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    cell.text = text
    if centred:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _distinct(cells: tuple[_Cell, ...]) -> list[_Cell]:
    """A merged cell appears once per grid column it spans; its border is set once."""
    seen: dict[int, _Cell] = {}
    for cell in cells:
        seen.setdefault(id(cell._tc), cell)
    return list(seen.values())


def _add_row(grid: DocxTable, row: Row, table: Table) -> None:
    cells = grid.add_row().cells
    _write(cells[0], row.label, False)
    for column, (cell, kind) in enumerate(zip(row.cells, table.column_kinds), start=1):
        _write(cells[column], cell.display, kind == "number")


def _full_width(grid: DocxTable) -> None:
    """`fit width`: the table as wide as the text (100% in fiftieths of a percent), columns fitting their text."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = grid._tbl.tblPr
    for old in properties.findall(qn("w:tblW")):
        properties.remove(old)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), "5000")
    width.set(qn("w:type"), "pct")
    properties.append(width)
    grid.autofit = True


def _landscape(document: DocxDocument) -> None:
    """`landscape`: the document's page turned sideways (orientation and page size swapped)."""
    from docx.enum.section import WD_ORIENT

    section = document.sections[0]
    width, height = section.page_width, section.page_height
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = height, width


def render_docx(table: Table, fmt: OutputFormat, options: RenderOptions) -> bytes:
    import docx

    document = docx.Document()
    if table.landscape:
        _landscape(document)
    properties = document.core_properties
    properties.created = properties.modified = FIXED_DATE
    properties.last_modified_by = properties.author = "povdsl"
    properties.revision = 1
    document.add_paragraph().add_run(table.title).bold = True
    grid = document.add_table(rows=0, cols=table.ncols + 1)
    for header in table.header:
        cells = grid.add_row().cells
        _write(cells[0], header.label, False)
        for group in header.groups:
            cell = cells[group.first] if group.span == 1 else cells[group.first].merge(cells[group.last])
            _write(cell, group.text, True)
    header_rows = len(grid.rows)
    starts: list[int] = []  # each section's first row: in a table of panels, a light rule above each but the first
    for section in table.sections:
        starts.append(len(grid.rows))
        if section.title:
            cells = grid.add_row().cells
            cell = cells[0].merge(cells[table.ncols])
            cell.text = ""
            cell.paragraphs[0].add_run(section.title).italic = True
        for row in section.rows:
            _add_row(grid, row, table)
    footer_row = len(grid.rows)
    for row in table.footer:
        _add_row(grid, row, table)
    rows = grid.rows
    for cell in _distinct(rows[0].cells):
        _border(cell, "top", HEAVY)
    for cell in _distinct(rows[header_rows - 1].cells):
        _border(cell, "bottom", LIGHT)
    panels = starts[1:] if any(section.title for section in table.sections) else []
    for index in panels + ([footer_row] if table.footer else []):
        for cell in _distinct(rows[index].cells):
            _border(cell, "top", LIGHT)
    for cell in _distinct(rows[len(rows) - 1].cells):
        _border(cell, "bottom", HEAVY)
    if table.fit_width:
        _full_width(grid)
    if table.notes:
        notes = document.add_paragraph()
        notes.add_run("Notes: ").italic = True
        notes.add_run(" ".join(table.notes))
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _fixed_dates(package: bytes) -> bytes:
    """The same zip with every entry dated 1980-01-01, in the same order: byte-identical runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
