"""One job list for a run: every fit, a plain model or one member of a sweep, is a Job.

The run builds the list (what is fitted), an executor runs it (where:
in this process, on a process pool, on Dask), and the outcomes come back in
job order, so the output never depends on scheduling. A job's `task` is all a
worker needs besides the run's `WorkerContext` (the frames and the shared
designs), which each worker receives once, not once per fit.

`run_tasks` is the one function workers run; it never raises: a fit that
fails comes back as a `Failure` holding its message, so one bad fit cannot
stop the others and every failure can be reported with its model's location
and its sweep values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pandas as pd

from povdsl.check.plan import ModelPlan
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import DataError, EstimationError, PovdslError
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.fitting import fit_design, fit_unfinished
from povdsl.estimate.result import Result


@dataclass(frozen=True)
class SharedDesign:
    """A sweep's design compiled once; each member only replaces the focus column.

    It is compiled when first needed (`ready`), so a rerun whose fits are all
    in the fit cache compiles nothing; what travels to workers is always the
    compiled form, without the `compile` closure.
    """

    estimator: str
    design: Design | None  # None until ready()
    options: tuple
    vcov: Vcov | None
    column: str  # the focus column as compiled for the first member
    compile: Callable[[], tuple[Design, Vcov]] | None = field(default=None, compare=False, repr=False)

    def ready(self) -> SharedDesign:
        if self.design is not None or self.compile is None:
            return replace(self, compile=None)
        design, vcov = self.compile()
        return replace(self, design=design, vcov=vcov, compile=None)


@dataclass(frozen=True)
class WorkerContext:
    """What every worker needs for any job, sent once per worker (pool initializer, Dask scatter)."""

    frames: Frames | None  # None when every job uses a shared design
    designs: tuple[SharedDesign, ...] = ()


class Member(Protocol):
    """A sweep member whose concrete plan is built on demand (estimate/sweep_sources.Fit)."""

    @property
    def model(self) -> ModelPlan: ...


@dataclass(frozen=True, eq=False)
class Job:
    """One fit: `concrete` is what is fitted; `model` the declaration that reports it.

    For a plain model both are the same plan and `bindings` is empty; a sweep
    member carries its (variable, value) pairs, and its plan is built only
    when it is fitted or reported (a rerun that finds it in the fit cache
    never builds it). When the member shares its
    sweep's compiled design, `design` indexes `WorkerContext.designs` and
    only the focus `column` and its `values` travel with the job.
    """

    model: ModelPlan
    plan: ModelPlan | Member  # what is fitted: a plan, or a sweep member that builds its plan when asked
    bindings: tuple[tuple[str, str], ...] = ()
    design: int | None = None
    column: str = ""
    values: np.ndarray | Callable[[], np.ndarray] | None = field(default=None, repr=False)  # computed when first needed

    @property
    def concrete(self) -> ModelPlan:
        """The plan fitted (a sweep member's is built here, when first needed)."""
        return self.plan if isinstance(self.plan, ModelPlan) else self.plan.model

    @property
    def task(self) -> tuple:
        """What a worker receives for this job (the concrete plan only when it must compile it)."""
        if self.design is not None:
            return ("design", self.design, self.column, self.values() if callable(self.values) else self.values)
        return ("model", self.concrete)

    def describe(self) -> str:
        """`model 'inc04_3' (industry = 174)`: how reports name the fit."""
        values = ", ".join(f"{var} = {value}" for var, value in self.bindings)
        return f"model '{self.model.name}'" + (f" ({values})" if values else "")


@dataclass(frozen=True)
class Failure:
    """A fit that did not produce a Result; `died` when the worker process itself died."""

    message: str
    hint: str | None = None
    died: bool = False
    error: BaseException | None = field(default=None, compare=False, repr=False)  # in-process only: the original error

    def reason(self) -> str:
        """The first line of the message, as sweep notes list it."""
        return self.message.splitlines()[0] if self.message else "could not be fitted"


Outcome = Result | Failure


def run_tasks(context: WorkerContext, tasks: list[tuple], cache: RunCache, keep_raw: bool) -> list[Outcome]:
    """Fit each task in order; never raises (KeyboardInterrupt aside)."""
    return [_run_task(context, task, cache, keep_raw) for task in tasks]


def _run_task(context: WorkerContext, task: tuple, cache: RunCache, keep_raw: bool) -> Outcome:
    try:
        if task[0] == "design":
            _, number, column, values = task
            result = _fit_member(context.designs[number], column, values)
        else:
            assert context.frames is not None  # the context carries frames whenever a job compiles its model
            result = fit_unfinished(task[1], context.frames, cache)
        # the backend object is heavy to send back, and a sweep member's (its design's copy) is heavy to keep:
        # 2,000 statsmodels results of a 20,000-row design held 7.8 GB
        return result if result.raw is None or (keep_raw and task[0] == "model") else replace(result, raw=None)
    except EstimationError as exc:
        return Failure(exc.message, exc.hint, error=exc if keep_raw else None)
    except PovdslError as exc:
        return Failure(str(exc), error=exc if keep_raw else None)
    except Exception as exc:  # a failure nothing foresaw: still reported with its model, never a traceback
        detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return Failure(
            f"could not be fitted: {type(exc).__name__}: {detail}",
            hint="if the data look right, please report this as a povdsl bug",
        )


def _fit_member(shared: SharedDesign, column: str, values: np.ndarray) -> Result:
    """One member of a shared-design sweep: the design with only the focus column replaced.

    OLS, LPM, logit and probit members are updates of what the members share (member_fit.py);
    what that does not cover is fitted here by the adapter on the swapped design.
    """
    from povdsl.estimate.member_fit import fit_member  # imports the adapters' helpers: only once something is fitted (decision 63)

    assert shared.design is not None and shared.vcov is not None  # the run sends only compiled designs
    fast = fit_member(shared.estimator, shared.design, shared.options, shared.vcov, shared.column, column, values)
    if fast is not None:
        return fast
    exog = shared.design.exog
    matrix = exog.to_numpy(dtype=float, copy=True)  # one copy of the floats; renaming and setting a pandas column cost more than the fit
    matrix[:, exog.columns.get_loc(shared.column)] = values
    names = [column if name == shared.column else name for name in exog.columns]
    swapped = pd.DataFrame(matrix, index=exog.index, columns=names, copy=False)
    return fit_design(shared.estimator, replace(shared.design, exog=swapped), shared.options, shared.vcov)


def located(job: Job, failure: Failure) -> PovdslError:
    """The error a failed job reports: at its declaration, naming its sweep values."""
    if failure.error is not None and isinstance(failure.error, PovdslError) and not isinstance(failure.error, (EstimationError, DataError)):
        return failure.error
    message = failure.message
    if job.bindings:
        message = f"({', '.join(f'{var} = {value}' for var, value in job.bindings)}) {message}"
    return EstimationError(message, hint=failure.hint, model=job.model.name, span=job.model.span)
