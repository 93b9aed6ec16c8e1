"""The direct backend call each estimator stands for, as `povdsl explain` prints it.

Plain text from the design's column names, the options and the variance:
this module imports no backend, adapter or scipy, so explaining a spec stays
as light as checking it (decision 63). The registry's `describe` entries
point here; the adapters that make the calls live in `estimate/adapters/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, cast

from povdsl.estimate.options import SPARSE_COV_LIMIT

if TYPE_CHECKING:
    from povdsl.estimate.design import Vcov

Describe = Callable[[Mapping[str, object], Mapping[str, object], "Vcov"], str]


def names_of(design_names: Mapping[str, object], key: str, default: str) -> str:
    """Render one design slot: a column name, or a bracketed list of them."""
    value = design_names.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        return f"df[{value!r}]"
    return "df[[" + ", ".join(repr(str(v)) for v in cast(Iterable[object], value)) + "]]"


# --- statsmodels ---------------------------------------------------------------------


def _statsmodels_cov(vcov: Vcov, robust_kind: str) -> str:
    if vcov.kind == "robust":
        return f"cov_type={robust_kind!r}"
    if vcov.kind == "cluster":
        return f"cov_type='cluster', cov_kwds={{'groups': df[{list(vcov.clusters)!r}]}}"
    return "cov_type='nonrobust'"


def describe_ols(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
    y, x = names_of(design_names, "y", "y"), names_of(design_names, "exog", "X")
    return f"statsmodels.api.OLS({y}, {x}).fit({_statsmodels_cov(vcov, 'HC1')}, use_t=True)"


def _describe_binary(backend: str) -> Describe:
    def describe(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
        y, x = names_of(design_names, "y", "y"), names_of(design_names, "exog", "X")
        call = f"statsmodels.api.{backend}({y}, {x}).fit(disp=0, maxiter={options['maxiter']}, {_statsmodels_cov(vcov, 'HC0')})"
        return call + ".get_margeff(at='overall', method='dydx')" if options.get("margins") else call

    return describe


describe_logit = _describe_binary("Logit")
describe_probit = _describe_binary("Probit")


# --- panels ----------------------------------------------------------------------------


def describe_fe(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
    y, x = names_of(design_names, "y", "y"), names_of(design_names, "exog", "X")
    effects = [str(design_names.get("entity") or "entity")]
    if options.get("time_effects"):
        effects.append(str(design_names.get("time") or "time"))
    extra = options.get("effects") or ()  # fe(unit, time, industry) -> ("industry",)
    if isinstance(extra, tuple | list):
        effects.extend(str(e) for e in extra)
    if vcov.kind == "cluster":
        spelled = repr({"CRV1": "+".join(vcov.clusters or effects[:1])})
    else:
        spelled = repr({"unadjusted": "iid", "robust": "hetero"}.get(vcov.kind, vcov.kind))
    return (
        f"pyfixest.feols(y ~ X | {' + '.join(effects)}, vcov={spelled})  # y = {y}, X = {x}; "
        "povdsl absorbs the effects itself by alternating projections, same numbers"
    )


def _panel_cov(vcov: Vcov) -> str:
    crv1 = "debiased=False, auto_df=False, count_effects=False)  # raw sandwich, then CRV1 (docs/estimators.md)"
    if vcov.kind == "cluster" and not vcov.clusters:
        return "cov_type='clustered', clusters=df[[entity]], " + crv1
    if vcov.kind == "cluster":
        return f"cov_type='clustered', clusters=df[{list(vcov.clusters)!r}], " + crv1
    return f"cov_type={vcov.kind!r})"


def describe_re(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
    y, x = names_of(design_names, "y", "y"), names_of(design_names, "exog", "X")
    return f"linearmodels.RandomEffects({y}, {x}).fit({_panel_cov(vcov)}  # data indexed by (entity, time)"


def describe_dynamic(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
    return "povdsl.estimate.dynpanel.fit_dynamic_panel(df, DynamicPanelSpec(...), unit=..., time=...)"


# --- instrumental variables ----------------------------------------------------------


def _describe_iv(backend: str, gmm: bool) -> Describe:
    def describe(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
        from povdsl.estimate.registry import get

        kind = get("gmm" if gmm else "iv").resolved_vcov(vcov).kind
        blocks = ", ".join(
            names_of(design_names, key, default)
            for key, default in (("y", "y"), ("exog", "X"), ("endog", "endog"), ("instruments", "Z"))
        )
        cov = f"cov_type='clustered', clusters=df[{list(vcov.clusters)!r}]" if kind == "cluster" else f"cov_type={kind!r}"
        small = ", debiased=True" if options.get("small") else ""
        if gmm:
            weight = "clustered" if kind == "cluster" else kind
            call = f"linearmodels.iv.{backend}({blocks}, weight_type={weight!r}).fit(iter_limit={options.get('steps', 2)}, {cov}{small})"
        else:
            call = f"linearmodels.iv.{backend}({blocks}).fit({cov}{small})"
        if options.get("absorb"):
            call += "  # on data demeaned by entity, Intercept dropped, covariance df-corrected for the absorbed means"
        return call

    return describe


describe_iv = _describe_iv("IV2SLS", gmm=False)
describe_gmm = _describe_iv("IVGMM", gmm=True)


# --- spatial -------------------------------------------------------------------------


def _describe_spatial(model: str) -> Describe:
    def describe(design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
        given = options.get("weights")
        weights = ", ".join(str(w) for w in given) if isinstance(given, (tuple, list)) and given else "w"
        method = options.get("method") or "ml"
        robust = bool(options.get("robust"))
        if model == "slx":
            return f"spreg.OLS(y, X) + spreg.diagnostics_sp.MoranRes(ols, {weights}, z=True), LMtests(ols, {weights})"
        if options.get("fe"):
            return f"spreg.{'Panel_FE_Error' if model == 'sem' else 'Panel_FE_Lag'}(y, X, {weights})  # rows period by period"
        if method == "gmm":
            return {
                "sar": f"spreg.GM_Lag(y, X, w={weights}, w_lags=2, robust={'white' if robust else None!r})",
                "sdm": f"spreg.GM_Lag(y, X, w={weights}, w_lags=2, slx_lags=1, robust={'white' if robust else None!r})",
                "sem": f"spreg.{'GM_Error_Het' if robust else 'GM_Error_Hom'}(y, X, w={weights})",
                "sac": f"spreg.{'GM_Combo_Het' if robust else 'GM_Combo_Hom'}(y, X, w={weights}, w_lags=2)",
            }[model]
        large = f"; above {SPARSE_COV_LIMIT:,} regions spreg's LU estimation steps with its information matrix from sparse-LU traces"
        return {
            "sar": f"spreg.ML_Lag(y, X, {weights}, method='full' up to 400 regions else 'LU'){large}",
            "sdm": f"spreg.ML_Lag(y, X, {weights}, slx_lags=1, method='full' up to 400 regions else 'LU'){large}",
            "sem": f"spreg.ML_Error(y, X, {weights}, method='full' up to 400 regions else 'LU'){large}",
            "sac": f"povdsl's SARAR ML (concentrated likelihood over rho, lambda; scipy L-BFGS-B) with W1, W2 = {weights}",
        }[model]

    describe.__name__ = f"describe_{model}"
    return describe


describe_sar, describe_sem, describe_sdm, describe_sac, describe_slx = (_describe_spatial(m) for m in ("sar", "sem", "sdm", "sac", "slx"))
