"""One job list for a run: every fit, a plain model or one member of a sweep, is a Job.

The run builds the list (what is fitted), an executor runs it (where:
in this process, on a process pool, on Dask), and the outcomes come back in
job order, so the output never depends on scheduling. A job's `task` is all a
worker needs besides the run's `WorkerContext` (the frames and the shared
designs), which each worker receives once, not once per fit; a member of a
shared design is two numbers and a code (estimate/shared.py: the worker
compiles the design and computes the member's focus column).

`run_tasks` is the one function workers run; it never raises: a fit that
fails comes back as a `Failure` holding its message, so one bad fit cannot
stop the others and every failure can be reported with its model's location
and its sweep values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pandas as pd

from povdsl.check.plan import ModelPlan
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import DataError, EstimationError, PovdslError
from povdsl.estimate.fitting import fit_design, fit_unfinished
from povdsl.estimate.result import Result
from povdsl.estimate.shared import SharedDesign


@dataclass(frozen=True)
class WorkerContext:
    """What every worker needs for any job, sent once per worker (pool initializer, Dask scatter).

    `cache` and `compiled` belong to the process holding the context: the
    run's derived columns and cluster matrices, and each shared design the
    first time one of its members runs here. They live in the context, not in
    a module global, so a Dask worker serving several runs never reuses one
    run's columns for another's data.
    """

    frames: Frames | None  # None only when there is nothing to fit
    designs: tuple[SharedDesign, ...] = ()
    cache: RunCache = field(default_factory=RunCache, compare=False, repr=False)
    compiled: dict[int, SharedDesign | Failure] = field(default_factory=dict, compare=False, repr=False)

    def fresh(self) -> WorkerContext:
        """The same context with nothing computed yet: what is shipped to a process that shares no memory with this one."""
        return replace(self, cache=RunCache(), compiled={})


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
    never builds it). A member that shares its group's design (`design`
    indexes `WorkerContext.designs`) is never built: its task is the design's
    number and its sweep `value`, and the worker computes its focus column.
    """

    model: ModelPlan
    plan: ModelPlan | Member  # what is fitted: a plan, or a sweep member that builds its plan when asked
    bindings: tuple[tuple[str, str], ...] = ()
    design: int | None = None
    value: str = ""

    @property
    def concrete(self) -> ModelPlan:
        """The plan fitted (a sweep member's is built here, when first needed)."""
        return self.plan if isinstance(self.plan, ModelPlan) else self.plan.model

    @property
    def task(self) -> tuple:
        """What a worker receives for this job: a few bytes for a shared-design member, the plan otherwise."""
        if self.design is not None:
            return ("design", self.design, self.value)
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
    whole: bool = False  # the member's shared design could not be compiled: its whole sweep fails with this
    error: BaseException | None = field(default=None, compare=False, repr=False)  # in-process only: the original error

    def reason(self) -> str:
        """The first line of the message, as sweep notes list it."""
        return self.message.splitlines()[0] if self.message else "could not be fitted"


Outcome = Result | Failure


def run_tasks(context: WorkerContext, tasks: list[tuple], keep_raw: bool) -> list[Outcome]:
    """Fit each task in order; never raises (KeyboardInterrupt aside)."""
    return [_run_task(context, task, keep_raw) for task in tasks]


def _run_task(context: WorkerContext, task: tuple, keep_raw: bool) -> Outcome:
    assert context.frames is not None  # a context with jobs carries the frames
    if task[0] == "design":
        return _run_member(context, task[1], task[2], keep_raw)
    try:
        result = fit_unfinished(task[1], context.frames, context.cache)
    except Exception as exc:  # a failure of this fit only: reported with its model, never a traceback
        return _failure(exc, keep_raw)
    return result if keep_raw or result.raw is None else replace(result, raw=None)


def _run_member(context: WorkerContext, number: int, value: str, keep_raw: bool) -> Outcome:
    """A shared-design member: its focus column computed here and fitted under the declared focus name,
    so the parent renames nothing; a failure's message names the member's own term, as its own fit would."""
    assert context.frames is not None
    shared = _shared(context, number, keep_raw)
    if isinstance(shared, Failure):
        return shared
    try:
        result = _fit_member(shared, shared.renamed, shared.member_column(value, context.frames, context.cache))
    except Exception as exc:
        failure = _failure(exc, keep_raw)
        own = shared.member_term(value)
        return replace(failure, message=failure.message.replace(shared.renamed, own), hint=failure.hint.replace(shared.renamed, own) if failure.hint else failure.hint)
    # the backend object of a member (its design's copy) is heavy to send back and to keep:
    # 2,000 statsmodels results of a 20,000-row design held 7.8 GB
    return result if result.raw is None else replace(result, raw=None)


def _shared(context: WorkerContext, number: int, keep_raw: bool) -> SharedDesign | Failure:
    """The shared design `number`, compiled here the first time a member needs it; a design that
    cannot be compiled is one `whole` failure, which every member of it returns."""
    if number not in context.compiled:
        assert context.frames is not None
        try:
            context.compiled[number] = context.designs[number].compiled(context.frames, context.cache)
        except Exception as exc:
            context.compiled[number] = replace(_failure(exc, keep_raw), whole=True)
    return context.compiled[number]


def _failure(exc: Exception, keep_raw: bool) -> Failure:
    if isinstance(exc, EstimationError):
        return Failure(exc.message, exc.hint, error=exc if keep_raw else None)
    if isinstance(exc, PovdslError):
        return Failure(str(exc), error=exc if keep_raw else None)
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return Failure(f"could not be fitted: {type(exc).__name__}: {detail}", hint="if the data look right, please report this as a povdsl bug")


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
