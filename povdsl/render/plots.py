"""Results -> figure models, and the public plotting calls `povdsl.coefplot` and `povdsl.sweepplot`.

The spec's `figure` declarations (via `povdsl.pipeline`) and the Python calls
build their figure models here, so a figure drawn from a notebook and one
written by `povdsl run` from the same results are the same figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from povdsl.check.plan import TableSpec, TermSelector
from povdsl.errors import PovdslError
from povdsl.render.figure_model import (
    FigureModel,
    Panel,
    coef_panel,
    format_percent,
    impacts_panel,
    member_label,
    sweep_panel,
)
from povdsl.render.figure_style import DEFAULT_STYLE
from povdsl.render.numbers import format_level
from povdsl.render.tables import (
    TableContext,
    context_notes,
    grouped_by_models,
    model_name,
    sentence,
)
from povdsl.render.term_selection import check_selectors, term_label, term_order
from povdsl.render.term_selection import selectors as selectors_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from povdsl.estimate.result import Result
    from povdsl.estimate.sweep import SweepResult

INTERCEPT = "Intercept"


def selection(
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    order: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    selectors: Sequence[TermSelector] = (),
) -> TableSpec:
    """keep/drop/order/labels as a table's selection, so a figure chooses and labels terms exactly as a table does
    (exact names or globs such as "W(*)"; see povdsl.render.term_selection)."""
    return TableSpec(
        name="", title="", models=(), keep=tuple(keep), drop=tuple(drop), order=tuple(order),
        labels=tuple((labels or {}).items()), selectors=tuple(selectors),
    )


def coef_terms(results: Sequence[Result], chosen: TableSpec) -> list[str]:
    """Terms to plot, chosen as a table chooses its rows; the intercept only when kept by name."""
    kept = [s for s in selectors_of(chosen) if s.kind == "keep"]
    return [t for t in term_order(chosen, results) if t != INTERCEPT or any(INTERCEPT in s.names for s in kept)]


def coef_model(
    results: Sequence[Result],
    *,
    name: str = "figure",
    title: str = "",
    level: float = 0.95,
    chosen: TableSpec | None = None,
    names: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> FigureModel:
    """A coefficient plot: one row per term, one marker per model, intervals at `level`."""
    _check_level(level)
    chosen = chosen or selection()
    series = _unique([names[i] if i < len(names) else model_name(r, i) for i, r in enumerate(results)])
    terms = coef_terms(results, chosen)
    panel = coef_panel(results, series, terms, {t: term_label(t, chosen) for t in terms}, level)
    return FigureModel(name, title, "coef", level, (panel,), tuple(notes))


def impacts_model(
    results: Sequence[Result],
    *,
    name: str = "figure",
    title: str = "",
    level: float = 0.95,
    chosen: TableSpec | None = None,
    titles: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> FigureModel:
    """Impacts of spatial lag models: per model a panel, one row per regressor, direct/indirect/total side by side."""
    _check_level(level)
    chosen = chosen or selection()
    terms = coef_terms(results, chosen)
    labels = {t: term_label(t, chosen) for t in terms}
    panels = tuple(
        impacts_panel(titles[i] if i < len(titles) else (model_name(r, i) if len(results) > 1 else ""), r, terms, labels, level)
        for i, r in enumerate(results)
    )
    return FigureModel(name, title, "impacts", level, panels, tuple(notes))


def sweep_model(
    sweeps: Sequence[SweepResult],
    *,
    titles: Sequence[str] = (),
    name: str = "figure",
    title: str = "",
    level: float = 0.95,
    notes: Sequence[str] = (),
) -> FigureModel:
    """A sweep plot: per sweep a panel with one row per member, sorted by estimate."""
    _check_level(level)
    panels: list[Panel] = []
    for i, sweep in enumerate(sweeps):
        members = [(member_label(item.name, item.code), item.result) for item in sweep.items]
        heading = titles[i] if i < len(titles) else (sweep.model if len(sweeps) > 1 else "")
        panels.append(sweep_panel(heading, members, sweep.focus, level))
    return FigureModel(name, title, "sweep", level, tuple(panels), tuple(notes))


# ------------------------------------------------------------------ public


def coefplot(
    results: Sequence[Result] | Result,
    *,
    level: float = 0.95,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    order: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    names: Sequence[str] = (),
    width: float | None = None,
    height: float | None = None,
    style: object = DEFAULT_STYLE,
) -> Figure:
    """A coefficient plot of one or more Results, as a matplotlib Figure.

    One row per term (`keep`/`drop`/`order` choose them as in tables: the
    Results' term names or globs such as "W(*)"; the intercept is left out
    unless kept by name; an item matching nothing raises SpecError E197), one
    marker per model with its `level` confidence interval, and a line at zero.
    `labels` maps term names to the text shown, `names` names the models
    (default: their labels in the spec, else "(1)", "(2)", ...). Sizes are inches; the default
    width is LaTeX's article text width. `style` is "journal" (default),
    "slides", or any matplotlib style (name, file or dict) laid over journal.
    Save with `povdsl.save_figure` for byte-identical files.
    """
    from povdsl.render.figures import draw

    listed = _results(results, "coefplot")
    _check_arguments(level, width, height, style)
    if names and len(names) != len(listed):
        raise FigureArgumentError(f"names has {len(names)} entries for {len(listed)} results")
    chosen = selection(keep, drop, order, labels)
    check_selectors(chosen, listed, [])
    model = coef_model(listed, level=level, chosen=chosen, names=names)
    return draw(model, width=width, height=height, style=style)


def sweepplot(
    sweeps: Sequence[SweepResult] | SweepResult,
    *,
    level: float = 0.95,
    titles: Sequence[str] = (),
    width: float | None = None,
    height: float | None = None,
    style: object = DEFAULT_STYLE,
) -> Figure:
    """A sweep plot (e.g. `povdsl.run(...).sweeps["inc04_3"]`), as a matplotlib Figure.

    One point per sweep member with its `level` confidence interval, sorted by
    estimate, members significant at 1 - level filled and the others hollow,
    labelled by the members' names; several sweeps are stacked panels titled
    by `titles` (default: the sweeps' model names).
    """
    from povdsl.estimate.sweep import SweepResult
    from povdsl.render.figures import draw

    listed = list(sweeps) if isinstance(sweeps, Sequence) else [sweeps]
    if not listed or not all(isinstance(s, SweepResult) for s in listed):
        raise FigureArgumentError("sweepplot takes sweeps, e.g. povdsl.run(spec).sweeps['inc04_3']; for Results use coefplot")
    _check_arguments(level, width, height, style)
    return draw(sweep_model(listed, titles=titles, level=level), width=width, height=height, style=style)


def impactsplot(
    results: Sequence[Result] | Result,
    *,
    level: float = 0.95,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    order: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    titles: Sequence[str] = (),
    width: float | None = None,
    height: float | None = None,
    style: object = DEFAULT_STYLE,
) -> Figure:
    """Direct, indirect and total impacts of spatial lag models (`sar`, `sdm`, `sac`), as a matplotlib Figure.

    Per model a panel (titled by `titles`, default the models' labels when
    there are several), one row per regressor chosen as in `coefplot`, the
    three impacts side by side with `level` intervals from their simulated
    standard errors (normal quantile, as their p-values).
    """
    from povdsl.render.figures import draw

    listed = _results(results, "impactsplot")
    _check_arguments(level, width, height, style)
    # SEM and SLX Results carry exact impacts too (for tables), but this figure is of the lag models' simulated ones
    missing = [model_name(r, i) for i, r in enumerate(listed) if r.impacts is None or r.estimator not in ("sar", "sdm", "sac")]
    if missing:
        raise FigureArgumentError(f"no impacts in {', '.join(missing)}: impacts come from spatial lag models (sar, sdm, sac)")
    chosen = selection(keep, drop, order, labels)
    check_selectors(chosen, listed, [])
    return draw(impacts_model(listed, level=level, chosen=chosen, titles=titles), width=width, height=height, style=style)


def save_figure(fig: Figure, path: str | Path, fmt: str | None = None) -> Path:
    """Write `fig` to `path` (format from the suffix unless `fmt` is given) with deterministic bytes."""
    from povdsl.render.figures import figure_bytes

    target = Path(path)
    data = figure_bytes(fig, fmt or target.suffix.lstrip(".").lower())
    target.write_bytes(data)
    return target


class FigureArgumentError(PovdslError, ValueError):
    """A bad argument of a public plotting call: a povdsl error, and still the ValueError it used to be."""


def _results(results: object, call: str) -> list[Result]:
    from povdsl.estimate.result import Result

    listed = [results] if isinstance(results, Result) else list(results) if isinstance(results, Sequence) else []
    if not listed or not all(isinstance(r, Result) for r in listed):
        raise FigureArgumentError(f"{call} takes a Result or a list of them (from povdsl.fit or povdsl.run(...).results)")
    return listed


def _check_arguments(level: object, width: object, height: object, style: object) -> None:
    """The public calls' numbers and style, refused as povdsl errors before matplotlib raises its own."""
    import math

    from povdsl.render.figure_style import STYLES

    _check_level(level)
    for name, value in (("width", width), ("height", height)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0):
            raise FigureArgumentError(f"{name} is a size in inches above 0, got {value!r}")
    if isinstance(style, str) and style not in STYLES:
        import matplotlib.style

        if style not in matplotlib.style.available and not Path(style).is_file():
            raise FigureArgumentError(f"unknown style {style!r}; use {', '.join(STYLES)}, a matplotlib style name or a .mplstyle file")


def _check_level(level: object) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise FigureArgumentError(f"level must lie between 0 and 1, e.g. 0.95; got {level!r}")


def _unique(names: list[str]) -> list[str]:
    """Model names as series keys; a repeated name gets its position appended."""
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        out.append(n if n not in seen else f"{n} ({i + 1})")
        seen[n] = i
    return out


# ------------------------------------------------------------------- notes


def figure_notes(kind: str, level: float, variances: Sequence[tuple[str, str]], context: TableContext, notes: Sequence[str] = ()) -> tuple[str, ...]:
    """A figure's notes, built as a table's are: what the marks mean, the variances, then the spec's context.

    `variances` pairs each model's name with its variance description.
    """
    if kind == "impacts":
        out = [
            "Markers are average direct, indirect (spillover) and total impacts (LeSage and Pace 2009), "
            f"bars {format_percent(level)} confidence intervals from their simulated standard errors; the dashed line marks zero."
        ]
    else:
        out = [f"Markers are estimates, bars {format_percent(level)} confidence intervals; the dashed line marks zero."]
    if kind in ("sweep", "curve"):
        out.append(f"Filled markers: p < {format_level(1 - level)}; hollow markers: not significant at that level.")
    if kind == "curve":
        out.append("Upper panel: one estimate per specification, sorted from smallest to largest; lower panel: the choices each specification made.")
    if len({v for _, v in variances}) == 1:
        out += sentence("Standard errors: ", variances[0][1])
    elif variances:
        out += sentence("Standard errors: ", grouped_by_models(variances))
    out += context_notes(context)
    out += list(notes)
    return tuple(out)
