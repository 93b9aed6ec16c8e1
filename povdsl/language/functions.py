"""The closed list of functions a spec may call, and where each may appear.

This list is the security boundary of the expression language (docs/security.md):
the checker refuses any call not named here, so nothing a spec says can reach
Python beyond these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMULA = "formula"  # a term on either side of `~`
VALUE = "value"  # arithmetic: let, where, inside I() and log()
LET = "let"  # only at the top of a let


@dataclass(frozen=True)
class Function:
    name: str
    contexts: frozenset[str]
    min_args: int
    max_args: int
    keywords: frozenset[str] = frozenset()
    doc: str = ""


def _fn(name, contexts, min_args, max_args=None, keywords=(), doc=""):
    return Function(name, frozenset(contexts), min_args, max_args if max_args is not None else min_args, frozenset(keywords), doc)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        _fn("log", {FORMULA, VALUE}, 1, doc="natural logarithm"),
        _fn("exp", {FORMULA, VALUE}, 1, doc="exponential"),
        _fn("sqrt", {FORMULA, VALUE}, 1, doc="square root"),
        _fn("abs", {FORMULA, VALUE}, 1, doc="absolute value"),
        _fn("I", {FORMULA}, 1, doc="arithmetic inside a formula, e.g. I(age**2)"),
        _fn("C", {FORMULA}, 1, doc="treat a variable as categorical"),
        _fn("W", {FORMULA, VALUE}, 2, doc="spatial lag: sum_j w[r, j] * x[j, t] over all regions"),
        _fn("L", {FORMULA}, 2, doc="lag within unit by the time index: L(x, 1) or L(x, 1:3)"),
        _fn("D", {FORMULA}, 1, doc="first difference within unit: x[t] - x[t-1]"),
        _fn("mean", {VALUE}, 1, 2, doc="mean of x, optionally over the rows where a condition holds"),
        _fn("median", {VALUE}, 1, 2, doc="median of x, optionally over the rows where a condition holds"),
        _fn(
            "clusters",
            {LET},
            1,
            1,
            keywords=("digits", "lq", "min_firms", "min_employment", "industry"),
            doc="number of industrial clusters per region and year (location-quotient rule)",
        ),
    )
}

# Functions of declarations, not of expressions.
SOURCE_FUNCTIONS = frozenset({"bundled", "industries", "stepwise", "cumulative", "stepwise0", "cumulative0", "split"})  # all but bundled: sweep sources
DATA_OPTIONS = {"panel": (2, 2), "key": (2, 2), "region": (1, 1)}
KERNELS = ("triangular", "uniform", "quadratic", "quartic", "gaussian")  # libpysal Kernel functions
WEIGHT_BUILDERS = {
    "inverse": frozenset({"alpha", "row_standardize", "cutoff", "k"}),
    # from region coordinates, by libpysal (the `spatial` extra): file, region, x, y
    "knn": frozenset({"k", "row_standardize"}),
    "distance_band": frozenset({"threshold", "binary", "alpha", "row_standardize"}),
    "kernel": frozenset({"bandwidth", "k", "function", "fixed", "row_standardize"}),
    # from region polygons, by libpysal: file (.shp or .geojson), region id column
    "queen": frozenset({"row_standardize"}),
    "rook": frozenset({"row_standardize"}),
}
CLUSTER_DEFAULTS = {"digits": 4, "lq": 1.25, "min_firms": 10, "min_employment": 0}
