"""Results -> table model: the rows, headers and notes of model tables and sweep tables.

Number formatting lives in `povdsl.render.numbers`, the dataclasses in
`povdsl.render.table_model`; both are re-exported here, the one import users need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

from povdsl.check.plan import TableSpec
from povdsl.estimate.result import Result
from povdsl.render.model_rows import (
    coefficient_rows,
    header_rows,
    lower_rows,
    model_name,
    single,
    wrap_header,
)
from povdsl.render.model_rows import (
    value as _get,
)
from povdsl.render.numbers import (
    coef_cell,
    coef_decimals,
    format_amount,
    format_coef,
    format_count,
    format_level,
    format_number,
    stars_for,
    statistic_cell,
)
from povdsl.render.table_model import (  # re-exported: povdsl.render.tables is the one import users need
    CI_LEVELS,
    EN_DASH,
    MINUS,
    STAT_NOTES,
    Cell,
    Decimals,
    HeaderGroup,
    HeaderRow,
    InstrumentNote,
    Row,
    Section,
    SweepEntry,
    Table,
    TableContext,
    WeightNote,
)
from povdsl.render.term_selection import check_selectors, term_label, term_order

FIT_WIDTH_WRAP = 10  # `fit width`: header characters per line per spanned column (18 otherwise)


def narrow(spec: TableSpec, context: TableContext) -> TableContext:
    """Under `fit width`, headers wrap at FIT_WIDTH_WRAP characters per column, so the columns can be narrow."""
    if spec.fit_width and spec.fit_style != "scale":  # `fit width scale` shrinks the table as it is
        return replace(context, header_wrap=min(context.header_wrap, FIT_WIDTH_WRAP))
    return context


def table_decimals(spec: TableSpec, context: TableContext) -> Decimals:
    """The context's decimals (the paper's), unless the table says `digits N` or `digits N sig`."""
    if spec.digits is None:
        return context.decimals
    return Decimals.uniform(spec.digits, significant=spec.significant_figures)


def join_words(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c" — for notes."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def common_notes(spec: TableSpec, context: TableContext) -> list[str]:
    """Notes every layout shares: what is in parentheses (or brackets) and what the stars mean."""
    first = STAT_NOTES.get(spec.stat, spec.stat)
    where = "in brackets" if spec.stat in CI_LEVELS else "in parentheses"
    if spec.stat == "none":
        notes = ["Coefficients."]
    elif spec.second_stat:
        notes = [f"Coefficients, with {first} {where} and {STAT_NOTES.get(spec.second_stat, spec.second_stat)} in brackets."]
    else:
        notes = [f"Coefficients, with {first} {where}."]
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


def context_notes(context: TableContext) -> list[str]:
    """The notes a table or figure takes from its context: poverty lines, weight matrices, instruments.

    Plain-text sentences from the context's typed records; each format's template escapes them.
    """
    weights = "; ".join(f"{w.name}: {w.description}" for w in context.weight_matrices)
    instruments = "; ".join(f"{i.model}: {', '.join(i.endogenous)} instrumented by {', '.join(i.instruments)}" for i in context.instruments)
    return poverty_line_note(context) + sentence("Spatial weight matrix: ", weights) + sentence("Instruments: ", instruments)


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
    notes += context_notes(context)
    dropped = [f"{r.dropped:,} ({n})" for n, r in zip(names, results) if r.dropped]
    if dropped:
        notes.append(f"Observations dropped for missing values: {'; '.join(dropped)}.")
    notes += list(spec.notes)
    return tuple(notes)


# ---------------------------------------------------------------- builders


def build_model_table(spec: TableSpec, results: Sequence[Result], context: TableContext) -> Table:
    """Tables 1-4: one column per model, coefficient over statistic, fit rows, Observations.

    With `panel` items the model sets are stacked: panel k's models fill the
    columns from the left, and each panel is a titled section of coefficient
    rows followed by a section of its own fit rows and Observations.
    """
    context = narrow(spec, context)
    effects = [e for r in results for e in context.fixed_effects.get(r.model, ())] if spec.fe_rows is not None else []
    check_selectors(spec, results, [r.dependent for r in results] + list(context.dependent_labels) + effects)
    decimals = table_decimals(spec, context)
    by_model = {r.model: r for r in results}
    panels = [(title, [by_model[m] for m in models if m in by_model]) for title, models in spec.panels] or [("", list(results))]
    ncols = max(len(members) for _, members in panels)
    columns = [[members[i] for _, members in panels if i < len(members)] for i in range(ncols)]

    sections: list[Section] = []
    footer: tuple[Row, ...] = ()
    for title, members in panels:
        rows = coefficient_block(spec, members, decimals)
        lower = lower_rows(spec, members, context, decimals)
        pad = ncols - len(members)
        if pad:
            rows = [Row(r.label, r.cells + (Cell(),) * pad) for r in rows]
            lower = [Row(r.label, r.cells + (Cell(),) * pad) for r in lower]
        if spec.panels:
            sections += [Section(title, tuple(rows), title=title), Section("", tuple(lower))]
        else:
            sections.append(Section("", tuple(rows)))
            footer = tuple(lower)

    return Table(
        name=spec.name,
        title=spec.title,
        layout="models",
        column_kinds=("number",) * ncols,
        header=header_rows(spec, columns, context),
        sections=tuple(sections),
        footer=footer,
        notes=model_notes(spec, results, context) + impacts_note(spec, results),
        fit_width=spec.fit_width,
        fit_style=spec.fit_style,
        landscape=spec.landscape,
    )


def coefficient_block(spec: TableSpec, results: Sequence[Result], decimals: Decimals) -> list[Row]:
    """The coefficient and statistic rows of these models (`show impacts`: a spatial lag's impacts in place of its coefficients)."""
    rows: list[Row] = []
    for term in term_order(spec, results):
        if spec.show == "impacts" and any(r.impacts is not None and term in r.impacts.index for r in results):
            rows.extend(impact_rows(term, spec, results, decimals))
        else:
            rows.extend(coefficient_rows(spec, [term], results, decimals))
    return rows


IMPACTS = ("direct", "indirect", "total")


def impact_rows(term: str, spec: TableSpec, results: Sequence[Result], decimals) -> list[Row]:
    """`show impacts`: a regressor's direct, indirect and total effects in place of its coefficient.

    Spatial models carry their impacts (`Result.impacts`): simulated for
    models with a spatial lag of y, exact for SEM and SLX (direct = b,
    indirect = the W() coefficient times W's average row sum, 0 in a SEM;
    a structural zero prints without a statistic). A model without impacts
    (OLS, ...) shows its coefficient as the direct impact, other cells empty.
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
            stats.append(statistic_cell(spec.stat, value, se, value / se, pvalue, decimals) if se > 0 else Cell())
        rows.append(Row(f"{term_label(term, spec)}: {kind}", tuple(coefs)))
        if spec.stat != "none":
            rows.append(Row("", tuple(stats)))
    return rows


def impacts_note(spec: TableSpec, results: Sequence[Result]) -> tuple[str, ...]:
    """What `show impacts` rows are, with the number of draws behind their statistics."""
    shown = [r for r in results if r.impacts is not None]
    if spec.show != "impacts" or not shown:
        return ()
    draws = sorted({int(r.impacts.attrs.get("draws", 0)) for r in shown if r.impacts is not None} - {0})
    notes = []
    if draws:
        notes.append(
            "Spatial lag models show average direct, indirect (spillover) and total impacts (LeSage and Pace 2009) "
            f"in place of coefficients; their statistics come from {', '.join(f'{d:,}' for d in draws)} simulated "
            "draws of the estimates."
        )
    exact = sorted({r.estimator for r in shown if r.impacts is not None and not r.impacts.attrs.get("draws")})
    if exact:
        notes.append(
            f"In {' and '.join(e.upper() for e in exact)} models (no spatial lag of y) the impacts are exact: direct = the "
            "coefficient of x, indirect = the coefficient of W(x) times the average row sum of W (0 without a W(x) "
            "term), total = their sum (LeSage and Pace 2009, sec. 2.7)."
        )
    if any(r.impacts is None for r in results):
        notes.append("Other models show their coefficient as the direct impact.")
    return tuple(notes)


DEPTH_LABELS = MappingProxyType({2: "Two Digits", 3: "Three Digits", 4: "Four Digits"})


def count_range_cell(counts: Sequence[int]) -> Cell:
    """A sweep's observations: one count, or the smallest and largest joined by an en dash (then not a number)."""
    ordered = sorted(set(counts))
    text = format_count(ordered[0])
    if len(ordered) > 1:
        text += EN_DASH + format_count(ordered[-1])
    return Cell(text, number=text if len(ordered) == 1 else "")


def sweep_variance(items) -> str:
    """A sweep's variance as notes say it: one description when every member (SweepItem) has it, else each
    description with the members that have it, by their values (a sweep over the cluster variable)."""
    members: dict[str, list[str]] = {}
    for item in items:
        members.setdefault(item.result.vcov, []).append(", ".join(f"{var} = {value}" for var, value in item.values))
    if len(members) == 1:
        return next(iter(members))
    return "; ".join(f"{vcov} ({join_words(values)})" for vcov, values in members.items())


def sweep_closing_notes(spec: TableSpec, context: TableContext) -> list[str]:
    """A sweep table's last notes: its variances (one, or each with its models), the context's notes, the spec's own."""
    variances = list(context.variance.items())
    said = variances[0][1] if len({v for _, v in variances}) == 1 else grouped_by_models(variances)
    return sentence("Standard errors: ", said) + context_notes(context) + list(spec.notes)


def build_sweep_table(spec: TableSpec, entries: Sequence[SweepEntry], context: TableContext) -> Table:
    """Tables 5-6: per outcome an Industry | Result block, one section per code depth.

    Blocks sit side by side and are aligned by rank, as in the paper: row k
    of a depth holds the k-th industry of each outcome, in entry order.
    """
    context = narrow(spec, context)
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
        observations += [Cell(), count_range_cell([e.nobs for e in entries if e.outcome == o])]

    notes = common_notes(spec, context)
    if spec.significant_only:
        notes.append(f"Only industries whose cluster coefficient has p < {format_level(threshold)} are listed.")
    notes += sweep_closing_notes(spec, context)

    return Table(
        name=spec.name,
        title=spec.title,
        layout="sweep",
        column_kinds=("text", "number") * len(outcomes),
        header=header,
        sections=tuple(sections),
        footer=(Row("Observations", tuple(observations)),),
        notes=tuple(notes),
        fit_width=spec.fit_width,
        fit_style=spec.fit_style,
        landscape=spec.landscape,
    )


__all__ = [
    "MINUS",
    "Cell",
    "Decimals",
    "InstrumentNote",
    "SweepEntry",
    "Table",
    "TableContext",
    "WeightNote",
    "build_model_table",
    "build_sweep_table",
    "coef_decimals",
    "format_coef",
    "format_count",
    "format_level",
    "format_number",
    "stars_for",
]
