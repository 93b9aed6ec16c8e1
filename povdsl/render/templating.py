"""Lay a `Table` out as LaTeX, Markdown or HTML through Jinja templates.

Every number is already formatted in the table model; this module only
chooses a template and supplies escaping filters, so the three formats can
never disagree about a value.  LaTeX templates use `<< >>` / `<% %>` /
`<# #>` delimiters because `{{`, `{%` and `{#` collide with TeX braces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

from povdsl.render.formats import FORMATS, FormatError, OutputFormat, RenderOptions, output_format
from povdsl.render.table_model import ASCII_EXPONENT, MINUS, SCIENTIFIC, Table, ascii_number

# One entry per character, so escaping is a lookup and never string surgery.
LATEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
        MINUS: "$-$",
        "\N{EN DASH}": "--",
        "\N{EM DASH}": "---",
        "\N{SUPERSCRIPT TWO}": r"\textsuperscript{2}",
        "\N{RIGHT SINGLE QUOTATION MARK}": "'",
        "\N{LEFT SINGLE QUOTATION MARK}": "`",
        "\N{NO-BREAK SPACE}": "~",
    }
)

# Markdown: characters that would start emphasis, code or links, or end a cell.
MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]|"})
# Raw HTML, autolinks and entities: `<` before a letter, `/`, `!` or `?` opens a
# tag, `&` before a letter or `#` an entity.  Both are backslash-escaped (any
# ASCII punctuation may be, in CommonMark); "p < 0.10" and "this & that" stay as
# they are, since nothing can open there.
MARKDOWN_MARKUP = re.compile(r"([<&])(?=[A-Za-z0-9/!?#])")

# \label keys: keep them to letters, digits, colons and hyphens.
LABEL_KEY = str.maketrans({c: "-" for c in " _\\{}#%&$~^"})

# siunitx parses ASCII: a hyphen-minus for the sign, no thousands commas, and an exponent as "e-17".
NO_COMMAS = str.maketrans({",": None})


def latex_escape(text: object) -> str:
    """Text with TeX's special characters escaped; a number's "×10⁻¹⁷" as math, ×10^{-17}."""
    return SCIENTIFIC.sub(_latex_power, str(text).translate(LATEX_ESCAPES))


def _latex_power(match: re.Match[str]) -> str:
    return r"\ensuremath{\times 10^{" + match.group(1).translate(ASCII_EXPONENT) + "}}"


def markdown_escape(text: object) -> str:
    return MARKDOWN_MARKUP.sub(r"\\\1", str(text).translate(MARKDOWN_ESCAPES))


# Typst markup: every character that opens code, math, markup, a label, a
# reference, a comment or a list is backslash-escaped (Typst takes `\` before
# any character as that character).
TYPST_ESCAPES = str.maketrans({c: "\\" + c for c in "\\#*_`$[]<>@~\"'/=-+"})


def typst_escape(text: object) -> str:
    return str(text).translate(TYPST_ESCAPES)


def latex_label(text: object) -> str:
    return str(text).translate(LABEL_KEY)


def siunitx_number(text: object) -> str:
    return ascii_number(str(text)).translate(NO_COMMAS)


def _loader() -> jinja2.BaseLoader:
    # povdsl.templates is the top-level templates/ directory (see pyproject);
    # PackageLoader finds it in editable, wheel and zipped installs alike.
    return jinja2.PackageLoader("povdsl.templates", ".")


@cache
def environment(fmt: str) -> jinja2.Environment:
    """One environment per format, built once: LaTeX delimiters, HTML autoescape."""
    common: dict[str, Any] = dict(
        loader=_loader(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    if fmt == "latex":
        env = jinja2.Environment(
            block_start_string="<%",
            block_end_string="%>",
            variable_start_string="<<",
            variable_end_string=">>",
            comment_start_string="<#",
            comment_end_string="#>",
            autoescape=False,
            **common,
        )
    elif fmt == "html":
        env = jinja2.Environment(autoescape=True, **common)
    elif fmt in ("markdown", "typst"):
        env = jinja2.Environment(autoescape=False, **common)
    else:
        raise FormatError(f"{fmt!r} is not a template format; the template formats are {', '.join(FORMATS)}")
    env.filters["latex_escape"] = latex_escape
    env.filters["markdown_escape"] = markdown_escape
    env.filters["siunitx_number"] = siunitx_number
    env.filters["latex_label"] = latex_label
    env.filters["typst_escape"] = typst_escape
    return env


def siunitx_formats(table: Table) -> tuple[str, ...]:
    """`table-format` per data column (e.g. "-1.2"), wide enough for every number in it."""
    formats = []
    for column, kind in enumerate(table.column_kinds):
        numbers = [
            siunitx_number(row.cells[column].number)
            for section in table.sections
            for row in section.rows
            if row.cells[column].number
        ]
        bounded = any(n.startswith("<") for n in numbers)  # a p-value "<0.0001": siunitx's comparator
        signed = any(n.startswith("-") for n in numbers)
        mantissas, exponents = zip(*(n.partition("e")[::2] for n in numbers)) if numbers else (("0",), ("",))
        parts = [m.lstrip("<-").partition(".") for m in mantissas]
        integers = max(len(p[0]) for p in parts)
        decimals = max(len(p[2]) for p in parts)
        powers = [e for e in exponents if e]  # scientific notation (`digits N sig` below ~1e-13): room for "e-17"
        power = f"e{'-' if any(e.startswith('-') for e in powers) else ''}{max(len(e.lstrip('-')) for e in powers)}" if powers else ""
        formats.append(f"{'<' if bounded else ''}{'-' if signed else ''}{integers}.{decimals}{power}" if kind == "number" else "")
    return tuple(formats)


def markdown_widths(table: Table) -> tuple[int, ...]:
    """Padding widths so the Markdown source lines up like a hand-made table."""
    rows: list[Sequence[str]] = []
    for header in table.header:
        cells = [""] * table.ncols
        for group in header.groups:
            cells[group.first - 1] = markdown_escape(group.text)
        rows.append([markdown_escape(header.label), *cells])
    rows += [["*" + markdown_escape(s.title) + "*", *[""] * table.ncols] for s in table.sections if s.title]
    for row in [r for s in table.sections for r in s.rows] + list(table.footer):
        rows.append([markdown_escape(row.label), *(markdown_escape(c.text) + c.stars for c in row.cells)])
    return tuple(max(3, *(len(r[i]) for r in rows)) for i in range(table.ncols + 1))


def render(table: Table, fmt: str, *, standalone: bool = False, siunitx: bool = False, number: int | None = None) -> str:
    """The table as `fmt` text ending in exactly one newline; same input, same bytes.

    `standalone` wraps LaTeX in a compilable document and HTML in a styled
    page (Markdown has nothing to wrap); `siunitx` decimal-aligns LaTeX
    number columns with S columns and loads siunitx in the document;
    `number` is the table's place in its spec, so that the standalone
    document of the third table is captioned "Table 3", not "Table 1".
    Binary formats (Word) have no text: use `OutputFormat.render`.
    """
    text = output_format(fmt).render(table, RenderOptions(standalone=standalone, siunitx=siunitx, number=number))
    if not isinstance(text, str):
        raise FormatError(f"format {fmt!r} is binary; call povdsl.render.formats.FORMATS[{fmt!r}].render")
    return text


def render_with_templates(table: Table, fmt: OutputFormat, options: RenderOptions) -> str:
    """The renderer of the Jinja formats: the format's template for the table's layout, or its standalone one."""
    env = environment(fmt.name)
    body = fmt.templates[table.layout]
    name = fmt.templates["standalone"] if options.standalone else body
    text = env.get_template(name).render(
        table=table,
        body=body,
        siunitx=options.siunitx,
        number=options.number,
        standalone=options.standalone,
        formats=siunitx_formats(table) if fmt.name == "latex" else (),
        widths=markdown_widths(table) if fmt.name == "markdown" else (),
    )
    return text.rstrip("\n") + "\n"
