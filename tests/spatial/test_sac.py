"""SAC (SARAR) by ML, povdsl's own likelihood, against independent dense computations.

spreg has no ML SARAR, so the references are written here from the model's
definition with dense matrices: y ~ N(mu, Sigma), mu = A^-1 X b,
Sigma = s2 (B A)^-1 (B A)^-T, A = I - rho W1, B = I - lambda W2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from povdsl.estimate.spatial import sac as sac_module
from povdsl.estimate.spatial.ml import fit_ml
from povdsl.estimate.spatial.sac import fit_sac

XS = ["INC", "HOVAL"]


def design(frame):
    return pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[XS]], axis=1)


def full_loglik(theta, y, x, w):
    """Log-likelihood in (rho, lambda, b..., log s2) with dense determinants."""
    n, k = x.shape
    rho, lam, b, s2 = theta[0], theta[1], theta[2 : 2 + k], np.exp(theta[-1])
    a = np.eye(n) - rho * w
    bm = np.eye(n) - lam * w
    e = bm @ (a @ y - x @ b)
    return -0.5 * n * np.log(2 * np.pi * s2) - e @ e / (2 * s2) + np.linalg.slogdet(a)[1] + np.linalg.slogdet(bm)[1]


def dense_problem(columbus):
    frame, sw, _, _ = columbus
    y = frame.CRIME.to_numpy()
    x = np.column_stack([np.ones(len(y)), frame[XS].to_numpy()])
    return frame, sw, y, x, sw.matrix.toarray()


def test_sac_maximises_the_dense_likelihood(columbus):
    frame, sw, y, x, w = dense_problem(columbus)
    fit = fit_sac(frame.CRIME, design(frame), sw)
    b0 = np.linalg.lstsq(x, y, rcond=None)[0]
    start = np.concatenate([[0.0, 0.0], b0, [np.log(np.mean((y - x @ b0) ** 2))]])
    ref = optimize.minimize(lambda t: -full_loglik(t, y, x, w), start, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    want = np.concatenate([ref.x[2:5], ref.x[:2]])
    np.testing.assert_allclose(fit.params.to_numpy(), want, rtol=2e-5, atol=2e-6)
    assert fit.stats["loglik"] == pytest.approx(-ref.fun, abs=1e-7)
    assert fit.stats["loglik"] >= -ref.fun - 1e-9  # never below the brute-force optimum
    assert list(fit.params.index) == ["Intercept", "INC", "HOVAL", "rho", "lambda"]


def test_sac_covariance_is_the_gaussian_fisher_information(columbus):
    """I_ij = mu_i' Sigma^-1 mu_j + tr(Sigma^-1 Sigma_i Sigma^-1 Sigma_j)/2, derivatives by central differences."""
    frame, sw, _, x, w = dense_problem(columbus)
    fit = fit_sac(frame.CRIME, design(frame), sw)
    n, k = x.shape
    s2 = fit.stats["sigma2"]
    theta = np.concatenate([fit.params.to_numpy()[:k], [fit.params["rho"], fit.params["lambda"], s2]])

    def moments(t):
        b, rho, lam, sig2 = t[:k], t[k], t[k + 1], t[k + 2]
        ba = (np.eye(n) - lam * w) @ (np.eye(n) - rho * w)
        inv = np.linalg.inv(ba)
        return np.linalg.solve(np.eye(n) - rho * w, x @ b), sig2 * inv @ inv.T

    _, sigma0 = moments(theta)
    sigma_inv = np.linalg.inv(sigma0)
    d_mu, d_sigma = [], []
    for i in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        (mu_u, s_u), (mu_d, s_d) = moments(up), moments(down)
        d_mu.append((mu_u - mu_d) / (2 * h))
        d_sigma.append((s_u - s_d) / (2 * h))
    info = np.array([[d_mu[i] @ sigma_inv @ d_mu[j] + 0.5 * np.trace(sigma_inv @ d_sigma[i] @ sigma_inv @ d_sigma[j]) for j in range(len(theta))] for i in range(len(theta))])
    cov = np.linalg.inv(info)[:-1, :-1]
    np.testing.assert_allclose(fit.cov.to_numpy(), cov, rtol=1e-5, atol=1e-10)


def test_large_sample_path_uses_the_numerical_hessian(columbus, monkeypatch):
    """Above DENSE_LIMIT the covariance is -H^-1 of the log-likelihood (s2 concentrated), as sacsarlm's fdHess;
    checked against the same Hessian of the dense likelihood in (rho, lambda, b, log s2)."""
    frame, sw, y, x, w = dense_problem(columbus)
    monkeypatch.setattr(sac_module, "DENSE_LIMIT", 10)
    fit = fit_sac(frame.CRIME, design(frame), sw, ldet="lu")
    k = x.shape[1]
    theta = np.concatenate([[fit.params["rho"], fit.params["lambda"]], fit.params.to_numpy()[:k], [np.log(fit.stats["sigma2"])]])
    m = len(theta)
    hess = np.zeros((m, m))
    steps = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    for i in range(m):
        for j in range(m):
            ei, ej = np.eye(m)[i] * steps[i], np.eye(m)[j] * steps[j]
            corners = ((1, ei, ej), (-1, ei, -ej), (-1, -ei, ej), (1, -ei, -ej))
            hess[i, j] = sum(sign * full_loglik(theta + di + dj, y, x, w) for sign, di, dj in corners) / (4 * steps[i] * steps[j])
    cov = np.linalg.inv(-hess)[:-1, :-1]
    order = list(range(2, 2 + k)) + [0, 1]
    np.testing.assert_allclose(fit.cov.to_numpy(), cov[np.ix_(order, order)], rtol=2e-3)


def test_sac_with_lambda_zero_data_is_close_to_sar(columbus):
    """Sanity: the SAC likelihood is at least the SAR's (SAR is SAC with lambda = 0)."""
    frame, sw, _, _ = columbus
    sac = fit_sac(frame.CRIME, design(frame), sw)
    sar = fit_ml("sar", frame.CRIME, design(frame), sw)
    assert sac.stats["loglik"] >= sar.stats["loglik"] - 1e-9
