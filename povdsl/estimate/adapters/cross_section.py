"""Cross-section estimators over statsmodels: OLS, the linear probability model, logit, probit.

The binary-outcome models get the most guarding because statsmodels reports
separation and non-convergence as warnings, which a batch of tables would
otherwise print with silently meaningless coefficients.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
from statsmodels.discrete.discrete_model import Logit, Probit
from statsmodels.regression.linear_model import OLS as StatsmodelsOLS  # the model modules: statsmodels.api imports far more
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from povdsl.errors import EstimationError
from povdsl.estimate.adapters.base import (
    build_result,
    check_binary_outcome,
    check_full_rank,
    check_outcome_varies,
    check_sample,
    cluster_frame,
    cluster_text,
    inference_result,
)
from povdsl.estimate.adapters.variance import crv1, inference, twoway_raw
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import get
from povdsl.estimate.result import Result, Variance

# --- variance ------------------------------------------------------------------


def _statsmodels_cov(design: Design, vcov: Vcov, robust_kind: str) -> tuple[dict, str]:
    """fit() keywords and the human description for a resolved variance request."""
    if vcov.kind == "unadjusted":
        return {"cov_type": "nonrobust"}, "unadjusted"
    if vcov.kind == "robust":
        return {"cov_type": robust_kind}, f"robust ({robust_kind})"
    groups = cluster_frame(design, vcov, max_ways=2, backend="statsmodels")
    codes = groups.iloc[:, 0].to_numpy() if groups.shape[1] == 1 else groups.to_numpy()
    return {"cov_type": "cluster", "cov_kwds": {"groups": codes}}, cluster_text(vcov)


def _variance(res, design: Design, vcov: Vcov, text: str, *, linear: bool, robust_kind: str):
    """Covariance, inference and description under povdsl's convention (docs/estimators.md).

    Unadjusted and robust variances are statsmodels' own (t(n-k) for linear
    models, the normal for ML). Clustered ones are CRV1 from statsmodels' raw
    cluster sandwich: one factor (n-1)/(n-k) * G/(G-1) with the smallest G,
    and t(G-1) for linear models, as fixest and Stata's `regress`.
    """
    from statsmodels.stats.sandwich_covariance import cov_cluster

    n, k = int(res.nobs), len(res.params)
    if vcov.kind != "cluster":
        variance = plain_variance(vcov.kind, text, n, k, linear=linear, robust_kind=robust_kind)
        cov = np.asarray(res.cov_params())
        return inference(res.params, cov, variance.df, names=design.exog.columns), variance
    clusters = cluster_frame(design, vcov, max_ways=2, backend="statsmodels")
    raw = twoway_raw(lambda codes: cov_cluster(res, codes, use_correction=False), clusters)
    variance = cluster_variance(n, k, clusters, text, linear=linear)
    return inference(res.params, raw * variance.factor, variance.df, names=design.exog.columns), variance


def plain_variance(kind: str, text: str, n: int, k: int, *, linear: bool, robust_kind: str) -> Variance:
    """The unadjusted or robust variance's description: statsmodels' factor, t(n-k) (linear) or the normal."""
    factor = 1.0 if kind == "unadjusted" or robust_kind == "HC0" else n / (n - k)
    reference = (
        ("s^2 = SSR/(n-k)" if linear else "inverse information matrix")
        if kind == "unadjusted"
        else f"{robust_kind}" + (" = n/(n-k) * HC0" if robust_kind == "HC1" else " (no small-sample factor)")
    )
    return Variance(kind=kind, text=text, factor=factor, df=int(n - k) if linear else None, reference=reference + ("; t(n-k)" if linear else "; normal"))


def cluster_variance(n: int, k: int, clusters: pd.DataFrame, text: str, *, linear: bool) -> Variance:
    """CRV1's description (its factor scales the raw sandwich); the normal instead of t(G-1) for ML models."""
    _, variance = crv1(np.zeros((k, k)), nobs=n, nvar=k, clusters=clusters, text=text)
    return variance if linear else replace(variance, df=None, reference=variance.reference.replace("t(G-1)", "normal"))


def _arrays(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """The outcome and regressors as float arrays for statsmodels, which labels an array model by the
    names set on its data (so `Result.raw.summary()` still names the terms). Given pandas objects,
    statsmodels would wrap every statistic it returns in pandas again: most of a small fit's time."""
    return design.y.to_numpy(dtype=float), design.exog.to_numpy(dtype=float)


def _named(model, design: Design):
    """Give an array model the design's names: summaries and marginal effects label terms by them."""
    model.data.xnames = [str(c) for c in design.exog.columns]
    model.data.ynames = str(design.y.name)
    return model


# --- OLS and LPM -----------------------------------------------------------------


def _fit_linear(name: str, binary: bool):
    def fit(design: Design, options: Mapping[str, object], vcov: Vcov) -> Result:
        check_sample(len(design.y), design.exog.shape[1])
        if binary:
            check_binary_outcome(design.y, name)
        else:
            check_outcome_varies(design.y, name)
        check_full_rank(design.exog, role="regressors")
        resolved = get(name).resolved_vcov(vcov)
        fit_args, text = _statsmodels_cov(design, resolved, "HC1")
        # use_t: t(n-k), or t(G-1) when clustered, for every variance, as Stata's regress;
        # statsmodels would switch to normal p-values whenever cov_type is given.
        res = _named(StatsmodelsOLS(*_arrays(design)), design).fit(use_t=True, **fit_args)
        inf, variance = _variance(res, design, resolved, text, linear=True, robust_kind="HC1")
        warnings_out: tuple[str, ...] = ()
        if binary:
            outside = int(((res.fittedvalues < 0) | (res.fittedvalues > 1)).sum())
            if outside:
                warnings_out = (f"{outside} fitted probabilities lie outside [0, 1]",)
        return inference_result(
            res, inf, estimator=name, design=design, variance=variance, stats={"r2": res.rsquared, "loglik": res.llf}, warnings=warnings_out
        )

    return fit


# --- logit and probit ----------------------------------------------------------------

# Under quasi-complete separation Newton's method drives some fitted probabilities
# towards 0 or 1 without reaching them in double precision; this close, together
# with a regressor that splits the outcomes, is taken as separation.
NEAR_CERTAIN = 1e-8


def _separating_regressors(y: pd.Series, exog: pd.DataFrame) -> list[str]:
    """Regressors on which some threshold splits the outcomes (quasi-complete separation)."""
    found = []
    outcome = y.to_numpy(dtype=float)
    for column in exog.columns:
        x = exog[column].to_numpy(dtype=float)
        if np.ptp(x) == 0:
            continue  # the intercept, or a constant the rank check has already passed
        zeros, ones = x[outcome == 0], x[outcome == 1]
        if zeros.max() <= ones.min() or ones.max() <= zeros.min():
            found.append(str(column))
    return found


def _separation_error(design: Design, name: str, detail: str) -> EstimationError:
    culprits = _separating_regressors(design.y, design.exog)
    which = (
        "separated by " + ", ".join(f"'{c}'" for c in culprits)
        if culprits
        else "separated by a combination of regressors"
    )
    return EstimationError(
        f"{name}: perfect or quasi-perfect separation ({detail}); the outcome '{design.y.name}' is {which}",
        hint="drop or merge the separating regressor or categories, or use lpm; ML estimates do not exist under separation",
    )


def _null_loglik(y: pd.Series) -> float:
    """The constant-only model's log-likelihood (statsmodels' `llnull`, behind McFadden's pseudo R2).

    Its ML probability is the share of ones whatever the link, so the value
    is closed-form; statsmodels reaches it by Nelder-Mead and BFGS, which cost
    more than the model's own fit.
    """
    ones = float(y.sum())
    zeros = len(y) - ones
    share = ones / len(y)
    return ones * np.log(share) + zeros * np.log1p(-share)


def _fit_binary(name: str, backend: str):
    def fit(design: Design, options: Mapping[str, object], vcov: Vcov) -> Result:
        check_sample(len(design.y), design.exog.shape[1])
        check_binary_outcome(design.y, name)
        check_full_rank(design.exog, role="regressors")
        resolved = get(name).resolved_vcov(vcov)
        fit_args, text = _statsmodels_cov(design, resolved, "HC0")
        maxiter = int(str(options.get("maxiter", 35)))
        model_class = Logit if backend == "Logit" else Probit
        # check_rank=False: check_full_rank above has established full rank; statsmodels would check again (one SVD per fit)
        model = _named(model_class(*_arrays(design), check_rank=False), design)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(disp=0, maxiter=maxiter, **fit_args)
            except PerfectSeparationError as exc:
                raise _separation_error(design, name, str(exc)) from exc
            except np.linalg.LinAlgError as exc:
                raise _separation_error(design, name, f"singular Hessian: {exc}") from exc
        if any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
            raise _separation_error(design, name, "statsmodels warned of perfect prediction")
        with np.errstate(over="ignore", under="ignore"):
            fitted = res.predict()
        extreme = int(np.sum((fitted == 0.0) | (fitted == 1.0)))
        if extreme:
            raise _separation_error(design, name, f"{extreme} fitted probabilities are exactly 0 or 1")
        converged = res.mle_retvals.get("converged", True)
        near_extreme = int(np.sum(np.minimum(fitted, 1 - fitted) < NEAR_CERTAIN))
        if (near_extreme or not converged) and _separating_regressors(design.y, design.exog):
            detail = "the fit did not converge" if not converged else f"{near_extreme} fitted probabilities are within {NEAR_CERTAIN:g} of 0 or 1"
            raise _separation_error(design, name, detail)
        if not converged:
            iterations = res.mle_retvals.get("iterations", maxiter)
            raise EstimationError(
                f"{name} did not converge after {iterations} iterations",
                hint="raise `maxiter`, rescale regressors with large values, or check for near-separation",
            )
        inf, variance = _variance(res, design, resolved, text, linear=False, robust_kind="HC0")
        cov: pd.DataFrame | np.ndarray | None = inf.cov
        if options.get("margins"):
            margins = res.get_margeff(at="overall", method="dydx")
            frame = margins.summary_frame()
            params, se, t, p = (frame.iloc[:, i] for i in range(4))
            variance = replace(variance, text=f"{text}, delta method for average marginal effects")
            cov = pd.DataFrame(margins.margeff_cov, index=params.index, columns=params.index)
        else:
            params, se, t, p = res.params, inf.std_errors, inf.tstats, inf.pvalues
        return build_result(
            estimator=name,
            design=design,
            params=params,
            std_errors=se,
            tstats=t,
            pvalues=p,
            nobs=res.nobs,
            variance=variance,
            cov=cov,
            stats={"pseudo_r2": 1.0 - res.llf / _null_loglik(design.y), "loglik": res.llf},
            raw=res,
            warnings=tuple(str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)),
            names=design.exog.columns,
        )

    return fit


fit_ols = _fit_linear("ols", binary=False)
fit_lpm = _fit_linear("lpm", binary=True)
fit_logit = _fit_binary("logit", "Logit")
fit_probit = _fit_binary("probit", "Probit")
