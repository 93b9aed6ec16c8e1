"""The table model: every cell formatted, no markup, ready for a template.

Rendering is split in two so that numbers are decided once and every output
format agrees on them: the builders here turn Results into a `Table` of
plain-text cells (Unicode minus, stars kept apart), and `povdsl.render`
only lays that table out.  Nothing here knows about LaTeX, HTML or Markdown.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Sequence

from povdsl.plan import TableSpec
from povdsl.result import Result

MINUS = "\N{MINUS SIGN}"  # U+2212; each renderer maps it to its own minus
EN_DASH = "\N{EN DASH}"

DEFAULT_ESTIMATOR_LABELS = MappingProxyType(
    {
        "ols": "OLS",
        "logit": "Logit",
        "probit": "Probit",
        "fe": "FE",
        "re": "RE",
        "iv": "IV",
        "iv2sls": "IV-2SLS",
        "ivgmm": "IV-GMM",
        "sysgmm": "System GMM",
        "diffgmm": "Difference GMM",
        "sar": "SAR",
        "sem": "SEM",
    }
)

FIT_LABELS = MappingProxyType(
    {
        "r2": "R²",
        "r2_within": "Within R²",
        "pseudo_r2": "Pseudo R²",
        "loglik": "Log likelihood",
        "ngroups": "Groups",
        "j_stat": "Hansen J",
        "j_pvalue": "Hansen J p-value",
        "first_stage_f": "First-stage F",
        "ninstruments": "Instruments",
        "sargan": "Sargan test",
        "sargan_pvalue": "Sargan p-value",
        "hansen": "Hansen test",
        "hansen_pvalue": "Hansen p-value",
        "ar1": "AR(1) test",
        "ar1_pvalue": "AR(1) p-value",
        "ar2": "AR(2) test",
        "ar2_pvalue": "AR(2) p-value",
    }
)

# Counts print as integers whatever the decimals say.
INTEGER_STATS = frozenset({"ngroups", "ninstruments"})

STAT_NOTES = MappingProxyType(
    {"t": "t statistics", "se": "standard errors", "p": "p-values"}
)


@dataclass(frozen=True)
class Decimals:
    """How many decimals each kind of number gets.

    Coefficients and standard errors get `coef` decimals, but a value below
    10**-coef gets as many as its first significant digit needs, up to
    `max_coef` — the paper prints 0.004 and −0.005 next to 0.66, not 0.00
    or −0.01.  t statistics get `tstat` decimals, p-values `pvalue`,
    fit statistics `fit` unless `fit_overrides` names them.
    """

    coef: int = 2
    max_coef: int = 4
    tstat: int = 2
    pvalue: int = 3
    fit: int = 3
    fit_overrides: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"loglik": 2, "first_stage_f": 2})
    )


@dataclass(frozen=True)
class TableContext:
    """What a table needs that a Result does not carry; supplied by the plan."""

    estimator_labels: Mapping[str, str] = field(default_factory=dict)  # registry name -> "Logit"
    dependent_labels: Mapping[str, str] = field(default_factory=dict)  # outcome text -> label
    poverty_lines: Mapping[str, float] = field(default_factory=dict)  # name -> value used
    poverty_line_unit: str = ""  # e.g. "yuan"; appended to each value in the note
    weight_matrix: str = ""  # definition of W, one sentence
    instruments: str = ""  # instruments used, one sentence
    variance: Mapping[str, str] = field(default_factory=dict)  # model name (sweep: outcome) -> description
    decimals: Decimals = field(default_factory=Decimals)
    stub_header: str = "Dependent variable"
    header_wrap: int = 18  # characters per header line per spanned column

    def __post_init__(self) -> None:
        for name in ("estimator_labels", "dependent_labels", "poverty_lines", "variance"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


@dataclass(frozen=True)
class SweepEntry:
    """One per-industry regression of a sweep (Tables 5 and 6)."""

    outcome: str  # outcome label or outcome text (looked up in dependent_labels)
    code: str  # industry code, e.g. "171" or "1711"
    industry: str  # industry name
    digits: int  # code depth: 3 or 4
    coef: float
    std_error: float
    tstat: float
    pvalue: float
    nobs: int


@dataclass(frozen=True)
class Cell:
    """One formatted cell; stars are kept apart so each format places them."""

    text: str = ""  # as printed, without stars: "−0.01", "(−2.61)", "Logit", "975"
    stars: str = ""  # "", "*", "**", "***"
    number: str = ""  # the bare number inside text, "" when the cell is not a number
    bracketed: bool = False  # text is "(" + number + ")"

    @property
    def display(self) -> str:
        return self.text + self.stars


@dataclass(frozen=True)
class HeaderGroup:
    """A header cell spanning `span` data columns, starting at data column `first` (1-based)."""

    text: str
    span: int
    first: int
    lines: tuple[str, ...] = ()  # text broken into lines for formats that cannot wrap

    @property
    def last(self) -> int:
        return self.first + self.span - 1


@dataclass(frozen=True)
class HeaderRow:
    label: str  # stub cell
    groups: tuple[HeaderGroup, ...]
    rule: bool = False  # draw a partial rule under each group (booktabs \cmidrule)


@dataclass(frozen=True)
class Row:
    label: str  # stub cell; "" under a coefficient for the statistic row
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Section:
    """Rows that belong together; renderers put a rule between sections."""

    label: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    layout: str  # "models" or "sweep"
    column_kinds: tuple[str, ...]  # per data column: "number" or "text"
    header: tuple[HeaderRow, ...]
    sections: tuple[Section, ...]
    footer: tuple[Row, ...]  # fit statistics and Observations
    notes: tuple[str, ...]

    @property
    def ncols(self) -> int:
        return len(self.column_kinds)


# ---------------------------------------------------------------- numbers


def format_number(value: float, decimals: int) -> str:
    """Fixed decimals, a real minus sign, and no negative zero."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def coef_decimals(value: float, decimals: Decimals) -> int:
    """`coef` decimals, or more so that a small value's first significant digit shows."""
    if value is None or not math.isfinite(value) or value == 0:
        return decimals.coef
    first_significant = -math.floor(math.log10(abs(value)))  # 0.004 -> 3, 0.66 -> 1
    return max(decimals.coef, min(first_significant, decimals.max_coef))


def format_coef(value: float, decimals: Decimals) -> str:
    return format_number(value, coef_decimals(value, decimals))


def format_count(value: float) -> str:
    """Thousands separated with a comma, as the paper prints 10,234."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{round(value):,}".replace("-", MINUS)


def format_amount(value: float) -> str:
    """A money amount: thousands separated, cents only when there are any."""
    if float(value).is_integer():
        return format_count(value)
    return f"{value:,.2f}".replace("-", MINUS)


def stars_for(pvalue: float, levels: Sequence[float]) -> str:
    """One star per level the p-value is strictly below (p < level, as Stata does).

    p = 0.05 exactly earns no 5% star: a test at level α rejects when p < α.
    """
    if pvalue is None or not math.isfinite(pvalue):
        return ""
    return "*" * sum(1 for level in levels if pvalue < level)


def format_level(level: float) -> str:
    """0.1 -> "0.10", 0.05 -> "0.05", 0.001 -> "0.001": as a reader writes levels."""
    text = f"{level:.6f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))


def statistic_cell(kind: str, coef: float, std_error: float, tstat: float, pvalue: float, decimals: Decimals) -> Cell:
    """The statistic printed in parentheses under a coefficient."""
    if kind == "se":
        number = format_coef(std_error, decimals)
    elif kind == "p":
        number = format_number(pvalue, decimals.pvalue)
    else:
        number = format_number(tstat, decimals.tstat)
    if not number:
        return Cell()
    return Cell(text=f"({number})", number=number, bracketed=True)


def coef_cell(coef: float, pvalue: float, levels: Sequence[float], decimals: Decimals) -> Cell:
    number = format_coef(coef, decimals)
    if not number:
        return Cell()
    return Cell(text=number, stars=stars_for(pvalue, levels), number=number)


def fit_cell(key: str, value: float | None, decimals: Decimals) -> Cell:
    if value is None or not math.isfinite(value):
        return Cell()
    if key in INTEGER_STATS:
        number = format_count(value)
    else:
        number = format_number(value, decimals.fit_overrides.get(key, decimals.fit))
    return Cell(text=number, number=number)


# ---------------------------------------------------------------- rows and notes


def term_order(spec: TableSpec, results: Sequence[Result]) -> list[str]:
    """Terms to show: `order` first, then first appearance; Intercept last unless ordered."""
    seen: list[str] = []
    for result in results:
        for term in result.params.index:
            if term not in seen:
                seen.append(term)
    shown = [t for t in seen if (not spec.keep or t in spec.keep) and t not in spec.drop]
    ordered = [t for t in spec.order if t in shown]
    rest = [t for t in shown if t not in ordered]
    if "Intercept" in rest:
        rest.remove("Intercept")
        rest.append("Intercept")
    return ordered + rest


def term_label(term: str, spec: TableSpec) -> str:
    labels = dict(spec.labels)
    if term in labels:
        return labels[term]
    return "Constant" if term == "Intercept" else term


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
    decimals = context.decimals
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
    for term in term_order(spec, results):
        coefs, stats = [], []
        for r in results:
            coef, pvalue = _get(r.params, term), _get(r.pvalues, term)
            coefs.append(coef_cell(coef, pvalue, spec.stars, decimals))
            se, tstat = _get(r.std_errors, term), _get(r.tstats, term)
            stats.append(statistic_cell(spec.stat, coef, se, tstat, pvalue, decimals))
        rows.append(Row(term_label(term, spec), tuple(coefs)))
        if spec.stat != "none":
            rows.append(Row("", tuple(stats)))

    footer: list[Row] = []
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
        notes=model_notes(spec, results, context),
    )


DEPTH_LABELS = MappingProxyType({2: "Two Digits", 3: "Three Digits", 4: "Four Digits"})


def build_sweep_table(spec: TableSpec, entries: Sequence[SweepEntry], context: TableContext) -> Table:
    """Tables 5-6: per outcome an Industry | Result block, one section per code depth.

    Blocks sit side by side and are aligned by rank, as in the paper: row k
    of a depth holds the k-th industry of each outcome, in entry order.
    """
    decimals = context.decimals
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
