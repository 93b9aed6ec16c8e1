"""Spatial estimators in the registry: sar, sem, sdm, sac and slx on spreg (povdsl.estimate.spatial).

`prepare` compiles the model as any other, then finds each design row's
region (the data's region() column, else its unit column) and cuts every
named weight matrix to those regions (one row per region; per region and
period for `fe=unit` panels). `fit` runs the estimator the options ask for
and returns a Result whose params carry `rho` / `lambda`, whose covariance
is the backend's, and whose `impacts` holds the LeSage-Pace direct, indirect
and total effects for models with a spatial lag of y.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from povdsl.errors import DataError, EstimationError
from povdsl.estimate.adapters.base import build_result, check_full_rank, check_sample
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.result import Result, Variance
from povdsl.estimate.spatial.fit import SpatialFit
from povdsl.estimate.spatial.lattice import SampleWeights, sample_weights

LAG_MODELS = ("sar", "sdm", "sac")


@dataclass(frozen=True, eq=False)
class SpatialDesign:
    """A compiled Design plus the weight matrices cut to its regions, in row order (per period for panels)."""

    design: Design
    weights: tuple[SampleWeights, ...]
    entity: pd.Series | None = None  # region of each row (panels)
    time: pd.Series | None = None  # period of each row (panels)

    @property
    def dropped(self) -> int:
        return self.design.dropped


@dataclass(frozen=True, eq=False)
class Prepared:
    design: SpatialDesign
    vcov: Vcov


def prepare(model, frames, cache=None) -> Prepared:
    """Compile the model (sharing the run's cache), then cut its weights to the regions of the sample."""
    from povdsl.estimate.compile import compile_model

    compiled = compile_model(model, frames, cache)
    design = compiled.design
    options = dict(model.options)
    names = tuple(options.get("weights") or ())
    if not names:
        raise EstimationError(f"{model.estimator} needs a weight matrix, e.g. {model.estimator}(w)")
    region_col = frames.region_col or frames.unit_col
    if region_col is None:  # a cross-section without region(...): nothing places its rows in W
        raise EstimationError(
            f"{model.estimator} needs the region of each row, and the data set declares none",
            hint="name the column holding the weight matrix's region ids: data NAME = \"file.csv\" region(ID)",
        )
    rows = design.y.index
    regions = frames.unit.loc[rows, region_col]
    fe = options.get("fe")
    if fe:
        if frames.time_col is None:
            raise EstimationError("a spatial panel needs panel(unit, time) data")
        if fe != region_col:
            raise EstimationError(
                f"a spatial panel needs its units to be the regions of the weight matrix, but fe={fe} and the regions are '{region_col}'",
                hint=f"write fe={region_col}, on data with one row per {region_col} and period",
            )
        times = frames.unit.loc[rows, frames.time_col]
        unique = pd.Index(pd.unique(regions.to_numpy()))
        cut = tuple(_cut(frames, name, unique) for name in names)
        return Prepared(SpatialDesign(design, cut, entity=regions, time=times), compiled.vcov)
    if regions.duplicated().any():
        twice = pd.unique(regions[regions.duplicated()].to_numpy())[:5]
        raise EstimationError(
            f"a spatial cross-section needs one row per region, but region(s) {', '.join(map(str, twice))} have several rows",
            hint="restrict the model to one period (e.g. `where year == 2004`), aggregate to regions, or write fe=unit for a spatial panel",
        )
    cut = tuple(_cut(frames, name, pd.Index(regions.to_numpy())) for name in names)
    return Prepared(SpatialDesign(design, cut), compiled.vcov)


def _cut(frames, name: str, regions: pd.Index) -> SampleWeights:
    try:
        return sample_weights(frames.weights[name], regions, name=name)
    except DataError as exc:
        raise EstimationError(str(exc)) from None


def fit_spatial(model: str, prepared: SpatialDesign, options: Mapping[str, object]) -> SpatialFit:
    """The SpatialFit the options ask for."""
    from povdsl.estimate.spatial.gmm import fit_gmm
    from povdsl.estimate.spatial.ml import fit_ml
    from povdsl.estimate.spatial.panel import fit_panel_fe
    from povdsl.estimate.spatial.sac import fit_sac

    design = prepared.design
    y, X = design.y, design.exog
    w = prepared.weights
    check_sample(len(y), X.shape[1] + 1)
    check_full_rank(X, role="regressors")
    method = str(options.get("method") or "ml")
    if method not in ("ml", "gmm"):
        raise EstimationError(f"{model}(method={method}) is not known", hint="method=ml (default) or method=gmm")
    if len(w) > 1 and model != "sac":
        raise EstimationError(f"{model}() takes one weight matrix; only sac(w1, w2) takes two")
    ldet = str(options.get("ldet") or "auto")
    if prepared.entity is not None:
        if method != "ml" or model not in ("sar", "sem"):
            raise EstimationError(f"spatial panels with fe= are sar or sem by ML (spreg's Panel_FE_Lag / Panel_FE_Error), not {model}(method={method})")
        return fit_panel_fe(model, y, X, w[0], prepared.entity, prepared.time)
    if method == "gmm":
        if len(w) > 1:
            raise EstimationError("sac(w1, w2) with two weight matrices is fitted by ML only (spreg's GM_Combo takes one)", hint="write sac(w, method=gmm)")
        return fit_gmm(model, y, X, w[0], robust=bool(options.get("robust")))
    if options.get("robust"):
        raise EstimationError("`robust` is an option of method=gmm (Kelejian-Prucha with heteroskedasticity)", hint=f"write {model}(w, method=gmm, robust)")
    if model == "sac":
        return fit_sac(y, X, w[0], w[1] if len(w) > 1 else None, ldet=ldet)
    return fit_ml(model, y, X, w[0], ldet=ldet)


def to_result(model: str, fit: SpatialFit, prepared: SpatialDesign, options: Mapping[str, object]) -> Result:
    """A povdsl Result from a SpatialFit, with its impacts: simulated for models with a spatial lag of y, exact for sem."""
    unstable = _stability_warnings(fit)
    result = build_result(
        estimator=model,
        design=prepared.design,
        params=fit.params,
        std_errors=fit.std_errors,
        tstats=fit.zstats,
        pvalues=fit.pvalues,
        nobs=fit.nobs,
        variance=Variance(kind=f"spatial-{fit.method}", text=fit.vcov, reference=fit.call + "; normal p-values"),
        cov=fit.cov,
        stats=fit.stats,
        raw=fit.raw,
        warnings=fit.warnings + unstable + (("no impacts: they need rho inside the stable interval",) if any(u.startswith("rho") for u in unstable) else ()),
    )
    if any(u.startswith("rho") for u in unstable):
        impacts = None  # (I - rho W) is not invertible as a series there: the estimates are reported, with the warning
    elif model in LAG_MODELS and "rho" in fit.params.index:
        from povdsl.estimate.spatial.impacts import DEFAULT_DRAWS, DEFAULT_SEED
        from povdsl.estimate.spatial.impacts import impacts as compute

        draws = options.get("draws")
        seed = options.get("seed")
        draws = draws if isinstance(draws, int) else DEFAULT_DRAWS
        seed = seed if isinstance(seed, int) else DEFAULT_SEED
        impacts = compute(fit, draws=draws, seed=seed)
    else:
        from povdsl.estimate.spatial.impacts import linear_impacts

        impacts = linear_impacts(fit.params, fit.cov, fit.durbin, fit.weights)
    from dataclasses import replace

    return replace(result, impacts=impacts)


def _stability_warnings(fit: SpatialFit) -> tuple[str, ...]:
    """rho or lambda outside the interval where I - a W is invertible: the model is not stationary."""
    from povdsl.estimate.spatial.logdet import stable_interval

    out = []
    for name in ("rho", "lambda"):
        if name in fit.params.index:
            low, high = stable_interval(fit.weights)
            value = float(fit.params[name])
            if not low < value < high:
                out.append(f"{name} = {value:.4g} lies outside the stable interval ({low:.4g}, {high:.4g}) of W '{fit.weights.name}'")
    return tuple(out)


def make_fit(model: str):
    """The registry adapter for one spatial estimator: (SpatialDesign, options, vcov) -> Result."""

    def fit(design: SpatialDesign, options: Mapping[str, object], vcov: Vcov) -> Result:
        if vcov.kind not in ("default",):
            raise EstimationError(f"{model} reports its own variance (ML information matrix or GM); a `vcov` clause does not apply")
        return to_result(model, fit_spatial(model, design, options), design, options)

    fit.__name__ = f"fit_{model}"
    return fit


fit_sar = make_fit("sar")
fit_sem = make_fit("sem")
fit_sdm = make_fit("sdm")
fit_sac_model = make_fit("sac")


def fit_slx(design: SpatialDesign, options: Mapping[str, object], vcov: Vcov) -> Result:
    """OLS of the formula as written (its W() terms included) plus Moran's I and LM tests on its residuals."""
    from povdsl.estimate.spatial.backend import call, require
    from povdsl.estimate.spatial.diagnostics import spatial_diagnostics
    from povdsl.estimate.spatial.fit import named, named_cov, regressor_arrays

    d = design.design
    check_sample(len(d.y), d.exog.shape[1])
    check_full_rank(d.exog, role="regressors")
    if vcov.kind not in ("default", "unadjusted"):
        raise EstimationError("slx reports spreg's OLS variance; write `vcov unadjusted` or no vcov clause")
    spreg = require("spreg")
    yv, xv, names = regressor_arrays(d.y, d.exog)
    reg = call("slx", spreg.OLS, yv, xv)
    coef = ["Intercept", *names]
    params = named(reg.betas, coef)
    cov = named_cov(reg.vm, coef)
    se = pd.Series(np.sqrt(np.diag(reg.vm)), index=params.index)
    from scipy import stats as sps

    t = params / se
    p = pd.Series(2 * sps.t.sf(np.abs(t.to_numpy()), reg.n - reg.k), index=params.index)
    w = design.weights[0]
    stats = {"r2": float(reg.r2), "loglik": float(reg.logll), "aic": float(reg.aic), **spatial_diagnostics(d.y, d.exog, w)}
    result = build_result(
        estimator="slx", design=d, params=params, std_errors=se, tstats=t, pvalues=p, nobs=int(reg.n),
        variance=Variance(kind="unadjusted", text="unadjusted", df=int(reg.n - reg.k), reference="spreg.OLS; t(n-k)"),
        cov=cov, stats=stats, raw=reg,
    )
    from dataclasses import replace

    from povdsl.estimate.spatial.impacts import linear_impacts
    from povdsl.estimate.spatial.ml import durbin_names

    durbin = {x: lag for x, lag in durbin_names(names, w).items() if lag in names}
    return replace(result, impacts=linear_impacts(params, cov, durbin, w, df=int(reg.n - reg.k)))
