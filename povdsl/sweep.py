"""One declaration, one model per industry: expanding and fitting a sweep.

A sweep model names a variable (`for industry in industries(census, digits=3)`)
that its formula uses as a literal code; expansion substitutes each code
present in the census and fits the copies. An industry whose fit fails (no
variation, separation, collinearity) is skipped and listed, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pandas as pd

from povdsl import syntax as s
from povdsl.check import literal
from povdsl.clusters import industry_codes
from povdsl.data import Frames
from povdsl.errors import DataError, EstimationError
from povdsl.fit import fit_model
from povdsl.plan import ModelPlan
from povdsl.printer import expr_text
from povdsl.result import Result


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


def run_sweep(model: ModelPlan, frames: Frames) -> SweepResult:
    items, skipped = [], []
    focus = expr_text(model.terms[0])
    for code, name, digits in industries(model, frames):
        concrete = replace(
            model,
            name=f"{model.name}[{code}]",
            outcome=substitute(model.outcome, model.sweep_var, code),
            terms=substitute(model.terms, model.sweep_var, code),
            where=substitute(model.where, model.sweep_var, code),
            sweep_var=None,
            sweep_over=None,
        )
        term = expr_text(concrete.terms[0])
        try:
            result = fit_model(concrete, frames)
        except (EstimationError, DataError) as exc:
            skipped.append((code, str(getattr(exc, "message", exc)).splitlines()[0]))
            continue
        if term not in result.params.index:
            skipped.append((code, f"'{term}' was dropped from the fit"))
            continue
        renamed = {k: getattr(result, k).rename({term: focus}) for k in ("params", "std_errors", "tstats", "pvalues")}
        items.append(SweepItem(code, name, digits, replace(result, **renamed)))
    return SweepResult(model.name, focus, tuple(items), tuple(skipped))


def focus_frame(sweep: SweepResult) -> pd.DataFrame:
    """Coefficient of the focus term per industry, for inspection and tests."""
    rows = [
        (i.code, i.name, i.digits, i.result.params[sweep.focus], i.result.std_errors[sweep.focus], i.result.pvalues[sweep.focus], i.result.nobs)
        for i in sweep.items
    ]
    return pd.DataFrame(rows, columns=["code", "industry", "digits", "coef", "std_error", "pvalue", "nobs"])
