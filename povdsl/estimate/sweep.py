"""One declaration, one model per industry: expanding and fitting a sweep.

A sweep model names a variable (`for industry in industries(census, digits=3)`)
that its formula uses as a literal code; expansion substitutes each code
present in the census and fits the copies. An industry whose fit fails (no
variation, separation, collinearity) is skipped and listed, never a crash.

Work is shared across the copies: the cluster table is built once per rule
(data.py), and when the sweep variable only enters the focus term the design
is compiled once and only that column is swapped per industry. The fits of
all a run's sweeps then go to one process pool, which receives each compiled
design once; results come back in job order, so output does not depend on
scheduling (and equals the in-process run bit for bit).
"""

from __future__ import annotations

import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from povdsl.check import literal, walk
from povdsl.check.plan import ModelPlan
from povdsl.data.clusters import industry_codes
from povdsl.data.frames import Frames, RunCache, clusters_on_units
from povdsl.errors import DataError, EstimationError
from povdsl.estimate.compile import compile_model
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.fitting import finish, fit_design, fit_model
from povdsl.estimate.result import Result
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

POOL_THRESHOLD = 64  # fewer fits than this run in-process: starting the pool costs more than it saves


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
    assert isinstance(over, s.Call)  # the checker admits only industries(census, ...) here
    options = {kw.name: kw.value for kw in over.keywords}
    census = frames.sources[_name_id(over.positional[0])]
    digits = int(literal(options["digits"])) if "digits" in options else 4
    if "year" in options:
        census = census[census[frames.time_col] == literal(options["year"])]
    codes = industry_codes(census, digits)
    names: dict[str, str] = {}
    if "names" in options:
        table = frames.sources[_name_id(options["names"])]
        names = dict(zip(table["code"].astype(str), table["name"].astype(str)))
    return [(code, names.get(code, code), digits) for code in codes]


def _name_id(e: s.Expr) -> str:
    """A checked argument that names a source."""
    assert isinstance(e, s.Name)  # the checker admits only a declared source name here
    return e.id


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
    assert var is not None  # only sweep models have concrete copies
    return replace(
        model,
        name=f"{model.name}[{code}]",
        outcome=substitute(model.outcome, var, code),
        terms=substitute(model.terms, var, code),
        layer=model.layer.rebuilt(lambda e: substitute(e, var, code)),
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


@dataclass(frozen=True)
class _SharedDesign:
    """A sweep's design compiled once; each industry only replaces the focus column."""

    estimator: str
    design: Design
    options: tuple
    vcov: Vcov
    column: str  # the focus column as compiled for the first industry


def _fit_industry(shared: _SharedDesign, column: str, values: np.ndarray, keep_raw: bool):
    """One industry's fit; never raises, so one bad industry cannot stop the others."""
    exog = shared.design.exog.rename(columns={shared.column: column})
    exog[column] = values
    try:
        result = fit_design(shared.estimator, replace(shared.design, exog=exog), shared.options, shared.vcov)
        return result if keep_raw else replace(result, raw=None)  # the backend object is heavy to send back
    except (EstimationError, DataError) as exc:
        return str(getattr(exc, "message", exc)).splitlines()[0]


_WORKER_DESIGNS: list[_SharedDesign] = []  # each pool worker's copy, sent once by the initializer


_BLAS_ENVIRONMENT = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _receive_designs(designs: list[_SharedDesign]) -> None:
    global _WORKER_DESIGNS
    _WORKER_DESIGNS = designs
    _one_blas_thread()


def _one_blas_thread() -> None:
    """Pin this worker's BLAS to one thread: the pool already uses every core, and threaded BLAS
    on top made small fits 30-100x slower. A user who sets OMP/OPENBLAS/MKL/BLIS_NUM_THREADS keeps it."""
    if any(os.environ.get(name) for name in _BLAS_ENVIRONMENT):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _pool_fit(job: tuple[int, str, np.ndarray]):
    design, column, values = job
    return _fit_industry(_WORKER_DESIGNS[design], column, values, keep_raw=False)


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{label}: {done}/{total} fits", end=end, file=sys.stderr, flush=True)


def run_sweep(model: ModelPlan, frames: Frames, *, workers: int | None = None) -> SweepResult:
    """One sweep; `run_sweeps` for all of a run's sweeps at once."""
    return run_sweeps([model], frames, workers=workers)[model.name]


@dataclass
class _Prepared:
    model: ModelPlan
    catalogue: list[tuple[str, str, int]]
    concretes: list[ModelPlan]
    shared: _SharedDesign | None = None  # when the industries share one design
    columns: list = field(default_factory=list)  # (focus column, values) per industry still to fit on it
    outcomes: list = field(default_factory=list)  # Results or skip reasons, once known


def run_sweeps(models: list[ModelPlan], frames: Frames, *, workers: int | None = None, cache: RunCache | None = None) -> dict[str, SweepResult]:
    """Every sweep of a run: the shared-design fits of all of them go to one process pool."""
    cache = cache if cache is not None else RunCache()
    prepared = [_prepare(model, frames, cache) for model in models]
    sharing = [p for p in prepared if p.shared is not None]
    shared = [p.shared for p in prepared if p.shared is not None]  # the designs of `sharing`, in its order
    jobs = [(number, column, values) for number, p in enumerate(sharing) for column, values in p.columns]
    outcomes = iter(_run_jobs(shared, jobs, workers))
    for p in prepared:
        if p.shared is not None:
            p.outcomes = [next(outcomes) for _ in p.columns]
    return {p.model.name: _assemble(p) for p in prepared}


def _prepare(model: ModelPlan, frames: Frames, cache: RunCache) -> _Prepared:
    catalogue = industries(model, frames)
    concretes = [concrete_model(model, code) for code, _, _ in catalogue]
    if not concretes:
        return _Prepared(model, catalogue, concretes)
    if model.dynamic is None and _only_in_focus(model):
        shared, columns = _shared_design(model, concretes, frames, cache)
        return _Prepared(model, catalogue, concretes, shared, columns)
    outcomes: list[Result | str] = []
    for concrete in concretes:  # the industry enters more than the focus term: each copy compiles its own design
        try:
            outcomes.append(fit_model(concrete, frames, cache))
        except (EstimationError, DataError) as exc:
            outcomes.append(str(getattr(exc, "message", exc)).splitlines()[0])
    return _Prepared(model, catalogue, concretes, outcomes=outcomes)


def _assemble(p: _Prepared) -> SweepResult:
    items, skipped = [], []
    focus = expr_text(p.model.terms[0])
    for (code, name, digits), concrete, outcome in zip(p.catalogue, p.concretes, p.outcomes):
        term = expr_text(concrete.terms[0])
        if isinstance(outcome, str):
            skipped.append((code, outcome))
            continue
        result = finish(outcome, concrete)
        if term not in result.params.index:
            skipped.append((code, f"'{term}' was dropped from the fit"))
            continue
        index = pd.Index([focus if n == term else n for n in result.params.index])  # one index for the four series
        renamed = {k: getattr(result, k).set_axis(index) for k in ("params", "std_errors", "tstats", "pvalues")}
        items.append(SweepItem(code, name, digits, replace(result, **renamed)))
    return SweepResult(p.model.name, focus, tuple(items), tuple(skipped))


def _shared_design(model: ModelPlan, concretes: list[ModelPlan], frames: Frames, cache: RunCache) -> tuple[_SharedDesign, list]:
    """Compile once; per industry only the focus column's values."""
    base = compile_model(concretes[0], frames, cache)
    shared = _SharedDesign(model.estimator, base.design, model.options, base.vcov, expr_text(concretes[0].terms[0]))
    rows = frames.unit.index.get_indexer(base.design.exog.index)  # the design's rows are unit rows
    columns = [
        (expr_text(concrete.terms[0]), clusters_on_units(frames, _focus_call(concrete), cache).to_numpy(dtype=float)[rows])
        for concrete in concretes
    ]
    return shared, columns


def _focus_call(concrete: ModelPlan) -> s.Call:
    """The clusters(...) focus term of a model whose sweep shares one design."""
    focus = concrete.terms[0]
    assert isinstance(focus, s.Call)  # _only_in_focus chose the shared design for this
    return focus


def _run_jobs(shared: list[_SharedDesign], jobs: list[tuple], workers: int | None) -> list:
    """All fits on one pool when there are enough of them to pay for it; results in job order.

    Each worker receives the compiled designs once; a job is only an
    industry's column of values, and comes back without the backend object.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= POOL_THRESHOLD:
        outcomes = []
        try:
            with ProcessPoolExecutor(max_workers=workers, initializer=_receive_designs, initargs=(shared,)) as pool:
                for outcome in pool.map(_pool_fit, jobs, chunksize=max(1, len(jobs) // (4 * workers))):
                    outcomes.append(outcome)
                    _progress("sweeps", len(outcomes), len(jobs))
            return outcomes
        except (OSError, BrokenProcessPool) as exc:  # no semaphores in a sandbox, a worker killed: same fits, here
            warnings.warn(f"sweep fits run in this process: the process pool failed ({exc})", RuntimeWarning, stacklevel=2)
    outcomes = []
    for design, column, values in jobs:
        outcomes.append(_fit_industry(shared[design], column, values, keep_raw=True))
        _progress("sweeps", len(outcomes), len(jobs))
    return outcomes


def focus_frame(sweep: SweepResult) -> pd.DataFrame:
    """Coefficient of the focus term per industry, for inspection and tests."""
    rows = [
        (i.code, i.name, i.digits, i.result.params[sweep.focus], i.result.std_errors[sweep.focus], i.result.pvalues[sweep.focus], i.result.nobs)
        for i in sweep.items
    ]
    return pd.DataFrame(rows, columns=["code", "industry", "digits", "coef", "std_error", "pvalue", "nobs"])
