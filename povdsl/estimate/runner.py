"""A run's fits as one job list: plain models and every sweep's members, fitted by one executor.

The order of the list is the spec's (plain models, then each sweep's
members), outcomes come back in that order whatever ran them, and each
outcome goes back to the declaration it belongs to: a plain model's Result
or located error, a sweep's items and skipped members.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from povdsl.check.plan import ModelPlan
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import PovdslError
from povdsl.estimate.executors import execute
from povdsl.estimate.fit_cache import CacheRun, Fingerprint, FitCache, fit_key, sweep_batch
from povdsl.estimate.fitting import finish
from povdsl.estimate.jobs import Failure, Job, Outcome, SharedDesign, WorkerContext, located
from povdsl.estimate.progress import progress_bar
from povdsl.estimate.result import Result
from povdsl.estimate.sweep import Expansion, SweepResult, assemble, expand


@dataclass
class Fitted:
    results: dict[str, Result] = field(default_factory=dict)  # plain models
    sweeps: dict[str, SweepResult] = field(default_factory=dict)
    failures: dict[str, PovdslError] = field(default_factory=dict)  # model name -> located error, plain models first


def fit_all(
    plain: list[ModelPlan],
    sweeps: list[ModelPlan],
    frames: Frames,
    cache: RunCache,
    *,
    workers: int | None = None,
    dask: str | None = None,
    fit_cache: FitCache | None = None,
    fingerprint: Fingerprint | None = None,
    progress: bool = False,
) -> Fitted:
    """Every fit of the run through one executor; a failure costs only its own model.

    With a fit cache (and the run's data fingerprint) a fit whose key is
    stored is not run again, and each fit is stored as it arrives, so an
    interrupted run keeps what it finished.
    """
    fitted = Fitted()
    designs: list[SharedDesign] = []
    expansions: list[Expansion] = []
    expansion_failures: dict[str, PovdslError] = {}
    for model in sweeps:
        try:
            expansions.append(expand(model, frames, designs))
        except PovdslError as exc:  # the sweep cannot even be listed (its census, a split column)
            expansion_failures[model.name] = exc
    jobs = [Job(m, m) for m in plain] + [job for e in expansions for job in e.jobs]
    stored = _cache_run(fit_cache, fingerprint, plain, expansions) if fit_cache is not None and fingerprint is not None else None
    known: list[Outcome | None] = stored.found() if stored is not None else [None] * len(jobs)
    todo = [i for i, outcome in enumerate(known) if outcome is None]
    context = WorkerContext(frames, tuple(designs), cache)
    if stored is not None:
        stored.expect(todo)
    with progress_bar(len(todo), enabled=progress) as bar:

        def arrived(position: int, outcome: Outcome) -> None:
            index = todo[position]
            known[index] = outcome
            if stored is not None:
                stored.arrived(index, outcome)  # a batch is written when its last fit is in
            bar.update(1)

        try:
            execute([jobs[i].task for i in todo], context, workers=workers, dask=dask, on_done=arrived)
        finally:  # interrupted: the batches' finished fits are written all the same
            if stored is not None:
                stored.finish()
    if stored is not None:
        stored.cache.prune()
    for job, outcome in zip(jobs[: len(plain)], known):
        assert outcome is not None
        if isinstance(outcome, Failure):
            fitted.failures[job.model.name] = located(job, outcome)
        else:
            fitted.results[job.model.name] = finish(outcome, job.model)
    position = len(plain)
    for expansion in expansions:
        own = known[position : position + len(expansion.jobs)]
        position += len(expansion.jobs)
        done = [o for o in own if o is not None]
        assert len(done) == len(own)
        whole = next(((job, o) for job, o in zip(expansion.jobs, done) if isinstance(o, Failure) and o.whole), None)
        died = next(((job, o) for job, o in zip(expansion.jobs, done) if isinstance(o, Failure) and o.died), None)
        if whole is not None:  # its shared design cannot be compiled: one error for the sweep, naming the member's other values
            job, failure = whole
            fitted.failures[expansion.model.name] = located(replace(job, bindings=job.bindings[:-1]), failure)
        elif died is not None:  # not a property of the data: the sweep fails, naming the member
            fitted.failures[expansion.model.name] = located(*died)
        else:
            fitted.sweeps[expansion.model.name] = assemble(expansion, done, designs)
    for name, error in expansion_failures.items():
        fitted.failures.setdefault(name, error)
    return fitted


def _cache_run(fit_cache: FitCache, fingerprint: Fingerprint, plain: list[ModelPlan], expansions: list[Expansion]) -> CacheRun:
    """Each job's key and batch: a plain model is a batch of its own; a sweep's members are one batch, keyed from their templates."""
    keys = [fit_key(m, (), False, fingerprint) for m in plain]
    batches: list[str | None] = list(keys)
    for expansion in expansions:
        batch = sweep_batch(expansion.model.name, fingerprint)
        for fit, job in zip(expansion.fits, expansion.jobs):
            keys.append(fit_key(fit.template, fit.values, job.design is not None, fingerprint))
            batches.append(batch)
    return CacheRun(fit_cache, keys, batches)
