"""povdsl's sparse Weights restricted to a model's regions, and their libpysal form.

A spatial model's W is square on the regions it observes: the declared matrix
is cut to those regions in the order of the data. Row-standardisation follows
the declaration: a matrix declared row-standardised (every row of the full
matrix sums to one) is standardised again after the cut, so rows still sum to
one; a matrix used as given stays as given. Regions missing from the matrix
and regions with no neighbour left are errors that name them, because spreg
would otherwise fit a model in which they silently have no spatial term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from povdsl.errors import DataError

if TYPE_CHECKING:
    from povdsl.data.weights import Weights

SHOWN = 8  # regions named in an error message before "..."


@dataclass(frozen=True, eq=False)
class SampleWeights:
    """W on a model's regions: row i of ``matrix`` belongs to ``regions[i]``."""

    matrix: sparse.csr_matrix
    regions: pd.Index
    name: str
    row_standardized: bool
    # row sums and diagonal of the *declared* matrix at these regions: a W() term of the formula is
    # computed with it (over every region, sampled or not), so its impacts scale with these
    declared_sums: np.ndarray | None = None
    declared_diagonal: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.regions)

    def to_libpysal(self):
        """The libpysal W spreg expects, holding exactly this sparse matrix (transform 'O')."""
        from povdsl.estimate.spatial.backend import require

        weights = require("libpysal.weights")
        ids = [str(r) for r in self.regions]
        return weights.WSP(self.matrix.copy(), id_order=ids).to_W(silence_warnings=True)

    def lag(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix @ values)


def sample_weights(
    weights: Weights, regions: Sequence[object], *, name: str = "w", row_standardize: bool | None = None
) -> SampleWeights:
    """Cut ``weights`` to ``regions`` (one row each, in this order) and check it can carry a spatial model.

    ``row_standardize`` None keeps the declaration: standardise again when
    every row of the declared matrix sums to one.
    """
    index = pd.Index(list(regions))
    if index.has_duplicates:
        dup = _listed(index[index.duplicated()].unique())
        raise DataError(f"weights '{name}': a spatial model needs one row per region, but {dup} appear more than once")
    positions = weights.regions.get_indexer(index)
    missing = index[positions < 0]
    if len(missing):
        raise DataError(f"weights '{name}' has no row for region(s) {_listed(missing)} of the model's data")
    full_sums = np.asarray(weights.matrix.sum(axis=1)).ravel()
    declared_standardized = bool(np.allclose(full_sums, 1.0, rtol=0, atol=1e-12))
    standardize = declared_standardized if row_standardize is None else row_standardize
    matrix = sparse.csr_matrix(weights.matrix[positions][:, positions])
    matrix.eliminate_zeros()
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    isolated = index[sums == 0]
    if len(isolated):
        raise DataError(
            f"weights '{name}': region(s) {_listed(isolated)} have no neighbour among the model's regions "
            "(all-zero rows); drop them from the sample or use a weight matrix that links them"
        )
    if standardize:
        matrix = sparse.csr_matrix(sparse.diags(1.0 / sums) @ matrix)
    declared_sums = full_sums[positions]
    diagonal = np.asarray(weights.matrix.diagonal()).ravel()[positions]
    if standardize:  # a standardised W's rows sum to one (asked here or declared so)
        diagonal = diagonal / np.where(declared_sums > 0, declared_sums, 1.0)
        declared_sums = np.ones(len(index))
    return SampleWeights(
        matrix=matrix, regions=index, name=name, row_standardized=standardize, declared_sums=declared_sums, declared_diagonal=diagonal
    )


def _listed(values) -> str:
    shown = [str(v) for v in list(values)[:SHOWN]]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
