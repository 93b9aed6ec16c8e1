"""A sweep item equals a direct OLS on a hand-built industry cluster indicator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from povdsl.datasets import bundled_path

SPEC = Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov"
CONTROLS = ["age", "edu", "gender", "pop", "land", "capital"]


@pytest.fixture
def output(zhejiang_output):
    return zhejiang_output


def _indicator(census: pd.DataFrame, code: str, year: int) -> dict:
    """Hand-computed: is any 4-digit industry starting with `code` a cluster (LQ >= 1.25, >= 10 firms)?"""
    c = census[census.year == year].copy()
    c["code"] = c.industry.str[: len(code)]
    g = c.groupby(["county", "code"])[["firms", "employment"]].sum().reset_index()
    county_total = g.groupby("county").employment.transform("sum")
    industry_total = g.groupby("code").employment.transform("sum")
    g["lq"] = (g.employment / county_total) / (industry_total / g.employment.sum())
    hits = g[(g.code == code) & (g.lq >= 1.25) & (g.firms >= 10)]
    return {county: 1.0 for county in hits.county}


def test_textile_sweep_item_equals_direct_ols(output):
    census = pd.read_csv(bundled_path("zhejiang/census.csv"), dtype={"industry": str})
    households = pd.read_csv(bundled_path("zhejiang/households.csv"))
    sweep = output.sweeps["inc04_3"]
    item = next(i for i in sweep.items if i.code == "174")
    sample = households[households.year == 2004].dropna(subset=["income", *CONTROLS]).copy()
    hits = _indicator(census, "174", 2004)
    sample["ind"] = [hits.get(c, 0.0) for c in sample.county]
    x = sm.add_constant(sample[["ind", *CONTROLS]])
    direct = sm.OLS(np.log(sample.income), x).fit()
    assert item.result.params[sweep.focus] == pytest.approx(direct.params["ind"], rel=1e-8)
    assert item.result.std_errors[sweep.focus] == pytest.approx(direct.bse["ind"], rel=1e-8)
    assert item.result.nobs == int(direct.nobs)


def test_sweep_covers_every_census_industry_and_lists_skips(output):
    census = pd.read_csv(bundled_path("zhejiang/census.csv"), dtype={"industry": str})
    codes = sorted(census[census.year == 2004].industry.str[:3].unique())
    sweep = output.sweeps["pov04_3"]
    assert sorted([i.code for i in sweep.items] + [c for c, _ in sweep.skipped]) == codes
    for _, reason in sweep.skipped:
        assert reason


def test_one_pool_for_all_sweeps_gives_the_in_process_results(monkeypatch):
    """The pool changes where fits run, never what they give: same items, skips and numbers, bit for bit."""
    from povdsl.check.specfile import load_plan
    from povdsl.data.frames import load as load_frames
    from povdsl.estimate import executors
    from povdsl.estimate import sweep as sweep_module

    plan = load_plan(SPEC)
    models = [m for m in plan.models if m.sweep_var and m.name.startswith("pov04")]
    in_process = sweep_module.run_sweeps(models, load_frames(plan), workers=1)
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)
    pooled = sweep_module.run_sweeps(models, load_frames(plan), workers=2)
    for model in models:
        serial, parallel = in_process[model.name], pooled[model.name]
        assert parallel.skipped == serial.skipped
        assert [i.code for i in parallel.items] == [i.code for i in serial.items]
        for a, b in zip(serial.items, parallel.items):
            for field in ("params", "std_errors", "pvalues"):
                pd.testing.assert_series_equal(getattr(a.result, field), getattr(b.result, field), check_exact=True)
            assert a.result.stats == b.result.stats and a.result.nobs == b.result.nobs


def test_a_pool_that_cannot_start_leaves_the_fits_to_this_process(monkeypatch):
    from povdsl.check.specfile import load_plan
    from povdsl.data.frames import load as load_frames
    from povdsl.estimate import executors
    from povdsl.estimate import sweep as sweep_module

    def no_semaphores(*args, **kwargs):
        raise PermissionError("[Errno 13] Permission denied: '/dev/shm'")

    plan = load_plan(SPEC)
    models = [m for m in plan.models if m.name == "pov04_3"]
    expected = sweep_module.run_sweeps(models, load_frames(plan), workers=1)["pov04_3"]
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)
    monkeypatch.setattr(executors, "ProcessPoolExecutor", no_semaphores)
    with pytest.warns(RuntimeWarning, match="process pool failed"):
        fallback = sweep_module.run_sweeps(models, load_frames(plan), workers=2)["pov04_3"]
    assert [i.code for i in fallback.items] == [i.code for i in expected.items] and fallback.skipped == expected.skipped
    for a, b in zip(expected.items, fallback.items):
        pd.testing.assert_series_equal(a.result.params, b.result.params, check_exact=True)
