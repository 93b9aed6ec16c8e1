"""One- and two-step linear GMM for dynamic panels, with the Windmeijer (2005) correction.

Every cross-product is a sum over units of Z_i'(...) blocks. y and X are
(units, rows, columns) arrays; the instruments are an `InstrumentMatrix` that
stores each uncollapsed GMM column as one number per unit (it is non-zero in
one row only) and computes the products block by block. Cost is linear in the
number of units, and neither a block-diagonal matrix nor the mostly-zero
(units, rows, instruments) array is ever formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from povdsl.check.dynamic_panel import DynamicPanelSpec
from povdsl.errors import EstimationError
from povdsl.estimate.dynpanel.design import Equations, build_equations
from povdsl.estimate.dynpanel.instruments import InstrumentMatrix, build_instruments
from povdsl.estimate.dynpanel.lags import build_grid
from povdsl.estimate.dynpanel.spec_tests import arellano_bond, overid_statistic
from povdsl.estimate.result import Result


@dataclass(frozen=True)
class GmmDetail:
    """Extra output kept in Result.raw: what xtabond2 prints besides the main table."""

    onestep_params: pd.Series
    onestep_std_errors: pd.Series  # robust one-step
    twostep_uncorrected_std_errors: pd.Series | None
    instrument_names: tuple[str, ...]
    nobs_difference: int
    nobs_level: int


def one_step_weight(n_periods: int, system: bool) -> np.ndarray:
    """xtabond2's H: Var of the transformed errors under iid e, up to sigma^2.

    Difference block: 2 on the diagonal, -1 beside it (D.e_t shares e_{t-1}
    with its neighbour). System GMM adds an identity level block and the
    cross-covariances Cov(D.e_t, e_t) = 1, Cov(D.e_t, e_{t-1}) = -1 (the
    form pydynpd uses and the one that reproduces its system-GMM numbers).
    """
    diff = 2.0 * np.eye(n_periods) - np.eye(n_periods, k=1) - np.eye(n_periods, k=-1)
    if not system:
        return diff
    cross = np.eye(n_periods) - np.eye(n_periods, k=-1)  # rows: D.e_p, columns: e_s
    return np.block([[diff, cross], [cross.T, np.eye(n_periods)]])


def _inverse(matrix: np.ndarray, what: str, warnings: list[str]) -> np.ndarray:
    """Inverse, or the Moore-Penrose inverse with a warning when singular (xtabond2 does the same)."""
    rank = np.linalg.matrix_rank(matrix, hermitian=True)
    if rank < matrix.shape[0]:
        warnings.append(f"{what} singular; used a generalised inverse (as xtabond2)")
    return np.linalg.pinv(matrix, hermitian=True)


def _solve_bread(XZ: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(X'Z W Z'X)^-1, refusing regressors the instruments cannot identify."""
    A = XZ @ weight @ XZ.T
    A = (A + A.T) / 2
    if np.linalg.matrix_rank(A, hermitian=True) < A.shape[0]:
        raise EstimationError(
            "the coefficients are not identified: regressors are collinear given the instruments",
            hint="drop a regressor or time dummy, or add instruments",
        )
    return np.linalg.inv(A)


def windmeijer(
    bread2: np.ndarray,
    XZ: np.ndarray,
    weight2: np.ndarray,
    Z: InstrumentMatrix,
    X: np.ndarray,
    moments1_units: np.ndarray,
    moments2: np.ndarray,
    vcov1_robust: np.ndarray,
) -> np.ndarray:
    """Windmeijer (2005) finite-sample corrected variance of the two-step estimator.

    The two-step weight depends on the one-step estimate; D is the derivative
    of the two-step estimator with respect to it, with the weight
    S = sum_i g_i g_i' of one-step moments g_i = Z_i'u_i and
    dS/db_k = -sum_i (a_ik g_i' + g_i a_ik'), a_ik = Z_i'x_ik.
    """
    b = weight2 @ moments2  # W Z'u2
    gb = moments1_units @ b  # (units,)
    Ab = np.einsum("nr,nrk->nk", Z.apply(b), X)  # a_ik'b = x_ik' Z_i b, (units, terms)
    dS = Z.cross(X * gb[:, None, None]) + moments1_units.T @ Ab  # -(dS/db) W Z'u2 per column k
    D = bread2 @ XZ @ weight2 @ dS
    return bread2 + D @ bread2 + bread2 @ D.T + D @ vcov1_robust @ D.T


def _sargan(eq: Equations, Z, residuals, ZHZ_inverse, nobs, df):
    """xtabond2's Sargan: minimised one-step criterion with sigma^2 from the residuals, not robust."""
    moments = Z.moments(residuals)
    if eq.system:
        sigma2 = float((residuals[:, eq.level_rows] ** 2).sum()) / nobs
    else:  # Var(D.e) = 2 sigma^2
        sigma2 = float((residuals[:, eq.diff_rows] ** 2).sum()) / nobs / 2.0
    return overid_statistic(moments, ZHZ_inverse / sigma2, df)


def fit_dynamic_panel(data: pd.DataFrame, spec: DynamicPanelSpec, *, unit: str, time: str) -> Result:
    """Difference or system GMM as xtabond2 computes it (see docs/dynpanel.md)."""
    if spec.steps not in (1, 2):
        raise EstimationError(f"steps must be 1 or 2, not {spec.steps}")
    if not spec.regressors:
        raise EstimationError("a dynamic panel model needs at least one regressor")
    warnings: list[str] = []
    if spec.constant and not spec.system:
        warnings.append("the constant is differenced away in difference GMM; none estimated")

    variables = {spec.y, *(v for v, _ in spec.regressors), *(g.var for g in spec.gmm), *(i.var for i in spec.iv)}
    grid = build_grid(data, sorted(variables), unit=unit, time=time)
    n_periods = grid.shape[1]
    deepest = max([lag for _, lag in spec.regressors] + [i.lag for i in spec.iv])
    if deepest + 2 > n_periods:
        raise EstimationError(
            f"too few periods ({n_periods}) for regressors lagged {deepest} times in differences",
            hint=f"the difference equation needs at least {deepest + 2} periods",
        )

    eq = build_equations(grid, spec, time)
    used_units = eq.valid.any(axis=1)
    n_dropped = int((~used_units).sum())
    if not used_units.any():
        raise EstimationError(
            "no unit has an observation with all lagged variables present",
            hint="check for missing values and that units span enough consecutive periods",
        )
    if n_dropped:
        warnings.append(f"{n_dropped} units without a usable observation dropped")
        keep = {k: v[used_units] for k, v in grid.values.items()}
        grid = type(grid)(units=grid.units[used_units], periods=grid.periods, values=keep)
        eq = build_equations(grid, spec, time)
    Z = build_instruments(grid, spec, eq)
    X, y = eq.X, eq.y
    n_units, n_instruments, n_params = X.shape[0], Z.n_instruments, X.shape[2]
    if n_instruments < n_params:
        raise EstimationError(
            f"{n_instruments} instruments for {n_params} coefficients: the model is underidentified",
            hint="widen the GMM lag ranges or add IV-style instruments",
        )
    if n_instruments > n_units:
        warnings.append(f"instruments ({n_instruments}) outnumber groups ({n_units})")

    H = one_step_weight(n_periods, spec.system)
    XZ = Z.cross(X).T  # (terms, instruments)
    Zy = Z.moments(y)
    ZHZ = Z.quadratic(H)
    W1 = _inverse((ZHZ + ZHZ.T) / 2, "one-step weighting matrix", warnings)
    bread1 = _solve_bread(XZ, W1)
    beta1 = bread1 @ XZ @ W1 @ Zy
    u1 = y - X @ beta1
    g1_units = Z.per_unit(u1)
    S1 = g1_units.T @ g1_units
    vcov1 = bread1 @ XZ @ W1 @ S1 @ W1 @ XZ.T @ bread1
    W2 = _inverse(S1, "weighting matrix", warnings)
    df = n_instruments - n_params

    uncorrected = None
    if spec.steps == 2:
        bread2 = _solve_bread(XZ, W2)
        beta = bread2 @ XZ @ W2 @ Zy
        u = y - X @ beta
        g2 = Z.moments(u)
        vcov = windmeijer(bread2, XZ, W2, Z, X, g1_units, g2, vcov1)
        uncorrected = np.sqrt(np.diag(bread2))
        bread, weight, vcov_label = bread2, W2, "Windmeijer-corrected two-step"
        hansen = overid_statistic(g2, W2, df)
    else:
        beta, u, vcov = beta1, u1, vcov1
        bread, weight, vcov_label = bread1, W1, "robust one-step"
        hansen = overid_statistic(g1_units.sum(axis=0), W2, df)

    nobs_diff = int(eq.valid[:, eq.diff_rows].sum())
    nobs_level = int(eq.valid[:, eq.level_rows].sum()) if spec.system else 0
    nobs = nobs_level if spec.system else nobs_diff
    sargan = _sargan(eq, Z, u1, W1, nobs, df)
    ar = [arellano_bond(m, u, eq.diff_rows, X, Z, XZ, bread, weight, vcov) for m in (1, 2)]

    terms = list(eq.terms)
    params = pd.Series(beta, index=terms, name="coef")
    std_errors = pd.Series(np.sqrt(np.diag(vcov)), index=terms, name="std_error")
    tstats = params / std_errors
    pvalues = pd.Series(2 * stats.norm.sf(np.abs(tstats.to_numpy())), index=terms)
    detail = GmmDetail(
        onestep_params=pd.Series(beta1, index=terms),
        onestep_std_errors=pd.Series(np.sqrt(np.diag(vcov1)), index=terms),
        twostep_uncorrected_std_errors=None if uncorrected is None else pd.Series(uncorrected, index=terms),
        instrument_names=Z.names,
        nobs_difference=nobs_diff,
        nobs_level=nobs_level,
    )
    stats_out = {
        "ninstruments": float(n_instruments),
        "ngroups": float(n_units),
        "hansen": hansen[0],
        "hansen_pvalue": hansen[1],
        "hansen_df": float(df),
        "sargan": sargan[0],
        "sargan_pvalue": sargan[1],
        "sargan_df": float(df),
        "ar1": ar[0][0],
        "ar1_pvalue": ar[0][1],
        "ar2": ar[1][0],
        "ar2_pvalue": ar[1][1],
    }
    return Result(
        params=params,
        std_errors=std_errors,
        tstats=tstats.rename("t"),
        pvalues=pvalues.rename("p"),
        nobs=nobs,
        estimator=spec.estimator,
        vcov=vcov_label,
        stats=stats_out,
        dropped=n_dropped,
        dependent=spec.y,
        warnings=tuple(dict.fromkeys(warnings)),
        raw=detail,
    )
