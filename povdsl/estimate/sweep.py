"""One declaration, one model per industry: expanding and fitting a sweep.

A sweep model names a variable (`for industry in industries(census, digits=3)`)
that its formula uses as a literal code; expansion substitutes each code
present in the census and fits the copies. An industry whose fit fails (no
variation, separation, collinearity) is skipped and listed, never a crash.

Work is shared across the copies: the cluster table is built once per rule
(data.py), and when the sweep variable only enters the focus term the design
is compiled once and only that column is swapped per industry.

This module says what a sweep's fits are (`expand`: one Job per member, see
jobs.py) and how their outcomes make its result (`assemble`); running them
is the run's job list's business (runner.py, executors.py), together with
every other fit of the run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields, replace

import pandas as pd

from povdsl.check import literal, walk
from povdsl.check.plan import ModelPlan
from povdsl.data.clusters import industry_codes
from povdsl.data.frames import Frames, RunCache, clusters_on_units
from povdsl.estimate.compile import compile_model
from povdsl.estimate.fitting import finish
from povdsl.estimate.jobs import Failure, Job, Outcome, SharedDesign
from povdsl.estimate.result import Result
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


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


@dataclass
class Expansion:
    """A sweep's members as jobs of the run's job list, with what its table needs to assemble them."""

    model: ModelPlan
    catalogue: list[tuple[str, str, int]]  # (code, name, digits) per member
    jobs: list[Job] = field(default_factory=list)  # one per catalogue entry, in its order


def expand(model: ModelPlan, frames: Frames, cache: RunCache, designs: list[SharedDesign]) -> Expansion:
    """The sweep's members as jobs; a shared design is appended to `designs` (the run's, sent once to each worker)."""
    catalogue = industries(model, frames)
    var = model.sweep_var
    assert var is not None  # only sweep models expand
    concretes = [concrete_model(model, code) for code, _, _ in catalogue]
    bindings = [((var, code),) for code, _, _ in catalogue]
    if concretes and model.dynamic is None and _only_in_focus(model):
        shared, columns = _shared_design(model, concretes, frames, cache)
        designs.append(shared)
        number = len(designs) - 1
        jobs = [Job(model, c, b, number, column, values) for c, b, (column, values) in zip(concretes, bindings, columns)]
    else:  # the industry enters more than the focus term: each member compiles its own design
        jobs = [Job(model, c, b) for c, b in zip(concretes, bindings)]
    return Expansion(model, catalogue, jobs)


def assemble(expansion: Expansion, outcomes: list[Outcome]) -> SweepResult:
    """The sweep's result from its members' outcomes (in job order); a member that failed is skipped and listed."""
    items, skipped = [], []
    focus = expr_text(expansion.model.terms[0])
    for (code, name, digits), job, outcome in zip(expansion.catalogue, expansion.jobs, outcomes):
        concrete = job.concrete
        term = expr_text(concrete.terms[0])
        if isinstance(outcome, Failure):
            skipped.append((code, outcome.reason()))
            continue
        result = finish(outcome, concrete)
        if term not in result.params.index:
            skipped.append((code, f"'{term}' was dropped from the fit"))
            continue
        index = pd.Index([focus if n == term else n for n in result.params.index])  # one index for the four series
        renamed = {k: getattr(result, k).set_axis(index) for k in ("params", "std_errors", "tstats", "pvalues")}
        items.append(SweepItem(code, name, digits, replace(result, **renamed)))
    return SweepResult(expansion.model.name, focus, tuple(items), tuple(skipped))


def _shared_design(model: ModelPlan, concretes: list[ModelPlan], frames: Frames, cache: RunCache) -> tuple[SharedDesign, list]:
    """Compile once; per industry only the focus column's values.

    Both are computed when first needed (SharedDesign.ready, the job's
    values), so a rerun whose fits are all in the fit cache computes neither.
    """

    @functools.cache
    def base():
        compiled = compile_model(concretes[0], frames, cache)
        return compiled, frames.unit.index.get_indexer(compiled.design.exog.index)  # the design's rows are unit rows

    def compiled() -> tuple:
        return base()[0].design, base()[0].vcov

    def values(concrete: ModelPlan):
        return lambda: clusters_on_units(frames, _focus_call(concrete), cache).to_numpy(dtype=float)[base()[1]]

    shared = SharedDesign(model.estimator, None, model.options, None, expr_text(concretes[0].terms[0]), compile=compiled)
    return shared, [(expr_text(concrete.terms[0]), values(concrete)) for concrete in concretes]


def _focus_call(concrete: ModelPlan) -> s.Call:
    """The clusters(...) focus term of a model whose sweep shares one design."""
    focus = concrete.terms[0]
    assert isinstance(focus, s.Call)  # _only_in_focus chose the shared design for this
    return focus


def run_sweep(model: ModelPlan, frames: Frames, *, workers: int | None = None) -> SweepResult:
    """One sweep; `run_sweeps` for several at once."""
    return run_sweeps([model], frames, workers=workers)[model.name]


def run_sweeps(models: list[ModelPlan], frames: Frames, *, workers: int | None = None, cache: RunCache | None = None, dask: str | None = None) -> dict[str, SweepResult]:
    """Sweeps alone, through the run's job list (`povdsl run` fits them with the plain models); a sweep that cannot expand raises."""
    from povdsl.estimate.runner import fit_all

    fitted = fit_all([], models, frames, cache if cache is not None else RunCache(), workers=workers, dask=dask)
    if fitted.failures:
        raise next(iter(fitted.failures.values()))
    return fitted.sweeps


def focus_frame(sweep: SweepResult) -> pd.DataFrame:
    """Coefficient of the focus term per industry, for inspection and tests."""
    rows = [
        (i.code, i.name, i.digits, i.result.params[sweep.focus], i.result.std_errors[sweep.focus], i.result.pvalues[sweep.focus], i.result.nobs)
        for i in sweep.items
    ]
    return pd.DataFrame(rows, columns=["code", "industry", "digits", "coef", "std_error", "pvalue", "nobs"])
