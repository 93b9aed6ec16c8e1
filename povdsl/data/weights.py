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

from povdsl.errors import DataError


class Weights:
    """A region-by-region weight matrix: row r holds the weights r gives to each j."""

    def __init__(self, matrix: sparse.csr_matrix, regions: pd.Index, description: str = ""):
        if matrix.shape != (len(regions), len(regions)):
            raise DataError(f"weight matrix is {matrix.shape[0]}x{matrix.shape[1]} but there are {len(regions)} regions")
        if regions.has_duplicates:
            raise DataError(f"duplicate region ids in weights: {sorted(regions[regions.duplicated()].unique().tolist())[:5]}")
        self.matrix = sparse.csr_matrix(matrix, dtype=float)
        self.regions = regions
        self.description = description

    @classmethod
    def from_matrix(cls, frame: pd.DataFrame, description: str = "user-supplied matrix, used as given") -> "Weights":
        """A square DataFrame whose index and columns are the same region ids; used as given."""
        if list(frame.index) != list(frame.columns):
            if set(frame.index) != set(frame.columns):
                raise DataError("a weight matrix needs the same region ids as index and columns")
            frame = frame.loc[:, list(frame.index)]
        values = frame.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise DataError("the weight matrix has missing or infinite entries")
        return cls(sparse.csr_matrix(values), pd.Index(frame.index), description)

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
    ) -> "Weights":
        """Weights from a long origin/destination table of distances or travel times.

        Pairs absent from the table get weight 0; the diagonal is always 0.
        """
        if transform != "inverse":
            raise DataError(f"unknown weights transform '{transform}'; povdsl knows 'inverse'")
        for column in (origin, destination, value):
            if column not in table.columns:
                raise DataError(f"column '{column}' not found in the weights table")
        pairs = table[[origin, destination, value]]
        if pairs.isna().any().any():
            raise DataError(f"the weights table has {int(pairs.isna().any(axis=1).sum())} rows with missing values")
        if pairs.duplicated([origin, destination]).any():
            dup = pairs[pairs.duplicated([origin, destination])].iloc[0]
            raise DataError(f"the weights table lists the pair ({dup[origin]}, {dup[destination]}) twice")
        regions = pd.Index(sorted(set(pairs[origin]) | set(pairs[destination])))
        off = pairs[pairs[origin] != pairs[destination]]
        distance = off[value].to_numpy(dtype=float)
        if (distance <= 0).any():
            bad = off[distance <= 0].iloc[0]
            raise DataError(f"{value} must be positive between different regions; ({bad[origin]}, {bad[destination]}) has {bad[value]}")
        keep = np.ones(len(off), dtype=bool)
        if cutoff is not None:
            keep &= distance <= cutoff
        rows = regions.get_indexer(off[origin])
        cols = regions.get_indexer(off[destination])
        if k is not None:
            order = np.lexsort((distance, rows))
            rank = np.empty(len(order), dtype=int)
            starts = np.r_[0, np.flatnonzero(np.diff(rows[order])) + 1]
            for begin, end in zip(starts, np.r_[starts[1:], len(order)]):
                rank[order[begin:end]] = np.arange(end - begin)
            keep &= rank < k
        weights = 1.0 / distance[keep] ** alpha
        matrix = sparse.csr_matrix((weights, (rows[keep], cols[keep])), shape=(len(regions), len(regions)))
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
        out = self.matrix @ values
        if missing.any():
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
        return pd.DataFrame(self.matrix.toarray(), index=self.regions, columns=self.regions)


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
