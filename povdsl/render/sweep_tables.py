"""Results of any sweep -> a table: one row per sweep value, one column per sweep model.

Tables 5-6 (sweeps over industries alone) keep their paper layout
(`build_sweep_table`). Any other sweep — lists, stepwise/cumulative control
sets, splits, weight matrices and their products — is shown here: a row per
member (its values' labels, each relabelled by the table's `label` lines),
a column per declaration, the focus coefficient (the first right-hand term)
over its statistic. `significant only` keeps the rows where some column's
coefficient is significant at the loosest star level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from povdsl.check.plan import TableSpec
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


def value_label(text: str, spec: TableSpec) -> str:
    """A value's label: the table's `label VALUE = "..."` line when there is one (e.g. a control set's name)."""
    return next((label for target, label in reversed(spec.labels) if target == text), text)


def build_member_table(spec: TableSpec, entries: Sequence[MemberEntry], context: TableContext) -> Table:
    decimals = table_decimals(spec, context)
    threshold = max(spec.stars) if spec.stars else 0.10
    columns = list(dict.fromkeys(e.column for e in entries))
    rows_keys = list(dict.fromkeys(e.values for e in entries))
    cell = {(e.values, e.column): e for e in entries}
    if spec.significant_only:
        rows_keys = [k for k in rows_keys if any(e.pvalue < threshold for c in columns if (e := cell.get((k, c))) is not None)]

    dependents = []
    for c in columns:
        outcomes = list(dict.fromkeys(e.dependent for e in entries if e.column == c))
        dependents.append(context.dependent_labels.get(outcomes[0], outcomes[0]) if len(outcomes) == 1 else "by row")
    header = (
        HeaderRow(context.stub_header, tuple(HeaderGroup(t, 1, i + 1, wrap_header(t, 1, context.header_wrap)) for i, t in enumerate(dependents)), rule=True),
        HeaderRow("", tuple(single(c, i + 1) for i, c in enumerate(columns))),
    )

    rows: list[Row] = []
    for key in rows_keys:
        coefs: list[Cell] = []
        stats: list[Cell] = []
        for c in columns:
            e = cell.get((key, c))
            if e is None:
                coefs.append(Cell())
                stats.append(Cell())
                continue
            coefs.append(coef_cell(e.coef, e.pvalue, spec.stars, decimals))
            stats.append(statistic_cell(spec.stat, e.coef, e.std_error, e.tstat, e.pvalue, decimals))
        rows.append(Row("; ".join(value_label(v, spec) for v in key), tuple(coefs)))
        if spec.stat != "none":
            rows.append(Row("", tuple(stats)))

    observations = [count_range_cell([e.nobs for e in entries if e.column == c]) for c in columns]

    notes = common_notes(spec, context)
    focus = list(dict.fromkeys(term_label(e.focus, spec) for e in entries))
    if len(focus) == 1:
        notes.append(f"One row per specification; each cell is the coefficient of {join_words(focus)} in that specification.")
    else:  # a `for` variable changes the first term: the row says which term the cell is
        notes.append(f"One row per specification; each cell is the coefficient of that specification's first term ({join_words(focus)}).")
    if spec.significant_only:
        notes.append(f"Only specifications with p < {format_level(threshold)} in some column are listed.")
    notes += sweep_closing_notes(spec, context)

    return Table(
        name=spec.name,
        title=spec.title,
        layout="models",
        column_kinds=("number",) * len(columns),
        header=header,
        sections=(Section("", tuple(rows)),),
        footer=(Row("Observations", tuple(observations)),),
        notes=tuple(notes),
        fit_width=spec.fit_width,
        landscape=spec.landscape,
    )
