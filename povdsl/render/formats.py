"""The output formats of a table: one registry entry per format.

A format is a file extension, the templates that lay a `Table` out, and the
escaping that keeps user text (titles, labels, industry names, notes) inert
in that format.  `povdsl run --format`, `povdsl.pipeline.run` and the tests
all read `FORMATS`, so a new format is one `OutputFormat` entry plus its
template (or, for a binary format such as Word, its writer function).

This module imports no template engine: each entry's `render` is loaded on
first use, so the command line can list formats without importing Jinja.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING

from povdsl.errors import PovdslError

if TYPE_CHECKING:
    from povdsl.render.table_model import Table


@dataclass(frozen=True)
class RenderOptions:
    """Choices that are the reader's, not the table's: set on the command line or in `povdsl.table`."""

    standalone: bool = False  # a complete document (LaTeX, HTML) rather than a fragment
    siunitx: bool = False  # LaTeX: decimal-aligned S columns
    number: int | None = None  # the table's place in its spec, for "Table 3" in a standalone document


@dataclass(frozen=True)
class OutputFormat:
    """One output format.

    `renderer` is "module:function" taking (Table, OutputFormat, RenderOptions) and
    returning text (ending in one newline) or bytes for a binary format.
    `templates` maps a table layout ("models", "sweep") and "standalone" to
    the template that lays it out; `escape` names the filter that makes user
    text inert (both documentation for readers of the registry and what the
    Jinja environment installs).
    """

    name: str
    extension: str  # with the dot: ".tex"
    description: str
    renderer: str
    templates: Mapping[str, str]
    escape: str
    binary: bool = False

    def render(self, table: Table, options: RenderOptions = RenderOptions()) -> str | bytes:
        """The table in this format; user text arrives on one line (no raw newline reaches any format)."""
        from povdsl.render.table_model import one_line

        module, _, function = self.renderer.partition(":")
        render_function: Callable[[Table, OutputFormat, RenderOptions], str | bytes] = getattr(import_module(module), function)
        return render_function(one_line(table), self, options)

    def filename(self, table_name: str) -> str:
        return table_name + self.extension


def _entry(*entries: OutputFormat) -> Mapping[str, OutputFormat]:
    return MappingProxyType({e.name: e for e in entries})


TEMPLATING = "povdsl.render.templating:render_with_templates"

FORMATS: Mapping[str, OutputFormat] = _entry(
    OutputFormat(
        name="latex",
        extension=".tex",
        description="a booktabs table (threeparttable; xltabular for sweeps) to \\input into a paper",
        renderer=TEMPLATING,
        templates=MappingProxyType({"models": "table.tex.j2", "sweep": "sweep.tex.j2", "standalone": "standalone.tex.j2"}),
        escape="latex_escape",
    ),
    OutputFormat(
        name="markdown",
        extension=".md",
        description="a pipe table for README files and notebooks",
        renderer=TEMPLATING,
        templates=MappingProxyType({"models": "table.md.j2", "sweep": "table.md.j2", "standalone": "table.md.j2"}),
        escape="markdown_escape",
    ),
    OutputFormat(
        name="html",
        extension=".html",
        description="an HTML table (a styled page with --standalone)",
        renderer=TEMPLATING,
        templates=MappingProxyType({"models": "table.html.j2", "sweep": "table.html.j2", "standalone": "standalone.html.j2"}),
        escape="html (Jinja autoescape)",
    ),
    OutputFormat(
        name="typst",
        extension=".typ",
        description="a Typst figure with a booktabs-like table (a page of its own with --standalone)",
        renderer=TEMPLATING,
        templates=MappingProxyType({"models": "table.typ.j2", "sweep": "table.typ.j2", "standalone": "table.typ.j2"}),
        escape="typst_escape",
    ),
    OutputFormat(
        name="docx",
        extension=".docx",
        description="a Word document holding a real Word table with booktabs-like borders (python-docx)",
        renderer="povdsl.render.docx_format:render_docx",
        templates=MappingProxyType({}),
        escape="none needed (python-docx writes text nodes)",
        binary=True,
    ),
    OutputFormat(
        name="xlsx",
        extension=".xlsx",
        description="an Excel workbook: numbers as numbers, formatted as printed, merged header cells (openpyxl)",
        renderer="povdsl.render.excel_format:render_xlsx",
        templates=MappingProxyType({}),
        escape="none needed (openpyxl writes cell values)",
        binary=True,
    ),
    OutputFormat(
        name="csv",
        extension=".csv",
        description="the printed numbers in plain ASCII, one line per row, for a spreadsheet",
        renderer="povdsl.render.data_formats:render_csv",
        templates=MappingProxyType({}),
        escape="csv quoting (csv module)",
    ),
    OutputFormat(
        name="json",
        extension=".json",
        description="the table model (headers, cells, notes) for other tools",
        renderer="povdsl.render.data_formats:render_json",
        templates=MappingProxyType({}),
        escape="JSON string escaping (json module)",
    ),
)


class FormatError(PovdslError, ValueError):
    """A format name that is not in the registry."""


def output_format(name: str) -> OutputFormat:
    """The registry entry for `name`, or an error naming the choices."""
    try:
        return FORMATS[name]
    except KeyError:
        raise FormatError(f"unknown table format {name!r}; choose one of {', '.join(FORMATS)}") from None
