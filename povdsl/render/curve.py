"""Specification curves (issue 19, `figure f = curve(sweep, term=x)`): the figure model and its drawing.

A specification curve (Simonsohn, Simmons and Nelson 2020) shows every fit of
a multiverse: above, the estimates sorted from smallest to largest with their
confidence intervals (significant ones filled); below, one row per choice
(each value of each `for` clause) with a mark under every fit that made it.
The model (`curve_model`) holds the numbers and the marks as frozen records,
so tests check them without pixels; `draw_curve` only draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from povdsl.render.figure_model import Choice, FigureModel, Panel, Point, format_percent, result_points
from povdsl.render.figure_style import drawn

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from povdsl.estimate.result import Result

CHOICE_ROW_IN = 0.16  # inches per row of the choice panel
CURVE_PANEL_IN = 2.0  # inches of the estimates' panel


def curve_model(
    members: Sequence[tuple[tuple[tuple[str, str], ...], Result]],
    term: str,
    *,
    labels: Mapping[str, str] | None = None,
    name: str = "figure",
    title: str = "",
    level: float = 0.95,
    notes: Sequence[str] = (),
) -> FigureModel:
    """The curve of `term` over `members` ((variable, value) pairs with their Result); members lacking the term are left out."""
    labels = dict(labels or {})
    drawn: list[tuple[Point, tuple[tuple[str, str], ...]]] = []
    for values, result in members:
        row = "; ".join(labels.get(value, value) for _, value in values)
        for point in result_points(result, [term], {term: row}, "", level):
            drawn.append((point, values))
    drawn.sort(key=lambda pv: (pv[0].estimate, pv[0].row))
    points = tuple(p for p, _ in drawn)
    panel = Panel("", tuple(p.row for p in points), ("",), points, xlabel="Specifications, sorted by estimate", highlight=True)
    rows: dict[tuple[str, str], list[int]] = {}
    for position, (_, values) in enumerate(drawn):
        for variable, value in values:
            rows.setdefault((variable, value), []).append(position)
    order = {variable: i for i, (variable, _) in enumerate(dict.fromkeys((v, None) for _, values in drawn for v, _ in values))}
    ranked = sorted(rows.items(), key=lambda kv: order[kv[0][0]])  # stable: values keep their first-seen order within a clause
    choices = tuple(Choice(variable, labels.get(value, value), tuple(positions)) for (variable, value), positions in ranked)
    heading = labels.get(term, term)  # a curve's one panel is titled by its term, drawn as the y label
    return FigureModel(name, title, "curve", level, (Panel(heading, panel.rows, panel.series, panel.points, panel.xlabel, True),), tuple(notes), choices)


def curve_notes(level: float) -> list[str]:
    return [
        f"Upper panel: each specification's estimate with its {format_percent(level)} confidence interval, sorted from smallest to largest; "
        "filled markers are significant at that level, the dashed line marks zero. "
        "Lower panel: the choices each specification made."
    ]


def curve_height(model: FigureModel) -> float:
    return CURVE_PANEL_IN + 0.6 + CHOICE_ROW_IN * max(1, len(model.choices))


def draw_curve(fig: Figure, model: FigureModel) -> None:
    """The two panels on `fig` (already styled and sized by `figures.draw`)."""
    panel = model.panels[0]
    choice_rows = max(1, len(model.choices))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [CURVE_PANEL_IN, CHOICE_ROW_IN * choice_rows + 0.2]})
    _draw_estimates(top, panel)
    _draw_choices(bottom, model.choices, len(panel.points))


def _draw_estimates(ax: Axes, panel: Panel) -> None:
    xs = [float(i) for i in range(len(panel.points))]
    ys = [p.estimate for p in panel.points]
    errors = [[p.estimate - p.low for p in panel.points], [p.high - p.estimate for p in panel.points]]
    ax.axhline(0.0, color="0.5", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    bars = ax.errorbar(xs, ys, yerr=errors, fmt="none", ecolor="0.45", elinewidth=0.8, capsize=0, zorder=2)
    for collection in bars.lines[2]:
        collection.set_gid("interval-0")
    faces = ["0.1" if p.significant else "white" for p in panel.points]
    ax.scatter(xs, ys, marker="o", c=faces, edgecolors="0.1", linewidths=0.8, zorder=3, gid="estimate-0")
    ax.set_ylabel(drawn(panel.title), parse_math=False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", bottom=False, labelbottom=False)


def _draw_choices(ax: Axes, choices: Sequence[Choice], count: int) -> None:
    for row, choice in enumerate(choices):
        ax.scatter(list(choice.positions), [row] * len(choice.positions), marker="|", s=30, c="0.1", linewidths=1.0, gid=f"choice-{row}")
    ax.set_yticks(range(len(choices)), [drawn(c.row) for c in choices], parse_math=False)
    ax.set_ylim(len(choices) - 0.5, -0.5)
    ax.set_xlim(-0.5, count - 0.5)
    ax.set_xticks([])
    ax.set_xlabel("Specifications, sorted by estimate", parse_math=False)
    ax.spines["left"].set_visible(False)
