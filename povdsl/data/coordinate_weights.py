"""Weight matrices from region coordinates, built by libpysal: knn, distance_band, kernel.

`weights w = knn(file, id, x, y, k=5)` reads one row per region (its id and
coordinates) and asks libpysal for the neighbours; the result is povdsl's
sparse Weights like any inverse() matrix, so W() and the spatial estimators
take it alike. libpysal is the optional `spatial` extra, imported here only.
Kernel weights get a zero diagonal: a spatial lag must not include the
region itself (libpysal's kernels put K(0) there).

The coordinates file is untrusted and small files can ask for n^2 links
(`k=19999`, a band or bandwidth wider than the map), so `_links_within` and
`_nearest` count the links a call would make (scipy's cKDTree counts pairs
within a distance without forming them) and refuse more than MAX_LINKS
before libpysal builds anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from povdsl.data.weights import MAX_LINKS, Weights
from povdsl.errors import DataError
from povdsl.language.functions import KERNELS

BUILDERS = ("knn", "distance_band", "kernel")


def from_coordinates(
    table: pd.DataFrame,
    region: str,
    x: str,
    y: str,
    builder: str,
    *,
    k: int | None = None,
    threshold: float | None = None,
    binary: bool = True,
    alpha: float = -1.0,
    bandwidth: float | None = None,
    function: str = "triangular",
    fixed: bool = True,
    row_standardize: bool = False,
) -> Weights:
    """Weights over the regions of ``table`` from their (x, y) coordinates."""
    for column in (region, x, y):
        if column not in table.columns:
            raise DataError(f"column '{column}' not found in the coordinates table")
    if table[region].duplicated().any():
        raise DataError(f"the coordinates table lists region {table.loc[table[region].duplicated(), region].iloc[0]} twice")
    coords = table[[x, y]].to_numpy(dtype=float)
    if not np.isfinite(coords).all():
        bad = table.loc[~np.isfinite(coords).all(axis=1), region].head(5).tolist()
        raise DataError(f"regions {', '.join(map(str, bad))} have missing or infinite coordinates")
    ids = pd.Index(table[region].tolist())
    try:
        from libpysal import weights as lw
    except ImportError:
        raise DataError(f"{builder}() weights need libpysal: pip install \"povdsl[spatial]\"") from None
    n = len(ids)
    if builder == "knn":
        k = 5 if k is None else k
        if not 1 <= k < n:
            raise DataError(f"knn() needs 1 <= k < {n} (the number of regions), got k={k}")
        _nearest(n, k, builder)
        w = lw.KNN.from_array(coords, k=k)
        text = f"{k} nearest neighbours (libpysal KNN)"
    elif builder == "distance_band":
        if threshold is None or threshold <= 0:
            raise DataError("distance_band() needs threshold=, a positive distance")
        _links_within(coords, threshold, builder, "threshold")
        with np.errstate(divide="ignore"):  # libpysal raises the zero self-distance to alpha before dropping it
            w = lw.DistanceBand.from_array(coords, threshold=threshold, binary=binary, alpha=alpha, silence_warnings=True)
        text = f"neighbours within {threshold:g} (libpysal DistanceBand" + (")" if binary else f", weights d^{alpha:g})")
    elif builder == "kernel":
        if function not in KERNELS:
            raise DataError(f"kernel() function '{function}' is not known; use one of {', '.join(KERNELS)}")
        neighbours = 2 if k is None else k  # libpysal's default
        _nearest(n, neighbours + 1, builder)  # libpysal asks for k + 1 nearest (the region itself too)
        if fixed:
            from scipy.spatial import cKDTree

            reach = bandwidth if bandwidth is not None else float(cKDTree(coords).query(coords, k=min(neighbours + 1, n))[0].max()) * 1.0000001  # libpysal's _set_bw
            _links_within(coords, reach, builder, "bandwidth")
        kwargs = {"function": function, "fixed": fixed}
        if bandwidth is not None:
            kwargs["bandwidth"] = bandwidth
        if k is not None:
            kwargs["k"] = k
        w = lw.Kernel.from_array(coords, **kwargs)
        text = f"{function} kernel, " + (f"bandwidth {bandwidth:g}" if bandwidth is not None else f"{'fixed' if fixed else 'adaptive'} bandwidth from {w.k if hasattr(w, 'k') else k} neighbours") + " (libpysal Kernel), zero diagonal"
    else:
        raise DataError(f"unknown coordinate weights builder '{builder}'; use {', '.join(BUILDERS)}")
    matrix = sparse.csr_matrix(w.sparse, dtype=float)
    matrix.setdiag(0.0)
    matrix.eliminate_zeros()
    if row_standardize:
        matrix = standardized(matrix)
    text += ", row-standardised" if row_standardize else ", not row-standardised"
    return Weights(matrix, ids, text)


def _nearest(n: int, k: int, builder: str) -> None:
    """Refuse k neighbours for each of n regions when that is over MAX_LINKS."""
    if n * k > MAX_LINKS:
        raise DataError(f"{builder}() with k={k} on {n:,} regions makes {n * k:,} links, over the limit of {MAX_LINKS:,}", hint="use a smaller k")


def _links_within(coords: np.ndarray, distance: float, builder: str, option: str) -> None:
    """Refuse a distance within which the regions have more than MAX_LINKS pairs (counted, never formed)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(coords)
    links = int(tree.count_neighbors(tree, distance)) - len(coords)  # ordered pairs within the distance, less each region with itself
    if links > MAX_LINKS:
        raise DataError(f"{builder}() with {option} {distance:g} links {links:,} pairs of regions, over the limit of {MAX_LINKS:,}", hint=f"use a smaller {option}")


def standardized(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """Rows divided by their sums (all-zero rows stay zero: isolated regions are reported, not invented)."""
    matrix = sparse.csr_matrix(matrix, dtype=float)
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sparse.csr_matrix(sparse.diags(scale) @ matrix)
