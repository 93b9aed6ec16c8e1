"""The output-format registry (povdsl/render/formats.py): one entry per format, read by the CLI and the pipeline."""

from __future__ import annotations

import pytest

from povdsl.errors import PovdslError
from povdsl.render.formats import FORMATS, OutputFormat, RenderOptions, output_format
from povdsl.render.table_model import Cell, HeaderGroup, HeaderRow, Row, Section, Table
from povdsl.tools.cli import _parser


def tiny_table(title: str = "A title") -> Table:
    return Table(
        name="t",
        title=title,
        layout="models",
        column_kinds=("number",),
        header=(HeaderRow("Dependent variable", (HeaderGroup("y", 1, 1, ("y",)),), rule=True),),
        sections=(Section("", (Row("x", (Cell("0.50", "**", "0.50"),)), Row("", (Cell("(2.10)", "", "2.10", True),)))),),
        footer=(Row("Observations", (Cell("1,234", number="1,234"),)),),
        notes=("A note.",),
    )


def test_extensions_are_unique_and_the_cli_offers_every_format():
    assert len({f.extension for f in FORMATS.values()}) == len(FORMATS)
    run = _parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    choices = next(a.choices for a in run._actions if a.dest == "format")
    assert tuple(choices) == tuple(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_through_its_entry(name):
    fmt = FORMATS[name]
    out = fmt.render(tiny_table(), RenderOptions())
    data = out if isinstance(out, bytes) else out.encode("utf-8")
    assert data  # something was written
    if not fmt.binary:
        assert isinstance(out, str) and out.endswith("\n") and not out.endswith("\n\n")
        assert "0.50" in out and ("1,234" in out or "1234" in out)
        assert "A title" in out or name == "csv"  # a CSV holds the numbers only
    assert fmt.filename("table1") == "table1" + fmt.extension


def test_a_new_format_is_one_entry():
    """A test-only format: its renderer is named by the entry and receives the table on one line."""
    entry = OutputFormat("plain", ".txt", "plain text", f"{__name__}:_plain_renderer", {}, "none")
    assert entry.render(tiny_table("Two\nlines")) == "Two lines|x|0.50**\n"


def _plain_renderer(table: Table, fmt: OutputFormat, options: RenderOptions) -> str:
    return f"{table.title}|{table.sections[0].rows[0].label}|{table.sections[0].rows[0].cells[0].display}\n"


def test_unknown_format_is_a_povdsl_error():
    with pytest.raises(PovdslError, match="choose one of latex, markdown"):
        output_format("rtf")


def _cases():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("povdsl_render_cases", Path(__file__).with_name("cases.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_csv_holds_the_printed_numbers_in_plain_ascii():
    import csv
    import io

    cases = _cases()
    results = cases.spector_results()
    text = FORMATS["csv"].render(cases.model_table())
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text)) if row[0]}
    logit, lpm, _gpa = results
    assert rows["Grade point average"][:2] == [f"{logit.params['GPA']:.2f}", f"{lpm.params['GPA']:.2f}"]
    assert rows["Constant"][0] == f"{logit.params['Intercept']:.2f}" and rows["Constant"][0].startswith("-")
    assert rows["Observations"] == ["32", "32", "32"]
    assert rows["Dependent variable"][:2] == ["The probability of a better grade"] * 2  # a spanning header fills its columns


def test_json_is_the_table_model():
    import json

    table = _cases().sweep_table()
    data = json.loads(FORMATS["json"].render(table))
    assert data["schema"] == 3
    assert data["table"]["title"] == table.title and len(data["table"]["column_kinds"]) == table.ncols
    first = table.sections[0].rows[0].cells[1]
    assert data["table"]["sections"][0]["rows"][0]["cells"][1] == {"text": first.text, "stars": first.stars, "number": first.number, "bracketed": first.bracketed, "square": first.square}
    assert data["table"]["sections"][0]["title"] == "" and data["table"]["fit_width"] is False and data["table"]["landscape"] is False
