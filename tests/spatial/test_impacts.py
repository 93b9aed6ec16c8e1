"""Impacts against a hand computation with the dense inverse of I - rho W."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from povdsl.data.weights import Weights
from povdsl.errors import EstimationError
from povdsl.estimate.spatial import sample_weights
from povdsl.estimate.spatial.fit import SpatialFit
from povdsl.estimate.spatial.impacts import impacts, multipliers
from povdsl.estimate.spatial.ml import fit_ml
from povdsl.estimate.spatial.sac import fit_sac

XS = ["INC", "HOVAL"]


def design(frame):
    return pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[XS]], axis=1)


def by_hand(fit, w: np.ndarray, name: str) -> tuple[float, float, float]:
    n = len(w)
    s = np.linalg.inv(np.eye(n) - fit.params["rho"] * w)
    theta = fit.params.get(fit.durbin.get(name, ""), 0.0)
    sr = s @ (np.eye(n) * fit.params[name] + w * theta)
    direct, total = np.trace(sr) / n, sr.sum() / n
    return direct, total - direct, total


@pytest.mark.parametrize("model", ["sar", "sdm", "sac"])
def test_impacts_are_the_dense_hand_computation(columbus, model):
    frame, sw, _, _ = columbus
    fit = fit_sac(frame.CRIME, design(frame), sw) if model == "sac" else fit_ml(model, frame.CRIME, design(frame), sw)
    table = impacts(fit, draws=200)
    assert list(table.index) == XS
    for name in XS:
        np.testing.assert_allclose(table.loc[name, ["direct", "indirect", "total"]].to_numpy(dtype=float), by_hand(fit, sw.matrix.toarray(), name), rtol=1e-10)


def test_impacts_on_a_weight_matrix_that_is_not_row_standardised():
    """Totals are 1'S1/n, not b/(1 - rho), when rows do not sum to one."""
    rng = np.random.default_rng(5)
    n = 12
    m = rng.uniform(0.0, 1.0, size=(n, n)) * (rng.uniform(size=(n, n)) < 0.4)
    np.fill_diagonal(m, 0.0)
    m[np.arange(n), (np.arange(n) + 1) % n] = 0.3  # no isolated region
    regions = pd.Index([f"r{i}" for i in range(n)])
    sw = sample_weights(Weights(sparse.csr_matrix(m), regions), regions, name="w", row_standardize=False)
    names = ["Intercept", "x", "W(x, w)", "rho"]
    params = pd.Series([1.0, 2.0, -0.7, 0.25], index=names)
    cov = pd.DataFrame(np.diag([0.1, 0.04, 0.02, 0.001]), index=names, columns=names)
    fit = SpatialFit("sdm", "ml", params, cov, n, {}, "", sw, durbin={"x": "W(x, w)"})
    table = impacts(fit, draws=0)
    np.testing.assert_allclose(table.loc["x", ["direct", "indirect", "total"]].to_numpy(dtype=float), by_hand(fit, m, "x"), rtol=1e-10)


def test_power_series_traces_approximate_the_exact_ones():
    """Above the exact limit, Monte Carlo traces for k >= 3: on an 800-region symmetric kNN W,
    row-standardised, tr(S)/n is within 0.5% of the exact value, which the test takes from the
    eigenvalues of the symmetric matrix D^-1/2 A D^-1/2 similar to W."""
    rng = np.random.default_rng(11)
    n = 800
    coords = rng.uniform(size=(n, 2))
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(coords).query(coords, k=6)
    rows = np.repeat(np.arange(n), 5)
    a = sparse.csr_matrix((np.ones(n * 5), (rows, nearest[:, 1:].ravel())), shape=(n, n))
    a = ((a + a.T) > 0).astype(float)
    regions = pd.RangeIndex(n)
    sw = sample_weights(Weights(sparse.csr_matrix(a), pd.Index(regions)), regions, name="knn", row_standardize=True)
    d = np.asarray(a.sum(axis=1)).ravel()
    eigenvalues = np.linalg.eigvalsh((a.multiply(1 / np.sqrt(np.outer(d, d)))).toarray())
    rho = np.array([-0.3, 0.2, 0.6])
    power = multipliers(sw, 0.6)
    assert power.method == "power"
    direct, direct_w, total, total_w = power.averages(rho)
    exact = (1 / (1 - rho[:, None] * eigenvalues[None, :])).mean(axis=1)
    exact_w = (eigenvalues[None, :] / (1 - rho[:, None] * eigenvalues[None, :])).mean(axis=1)
    np.testing.assert_allclose(direct, exact, rtol=5e-3)
    np.testing.assert_allclose(direct_w, exact_w, rtol=5e-2, atol=2e-3)
    np.testing.assert_allclose(total, 1 / (1 - rho), rtol=1e-10)  # rows sum to one: 1'S1/n exact
    np.testing.assert_allclose(total_w, 1 / (1 - rho), rtol=1e-10)
    np.testing.assert_allclose(power.traces[1:3], [eigenvalues.mean(), (eigenvalues**2).mean()], rtol=1e-8, atol=1e-12)


def test_simulated_inference_is_seeded_and_sensible(columbus):
    frame, sw, _, _ = columbus
    fit = fit_ml("sar", frame.CRIME, design(frame), sw)
    a = impacts(fit, draws=500, seed=7)
    b = impacts(fit, draws=500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = impacts(fit, draws=500, seed=8)
    assert not np.allclose(a["direct_se"], c["direct_se"])
    # in a SAR the direct impact is b * tr(S)/n, nearly b: its SE is close to b's own SE
    assert a.loc["INC", "direct_se"] == pytest.approx(fit.std_errors["INC"], rel=0.15)
    assert a.attrs["draws"] + a.attrs["discarded"] == 500
    assert ((a[["direct_pvalue", "indirect_pvalue", "total_pvalue"]] >= 0) & (a[["direct_pvalue", "indirect_pvalue", "total_pvalue"]] <= 1)).all().all()


def test_impacts_of_an_error_model_are_refused(columbus):
    frame, sw, _, _ = columbus
    with pytest.raises(EstimationError, match="no spatial lag of y"):
        impacts(fit_ml("sem", frame.CRIME, design(frame), sw))


def test_impacts_when_the_spectral_radius_is_far_from_one():
    """W with r(W) = 0.1 and rho = 4 (rho r(W) = 0.4): the series runs in rho r(W), so nothing overflows."""
    rng = np.random.default_rng(9)
    n = 15
    m = (rng.uniform(size=(n, n)) < 0.3) * rng.uniform(0.5, 1.0, size=(n, n))
    np.fill_diagonal(m, 0.0)
    m[np.arange(n), (np.arange(n) + 1) % n] = 1.0
    m = m * (0.1 / np.max(np.abs(np.linalg.eigvals(m))))
    regions = pd.Index([f"r{i}" for i in range(n)])
    sw = sample_weights(Weights(sparse.csr_matrix(m), regions), regions, name="w", row_standardize=False)
    names = ["Intercept", "x", "W(x, w)", "rho"]
    params = pd.Series([1.0, 2.0, -0.7, 4.0], index=names)
    cov = pd.DataFrame(np.diag([0.1, 0.04, 0.02, 0.01]), index=names, columns=names)
    fit = SpatialFit("sdm", "ml", params, cov, n, {}, "", sw, durbin={"x": "W(x, w)"})
    for method in ("exact", "power"):
        table = impacts(fit, draws=100, method=method)
        np.testing.assert_allclose(table.loc["x", ["direct", "indirect", "total"]].to_numpy(dtype=float), by_hand(fit, m, "x"), rtol=1e-9 if method == "exact" else 0.05)
        assert np.isfinite(table.to_numpy(dtype=float)).all()
