"""SAR, SEM and SAC by Kelejian-Prucha GMM: spreg's GM_Lag, GM_Error_Hom/_Het and GM_Combo_Hom/_Het.

`sar` by GMM is spatial two-stage least squares with instruments X, WX, W²X
(spreg GM_Lag with w_lags=2, as R spatialreg's stsls); `robust` gives White
standard errors there. `sem` and `sac` use the GM estimator of lambda in its
two forms with a joint covariance of the coefficients and lambda:
homoskedastic, GM_Error_Hom / GM_Combo_Hom (Drukker, Egger and Prucha 2013,
spreg's default A1="hom_sc"), and with `robust` heteroskedasticity-robust,
GM_Error_Het / GM_Combo_Het (Arraiz, Drukker, Kelejian and Prucha 2010).
Kelejian and Prucha's original 1998/1999 estimator (spreg's GM_Error /
GM_Combo, R's GMerrorsar / gstsls) is not used: it treats lambda as a
nuisance parameter and gives it no standard error, so a table could not
show one.
"""

from __future__ import annotations

import pandas as pd

from povdsl.errors import EstimationError
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
from povdsl.estimate.spatial.ml import durbin_names

W_LAGS = 2  # instruments X, WX, W²X
HOM = "GM, homoskedastic (Drukker, Egger and Prucha 2013)"
HET = "GM, heteroskedasticity-robust (Arraiz, Drukker, Kelejian and Prucha 2010)"


def fit_gmm(model: str, y: pd.Series, X: pd.DataFrame, w: SampleWeights, *, robust: bool = False) -> SpatialFit:
    """`sar`, `sdm`, `sem` or `sac` by GMM; X holds the Intercept column and the regressors."""
    check_rows(y, w)
    hand = [lag for lag in durbin_names([str(c) for c in X.columns], w).values() if lag in X.columns]
    if hand and model in ("sar", "sac"):
        raise EstimationError(
            f"{model}(method=gmm) takes its instruments W x, W² x from the regressors, so W() terms ({', '.join(hand)}) would instrument themselves",
            hint="use sdm(w, method=gmm), which adds W(x) for every regressor and lets spreg choose the instruments",
        )
    yv, xv, names = regressor_arrays(y, X)
    spreg = require("spreg")
    lib_w = w.to_libpysal()
    durbin: dict[str, str] = {}
    if model in ("sar", "sdm"):
        slx = 1 if model == "sdm" else 0
        reg = call(model, spreg.GM_Lag, yv, xv, w=lib_w, w_lags=W_LAGS, slx_lags=slx, robust="white" if robust else None, spat_impacts=None, spat_diag=False)
        durbin = durbin_names(names, w) if slx else {}
        coef, cov = [INTERCEPT, *names, *durbin.values(), "rho"], reg.vm
        text = f"spreg.GM_Lag(y, X, w=w, w_lags={W_LAGS}, slx_lags={slx}, robust={'white' if robust else None!r}, spat_impacts=None, spat_diag=False)"
        vcov = "White (heteroskedasticity-robust)" if robust else "S2SLS (homoskedastic)"
    elif model == "sem":
        function = spreg.GM_Error_Het if robust else spreg.GM_Error_Hom
        reg = call(model, function, yv, xv, w=lib_w)
        coef, cov = [INTERCEPT, *names, "lambda"], reg.vm
        text = f"spreg.{function.__name__}(y, X, w=w)"
        vcov = HET if robust else HOM
    elif model == "sac":
        function = spreg.GM_Combo_Het if robust else spreg.GM_Combo_Hom
        reg = call(model, function, yv, xv, w=lib_w, w_lags=W_LAGS)
        coef, cov = [INTERCEPT, *names, "rho", "lambda"], reg.vm
        text = f"spreg.{function.__name__}(y, X, w=w, w_lags={W_LAGS})"
        vcov = HET if robust else HOM
    else:
        raise EstimationError(f"no GMM estimator for '{model}'")
    stats = {"pseudo_r2": float(reg.pr2)}
    if hasattr(reg, "pr2_e"):
        stats["pseudo_r2_e"] = float(reg.pr2_e)
    return SpatialFit(
        model=model, method="gmm", params=named(reg.betas, coef), cov=named_cov(cov, coef), nobs=int(reg.n),
        stats=stats, call=text, weights=w, durbin=durbin, vcov=vcov, raw=reg,
    )

