"""The public Python API: parse, load, run, fit.

Stable from version 0.1: other tools build on these four calls, `Weights`
and `SpecError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from povdsl.check import Environment, check
from povdsl.check.plan import DataPlan, Plan, WeightsPlan
from povdsl.data.frames import load as load_frames
from povdsl.data.weights import Weights
from povdsl.errors import DataError, Diagnostic, Span, SpecError
from povdsl.estimate.fitting import fit_model
from povdsl.estimate.result import Result
from povdsl.language import syntax as s
from povdsl.language.parser import parse
from povdsl.pipeline import RunOutput, load_plan
from povdsl.pipeline import run as _run

FIT_PATH = "<fit>"
FIT_PREFIX = "model fit: "


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
    vcov: str | None = None,
) -> Result:
    """Fit one model line, e.g. ``"log(income) ~ cluster + W(cluster, tt) + age | fe(household)"``.

    ``panel=(unit, time)`` names the panel index; ``region=`` the column that
    places each row in a region of the weight matrices given in ``weights``;
    ``vcov=`` the variance with the spec clause's spellings ("robust",
    "cluster(state, year)"), the same as ending the line with ``vcov ...``.
    Columns named by ``panel``/``region`` must be columns of ``data``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"povdsl.fit: data must be a pandas DataFrame, got {type(data).__name__}")
    _check_columns(data, panel, region)
    line = model if vcov is None else f"{model} vcov {vcov}"
    text = FIT_PREFIX + line
    try:
        if vcov is not None:
            _refuse_second_vcov(model)
        spec = parse(text, FIT_PATH)
        if len(spec.declarations) != 1 or not isinstance(spec.declarations[0], s.ModelDecl):
            raise SpecError([Diagnostic("E020", "povdsl.fit takes one model line: `y ~ x | estimator`", Span(FIT_PATH, 1, 1, 1, 2))])
        weights = dict(weights or {})
        unit, time = panel if panel else (None, None)
        frame_plan = DataPlan("data", "", tuple(map(str, data.columns)), "panel", unit, time, region)
        weight_plans = {name: WeightsPlan(name, "", "", "", "") for name in weights}
        env = Environment(frames={"data": frame_plan}, weights=weight_plans, unit_level_w=True)
        plan = check(spec, env)
    except SpecError as exc:
        raise SpecError([_unprefixed(d) for d in exc.diagnostics], {FIT_PATH: line}) from None
    frames = load_frames(plan, tables={"data": data}, weights=weights)
    return fit_model(plan.models[0], frames)


def _check_columns(data: pd.DataFrame, panel: tuple[str, str] | None, region: str | None) -> None:
    """`panel=`/`region=` must name columns of the data: refused here, before anything is fitted."""
    from povdsl.diagnostics import did_you_mean

    if panel is not None and (isinstance(panel, str) or len(panel) != 2):
        raise DataError(f"povdsl.fit: panel= takes two column names (unit, time), got {panel!r}")
    named = [("panel=", c) for c in (panel or ())] + ([("region=", region)] if region is not None else [])
    columns = [str(c) for c in data.columns]
    for argument, column in named:
        if column not in columns:
            hint = did_you_mean(str(column), columns)
            raise DataError(
                f"povdsl.fit: {argument} names '{column}', which is not a column of the data"
                + (f"; {hint}" if hint else f" (columns: {', '.join(columns[:20])}{', ...' if len(columns) > 20 else ''})")
            )


def _refuse_second_vcov(model: str) -> None:
    """vcov= and a `vcov` clause in the line would be two answers to one question."""
    try:
        decl = parse(FIT_PREFIX + model, FIT_PATH).declarations
    except SpecError:
        return  # the combined line reports the syntax error
    if len(decl) == 1 and isinstance(decl[0], s.ModelDecl) and decl[0].vcov is not None:
        sp = decl[0].vcov.span
        raise SpecError(
            [
                Diagnostic(
                    "E185",
                    "the variance is given twice: in the model line and as vcov=",
                    sp,
                    "keep one: remove the line's `vcov` clause or the vcov= argument",
                )
            ]
        )


def _unprefixed(d: Diagnostic) -> Diagnostic:
    """Point into the user's model line, not into the declaration povdsl wrapped it in; a spec's hint becomes the call's."""
    if d.code == "E171":  # there is no `data` line to add panel(...) to: the frame's index is an argument
        d = replace(d, message=d.message.replace("data set 'data' is a cross-section", "the data is a cross-section"), hint="pass the panel's unit and time columns: povdsl.fit(..., panel=(unit, time))")
    sp = d.span
    if sp is None or sp.line != 1:
        return d
    shift = len(FIT_PREFIX)
    col = max(1, sp.col - shift)
    end = max(col + 1, sp.end_col - shift) if sp.end_line == 1 else sp.end_col
    return replace(d, span=Span(sp.path, 1, col, sp.end_line, end))
