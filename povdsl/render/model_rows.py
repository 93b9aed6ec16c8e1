"""The rows of a model table: header rows, coefficient and statistic rows, and the rows under them.

`povdsl.render.tables.build_model_table` assembles these into a `Table`
(one block of them per panel).  Each function takes the TableSpec, the
Results of the columns and the TableContext, and returns plain-text rows.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from povdsl.check.plan import TableSpec
from povdsl.estimate.result import Result
from povdsl.render.numbers import coef_cell, fit_cell, format_count, interval_cell, statistic_cell
from povdsl.render.table_model import (
    CI_LEVELS,
    DEFAULT_ESTIMATOR_LABELS,
    FIT_LABELS,
    Cell,
    Decimals,
    HeaderGroup,
    HeaderRow,
    Row,
    TableContext,
)
from povdsl.render.term_selection import selectors, term_label


def value(series, term: str) -> float:
    return float(series[term]) if term in series.index else float("nan")


def model_name(result: Result, index: int) -> str:
    return result.label or result.model or f"({index + 1})"


def single(text: str, column: int) -> HeaderGroup:
    """A one-column header cell."""
    return HeaderGroup(text, 1, column, (text,))


def wrap_header(text: str, span: int, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, width=width * span, break_long_words=False)) or ("",)


def runs(texts: Sequence[str], context: TableContext) -> tuple[HeaderGroup, ...]:
    """Adjacent equal texts as one spanning header cell."""
    merged: list[list] = []  # [text, first column, span]
    for column, text in enumerate(texts, start=1):
        if merged and merged[-1][0] == text:
            merged[-1][2] += 1
        else:
            merged.append([text, column, 1])
    return tuple(HeaderGroup(text, span, first, wrap_header(text, span, context.header_wrap)) for text, first, span in merged)


def estimator_label(result: Result, context: TableContext) -> str:
    return context.estimator_labels.get(result.estimator) or DEFAULT_ESTIMATOR_LABELS.get(result.estimator, result.estimator)


def header_rows(spec: TableSpec, columns: Sequence[Sequence[Result]], context: TableContext) -> tuple[HeaderRow, ...]:
    """Spanners of `group`, dependent variables, estimators and model labels.

    `columns` holds, per column, the Results shown in it (one per panel). A
    header row is kept only where every panel agrees on it, so a table of
    panels with different outcomes does not name the first panel's; a model
    label equal to its column's estimator label is not printed twice (the
    row goes when all its cells would repeat the row above).
    """
    first = [column[0] for column in columns]
    rows: list[HeaderRow] = []
    if spec.groups:
        rows.append(HeaderRow("", group_cells(spec, len(columns), context), rule=True))
    dependents = [{context.dependent_labels.get(r.dependent, r.dependent) for r in column} for column in columns]
    if all(len(d) == 1 for d in dependents):
        rows.append(HeaderRow(context.stub_header, runs([next(iter(d)) for d in dependents], context), rule=True))
    estimators = [{estimator_label(r, context) for r in column} for column in columns]
    shared = all(len(e) == 1 for e in estimators)
    if shared:
        rows.append(HeaderRow("", tuple(single(next(iter(e)), i + 1) for i, e in enumerate(estimators))))
    names = [model_name(r, i) for i, r in enumerate(first)]
    if any(len({model_name(r, i) for r in column}) > 1 for i, column in enumerate(columns)):
        names = [f"({i + 1})" for i in range(len(columns))]  # panels with different models in a column: numbered
    if shared:
        names = ["" if name == next(iter(e)) else name for name, e in zip(names, estimators)]
    if any(names):
        rows.append(HeaderRow("", tuple(single(name, i + 1) for i, name in enumerate(names))))
    return tuple(rows)


def group_cells(spec: TableSpec, ncols: int, context: TableContext) -> tuple[HeaderGroup, ...]:
    """`group "Income" = m3, m4` as spanning cells, empty cells between (no rule under those)."""
    position = {name: i + 1 for i, name in enumerate(spec.models)}
    spans = sorted((min(position[m] for m in models), len(models), text) for text, models in spec.groups)
    cells: list[HeaderGroup] = []
    column = 1
    for first, span, text in spans:
        cells += [HeaderGroup("", 1, c, ("",)) for c in range(column, first)]
        cells.append(HeaderGroup(text, span, first, wrap_header(text, span, context.header_wrap)))
        column = first + span
    cells += [HeaderGroup("", 1, c, ("",)) for c in range(column, ncols + 1)]
    return tuple(cells)


def critical_values(spec: TableSpec, results: Sequence[Result]) -> list[float]:
    """Per column, the two-sided quantile of `stat ciNN`: t(df) of the Result's variance, else its p-values' own."""
    level = CI_LEVELS.get(spec.stat) or CI_LEVELS.get(spec.second_stat)
    if level is None:
        return [math.nan] * len(results)
    from povdsl.render.figure_model import critical_value, reference_df

    values = []
    for r in results:
        df = r.variance.df if r.variance is not None else reference_df(r.tstats.tolist(), r.pvalues.tolist())
        values.append(critical_value(level, df))
    return values


def statistic(kind: str, coef: float, se: float, tstat: float, pvalue: float, critical: float, decimals: Decimals, square: bool) -> Cell:
    if kind in CI_LEVELS:
        return interval_cell(coef - critical * se, coef + critical * se, decimals)
    return statistic_cell(kind, coef, se, tstat, pvalue, decimals, square=square)


def coefficient_rows(spec: TableSpec, terms: Sequence[str], results: Sequence[Result], decimals: Decimals) -> list[Row]:
    """Per term its coefficient row, then a row for each statistic the table shows."""
    rows: list[Row] = []
    row_digits = [s for s in selectors(spec) if s.kind == "digits"]
    kinds = [k for k in (spec.stat, spec.second_stat) if k and k != "none"]
    critical = critical_values(spec, results)
    for term in terms:
        chosen = next((s.digits for s in reversed(row_digits) if s.matches(term)), None)
        row = decimals if chosen is None else decimals.for_row(chosen)
        coefs = []
        stats: list[list[Cell]] = [[] for _ in kinds]
        for r, z in zip(results, critical):
            coef, pvalue = value(r.params, term), value(r.pvalues, term)
            coefs.append(coef_cell(coef, pvalue, spec.stars, row))
            se, tstat = value(r.std_errors, term), value(r.tstats, term)
            for i, kind in enumerate(kinds):
                stats[i].append(statistic(kind, coef, se, tstat, pvalue, z, row, square=i > 0))
        rows.append(Row(term_label(term, spec), tuple(coefs)))
        rows.extend(Row("", tuple(cells)) for cells in stats)
    return rows


def effect_label(column: str, spec: TableSpec) -> str:
    """`label household = "Household fixed effects"` names the row; otherwise "Household FE"."""
    label = next((s.label for s in reversed(selectors(spec)) if s.kind == "label" and s.matches(column)), None)
    return label if label is not None else column[:1].upper() + column[1:] + " FE"


def fixed_effect_rows(spec: TableSpec, results: Sequence[Result], context: TableContext) -> list[Row]:
    """`row fe`: one Yes/No row per effect any column absorbs, in order of first appearance."""
    absorbed = [context.fixed_effects.get(r.model, ()) for r in results]
    effects = list(dict.fromkeys(e for effects in absorbed for e in effects))
    return [Row(effect_label(e, spec), tuple(Cell("Yes" if e in a else "No") for a in absorbed)) for e in effects]


def lower_rows(spec: TableSpec, results: Sequence[Result], context: TableContext, decimals: Decimals) -> list[Row]:
    """Rows under the coefficients: user rows (fixed-effect rows where `row fe` stands), variance, fit statistics, Observations."""
    place = {name: i for i, name in enumerate(spec.models)}  # a row's texts follow the table's models; a panel shows some
    rows: list[Row] = [Row(label, tuple(Cell(texts[place.get(r.model, i)]) for i, r in enumerate(results))) for label, texts in spec.rows]
    if spec.fe_rows is not None:
        rows[spec.fe_rows:spec.fe_rows] = fixed_effect_rows(spec, results, context)
    if spec.vcov_row:
        rows.append(Row("Standard errors", tuple(Cell(context.variance.get(r.model, r.vcov)) for r in results)))
    labels, places = dict(spec.fit_labels), dict(spec.fit_digits)
    for key in spec.fit_stats:
        own = decimals if key not in places else Decimals.uniform(places[key], significant=decimals.significant)
        cells = tuple(fit_cell(key, r.stats.get(key), own) for r in results)
        if any(c.text for c in cells):
            rows.append(Row(labels.get(key) or FIT_LABELS.get(key, key), cells))
    rows.append(Row("Observations", tuple(Cell(format_count(r.nobs), number=format_count(r.nobs)) for r in results)))
    return rows
