"""Compiled designs -> Results, through the estimator registry.

The registry adapters know nothing of specs; this stage stamps each Result
with its model's name, label and outcome, and turns a data problem into an
error that names the model and points at its declaration.
"""

from __future__ import annotations

from dataclasses import replace

from povdsl.estimate.compile import compile_model, sample
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import DataError, EstimationError
from povdsl.estimate.adapters import REGISTRY
from povdsl.check.plan import ModelPlan
from povdsl.check.signatures import DynamicBinding
from povdsl.language.printer import expr_text
from povdsl.estimate.result import Result


def fit_model(model: ModelPlan, frames: Frames, cache: RunCache | None = None) -> Result:
    try:
        result = _fit_dynamic(model, model.dynamic, frames) if model.dynamic is not None else _fit_static(model, frames, cache)
    except (EstimationError, DataError) as exc:
        message = exc.message if isinstance(exc, EstimationError) else str(exc)
        hint = exc.hint if isinstance(exc, EstimationError) else None
        raise EstimationError(message, hint=hint, model=model.name, span=model.span) from None
    return finish(result, model)


def finish(result: Result, model: ModelPlan) -> Result:
    """Stamp a backend's Result with its model and put terms in formula order."""
    result = _in_formula_order(result, model)
    return replace(result, model=model.name, label=model.label, dependent=expr_text(model.outcome))


def fit_design(estimator_name: str, design, options, vcov) -> Result:
    """One registry fit; module-level so a process pool can run it."""
    estimator = REGISTRY[estimator_name]
    return estimator.fit(design, {**estimator.option_defaults(), **dict(options)}, vcov)


def _in_formula_order(result: Result, model: ModelPlan) -> Result:
    """Coefficients in the order the spec wrote the terms (IV backends put endogenous ones last)."""
    if model.dynamic is not None:  # the dynamic-panel engine orders its own terms
        return result
    texts = [_column_stem(t) for t in model.terms]

    def rank(name: str) -> tuple[int, int]:
        if name == "Intercept":
            return (-1, 0)
        base = name.split("[", 1)[0]
        if name.startswith("L") and "." in name and name.split(".", 1)[0][1:].isdigit():
            base = "L." + name.split(".", 1)[1]
        for i, text in enumerate(texts):
            if name == text or base == text:
                return (i, 0)
        return (len(texts), 0)

    names = list(result.params.index)
    order = sorted(names, key=lambda n: (rank(n), names.index(n)))
    if order == names:
        return result
    return replace(
        result,
        params=result.params[order],
        std_errors=result.std_errors[order],
        tstats=result.tstats[order],
        pvalues=result.pvalues[order],
    )


def _fit_static(model: ModelPlan, frames: Frames, cache: RunCache | None = None) -> Result:
    compiled = compile_model(model, frames, cache)
    return fit_design(model.estimator, compiled.design, model.options, compiled.vcov)


def _fit_dynamic(model: ModelPlan, d: DynamicBinding, frames: Frames) -> Result:
    from povdsl.estimate.dynpanel import DynamicPanelSpec, GmmInstrument, IvInstrument, fit_dynamic_panel

    spec = DynamicPanelSpec(
        y=d.y,
        regressors=d.regressors,
        gmm=tuple(GmmInstrument(var, first, last, collapse) for var, first, last, collapse in d.gmm),
        iv=tuple(IvInstrument(var, lag) for var, lag in d.iv),
        system=d.system,
        steps=d.steps,
        time_effects=d.time_effects,
        constant=d.constant,
        collapse=d.collapse,
    )
    frame, _ = sample(model, frames)  # the engine counts what it drops itself, by unit
    unit, time = frames.unit_col, frames.time_col
    assert unit is not None and time is not None  # the checker requires a panel for a dynamic model
    return fit_dynamic_panel(frame, spec, unit=unit, time=time)


def _column_stem(term) -> str:
    """What the columns of a term start with: `L.x` stands for every L{k}.x."""
    from povdsl.language import syntax as s

    if isinstance(term, s.Call) and term.func == "L":
        return "L." + expr_text(term.positional[0])
    return expr_text(term)
