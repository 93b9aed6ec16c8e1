"""Helpers on syntax nodes shared by the checker and the rest of povdsl: walk, literal, known calls."""

from __future__ import annotations

from functools import lru_cache

from povdsl.language import syntax as s
from povdsl.language.functions import DATA_OPTIONS, FUNCTIONS, SOURCE_FUNCTIONS, WEIGHT_BUILDERS


def _sorted_unique(diagnostics):
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sorted(out, key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else ("", 0, 0))


def _dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")


@lru_cache(maxsize=1)
def _known_calls() -> tuple[str, ...]:
    from povdsl.check.signatures import ARGUMENT_CALLS

    return (*FUNCTIONS, *SOURCE_FUNCTIONS, *DATA_OPTIONS, *WEIGHT_BUILDERS, *ARGUMENT_CALLS)


@lru_cache(maxsize=1)
def _known_call_set() -> frozenset[str]:
    return frozenset(_known_calls())


def _known_call(name: str) -> bool:
    return name in _known_call_set()


def _literal(e):
    """Python value of a literal argument: float, bool, str, or None when not a literal."""
    if isinstance(e, s.Number):
        return e.value
    if isinstance(e, s.Negate) and isinstance(e.operand, s.Number):
        return -e.operand.value
    if isinstance(e, s.Name) and e.id in ("true", "false"):
        return e.id == "true"
    if isinstance(e, s.String):
        return e.value
    return None


# Typed accessors for slots the grammar fills with one kind of node (e.g. `stat NAME`, `note STRING`):
# they narrow the syntax union once; a failing assert is a bug in povdsl's tree builder, never a spec error.


def name_of(e: s.Expr | None) -> str:
    """The identifier of a node the grammar guarantees is a name (`stat t`, `layout sweep`, `fit r2`)."""
    assert isinstance(e, s.Name), f"the grammar puts a name here, not {type(e).__name__}"
    return e.id


def string_of(e: s.Expr | None) -> str:
    """The text of a node the grammar guarantees is a string (`note "..."`, `label x = "..."`)."""
    assert isinstance(e, s.String), f"the grammar puts a string here, not {type(e).__name__}"
    return e.value


def number_of(e: s.Expr | None) -> float:
    """The value of a node the grammar guarantees is a number (`stars 0.10 0.05`, `digits 3`)."""
    assert isinstance(e, s.Number), f"the grammar puts a number here, not {type(e).__name__}"
    return e.value


def call_of(e: s.Expr) -> s.Call:
    """A node the grammar guarantees is a call (the `industries(...)` of a sweep)."""
    assert isinstance(e, s.Call), f"the grammar puts a call here, not {type(e).__name__}"
    return e


_NOT_CHILDREN = frozenset({"span", "name_span", "func_span", "comments"})
_LEAVES = (str, int, float, bool)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> the slots that hold sub-nodes


def _walk(node):
    """Every node below (and including) node, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, _LEAVES):
            continue
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        yield n
        names = _CHILD_FIELDS.get(type(n))
        if names is None:
            names = _CHILD_FIELDS[type(n)] = tuple(f for f in getattr(n, "__slots__", ()) if f not in _NOT_CHILDREN)
        for name in names:
            stack.append(getattr(n, name, None))


literal = _literal
walk = _walk
