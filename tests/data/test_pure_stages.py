"""Pure stages (issue 14.3, data side): Frames frozen, caches owned by the run, typed notes, everything pickles."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povdsl.check.specfile import load_plan
from povdsl.data.frames import Frames, RunCache, load
from povdsl.data.notes import Notice, Threshold
from povdsl.estimate.compile import compile_model

SPEC = Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov"


@pytest.fixture(scope="module")
def paper():
    plan = load_plan(SPEC)
    return plan, load(plan)


def _same(a, b) -> None:
    """Field by field equality that understands frames, series and sparse matrices."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b)
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif hasattr(a, "matrix") and hasattr(a, "regions"):  # Weights
        assert (a.matrix != b.matrix).nnz == 0
        _same(a.regions, b.regions)
        assert a.description == b.description
    else:
        assert a == b


def test_frames_are_frozen(paper):
    _, frames = paper
    with pytest.raises(dataclasses.FrozenInstanceError):
        frames.unit = frames.unit  # type: ignore[misc]
    assert not any(f.name in ("derived", "cluster_tables", "cluster_matrices") for f in dataclasses.fields(Frames))


def test_compiling_writes_nothing_into_frames(paper):
    plan, frames = paper
    before = pickle.dumps(frames)
    cache = RunCache()
    for model in plan.models:
        if model.sweep_var is None and model.dynamic is None:
            compile_model(model, frames, cache)
    assert pickle.dumps(frames) == before
    assert cache.derived, "the run's cache holds the derived columns"


def test_plan_frames_and_designs_survive_a_pickle_round_trip(paper):
    plan, frames = paper
    assert pickle.loads(pickle.dumps(plan)) == plan
    _same(pickle.loads(pickle.dumps(frames)), frames)
    for model in plan.models:
        if model.sweep_var is None and model.dynamic is None:
            compiled = compile_model(model, frames, RunCache())
            _same(pickle.loads(pickle.dumps(compiled)), compiled)


def test_poverty_lines_are_typed_records(paper):
    _, frames = paper
    assert frames.lines and all(isinstance(line, Threshold) for line in frames.lines)
    line = next(line for line in frames.lines if line.let == "poor04")
    unit = frames.unit
    income = unit.loc[unit["year"] == 2004, "income"]
    assert line.text == "income < 0.5 * mean(income, year == 2004)"
    assert line.label == "poor04: income < 0.5 * mean(income, year == 2004)"  # what the table note prints
    np.testing.assert_allclose(line.value, 0.5 * income.mean(), rtol=1e-12)


def test_notices_are_typed_records(tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30), "s": rng.choice(["a", "b"], 30)}).to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv"\n\nmodel m: y ~ x + s | ols\n', encoding="utf-8")
    frames = load(load_plan(spec))
    assert frames.notices == (Notice("note", "model 'm': text column 's' becomes 1 dummy (2 levels, base level 'a'); write C(s) to say so", frames.notices[0].span),)
    assert frames.notices[0].span.line == 3


def test_fitting_and_table_notes_write_nothing_into_frames(paper):
    """Later stages only read Frames: every model of the paper fitted (sweeps aside) and every table's context built."""
    from povdsl.estimate.fitting import fit_model
    from povdsl.run_plan import table_context

    plan, frames = paper
    before = pickle.dumps(frames)
    cache = RunCache()
    results = {m.name: fit_model(m, frames, cache) for m in plan.models if m.sweep_var is None}
    contexts = [table_context(plan, frames, spec, results) for spec in plan.tables if spec.layout != "sweep"]
    assert any(c.weight_matrices for c in contexts) and any(c.instruments for c in contexts)
    assert pickle.dumps(frames) == before
