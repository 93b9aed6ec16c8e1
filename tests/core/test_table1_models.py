"""Models 1-3 of Table 1 equal a direct statsmodels / linearmodels call on data assembled by hand.

The assembly here shares nothing with povdsl's data, compile and fit stages
but the cluster rule (tested on its own in tests/test_clusters.py): W is a
dense double loop over all counties, the poverty lines plain pandas means.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.panel import PanelOLS

from povdsl.data.clusters import count_clusters
from povdsl.datasets import bundled_path

SPEC = Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov"
CONTROLS = ["age", "edu", "gender", "pop", "land", "capital"]
RTOL = 1e-8


@pytest.fixture
def output(zhejiang_output):
    return zhejiang_output


@pytest.fixture(scope="module")
def assembled() -> pd.DataFrame:
    households = pd.read_csv(bundled_path("zhejiang/households.csv"))
    census = pd.read_csv(bundled_path("zhejiang/census.csv"), dtype={"industry": str})
    counties = pd.read_csv(bundled_path("zhejiang/counties.csv"))
    times = pd.read_csv(bundled_path("zhejiang/traveltime.csv"))
    cluster = count_clusters(census, digits=4, lq=1.25, min_firms=10)
    regions = sorted(set(times.origin))
    minutes = {(o, d): m for o, d, m in times[["origin", "destination", "minutes"]].itertuples(index=False)}
    w_cluster = {}
    for year in (2004, 2008):
        for r in regions:
            total = 0.0
            for j in regions:
                if j != r:
                    total += cluster.get((j, year), 0) / minutes[(r, j)]
            w_cluster[(r, year)] = total
    frame = households.copy()
    keys = list(zip(frame.county, frame.year))
    frame["cluster"] = [cluster.get(k, 0) for k in keys]
    frame["W"] = [w_cluster[k] for k in keys]
    assert set(counties.county) == set(regions)
    line04 = 0.5 * frame.loc[frame.year == 2004, "income"].mean()
    line08 = 0.5 * frame.loc[frame.year == 2008, "income"].mean()
    frame["poor04"] = np.where(frame.income.isna(), np.nan, (frame.income < line04).astype(float))
    frame["poor08"] = np.where(frame.income.isna(), np.nan, (frame.income < line08).astype(float))
    return frame


def _regressors(frame: pd.DataFrame) -> pd.DataFrame:
    x = frame[["cluster", "W", *CONTROLS]].rename(columns={"W": "W(cluster, traveltime)"})
    return sm.add_constant(x).rename(columns={"const": "Intercept"})


@pytest.mark.parametrize("model, outcome", [("m1", "poor04"), ("m2", "poor08")])
def test_logit_models_equal_direct_statsmodels(output, assembled, model, outcome):
    sample = assembled.dropna(subset=[outcome, *CONTROLS])
    direct = sm.Logit(sample[outcome], _regressors(sample)).fit(disp=0)
    result = output.results[model]
    assert result.nobs == int(direct.nobs)
    for ours, theirs in [(result.params, direct.params), (result.std_errors, direct.bse), (result.tstats, direct.tvalues)]:
        pd.testing.assert_series_equal(ours, theirs, rtol=RTOL, check_names=False)


def test_fe_model_equals_direct_panelols(output, assembled):
    sample = assembled.dropna(subset=["income", *CONTROLS]).copy()
    sample["log_income"] = np.log(sample.income)
    indexed = sample.set_index(["household", "year"])
    direct = PanelOLS(indexed["log_income"], _regressors(indexed), entity_effects=True).fit(cov_type="clustered", cluster_entity=True, group_debias=True)
    result = output.results["m3"]
    assert result.nobs == int(direct.nobs)
    for ours, theirs in [(result.params, direct.params), (result.std_errors, direct.std_errors), (result.tstats, direct.tstats)]:
        pd.testing.assert_series_equal(ours, theirs, rtol=RTOL, check_names=False)


def test_gmm_model_equals_direct_ivgmm_with_spatial_instruments(output, assembled):
    """Model 6: cluster and W(cluster) endogenous, gdp_lag10 and W(gdp_lag10) instruments."""
    from linearmodels.iv import IVGMM

    counties = pd.read_csv(bundled_path("zhejiang/counties.csv"))
    times = pd.read_csv(bundled_path("zhejiang/traveltime.csv"))
    gdp = {(c, y): g for c, y, g in counties[["county", "year", "gdp_lag10"]].itertuples(index=False)}
    minutes = {(o, d): m for o, d, m in times[["origin", "destination", "minutes"]].itertuples(index=False)}
    regions = sorted(counties.county.unique())
    w_gdp = {(r, y): sum(gdp[(j, y)] / minutes[(r, j)] for j in regions if j != r) for r in regions for y in (2004, 2008)}
    sample = assembled.dropna(subset=["income", *CONTROLS]).copy()
    sample["log_income"] = np.log(sample.income)
    keys = list(zip(sample.county, sample.year))
    instruments = pd.DataFrame({"gdp_lag10": [gdp[k] for k in keys], "W_gdp": [w_gdp[k] for k in keys]}, index=sample.index)
    exog = sm.add_constant(sample[CONTROLS]).rename(columns={"const": "Intercept"})
    endog = sample[["cluster", "W"]].rename(columns={"W": "W(cluster, traveltime)"})
    direct = IVGMM(sample["log_income"], exog, endog, instruments).fit(cov_type="robust")
    result = output.results["m6"]
    order = list(result.params.index)
    pd.testing.assert_series_equal(result.params, direct.params[order], rtol=RTOL, check_names=False)
    pd.testing.assert_series_equal(result.std_errors, direct.std_errors[order], rtol=RTOL, check_names=False)
    assert order[:3] == ["Intercept", "cluster", "W(cluster, traveltime)"]


def test_missing_values_are_counted_not_hidden(output, assembled):
    complete = assembled.dropna(subset=["income", *CONTROLS])
    assert output.results["m1"].dropped == len(assembled) - len(complete) > 0


def test_true_signs_of_the_generator(output):
    """The generator makes clusters here and elsewhere lower poverty and raise income."""
    for model, sign in [("m1", -1), ("m2", -1), ("m3", 1)]:
        params = output.results[model].params
        assert np.sign(params["cluster"]) == sign
        assert np.sign(params["W(cluster, traveltime)"]) == sign
