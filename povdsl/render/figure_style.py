"""Figure styles and output formats: plain data, importable without matplotlib.

The checker validates `style` and `format` options against these tables, so
`povdsl check` knows every allowed value without loading matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# LaTeX's article class at 10pt sets \textwidth to 345pt; a figure this wide
# is included at its natural size there, so its 9pt text matches 10pt body text.
TEXT_WIDTH_IN = 345 / 72.27
ROW_HEIGHT_IN = 0.13  # per row of a one-series panel (a sweep: 36 industries in under 6 inches)
SERIES_HEIGHT_IN = 0.1  # more per row for each further series side by side in it
MARGIN_IN = 0.85  # per panel: axis, tick labels, x label (and title)
LEGEND_IN = 0.25
MIN_HEIGHT_IN = 1.6

# Output formats: name -> file suffix. PDF and SVG are vectors (LaTeX, web); PNG on request.
FIGURE_FORMATS: Mapping[str, str] = MappingProxyType({"pdf": ".pdf", "svg": ".svg", "png": ".png"})
DEFAULT_FORMATS = ("pdf", "svg")
PNG_DPI = 300

# Settings that make the bytes depend on nothing but the figure; applied last, under every style.
DETERMINISTIC = MappingProxyType(
    {
        "svg.hashsalt": "povdsl",  # ids of clip paths and glyphs are hashes of this salt, not random
        "svg.fonttype": "path",  # text as outlines: no font needed to view, the same bytes everywhere
        "pdf.fonttype": 42,  # TrueType subsets: journals refuse Type 3 fonts
        "pdf.compression": 6,
        "path.simplify": False,
    }
)

_SERIF = ["cmr10", "DejaVu Serif"]  # Computer Modern as LaTeX sets it, both shipped with matplotlib

# name -> rcParams. "journal": serif like LaTeX's, black and grey only, no grid, no frame on top/right.
STYLES: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "journal": MappingProxyType(
            {
                "font.family": _SERIF,  # a list: glyphs cmr10 lacks come from DejaVu Serif
                "mathtext.fontset": "cm",
                "axes.formatter.use_mathtext": True,  # cmr10 has no minus sign outside math text
                "axes.unicode_minus": True,
                "font.size": 9,
                "axes.labelsize": 9,
                "axes.titlesize": 9,
                "xtick.labelsize": 8,
                "ytick.labelsize": 8,
                "legend.fontsize": 8,
                "axes.linewidth": 0.6,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "axes.grid": False,
                "axes.edgecolor": "black",
                "xtick.major.width": 0.6,
                "ytick.major.width": 0.6,
                "xtick.major.size": 3,
                "ytick.major.size": 0,
                "xtick.direction": "out",
                "lines.linewidth": 0.9,
                "lines.markersize": 4,
                "legend.frameon": False,
                "figure.facecolor": "white",
                "savefig.facecolor": "white",
            }
        ),
        # the same marks for slides: sans serif and larger text
        "slides": MappingProxyType(
            {
                "font.family": "sans-serif",
                "font.sans-serif": ["DejaVu Sans"],
                "font.size": 12,
                "axes.labelsize": 12,
                "axes.titlesize": 12,
                "xtick.labelsize": 11,
                "ytick.labelsize": 11,
                "legend.fontsize": 11,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "axes.grid": False,
                "ytick.major.size": 0,
                "legend.frameon": False,
                "lines.markersize": 6,
            }
        ),
    }
)
DEFAULT_STYLE = "journal"

# Greyscale-safe series: told apart by marker shape and fill, never by colour alone.
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">")
SERIES_GREYS = ("0.0", "0.35", "0.55", "0.0", "0.35", "0.55", "0.0", "0.35", "0.55")


def default_height(rows: list[int], series: list[int]) -> float:
    """Enough height for stacked panels of `rows[i]` rows with `series[i]` markers each."""
    height = sum(MARGIN_IN + r * (ROW_HEIGHT_IN + SERIES_HEIGHT_IN * (n - 1)) for r, n in zip(rows, series))
    legend = LEGEND_IN if series and series[0] > 1 else 0.0
    return max(MIN_HEIGHT_IN, height + legend)


# Characters of one text matplotlib lays out (a row label, a title, a series name). Layout and
# saving cost time and memory in the characters: a 300,000-character label took 45 CPU seconds
# and 850 MB for three formats. A longer text is cut, with "..." (it could not fit the page anyway).
MAX_DRAWN_CHARACTERS = 300


def drawn(text: str) -> str:
    """`text` as it is drawn: cut to MAX_DRAWN_CHARACTERS."""
    return text if len(text) <= MAX_DRAWN_CHARACTERS else text[: MAX_DRAWN_CHARACTERS - 3] + "..."
