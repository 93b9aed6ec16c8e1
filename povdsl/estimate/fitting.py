"""Compiled designs -> Results, through the estimator registry.

Every estimator is a record of `povdsl.estimate.registry`: its `prepare`
builds the fit's input from the model and the frames, its adapter fits it.
This stage stamps each Result with its model's name, label and outcome, and
turns any failure into an EstimationError that names the model and points at
its declaration: nothing else leaves the estimate stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from povdsl.check.plan import ModelPlan
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import DataError, EstimationError, PovdslError
from povdsl.estimate.design import Vcov
from povdsl.estimate.registry import REGISTRY, absorbed_effects, load
from povdsl.estimate.result import Result
from povdsl.language.printer import expr_text


def fit_model(model: ModelPlan, frames: Frames, cache: RunCache | None = None) -> Result:
    return finish(fit_unfinished(model, frames, cache), model)


def fit_unfinished(model: ModelPlan, frames: Frames, cache: RunCache | None = None) -> Result:
    """The backend's Result before `finish`: what a worker sends back and the fit cache stores."""
    record = REGISTRY[model.estimator]
    try:
        prepared = load(record.prepare)(model, frames, cache)
        return fit_design(model.estimator, prepared.design, model.options, prepared.vcov)
    except (EstimationError, DataError) as exc:
        raise EstimationError(exc.message, hint=exc.hint, model=model.name, span=model.span) from None
    except PovdslError:
        raise
    except (ValueError, TypeError, ArithmeticError, LookupError, MemoryError, RuntimeError) as exc:
        # a backend or pandas failure the adapters did not foresee: still located, never a traceback
        detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise EstimationError(
            f"{model.estimator} could not be fitted: {type(exc).__name__}: {detail}",
            hint="check the data of this model (constant or collinear columns, too few rows or clusters); "
            "if the data look right, please report this as a povdsl bug",
            model=model.name,
            span=model.span,
        ) from exc


def finish(result: Result, model: ModelPlan) -> Result:
    """Stamp a backend's Result with its model (its coefficients already come in the spec's order: Design.order)."""
    absorbed = absorbed_effects(model.estimator, model.entity, model.time, dict(model.options))
    return replace(result, model=model.name, label=model.label, dependent=expr_text(model.outcome), absorbed=absorbed)


def fit_design(estimator_name: str, design, options: Mapping[str, object] | tuple, vcov: Vcov) -> Result:
    """One registry fit; module-level so a process pool can run it."""
    record = REGISTRY[estimator_name]
    return record.fit(design, {**record.option_defaults(), **dict(options)}, vcov)
