"""Every spatial estimator against a direct spreg call on the same data (rtol 1e-8)."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from povdsl.data.weights import Weights
from povdsl.estimate.spatial import sample_weights
from povdsl.estimate.spatial.diagnostics import spatial_diagnostics
from povdsl.estimate.spatial.gmm import fit_gmm
from povdsl.estimate.spatial.ml import fit_ml, with_durbin
from povdsl.estimate.spatial.panel import fit_panel_fe


def design(frame: pd.DataFrame, xs: list[str]) -> pd.DataFrame:
    return pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[xs]], axis=1)


def arrays(frame: pd.DataFrame, y: str, xs: list[str]):
    """C-ordered, as povdsl hands them to spreg (see fit.regressor_arrays)."""
    return np.ascontiguousarray(frame[[y]].to_numpy()), np.ascontiguousarray(frame[xs].to_numpy())

spreg = pytest.importorskip("spreg")
RTOL = 1e-8
XS = ["INC", "HOVAL"]


def direct(function, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def same(fit, reg, *, cov=True):
    np.testing.assert_allclose(fit.params.to_numpy(), np.ravel(reg.betas), rtol=RTOL)
    if cov:
        np.testing.assert_allclose(fit.cov.to_numpy(), reg.vm, rtol=RTOL)
        np.testing.assert_allclose(fit.std_errors.to_numpy(), np.ravel(reg.std_err), rtol=RTOL)
        np.testing.assert_allclose(fit.pvalues.to_numpy(), [p for _, p in reg.z_stat], rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("model, cls", [("sar", "ML_Lag"), ("sem", "ML_Error")])
def test_ml_matches_spreg(columbus, model, cls):
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    reg = direct(getattr(spreg, cls), y, x, w, method="full")
    fit = fit_ml(model, frame.CRIME, design(frame, XS), sw)
    same(fit, reg)
    assert list(fit.params.index) == ["Intercept", "INC", "HOVAL", "rho" if model == "sar" else "lambda"]
    for key, attr in (("loglik", "logll"), ("aic", "aic"), ("pseudo_r2", "pr2")):
        assert fit.stats[key] == pytest.approx(float(getattr(reg, attr)), rel=RTOL)


@pytest.mark.parametrize("ldet, method", [("lu", "LU"), ("ord", "ord")])
def test_ml_log_determinant_methods_are_spregs(columbus, ldet, method):
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    reg = direct(spreg.ML_Lag, y, x, w, method=method)
    same(fit_ml("sar", frame.CRIME, design(frame, XS), sw, ldet=ldet), reg)


def test_sdm_is_spreg_slx_and_sar_with_hand_written_lags(columbus):
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    reg = direct(spreg.ML_Lag, y, x, w, slx_lags=1, method="full")
    sdm = fit_ml("sdm", frame.CRIME, design(frame, XS), sw)
    same(sdm, reg)
    assert list(sdm.params.index) == ["Intercept", "INC", "HOVAL", "W(INC, w)", "W(HOVAL, w)", "rho"]
    by_hand, _ = with_durbin(design(frame, XS), sw)
    sar = fit_ml("sar", frame.CRIME, by_hand, sw)
    pd.testing.assert_series_equal(sar.params, sdm.params, rtol=1e-6)  # spreg's xatol on rho is 1e-7
    assert sar.durbin == sdm.durbin == {"INC": "W(INC, w)", "HOVAL": "W(HOVAL, w)"}


@pytest.mark.parametrize("robust", [False, True])
def test_gmm_lag_is_spatial_2sls_with_two_lags(columbus, robust):
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    reg = direct(spreg.GM_Lag, y, x, w=w, w_lags=2, robust="white" if robust else None)
    same(fit_gmm("sar", frame.CRIME, design(frame, XS), sw, robust=robust), reg, cov=False)
    fit = fit_gmm("sar", frame.CRIME, design(frame, XS), sw, robust=robust)
    np.testing.assert_allclose(fit.cov.to_numpy(), reg.vm, rtol=RTOL)
    sdm = fit_gmm("sdm", frame.CRIME, design(frame, XS), sw, robust=robust)
    same(sdm, direct(spreg.GM_Lag, y, x, w=w, w_lags=2, slx_lags=1, robust="white" if robust else None))


@pytest.mark.parametrize("model, hom, het", [("sem", "GM_Error_Hom", "GM_Error_Het"), ("sac", "GM_Combo_Hom", "GM_Combo_Het")])
@pytest.mark.parametrize("robust", [False, True])
def test_gmm_error_and_combo(columbus, model, hom, het, robust):
    """Both variances against spreg called directly: lambda has a standard error in each (DEP 2013 / ADKP 2010)."""
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    extra = {"w_lags": 2} if model == "sac" else {}
    fit = fit_gmm(model, frame.CRIME, design(frame, XS), sw, robust=robust)
    reg = direct(getattr(spreg, het if robust else hom), y, x, w=w, **extra)
    same(fit, reg)
    assert np.isfinite(fit.std_errors.to_numpy()).all()
    assert fit.std_errors["lambda"] == pytest.approx(float(np.sqrt(reg.vm[-1, -1])), rel=RTOL)
    assert fit.call.startswith(f"spreg.{het if robust else hom}(")


def test_diagnostics_match_spreg(columbus):
    frame, sw, w, _ = columbus
    y, x = arrays(frame, "CRIME", XS)
    ols = direct(spreg.OLS, y, x, w=w, spat_diag=True, moran=True)
    got = spatial_diagnostics(frame.CRIME, design(frame, XS), sw)
    assert got["moran"] == pytest.approx(ols.moran_res[0], rel=RTOL)
    assert got["moran_pvalue"] == pytest.approx(ols.moran_res[2], rel=1e-6)
    for key, attr in (("lm_lag", "lm_lag"), ("lm_error", "lm_error"), ("rlm_lag", "rlm_lag"), ("rlm_error", "rlm_error")):
        stat, pvalue = getattr(ols, attr)
        assert got[key] == pytest.approx(stat, rel=RTOL)
        assert got[f"{key}_pvalue"] == pytest.approx(pvalue, rel=1e-6)


def _panel(seed=3, periods=4):
    rng = np.random.default_rng(seed)
    n = 30
    coords = rng.uniform(size=(n, 2))
    d = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :4]
    m = np.zeros((n, n))
    np.put_along_axis(m, nearest, 1.0, axis=1)
    regions = pd.Index([f"r{i:02d}" for i in range(n)])
    sw = sample_weights(Weights(sparse.csr_matrix(m), regions), regions, name="knn", row_standardize=True)
    W = sw.matrix.toarray()
    rows = []
    for t in range(periods):
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        e = rng.normal(size=n)
        fe = np.arange(n) / 10
        y = np.linalg.solve(np.eye(n) - 0.4 * W, 1.0 * x1 - 0.5 * x2 + fe + e)
        rows.append(pd.DataFrame({"region": regions, "year": 2000 + t, "y": y, "x1": x1, "x2": x2}))
    frame = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=1)  # any row order
    return frame, sw


@pytest.mark.parametrize("model, cls", [("sar", "Panel_FE_Lag"), ("sem", "Panel_FE_Error")])
def test_panel_fe_matches_spreg(model, cls):
    frame, sw = _panel()
    fit = fit_panel_fe(model, frame.y, frame[["x1", "x2"]], sw, frame.region, frame.year)
    ordered = frame.sort_values(["year", "region"])
    reg = direct(getattr(spreg, cls), ordered[["y"]].to_numpy(), ordered[["x1", "x2"]].to_numpy(), sw.to_libpysal())
    same(fit, reg)
    assert fit.stats["loglik"] == pytest.approx(float(reg.logll), rel=RTOL)
    assert fit.periods == 4


def test_unbalanced_panel_is_refused_naming_the_period():
    from povdsl.errors import EstimationError

    frame, sw = _panel()
    frame = frame[~((frame.year == 2002) & (frame.region == "r05"))]
    with pytest.raises(EstimationError, match="balanced") as info:
        fit_panel_fe("sar", frame.y, frame[["x1", "x2"]], sw, frame.region, frame.year)
    assert "2002" in str(info.value)
