"""Spatial diagnostics on OLS residuals: Moran's I and the LM tests, by spreg.

For an OLS or SLX model (W(x) terms on the right, no spatial lag of y) these
say whether the residuals are spatially autocorrelated and whether a lag or
an error model fits better (Anselin 1988; Anselin, Bera, Florax and Yoon
1996 for the robust forms). spreg computes them from its OLS object:
MoranRes(z=True) and LMtests.
"""

from __future__ import annotations

import pandas as pd

from povdsl.estimate.spatial.backend import call, require
from povdsl.estimate.spatial.fit import check_rows, regressor_arrays
from povdsl.estimate.spatial.lattice import SampleWeights

# Result.stats keys, as `fit` rows of a table
DIAGNOSTICS = ("moran", "moran_pvalue", "lm_lag", "lm_lag_pvalue", "lm_error", "lm_error_pvalue", "rlm_lag", "rlm_lag_pvalue", "rlm_error", "rlm_error_pvalue")


def spatial_diagnostics(y: pd.Series, X: pd.DataFrame, w: SampleWeights) -> dict[str, float]:
    """Moran's I of the OLS residuals (normal-approximation p-value) and LM-lag, LM-error and their robust forms."""
    check_rows(y, w)
    yv, xv, _ = regressor_arrays(y, X)
    spreg = require("spreg")
    diagnostics = require("spreg.diagnostics_sp")
    ols = call("ols", spreg.OLS, yv, xv)
    lib_w = w.to_libpysal()
    moran = call("ols", diagnostics.MoranRes, ols, lib_w, z=True)
    lm = call("ols", diagnostics.LMtests, ols, lib_w, tests=["lme", "lml", "rlme", "rlml"])
    return {
        "moran": float(moran.I),
        "moran_pvalue": float(moran.p_norm),
        "lm_lag": float(lm.lml[0]),
        "lm_lag_pvalue": float(lm.lml[1]),
        "lm_error": float(lm.lme[0]),
        "lm_error_pvalue": float(lm.lme[1]),
        "rlm_lag": float(lm.rlml[0]),
        "rlm_lag_pvalue": float(lm.rlml[1]),
        "rlm_error": float(lm.rlme[0]),
        "rlm_error_pvalue": float(lm.rlme[1]),
    }
