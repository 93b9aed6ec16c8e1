"""Tables as data: CSV of the printed numbers and JSON of the whole table model.

Both are registry entries of `povdsl.render.formats`.  CSV is for further work
in a spreadsheet: one line per table row, the stub label first, each cell's
number in plain ASCII (hyphen-minus, no thousands separator, no parentheses
or stars), text cells as they are, except that a text starting with
`= + - @` (a title, label or note from an untrusted spec, or an industry name
from its data) gets a leading apostrophe: a spreadsheet would open it as a
formula (`=cmd|' /C calc'!A0`, `=WEBSERVICE(...)`), and the apostrophe is the
usual mark of a text cell.  JSON is the table model itself
(`dataclasses.asdict`), so another tool can lay the table out its own way.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING

from povdsl.render.table_model import Cell, Table, ascii_number

if TYPE_CHECKING:
    from povdsl.render.formats import OutputFormat, RenderOptions

JSON_SCHEMA = 3  # raised when the table model's fields change (2: panels' section titles, square brackets, fit width, landscape; 3: fit_style)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP's list)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?")


def inert(text: str) -> str:
    """`text` as a cell no spreadsheet evaluates: numbers as they are, a text that could start a formula behind an apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text) else text


def _plain_number(cell: Cell) -> str:
    if cell.number:
        return inert(ascii_number(cell.number).replace(",", ""))  # "-3.21e-17", "10234"
    return inert(ascii_number(cell.text))  # a confidence interval "[-0.12, 0.35]"


def render_csv(table: Table, fmt: OutputFormat, options: RenderOptions) -> str:
    """Header rows (a spanning header's text in each column it spans), then body and footer rows (a panel's title on a row of its own)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for header in table.header:
        cells = [""] * table.ncols
        for group in header.groups:
            for column in range(group.first, group.last + 1):
                cells[column - 1] = inert(group.text)
        writer.writerow([inert(header.label), *cells])
    for section in table.sections:
        if section.title:
            writer.writerow([inert(section.title), *[""] * table.ncols])
        for row in section.rows:
            writer.writerow([inert(row.label), *(_plain_number(c) for c in row.cells)])
    for row in table.footer:
        writer.writerow([inert(row.label), *(_plain_number(c) for c in row.cells)])
    return buffer.getvalue()


def render_json(table: Table, fmt: OutputFormat, options: RenderOptions) -> str:
    """The table model with a schema number; keys in field order, so the bytes are stable."""
    return json.dumps({"schema": JSON_SCHEMA, "table": asdict(table)}, ensure_ascii=False, indent=2) + "\n"
