"""The figure model: what a figure shows, as frozen records of numbers and labels.

Like the table model, this is decided once and drawn by `povdsl.render.figures`,
which knows matplotlib and nothing about Results; so the plotted data can be
tested without drawing, and a drawing can be checked against it.

Confidence intervals use the reference distribution of the Result's own
p-values: a Result carries t statistics and p-values but not the degrees of
freedom behind them (statsmodels' OLS uses t(n-k) or t(G-1), linearmodels and
the logits the normal), so the distribution is read back from a (t, p) pair.
An interval then excludes zero exactly when the table marks the coefficient
significant at 1 - level.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from povdsl.estimate.result import Result

NORMAL = None  # reference_df() result for the standard normal
IMPACT_KINDS = ("direct", "indirect", "total")  # columns of Result.impacts, with _se and _pvalue beside each
MEMBER_LABEL_WIDTH = 48  # characters of a sweep member's name kept on the axis


@dataclass(frozen=True)
class Point:
    """One estimate with its confidence interval."""

    row: str  # the row it is drawn on: a term label (coef plots) or a member name (sweeps)
    series: str  # the model it comes from ("" when there is one series)
    estimate: float
    low: float
    high: float
    pvalue: float
    significant: bool  # p < 1 - level


@dataclass(frozen=True)
class Panel:
    """One axes: rows top to bottom, one marker per (row, series)."""

    title: str  # "" for a single-panel figure
    rows: tuple[str, ...]
    series: tuple[str, ...]
    points: tuple[Point, ...]
    xlabel: str = ""
    highlight: bool = False  # sweep plots: significant points filled, the rest hollow


@dataclass(frozen=True)
class Choice:
    """A specification curve's lower panel: one value of one `for` clause, and the positions
    (0 = smallest estimate) of the fits that take it (povdsl.render.curve)."""

    variable: str
    row: str  # the value's label
    positions: tuple[int, ...]


@dataclass(frozen=True)
class FigureModel:
    """Everything a figure draws; `kind` is "coef", "sweep", "impacts" or "curve"."""

    name: str
    title: str
    kind: str
    level: float
    panels: tuple[Panel, ...]
    notes: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()  # curves: the choices under the sorted estimates


# ------------------------------------------------------------- intervals


def reference_df(tstats: Sequence[float], pvalues: Sequence[float]) -> float | None:
    """Degrees of freedom of the t distribution behind the p-values, or None for the normal.

    Read from the best-conditioned (t, p) pair: the one whose p is nearest 0.05
    (p near 1 or below 1e-12 says little about the tails). Integral df are
    returned exactly, since every backend uses whole degrees of freedom.
    scipy.special's distribution functions (what scipy.stats' norm and t
    call), not scipy.stats: a run served from the fit cache never imports it.
    """
    from scipy import special

    pairs = [(abs(t), p) for t, p in zip(tstats, pvalues) if math.isfinite(t) and math.isfinite(p) and 1e-12 < p < 0.999 and abs(t) > 1e-3]
    if not pairs:
        return NORMAL
    t, p = min(pairs, key=lambda tp: abs(math.log(tp[1] / 0.05)))
    normal = 2 * special.ndtr(-t)
    if abs(normal - p) <= 1e-9 * p:
        return NORMAL

    def gap(df: float) -> float:
        return math.log(2 * special.stdtr(df, -t)) - math.log(p)

    if gap(0.5) * gap(1e9) > 0:  # p is not a t tail at all: keep the normal
        return NORMAL
    df = float(special.stdtridf(p / 2, -t))  # the df whose lower tail at -t is p / 2
    if not math.isfinite(df):
        return NORMAL
    return float(round(df)) if abs(df - round(df)) < 1e-3 * max(1.0, df) else df


def critical_value(level: float, df: float | None) -> float:
    """The two-sided quantile for a `level` interval (e.g. 1.96 for 0.95 under the normal)."""
    from scipy import special

    q = (1 + level) / 2
    return float(special.ndtri(q) if df is None else special.stdtrit(df, q))


def result_points(result: Result, terms: Sequence[str], labels: dict[str, str], series: str, level: float) -> list[Point]:
    """Points for `terms` of one Result (terms it lacks are left out)."""
    df = reference_df(result.tstats.tolist(), result.pvalues.tolist())
    z = critical_value(level, df)
    points = []
    for term in terms:
        if term not in result.params.index:
            continue
        b, se, p = float(result.params[term]), float(result.std_errors[term]), float(result.pvalues[term])
        points.append(Point(labels.get(term, term), series, b, b - z * se, b + z * se, p, p < 1 - level))
    return points


def member_label(name: str, code: str) -> str:
    """A sweep member on the axis: its name, shortened to fit, or its code when it has no name."""
    return textwrap.shorten(name or code, MEMBER_LABEL_WIDTH, placeholder="…")


def coef_panel(results: Sequence[Result], series: Sequence[str], terms: Sequence[str], labels: dict[str, str], level: float) -> Panel:
    """One row per term (in `terms` order), one series per model."""
    points = [pt for r, name in zip(results, series) for pt in result_points(r, terms, labels, name, level)]
    rows = tuple(dict.fromkeys(labels.get(t, t) for t in terms))
    return Panel("", rows, tuple(series), tuple(points), xlabel=f"Estimate and {format_percent(level)} confidence interval")


def sweep_panel(title: str, members: Sequence[tuple[str, Result]], focus: str, level: float) -> Panel:
    """One row per member, sorted by estimate (largest on top), significant ones highlighted."""
    points = []
    for label, result in members:
        (pt,) = result_points(result, [focus], {focus: label}, "", level)
        points.append(pt)
    points.sort(key=lambda pt: (-pt.estimate, pt.row))
    rows = tuple(pt.row for pt in points)
    return Panel(title, rows, ("",), tuple(points), xlabel=f"Coefficient and {format_percent(level)} confidence interval", highlight=True)


def impacts_panel(title: str, result: Result, terms: Sequence[str], labels: dict[str, str], level: float) -> Panel:
    """One row per regressor, its direct, indirect and total impacts side by side.

    Impacts' standard errors come from simulated draws and their p-values are
    the normal ones (povdsl.estimate.spatial.impacts), so the intervals use the normal quantile.
    """
    table = result.impacts
    z = critical_value(level, NORMAL)
    shown = [t for t in terms if table is not None and t in table.index]
    points = []
    for term in shown:
        for kind in IMPACT_KINDS:
            b, se, p = (float(table.loc[term, key]) for key in (kind, f"{kind}_se", f"{kind}_pvalue"))  # type: ignore[union-attr]
            points.append(Point(labels.get(term, term), kind.capitalize(), b, b - z * se, b + z * se, p, p < 1 - level))
    rows = tuple(dict.fromkeys(labels.get(t, t) for t in shown))
    series = tuple(k.capitalize() for k in IMPACT_KINDS)
    return Panel(title, rows, series, tuple(points), xlabel=f"Impact and {format_percent(level)} confidence interval")


def format_percent(level: float) -> str:
    """0.95 -> "95%", 0.975 -> "97.5%"."""
    return f"{level * 100:.10g}%"
