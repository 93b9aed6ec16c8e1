"""A run's fits as one job list: plain models and every sweep's members, fitted by one executor.

The list is in the spec's order (plain models, then each sweep's members);
outcomes come back to their slots whatever ran them, and each declaration is
settled (a plain model's Result or located error, a sweep's items and
skipped members) as soon as its last outcome is in, so a caller can use it
while the rest fit: the run draws a figure as soon as its models are in.
What runs first is the caller's choice (`first`); the results are returned
in the spec's order whatever the order of fitting.
"""

from __future__ import annotations

from collections.abc import Callable
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
    first: frozenset[str] = frozenset(),
    on_ready: Callable[[str, Fitted], None] | None = None,
) -> Fitted:
    """Every fit of the run through one executor; a failure costs only its own model.

    With a fit cache (and the run's data fingerprint) a fit whose key is
    stored is not run again, and each fit is stored as it arrives, so an
    interrupted run keeps what it finished.

    The declarations named in `first` are fitted before the others (the
    figures' models: a figure is drawn while the rest fit), and
    `on_ready(name, fitted)` is called as soon as a declaration is settled
    (its Result, SweepResult or error is in `fitted`). Neither changes a
    number: each fit is independent of the order fits run in (tested).
    """
    settled = Fitted()
    designs: list[SharedDesign] = []
    expansions: list[Expansion] = []
    expansion_failures: dict[str, PovdslError] = {}
    for model in sweeps:
        try:
            expansions.append(expand(model, frames, designs))
        except PovdslError as exc:  # the sweep cannot even be listed (its census, a split column)
            expansion_failures[model.name] = exc
    jobs = [Job(m, m) for m in plain] + [job for e in expansions for job in e.jobs]
    owners = [Owner(m, None, i, i + 1) for i, m in enumerate(plain)]
    position = len(plain)
    for expansion in expansions:
        owners.append(Owner(expansion.model, expansion, position, position + len(expansion.jobs)))
        position += len(expansion.jobs)
    owner_of = [owner for owner in owners for _ in range(owner.start, owner.stop)]
    stored = _cache_run(fit_cache, fingerprint, plain, expansions) if fit_cache is not None and fingerprint is not None else None
    known: list[Outcome | None] = stored.found() if stored is not None else [None] * len(jobs)
    missing = {owner.model.name: sum(known[i] is None for i in range(owner.start, owner.stop)) for owner in owners}

    def settle(owner: Owner) -> None:
        _settle(owner, jobs, known, designs, settled)
        if on_ready is not None:
            on_ready(owner.model.name, settled)

    for name, error in expansion_failures.items():
        settled.failures[name] = error
        if on_ready is not None:
            on_ready(name, settled)
    for owner in owners:
        if not missing[owner.model.name]:
            settle(owner)
    todo = sorted((i for i, outcome in enumerate(known) if outcome is None), key=lambda i: (owner_of[i].model.name not in first, i))
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
            owner = owner_of[index]
            missing[owner.model.name] -= 1
            if not missing[owner.model.name]:
                settle(owner)

        try:
            execute([jobs[i].task for i in todo], context, workers=workers, dask=dask, on_done=arrived)
        finally:  # interrupted: the batches' finished fits are written all the same
            if stored is not None:
                stored.finish()
    if stored is not None:
        stored.cache.prune()
    return _in_spec_order(settled, plain, sweeps)


@dataclass(frozen=True)
class Owner:
    """A declaration's jobs: `jobs[start:stop]` of the run's list; `expansion` for a sweep."""

    model: ModelPlan
    expansion: Expansion | None
    start: int
    stop: int


def _settle(owner: Owner, jobs: list[Job], known: list[Outcome | None], designs: list[SharedDesign], fitted: Fitted) -> None:
    """Put a declaration whose outcomes are all in into `fitted`: its Result or SweepResult, or its one error."""
    own = [o for o in known[owner.start : owner.stop] if o is not None]
    assert len(own) == owner.stop - owner.start
    name = owner.model.name
    if owner.expansion is None:
        outcome, job = own[0], jobs[owner.start]
        if isinstance(outcome, Failure):
            fitted.failures[name] = located(job, outcome)
        else:
            fitted.results[name] = finish(outcome, job.model)
        return
    expansion = owner.expansion
    whole = next(((job, o) for job, o in zip(expansion.jobs, own) if isinstance(o, Failure) and o.whole), None)
    died = next(((job, o) for job, o in zip(expansion.jobs, own) if isinstance(o, Failure) and o.died), None)
    if whole is not None:  # its shared design cannot be compiled: one error for the sweep, naming the member's other values
        job, failure = whole
        fitted.failures[name] = located(replace(job, bindings=job.bindings[:-1]), failure)
    elif died is not None:  # not a property of the data: the sweep fails, naming the member
        fitted.failures[name] = located(*died)
    else:
        fitted.sweeps[name] = assemble(expansion, own, designs)


def _in_spec_order(settled: Fitted, plain: list[ModelPlan], sweeps: list[ModelPlan]) -> Fitted:
    """The settled declarations in the spec's order (plain models, then sweeps), whatever order they settled in."""
    names = [m.name for m in plain] + [m.name for m in sweeps]
    return Fitted(
        results={n: settled.results[n] for n in names if n in settled.results},
        sweeps={n: settled.sweeps[n] for n in names if n in settled.sweeps},
        failures={n: settled.failures[n] for n in names if n in settled.failures},
    )


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
