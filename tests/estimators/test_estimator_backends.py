"""Every adapter against a direct call of its backend on the same data, at rtol 1e-8.

These pin the adapters to "thin": same numbers as the backend, only renamed
and checked. One test per statistic, so a failure names what drifted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.datasets import wage_panel
from linearmodels.iv import IV2SLS, IVGMM
from linearmodels.panel import PanelOLS, RandomEffects
from numpy.testing import assert_allclose

from povdsl.estimate.adapters import get
from povdsl.estimate.design import Design, Vcov

RTOL = 1e-8


def _cross_section() -> pd.DataFrame:
    """A synthetic household sample with two nested-free cluster variables."""
    rng = np.random.default_rng(20260101)
    n = 600
    frame = pd.DataFrame(
        {
            "log(x)": rng.normal(size=n),
            "cluster_share": rng.uniform(size=n),
            "county": rng.integers(0, 25, size=n),
            "village": rng.integers(0, 60, size=n),
        }
    )
    index = -0.3 + 0.8 * frame["log(x)"] - 1.1 * frame["cluster_share"] + rng.logistic(size=n)
    frame["poor"] = (index > 0).astype(float)
    frame["income"] = 2.0 + 0.5 * frame["log(x)"] + 0.7 * frame["cluster_share"] + rng.normal(size=n) * (1 + frame["cluster_share"])
    return frame


CROSS = _cross_section()
CROSS_X = CROSS[["log(x)", "cluster_share"]].assign(Intercept=1.0)[["Intercept", "log(x)", "cluster_share"]]
CROSS_GROUPS = CROSS[["county", "village"]]

WAGES = wage_panel.load()
WAGES_X = WAGES[["expersq", "union", "married"]].assign(Intercept=1.0)[["Intercept", "expersq", "union", "married"]]
WAGES_INDEX = pd.MultiIndex.from_arrays([WAGES.nr, WAGES.year])
WAGES_GROUPS = pd.DataFrame({"nr": WAGES.nr, "occupation": WAGES.occupation})


def _iv_data() -> pd.DataFrame:
    """Over-identified IV data: one endogenous regressor, two excluded instruments."""
    rng = np.random.default_rng(7)
    n = 500
    z1, z2, w = rng.normal(size=(3, n))
    u = rng.normal(size=n)
    gdp = 0.6 * z1 + 0.4 * z2 + 0.5 * u + rng.normal(size=n)
    y = 1.0 + 0.5 * gdp + 0.3 * w + u * (1 + 0.5 * np.abs(w))
    return pd.DataFrame({"y": y, "gdp": gdp, "w": w, "gdp_lag10": z1, "z2": z2, "county": rng.integers(0, 30, n), "prefecture": rng.integers(0, 8, n)})


IVD = _iv_data()
IV_DESIGN = Design(
    y=IVD.y,
    exog=IVD[["w"]].assign(Intercept=1.0)[["Intercept", "w"]],
    endog=IVD[["gdp"]],
    instruments=IVD[["gdp_lag10", "z2"]],
    groups=IVD[["county", "prefecture"]],
)


@dataclass(frozen=True)
class Case:
    id: str
    estimator: str
    design: Design
    options: dict
    vcov: Vcov
    backend: Callable[[], object]  # the direct call
    stats: dict[str, Callable[[object], float]]  # Result.stats key -> how to read it off the backend


def _codes(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([pd.factorize(frame[c])[0] for c in frame]).squeeze()


class CRV1:
    """A backend fit whose raw cluster sandwich is scaled by the CRV1 factor written out in the case.

    Stands for the convention of fixest/pyfixest and Stata (docs/estimators.md):
    factor (n-1)/(n-K) * G/(G-1) with K the coefficients plus the fixed effects
    not nested in a cluster, G the smallest cluster count, p-values from t(G-1).
    tests/estimators/test_conformance.py checks the same convention against pyfixest.
    """

    def __init__(self, raw, *, nobs: int, k: int, g: int, first_stage=None):
        from scipy import stats

        self._raw, self.nobs = raw, nobs
        params = pd.Series(raw.params)
        cov = np.asarray(raw.cov if hasattr(raw, "cov") and not callable(raw.cov) else raw.cov_params()) * (nobs - 1) / (nobs - k) * g / (g - 1)
        self.params = params
        self.bse = pd.Series(np.sqrt(np.diag(cov)), index=params.index)
        self.tvalues = params / self.bse
        self.pvalues = pd.Series(2 * stats.t.sf(np.abs(self.tvalues), g - 1), index=params.index)
        self._first_stage = first_stage

    def __getattr__(self, name):  # statistics other than the coefficient table: the backend's own
        if name == "first_stage" and self._first_stage is not None:
            return self._first_stage.first_stage
        if name == "model" and self._first_stage is not None:
            return self._first_stage.model
        return getattr(self._raw, name)


def _first_stage_f(res, robust: bool) -> float:
    statistic = res.first_stage.diagnostics["f.stat"].astype(float).min()
    return statistic / res.model.instruments.shape[1] if robust else statistic


SM_FIT_STATS = {"r2": lambda r: r.rsquared, "loglik": lambda r: r.llf}
BINARY_FIT_STATS = {"pseudo_r2": lambda r: r.prsquared, "loglik": lambda r: r.llf}
cross_design = Design(y=CROSS.income, exog=CROSS_X, groups=CROSS_GROUPS)
binary_design = Design(y=CROSS.poor, exog=CROSS_X, groups=CROSS_GROUPS)
panel_design = Design(y=WAGES.lwage, exog=WAGES_X, entity=WAGES.nr, time=WAGES.year, groups=WAGES_GROUPS)
panel_y, panel_x = WAGES.lwage.set_axis(WAGES_INDEX), WAGES_X.set_axis(WAGES_INDEX)
panel_clusters = pd.DataFrame({"nr": pd.factorize(WAGES.nr)[0], "occupation": pd.factorize(WAGES.occupation)[0]}, index=WAGES_INDEX)
IV_BLOCKS = (IVD.y, IV_DESIGN.exog, IVD[["gdp"]], IVD[["gdp_lag10", "z2"]])
IV_STATS = {"r2": lambda r: r.rsquared}

CASES = [
    Case("ols-default", "ols", cross_design, {}, Vcov(), lambda: sm.OLS(CROSS.income, CROSS_X).fit(use_t=True), SM_FIT_STATS),
    Case("ols-robust", "ols", cross_design, {}, Vcov("robust"), lambda: sm.OLS(CROSS.income, CROSS_X).fit(cov_type="HC1", use_t=True), SM_FIT_STATS),
    Case(
        "ols-cluster2",
        "ols",
        cross_design,
        {},
        Vcov("cluster", ("county", "village")),
        lambda: CRV1(
            sm.OLS(CROSS.income, CROSS_X).fit(cov_type="cluster", cov_kwds={"groups": _codes(CROSS_GROUPS), "use_correction": False}),
            nobs=600,
            k=3,
            g=min(CROSS.county.nunique(), CROSS.village.nunique()),
        ),
        SM_FIT_STATS,
    ),
    Case("lpm-default", "lpm", binary_design, {}, Vcov(), lambda: sm.OLS(CROSS.poor, CROSS_X).fit(cov_type="HC1", use_t=True), SM_FIT_STATS),
    Case(
        "logit-default",
        "logit",
        binary_design,
        {"margins": False, "maxiter": 35},
        Vcov(),
        lambda: sm.Logit(CROSS.poor, CROSS_X).fit(disp=0),
        BINARY_FIT_STATS,
    ),
    Case(
        "logit-cluster",
        "logit",
        binary_design,
        {"margins": False, "maxiter": 35},
        Vcov("cluster", ("county",)),
        lambda: sm.Logit(CROSS.poor, CROSS_X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": _codes(CROSS_GROUPS[["county"]])}),
        BINARY_FIT_STATS,
    ),
    Case(
        "probit-robust",
        "probit",
        binary_design,
        {"margins": False, "maxiter": 35},
        Vcov("robust"),
        lambda: sm.Probit(CROSS.poor, CROSS_X).fit(disp=0, cov_type="HC0"),
        BINARY_FIT_STATS,
    ),
    Case(
        "fe-default",
        "fe",
        panel_design,
        {"time_effects": False},
        Vcov(),
        lambda: CRV1(  # entity effects nested in the entity clusters: K = 4 coefficients
            PanelOLS(panel_y, panel_x, entity_effects=True).fit(cov_type="clustered", cluster_entity=True, debiased=False, auto_df=False, count_effects=False),
            nobs=len(WAGES),
            k=4,
            g=WAGES.nr.nunique(),
        ),
        {"r2_within": lambda r: r.rsquared, "loglik": lambda r: r.loglik, "ngroups": lambda r: r.entity_info["total"]},
    ),
    Case(
        "fe-twoway-cluster2",
        "fe",
        panel_design,
        {"time_effects": True},
        Vcov("cluster", ("nr", "occupation")),
        lambda: CRV1(  # entity effects nested in nr, the 8 year effects not: K = 4 + 7
            PanelOLS(panel_y, panel_x, entity_effects=True, time_effects=True).fit(
                cov_type="clustered", clusters=panel_clusters, debiased=False, auto_df=False, count_effects=False
            ),
            nobs=len(WAGES),
            k=4 + WAGES.year.nunique() - 1,
            g=min(WAGES.nr.nunique(), WAGES.occupation.nunique()),
        ),
        {"r2_within": lambda r: r.rsquared, "loglik": lambda r: r.loglik, "ngroups": lambda r: r.entity_info["total"]},
    ),
    Case(
        "re-default",
        "re",
        panel_design,
        {},
        Vcov(),
        lambda: RandomEffects(panel_y, panel_x).fit(),
        {"r2": lambda r: r.rsquared_overall, "r2_within": lambda r: r.rsquared_within, "loglik": lambda r: r.loglik, "ngroups": lambda r: r.entity_info["total"]},
    ),
    Case(
        "iv-default",
        "iv",
        IV_DESIGN,
        {"absorb": False, "small": False},
        Vcov(),
        lambda: IV2SLS(*IV_BLOCKS).fit(cov_type="robust"),
        IV_STATS | {"first_stage_f": lambda r: _first_stage_f(r, robust=True)},
    ),
    Case(
        "iv-cluster2-small",
        "iv",
        IV_DESIGN,
        {"absorb": False, "small": True},
        Vcov("cluster", ("county", "prefecture")),
        lambda: CRV1(
            IV2SLS(*IV_BLOCKS).fit(cov_type="clustered", clusters=IVD[["county", "prefecture"]], debiased=False),
            nobs=500,
            k=3,
            g=min(IVD.county.nunique(), IVD.prefecture.nunique()),
            first_stage=IV2SLS(*IV_BLOCKS).fit(cov_type="clustered", clusters=IVD[["county", "prefecture"]], debiased=True),
        ),
        IV_STATS | {"first_stage_f": lambda r: _first_stage_f(r, robust=True)},
    ),
    Case(
        "gmm-default",
        "gmm",
        IV_DESIGN,
        {"absorb": False, "small": False, "steps": 2},
        Vcov(),
        lambda: IVGMM(*IV_BLOCKS, weight_type="robust").fit(cov_type="robust"),
        IV_STATS | {"j_stat": lambda r: r.j_stat.stat, "j_pvalue": lambda r: r.j_stat.pval, "first_stage_f": lambda r: _first_stage_f(r, robust=True)},
    ),
    Case(
        "gmm-cluster",
        "gmm",
        IV_DESIGN,
        {"absorb": False, "small": False, "steps": 2},
        Vcov("cluster", ("county",)),
        lambda: IVGMM(*IV_BLOCKS, weight_type="clustered", clusters=IVD.county).fit(cov_type="clustered", clusters=IVD.county),
        IV_STATS | {"j_stat": lambda r: r.j_stat.stat, "j_pvalue": lambda r: r.j_stat.pval, "first_stage_f": lambda r: _first_stage_f(r, robust=True)},
    ),
    Case(
        "gmm-unadjusted-iterated",
        "gmm",
        IV_DESIGN,
        {"absorb": False, "small": False, "steps": 10},
        Vcov("unadjusted"),
        lambda: IVGMM(*IV_BLOCKS, weight_type="unadjusted").fit(iter_limit=10, cov_type="unadjusted"),
        IV_STATS | {"j_stat": lambda r: r.j_stat.stat, "j_pvalue": lambda r: r.j_stat.pval, "first_stage_f": lambda r: _first_stage_f(r, robust=False)},
    ),
]
CASE_IDS = [case.id for case in CASES]


_FITS: dict[str, tuple] = {}


def _fit(case: Case) -> tuple:
    """Fit once per case for the whole module; both sides are deterministic."""
    if case.id not in _FITS:
        _FITS[case.id] = (get(case.estimator).fit(case.design, case.options, case.vcov), case.backend())
    return _FITS[case.id]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def fitted(request):
    return (request.param, *_fit(request.param))


def _backend_series(raw, attribute: str) -> pd.Series:
    names = {"std_errors": ("bse", "std_errors"), "tstats": ("tvalues", "tstats"), "pvalues": ("pvalues",), "params": ("params",)}
    for name in names[attribute]:
        if hasattr(raw, name):
            return pd.Series(getattr(raw, name))
    raise AttributeError(attribute)


@pytest.mark.parametrize("attribute", ["params", "std_errors", "tstats", "pvalues"])
def test_coefficient_table_matches_backend(fitted, attribute):
    _case, result, backend = fitted
    expected = _backend_series(backend, attribute)
    assert list(getattr(result, attribute).index) == [str(name) for name in expected.index]
    assert_allclose(getattr(result, attribute).to_numpy(), expected.to_numpy(), rtol=RTOL)


def test_index_is_design_column_names(fitted):
    case, result, _ = fitted
    names = list(case.design.exog.columns) + (list(case.design.endog.columns) if case.design.endog is not None else [])
    assert list(result.params.index) == names


def test_nobs_matches_backend(fitted):
    case, result, backend = fitted
    assert result.nobs == int(backend.nobs)
    assert result.estimator == case.estimator


def test_every_reported_statistic_is_compared(fitted):
    case, result, _ = fitted
    assert set(result.stats) == set(case.stats)


@pytest.mark.parametrize(
    "case, key",
    [(case, key) for case in CASES for key in case.stats],
    ids=[f"{case.id}-{key}" for case in CASES for key in case.stats],
)
def test_fit_statistic_matches_backend(case, key):
    result, backend = _fit(case)
    assert_allclose(result.stats[key], case.stats[key](backend), rtol=RTOL)


def test_logit_margins_are_statsmodels_average_marginal_effects():
    result = get("logit").fit(binary_design, {"margins": True, "maxiter": 35}, Vcov())
    margins = sm.Logit(CROSS.poor, CROSS_X).fit(disp=0).get_margeff(at="overall", method="dydx")
    assert list(result.params.index) == ["log(x)", "cluster_share"]
    assert result.vcov == "unadjusted, delta method for average marginal effects"
    assert_allclose(result.params, margins.margeff, rtol=RTOL)
    assert_allclose(result.std_errors, margins.margeff_se, rtol=RTOL)
    assert_allclose(result.tstats, margins.tvalues, rtol=RTOL)
    assert_allclose(result.pvalues, margins.pvalues, rtol=RTOL)


def test_gmm_refuses_two_way_clustered_weighting():
    from povdsl.errors import EstimationError

    with pytest.raises(EstimationError, match="one-way"):
        get("gmm").fit(IV_DESIGN, {}, Vcov("cluster", ("county", "prefecture")))
