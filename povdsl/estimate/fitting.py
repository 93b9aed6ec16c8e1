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
from povdsl.estimate.registry import REGISTRY, load
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
        message = exc.message if isinstance(exc, EstimationError) else str(exc)
        hint = exc.hint if isinstance(exc, EstimationError) else None
        raise EstimationError(message, hint=hint, model=model.name, span=model.span) from None
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
    """Stamp a backend's Result with its model and put terms in formula order."""
    if not REGISTRY[model.estimator].own_term_order:
        result = _in_formula_order(result, model)
    return replace(result, model=model.name, label=model.label, dependent=expr_text(model.outcome))


def fit_design(estimator_name: str, design, options: Mapping[str, object] | tuple, vcov: Vcov) -> Result:
    """One registry fit; module-level so a process pool can run it."""
    record = REGISTRY[estimator_name]
    return record.fit(design, {**record.option_defaults(), **dict(options)}, vcov)


def _in_formula_order(result: Result, model: ModelPlan) -> Result:
    """Coefficients in the order the spec wrote the terms (IV backends put endogenous ones last)."""
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
    cov = result.cov.loc[order, order] if result.cov is not None else None
    return replace(
        result,
        params=result.params[order],
        std_errors=result.std_errors[order],
        tstats=result.tstats[order],
        pvalues=result.pvalues[order],
        cov=cov,
    )


def _column_stem(term) -> str:
    """What the columns of a term start with: `L.x` stands for every L{k}.x."""
    from povdsl.language import syntax as s

    if isinstance(term, s.Call) and term.func == "L":
        return "L." + expr_text(term.positional[0])
    return expr_text(term)
