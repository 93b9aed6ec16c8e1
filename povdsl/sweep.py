"""One declaration, one model per industry: expanding and fitting a sweep.

A sweep model names a variable (`for industry in industries(census, digits=3)`)
that its formula uses as a literal code; expansion substitutes each code
present in the census and fits the copies. An industry whose fit fails (no
variation, separation, collinearity) is skipped and listed, never a crash.

Work is shared across the copies: the cluster table is built once per rule
(data.py), and when the sweep variable only enters the focus term the design
is compiled once and only that column is swapped per industry. The fits then
run on a process pool; results come back in code order, so output does not
depend on scheduling.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, replace

import pandas as pd

from povdsl import syntax as s
from povdsl.check import literal, walk
from povdsl.clusters import industry_codes
from povdsl.compile import compile_model
from povdsl.data import Frames, clusters_on_units
from povdsl.errors import DataError, EstimationError
from povdsl.fitting import finish, fit_design, fit_model
from povdsl.plan import ModelPlan
from povdsl.printer import expr_text
from povdsl.result import Result

POOL_THRESHOLD = 64  # fewer fits than this run in-process: on small designs a pool costs more than it saves


@dataclass(frozen=True)
class SweepItem:
    code: str
    name: str
    digits: int
    result: Result


@dataclass(frozen=True)
class SweepResult:
    model: str
    focus: str  # the term whose coefficient the sweep reports
    items: tuple[SweepItem, ...]
    skipped: tuple[tuple[str, str], ...]  # (code, reason)


def industries(model: ModelPlan, frames: Frames) -> list[tuple[str, str, int]]:
    """(code, name, digits) for every industry the sweep runs over, in code order."""
    over = model.sweep_over
    options = {kw.name: kw.value for kw in over.keywords}
    census = frames.sources[over.positional[0].id]
    digits = int(literal(options["digits"])) if "digits" in options else 4
    if "year" in options:
        census = census[census[frames.time_col] == literal(options["year"])]
    codes = industry_codes(census, digits)
    names: dict[str, str] = {}
    if "names" in options:
        table = frames.sources[options["names"].id]
        names = dict(zip(table["code"].astype(str), table["name"].astype(str)))
    return [(code, names.get(code, code), digits) for code in codes]


def substitute(node, var: str, value: str):
    """The node with every Name(var) replaced by the string literal value."""
    if isinstance(node, s.Name) and node.id == var:
        return s.String(value, span=node.span)
    if isinstance(node, tuple):
        return tuple(substitute(n, var, value) for n in node)
    if hasattr(node, "__dataclass_fields__") and not isinstance(node, (s.Number, s.String, s.OpenBound)):
        changes = {f.name: substitute(getattr(node, f.name), var, value) for f in fields(node) if f.compare}
        return replace(node, **changes)
    return node


def concrete_model(model: ModelPlan, code: str) -> ModelPlan:
    var = model.sweep_var
    return replace(
        model,
        name=f"{model.name}[{code}]",
        outcome=substitute(model.outcome, var, code),
        terms=substitute(model.terms, var, code),
        where=substitute(model.where, var, code),
        sweep_var=None,
        sweep_over=None,
    )


def _only_in_focus(model: ModelPlan) -> bool:
    """True when the sweep variable enters nothing but a clusters() focus term."""
    var = model.sweep_var

    def uses(node) -> bool:
        return any(isinstance(n, s.Name) and n.id == var for n in walk(node))

    focus = model.terms[0]
    others = (model.outcome, model.where, *model.terms[1:], *model.endog, *model.instruments)
    return isinstance(focus, s.Call) and focus.func == "clusters" and not any(uses(n) for n in others if n is not None)


def _fit_job(job):
    """Run in a worker: never raise, so one bad industry cannot stop the pool."""
    estimator, design, options, vcov, keep_raw = job
    try:
        result = fit_design(estimator, design, options, vcov)
        return result if keep_raw else replace(result, raw=None)  # the backend object is heavy to send back
    except (EstimationError, DataError) as exc:
        return str(getattr(exc, "message", exc)).splitlines()[0]


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{label}: {done}/{total} fits", end=end, file=sys.stderr, flush=True)


def run_sweep(model: ModelPlan, frames: Frames, *, workers: int | None = None) -> SweepResult:
    items, skipped = [], []
    focus = expr_text(model.terms[0])
    catalogue = industries(model, frames)
    if not catalogue:
        return SweepResult(model.name, focus, (), ())
    concretes = [concrete_model(model, code) for code, _, _ in catalogue]
    if model.dynamic is not None or not _only_in_focus(model):
        outcomes = []
        for concrete in concretes:
            try:
                outcomes.append(fit_model(concrete, frames))
            except (EstimationError, DataError) as exc:
                outcomes.append(str(getattr(exc, "message", exc)).splitlines()[0])
    else:
        outcomes = _fit_shared_design(model, concretes, frames, workers)
    for (code, name, digits), concrete, outcome in zip(catalogue, concretes, outcomes):
        term = expr_text(concrete.terms[0])
        if isinstance(outcome, str):
            skipped.append((code, outcome))
            continue
        result = finish(outcome, concrete)
        if term not in result.params.index:
            skipped.append((code, f"'{term}' was dropped from the fit"))
            continue
        renamed = {k: getattr(result, k).rename({term: focus}) for k in ("params", "std_errors", "tstats", "pvalues")}
        items.append(SweepItem(code, name, digits, replace(result, **renamed)))
    return SweepResult(model.name, focus, tuple(items), tuple(skipped))


def _fit_shared_design(model: ModelPlan, concretes: list[ModelPlan], frames: Frames, workers: int | None) -> list:
    """Compile once, swap the focus column per industry, fit on a pool."""
    base = compile_model(concretes[0], frames)
    base_column = expr_text(concretes[0].terms[0])
    jobs = []
    for concrete in concretes:
        column = expr_text(concrete.terms[0])
        values = clusters_on_units(frames, concrete.terms[0]).reindex(base.design.exog.index)
        exog = base.design.exog.rename(columns={base_column: column})
        exog[column] = values.to_numpy(dtype=float)
        jobs.append((model.estimator, replace(base.design, exog=exog), model.options, base.vcov))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    use_pool = workers > 1 and len(jobs) >= POOL_THRESHOLD
    jobs = [(*job, not use_pool) for job in jobs]
    outcomes = []
    if use_pool:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for outcome in pool.map(_fit_job, jobs, chunksize=max(1, len(jobs) // (4 * workers))):
                outcomes.append(outcome)
                _progress(model.name, len(outcomes), len(jobs))
    else:
        for job in jobs:
            outcomes.append(_fit_job(job))
            _progress(model.name, len(outcomes), len(jobs))
    return outcomes


def focus_frame(sweep: SweepResult) -> pd.DataFrame:
    """Coefficient of the focus term per industry, for inspection and tests."""
    rows = [
        (i.code, i.name, i.digits, i.result.params[sweep.focus], i.result.std_errors[sweep.focus], i.result.pvalues[sweep.focus], i.result.nobs)
        for i in sweep.items
    ]
    return pd.DataFrame(rows, columns=["code", "industry", "digits", "coef", "std_error", "pvalue", "nobs"])
