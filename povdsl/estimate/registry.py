"""The estimator registry: one frozen record per estimator, and nothing else says what an estimator is.

The checker binds arguments and options from it, `povdsl explain` prints its
labels, conventions and backend call, tables take their column labels from it,
and the fit stage loads the adapter it names. It imports no estimation library:
each record names its functions by dotted path ("module:function"), loaded the
first time a model of that estimator is fitted or explained, so `povdsl check`
stays light. Adding an estimator is one `EstimatorSpec` passed to `register`
plus its adapter function (docs/decisions.md, docs/estimators.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from povdsl.estimate.options import (
    BINARY_OPTIONS,
    FE_OPTIONS,
    GMM_OPTIONS,
    IV_OPTIONS,
    SLX_OPTIONS,
    SPATIAL_OPTIONS,
    OptionSpec,
)

if TYPE_CHECKING:
    from povdsl.estimate.design import Vcov
    from povdsl.estimate.result import Result

Binding = Literal["plain", "panel", "instrumental", "dynamic", "spatial"]
VcovChoice = Literal["unadjusted", "robust", "cluster"]

ADAPTERS = "povdsl.estimate.adapters"
CALLS = "povdsl.estimate.calls"  # the backend call each estimator stands for, for explain (imports no backend)
COMPILE = "povdsl.estimate.compile:compile_model"


@dataclass(frozen=True)
class EstimatorSpec:
    """Everything povdsl knows about one estimator, as data.

    ``binding`` chooses how the checker reads the call's arguments
    (check/signatures.py): "plain" takes only ``options``; "panel" takes up to
    ``panel_columns`` column names (unit, time); "instrumental" takes
    ``iv=``, ``endog=``, ``fe=`` and the options; "dynamic" takes gmm()/iv()
    instruments and ``flags``. ``prepare`` builds the fit's input from a
    model and the frames (default: the compiled Design), ``adapter`` fits it:
    ``adapter(prepared.design, options, vcov) -> Result``.
    """

    name: str
    label: str  # table column label, e.g. "Logit"
    doc: str  # one line for `povdsl explain` and did-you-mean hints
    binding: Binding
    adapter: str  # "module:function" -> (design, options, vcov) -> Result
    describe: str  # "module:function" -> (design names, options, vcov) -> the direct backend call, for explain
    prepare: str = COMPILE  # "module:function" -> (ModelPlan, Frames, RunCache | None) -> object with .design and .vcov
    options: tuple[OptionSpec, ...] = ()
    default_vcov: VcovChoice = "unadjusted"
    vcov_clause: bool = True  # False: the estimator reports its own variance and refuses `vcov ...`
    max_cluster_ways: int = 2
    statistics: tuple[str, ...] = ()  # keys of Result.stats it can produce
    needs_panel: bool = False
    instruments: bool = False
    weights: bool = False
    binary_outcome: bool = False
    panel_columns: int = 1  # "panel" binding: how many columns (unit, time, further effects) the call may name; 0: any
    flags: tuple[str, ...] = ()  # "dynamic" binding: bare-name options
    long_label: str = ""  # explain's name when the label is terse, e.g. "Arellano-Bond difference GMM"
    conventions: tuple[tuple[str, str], ...] = ()  # variance kind (or "small <kind>") -> factor and reference distribution
    absorbs: bool = False  # "panel" binding: the unit, time and further columns of the call are absorbed fixed effects

    def convention(self, kind: str, options: Mapping[str, object] | None = None) -> str:
        """The small-sample factor and p-value distribution of a resolved variance kind (docs/estimators.md)."""
        table = dict(self.conventions)
        small = bool((options or {}).get("small"))
        return table.get(f"small {kind}" if small else kind) or table.get(kind, "the backend's own")

    def fit(self, design: Any, options: Mapping[str, object], vcov: Vcov) -> Result:
        """Run the adapter, loading it on first use."""
        function: Callable[..., Result] = load(self.adapter)
        return function(design, options, vcov)

    def call_text(self, design_names: Mapping[str, object], options: Mapping[str, object], vcov: Vcov) -> str:
        """The direct backend call this fit amounts to, for `povdsl explain`."""
        describe: Callable[..., str] = load(self.describe)
        return describe(design_names, {**self.option_defaults(), **options}, vcov)

    def option_defaults(self) -> dict[str, object]:
        return {option.name: option.default for option in self.options}

    def resolved_vcov(self, vcov: Vcov) -> Vcov:
        """The variance the fit will use once "default" is replaced by this estimator's choice."""
        from povdsl.estimate.design import Vcov

        return Vcov(self.default_vcov) if vcov.kind == "default" else vcov


def absorbed_effects(estimator: str, entity: str | None, time: str | None, options: Mapping[str, object]) -> tuple[str, ...]:
    """The columns a model's fit absorbs as fixed effects, unit first: what a table's `row fe` marks "Yes".

    An absorbing estimator (`fe(unit, time, industry)`) absorbs every column
    its call names; an instrumental one with `fe=unit` (option `absorb`) the unit.
    """
    spec = REGISTRY.get(estimator)
    if spec is not None and spec.absorbs and entity:
        named = (entity, *([time] if time and options.get("time_effects") else []))
        effects = options.get("effects") or ()
        return named + tuple(str(e) for e in effects) if isinstance(effects, tuple) else named
    return (entity,) if options.get("absorb") and entity else ()


def load(path: str) -> Any:
    """The object a "module:function" path names (only paths written in registry records)."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


CRV1 = "CRV1: raw cluster sandwich x (n-1)/(n-K) x G/(G-1), K = coefficients + fixed effects not nested in a cluster, G the smallest cluster count (two-way: V_a + V_b - V_ab)"
LINEAR = (
    ("unadjusted", "s^2 = SSR/(n-k); p from t(n-k)"),
    ("robust", "HC1 = n/(n-k) x HC0; p from t(n-k)"),
    ("cluster", CRV1 + "; p from t(G-1)"),
)
BINARY = (
    ("unadjusted", "inverse information matrix, no factor; p from the normal"),
    ("robust", "HC0 sandwich, no factor (Stata's vce(robust) multiplies by n/(n-1)); p from the normal"),
    ("cluster", CRV1 + "; p from the normal (Stata's logit/probit use G/(G-1) alone)"),
)
FIXED = (
    ("unadjusted", "s^2 = SSR/(n-K), K = coefficients + every absorbed effect; p from t(n-K)"),
    ("robust", "n/(n-K) x HC0, K with every absorbed effect; p from t(n-K)"),
    ("cluster", CRV1 + "; p from t(G-1)"),
)
RANDOM = (
    ("unadjusted", "linearmodels RandomEffects GLS variance, s^2 on n-k; p from t(n-k) (Stata's xtreg, re: normal)"),
    ("robust", "linearmodels RandomEffects robust variance, n/(n-k); p from t(n-k) (Stata's xtreg, re: normal)"),
    ("cluster", CRV1 + " on the quasi-demeaned data; p from t(G-1)"),
)
INSTRUMENTAL = (
    ("unadjusted", "asymptotic (s^2 = SSR/n); with fe= x n/(n-G); p from the normal (Stata ivregress)"),
    ("robust", "asymptotic HC0; with fe= x n/(n-G); p from the normal (Stata ivregress)"),
    ("cluster", "raw cluster sandwich, no factor; p from the normal (Stata ivregress without small)"),
    ("small unadjusted", "s^2 = SSR/(n-k); with fe= (n-k)/(n-k-G) more; p from t(n-k-G)"),
    ("small robust", "n/(n-k) x HC0; with fe= (n-k)/(n-k-G) more; p from t(n-k-G)"),
    ("small cluster", CRV1 + " (fe= means nested in the clusters not counted); p from t(G-1)"),
)
DYNAMIC = (("unadjusted", "Windmeijer-corrected two-step (steps=2) or robust one-step variance, as xtabond2; p from the normal"),)

LINEAR_STATS = ("r2", "loglik")
BINARY_STATS = ("pseudo_r2", "loglik")
IV_STATS = ("r2", "r2_within", "first_stage_f", "ngroups")
DYNAMIC_STATS = ("ngroups", "ninstruments", "sargan", "sargan_pvalue", "hansen", "hansen_pvalue", "ar1", "ar1_pvalue", "ar2", "ar2_pvalue")
DYNAMIC_FLAGS = ("collapse", "timeeffects")

_BUILTIN = (
    EstimatorSpec(
        "ols", "OLS", "ordinary least squares", "plain", f"{ADAPTERS}.cross_section:fit_ols", f"{CALLS}:describe_ols",
        statistics=LINEAR_STATS,
        conventions=LINEAR,
    ),
    EstimatorSpec(
        "lpm", "LPM", "linear probability model (OLS on a 0/1 outcome)", "plain", f"{ADAPTERS}.cross_section:fit_lpm",
        f"{CALLS}:describe_ols", default_vcov="robust", statistics=LINEAR_STATS, binary_outcome=True,
        conventions=LINEAR,
    ),
    EstimatorSpec(
        "logit", "Logit", "logit; margins reports average marginal effects", "plain", f"{ADAPTERS}.cross_section:fit_logit",
        f"{CALLS}:describe_logit", options=BINARY_OPTIONS, statistics=BINARY_STATS, binary_outcome=True,
        conventions=BINARY,
    ),
    EstimatorSpec(
        "probit", "Probit", "probit; margins reports average marginal effects", "plain", f"{ADAPTERS}.cross_section:fit_probit",
        f"{CALLS}:describe_probit", options=BINARY_OPTIONS, statistics=BINARY_STATS, binary_outcome=True,
        conventions=BINARY,
    ),
    EstimatorSpec(
        "fe", "FE", "fixed effects: fe(unit), fe(unit, time) or fe(unit, time, industry, ...)", "panel", f"{ADAPTERS}.fe:fit_fe",
        f"{CALLS}:describe_fe", options=FE_OPTIONS, default_vcov="cluster", statistics=("r2_within", "loglik", "ngroups"),
        panel_columns=0, absorbs=True,  # it names every column it absorbs: a cross-section works too (fixest's `y ~ x | a + b`)
        conventions=FIXED,
    ),
    EstimatorSpec(
        "re", "RE", "random effects: re(unit)", "panel", f"{ADAPTERS}.panel:fit_re", f"{CALLS}:describe_re",
        statistics=("r2", "r2_within", "loglik", "ngroups"), needs_panel=True, panel_columns=1,
        conventions=RANDOM,
    ),
    EstimatorSpec(
        "iv", "2SLS", "two-stage least squares: iv(iv=z, endog=x, fe=unit)", "instrumental", f"{ADAPTERS}.iv:fit_iv",
        f"{CALLS}:describe_iv", options=IV_OPTIONS, default_vcov="robust", statistics=IV_STATS, instruments=True,
        conventions=INSTRUMENTAL,
    ),
    EstimatorSpec(
        "gmm", "IV-GMM", "two-step efficient IV-GMM: gmm(iv=z, endog=x, fe=unit)", "instrumental", f"{ADAPTERS}.iv:fit_gmm",
        f"{CALLS}:describe_gmm", options=GMM_OPTIONS, default_vcov="robust", max_cluster_ways=1,
        statistics=IV_STATS + ("j_stat", "j_pvalue"), instruments=True,
        conventions=INSTRUMENTAL,
    ),
    EstimatorSpec(
        "diffgmm", "Difference GMM", "Arellano-Bond difference GMM", "dynamic", f"{ADAPTERS}.dynamic:fit", f"{CALLS}:describe_dynamic",
        prepare=f"{ADAPTERS}.dynamic:prepare", vcov_clause=False, statistics=DYNAMIC_STATS, needs_panel=True, instruments=True,
        flags=DYNAMIC_FLAGS, long_label="Arellano-Bond difference GMM",
        conventions=DYNAMIC,
    ),
    EstimatorSpec(
        "sysgmm", "System GMM", "Blundell-Bond system GMM", "dynamic", f"{ADAPTERS}.dynamic:fit", f"{CALLS}:describe_dynamic",
        prepare=f"{ADAPTERS}.dynamic:prepare", vcov_clause=False, statistics=DYNAMIC_STATS, needs_panel=True, instruments=True,
        flags=DYNAMIC_FLAGS, long_label="Blundell-Bond system GMM",
        conventions=DYNAMIC,
    ),
)

SPATIAL = f"{ADAPTERS}.spatial"
SPATIAL_STATS = ("loglik", "aic", "pseudo_r2")
SLX_STATS = ("r2", "loglik", "aic", "moran", "moran_pvalue", "lm_lag", "lm_lag_pvalue", "lm_error", "lm_error_pvalue", "rlm_lag", "rlm_lag_pvalue", "rlm_error", "rlm_error_pvalue")


def _spatial(name: str, label: str, doc: str, long_label: str, adapter: str = "", options: tuple[OptionSpec, ...] = SPATIAL_OPTIONS, statistics: tuple[str, ...] = SPATIAL_STATS) -> EstimatorSpec:
    """A spatial estimator on spreg (docs/spatial.md): weights named positionally, its own variance."""
    return EstimatorSpec(
        name, label, doc, "spatial", f"{SPATIAL}:{adapter or 'fit_' + name}", f"{CALLS}:describe_{name}", prepare=f"{SPATIAL}:prepare",
        options=options, vcov_clause=False, statistics=statistics, weights=True, long_label=long_label,
    )


_SPATIAL = (
    _spatial("sar", "SAR", "spatial lag model: sar(w), sar(w, method=gmm), sar(w, fe=unit)", "spatial autoregressive (lag) model"),
    _spatial("sem", "SEM", "spatial error model: sem(w), sem(w, method=gmm, robust), sem(w, fe=unit)", "spatial error model"),
    _spatial("sdm", "SDM", "spatial Durbin model, SAR plus W(x) for every regressor: sdm(w)", "spatial Durbin model"),
    _spatial("sac", "SAC", "spatial lag and error (SARAR): sac(w) or sac(w1, w2)", "SARAR (spatial lag and error) model", adapter="fit_sac_model"),
    _spatial("slx", "OLS", "OLS of the formula as written with Moran's I and LM tests on its residuals: slx(w)", "OLS with spatial diagnostics", options=SLX_OPTIONS, statistics=SLX_STATS),
)

REGISTRY: dict[str, EstimatorSpec] = {spec.name: spec for spec in _BUILTIN + _SPATIAL}


def register(spec: EstimatorSpec) -> None:
    """Add an estimator (spatial models, a test's own): the checker, explain, tables and fitting see it at once."""
    if spec.name in REGISTRY and REGISTRY[spec.name] is not spec:
        raise ValueError(f"an estimator named '{spec.name}' is already registered")
    REGISTRY[spec.name] = spec


def unregister(name: str) -> None:
    """Remove an estimator added by `register` (tests clean up with it)."""
    if any(spec.name == name for spec in _BUILTIN + _SPATIAL):
        raise ValueError(f"'{name}' is a built-in estimator")
    REGISTRY.pop(name, None)


def get(name: str) -> EstimatorSpec:
    """Look an estimator up by its spec name; an unknown name is an EstimationError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        from povdsl.errors import EstimationError

        raise EstimationError(f"unknown estimator '{name}'", hint=f"use one of: {', '.join(REGISTRY)}") from None
