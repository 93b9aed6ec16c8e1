"""The bundled synthetic data: reproducible, on contract, and faithful to its own truth.

W is rebuilt here from traveltime.csv with an explicit double loop, not through
the generator, so a wrong spillover in the generator cannot hide itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.panel import PanelOLS

from povdsl.data.clusters import count_clusters
from povdsl.datasets import bundled_path, zhejiang

TRUTH = zhejiang.TRUE_PARAMETERS
CONTROLS = ["age", "edu", "gender", "pop", "land", "capital"]


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return zhejiang.read()


def _cluster_and_w(census: pd.DataFrame, travel: pd.DataFrame) -> pd.DataFrame:
    rule = TRUTH.cluster_rule
    counts = count_clusters(census, digits=rule.digits, lq=rule.lq, min_firms=rule.min_firms)
    minutes = {(o, d): m for o, d, m in travel[["origin", "destination", "minutes"]].itertuples(index=False)}
    counties = sorted(travel["origin"].unique())
    rows = []
    for year in zhejiang.YEARS:
        cluster = {c: int(counts.get((c, year), 0)) for c in counties}
        for origin in counties:
            w = 0.0
            for destination in counties:
                if destination != origin:
                    w += cluster[destination] / minutes[(origin, destination)]
            rows.append((origin, year, cluster[origin], w))
    return pd.DataFrame(rows, columns=["county", "year", "cluster", "wcluster"])


def _analysis_frame(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    measures = _cluster_and_w(data["census"], data["traveltime"])
    return data["households"].merge(measures, on=["county", "year"], how="left")


# --------------------------------------------------------------------------- reproducibility


def test_regeneration_is_byte_identical(tmp_path):
    zhejiang.main(["--out", str(tmp_path)])
    for name in zhejiang.FILES:
        fresh = (tmp_path / f"{name}.csv").read_bytes()
        bundled = bundled_path(f"zhejiang/{name}.csv").read_bytes()
        assert fresh == bundled, f"{name}.csv differs from a fresh regeneration"


def test_bundle_is_small():
    total = sum(bundled_path(f"zhejiang/{name}.csv").stat().st_size for name in zhejiang.FILES)
    assert total < 1_000_000


def test_other_sizes_and_seeds():
    frames = zhejiang.generate(households=60, villages=3, seed=7)
    households = frames["households"]
    assert len(households) == 120
    assert households.groupby("village")["county"].nunique().eq(1).all()
    assert households["county"].nunique() == 3
    # Counties, travel times and census depend on the seed only, not on the sample size.
    bundled = zhejiang.generate(households=30, villages=3, seed=zhejiang.SEED)
    assert bundled["census"].equals(zhejiang.generate()["census"])
    with pytest.raises(ValueError, match="villages"):
        zhejiang.generate(households=1000, villages=91)


# --------------------------------------------------------------------------- contract


def test_counties(data):
    counties = data["counties"]
    assert list(counties.columns) == ["county", "name", "city", "year", "area", "gdp", "gdp_lag10"]
    assert counties["county"].dtype == np.int64
    assert sorted(counties["year"].unique()) == [2004, 2008]
    assert counties.groupby("year")["county"].nunique().eq(90).all()
    assert counties["city"].nunique() == 11
    assert counties.groupby("county")[["name", "city", "area"]].nunique().eq(1).all().all()
    assert (counties[["area", "gdp", "gdp_lag10"]] > 0).all().all()
    # gdp_lag10 is GDP ten years earlier: provincial totals of 1994 on 2004 rows, 1998 on 2008 rows.
    totals = counties.groupby("year")[["gdp", "gdp_lag10"]].sum()
    assert totals.loc[2004, "gdp"] == pytest.approx(11649.0, abs=1)
    assert totals.loc[2008, "gdp"] == pytest.approx(21463.0, abs=1)
    assert totals.loc[2004, "gdp_lag10"] == pytest.approx(2689.0, abs=1)
    assert totals.loc[2008, "gdp_lag10"] == pytest.approx(5052.0, abs=1)
    wide = counties.pivot(index="county", columns="year", values="gdp_lag10")
    assert (wide[2008] > wide[2004]).mean() > 0.9  # 1998 GDP exceeds 1994 GDP almost everywhere


def test_travel_times(data):
    travel = data["traveltime"]
    assert list(travel.columns) == ["origin", "destination", "minutes"]
    ids = set(data["counties"]["county"])
    assert len(travel) == len(ids) ** 2
    assert not travel.duplicated(["origin", "destination"]).any()
    assert set(travel["origin"]) == ids == set(travel["destination"])
    matrix = travel.pivot(index="origin", columns="destination", values="minutes").to_numpy()
    assert (np.diag(matrix) == 0).all()
    off = matrix[~np.eye(len(ids), dtype=bool)]
    assert off.min() >= 10 and off.max() <= 400
    assert np.array_equal(np.round(off, 1), off)
    assert not np.allclose(matrix, matrix.T)
    upper = np.triu_indices(len(ids), 1)
    assert np.corrcoef(matrix[upper], matrix.T[upper])[0, 1] > 0.95  # asymmetric, but only a little


def test_industries_and_census(data):
    industries, census = data["industries"], data["census"]
    assert list(industries.columns) == ["code", "digits", "parent", "name"]
    assert industries["code"].map(len).eq(industries["digits"]).all()
    three = set(industries.loc[industries["digits"] == 3, "code"])
    four = industries[industries["digits"] == 4]
    assert 40 <= len(four) <= 80 and 20 <= len(three) <= 40
    assert (four["code"].str[:3] == four["parent"]).all()
    assert four["parent"].isin(three).all()
    assert (industries.loc[industries["digits"] == 3, "parent"] == "").all()
    named_in_tables_5_and_6 = [
        "171", "1713", "1742", "1762", "1810", "358", "3582", "3460", "222", "2231", "3641", "2613", "633", "7411",
    ]
    assert set(named_in_tables_5_and_6) <= set(industries["code"])

    assert list(census.columns) == ["county", "year", "industry", "firms", "employment"]
    assert census["industry"].map(type).eq(str).all()
    assert census["industry"].isin(set(four["code"])).all()
    assert census[["firms", "employment"]].dtypes.eq(np.int64).all()
    assert (census["firms"] > 0).all() and (census["employment"] >= census["firms"]).all()
    assert not census.duplicated(["county", "year", "industry"]).any()


def test_households(data):
    households = data["households"]
    assert list(households.columns) == [
        "household", "village", "county", "year", "age", "edu", "gender", "pop", "land", "capital", "income",
    ]
    assert len(households) == 1000 and households["household"].nunique() == 500
    assert households.groupby("household").size().eq(2).all()
    assert households["village"].nunique() == 10
    assert households.groupby("village")["county"].nunique().eq(1).all()
    assert households.groupby("county")["village"].nunique().eq(1).all()
    assert set(households["county"]) <= set(data["counties"]["county"])
    for column in ["household", "village", "county", "year", "age", "edu", "gender", "pop"]:
        assert households[column].dtype == np.int64, column
    assert households["gender"].isin([0, 1]).all()
    assert (households["income"].dropna() > 0).all()
    missing = households[["income"] + CONTROLS].isna().any(axis=1).mean()
    assert 0.015 <= missing <= 0.04

    wide = households.pivot(index="household", columns="year")
    aged = wide["age"][2008] - wide["age"][2004]
    assert (aged == 4).mean() > 0.85
    new_head = aged != 4
    assert (wide["edu"][2008] != wide["edu"][2004])[new_head].any()
    # A new householder can by chance be exactly four years older than the old one.
    assert (wide["edu"][2008] == wide["edu"][2004])[~new_head].mean() > 0.98
    for column in ["pop", "land", "capital"]:
        assert (wide[column][2008] != wide[column][2004]).mean() > 0.1, column


def test_income_calibrated_to_the_paper(data):
    households = data["households"]
    mean = households.groupby("year")["income"].mean()
    assert mean[2004] == pytest.approx(20_468, rel=0.05)  # paper: line 10,234 = half the 2004 mean
    assert mean[2008] == pytest.approx(24_085, rel=0.05)  # paper: line 12,042.48 = half the 2008 mean
    wave = households[households["year"] == 2004]["income"].dropna()
    assert 0.20 <= (wave < 0.5 * mean[2004]).mean() <= 0.30


def test_history_makes_gdp_lag10_a_relevant_instrument(data):
    measures = _cluster_and_w(data["census"], data["traveltime"])
    merged = measures.merge(data["counties"], on=["county", "year"])
    assert np.corrcoef(merged["cluster"], np.log(merged["gdp_lag10"]))[0, 1] > 0.4


# --------------------------------------------------------------------------- truth recovered


def test_logit_poverty_has_true_signs(data):
    frame = _analysis_frame(data)
    line = 0.5 * frame.loc[frame["year"] == 2004, "income"].mean()
    frame = frame.dropna(subset=["income", *CONTROLS])
    poor = (frame["income"] < line).astype(int)
    fit = sm.Logit(poor, sm.add_constant(frame[["cluster", "wcluster", *CONTROLS]])).fit(disp=0)
    assert fit.params["cluster"] < 0 and fit.params["wcluster"] < 0
    assert fit.pvalues["cluster"] < 0.05 and fit.pvalues["wcluster"] < 0.05


def test_fixed_effects_log_income_has_true_signs(data):
    frame = _analysis_frame(data).dropna(subset=["income", *CONTROLS])
    panel = frame.assign(log_income=np.log(frame["income"])).set_index(["household", "year"])
    fit = PanelOLS(
        panel["log_income"], panel[["cluster", "wcluster", *CONTROLS]], entity_effects=True, time_effects=True
    ).fit()
    assert fit.params["cluster"] > 0 and fit.params["wcluster"] > 0
    assert fit.pvalues["cluster"] < 0.05 and fit.pvalues["wcluster"] < 0.05
    assert fit.params["capital"] > 0 and fit.params["pop"] < 0


@pytest.mark.slow
def test_large_sample_fixed_effects_recover_truth():
    frames = zhejiang.generate(households=50_000, villages=90)
    measures = _cluster_and_w(frames["census"], frames["traveltime"])
    rule = TRUTH.cluster_rule
    codes = [code for code, _ in TRUTH.income.industry_effects]
    for code in codes:
        indicator = count_clusters(
            frames["census"], digits=rule.digits, lq=rule.lq, min_firms=rule.min_firms, industry=code
        )
        indicator = indicator.rename(f"is_{code}").reset_index()
        measures = measures.merge(indicator, on=["county", "year"], how="left")
    frame = frames["households"].merge(measures, on=["county", "year"]).dropna(subset=["income", *CONTROLS])
    panel = frame.assign(log_income=np.log(frame["income"])).set_index(["household", "year"])
    regressors = ["cluster", "wcluster", *CONTROLS, *(f"is_{code}" for code in codes)]
    fit = PanelOLS(panel["log_income"], panel[regressors], entity_effects=True, time_effects=True).fit()
    income = TRUTH.income
    for name in ["cluster", "wcluster", "capital", "pop"]:
        truth = getattr(income, name)
        assert abs(fit.params[name] - truth) < 3 * fit.std_errors[name], (name, fit.params[name], truth)
