"""Specification tests after dynamic-panel GMM: Hansen and Sargan overidentification, Arellano-Bond AR(m).

All take per-unit moment contributions so no (N*T)-square matrix is formed.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from povdsl.estimate.dynpanel.instruments import InstrumentMatrix


def overid_statistic(moments: np.ndarray, weight: np.ndarray, df: int) -> tuple[float, float]:
    """J = g' W g for summed moments g; chi2(df) p-value (NaN when exactly identified)."""
    value = float(moments @ weight @ moments)
    if df <= 0:
        return value, float("nan")
    return value, float(stats.chi2.sf(value, df))


def arellano_bond(
    m: int,
    residuals: np.ndarray,
    diff_rows: slice,
    X: np.ndarray,
    Z: InstrumentMatrix,
    XZ: np.ndarray,
    bread: np.ndarray,
    weight: np.ndarray,
    vcov: np.ndarray,
) -> tuple[float, float]:
    """Arellano-Bond (1991) z for order-m serial correlation in the differenced residuals.

    Follows xtabond2's robust form: the variance accounts for the estimated
    coefficients through ``bread`` = (X'Z W Z'X)^-1 (``XZ`` = X'Z), ``weight`` = W and
    ``vcov`` (Windmeijer-corrected after two steps). Residuals are zero outside
    the sample, so a lag that lands on a missing period contributes nothing.
    """
    u = residuals[:, diff_rows]
    lagged = np.zeros_like(u)
    if m < u.shape[1]:
        lagged[:, m:] = u[:, :-m]
    Xd = X[:, diff_rows, :]
    per_unit = np.einsum("nr,nr->n", lagged, u)  # w_i' u_i
    numerator = per_unit.sum()
    meat = float(per_unit @ per_unit)
    wX = np.einsum("nr,nrk->k", lagged, Xd)
    Zuuw = Z.moments(residuals * per_unit[:, None])  # sum_i Z_i'u_i u_i'w_i, all rows of u_i as xtabond2
    cross = -2.0 * float(wX @ bread @ XZ @ weight @ Zuuw)
    correction = float(wX @ vcov @ wX)
    variance = meat + cross + correction
    if not np.isfinite(variance) or variance <= 0 or not np.any(lagged):
        return float("nan"), float("nan")
    z = float(numerator / np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))
