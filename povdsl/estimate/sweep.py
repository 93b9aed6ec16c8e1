"""One declaration, many models: a sweep's jobs and its result.

What the fits are (check-stage members, split values, industry codes) is
decided by estimate/sweep_sources.py. A fit that fails (no variation,
separation, collinearity) is skipped and listed, never a crash.

Work is shared across the copies: the cluster table is built once per rule
(data/frames.py), and when an industries variable only enters the focus term
the design is compiled once per process and only that column is swapped per
industry (estimate/shared.py).

This module turns a sweep's fits into Jobs (`expand`, see jobs.py) and their
outcomes into its result (`assemble`); running them is the run's job list's
business (runner.py, executors.py), together with every other fit of the run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import pandas as pd

from povdsl.check import walk
from povdsl.check.plan import ModelPlan
from povdsl.check.sweeps import MAX_FITS
from povdsl.data.frames import Frames, RunCache
from povdsl.estimate.jobs import Failure, Job, Outcome
from povdsl.estimate.result import Result
from povdsl.estimate.shared import SharedDesign
from povdsl.estimate.sweep_sources import Fit, Group, check_fit_limit, groups, substitute
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


@dataclass(frozen=True)
class SweepItem:
    code: str  # the industry code, or the member's value labels
    name: str  # the industry's name, or the member's value labels
    digits: int  # industries: the code's depth; 0 otherwise
    result: Result
    values: tuple[tuple[str, str], ...] = ()  # (variable, value label) per `for` clause
    term: str = ""  # the member's own first term as printed, when a `for` variable changes it ("" otherwise)


@dataclass(frozen=True)
class SweepResult:
    model: str
    focus: str  # the term whose coefficient the sweep reports
    items: tuple[SweepItem, ...]
    skipped: tuple[tuple[str, str], ...]  # (code or value labels, reason)


def _only_in_focus(model: ModelPlan) -> bool:
    """True when the sweep variable enters nothing but a clusters() focus term."""
    var = model.sweep_var

    def uses(node) -> bool:
        return any(isinstance(n, s.Name) and n.id == var for n in walk(node))

    focus = model.terms[0]
    others = (model.outcome, model.where, *model.terms[1:], *model.endog, *model.instruments)
    return isinstance(focus, s.Call) and focus.func == "clusters" and not any(uses(n) for n in others if n is not None)


@dataclass
class Expansion:
    """A sweep's members as jobs of the run's job list, with what its table needs to assemble them."""

    model: ModelPlan
    fits: list[Fit]  # sweep_sources.Fit per member, in the sweep's order
    jobs: list[Job] = field(default_factory=list)  # one per fit, in its order


def expand(model: ModelPlan, frames: Frames, designs: list[SharedDesign]) -> Expansion:
    """The sweep's fits as jobs; a shared design is appended to `designs` (the run's, sent once to each worker).

    Nothing here is per member beyond listing it: a shared-design member's job
    is its design's number and its industry code (its concrete plan is never
    built), and the design is compiled by the processes that fit its members.
    """
    fits: list[Fit] = []
    jobs: list[Job] = []
    focus = expr_text(model.terms[0])
    for group in groups(model, frames):
        if group.fits and group.model.sweep_var is not None and group.model.dynamic is None and _only_in_focus(group.model):
            designs.append(_shared_design(group, focus))
            number = len(designs) - 1
            jobs += [Job(model, f, f.values, number, f.code) for f in group.fits]
        else:  # a member, or an industry that enters more than the focus term: each compiles its own design
            jobs += [Job(model, f, f.values) for f in group.fits]
        fits += group.fits
    return Expansion(model, fits, jobs)


def assemble(expansion: Expansion, outcomes: list[Outcome], designs: list[SharedDesign]) -> SweepResult:
    """The sweep's result from its members' outcomes (in job order); a member that failed is skipped and listed.

    A shared-design member's focus coefficient already carries the declared
    focus name (the worker named it), so it is only stamped with its name;
    another member's is renamed here, one index for its four series.
    """
    items, skipped = [], []
    focus = expr_text(expansion.model.terms[0])
    stamps = {number: (designs[number].model.label, expr_text(designs[number].model.outcome)) for number in {j.design for j in expansion.jobs if j.design is not None}}
    for fit, job, outcome in zip(expansion.fits, expansion.jobs, outcomes):
        if isinstance(outcome, Failure):
            skipped.append((fit.code, outcome.reason()))
            continue
        if job.design is not None:
            if focus not in outcome.params.index.tolist():  # a list: `in` on a fresh Index builds its hash table (~0.1 ms)
                skipped.append((fit.code, f"'{designs[job.design].member_term(job.value)}' was dropped from the fit"))
                continue
            label, dependent = stamps[job.design]
            items.append(SweepItem(fit.code, fit.label, fit.digits, replace(outcome, model=fit.name, label=label, dependent=dependent), fit.values))
            continue
        term = expr_text(fit.term)
        result = replace(outcome, model=fit.name, label=fit.template.label, dependent=fit.dependent)  # fitting.finish, without building the member's plan
        labels = result.params.index.tolist()
        if term not in labels:
            skipped.append((fit.code, f"'{term}' was dropped from the fit"))
            continue
        index = _renamed(tuple(focus if n == term else n for n in labels))  # one index for the four series
        renamed = {k: pd.Series(getattr(result, k).to_numpy(), index=index, copy=False) for k in ("params", "std_errors", "tstats", "pvalues")}
        own = term if expansion.model.sweep_var is None and term != focus else ""  # industries keep the declared focus
        items.append(SweepItem(fit.code, fit.label, fit.digits, replace(result, **renamed), fit.values, own))
    return SweepResult(expansion.model.name, focus, tuple(items), tuple(skipped))


@functools.lru_cache(maxsize=1024)
def _renamed(names: tuple[str, ...]) -> pd.Index:
    """The labels with the member's own focus term named as the sweep's: one Index per distinct list, so the
    members of a shared design, renamed alike, share one (an Index is immutable)."""
    return pd.Index(list(names))


def _shared_design(group: Group, focus: str) -> SharedDesign:
    """The group's design, to be compiled from its first member by whichever process fits a member first (no member is built here)."""
    call, var = group.model.terms[0], group.model.sweep_var
    assert isinstance(call, s.Call) and var is not None  # _only_in_focus chose the shared design for this
    first = group.fits[0].code
    return SharedDesign(group.model.estimator, group.model.options, group.model, call, var, first, expr_text(substitute(call, var, first)), focus)


def run_sweeps(models: list[ModelPlan], frames: Frames, *, workers: int | None = None, cache: RunCache | None = None, dask: str | None = None) -> dict[str, SweepResult]:
    """Sweeps alone, through the run's job list (`povdsl run` fits them with the plain models); a sweep that cannot expand raises."""
    from povdsl.estimate.runner import fit_all

    check_fit_limit(models, frames, MAX_FITS)
    fitted = fit_all([], models, frames, cache if cache is not None else RunCache(), workers=workers, dask=dask)
    if fitted.failures:
        raise next(iter(fitted.failures.values()))
    return fitted.sweeps
