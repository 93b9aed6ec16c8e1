"""What the fits of a sweep are, once the data is read: the expansion half of sweeps.

The check stage expanded the data-independent clauses into members
(`ModelPlan.members`, check/sweeps.py). Here each member is expanded by its
data-dependent clauses: `split(column)` into one model per value of the
column (the value substituted and `column == value` added to `where`), and
`industries(...)` into one model per industry code of the census. The
result is a flat list of `Fit`s, concrete models an executor can run, in a
deterministic order (members in clause order, then split values sorted,
then industry codes in code order). Fits of one industries group share a
`group` number, which the shared-design fast path (estimate/sweep.py) reads.

`count_fits` sizes the expansion before any model is built, so a spec whose
industries or split values outrun the fit limit is refused before fitting.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, fields, replace
from itertools import product

import pandas as pd

from povdsl.check import literal
from povdsl.check.plan import ModelPlan, SweepMember
from povdsl.check.sweeps import MAX_FITS, member_name
from povdsl.data.clusters import industry_codes
from povdsl.data.frames import Frames
from povdsl.errors import DataError
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


@dataclass(frozen=True)
class Fit:
    """One concrete model of a sweep: its name, the values it takes, and where it sits in the table.

    The concrete model is built only when it is asked for (`model`: to fit
    it, or to report it): a member whose industry code is still to be filled
    in keeps its group's `template`, from which the fit cache keys it and
    `term`/`dependent` give what a table needs without building the rest
    (substituting every member of a 2,000-fit sweep cost more than reading
    their results from the cache).
    """

    name: str
    values: tuple[tuple[str, str], ...]  # (variable, value label), in clause order (industries: the code)
    template: ModelPlan  # the concrete model, or its group's model with the industries variable pending (`sweep_var`)
    group: int  # fits of one member and split value share it (the industries of that member)
    code: str  # what tables and figures show: the industry code, or the values' labels
    label: str  # the industry's name, or the values' labels
    digits: int = 0  # industries: the code's depth (Tables 5-6 section by it); 0 otherwise

    @functools.cached_property
    def model(self) -> ModelPlan:
        """The concrete model: no clause left to expand."""
        if self.template.sweep_var is None:
            return self.template
        return concrete_model(self.template, self.code, self.name)

    @functools.cached_property
    def term(self) -> s.Expr:
        """The concrete model's first term (the focus), built alone."""
        first = self.template.terms[0]
        var = self.template.sweep_var
        return first if var is None else substitute(first, var, self.code)

    @property
    def dependent(self) -> str:
        """The concrete model's outcome as printed (`Result.dependent`)."""
        var = self.template.sweep_var
        return expr_text(self.template.outcome if var is None else substitute(self.template.outcome, var, self.code))


_LISTED: dict[tuple, tuple[tuple[weakref.ref, ...], list[tuple[str, str, int]]]] = {}  # see industries()


def industries(model: ModelPlan, frames: Frames) -> list[tuple[str, str, int]]:
    """(code, name, digits) for every industry the sweep runs over, in code order.

    Remembered per census and call (`industries(census, digits=3, year=2004)`):
    the sweeps of a multiverse list the same industries many times over, and
    listing them was most of a warm rerun's expansion. The memo holds its
    tables by weak reference and is used only while they are the very same
    objects, so another run's data is never mistaken for this one's.
    """
    over = model.sweep_over
    assert isinstance(over, s.Call)  # the checker admits only industries(census, ...) here
    options = {kw.name: kw.value for kw in over.keywords}
    sources = tuple(frames.sources[_name_id(e)] for e in (over.positional[0], *([options["names"]] if "names" in options else [])))
    key = (*map(id, sources), expr_text(over), frames.time_col)
    known = _LISTED.get(key)
    if known is not None and all(ref() is table for ref, table in zip(known[0], sources)):
        return list(known[1])
    census = sources[0]
    digits = int(literal(options["digits"])) if "digits" in options else 4
    if "year" in options:
        census = census[census[frames.time_col] == literal(options["year"])]
    codes = industry_codes(census, digits)
    names: dict[str, str] = {}
    if len(sources) > 1:
        names = dict(zip(sources[1]["code"].astype(str), sources[1]["name"].astype(str)))
    listed = [(code, names.get(code, code), digits) for code in codes]
    if len(_LISTED) >= 256:
        _LISTED.clear()
    _LISTED[key] = (tuple(weakref.ref(table) for table in sources), listed)
    return list(listed)


def _name_id(e: s.Expr) -> str:
    """A checked argument that names a source."""
    assert isinstance(e, s.Name)  # the checker admits only a declared source name here
    return e.id


def substitute(node, var: str, value: str | s.Expr):
    """The node with every Name(var) replaced by `value` (a string: as a string literal)."""
    if isinstance(node, s.Name) and node.id == var:
        return s.String(value, span=node.span) if isinstance(value, str) else value
    if isinstance(node, tuple):
        return tuple(substitute(n, var, value) for n in node)
    if hasattr(node, "__dataclass_fields__") and not isinstance(node, (s.Number, s.String, s.OpenBound)):
        changes = {f.name: substitute(getattr(node, f.name), var, value) for f in fields(node) if f.compare}
        return replace(node, **changes)
    return node


def concrete_model(model: ModelPlan, code: str, name: str | None = None) -> ModelPlan:
    """A model with its industries variable replaced by one code."""
    var = model.sweep_var
    assert var is not None  # only sweep models have concrete copies
    return _filled(model, var, code, name or f"{model.name}[{code}]", sweep_var=None, sweep_over=None)


def _filled(model: ModelPlan, var: str, value: str | s.Expr, name: str, **more) -> ModelPlan:
    return replace(
        model,
        name=name,
        outcome=substitute(model.outcome, var, value),
        terms=substitute(model.terms, var, value),
        layer=model.layer.rebuilt(lambda e: substitute(e, var, value)),
        where=substitute(model.where, var, value),
        **more,
    )


def split_values(model: ModelPlan, frames: Frames, column: str) -> list[tuple[str, s.Expr]]:
    """(label, literal) per value of a split column in the units' frame, sorted; missing values are no value."""
    if column not in frames.unit.columns:
        raise DataError(f"split({column}): '{column}' is not a column of the units' data", model.span)
    values = pd.Series(frames.unit[column]).dropna().unique()
    if len(values) > MAX_FITS:
        raise DataError(f"split({column}) has {len(values):,} values, more than {MAX_FITS:,} fits", model.span, "split by a coarser column")
    out: list[tuple[str, s.Expr]] = []
    for v in sorted(values.tolist(), key=lambda x: (isinstance(x, str), x)):
        if isinstance(v, str):
            out.append((v, s.String(v)))
        else:
            number = float(v)
            text = str(int(number)) if number.is_integer() else repr(number)
            out.append((text, s.Number(text)))
    return out


def _split_members(member: SweepMember, frames: Frames) -> list[tuple[tuple[tuple[str, str], ...], ModelPlan]]:
    """A member times the values of its split clauses: (values, model restricted to those values)."""
    model = member.model
    if not model.splits:
        return [(member.values, model)]
    axes = [[(var, column, label, value) for label, value in split_values(model, frames, column)] for var, column in model.splits]
    out = []
    for combo in product(*axes):
        values = member.values + tuple((var, label) for var, _, label, _ in combo)
        concrete = model
        for var, column, _, value in combo:
            concrete = _filled(concrete, var, value, concrete.name)
            condition = s.Compare("==", s.Name(column), value)
            where = condition if concrete.where is None else s.BoolOp("and", s.Paren(concrete.where), condition)
            concrete = replace(concrete, where=where)
        out.append((values, replace(concrete, splits=())))
    return out


def count_fits(model: ModelPlan, frames: Frames) -> int:
    """The number of fits a sweep expands to with this data, computed without building them."""
    total = 0
    for member in model.members or (SweepMember(model.name, (), model),):
        per = 1
        for _, column in member.model.splits:
            if column in frames.unit.columns:
                per *= int(pd.Series(frames.unit[column]).dropna().nunique())
        if member.model.sweep_var is not None:
            per *= len(industries(member.model, frames))
        total += per
    return total


@dataclass(frozen=True)
class Group:
    """The fits of one member and split value: one fit, or one per industry (which may share a design)."""

    model: ModelPlan  # before industries are filled in (`sweep_var` set when they are pending)
    fits: tuple[Fit, ...]


def groups(model: ModelPlan, frames: Frames) -> list[Group]:
    """Every concrete fit of a sweep declaration, grouped, in a deterministic order."""
    out: list[Group] = []
    for member in model.members or (SweepMember(model.name, (), model),):
        for values, concrete in _split_members(member, frames):
            number = len(out)
            if concrete.sweep_var is None:
                name = member_name(model.name, values) if values else model.name
                labels = ", ".join(label for _, label in values)
                out.append(Group(concrete, (Fit(name, values, replace(concrete, name=name), number, labels, labels),)))
                continue
            var = concrete.sweep_var
            fits = []
            for code, industry, digits in industries(concrete, frames):
                full = values + ((var, code),)
                name = member_name(model.name, full) if values else f"{model.name}[{code}]"
                fits.append(Fit(name, full, concrete, number, code, industry, digits))  # built when asked: Fit.model
            out.append(Group(concrete, tuple(fits)))
    return out


def fits_of(model: ModelPlan, frames: Frames) -> list[Fit]:
    """The flat list of a sweep's fits (explain, tests, an executor's job list)."""
    return [fit for group in groups(model, frames) for fit in group.fits]


def check_fit_limit(models: list[ModelPlan], frames: Frames, limit: int) -> None:
    """Refuse, before any fit, a run whose sweeps expand past `limit` fits with this data."""
    total = 0
    for model in models:
        total += count_fits(model, frames)
        if total > limit:
            span = model.span
            raise DataError(
                f"model '{model.name}': the sweeps expand to more than {limit:,} fits with this data",
                span,
                "sweep over fewer values, or raise the limit with --max-fits N (povdsl.run(..., max_fits=N))",
            )
