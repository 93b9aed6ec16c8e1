"""The public Python API: parse, load, run, fit.

Stable from version 0.1: other tools build on these four calls, `Weights`
and `SpecError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from povdsl import syntax as s
from povdsl.check import Environment, check
from povdsl.data import load as load_frames
from povdsl.errors import SpecError
from povdsl.fit import fit_model
from povdsl.parse import parse
from povdsl.plan import DataPlan, Plan, WeightsPlan
from povdsl.result import Result
from povdsl.run import RunOutput, load_plan, run as _run
from povdsl.weights import Weights

FIT_PATH = "<fit>"


def load(path: str | Path, *, allow_outside: tuple[Path, ...] = ()) -> Plan:
    """Parse and check a spec file against its data files' headers."""
    return load_plan(path, allow_outside=allow_outside)


def run(path: str | Path, out: str | Path | None = None, **options) -> RunOutput:
    """Fit every model of a spec file and render its tables (written to `out` when given)."""
    return _run(path, out, **options)


def fit(
    model: str,
    data: pd.DataFrame,
    *,
    weights: Mapping[str, Weights] | None = None,
    panel: tuple[str, str] | None = None,
    region: str | None = None,
) -> Result:
    """Fit one model line, e.g. ``"log(income) ~ cluster + W(cluster, tt) + age | fe(household)"``.

    ``panel=(unit, time)`` names the panel index; ``region=`` the column that
    places each row in a region of the weight matrices given in ``weights``.
    """
    text = f"model fit: {model}"
    spec = parse(text, FIT_PATH)
    if len(spec.declarations) != 1 or not isinstance(spec.declarations[0], s.ModelDecl):
        from povdsl.errors import Diagnostic, Span

        raise SpecError([Diagnostic("E020", "povdsl.fit takes one model line: `y ~ x | estimator`", Span(FIT_PATH, 1, 1, 1, 2))], {FIT_PATH: text})
    weights = dict(weights or {})
    unit, time = panel if panel else (None, None)
    frame_plan = DataPlan("data", "", tuple(map(str, data.columns)), "panel", unit, time, region)
    weight_plans = {name: WeightsPlan(name, "", "", "", "") for name in weights}
    env = Environment(frames={"data": frame_plan}, weights=weight_plans, unit_level_w=True)
    plan = check(spec, env, source_text=text)
    frames = load_frames(plan, tables={"data": data}, weights=weights)
    return fit_model(plan.models[0], frames)
