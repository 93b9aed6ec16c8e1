"""Issue 17.6: the parent only lists a shared-design sweep's members; workers compile the design and compute the focus columns.

Checked here: a focus column computed in a pool worker equals the parent's
(and a hand-computed cluster indicator), a design that cannot be compiled on
a worker fails its sweep as one located error (never cached), and a worker
serving two runs never reuses the first run's columns.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povdsl.check.specfile import load_plan
from povdsl.data.frames import RunCache, clusters_on_units
from povdsl.data.frames import load as load_frames
from povdsl.datasets import bundled_path, zhejiang
from povdsl.estimate import executors
from povdsl.estimate.fitting import fit_model
from povdsl.estimate.jobs import WorkerContext
from povdsl.estimate.sweep import expand
from povdsl.estimate.sweep_sources import substitute
from povdsl.pipeline import run

SPEC = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
let poor04 = income < 0.5 * mean(income, year == 2004)
model a "A": log(income) ~ age + edu | ols where year == 2004
model s "S" for y in [log(income), poor04] for industry in industries(census, digits=2, year=2004): y ~ clusters(census, digits=2, industry=industry) + age + edu | ols
  where year == YEAR
table t1 "Plain" = a
table t2 "Sweep" = s
  layout sweep
  stat none
"""


def _spec(tmp_path: Path, year: int = 2004) -> Path:
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC.replace("YEAR", str(year)), encoding="utf-8")
    return spec


def _member_column(frames, shared, code: str) -> np.ndarray:
    """Run in a pool worker: the design compiled there, and the member's focus column."""
    cache = RunCache()
    return shared.compiled(frames, cache).member_column(code, frames, cache)


def _hand_indicator(code: str, rows: pd.Index, unit: pd.DataFrame) -> np.ndarray:
    """Is any 2-digit industry `code` a cluster in the household's county in 2004 (LQ >= 1.25, >= 10 firms)? By pandas, from the CSV."""
    census = pd.read_csv(bundled_path("zhejiang/census.csv"), dtype={"industry": str})
    c = census[census.year == 2004].copy()
    c["code"] = c.industry.str[:2]
    g = c.groupby(["county", "code"])[["firms", "employment"]].sum().reset_index()
    g["lq"] = (g.employment / g.groupby("county").employment.transform("sum")) / (g.groupby("code").employment.transform("sum") / g.employment.sum())
    hits = set(g[(g.code == code) & (g.lq >= 1.25) & (g.firms >= 10)].county)
    return np.array([1.0 if county in hits else 0.0 for county in unit.loc[rows, "county"]])


def test_a_focus_column_computed_in_a_pool_worker_equals_the_parents(tmp_path):
    plan = load_plan(_spec(tmp_path))
    frames = load_frames(plan)
    designs: list = []
    expansion = expand(next(m for m in plan.models if m.name == "s"), frames, designs)
    assert len(designs) == 2 and all(job.task == ("design", job.design, job.value) for job in expansion.jobs)  # a task is a few bytes
    shared = designs[0]
    codes = [job.value for job in expansion.jobs if job.design == 0]
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = {code: pool.submit(_member_column, frames, shared, code) for code in codes}
        columns = {code: future.result() for code, future in remote.items()}
    rows = shared.compiled(frames, RunCache()).design.exog.index
    hits = 0
    for code in codes:
        parent = clusters_on_units(frames, substitute(shared.focus, "industry", code))[rows].to_numpy()
        np.testing.assert_array_equal(columns[code], parent)
        np.testing.assert_array_equal(columns[code], _hand_indicator(code, rows, frames.unit))
        hits += int(columns[code].sum() > 0)
    assert hits > 3  # the columns are not all zero


@pytest.mark.parametrize("workers", [1, 2])
def test_a_design_that_cannot_compile_on_a_worker_fails_its_sweep_as_one_located_error(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)  # the pool for workers=2
    spec = _spec(tmp_path, year=1999)  # no rows: the shared design of each outcome cannot be compiled
    cache = tmp_path / "cache"
    output = run(spec, formats=("markdown",), workers=workers, keep_going=True, cache=cache)
    (failure,) = output.failures
    assert failure.model == "s" and failure.span.line == 6  # the sweep's declaration
    assert "no rows satisfy the where condition" in str(failure)
    assert "(y = log(income))" in str(failure) and "industry =" not in str(failure)  # the group's value, not a member's
    assert set(output.tables) == {"t1"} and output.skipped_tables == ("t2",)
    assert len([p for p in cache.glob("*.json") if not p.name.endswith(".spec.json")]) == 1  # the plain model only (beside the spec's index): a design's failure is never cached


def test_a_worker_serving_two_runs_never_reuses_the_first_runs_columns(tmp_path):
    """A Dask worker lives across runs: what it derives (columns such as W(gdp, tt), by term text) belongs to the run's context."""
    text = SPEC.split("let poor04")[0].replace('bundled("zhejiang/', '"').replace('.csv")', '.csv"')
    text += 'weights tt = inverse("traveltime.csv", origin, destination, minutes)\nmodel a "A": log(income) ~ W(gdp, tt) + age + edu | ols where year == 2004\n'
    fitted = []
    for seed in (1, 2):
        folder = tmp_path / str(seed)
        folder.mkdir()
        zhejiang.write(zhejiang.generate(households=300, seed=seed), folder)
        spec = folder / "s.pov"
        spec.write_text(text, encoding="utf-8")
        plan = load_plan(spec)
        frames = load_frames(plan)
        model = plan.models[0]
        (result,) = executors._remote_batch(WorkerContext(frames).fresh(), [("model", model)])  # one process, two runs
        alone = fit_model(model, frames, RunCache())
        pd.testing.assert_series_equal(result.params, alone.params, check_exact=True)
        fitted.append(result.params)
    assert not fitted[0].equals(fitted[1])
