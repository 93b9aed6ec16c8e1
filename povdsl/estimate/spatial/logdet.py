"""log|I - a W| and the stable interval of a, the machinery every ML fit here shares.

As spreg's: eigenvalues of a dense W once ("ord", Ord 1975) for small n, a
sparse LU factorisation per evaluation ("lu", spreg's lag_c_loglik_sp)
above, never a dense n x n matrix on the sparse path.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as spla

from povdsl.errors import EstimationError
from povdsl.estimate.spatial.lattice import SampleWeights

DENSE_LIMIT = 400  # regions up to which eigenvalues of the dense W are computed (O(n^3): ~2 s at 500)
# Regions above which no dense n x n matrix is formed, even when the spec asks for one (`ldet=full`,
# `ldet=ord`, a spatial panel by spreg, whose likelihood is dense): 32 MB and O(n^3) per log-determinant.
# A few hundred kB of untrusted data with 20,000 regions otherwise asked for 3.2 GB and hours.
DENSE_MAX = 2000
MARGIN = 1e-6  # distance kept from the singular ends of the stable interval


def refuse_dense(n: int, what: str, dense: bool = True, hint: str = "use ldet=lu or ldet=auto (sparse log-determinants)") -> None:
    """An error when `what` would form a dense n x n matrix on more than DENSE_MAX regions."""
    if dense and n > DENSE_MAX:
        raise EstimationError(f"{what} forms a dense {n:,} x {n:,} matrix; it is allowed up to {DENSE_MAX:,} regions", hint=hint)


class LogDet:
    """log|I - a W| as a function of a, by eigenvalues or by sparse LU."""

    def __init__(self, w: SampleWeights, method: str = "auto"):
        self.w = w
        self.method = ("ord" if w.n <= DENSE_LIMIT else "lu") if method == "auto" else method
        refuse_dense(w.n, f"ldet={self.method}", self.method in ("ord", "full"))
        self.eigenvalues: np.ndarray | None = None
        if self.method == "ord":
            self.eigenvalues = np.linalg.eigvals(w.matrix.toarray())
        self.identity = sparse.identity(w.n, format="csc")

    def __call__(self, a: float) -> float:
        if self.eigenvalues is not None:
            return float(np.sum(np.log(np.abs(1.0 - a * self.eigenvalues))))
        lu = spla.splu(sparse.csc_matrix(self.identity - a * self.w.matrix))
        return float(np.sum(np.log(np.abs(lu.U.diagonal()))))

    def interval(self) -> tuple[float, float]:
        """(1/lambda_min, 1/lambda_max) over the real eigenvalues of W: where I - a W stays invertible from 0."""
        return stable_interval(self.w, self.eigenvalues)


def stable_interval(w: SampleWeights, eigenvalues: np.ndarray | None = None) -> tuple[float, float]:
    """The interval around 0 in which I - a W is nonsingular.

    With eigenvalues (dense W, n <= DENSE_LIMIT): (1/lambda_min, 1/lambda_max)
    over the real ones. Above, (-1/r, 1/r) with r = spectral radius (one
    ARPACK call; the smallest real eigenvalue converges too slowly to ask
    for): for a row-standardised W that is spreg's (-1, 1).
    """
    if eigenvalues is None and w.n <= DENSE_LIMIT:
        eigenvalues = np.linalg.eigvals(w.matrix.toarray())
    if eigenvalues is None:
        radius = spectral_radius(w)
        return -1.0 / radius, 1.0 / radius
    real = eigenvalues[np.abs(eigenvalues.imag) < 1e-10].real
    low, high = float(real.min()), float(real.max())
    lower = 1.0 / low if low < 0 else -np.inf
    upper = 1.0 / high if high > 0 else np.inf
    return lower, upper


def spectral_radius(w: SampleWeights) -> float:
    """Largest |eigenvalue| of W by ARPACK; exactly 1 for a row-standardised W (Perron)."""
    if w.row_standardized:
        return 1.0
    return float(np.abs(spla.eigs(w.matrix, k=1, which="LM", return_eigenvectors=False, tol=1e-10)[0]))
