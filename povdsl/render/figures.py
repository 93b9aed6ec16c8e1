"""Draw a `FigureModel` with matplotlib, and save it as deterministic bytes.

matplotlib is imported here only, and this module is imported only when a
figure is drawn, so `import povdsl` and `povdsl check` never load it. Figures
are made with `matplotlib.figure.Figure` directly (no pyplot): no backend is
selected, no display is needed, and nothing is registered globally.

Deterministic bytes: PDF metadata without dates or producer version, SVG
element ids hashed from a fixed salt and text as paths, PNG without the
Software chunk (`DETERMINISTIC` and `_METADATA`).

Every text from the spec (row labels, panel titles, series names, and
industry names from its data) is drawn with `parse_math=False`: matplotlib
would read "$...$" in it as mathtext, so `$\\frac$` was a traceback and a
nested `$x^{y^{...}}$` unbounded work. Only matplotlib's tick numbers use
mathtext.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.style
from matplotlib.figure import Figure

from povdsl.quiet import quiet_logger
from povdsl.render.figure_model import FigureModel, Panel
from povdsl.render.figure_style import (
    DEFAULT_STYLE,
    DETERMINISTIC,
    FIGURE_FORMATS,
    PNG_DPI,
    SERIES_GREYS,
    SERIES_MARKERS,
    STYLES,
    TEXT_WIDTH_IN,
    default_height,
    drawn,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_METADATA: Mapping[str, Mapping[str, object]] = {
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": "povdsl"},
    "svg": {"Date": None, "Creator": "povdsl"},
    "png": {"Software": None},
}
FONT_LOGGER = "fontTools.ttLib.tables._h_e_a_d"  # complains about the 1990s dates in matplotlib's cmr10
DODGE = 0.42  # vertical room a row gives its series (in row units)


@contextmanager
def style_context(style: object = DEFAULT_STYLE) -> Iterator[None]:
    """rcParams for drawing and saving: a povdsl style by name, or any matplotlib style on top of journal.

    A povdsl name ("journal", "slides") comes from `STYLES`; anything else
    (a matplotlib style name, a .mplstyle path, a dict) is what
    `matplotlib.style.use` accepts — the Python API only; a spec names povdsl styles.
    """
    layers: list[Any] = [dict(STYLES[style])] if isinstance(style, str) and style in STYLES else [dict(STYLES[DEFAULT_STYLE]), style]
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # the user's matplotlibrc must not change the bytes
        matplotlib.style.use(layers)
        matplotlib.rcParams.update(dict(DETERMINISTIC))  # type: ignore[arg-type]
        yield


def draw(model: FigureModel, *, width: float | None = None, height: float | None = None, style: object = DEFAULT_STYLE) -> Figure:
    """The figure for `model`; `width` and `height` in inches (default: article text width, height by rows)."""
    width = width or TEXT_WIDTH_IN
    if model.kind == "curve":
        from povdsl.render.curve import curve_height, draw_curve

        height = height or curve_height(model)
    else:
        height = height or default_height([len(p.rows) for p in model.panels], [len(p.series) for p in model.panels])
    with style_context(style):
        fig = Figure(figsize=(width, height), layout="constrained")
        if model.kind == "curve":
            draw_curve(fig, model)
        else:
            ratios = [max(1, len(p.rows) * len(p.series)) + 4 for p in model.panels]  # + room for axis and title
            axes = fig.subplots(len(model.panels), 1, squeeze=False, gridspec_kw={"height_ratios": ratios})[:, 0]
            for ax, panel in zip(axes, model.panels):
                _draw_panel(ax, panel)
            if len(model.panels[0].series) > 1:  # one legend, above the first panel
                legend = axes[0].legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(4, len(model.panels[0].series)), handletextpad=0.3, columnspacing=1.2)
                for text in legend.get_texts():
                    text.set_parse_math(False)
        # Lay out once and freeze: constrained layout run again at each save
        # moves axes by rounding errors, and the SVG's clip ids change with them.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    fig.povdsl_style = style  # type: ignore[attr-defined]  # so figure_bytes saves under the same rcParams
    return fig


def _draw_panel(ax: Axes, panel: Panel) -> None:
    nseries = len(panel.series)
    offsets = [0.0] if nseries == 1 else [DODGE * (0.5 - i / (nseries - 1)) for i in range(nseries)]
    row_of = {row: i for i, row in enumerate(panel.rows)}
    ax.axvline(0.0, color="0.5", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    for k, series in enumerate(panel.series):
        points = [pt for pt in panel.points if pt.series == series]
        if panel.highlight:  # one series: the i-th point is on the i-th row
            ys = [float(i) for i in range(len(points))]
        else:
            ys = [row_of[pt.row] - offsets[k] for pt in points]
        xs = [pt.estimate for pt in points]
        errors = [[pt.estimate - pt.low for pt in points], [pt.high - pt.estimate for pt in points]]
        grey, marker = SERIES_GREYS[k % len(SERIES_GREYS)], SERIES_MARKERS[k % len(SERIES_MARKERS)]
        bars = ax.errorbar(xs, ys, xerr=errors, fmt="none", ecolor=grey, elinewidth=0.8, capsize=0, zorder=2)
        for collection in bars.lines[2]:  # ids in the SVG, and handles for tests of the plotted data
            collection.set_gid(f"interval-{k}")
        if panel.highlight:
            faces = [grey if pt.significant else "white" for pt in points]
            ax.scatter(xs, ys, marker=marker, c=faces, edgecolors=grey, linewidths=0.8, zorder=3, gid=f"estimate-{k}", label=drawn(series) or None)
        else:
            ax.plot(xs, ys, linestyle="none", marker=marker, color=grey, markerfacecolor=grey, zorder=3, gid=f"estimate-{k}", label=drawn(series) or None)
    ax.set_yticks(range(len(panel.rows)), [drawn(row) for row in panel.rows], parse_math=False)
    ax.set_ylim(len(panel.rows) - 0.5, -0.5)  # first row on top
    ax.set_xlabel(drawn(panel.xlabel), parse_math=False)
    ax.spines["left"].set_visible(False)
    if panel.title:
        ax.set_title(drawn(panel.title), loc="left", parse_math=False)


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure in `fmt` ("pdf", "svg", "png"): same figure, same bytes."""
    if fmt not in FIGURE_FORMATS:
        from povdsl.render.formats import FormatError

        raise FormatError(f"unknown figure format {fmt!r}; choose one of {', '.join(FIGURE_FORMATS)}")
    buffer = io.BytesIO()
    with style_context(getattr(fig, "povdsl_style", DEFAULT_STYLE)), quiet_logger(FONT_LOGGER):
        options: dict[str, object] = {"format": fmt, "metadata": dict(_METADATA[fmt])}
        if fmt == "png":
            options["dpi"] = PNG_DPI
        fig.savefig(buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()
