"""SAC / SARAR by maximum likelihood, povdsl's own (spreg has no ML SARAR).

    y = rho W1 y + X b + u,   u = lambda W2 u + e,   e ~ N(0, s2 I)

As R spatialreg's sacsarlm: for given (rho, lambda) the GLS coefficients and
s2 = e'e/n are closed form, so the concentrated log-likelihood

    -n/2 (log 2 pi + 1) - n/2 log(e'e/n) + log|I - rho W1| + log|I - lambda W2|

is maximised over (rho, lambda) alone, inside the stable intervals, from the
best point of a 3 x 3 grid (sacsarlm starts from a grid too). The covariance
is the analytic information matrix of LeSage's sac.m (sacsarlm's
method="eigen") for n <= DENSE_LIMIT, else the inverse of a finite-difference
Hessian of the log-likelihood (sacsarlm's fdHess), so the sparse path never
forms a dense n x n matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from povdsl.errors import EstimationError
from povdsl.estimate.spatial.fit import (
    INTERCEPT,
    SpatialFit,
    check_rows,
    named,
    named_cov,
    pseudo_r2,
    regressor_arrays,
)
from povdsl.estimate.spatial.lattice import SampleWeights
from povdsl.estimate.spatial.logdet import DENSE_LIMIT, MARGIN, LogDet
from povdsl.estimate.spatial.ml import durbin_names

LN2PI = float(np.log(2.0 * np.pi))


class _Sarar:
    """The pieces of the SARAR likelihood that do not depend on (rho, lambda)."""

    def __init__(self, y: np.ndarray, x: np.ndarray, w1: SampleWeights, w2: SampleWeights, ldet: str):
        self.y, self.x, self.w1, self.w2 = y, x, w1, w2
        self.n = len(y)
        self.wy = w1.lag(y)
        self.w2y = w2.lag(y)
        self.w2wy = w2.lag(self.wy)
        self.w2x = w2.lag(x)
        self.ldet1 = LogDet(w1, ldet)
        self.ldet2 = self.ldet1 if w2 is w1 else LogDet(w2, ldet)

    def gls(self, rho: float, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """b and e at (rho, lambda): OLS of B A y on B X."""
        ys = self.y - rho * self.wy - lam * self.w2y + rho * lam * self.w2wy
        xs = self.x - lam * self.w2x
        b, *_ = np.linalg.lstsq(xs, ys, rcond=None)
        return b, ys - xs @ b

    def concentrated(self, params: np.ndarray) -> float:
        rho, lam = float(params[0]), float(params[1])
        _, e = self.gls(rho, lam)
        sse = float(e @ e)
        return -0.5 * self.n * (LN2PI + 1.0) - 0.5 * self.n * np.log(sse / self.n) + self.ldet1(rho) + self.ldet2(lam)

    def loglik(self, theta: np.ndarray) -> float:
        """Log-likelihood at (rho, lambda, b) with s2 concentrated out, for the numerical Hessian."""
        rho, lam, b = float(theta[0]), float(theta[1]), theta[2:]
        ay = self.y - rho * self.wy
        u = ay - self.x @ b
        e = u - lam * self.w2.lag(u)
        sse = float(e @ e)
        return -0.5 * self.n * (LN2PI + 1.0) - 0.5 * self.n * np.log(sse / self.n) + self.ldet1(rho) + self.ldet2(lam)


def fit_sac(y: pd.Series, X: pd.DataFrame, w1: SampleWeights, w2: SampleWeights | None = None, *, ldet: str = "auto") -> SpatialFit:
    """`sac(w)` or `sac(w1, w2)` by ML; X holds the Intercept column and the regressors."""
    w2 = w1 if w2 is None else w2
    check_rows(y, w1)
    check_rows(y, w2)
    if not w1.regions.equals(w2.regions):
        raise EstimationError("the two weight matrices of sac(w1, w2) must cover the same regions in the same order")
    yv, xv, names = regressor_arrays(y, X)
    x = np.column_stack([np.ones(len(yv)), xv])
    model = _Sarar(yv.ravel(), x, w1, w2, ldet)
    bounds = [_inside(model.ldet1.interval()), _inside(model.ldet2.interval())]
    grid = [(r, lam) for r in np.linspace(*bounds[0], 5)[1:-1] for lam in np.linspace(*bounds[1], 5)[1:-1]] + [(0.0, 0.0)]
    start = max(grid, key=lambda p: model.concentrated(np.array(p)))
    opt = optimize.minimize(lambda p: -model.concentrated(p), np.array(start), method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500})
    if not opt.success and "ABNORMAL" not in str(opt.message):
        raise EstimationError(f"the SAC likelihood did not converge: {opt.message}")
    rho, lam = (float(v) for v in opt.x)
    b, e = model.gls(rho, lam)
    n = model.n
    s2 = float(e @ e) / n
    loglik = model.concentrated(opt.x)
    theta = np.concatenate([[rho, lam], b])
    if n <= DENSE_LIMIT:
        cov_theta = _information_cov(model, rho, lam, b, s2)
        vcov = "ML information matrix (LeSage's sac.m, as sacsarlm method='eigen')"
    else:
        cov_theta = _hessian_cov(model, theta)
        vcov = "inverse numerical Hessian (as sacsarlm's fdHess)"
    order = list(range(2, 2 + len(b))) + [0, 1]  # coefficients first, then rho, lambda
    coef = [INTERCEPT, *names, "rho", "lambda"]
    warnings = tuple(
        f"{name} = {value:.4g} is at the edge of its stable interval ({low:.4g}, {high:.4g}); the estimate is unreliable"
        for name, value, (low, high) in (("rho", rho, bounds[0]), ("lambda", lam, bounds[1]))
        if min(value - low, high - value) < 1e-4
    )
    predicted = rho * model.wy + x @ b
    k = len(b) + 2
    same = w2 is w1
    return SpatialFit(
        model="sac", method="ml", params=named(theta[order], coef), cov=named_cov(cov_theta[np.ix_(order, order)], coef), nobs=n,
        stats={"loglik": loglik, "aic": -2 * loglik + 2 * k, "schwarz": -2 * loglik + k * np.log(n), "pseudo_r2": pseudo_r2(yv, predicted), "sigma2": s2},
        call=f"povdsl SARAR ML: scipy.optimize.minimize(L-BFGS-B) over (rho, lambda) of the concentrated likelihood, log-determinants by {model.ldet1.method}"
        + ("" if same else f"; W1={w1.name}, W2={w2.name}"),
        weights=w1, durbin={xn: lag for xn, lag in durbin_names(names, w1).items() if lag in names}, vcov=vcov, warnings=warnings, raw=opt,
    )


def _inside(interval: tuple[float, float]) -> tuple[float, float]:
    low, high = interval
    low = max(low, -1e3) + MARGIN
    high = min(high, 1e3) - MARGIN
    return low, high


def _information_cov(m: _Sarar, rho: float, lam: float, b: np.ndarray, s2: float) -> np.ndarray:
    """Inverse of the analytic information matrix in (s2, rho, lambda, b), returned for (rho, lambda, b)."""
    n = m.n
    w1 = m.w1.matrix.toarray()
    w2 = m.w2.matrix.toarray()
    eye = np.eye(n)
    a_inv = np.linalg.inv(eye - rho * w1)
    bmat = eye - lam * w2
    b_inv = np.linalg.inv(bmat)
    wa = w1 @ a_inv
    wb = w2 @ b_inv
    bx = bmat @ m.x
    bwabi = bmat @ wa @ b_inv
    bwaxb = bmat @ wa @ (m.x @ b)
    p = len(b)
    info = np.zeros((p + 3, p + 3))
    info[3:, 3:] = bx.T @ bx / s2
    info[0, 0] = n / (2 * s2 * s2)
    info[1, 1] = np.trace(wa @ wa) + np.sum(bwabi * bwabi) + bwaxb @ bwaxb / s2
    info[2, 2] = np.trace(wb @ wb) + np.sum(wb * wb)
    info[1, 3:] = info[3:, 1] = bx.T @ bwaxb / s2
    info[0, 1] = info[1, 0] = np.trace(wa) / s2
    info[0, 2] = info[2, 0] = np.trace(wb) / s2
    info[1, 2] = info[2, 1] = np.sum(wb * bwabi) + np.trace(w2 @ wa @ b_inv)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise EstimationError("the SAC information matrix is singular") from None
    return cov[1:, 1:]


def _hessian_cov(m: _Sarar, theta: np.ndarray) -> np.ndarray:
    """Inverse of minus the central-difference Hessian of the log-likelihood at theta."""
    k = len(theta)
    steps = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    hess = np.zeros((k, k))
    f0 = m.loglik(theta)
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = steps[i]
            ej[j] = steps[j]
            if i == j:
                value = (m.loglik(theta + ei) - 2 * f0 + m.loglik(theta - ei)) / steps[i] ** 2
            else:
                value = (m.loglik(theta + ei + ej) - m.loglik(theta + ei - ej) - m.loglik(theta - ei + ej) + m.loglik(theta - ei - ej)) / (4 * steps[i] * steps[j])
            hess[i, j] = hess[j, i] = value
    try:
        return np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        raise EstimationError("the SAC log-likelihood's Hessian is singular at the estimate") from None
