"""SAR, SEM and SDM by maximum likelihood: spreg's ML_Lag and ML_Error.

The log-determinant method is spreg's: "full" (dense determinant) up to
DENSE_LIMIT regions, "LU" (sparse LU factors, as spreg's lag_c_loglik_sp)
above, or as the caller asks. The SDM is spreg's ML_Lag with slx_lags=1: the
SAR on X and W x for every non-constant regressor; its W x columns are named
as povdsl's W(x, w) term names them, so writing them by hand with `sar` is
the same model (equal up to the optimiser's tolerance on rho, 1e-7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.options import SPARSE_COV_LIMIT
from povdsl.estimate.spatial.backend import call, require
from povdsl.estimate.spatial.fit import (
    INTERCEPT,
    SpatialFit,
    check_rows,
    named,
    named_cov,
    regressor_arrays,
)
from povdsl.estimate.spatial.lattice import SampleWeights
from povdsl.estimate.spatial.logdet import refuse_dense
from povdsl.estimate.spatial.ml_sparse import fit_sparse

DENSE_LIMIT = 400  # regions up to which the log-determinant is the dense one (spreg's default "full")
LDET_METHODS = ("auto", "full", "lu", "ord")


def ldet_method(n: int, ldet: str) -> str:
    """spreg's `method=` for a log-determinant choice."""
    if ldet not in LDET_METHODS:
        raise EstimationError(f"unknown log-determinant method '{ldet}'", hint="use auto, full, lu or ord")
    if ldet == "auto":
        return "full" if n <= DENSE_LIMIT else "LU"
    refuse_dense(n, f"ldet={ldet}", ldet in ("full", "ord"))
    return "LU" if ldet == "lu" else ldet


def durbin_names(names: Sequence[str], w: SampleWeights) -> dict[str, str]:
    """Regressor -> the povdsl name of its spatial lag, `W(x, w)`."""
    return {name: f"W({name}, {w.name})" for name in names}


def with_durbin(X: pd.DataFrame, w: SampleWeights) -> tuple[pd.DataFrame, dict[str, str]]:
    """X plus W x for every non-constant column: the SDM's design."""
    names = [str(c) for c in X.columns if c != INTERCEPT]
    lags = durbin_names(names, w)
    taken = [lags[n] for n in names if lags[n] in X.columns]
    if taken:
        raise EstimationError(f"sdm adds W() of every regressor itself, but the formula already has {', '.join(taken)}", hint="use sar(w) with the W() terms written by hand, or drop them")
    lagged = pd.DataFrame(w.lag(X[names].to_numpy(dtype=float)), index=X.index, columns=[lags[n] for n in names])
    return pd.concat([X, lagged], axis=1), lags


def fit_ml(model: str, y: pd.Series, X: pd.DataFrame, w: SampleWeights, *, ldet: str = "auto", epsilon: float = 1e-7, sparse_above: int = SPARSE_COV_LIMIT) -> SpatialFit:
    """`sar`, `sem` or `sdm` by ML; X holds the Intercept column and the regressors in design order.

    With the "LU" log-determinant and more than `sparse_above` regions the
    fit is ml_sparse's (spreg's estimates, the observed-information
    covariance without a dense n x n matrix); otherwise spreg's own call.
    """
    check_rows(y, w)
    yv, xv, names = regressor_arrays(y, X)
    slx = 1 if model == "sdm" else 0
    if slx:
        with_durbin(X, w)  # refuses W() terms written by hand next to the ones sdm adds
        durbin = durbin_names(names, w)
    else:
        durbin = {x: lag for x, lag in durbin_names(names, w).items() if lag in names}
    spreg = require("spreg")
    method = ldet_method(w.n, ldet)
    lib_w = w.to_libpysal()
    spatial = "lambda" if model == "sem" else "rho"
    coef = [INTERCEPT, *names, *(durbin.values() if slx else ()), spatial]
    if method == "LU" and w.n > sparse_above:
        return _fit_sparse(model, yv, xv, w, lib_w, epsilon, coef, durbin)
    if model == "sem":
        reg = call(model, spreg.ML_Error, yv, xv, lib_w, method=method, epsilon=epsilon, name_x=list(names))
    else:
        reg = call(model, spreg.ML_Lag, yv, xv, lib_w, slx_lags=slx, method=method, epsilon=epsilon, spat_impacts=None, spat_diag=False, name_x=list(names))
    text = (
        f"spreg.{'ML_Error' if model == 'sem' else 'ML_Lag'}(y, X, w, "
        + ("" if model == "sem" else f"slx_lags={slx}, ")
        + f"method={method!r}, epsilon={epsilon:g}"
        + (", spat_impacts=None, spat_diag=False" if model != "sem" else "")
        + ")"
    )
    return SpatialFit(
        model=model,
        method="ml",
        params=named(reg.betas, coef),
        cov=named_cov(reg.vm, coef),
        nobs=int(reg.n),
        stats=ml_stats(reg),
        call=text,
        weights=w,
        durbin=durbin,
        raw=reg,
    )


def _fit_sparse(model: str, yv: np.ndarray, xv: np.ndarray, w: SampleWeights, lib_w, epsilon: float, coef: list[str], durbin: dict[str, str]) -> SpatialFit:
    """The large-n path: spreg's estimation steps, the sparse observed-information covariance."""
    x = np.column_stack([np.ones(len(yv)), xv])
    if model == "sdm":
        x = np.column_stack([x, w.lag(xv)])
    try:
        fit = fit_sparse(model, yv, x, w, lib_w, epsilon)
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        raise EstimationError(f"{model}: the sparse ML fit failed: {exc}") from None
    what = "spreg.ml_error.err_c_loglik_sp" if model == "sem" else "spreg.ml_lag.lag_c_loglik_sp"
    return SpatialFit(
        model=model,
        method="ml",
        params=named(fit.betas, coef),
        cov=named_cov(fit.vm, coef),
        nobs=len(yv),
        stats=fit.stats,
        call=f"scipy minimize_scalar(bounded, xatol={epsilon:g}) of {what} (spreg's method='LU' estimates, {w.n} regions > {SPARSE_COV_LIMIT})",
        weights=w,
        durbin=durbin,
        vcov="inverse observed information (sparse LU; as spatialreg's method='LU')",
    )


def ml_stats(reg) -> dict[str, float]:
    stats = {"loglik": float(reg.logll), "aic": float(reg.aic), "schwarz": float(reg.schwarz), "pseudo_r2": float(reg.pr2), "sigma2": float(np.ravel(reg.sig2)[0])}
    return stats
