"""Results of any sweep -> a table: one row per sweep value, one column per sweep model.

Tables 5-6 (sweeps over industries alone) keep their paper layout
(`build_sweep_table`). Any other sweep — lists, stepwise/cumulative control
sets, splits, weight matrices and their products — is shown here: a row per
member (its values' labels, each relabelled by the table's `label` lines),
a column per declaration, the focus coefficient (the first right-hand term)
over its statistic. `significant only` keeps the rows where some column's
coefficient is significant at the loosest star level.

`layout sweep c by w` lays a product sweep out as a grid instead
(`build_grid_table`): the values of `c` on rows, those of `w` on columns
(under each model's label when the table shows several), one member per cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from povdsl.check.plan import TableSpec
from povdsl.render.model_rows import runs
from povdsl.render.numbers import coef_cell, format_level, statistic_cell
from povdsl.render.table_model import Cell, HeaderGroup, HeaderRow, Row, Section, Table, TableContext
from povdsl.render.tables import common_notes, count_range_cell, join_words, single, sweep_closing_notes, table_decimals, wrap_header
from povdsl.render.term_selection import term_label


@dataclass(frozen=True)
class MemberEntry:
    """One fit of a sweep as a table cell: which column, which row, the focus coefficient."""

    column: str  # the sweep model's label
    dependent: str  # the outcome as printed (looked up in dependent_labels)
    values: tuple[str, ...]  # the member's value labels, in clause order (the row)
    focus: str  # the focus term as printed
    coef: float
    std_error: float
    tstat: float
    pvalue: float
    nobs: int
    variables: tuple[str, ...] = ()  # the sweep variable of each of `values` (a grid's row and column)

    def value_of(self, variable: str) -> str:
        """This member's value label of one sweep variable."""
        return self.values[self.variables.index(variable)]


def value_label(text: str, spec: TableSpec) -> str:
    """A value's label: the table's `label VALUE = "..."` line when there is one (e.g. a control set's name)."""
    return next((label for target, label in reversed(spec.labels) if target == text), text)


def build_member_table(spec: TableSpec, entries: Sequence[MemberEntry], context: TableContext) -> Table:
    """One row per member (its values), one column per sweep model; `build_grid_table` under `layout sweep c by w`."""
    if spec.grid:
        return build_grid_table(spec, entries, context)
    columns = list(dict.fromkeys(e.column for e in entries))
    cell = {(e.values, e.column): e for e in entries}
    keys = list(dict.fromkeys(e.values for e in entries))
    row_keys = _significant_rows(spec, keys, [[cell.get((k, c)) for c in columns] for k in keys])
    dependents = [_dependent([e for e in entries if e.column == c], context) for c in columns]
    header = (
        HeaderRow(context.stub_header, tuple(HeaderGroup(t, 1, i + 1, wrap_header(t, 1, context.header_wrap)) for i, t in enumerate(dependents)), rule=True),
        HeaderRow("", tuple(single(c, i + 1) for i, c in enumerate(columns))),
    )
    rows = _cell_rows(spec, context, [("; ".join(value_label(v, spec) for v in key), [cell.get((key, c)) for c in columns]) for key in row_keys])
    observations = [count_range_cell([e.nobs for e in entries if e.column == c]) for c in columns]
    return _member_table(spec, entries, context, header, rows, observations, grid=False)


def build_grid_table(spec: TableSpec, entries: Sequence[MemberEntry], context: TableContext) -> Table:
    """A product sweep as a grid: the row variable's values down, the column variable's across.

    Columns run per model (the table's order), then per value of the column
    variable in the sweep's order; a model's label spans its columns, and the
    dependent variable spans the columns that share it. Each cell is the one
    member with that row and column value.
    """
    row_var, column_var = spec.grid
    models = list(dict.fromkeys(e.column for e in entries))
    columns = [(m, v) for m in models for v in dict.fromkeys(e.value_of(column_var) for e in entries if e.column == m)]
    cell = {(e.value_of(row_var), e.column, e.value_of(column_var)): e for e in entries}
    all_rows = list(dict.fromkeys(e.value_of(row_var) for e in entries))
    row_keys = _significant_rows(spec, all_rows, [[cell.get((r, m, v)) for m, v in columns] for r in all_rows])
    dependents = [_dependent([e for e in entries if e.column == m and e.value_of(column_var) == v], context) for m, v in columns]
    header = (
        HeaderRow(context.stub_header, runs(dependents, context), rule=True),
        HeaderRow("", runs([m for m, _ in columns], context), rule=True),
        HeaderRow("", tuple(single(value_label(v, spec), i + 1) for i, (_, v) in enumerate(columns))),
    )
    rows = _cell_rows(spec, context, [(value_label(r, spec), [cell.get((r, m, v)) for m, v in columns]) for r in row_keys])
    observations = [count_range_cell([e.nobs for e in entries if e.column == m and e.value_of(column_var) == v]) for m, v in columns]
    return _member_table(spec, entries, context, header, rows, observations, grid=True)


def _dependent(entries: Sequence[MemberEntry], context: TableContext) -> str:
    """The outcome label over a column; "by row" when a `for` variable is the outcome and changes down it."""
    outcomes = list(dict.fromkeys(e.dependent for e in entries))
    return context.dependent_labels.get(outcomes[0], outcomes[0]) if len(outcomes) == 1 else "by row"


def _significant_rows(spec: TableSpec, keys: list, cells: list[list[MemberEntry | None]]) -> list:
    """`significant only`: the rows where some column's coefficient is significant at the loosest star level."""
    if not spec.significant_only:
        return keys
    threshold = max(spec.stars) if spec.stars else 0.10
    return [k for k, row in zip(keys, cells) if any(e is not None and e.pvalue < threshold for e in row)]


def _cell_rows(spec: TableSpec, context: TableContext, lines: Sequence[tuple[str, Sequence[MemberEntry | None]]]) -> list[Row]:
    """Per line a row of focus coefficients and, unless `stat none`, a row of their statistics; a missing member is blank."""
    decimals = table_decimals(spec, context)
    rows: list[Row] = []
    for label, members in lines:
        coefs = tuple(Cell() if e is None else coef_cell(e.coef, e.pvalue, spec.stars, decimals) for e in members)
        rows.append(Row(label, coefs))
        if spec.stat != "none":
            rows.append(Row("", tuple(Cell() if e is None else statistic_cell(spec.stat, e.coef, e.std_error, e.tstat, e.pvalue, decimals) for e in members)))
    return rows


def _member_table(spec: TableSpec, entries: Sequence[MemberEntry], context: TableContext, header: tuple[HeaderRow, ...], rows: list[Row], observations: list[Cell], *, grid: bool) -> Table:
    """The table around a sweep's cells: Observations, notes (which coefficient a cell is), the options' layout."""
    notes = common_notes(spec, context)
    focus = list(dict.fromkeys(term_label(e.focus, spec) for e in entries))
    terms = join_words(focus)
    if grid:
        one, each = f"the coefficient of {terms} in the specification of its row and column", f"the coefficient of the first term of the specification of its row and column ({terms})"
        notes.append(f"Each cell is {one if len(focus) == 1 else each}.")
    else:  # a `for` variable may change the first term: then the note names every member's
        one, each = f"the coefficient of {terms} in that specification", f"the coefficient of that specification's first term ({terms})"
        notes.append(f"One row per specification; each cell is {one if len(focus) == 1 else each}.")
    if spec.significant_only:
        threshold = max(spec.stars) if spec.stars else 0.10
        notes.append(f"Only specifications with p < {format_level(threshold)} in some column are listed.")
    notes += sweep_closing_notes(spec, context)
    return Table(
        name=spec.name,
        title=spec.title,
        layout="models",
        column_kinds=("number",) * len(observations),
        header=header,
        sections=(Section("", tuple(rows)),),
        footer=(Row("Observations", tuple(observations)),),
        notes=tuple(notes),
        fit_width=spec.fit_width,
        landscape=spec.landscape,
    )
