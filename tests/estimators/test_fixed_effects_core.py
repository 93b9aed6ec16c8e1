"""The array-level fixed-effects fit (demean.py, fixed_effects.py) against independent references.

References, each called in the test on the same data:
* exact residuals from a least-squares solve on explicit dummies (numpy), for demeaning;
* pyfixest `feols` (MAP tolerance 1e-12) for slopes and every variance, CRV1 conventions;
* linearmodels PanelOLS for the constant that `xtreg, fe` reports (grand means added back).

pyfixest 0.60 mislabels which effects are nested in the cluster when it reorders
the effects internally (two or more effects and a cluster that is one of them);
for those cases the test takes pyfixest's variance without any effect counted
(`ssc(k_fixef="none")`, df_k = slopes) and applies the convention's factor,
written out by hand, so bread and meat still come from pyfixest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from linearmodels.panel import PanelOLS
from numpy.testing import assert_allclose
from pyfixest.demeaners import MapDemeaner

from povdsl.estimate.demean import demean, factor
from povdsl.estimate.fixed_effects import demeaned_design, fit_within


def _panel(seed: int = 3, n: int = 900) -> pd.DataFrame:
    """Unbalanced panel with gaps: units nested in states, a crossed industry factor."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"unit": rng.integers(0, 90, n), "year": rng.integers(0, 9, n), "industry": rng.integers(0, 6, n)})
    frame["state"] = frame["unit"] // 10
    frame["x1"] = rng.normal(size=n) + 0.05 * frame["unit"]
    frame["x2"] = rng.normal(size=n) + 0.2 * frame["year"]
    frame["y"] = 1.0 + 0.5 * frame["x1"] - 0.3 * frame["x2"] + 0.02 * frame["unit"] + 0.1 * frame["industry"] + rng.normal(size=n)
    return frame


PANEL = _panel()
SLOPES = ["x1", "x2"]
EFFECTS = {"one-way": ["unit"], "two-way": ["unit", "year"], "three-way": ["unit", "year", "industry"]}
VCOVS = {
    "iid": ("unadjusted", []),
    "hetero": ("robust", []),
    "unit": ("cluster", ["unit"]),
    "year": ("cluster", ["year"]),
    "state": ("cluster", ["state"]),
    "unit+year": ("cluster", ["unit", "year"]),
    "unit+industry": ("cluster", ["unit", "industry"]),
}


def _ours(frame: pd.DataFrame, effects: list[str], kind: str, clusters: list[str], intercept: bool = False):
    factors = [factor(frame[name].to_numpy()) for name in effects]
    y, x = frame["y"].to_numpy(), frame[SLOPES].to_numpy()
    codes = [pd.factorize(frame[name])[0] for name in clusters]
    return fit_within(y, x, demeaned_design(y, x, factors), SLOPES, factors, intercept=intercept, kind=kind, clusters=codes)  # type: ignore[arg-type]


def _nested(frame: pd.DataFrame, effect: str, clusters: list[str]) -> bool:
    return any(frame.groupby(effect)[c].nunique().max() == 1 for c in clusters)


@pytest.mark.parametrize("effects", list(EFFECTS), ids=list(EFFECTS))
def test_demean_equals_residuals_on_dummies(effects):
    names = EFFECTS[effects]
    columns = PANEL[["y", *SLOPES]].to_numpy()
    dummies = np.column_stack([pd.get_dummies(PANEL[name], dtype=float).to_numpy() for name in names])
    exact = columns - dummies @ np.linalg.lstsq(dummies, columns, rcond=None)[0]
    assert_allclose(demean(columns, [factor(PANEL[name].to_numpy()) for name in names]), exact, atol=1e-10)


def test_demean_of_unsorted_rows_matches_sorted():
    shuffled = PANEL.sample(frac=1.0, random_state=5)
    ordered = shuffled.sort_values(["unit", "year"], kind="stable")
    names = ["unit", "year", "industry"]
    got = demean(shuffled[SLOPES].to_numpy(), [factor(shuffled[n].to_numpy()) for n in names])
    want = demean(ordered[SLOPES].to_numpy(), [factor(ordered[n].to_numpy()) for n in names])
    assert_allclose(pd.DataFrame(got, index=shuffled.index).loc[ordered.index].to_numpy(), want, atol=1e-10)


def test_balanced_two_way_panel_is_exact_in_one_sweep():
    units, years = np.repeat(np.arange(40), 7), np.tile(np.arange(7), 40)
    x = np.random.default_rng(0).normal(size=(280, 2))
    dummies = np.column_stack([np.eye(40)[units], np.eye(7)[years]])
    exact = x - dummies @ np.linalg.lstsq(dummies, x, rcond=None)[0]
    assert_allclose(demean(x, [factor(units), factor(years)], max_sweeps=1), exact, atol=1e-12)


@pytest.mark.parametrize("vcov", list(VCOVS), ids=list(VCOVS))
@pytest.mark.parametrize("effects", list(EFFECTS), ids=list(EFFECTS))
def test_slopes_and_errors_match_pyfixest(effects, vcov):
    names = EFFECTS[effects]
    kind, clusters = VCOVS[vcov]
    ours = _ours(PANEL, names, kind, clusters)
    spelled = {"iid": "iid", "hetero": "hetero"}.get(vcov, {"CRV1": vcov})
    formula = "y ~ x1 + x2 | " + " + ".join(names)
    demeaner = MapDemeaner(fixef_tol=1e-12)
    reference = pf.feols(formula, PANEL, vcov=spelled, demeaner=demeaner)
    assert_allclose(ours.params, reference.coef().to_numpy(), rtol=1e-8)
    affected = len(names) > 1 and kind == "cluster" and any(_nested(PANEL, e, clusters) for e in names)
    if affected:  # see the module docstring: pyfixest's own nesting count is wrong here
        bare = pf.feols(formula, PANEL, vcov=spelled, demeaner=demeaner, ssc=pf.ssc(k_fixef="none"))
        n, k = len(PANEL), len(SLOPES)
        counted = k + 1 + sum(PANEL[e].nunique() - 1 for e in names if not _nested(PANEL, e, clusters))
        variance = bare._vcov * (n - k) / (n - counted)
        assert_allclose(ours.std_errors, np.sqrt(np.diag(variance)), rtol=1e-6)
        assert ours.df_k == counted
    else:
        assert_allclose(ours.std_errors, reference.se().to_numpy(), rtol=1e-6)
    assert ours.df_resid == int(reference._df_t)


def test_unit_effects_nested_in_cluster_count_as_one_parameter():
    """CRV1: `fe(unit)` clustered by unit uses (n-1)/(n-k-1) G/(G-1), as `xtreg, fe vce(cluster)` and fixest do."""
    ours = _ours(PANEL, ["unit"], "cluster", ["unit"])
    assert ours.df_k == len(SLOPES) + 1
    assert ours.df_resid == PANEL["unit"].nunique() - 1


@pytest.mark.parametrize("time_effects", [False, True])
def test_constant_and_one_way_clustered_errors_match_panelols(time_effects):
    """The constant PanelOLS reports (grand means added back), and its entity-clustered errors."""
    frame = PANEL.drop_duplicates(["unit", "year"]).reset_index(drop=True)
    effects = ["unit", "year"] if time_effects else ["unit"]
    ours = _ours(frame, effects, "cluster", ["unit"], intercept=True)
    indexed = frame.set_index(["unit", "year"])
    exog = indexed[SLOPES].assign(Intercept=1.0)[["Intercept", *SLOPES]]
    reference = PanelOLS(indexed["y"], exog, entity_effects=True, time_effects=time_effects).fit(cov_type="clustered", cluster_entity=True, group_debias=True)
    assert_allclose(ours.params, reference.params.to_numpy(), rtol=1e-8)
    assert_allclose(ours.r2_within, reference.rsquared, rtol=1e-8)
    assert_allclose(ours.loglik, reference.loglik, rtol=1e-8)
    if not time_effects:  # one-way: linearmodels' group-debiased factor is the CRV1 one
        assert_allclose(ours.std_errors, reference.std_errors.to_numpy(), rtol=1e-6)


def test_unadjusted_errors_with_constant_match_panelols():
    frame = PANEL.drop_duplicates(["unit", "year"]).reset_index(drop=True)
    ours = _ours(frame, ["unit"], "unadjusted", [], intercept=True)
    indexed = frame.set_index(["unit", "year"])
    exog = indexed[SLOPES].assign(Intercept=1.0)[["Intercept", *SLOPES]]
    reference = PanelOLS(indexed["y"], exog, entity_effects=True).fit(cov_type="unadjusted")
    assert_allclose(ours.std_errors, reference.std_errors.to_numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "spelled, vcov",
    [("", {"CRV1": "unit"}), (" vcov robust", "hetero"), (" vcov cluster(state)", {"CRV1": "state"})],
    ids=["default", "robust", "cluster-state"],
)
def test_three_way_fe_from_a_model_line_matches_pyfixest(spelled, vcov):
    """`fe(unit, year, industry)` end to end: checker, compiler, adapter; the slopes are what fixest reports."""
    import povdsl

    frame = PANEL.drop_duplicates(["unit", "year"]).reset_index(drop=True)
    result = povdsl.fit(f"y ~ x1 + x2 | fe(unit, year, industry){spelled}", frame, panel=("unit", "year"))
    reference = pf.feols("y ~ x1 + x2 | unit + year + industry", frame, vcov=vcov, demeaner=MapDemeaner(fixef_tol=1e-12))
    slopes = result.params.drop("Intercept")
    assert_allclose(slopes, reference.coef().to_numpy(), rtol=1e-8)
    if vcov != {"CRV1": "unit"}:  # the unit effects are nested in a unit cluster: see the module docstring
        assert_allclose(result.std_errors.drop("Intercept"), reference.se().to_numpy(), rtol=1e-6)
        assert_allclose(result.pvalues.drop("Intercept"), reference.pvalue().to_numpy(), rtol=1e-6, atol=1e-12)  # pyfixest rounds 1 - cdf to 0
    else:
        ours = _ours(frame, ["unit", "year", "industry"], "cluster", ["unit"])
        assert_allclose(result.std_errors.drop("Intercept"), ours.std_errors, rtol=1e-12)
        assert ours.df_k == 2 + 1 + (frame["year"].nunique() - 1) + (frame["industry"].nunique() - 1)
