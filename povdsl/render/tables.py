"""Results -> table model: the rows, headers and notes of model tables and sweep tables.

Number formatting lives in `povdsl.render.numbers`, the dataclasses in
`povdsl.render.table_model`; both are re-exported here, the one import users need.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from types import MappingProxyType

from povdsl.check.plan import TableSpec
from povdsl.estimate.result import Result
from povdsl.render.numbers import (
    coef_cell,
    coef_decimals,
    fit_cell,
    format_amount,
    format_coef,
    format_count,
    format_level,
    format_number,
    stars_for,
    statistic_cell,
)
from povdsl.render.table_model import (  # re-exported: povdsl.render.tables is the one import users need
    DEFAULT_ESTIMATOR_LABELS,
    EN_DASH,
    FIT_LABELS,
    MINUS,
    STAT_NOTES,
    Cell,
    Decimals,
    HeaderGroup,
    HeaderRow,
    Row,
    Section,
    SweepEntry,
    Table,
    TableContext,
)
from povdsl.render.term_selection import check_selectors, selectors, term_label, term_order


def table_decimals(spec: TableSpec, context: TableContext) -> Decimals:
    """The context's decimals (the paper's), unless the table says `digits N` or `digits N sig`."""
    if spec.digits is None:
        return context.decimals
    return Decimals.uniform(spec.digits, significant=spec.significant_figures)


def _get(series, term):
    return float(series[term]) if term in series.index else float("nan")


def join_words(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c" — for notes."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def model_name(result: Result, index: int) -> str:
    return result.label or result.model or f"({index + 1})"


def single(text: str, column: int) -> HeaderGroup:
    """A one-column header cell."""
    return HeaderGroup(text, 1, column, (text,))


def wrap_header(text: str, span: int, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, width=width * span, break_long_words=False)) or ("",)


def common_notes(spec: TableSpec, context: TableContext) -> list[str]:
    """Notes every layout shares: what is in parentheses and what the stars mean."""
    if spec.stat == "none":
        notes = ["Coefficients."]
    else:
        notes = [f"Coefficients, with {STAT_NOTES.get(spec.stat, spec.stat)} in parentheses."]
    if spec.stars:
        levels = sorted(spec.stars, reverse=True)
        stars = "; ".join(f"{'*' * (i + 1)} p < {format_level(level)}" for i, level in enumerate(levels))
        notes.append(stars + ".")
    return notes


def poverty_line_note(context: TableContext) -> list[str]:
    if not context.poverty_lines:
        return []
    unit = f" {context.poverty_line_unit}" if context.poverty_line_unit else ""
    values = [f"{name} = {format_amount(value)}{unit}" for name, value in context.poverty_lines.items()]
    noun = "Poverty line" if len(values) == 1 else "Poverty lines"
    return [f"{noun}: {'; '.join(values)}."]


def sentence(prefix: str, text: str) -> list[str]:
    if not text:
        return []
    text = text.strip()
    return [f"{prefix}{text}" + ("" if text.endswith(".") else ".")]


def grouped_by_models(values: Sequence[tuple[str, str]]) -> str:
    """'x in Model 1 and Model 2; y in Model 3' from (model, value) pairs, first-seen order."""
    groups: dict[str, list[str]] = {}
    for model, value in values:
        groups.setdefault(value, []).append(model)
    return "; ".join(f"{value} in {join_words(models)}" for value, models in groups.items())


def model_notes(spec: TableSpec, results: Sequence[Result], context: TableContext) -> tuple[str, ...]:
    notes = common_notes(spec, context)
    names = [model_name(r, i) for i, r in enumerate(results)]
    variance = [(n, context.variance.get(r.model, r.vcov)) for n, r in zip(names, results)]
    if len({v for _, v in variance}) == 1:
        notes += sentence("Standard errors: ", variance[0][1])
    else:
        notes += sentence("Standard errors: ", grouped_by_models(variance))
    notes += poverty_line_note(context)
    notes += sentence("Spatial weight matrix: ", context.weight_matrix)
    notes += sentence("Instruments: ", context.instruments)
    dropped = [f"{r.dropped:,} ({n})" for n, r in zip(names, results) if r.dropped]
    if dropped:
        notes.append(f"Observations dropped for missing values: {'; '.join(dropped)}.")
    notes += list(spec.notes)
    return tuple(notes)


# ---------------------------------------------------------------- builders


def build_model_table(spec: TableSpec, results: Sequence[Result], context: TableContext) -> Table:
    """Tables 1-4: one column per model, coefficient over statistic, fit rows, Observations."""
    check_selectors(spec, results, [r.dependent for r in results] + list(context.dependent_labels))
    decimals = table_decimals(spec, context)
    ncols = len(results)

    # Adjacent models with the same dependent variable share one spanning header.
    dependents = [context.dependent_labels.get(r.dependent, r.dependent) for r in results]
    runs: list[list] = []  # [text, first column, span]
    for column, text in enumerate(dependents, start=1):
        if runs and runs[-1][0] == text:
            runs[-1][2] += 1
        else:
            runs.append([text, column, 1])
    groups = [
        HeaderGroup(text, span, first, wrap_header(text, span, context.header_wrap))
        for text, first, span in runs
    ]

    estimators = [
        context.estimator_labels.get(r.estimator) or DEFAULT_ESTIMATOR_LABELS.get(r.estimator, r.estimator)
        for r in results
    ]
    header = (
        HeaderRow(context.stub_header, tuple(groups), rule=True),
        HeaderRow("", tuple(single(e, i + 1) for i, e in enumerate(estimators))),
        HeaderRow("", tuple(single(model_name(r, i), i + 1) for i, r in enumerate(results))),
    )

    rows: list[Row] = []
    row_digits = [s for s in selectors(spec) if s.kind == "digits"]
    for term in term_order(spec, results):
        if spec.show == "impacts" and any(r.impacts is not None and term in r.impacts.index for r in results):
            rows.extend(impact_rows(term, spec, results, decimals))
            continue
        coefs, stats = [], []
        chosen = next((s.digits for s in reversed(row_digits) if s.matches(term)), None)
        row = decimals if chosen is None else decimals.for_row(chosen)
        for r in results:
            coef, pvalue = _get(r.params, term), _get(r.pvalues, term)
            coefs.append(coef_cell(coef, pvalue, spec.stars, row))
            se, tstat = _get(r.std_errors, term), _get(r.tstats, term)
            stats.append(statistic_cell(spec.stat, coef, se, tstat, pvalue, row))
        rows.append(Row(term_label(term, spec), tuple(coefs)))
        if spec.stat != "none":
            rows.append(Row("", tuple(stats)))

    footer: list[Row] = [Row(label, tuple(Cell(text) for text in texts)) for label, texts in spec.rows]
    if spec.vcov_row:
        names = [model_name(r, i) for i, r in enumerate(results)]
        footer.append(Row("Standard errors", tuple(Cell(context.variance.get(r.model, r.vcov)) for n, r in zip(names, results))))
    for key in spec.fit_stats:
        cells = tuple(fit_cell(key, r.stats.get(key), decimals) for r in results)
        if any(c.text for c in cells):
            footer.append(Row(FIT_LABELS.get(key, key), cells))
    footer.append(Row("Observations", tuple(Cell(format_count(r.nobs), number=format_count(r.nobs)) for r in results)))

    return Table(
        name=spec.name,
        title=spec.title,
        layout="models",
        column_kinds=("number",) * ncols,
        header=header,
        sections=(Section("", tuple(rows)),),
        footer=tuple(footer),
        notes=model_notes(spec, results, context) + impacts_note(spec, results),
    )


IMPACTS = ("direct", "indirect", "total")


def impact_rows(term: str, spec: TableSpec, results: Sequence[Result], decimals) -> list[Row]:
    """`show impacts`: a regressor's direct, indirect and total effects in place of its coefficient.

    In a model without a spatial lag of y (OLS, SLX, SEM) a coefficient is its
    regressor's direct impact, so it goes in the direct row; its indirect and
    total cells stay empty (an SLX's spillover is its W() row).
    """
    rows = []
    for kind in IMPACTS:
        coefs, stats = [], []
        for r in results:
            table = r.impacts
            if table is None or term not in table.index:
                coef, pvalue = _get(r.params, term), _get(r.pvalues, term)
                if kind != "direct" or r.impacts is not None or coef != coef:  # NaN: not a term of this model
                    coefs.append(Cell())
                    stats.append(Cell())
                    continue
                coefs.append(coef_cell(coef, pvalue, spec.stars, decimals))
                stats.append(statistic_cell(spec.stat, coef, _get(r.std_errors, term), _get(r.tstats, term), pvalue, decimals))
                continue
            value, se, pvalue = (float(table.loc[term, key]) for key in (kind, f"{kind}_se", f"{kind}_pvalue"))
            coefs.append(coef_cell(value, pvalue, spec.stars, decimals))
            stats.append(statistic_cell(spec.stat, value, se, value / se if se > 0 else float("nan"), pvalue, decimals))
        rows.append(Row(f"{term_label(term, spec)}: {kind}", tuple(coefs)))
        if spec.stat != "none":
            rows.append(Row("", tuple(stats)))
    return rows


def impacts_note(spec: TableSpec, results: Sequence[Result]) -> tuple[str, ...]:
    """What `show impacts` rows are, with the number of draws behind their statistics."""
    shown = [r for r in results if r.impacts is not None]
    if spec.show != "impacts" or not shown:
        return ()
    draws = sorted({int(r.impacts.attrs.get("draws", 0)) for r in shown if r.impacts is not None})
    return (
        "Spatial lag models show average direct, indirect (spillover) and total impacts (LeSage and Pace 2009) "
        f"in place of coefficients; their statistics come from {', '.join(f'{d:,}' for d in draws)} simulated "
        "draws of the estimates. Other models show their coefficient as the direct impact.",
    )


DEPTH_LABELS = MappingProxyType({2: "Two Digits", 3: "Three Digits", 4: "Four Digits"})


def build_sweep_table(spec: TableSpec, entries: Sequence[SweepEntry], context: TableContext) -> Table:
    """Tables 5-6: per outcome an Industry | Result block, one section per code depth.

    Blocks sit side by side and are aligned by rank, as in the paper: row k
    of a depth holds the k-th industry of each outcome, in entry order.
    """
    decimals = table_decimals(spec, context)
    threshold = max(spec.stars) if spec.stars else 0.10
    shown = [e for e in entries if not spec.significant_only or e.pvalue < threshold]
    outcomes = list(dict.fromkeys(e.outcome for e in entries))
    labels = [context.dependent_labels.get(o, o) for o in outcomes]

    header = (
        HeaderRow(
            context.stub_header,
            tuple(HeaderGroup(t, 2, 2 * i + 1, wrap_header(t, 2, context.header_wrap)) for i, t in enumerate(labels)),
            rule=True,
        ),
        HeaderRow(
            "Code",
            tuple(
                single(text, 2 * i + 1 + j)
                for i in range(len(outcomes))
                for j, text in enumerate(("Industry", "Result"))
            ),
        ),
    )

    sections: list[Section] = []
    for digits in sorted({e.digits for e in entries}):
        blocks = [[e for e in shown if e.outcome == o and e.digits == digits] for o in outcomes]
        depth = DEPTH_LABELS.get(digits, f"{digits} Digits")
        rows: list[Row] = []
        for rank in range(max((len(b) for b in blocks), default=0)):
            coefs: list[Cell] = []
            stats: list[Cell] = []
            for block in blocks:
                if rank < len(block):
                    e = block[rank]
                    coefs += [Cell(e.industry), coef_cell(e.coef, e.pvalue, spec.stars, decimals)]
                    stats += [Cell(), statistic_cell(spec.stat, e.coef, e.std_error, e.tstat, e.pvalue, decimals)]
                else:
                    coefs += [Cell(), Cell()]
                    stats += [Cell(), Cell()]
            rows.append(Row(depth if rank == 0 else "", tuple(coefs)))
            if spec.stat != "none":
                rows.append(Row("", tuple(stats)))
        if not rows:
            rows.append(Row(depth, (Cell(),) * (2 * len(outcomes))))
        sections.append(Section(depth, tuple(rows)))

    observations: list[Cell] = []
    for o in outcomes:
        counts = sorted({e.nobs for e in entries if e.outcome == o})
        text = format_count(counts[0])
        if len(counts) > 1:
            text += EN_DASH + format_count(counts[-1])
        observations += [Cell(), Cell(text, number=text if len(counts) == 1 else "")]

    notes = common_notes(spec, context)
    if spec.significant_only:
        notes.append(f"Only industries whose cluster coefficient has p < {format_level(threshold)} are listed.")
    notes += sentence("Standard errors: ", join_words(list(dict.fromkeys(context.variance.values()))))
    notes += poverty_line_note(context)
    notes += sentence("Spatial weight matrix: ", context.weight_matrix)
    notes += sentence("Instruments: ", context.instruments)
    notes += list(spec.notes)

    return Table(
        name=spec.name,
        title=spec.title,
        layout="sweep",
        column_kinds=("text", "number") * len(outcomes),
        header=header,
        sections=tuple(sections),
        footer=(Row("Observations", tuple(observations)),),
        notes=tuple(notes),
    )


__all__ = [
    "MINUS",
    "Cell",
    "Decimals",
    "SweepEntry",
    "Table",
    "TableContext",
    "build_model_table",
    "build_sweep_table",
    "coef_decimals",
    "format_coef",
    "format_count",
    "format_level",
    "format_number",
    "stars_for",
]
