"""The order fits run in changes no number, and each declaration is handed on as soon as it is settled.

`fit_all(first=...)` fits the named declarations before the others (a run
puts its figures' models first, so they are drawn while the rest fit); the
reference is the same job list fitted in the spec's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_executors import SPEC as EXECUTORS  # plain OLS, logit and FE models and an industry sweep (tests/core)

from povdsl.check.specfile import load_plan
from povdsl.data.frames import RunCache
from povdsl.data.frames import load as load_frames
from povdsl.estimate.runner import Fitted, fit_all

SPEC = EXECUTORS.replace("| ESTIMATOR", "| ols") + 'model broken "Broken": log(income) ~ age + I(2 * age) | ols\n'


def _fit(tmp_path: Path, **options) -> Fitted:
    spec = tmp_path / "order.pov"
    spec.write_text(SPEC, encoding="utf-8")
    plan = load_plan(spec)
    frames = load_frames(plan, cache=RunCache())
    plain = [m for m in plan.models if not m.is_sweep]
    sweeps = [m for m in plan.models if m.is_sweep]
    return fit_all(plain, sweeps, frames, RunCache(), workers=1, **options)


def test_fitting_some_declarations_first_changes_no_bit_and_reports_in_spec_order(tmp_path):
    reference = _fit(tmp_path)
    settled: list[tuple[str, bool]] = []

    def ready(name: str, fitted: Fitted) -> None:
        present = name in fitted.results or name in fitted.sweeps or name in fitted.failures
        settled.append((name, present))

    reordered = _fit(tmp_path, first=frozenset({"s", "c"}), on_ready=ready)
    assert sorted(name for name, _ in settled[:2]) == ["c", "s"]  # the named ones settle first
    assert sorted(name for name, _ in settled) == ["a", "b", "broken", "c", "s"]  # each once
    assert all(present for _, present in settled)  # already in `fitted` when announced
    assert list(reordered.results) == list(reference.results) == ["a", "b", "c"]
    assert list(reordered.failures) == list(reference.failures) == ["broken"]
    for name, result in reference.results.items():
        other = reordered.results[name]
        assert np.array_equal(np.asarray(result.params), np.asarray(other.params))
        assert np.array_equal(np.asarray(result.std_errors), np.asarray(other.std_errors))
    members = [(item.code, np.asarray(item.result.params)) for item in reference.sweeps["s"].items]
    again = [(item.code, np.asarray(item.result.params)) for item in reordered.sweeps["s"].items]
    assert len(members) > 5 and [c for c, _ in members] == [c for c, _ in again]
    assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(members, again))
