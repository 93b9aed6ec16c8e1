"""The registry adapters: a Design plus cut weights -> a povdsl Result with rho/lambda, covariance and impacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.errors import EstimationError
from povdsl.estimate.adapters.spatial import (
    SpatialDesign,
    describe_sar,
    fit_sac_model,
    fit_sar,
    fit_sem,
    fit_slx,
)
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


def test_error_model_has_lambda_and_no_impacts(columbus):
    result = fit_sem(spatial_design(columbus), {"weights": ("w",)}, Vcov())
    assert "lambda" in result.params.index and result.impacts is None


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
