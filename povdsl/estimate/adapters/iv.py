"""Instrumental-variable estimators over linearmodels: 2SLS and two-step efficient IV-GMM.

Both can absorb unit fixed effects by the within transformation, which is how
the paper's Models 6-9 (IV-GMM with household effects) are estimated without
thousands of dummies. linearmodels does not know that means were removed, so
the adapter corrects the residual degrees of freedom itself (see
``_absorbed_df_factor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from linearmodels.iv import IV2SLS, IVGMM

from povdsl.errors import EstimationError
from povdsl.estimate.adapters.base import (
    as_float,
    check_full_rank,
    check_full_rank_within,
    check_outcome_varies,
    check_repeated_units,
    check_sample,
    cluster_frame,
    cluster_text,
    inference_result,
    nonempty,
    within,
)
from povdsl.estimate.adapters.variance import Inference, crv1, inference
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import get
from povdsl.estimate.result import Result, Variance

WEAK_INSTRUMENT_F = 10.0  # Staiger-Stock rule of thumb, only for a warning


@dataclass(frozen=True)
class IVInputs:
    """The four blocks handed to linearmodels, after the optional within transformation."""

    y: pd.Series
    exog: pd.DataFrame | None
    endog: pd.DataFrame
    instruments: pd.DataFrame
    n_absorbed: int  # entity means removed; 0 without `absorb`


def _inputs(design: Design, absorb: bool) -> IVInputs:
    if design.endog is None or design.endog.shape[1] == 0:
        raise EstimationError("an IV estimator needs at least one endogenous regressor", hint="write e.g. `gmm(endog=x, iv=z)`")
    if design.instruments is None or design.instruments.shape[1] < design.endog.shape[1]:
        n_instr = 0 if design.instruments is None else design.instruments.shape[1]
        raise EstimationError(
            f"{n_instr} excluded instrument(s) for {design.endog.shape[1]} endogenous regressor(s) "
            f"({', '.join(map(str, design.endog.columns))}): the model is under-identified",
            hint="add excluded instruments so that there are at least as many as endogenous regressors",
        )
    y, exog = as_float(design.y), as_float(design.exog)
    endog, instruments = as_float(design.endog), as_float(design.instruments)
    if not absorb:
        return IVInputs(y, nonempty(exog), endog, instruments, 0)
    if design.entity is None:
        raise EstimationError("`absorb` needs an entity variable to demean by", hint="write e.g. `gmm(iv=z, absorb, entity=household)`")
    check_repeated_units(design.entity, "fe=" if design.entity.name is None else f"fe={design.entity.name}")
    slopes = exog.drop(columns=["Intercept"], errors="ignore")
    return IVInputs(
        within(y, design.entity),
        nonempty(within(slopes, design.entity)),
        within(endog, design.entity),
        within(instruments, design.entity),
        int(design.entity.nunique()),
    )


def _check_identification(design: Design, inputs: IVInputs) -> None:
    exog = inputs.exog if inputs.exog is not None else pd.DataFrame(index=inputs.y.index)
    n_params = exog.shape[1] + inputs.endog.shape[1]
    check_sample(len(inputs.y), n_params + inputs.n_absorbed, "parameters (including absorbed means)" if inputs.n_absorbed else "parameters")
    check_outcome_varies(design.y, "iv")
    regressors = pd.concat([exog, inputs.endog], axis=1)
    moments = pd.concat([exog, inputs.instruments], axis=1)
    if inputs.n_absorbed:
        originals = pd.concat([design.exog, design.endog, design.instruments], axis=1)
        check_full_rank_within(originals[regressors.columns], regressors, role="regressors", absorbed_by="entity fixed effects")
        check_full_rank_within(originals[moments.columns], moments, role="instruments", absorbed_by="entity fixed effects")
    else:
        check_full_rank(regressors, role="regressors")
        check_full_rank(moments, role="exogenous regressors and instruments")


def _absorbed_df_factor(res, inputs: IVInputs, vcov: Vcov, small: bool) -> float:
    """Rescale the covariance so the residual variance uses the degrees of freedom left after demeaning.

    linearmodels divides by d = n (or n - k with ``small``); with G absorbed
    means the right divisor is d - G, as in Stata's xtivreg2 (ivreg2's
    ``dofminus``). Clustered covariance is left alone: clusters that nest
    the entities already absorb the means, as in ``xtreg, fe vce(cluster)``.
    """
    if not inputs.n_absorbed or vcov.kind == "cluster":
        return 1.0
    d = res.nobs - len(res.params) if small else res.nobs
    return d / (d - inputs.n_absorbed)


def _variance(res, raw_cov, design: Design, inputs: IVInputs, vcov: Vcov, text: str, small: bool) -> tuple[Inference, Variance]:
    """The covariance and p-values of an IV fit under povdsl's convention (docs/estimators.md).

    Without `small`: linearmodels' asymptotic covariance (normal p-values),
    rescaled for absorbed means (`_absorbed_df_factor`). With `small`:
    n/(n-k) and t(n-k) for unadjusted and robust; clustered errors are CRV1
    on linearmodels' raw sandwich, with absorbed means nested in the
    clusters not counted, and t(G-1).
    """
    n, k = int(res.nobs), len(res.params)
    if raw_cov is not None:
        clusters = cluster_frame(design, vcov, max_ways=2, backend="linearmodels")
        effects = {"entity": design.entity} if inputs.n_absorbed and design.entity is not None else {}
        # absorbed means replace the constant: K counts one for them plus those not nested in a cluster
        nvar = k + (1 if inputs.n_absorbed else 0)
        cov, variance = crv1(raw_cov, nobs=n, nvar=nvar, clusters=clusters, effects=effects, text=text + ", small-sample")
        return inference(res.params, cov, variance.df), variance
    factor = _absorbed_df_factor(res, inputs, vcov, small)
    df = n - k - inputs.n_absorbed if small else None
    if factor != 1.0:
        text += f", df corrected for {inputs.n_absorbed} absorbed means"
    if small:
        text += ", small-sample"
    groups: tuple[int, ...] = ()
    if vcov.kind == "cluster":
        groups = tuple(int(design.groups[c].nunique()) for c in vcov.clusters) if design.groups is not None else ()
    base = (n / (n - k) if small and vcov.kind != "cluster" else 1.0) * factor
    variance = Variance(
        kind=vcov.kind,
        text=text,
        clusters=vcov.clusters,
        groups=groups,
        factor=base,
        df=df,
        reference=("n/(n-k)" if small else "asymptotic (divides by n)")
        + (f", times d/(d-G) for {inputs.n_absorbed} absorbed means" if factor != 1.0 else "")
        + ("; t(n-k-G)" if small else "; normal"),
    )
    return inference(res.params, np.asarray(res.cov) * factor, df), variance


def _first_stage_f(res, q: int, vcov: Vcov) -> float:
    """Smallest first-stage F over endogenous regressors: the Wald test that the q excluded
    instruments' coefficients are zero, with the model's covariance, divided by q.

    This is linearmodels' `first_stage.diagnostics["f.stat"]` (divided by q
    there only when unadjusted), read off the same `first_stage.individual`
    regressions without the partial and Shea R-squared fits that
    `diagnostics` adds and povdsl does not report.
    """
    statistics = []
    for first in res.first_stage.individual.values():
        params = first.params.to_numpy()[-q:]
        cov = np.asarray(first.cov)[-q:, -q:]
        statistics.append(float(params @ np.linalg.solve(cov, params)) / q)
    return min(statistics)


def _cov_arguments(design: Design, vcov: Vcov, gmm: bool) -> tuple[dict, str]:
    if vcov.kind in ("unadjusted", "robust"):
        return {"cov_type": vcov.kind}, ("unadjusted" if vcov.kind == "unadjusted" else "robust (heteroskedasticity)")
    backend = "linearmodels IVGMM (clustered weight matrix)" if gmm else "linearmodels IV2SLS"
    clusters = cluster_frame(design, vcov, max_ways=1 if gmm else 2, backend=backend)
    codes = clusters.iloc[:, 0] if clusters.shape[1] == 1 else clusters
    return {"cov_type": "clustered", "clusters": codes}, cluster_text(vcov)


def _check_gmm_clusters(clusters, inputs: IVInputs) -> None:
    """The clustered moment covariance has rank at most G: with fewer clusters than moments it cannot be inverted."""
    groups = int(clusters.nunique())
    moments = (0 if inputs.exog is None else inputs.exog.shape[1]) + inputs.instruments.shape[1]
    if groups < moments:
        raise EstimationError(
            f"gmm with clustered weighting needs at least as many clusters as moment conditions: "
            f"{groups} clusters, {moments} moment conditions (exogenous regressors and instruments)",
            hint="cluster on a variable with more groups, or use 'vcov robust'",
        )


def _fit_iv(name: str, gmm: bool):
    def fit(design: Design, options: Mapping[str, object], vcov: Vcov) -> Result:
        absorb, small = bool(options.get("absorb", False)), bool(options.get("small", False))
        inputs = _inputs(design, absorb)
        _check_identification(design, inputs)
        resolved = get(name).resolved_vcov(vcov)
        cov_args, text = _cov_arguments(design, resolved, gmm)
        blocks = (inputs.y, inputs.exog, inputs.endog, inputs.instruments)
        if gmm and "clusters" in cov_args:
            _check_gmm_clusters(cov_args["clusters"], inputs)
        if gmm:
            weight = {"weight_type": cov_args["cov_type"]} | ({"clusters": cov_args["clusters"]} if "clusters" in cov_args else {})
            steps = int(str(options.get("steps", 2)))
            model: Any = IVGMM(*blocks, **weight)
            res: Any = model.fit(iter_limit=steps, debiased=small, **cov_args)
        else:
            model = IV2SLS(*blocks)
            res = model.fit(debiased=small, **cov_args)
        raw_cov = None
        if small and resolved.kind == "cluster":  # the raw sandwich, to which CRV1 is applied
            raw_cov = np.asarray(model.fit(**({"iter_limit": steps} if gmm else {}), debiased=False, **cov_args).cov)

        inf, variance = _variance(res, raw_cov, design, inputs, resolved, text, small)
        q, n_endog = inputs.instruments.shape[1], inputs.endog.shape[1]
        first_stage_f = _first_stage_f(res, q, resolved)
        fit_stats = {"r2_within" if absorb else "r2": res.rsquared, "first_stage_f": first_stage_f}
        if absorb:
            fit_stats["ngroups"] = inputs.n_absorbed
        if gmm and q > n_endog:
            fit_stats |= {"j_stat": res.j_stat.stat, "j_pvalue": res.j_stat.pval}
        notes: tuple[str, ...] = ()
        if first_stage_f < WEAK_INSTRUMENT_F:
            notes = (f"weak instruments: smallest first-stage F is {first_stage_f:.2f} (< {WEAK_INSTRUMENT_F:g})",)
        return inference_result(res, inf, estimator=name, design=design, variance=variance, stats=fit_stats, warnings=notes)

    return fit


fit_iv = _fit_iv("iv", gmm=False)
fit_gmm = _fit_iv("gmm", gmm=True)
