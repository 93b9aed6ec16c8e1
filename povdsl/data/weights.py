"""Spatial weight matrices and the spatial lag W(x, w).

The paper's weight is w_rj = 1 / t_rj (travel minutes) for j != r and 0 on the
diagonal, not row-standardised: W(x)_r is then "clusters elsewhere, discounted
by distance", summed over all regions of the region table, sampled or not.
Matrices are kept sparse so that k-nearest or cutoff weights on many regions
stay cheap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from povdsl.data.columns import SHOWN, row_list
from povdsl.errors import DataError

# A matrix is kept dense when its CSR form (8-byte value + 4-byte column per entry)
# would take more memory than the dense array: W @ x is then also faster.
_CSR_BYTES_PER_ENTRY = 12
_CHUNK_ROWS = 1 << 20  # rows of the long table converted at a time, to bound temporary memory
# Nonzero entries of a matrix built from coordinates or polygons. A small
# untrusted file can ask for n^2 of them (20,000 points with knn k=19,999,
# a distance band wider than the map, 3,000 wedges around one point), and
# libpysal holds each link as Python objects (some 250 bytes), so the count
# is checked before libpysal builds anything: 2,000,000 links (10,000
# regions with 200 neighbours each) stay under half a gigabyte.
MAX_LINKS = 2_000_000


def dense_is_smaller(entries: int, regions: int) -> bool:
    return entries * _CSR_BYTES_PER_ENTRY >= 8 * regions * regions


class Weights:
    """A region-by-region weight matrix: row r holds the weights r gives to each j.

    Stored dense (a NumPy array) when that is smaller than CSR, else sparse;
    ``matrix`` is always the CSR form, built on first use from a dense store.
    """

    def __init__(self, matrix: sparse.spmatrix | np.ndarray, regions: pd.Index, description: str = ""):
        if matrix.shape != (len(regions), len(regions)):
            raise DataError(f"weight matrix is {matrix.shape[0]}x{matrix.shape[1]} but there are {len(regions)} regions")
        if regions.has_duplicates:
            raise DataError(f"duplicate region ids in weights: {sorted(regions[regions.duplicated()].unique().tolist())[:5]}")
        self._dense: np.ndarray | None = None
        self._sparse: sparse.csr_matrix | None = None
        if isinstance(matrix, np.ndarray):
            values = np.asarray(matrix, dtype=float)
            if dense_is_smaller(int(np.count_nonzero(values)), len(regions)):
                self._dense = values
            else:
                self._sparse = sparse.csr_matrix(values)
        else:
            self._sparse = sparse.csr_matrix(matrix, dtype=float)
        self.regions = regions
        if self._dense is not None:
            empty = ~np.any(self._dense != 0, axis=1)
        else:
            stored = self.matrix
            empty = np.asarray(abs(stored).sum(axis=1)).ravel() == 0
        self.isolated = regions[empty]  # regions whose row is all zero: W(x) is 0 there, said in the note and on stderr
        if len(self.isolated) and description:
            description += f"; {len(self.isolated)} region{'s' if len(self.isolated) != 1 else ''} with no neighbours (all-zero row)"
        self.description = description

    @property
    def matrix(self) -> sparse.csr_matrix:
        """The CSR form, for code that needs the sparse API."""
        if self._sparse is None:
            self._sparse = sparse.csr_matrix(self._dense)
        return self._sparse

    @property
    def is_dense(self) -> bool:
        return self._dense is not None

    def _product(self, values: np.ndarray) -> np.ndarray:
        return self._dense @ values if self._dense is not None else self.matrix @ values

    @classmethod
    def from_matrix(cls, frame: pd.DataFrame, description: str = "user-supplied matrix, used as given") -> Weights:
        """A square DataFrame whose index and columns are the same region ids; used as given."""
        if list(frame.index) != list(frame.columns):
            if set(frame.index) != set(frame.columns):
                raise DataError("a weight matrix needs the same region ids as index and columns")
            frame = frame.loc[:, list(frame.index)]
        values = frame.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise DataError("the weight matrix has missing or infinite entries")
        return cls(values, pd.Index(frame.index), description)

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        origin: str,
        destination: str,
        value: str,
        transform: str = "inverse",
        *,
        alpha: float = 1.0,
        row_standardize: bool = False,
        cutoff: float | None = None,
        k: int | None = None,
    ) -> Weights:
        """Weights from a long origin/destination table of distances or travel times.

        Pairs absent from the table get weight 0; the diagonal is always 0.
        Linear in the table: region ids are hashed once per column, the table is
        converted in chunks to int32 positions, and no set of pairs is built.
        """
        if transform != "inverse":
            raise DataError(f"unknown weights transform '{transform}'; povdsl knows 'inverse'")
        for column in (origin, destination, value):
            if column not in table.columns:
                raise DataError(f"column '{column}' not found in the weights table")
        origins, destinations = table[origin], table[destination]
        numbers = pd.to_numeric(table[value], errors="coerce")
        text = numbers.isna().to_numpy() & table[value].notna().to_numpy()
        if text.any():
            where = row_list(tuple(int(i) + 1 for i in np.flatnonzero(text)[:SHOWN]), int(text.sum()))
            raise DataError(f"column '{value}' of the weights table holds text ({table[value][text].iloc[0]!r}) in {where}", hint="weights are numbers: distances or travel times")
        distances = numbers.to_numpy(dtype=float)
        missing = origins.isna().to_numpy() | destinations.isna().to_numpy() | np.isnan(distances)
        if missing.any():
            count = int(missing.sum())
            where = row_list(tuple(int(i) + 1 for i in np.flatnonzero(missing)[:SHOWN]), count)
            raise DataError(
                f"the weights table has {count} row{'s' if count != 1 else ''} with a missing {origin}, {destination} or {value}: {where}",
                hint="every row names an origin, a destination and a value: fill or delete these rows",
            )
        del missing
        regions = pd.Index(sorted(set(pd.unique(origins.to_numpy()).tolist()) | set(pd.unique(destinations.to_numpy()).tolist())))
        rows, cols, dist = _positions(table, origin, destination, value, regions, distances)
        weights, rows, cols = _kept_weights(rows, cols, dist, alpha=alpha, cutoff=cutoff, k=k)
        size = len(regions)
        matrix: sparse.spmatrix | np.ndarray
        if dense_is_smaller(len(weights), size):
            matrix = np.zeros((size, size))
            matrix[rows, cols] = weights
            if row_standardize:
                sums = matrix.sum(axis=1)
                matrix /= np.where(sums > 0, sums, 1.0)[:, None]
        else:
            matrix = sparse.csr_matrix((weights, (rows, cols)), shape=(size, size))
            if row_standardize:
                sums = np.asarray(matrix.sum(axis=1)).ravel()
                scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
                matrix = sparse.diags(scale) @ matrix
        return cls(matrix, regions, describe_inverse(value, alpha, cutoff, k, row_standardize))

    def lag(self, x: pd.Series) -> pd.Series:
        """W @ x for one period; x is indexed by region and must cover every region.

        Regions whose row touches a missing x get NaN, so a gap in the data
        becomes a reported missing value, never a silent zero.
        """
        aligned = x.reindex(self.regions)
        missing = aligned.isna().to_numpy()
        values = np.nan_to_num(aligned.to_numpy(dtype=float))
        out = self._product(values)
        if missing.any():
            if self._dense is not None:
                touched = (self._dense[:, missing] != 0).any(axis=1)
            else:
                touched = (self.matrix != 0).astype(float) @ missing.astype(float) > 0
            out[touched] = np.nan
        return pd.Series(out, index=self.regions)

    def lag_panel(self, x: pd.Series, time_level: str) -> pd.Series:
        """W @ x period by period; x is indexed by (region, time)."""
        parts = []
        for t, slice_ in x.groupby(level=time_level, sort=True):
            by_region = slice_.droplevel(time_level)
            lagged = self.lag(by_region)
            lagged.index = pd.MultiIndex.from_arrays([lagged.index, np.repeat(t, len(lagged))], names=x.index.names)
            parts.append(lagged)
        return pd.concat(parts) if parts else x.iloc[:0]

    def to_frame(self) -> pd.DataFrame:
        values = self._dense.copy() if self._dense is not None else self.matrix.toarray()
        return pd.DataFrame(values, index=self.regions, columns=self.regions)


def _positions(
    table: pd.DataFrame, origin: str, destination: str, value: str, regions: pd.Index, distances: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Off-diagonal (row, column, distance) as int32/int32/float, checking duplicates and signs on the way."""
    size = len(regions)
    n = len(table)
    marks = np.zeros(size * size, dtype=bool) if size * size <= 8 * max(n, 1) else None
    keys: list[np.ndarray] = []
    rows, cols, dist = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32), np.empty(n)
    filled = 0
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        r = regions.get_indexer(table[origin].to_numpy()[start:stop]).astype(np.int32)
        c = regions.get_indexer(table[destination].to_numpy()[start:stop]).astype(np.int32)
        key = r.astype(np.int64) * size + c
        if marks is not None:
            marks[key] = True
        else:
            keys.append(key)
        d = distances[start:stop]
        off = r != c
        bad = off & (d <= 0)
        if bad.any():
            at = start + int(np.flatnonzero(bad)[0])  # read cell by cell: a row of mixed columns would print ids as floats
            raise DataError(
                f"{value} must be positive between different regions; ({table[origin].iloc[at]}, {table[destination].iloc[at]}) has {table[value].iloc[at]} in row {at + 1}",
                hint="inverse() weighs a pair by 1 / value, which a zero or negative value does not have; only a region's pair with itself may be 0",
            )
        count = int(np.count_nonzero(off))
        rows[filled : filled + count], cols[filled : filled + count], dist[filled : filled + count] = r[off], c[off], d[off]
        filled += count
    if marks is not None:  # every row set its own mark unless a pair came twice
        duplicated = int(np.count_nonzero(marks)) < n
    elif keys:
        ordered = np.sort(np.concatenate(keys))
        duplicated = bool((ordered[1:] == ordered[:-1]).any())
    if duplicated:
        pairs = table[[origin, destination]]
        second = int(np.flatnonzero(pairs.duplicated().to_numpy())[0])
        o, d = pairs[origin].iloc[second], pairs[destination].iloc[second]
        first = int(np.flatnonzero(((pairs[origin] == o) & (pairs[destination] == d)).to_numpy())[0])
        raise DataError(
            f"the weights table lists the pair ({o}, {d}) twice, in rows {first + 1} and {second + 1}",
            hint="one row per origin and destination: drop or aggregate the repeated pairs",
        )
    return rows[:filled], cols[:filled], dist[:filled]


def _kept_weights(
    rows: np.ndarray, cols: np.ndarray, dist: np.ndarray, *, alpha: float, cutoff: float | None, k: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1/d^alpha of the pairs within the cutoff and among each origin's k nearest (ties in table order); overwrites ``dist``."""
    keep = np.ones(len(dist), dtype=bool)
    if cutoff is not None:
        keep &= dist <= cutoff
    if k is not None:
        order = np.lexsort((dist, rows))
        sorted_rows = rows[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_rows)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - first
        keep &= rank < k
    if not keep.all():
        rows, cols, dist = rows[keep], cols[keep], dist[keep]
    weights = dist**alpha if alpha != 1 else dist  # the caller hands over dist: reused in place
    np.reciprocal(weights, out=weights)
    return weights, rows, cols


def describe_inverse(value: str, alpha: float, cutoff: float | None, k: int | None, row_standardize: bool) -> str:
    """The weight matrix in words, for table notes and `povdsl explain`."""
    power = "" if alpha == 1 else f"^{alpha:g}"
    parts = [f"w_ij = 1/{value}_ij{power} for j != i, 0 on the diagonal"]
    if cutoff is not None:
        parts.append(f"0 where {value} > {cutoff:g}")
    if k is not None:
        parts.append(f"{k} nearest regions only")
    parts.append("row-standardised" if row_standardize else "not row-standardised")
    return ", ".join(parts)
