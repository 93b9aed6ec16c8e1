"""Panel estimators: fixed effects (povdsl's own, adapters/fe.py) and random effects (linearmodels).

linearmodels identifies a panel only through a 2-level (entity, time)
MultiIndex, so the adapter builds it from Design.entity/time and the rest of
povdsl never has to know.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from linearmodels.panel import RandomEffects

from povdsl.data.panel_rows import repeated_pairs
from povdsl.errors import EstimationError
from povdsl.estimate.adapters.base import (
    as_float,
    check_full_rank,
    check_outcome_varies,
    check_repeated_units,
    check_sample,
    cluster_frame,
    cluster_text,
    inference_result,
)
from povdsl.estimate.adapters.variance import Inference, crv1, inference
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import get
from povdsl.estimate.result import Result, Variance


def panel_index(design: Design) -> pd.MultiIndex:
    """The (entity, time) index linearmodels needs; time must be numbers or dates there.

    Without a time variable (`fe(household)`), or when the entity is coarser
    than the panel's unit (`re(county)` on households: many rows per county
    and year), rows are numbered within each entity: random effects and entity
    clustering never look at time. The declared panel's own (unit, time)
    pairs are unique: the data stage refuses repeats (data/panel_rows.py).
    """
    if design.entity is None:
        raise EstimationError("a panel estimator needs an entity variable", hint="write e.g. `fe(household)`")
    time = design.time
    if time is not None and not (pd.api.types.is_numeric_dtype(time) or pd.api.types.is_datetime64_any_dtype(time)):
        time = pd.Series(pd.factorize(time, sort=True)[0], index=time.index)
    if time is None or len(repeated_pairs(design.entity.to_numpy(), time.to_numpy())):
        time = design.entity.groupby(design.entity.to_numpy()).cumcount()
    return pd.MultiIndex.from_arrays([design.entity.to_numpy(), time.to_numpy()], names=["entity", "time"])


def _panel_frames(design: Design) -> tuple[pd.Series, pd.DataFrame]:
    index = panel_index(design)
    return as_float(design.y).set_axis(index), as_float(design.exog).set_axis(index)


def _panel_cov(design: Design, vcov: Vcov, index: pd.MultiIndex) -> tuple[dict, str, pd.DataFrame | None]:
    """fit() keywords for a resolved variance; the "cluster" default clusters by entity.

    Clustered fits ask linearmodels for the raw sandwich (no debiasing, no
    effects counted); `_re_variance` applies CRV1 to it.
    """
    if vcov.kind == "unadjusted":
        return {"cov_type": "unadjusted"}, "unadjusted", None
    if vcov.kind == "robust":
        return {"cov_type": "robust"}, "robust (White)", None
    if not vcov.clusters:
        assert design.entity is not None
        entity_name = str(design.entity.name or "entity")
        clusters = pd.DataFrame({entity_name: pd.factorize(design.entity)[0]}, index=design.entity.index)
        text = f"clustered by {entity_name}"
    else:
        clusters = cluster_frame(design, vcov, max_ways=2, backend="linearmodels PanelOLS")
        text = cluster_text(vcov)
    raw = {"cov_type": "clustered", "clusters": clusters.set_axis(index), "debiased": False, "group_debias": False}
    return raw, text, clusters


def _re_variance(res, vcov: Vcov, text: str, clusters: pd.DataFrame | None) -> tuple[Inference, Variance]:
    """RandomEffects' unadjusted/robust variance and p-values as they are (t(n-k) when linearmodels debiases); CRV1 for clusters."""
    if clusters is None:
        df = int(res.df_resid) if getattr(res, "_debiased", False) else None
        variance = Variance(kind=vcov.kind, text=text, factor=1.0, df=df, reference=get("re").convention(vcov.kind))
        return inference(res.params, np.asarray(res.cov), df), variance
    cov, variance = crv1(np.asarray(res.cov), nobs=int(res.nobs), nvar=len(res.params), clusters=clusters, text=text)
    return inference(res.params, cov, variance.df), variance


def fit_re(design: Design, options: Mapping[str, object], vcov: Vcov) -> Result:
    y, exog = _panel_frames(design)  # raises without an entity
    assert design.entity is not None
    check_repeated_units(design.entity, "re")
    check_sample(len(y), exog.shape[1])
    check_outcome_varies(design.y, "re")
    check_full_rank(design.exog, role="regressors")
    resolved = get("re").resolved_vcov(vcov)
    fit_args, text, clusters = _panel_cov(design, resolved, y.index)
    res = RandomEffects(y, exog).fit(**fit_args)
    assert design.entity is not None  # panel_index (via _panel_frames) refuses a design without one
    stats = {
        "r2": res.rsquared_overall,
        "r2_within": res.rsquared_within,
        "loglik": res.loglik,
        "ngroups": design.entity.nunique(),
    }
    inf, variance = _re_variance(res, resolved, text, clusters)
    return inference_result(res, inf, estimator="re", design=design, variance=variance, stats=stats)
