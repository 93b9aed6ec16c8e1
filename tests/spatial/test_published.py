"""Spatial estimators against numbers published by other software on public data.

Columbus (Anselin 1988): CRIME ~ INC + HOVAL, the 49 neighbourhoods' contiguity
matrix columbus.gal, row-standardised; Baltimore: PRICE ~ NROOM + AGE + SQFT,
baltim_q.gal row-standardised. Both ship inside libpysal, so these run offline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.estimate.spatial.gmm import fit_gmm
from povdsl.estimate.spatial.ml import fit_ml


def design(frame, xs):
    return pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[xs]], axis=1)


def test_columbus_ml_lag_as_geoda_prints_it(columbus):
    """GeoDa's ML spatial lag output for this model (Anselin, "Exploring Spatial Data with GeoDa:
    A Workbook", 2005, spatial lag chapter): W_CRIME 0.4233, CONSTANT 45.6033, INC -1.0487,
    HOVAL -0.2663, log likelihood -182.674; printed to 4 decimals, hence the tolerance."""
    frame, sw, _, _ = columbus
    fit = fit_ml("sar", frame.CRIME, design(frame, ["INC", "HOVAL"]), sw)
    assert fit.params.to_dict() == pytest.approx({"Intercept": 45.6033, "INC": -1.0487, "HOVAL": -0.2663, "rho": 0.4233}, abs=6e-5)
    assert fit.stats["loglik"] == pytest.approx(-182.674, abs=6e-4)


def test_baltimore_ml_lag_and_error_as_spregs_test_suite_publishes(baltimore):
    """spreg's tests/test_ml_lag.py and tests/test_ml_error.py (spreg 1.9) print these for
    PRICE ~ NROOM + AGE + SQFT on baltim_q.gal, method FULL."""
    frame, sw, _, _ = baltimore
    xs = ["NROOM", "AGE", "SQFT"]
    lag = fit_ml("sar", frame.PRICE, design(frame, xs), sw)
    np.testing.assert_allclose(lag.params.to_numpy(), [-6.04040164, 3.48995114, -0.20103955, 0.65462382, 0.62351143], rtol=1e-6)
    np.testing.assert_allclose(lag.std_errors.to_numpy(), [5.34536131, 1.19307022, 0.05367198, 0.17194162, 0.05763147], rtol=1e-6)
    assert lag.stats["loglik"] == pytest.approx(-875.92771143484833, rel=1e-9)
    assert lag.stats["aic"] == pytest.approx(1761.8554228696967, rel=1e-9)
    err = fit_ml("sem", frame.PRICE, design(frame, xs), sw)
    np.testing.assert_allclose(err.params.to_numpy(), [19.45930348, 3.98928064, -0.16714232, 0.57336871, 0.71757002], rtol=1e-4)


def test_columbus_gm_lag_as_spregs_test_suite_publishes(columbus_rook):
    """spreg's tests/test_twosls_sp.py (TestBaseGMLag): HOVAL ~ INC + CRIME, w_lags=2, rook W from the shapefile."""
    frame, sw = columbus_rook
    fit = fit_gmm("sar", frame.HOVAL, design(frame, ["INC", "CRIME"]), sw)
    np.testing.assert_allclose(fit.params.to_numpy(), [4.53017056e01, 6.20888617e-01, -4.80723451e-01, 2.83622122e-02], rtol=1e-7)
    np.testing.assert_allclose(np.diag(fit.cov.to_numpy()), [3.20867996e02, 2.75478880e-01, 3.32265449e-02, 1.00743323e-01], rtol=1e-7)
    robust = fit_gmm("sar", frame.HOVAL, design(frame, ["INC", "CRIME"]), sw, robust=True)
    np.testing.assert_allclose(robust.std_errors.to_numpy(), [20.47077481, 0.50613931, 0.20138425, 0.38028295], rtol=1e-7)


def test_columbus_gm_error_as_spregs_test_suite_publishes(columbus_rook):
    """spreg's tests/test_error_sp.py (TestBaseGMError): HOVAL ~ INC + CRIME, rook W from the shapefile."""
    frame, sw = columbus_rook
    fit = fit_gmm("sem", frame.HOVAL, design(frame, ["INC", "CRIME"]), sw)
    np.testing.assert_allclose(fit.params.to_numpy(), [47.94371455, 0.70598088, -0.55571746, 0.37230161], rtol=1e-5)  # spreg tests this at libpysal.common.RTOL = 1e-5


def test_row_standardised_weights_are_libpysals_own(columbus):
    _, sw, _, libpysal_w = columbus
    np.testing.assert_allclose(sw.matrix.toarray(), libpysal_w.full()[0], rtol=0, atol=1e-15)
