"""The registry adapters: a Design plus cut weights -> a povdsl Result with rho/lambda, covariance and impacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.errors import EstimationError
from povdsl.estimate.adapters.spatial import (
    SpatialDesign,
    fit_sac_model,
    fit_sar,
    fit_sem,
    fit_slx,
)
from povdsl.estimate.calls import describe_sar
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.spatial.diagnostics import spatial_diagnostics
from povdsl.estimate.spatial.impacts import impacts
from povdsl.estimate.spatial.ml import fit_ml

XS = ["INC", "HOVAL"]


def spatial_design(columbus) -> SpatialDesign:
    frame, sw, _, _ = columbus
    exog = pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[XS]], axis=1)
    return SpatialDesign(Design(y=frame.CRIME.rename("CRIME"), exog=exog), (sw,))


def test_sar_result_carries_rho_covariance_and_impacts(columbus):
    design = spatial_design(columbus)
    result = fit_sar(design, {"weights": ("w",), "method": "ml", "draws": 300, "seed": 5}, Vcov())
    fit = fit_ml("sar", design.design.y, design.design.exog, design.weights[0])
    pd.testing.assert_series_equal(result.params, fit.params, check_names=False)
    pd.testing.assert_series_equal(result.std_errors, fit.std_errors, check_names=False)
    np.testing.assert_allclose(result.cov.to_numpy(), fit.cov.to_numpy())
    assert result.stats["loglik"] == pytest.approx(fit.stats["loglik"])
    assert {"aic", "pseudo_r2"} <= set(result.stats)
    pd.testing.assert_frame_equal(result.impacts, impacts(fit, draws=300, seed=5))
    assert result.variance is not None and "spreg.ML_Lag" in result.variance.reference


def test_error_model_impacts_are_its_coefficients(columbus):
    """A SEM has no spatial lag of y or x: direct = b (with b's SE and p), indirect = 0, total = b."""
    result = fit_sem(spatial_design(columbus), {"weights": ("w",)}, Vcov())
    assert "lambda" in result.params.index
    table = result.impacts
    assert list(table.index) == XS and table.attrs["draws"] == 0
    for x in XS:
        assert table.loc[x, "direct"] == table.loc[x, "total"] == result.params[x]
        assert table.loc[x, "direct_se"] == pytest.approx(result.std_errors[x], rel=1e-12)
        assert table.loc[x, "direct_pvalue"] == pytest.approx(result.pvalues[x], rel=1e-10)
        assert table.loc[x, "indirect"] == 0 and table.loc[x, "indirect_se"] == 0


def slx_design(columbus, *, standardized: bool) -> SpatialDesign:
    """CRIME ~ INC + HOVAL + W(INC, w) + W(HOVAL, w): the W() columns computed from the declared W."""
    from scipy import sparse

    from povdsl.data.weights import Weights
    from povdsl.estimate.spatial import sample_weights

    frame, sw, _, _ = columbus
    binary = Weights(sparse.csr_matrix((sw.matrix != 0).astype(float)), sw.regions)
    w = sample_weights(binary, sw.regions, name="w", row_standardize=standardized)
    lags = pd.DataFrame(w.lag(frame[XS].to_numpy()), index=frame.index, columns=[f"W({x}, w)" for x in XS])
    exog = pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[XS], lags], axis=1)
    return SpatialDesign(Design(y=frame.CRIME.rename("CRIME"), exog=exog), (w,))


@pytest.mark.parametrize("standardized", [True, False])
def test_slx_impacts_are_b_and_theta_times_the_row_sum(columbus, standardized):
    """LeSage-Pace for SLX, S = I b + W t: direct b, indirect t * 1'W1/n, total their sum; the SEs of these
    linear combinations from statsmodels' OLS covariance, p-values from t(n - k) as the SLX's own.
    Binary W (not standardised): 1'W1/n = 236/49 links per region on Columbus queen contiguity."""
    import statsmodels.api as sm
    from scipy import stats

    design = slx_design(columbus, standardized=standardized)
    result = fit_slx(design, {"weights": ("w",)}, Vcov())
    ols = sm.OLS(design.design.y, design.design.exog).fit()
    m1 = 1.0 if standardized else 236 / 49
    for x in XS:
        lag = f"W({x}, w)"
        b, t = ols.params[x], ols.params[lag]
        v = ols.cov_params()
        row = result.impacts.loc[x]
        assert row["direct"] == pytest.approx(b, rel=1e-10)
        assert row["indirect"] == pytest.approx(m1 * t, rel=1e-10)
        assert row["total"] == pytest.approx(b + m1 * t, rel=1e-10)
        assert row["indirect_se"] == pytest.approx(m1 * np.sqrt(v.loc[lag, lag]), rel=1e-10)
        se_total = np.sqrt(v.loc[x, x] + m1**2 * v.loc[lag, lag] + 2 * m1 * v.loc[x, lag])
        assert row["total_se"] == pytest.approx(se_total, rel=1e-10)
        assert row["total_pvalue"] == pytest.approx(2 * stats.t.sf(abs(b + m1 * t) / se_total, ols.df_resid), rel=1e-8)
        assert row["indirect_pvalue"] == pytest.approx(ols.pvalues[lag], rel=1e-8)
    # the total impact is the mean change of the fitted values when every region's x rises by one
    shifted = design.design.exog.copy()
    shifted["INC"] += 1
    shifted["W(INC, w)"] += np.asarray(design.weights[0].matrix.sum(axis=1)).ravel()
    assert float(np.mean(ols.predict(shifted) - ols.predict(design.design.exog))) == pytest.approx(result.impacts.loc["INC", "total"], rel=1e-10)
    assert list(result.impacts.index) == XS  # the W() terms are the spillovers, not regressors of their own


def test_slx_impacts_as_published_for_columbus(columbus):
    """SLX impacts of CRIME ~ INC + HOVAL with row-standardised queen W, as C. Mendez,
    "Cross-Sectional Spatial Regression in Stata: Crime in Columbus Neighborhoods" (carlos-mendez.org,
    post stata_sp_regression_cross_section, slides) prints them from Stata: INC direct -1.10,
    indirect -1.40, total -2.50; HOVAL -0.29, +0.21, -0.08 (two decimals)."""
    result = fit_slx(slx_design(columbus, standardized=True), {"weights": ("w",)}, Vcov())
    got = result.impacts[["direct", "indirect", "total"]].to_numpy()
    np.testing.assert_allclose(got, [[-1.10, -1.40, -2.50], [-0.29, 0.21, -0.08]], atol=0.0051)


def test_sac_and_vcov_clause(columbus):
    design = spatial_design(columbus)
    result = fit_sac_model(design, {"weights": ("w",), "draws": 50}, Vcov())
    assert list(result.params.index[-2:]) == ["rho", "lambda"]
    assert list(result.impacts.index) == XS
    with pytest.raises(EstimationError, match="own variance"):
        fit_sar(design, {"weights": ("w",)}, Vcov("robust"))
    with pytest.raises(EstimationError, match="method=gmm"):
        fit_sar(design, {"weights": ("w",), "robust": True}, Vcov())


def test_slx_reports_spreg_ols_and_the_diagnostics(columbus):
    design = spatial_design(columbus)
    result = fit_slx(design, {"weights": ("w",)}, Vcov())
    want = spatial_diagnostics(design.design.y, design.design.exog, design.weights[0])
    for key, value in want.items():
        assert result.stats[key] == pytest.approx(value, rel=1e-12)
    import statsmodels.api as sm

    ols = sm.OLS(design.design.y, design.design.exog).fit()
    np.testing.assert_allclose(result.params.to_numpy(), ols.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(result.std_errors.to_numpy(), ols.bse.to_numpy(), rtol=1e-10)


def test_describe_names_the_spreg_call():
    assert describe_sar({}, {"weights": ("traveltime",), "method": "gmm", "robust": True}, Vcov()) == "spreg.GM_Lag(y, X, w=traveltime, w_lags=2, robust='white')"


def test_a_lag_of_a_variable_that_is_no_regressor_is_a_pure_spillover(columbus):
    """CRIME ~ HOVAL + W(INC, w): b_INC = 0, so the W(INC, w) row has direct 0 and indirect = total = its coefficient
    times 1'W1/n (binary W: 236/49), with that coefficient's SE scaled alike; a lag under another matrix gets no row."""
    design = slx_design(columbus, standardized=False)
    exog = design.design.exog.drop(columns=["INC"]).assign(**{"W(INC, other)": design.design.exog["INC"] ** 2})
    design = SpatialDesign(Design(y=design.design.y, exog=exog), design.weights)
    result = fit_slx(design, {"weights": ("w",)}, Vcov())
    row = result.impacts.loc["W(INC, w)"]
    m1 = 236 / 49
    assert row["direct"] == 0 and row["direct_se"] == 0
    assert row["indirect"] == pytest.approx(m1 * result.params["W(INC, w)"], rel=1e-12) == pytest.approx(row["total"], rel=1e-12)
    assert row["indirect_se"] == pytest.approx(m1 * result.std_errors["W(INC, w)"], rel=1e-12)
    assert "W(INC, other)" not in result.impacts.index and "HOVAL" in result.impacts.index
