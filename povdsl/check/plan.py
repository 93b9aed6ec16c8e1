"""The checked plan: what the checker produces and the compiler consumes.

Frozen and free of spans' source text, so two plans compare by meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from povdsl.check.dynamic_panel import DynamicPanelSpec
from povdsl.check.terms import ModelTerms
from povdsl.errors import Span
from povdsl.estimate.options import OptionValue
from povdsl.language import syntax as s


@lru_cache(maxsize=256)
def _glob_runs(pattern: str) -> tuple[tuple[int, re.Pattern[str]], ...]:
    """The pattern's runs between stars: each one's length and a regex of it (`?` any one character, the rest literal)."""
    return tuple((len(run), re.compile("".join("." if c == "?" else re.escape(c) for c in run), re.S)) for run in pattern.split("*"))


def glob_match(pattern: str, text: str) -> bool:
    """Whether the glob matches all of `text`: `*` any run, `?` one character; everything else literal.

    Brackets are literal on purpose: `year[*]` means the levels `year[T.2005]`,
    ..., not fnmatch's character class. The runs between stars have fixed
    lengths, so the first must start the text, the last end it, and each
    other is found leftmost after the one before, without backtracking. (A
    regex with `.*` per star backtracked: `*a*a*a*a*a*a*a*a*a*a*b` against a
    40-character name ran for minutes, and both come from untrusted files.)
    """
    runs = _glob_runs(pattern)
    if len(runs) == 1:
        return runs[0][1].fullmatch(text) is not None
    if sum(length for length, _ in runs) > len(text):
        return False
    (_, first), *middle, (last_length, last) = runs
    head = first.match(text)
    end = len(text) - last_length
    if head is None or last.fullmatch(text, end) is None:
        return False
    start = head.end()
    for _, run in middle:
        found = run.search(text, start, end)
        if found is None:
            return False
        start = found.end()
    return True


def is_glob(text: str) -> bool:
    return "*" in text or "?" in text


@dataclass(frozen=True)
class TermSelector:
    """One item of a table's `keep`, `drop`, `order` or `label`: exact coefficient names, or a glob.

    An expression names exact coefficients (`L(n, 1:2)` stands for `L1.n` and
    `L2.n`); a string with `*` or `?` is a glob over the coefficient names the
    fitted models report (`"W(*)"`, `"year[*]"`), any other string one exact
    name (`"C(g)[T.1]"`, `"L1.n"`).
    """

    kind: str  # "keep", "drop", "order", "label" or "digits" (one row's digits)
    text: str  # as written, for messages
    names: tuple[str, ...] = ()  # exact names; empty for a glob
    pattern: str = ""  # the glob; "" for exact names
    label: str = ""  # the label, for kind "label"
    digits: int = 0  # the row's digits, for kind "digits"
    span: Span | None = field(default=None, compare=False)

    def matches(self, term: str) -> bool:
        if self.pattern:
            return glob_match(self.pattern, term)
        return term in self.names


@dataclass(frozen=True)
class TableSpec:
    """A table declaration after checking: every option explicit."""

    name: str
    title: str
    models: tuple[str, ...]
    labels: tuple[tuple[str, str], ...] = ()  # (term, label) pairs, in spec order
    stat: str = "t"  # what goes in parentheses: "t", "se", "p", or "none" for coefficients alone
    stars: tuple[float, ...] = (0.10, 0.05, 0.01)
    keep: tuple[str, ...] = ()  # terms to show (empty = all)
    drop: tuple[str, ...] = ()  # terms to hide
    order: tuple[str, ...] = ()  # terms to put first, in this order
    notes: tuple[str, ...] = ()  # free-text notes from the spec
    fit_stats: tuple[str, ...] = ()  # rows of Result.stats keys to show
    significant_only: bool = False  # for sweep tables
    layout: str = "models"  # "models" (Tables 1-4) or "sweep" (Tables 5-6)
    show: str = "coefficients"  # "impacts": spatial lag models' direct/indirect/total effects in place of coefficients
    selectors: tuple[TermSelector, ...] = ()  # keep/drop/order/label/row-digits items with their spans, in spec order
    digits: int | None = None  # `digits 3`: every number with 3 decimals (None: the paper's defaults)
    significant_figures: bool = False  # `digits 3 sig`: 3 significant figures instead
    rows: tuple[tuple[str, tuple[str, ...]], ...] = ()  # `row "Controls" = "Yes", "No"`: (label, one text per model)
    vcov_row: bool = False  # `vcov row`: each column's variance as a row above the fit statistics
    second_stat: str = ""  # `stat se, p`: a second statistic, in brackets under the first
    fit_labels: tuple[tuple[str, str], ...] = ()  # `fit r2 "R²"`: (statistic, row label)
    fit_digits: tuple[tuple[str, int], ...] = ()  # `fit r2 "R²" digits 3`: (statistic, decimals or figures)
    fe_rows: int | None = None  # `row fe`: the Yes/No rows of absorbed effects go before user row number N (None: no rows)
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # `group "Income" = m3, m4`: a header spanning adjacent models
    panels: tuple[tuple[str, tuple[str, ...]], ...] = ()  # `panel "A. 2004" = m1, m2`: model sets stacked, one per panel
    fit_width: bool = False  # `fit width`: the table as wide as the text, stub and headers wrapped
    fit_style: str = ""  # `fit width small` (also a smaller font) or `fit width scale` (shrunk to the text width, no wrapping)
    landscape: bool = False  # `landscape`: the table turned sideways on its own page
    grid: tuple[str, ...] = ()  # `layout sweep c by w`: (row variable, column variable) of a product sweep; () for one row per member


@dataclass(frozen=True)
class FigureSpec:
    """A figure declaration after checking: every option explicit (docs/language.md, `figure`)."""

    name: str
    title: str
    kind: str  # "coef" (one marker per model and term), "sweep" (one point per sweep member), "impacts" or "curve" (a multiverse)
    models: tuple[str, ...]
    level: float = 0.95  # confidence level of the intervals
    labels: tuple[tuple[str, str], ...] = ()  # (term, label) pairs, in spec order
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    width: float | None = None  # inches; None: the article text width
    height: float | None = None  # inches; None: from the number of rows
    formats: tuple[str, ...] = ("pdf", "svg")
    style: str = "journal"
    selectors: tuple[TermSelector, ...] = ()  # keep/drop/order/label items with their spans, as a table's
    term: str = ""  # curve(): the coefficient drawn, as printed ("" for the sweep's focus, its first term)


@dataclass(frozen=True)
class DataPlan:
    """A data set: its file, its columns and its role.

    role "panel": the unit-level frame models are fitted on (unit, time,
    region link); "region": a table keyed by (region, time) whose columns are
    region-level variables; "source": raw records used only through functions
    such as clusters().
    """

    name: str
    path: str
    columns: tuple[str, ...]
    role: str
    unit: str | None = None
    time: str | None = None
    region: str | None = None  # panel: column linking units to regions; region: the key column
    span: s.Span | None = field(default=None, compare=False)
    na: tuple[str, ...] = ()  # cell texts that mean "missing" (the spec's na=)
    compression: str | None = None  # gzip, bz2, xz or zip when the spec asks; never guessed
    readable: bool = True  # False when the checker could not read the header (one error said; no cascade)


@dataclass(frozen=True)
class WeightsPlan:
    """A spatial weight matrix built from a long origin/destination table."""

    name: str
    path: str
    origin: str
    destination: str
    value: str
    transform: str = "inverse"  # w = 1 / value**alpha off the diagonal
    alpha: float = 1.0
    row_standardize: bool = False
    cutoff: float | None = None  # w = 0 where value > cutoff
    k: int | None = None  # keep only the k nearest (smallest value) per origin
    span: s.Span | None = field(default=None, compare=False)
    # contiguity builders (transform "queen", "rook"): path is the polygon file, origin its id column
    # coordinate builders (transform "knn", "distance_band", "kernel"): origin, destination, value hold
    # the region id column and the x and y coordinate columns; libpysal's options below
    threshold: float | None = None
    binary: bool = True
    bandwidth: float | None = None
    function: str = "triangular"
    fixed: bool = True

    @property
    def description(self) -> str:
        from povdsl.data.weights import describe_inverse

        if self.transform in ("queen", "rook"):
            name = self.path.rsplit("/", 1)[-1]
            return f"{self.transform} contiguity of the polygons in {name} (regions {self.origin})" + (", row-standardised" if self.row_standardize else ", binary")
        if self.transform != "inverse":
            return f"{self.transform}() on coordinates ({self.destination}, {self.value}) of {self.origin}" + (", row-standardised" if self.row_standardize else "")
        return describe_inverse(self.value, self.alpha, self.cutoff, self.k, self.row_standardize)


@dataclass(frozen=True)
class LetPlan:
    name: str
    expr: s.Expr  # validated
    level: str  # "region", "unit" or "scalar"
    span: s.Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ModelPlan:
    """One model with macros expanded and every estimator default explicit."""

    name: str
    label: str
    outcome: s.Expr
    terms: tuple[s.Expr, ...]  # right-hand-side terms as written, macros expanded, before interactions expand
    intercept: bool
    estimator: str
    layer: ModelTerms  # the typed, expanded terms every later stage reads (check/terms.py)
    options: tuple[tuple[str, OptionValue], ...] = ()
    entity: str | None = None
    time: str | None = None
    endog: tuple[s.Expr, ...] = ()  # expanded terms treated as endogenous
    instruments: tuple[s.Expr, ...] = ()  # excluded instruments
    where: s.Expr | None = None
    vcov_kind: str = "default"
    vcov_groups: tuple[str, ...] = ()
    dynamic: DynamicPanelSpec | None = None  # diffgmm/sysgmm: what the engine fits
    sweep_var: str | None = None  # a pending industries(...) clause: its variable and call (expanded after data load)
    sweep_over: s.Expr | None = None
    origins: tuple[tuple[str, str], ...] = ()  # (term text, macro name) for terms from macros
    span: s.Span | None = field(default=None, compare=False)
    axes: tuple[SweepAxis, ...] = ()  # a sweep declaration's `for` clauses, in order (empty: a plain model)
    members: tuple[SweepMember, ...] = ()  # its data-independent expansion, checked (check/sweeps.py)
    splits: tuple[tuple[str, str], ...] = ()  # pending split(column) clauses: (variable, column)

    @property
    def is_sweep(self) -> bool:
        return bool(self.axes)


@dataclass(frozen=True)
class SweepAxis:
    """One `for VAR in SOURCE` clause after checking (docs/sweeps.md)."""

    var: str
    kind: str  # a key of check.sweeps.SOURCES: list, stepwise, cumulative, weights set, industries, split
    source: str  # the source as printed, e.g. "cumulative(age, edu)"
    labels: tuple[str, ...] = ()  # the values' labels; empty for a data-dependent source


@dataclass(frozen=True)
class SweepMember:
    """One model of a sweep's check-stage expansion: the values it takes and its checked model.

    The model is concrete unless the declaration also has data-dependent
    clauses (`sweep_var` for industries, `splits`), which the estimate stage
    expands further once the data is read.
    """

    name: str
    values: tuple[tuple[str, str], ...]  # (variable, value label), in clause order
    model: ModelPlan


@dataclass(frozen=True)
class Plan:
    path: str
    data: tuple[DataPlan, ...]
    weights: tuple[WeightsPlan, ...]
    lets: tuple[LetPlan, ...]  # in dependency order
    macros: tuple[tuple[str, s.Expr], ...]
    models: tuple[ModelPlan, ...]
    tables: tuple[TableSpec, ...]
    figures: tuple[FigureSpec, ...] = ()

    def model(self, name: str) -> ModelPlan:
        return next(m for m in self.models if m.name == name)

    @property
    def panel(self) -> DataPlan | None:
        """The unit-level data set models are fitted on; a cross-section has unit and time None."""
        return next((d for d in self.data if d.role == "panel"), None)
