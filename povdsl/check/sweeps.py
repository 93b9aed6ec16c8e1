"""The sources a sweep runs over: one registry entry per kind (name -> how to check, count and expand).

`for VAR in SOURCE` makes one model per value of SOURCE; several `for`
clauses make their product, in clause order (the last clause varies
fastest). A value replaces every `VAR` of the declaration: a term or a sum of
terms, an outcome, a number or string in `where`, a weights name.

Data-independent sources (a literal list, `stepwise`, `cumulative`, a named
set of weights) are expanded here, in the check stage, into members whose
models are checked like any other (a value that does not fit where VAR stands
is a located error at the value). Data-dependent sources (`industries`,
`split`) stay in the plan as pending axes and are expanded after the data is
read (estimate/sweep_sources.py). Sizes are counted from the text before
anything is expanded, so a hostile product is refused in O(clauses)
(docs/sweeps.md, "Limits").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

if TYPE_CHECKING:
    from povdsl.check.plan import ModelPlan

MAX_FITS = 10_000  # fits one spec may expand to, unless raised (`--max-fits`, `povdsl.run(max_fits=)`)
MAX_EXPANDED_NODES = 2_000_000  # syntax nodes the check stage may create for all members together


@dataclass(frozen=True)
class SweepValue:
    """One value of a data-independent source: its label (for names, tables, explain) and what replaces VAR."""

    label: str
    expr: s.Expr | None  # None: the empty set that stepwise0()/cumulative0() start with (`EMPTY` is its label)


@dataclass(frozen=True)
class SourceKind:
    """One kind of sweep source.

    `values` lists a data-independent source's values from its syntax alone
    (names of weight sets resolved by `sets`), or None for a data-dependent
    kind, counted after the data is read. `describe` is explain's sentence.
    """

    name: str
    data_dependent: bool
    values: Callable[[s.Sweep, dict[str, tuple[str, ...]]], tuple[SweepValue, ...]] | None
    count: Callable[[s.Sweep, dict[str, tuple[str, ...]]], int]  # len(values) without building them
    sizes: Callable[[s.Sweep, dict[str, tuple[str, ...]]], int]  # sum of the values' node counts, without building them
    describe: str


def _list_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    assert isinstance(sweep.over, s.ValueList)
    return tuple(SweepValue(expr_text(item), item) for item in sweep.over.items)


def _stepwise_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    """fixest's sw(a, b, c): one value per argument."""
    assert isinstance(sweep.over, s.Call)
    return tuple(SweepValue(expr_text(a), a) for a in sweep.over.args if not isinstance(a, s.Keyword))


def _cumulative_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    """fixest's csw(a, b, c): a, a + b, a + b + c."""
    assert isinstance(sweep.over, s.Call)
    out: list[SweepValue] = []
    total: s.Expr | None = None
    texts: list[str] = []
    for a in sweep.over.positional:
        total = a if total is None else s.BinOp("+", total, a, span=a.span)
        texts.append(expr_text(a))
        out.append(SweepValue(" + ".join(texts), total))  # `age + edu + pop`, as a `label` line would write it
    return tuple(out)


EMPTY = "none"  # the label of stepwise0()/cumulative0()'s first value, the empty set (`label none = "..."` renames it)


def _stepwise0_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    """fixest's sw0(a, b): nothing, then a, then b."""
    return (SweepValue(EMPTY, None), *_stepwise_values(sweep, sets))


def _cumulative0_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    """fixest's csw0(a, b): nothing, then a, then a + b."""
    return (SweepValue(EMPTY, None), *_cumulative_values(sweep, sets))


def _count_items0(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    return len(_items(sweep)) + 1


def _set_values(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...]:
    assert isinstance(sweep.over, s.Name)
    return tuple(SweepValue(name, s.Name(name, span=sweep.over.span)) for name in sets.get(sweep.over.id, ()))


def _items(sweep: s.Sweep) -> tuple:
    over = sweep.over
    if isinstance(over, s.ValueList):
        return over.items
    if isinstance(over, s.Call):
        return over.positional
    return ()


def _count_items(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    return len(_items(sweep))


def _size_items(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    return sum(size(a) for a in _items(sweep))


def _size_cumulative(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    """Prefix sums: the i-th value is the first i arguments joined by `+`; never built to be counted."""
    total, running = 0, -1
    for a in _items(sweep):
        running += size(a) + 1
        total += running
    return total


def _count_set(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    return len(sets.get(sweep.over.id, ())) if isinstance(sweep.over, s.Name) else 0


def _one(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> int:
    return 1  # a data-dependent source: counted again once the data is read


SOURCES: dict[str, SourceKind] = {
    k.name: k
    for k in (
        SourceKind("list", False, _list_values, _count_items, _size_items, "the listed values"),
        SourceKind("stepwise", False, _stepwise_values, _count_items, _size_items, "each argument in turn (fixest's sw())"),
        SourceKind("cumulative", False, _cumulative_values, _count_items, _size_cumulative, "the first argument, then the first two, ... (fixest's csw())"),
        SourceKind("stepwise0", False, _stepwise0_values, _count_items0, _size_items, "no term, then each argument in turn (fixest's sw0())"),
        SourceKind("cumulative0", False, _cumulative0_values, _count_items0, _size_cumulative, "no term, then the first argument, then the first two, ... (fixest's csw0())"),
        SourceKind("weights set", False, _set_values, _count_set, _count_set, "each weight matrix of the set"),
        SourceKind("industries", True, None, _one, _one, "every industry code of the census (known once the data is read)"),
        SourceKind("split", True, None, _one, _one, "each value of the column in the sample (known once the data is read)"),
    )
}
MAX_STEPS = 100  # arguments of one stepwise() or cumulative(): a cumulative sum is as deep as its arguments
CALL_SOURCES = ("industries", "stepwise", "cumulative", "stepwise0", "cumulative0", "split")  # the calls a `for` clause may name
TERM_SOURCES = ("stepwise", "cumulative", "stepwise0", "cumulative0")  # sources of terms: one or more, no options


def source_kind(sweep: s.Sweep) -> str | None:
    """The registry key of a clause's source, or None when the call is no source (a checker error)."""
    over = sweep.over
    if isinstance(over, s.ValueList):
        return "list"
    if isinstance(over, s.Name):
        return "weights set"
    if isinstance(over, s.Call) and over.func in CALL_SOURCES:
        return over.func
    return None


def values_of(sweep: s.Sweep, sets: dict[str, tuple[str, ...]]) -> tuple[SweepValue, ...] | None:
    """A data-independent clause's values; None for a data-dependent or unknown source."""
    kind = source_kind(sweep)
    entry = SOURCES.get(kind) if kind is not None else None
    if entry is None or entry.values is None:
        return None
    return entry.values(sweep, sets)


# ---------------------------------------------------------------- sizes


def size(node) -> int:
    """Syntax nodes in a tree, iteratively (a value may be a deep sum)."""
    count, stack = 0, [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif hasattr(n, "__dataclass_fields__"):
            count += 1
            stack.extend(getattr(n, f.name) for f in fields(n) if f.compare and not isinstance(getattr(n, f.name), (str, float, int, bool)))
    return count


def uses(node, var: str) -> int:
    """How often Name(var) occurs in a tree."""
    count, stack = 0, [node]
    while stack:
        n = stack.pop()
        if isinstance(n, s.Name):
            count += n.id == var
        elif isinstance(n, tuple):
            stack.extend(n)
        elif hasattr(n, "__dataclass_fields__"):
            stack.extend(getattr(n, f.name) for f in fields(n) if f.compare and not isinstance(getattr(n, f.name), (str, float, int, bool)))
    return count


def body(d: s.ModelDecl) -> tuple:
    """The parts of a model declaration a sweep variable may stand in (a cluster variable of `vcov` too)."""
    return (d.lhs, d.rhs, d.estimator, d.where, d.vcov)


def sweep_cost(d: s.ModelDecl, sets: dict[str, tuple[str, ...]]) -> tuple[int, int]:
    """(members, syntax nodes) the check stage would create for a declaration, from its text alone.

    Exact for the data-independent clauses (a data-dependent one counts as one
    value here; its size is bounded again after the data is read). Linear in
    the clauses' size and building no value, so a hostile product or a long
    cumulative() is refused without being formed.
    """
    members, counted = 1, []
    for sweep in d.sweeps:
        kind = source_kind(sweep)
        if kind is None:
            continue
        entry = SOURCES[kind]
        n = entry.count(sweep, sets)
        members *= max(n, 1)
        counted.append((sweep, entry, max(n, 1)))
        if members > MAX_FITS * MAX_FITS:  # already absurd; stop multiplying big integers
            return members, 0
    nodes = members * size(body(d))
    for sweep, entry, n in counted:
        if not entry.data_dependent:
            nodes += uses(body(d), sweep.var) * entry.sizes(sweep, sets) * (members // n)
    return members, nodes


# ---------------------------------------------------------------- expansion


def substitute(node, var: str, value: s.Expr):
    """The tree with every Name(var) replaced by `value` (which keeps its own span, so errors point at it)."""
    if isinstance(node, s.Name):
        return value if node.id == var else node
    if isinstance(node, tuple):
        return tuple(substitute(n, var, value) for n in node)
    if hasattr(node, "__dataclass_fields__") and not isinstance(node, (s.Number, s.String, s.OpenBound)):
        changes = {f.name: substitute(getattr(node, f.name), var, value) for f in fields(node) if f.compare and f.name != "sweeps"}
        return replace(node, **changes)
    return node


def without(node: s.Expr, var: str) -> s.Expr | None:
    """A sum with every term `var` left out (the empty value of stepwise0/cumulative0); None when no term is left."""
    if isinstance(node, s.Name) and node.id == var:
        return None
    if isinstance(node, s.BinOp) and node.op == "+":
        left, right = without(node.left, var), without(node.right, var)
        if left is None or right is None:
            return right if left is None else left
        return replace(node, left=left, right=right)
    return node


def substitute_declaration(d: s.ModelDecl, var: str, value: SweepValue) -> s.ModelDecl:
    """One value in every part a sweep variable may stand in; the empty set leaves the variable's terms out
    of the formula's sum (the checker allows it only where `var` is such a term, beside another one: E514)."""
    if value.expr is None:
        rest = without(d.rhs, var)
        assert rest is not None, "E514 refuses a formula whose only term is the variable"
        return replace(d, rhs=rest)
    expr = value.expr
    return replace(
        d,
        lhs=substitute(d.lhs, var, expr),
        rhs=substitute(d.rhs, var, expr),
        estimator=substitute(d.estimator, var, expr),
        where=substitute(d.where, var, expr),
        vcov=substitute(d.vcov, var, expr),
    )


def combinations(axes: list[tuple[str, tuple[SweepValue, ...]]]) -> Iterator[tuple[tuple[str, SweepValue], ...]]:
    """The product of the clauses' values, first clause slowest (itertools.product's order)."""
    from itertools import product

    for combo in product(*(values for _, values in axes)):
        yield tuple((var, value) for (var, _), value in zip(axes, combo))


def member_name(model: str, values: tuple[tuple[str, str], ...]) -> str:
    """`robust[c=age + edu, w=traveltime]`: a member's name in messages and results."""
    return f"{model}[{', '.join(f'{var}={label}' for var, label in values)}]"


def fit_count_text(model: ModelPlan) -> str:
    """`povdsl check`'s line for a sweep: its fits, or its members times the sources counted once the data is read."""
    members = max(len(model.members), 1)
    pending = [axis.source for axis in model.axes if SOURCES[axis.kind].data_dependent]
    if not pending:
        return f"{members:,} fit{'s' if members != 1 else ''}"
    per = " x ".join(pending)
    head = f"{members:,} members, each " if members > 1 else ""
    return f"{head}one fit per value of {per} (counted once the data is read, before fitting)"
