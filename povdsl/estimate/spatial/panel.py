"""Spatial panels with unit fixed effects by ML (Elhorst 2003): spreg's Panel_FE_Lag / Panel_FE_Error.

Rows must form a balanced panel, every period holding every region of W
once; spreg wants them period by period (all regions of the first period,
then the second, ...), which `panel_order` produces. The within
transformation absorbs the constant, so X has no Intercept here. W applies
period by period (I_T kron W), as W() does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.spatial.backend import call, require
from povdsl.estimate.spatial.fit import INTERCEPT, SpatialFit, named, named_cov
from povdsl.estimate.spatial.lattice import SampleWeights
from povdsl.estimate.spatial.logdet import refuse_dense
from povdsl.estimate.spatial.ml import durbin_names


def panel_order(entity: pd.Series, time: pd.Series, w: SampleWeights) -> np.ndarray:
    """Row positions that sort the sample period by period in W's region order; refuses unbalanced panels."""
    periods = pd.Index(sorted(pd.unique(time)))
    region_pos = w.regions.get_indexer(entity.to_numpy())
    if (region_pos < 0).any():
        missing = pd.unique(entity.to_numpy()[region_pos < 0])[:8]
        raise EstimationError(f"unit(s) {', '.join(map(str, missing))} are not regions of the weight matrix")
    time_pos = periods.get_indexer(time.to_numpy())
    key = time_pos * w.n + region_pos
    if len(np.unique(key)) != len(key):
        raise EstimationError("a spatial panel needs one row per region and period; some region appears twice in a period")
    if len(key) != w.n * len(periods):
        counts = pd.Series(time_pos).value_counts()
        short = [str(periods[p]) for p, c in counts.items() if c < w.n]
        raise EstimationError(
            f"a spatial panel must be balanced: {len(key)} rows for {w.n} regions x {len(periods)} periods",
            hint=f"period(s) {', '.join(sorted(short)[:8])} lack some regions (missing values drop rows too)",
        )
    return np.argsort(key, kind="stable")


def fit_panel_fe(model: str, y: pd.Series, X: pd.DataFrame, w: SampleWeights, entity: pd.Series, time: pd.Series, *, epsilon: float = 1e-7) -> SpatialFit:
    """`sar(w, fe=unit)` or `sem(w, fe=unit)`."""
    refuse_dense(w.n, f"{model}(w, fe=...) by spreg's ML", hint="spreg's panel likelihood is dense in the regions; fit one period at a time with sar(w) or sem(w)")
    order = panel_order(entity, time, w)
    names = [str(c) for c in X.columns if c != INTERCEPT]
    if not names:
        raise EstimationError("a fixed-effects spatial panel needs at least one regressor that varies within units")
    yv = y.to_numpy(dtype=float)[order].reshape(-1, 1)
    xv = X[names].to_numpy(dtype=float)[order]
    spreg = require("spreg")
    lib_w = w.to_libpysal()
    function = spreg.Panel_FE_Error if model == "sem" else spreg.Panel_FE_Lag
    reg = call(model, function, yv, xv, lib_w, epsilon=epsilon, name_x=list(names))
    spatial = "lambda" if model == "sem" else "rho"
    coef = [*names, spatial]
    durbin = {x: lag for x, lag in durbin_names(names, w).items() if lag in names} if model == "sar" else {}
    return SpatialFit(
        model=model, method="ml", params=named(reg.betas, coef), cov=named_cov(reg.vm, coef), nobs=int(yv.shape[0]),
        stats={"loglik": float(reg.logll), "aic": float(reg.aic), "schwarz": float(reg.schwarz), "pseudo_r2": float(reg.pr2), "ngroups": float(w.n)},
        call=f"spreg.{function.__name__}(y, X, w, epsilon={epsilon:g})  # rows period by period, W per period",
        weights=w, durbin=durbin, raw=reg, periods=int(yv.shape[0] // w.n),
    )
