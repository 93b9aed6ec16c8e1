"""Typed formula terms: what a right-hand side means, expanded once with formulaic's rules.

formulaic reads `a*b` as a + b + a:b, `(a+b)**2` as a + b + a:b, `a/b` as
a + a:b, removes terms with `-`, and treats `a:b` and `b:a` as one term.
povdsl expands formulas itself with exactly those rules (a property test
compares with formulaic's own parser), so that the checker, `explain`,
`diff` and the compiler agree on the terms, and so that formulaic is never
handed the user's text: the compiler gives each factor below a generated
identifier and hands formulaic only those (docs/security.md).

Expansion is bounded before it happens: every product's size is computed
from its operands' sizes first, and a formula whose terms would exceed
MAX_TERMS is refused at the operator that would cross the limit. Macros
(`terms`) are expanded once each, in dependency order without recursion, so
a chain of doubling macros costs linear time and a chain of a thousand
macros no stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

MAX_TERMS = 1_000  # terms of one formula side after expansion
MAX_PRODUCT = 100_000  # term pairs one interaction may form before duplicates are merged

FactorKind = Literal["column", "factor", "transform", "lag", "difference", "spatial", "cluster"]
Chain = tuple[str, ...]  # the macros a term came through, outermost first


def lag_name(var: str, k: int) -> str:
    """The one spelling of a lag's column: `L1.n`; lag 0 is the variable itself."""
    return var if k == 0 else f"L{k}.{var}"


@dataclass(frozen=True)
class Factor:
    """One column povdsl computes itself (or a categorical it hands on as one)."""

    kind: FactorKind
    text: str  # canonical name: the column's name in every output (C(x) gets its levels appended)
    expr: s.Expr = field(compare=False, repr=False)  # what computes it; for a lag, the lagged expression
    lag: int = 0  # kind "lag" only


@dataclass(frozen=True, eq=False)
class Term:
    """A product of factors; equal when the factors are, in any order (formulaic's Term)."""

    factors: tuple[Factor, ...]
    span: s.Span | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> frozenset[str]:
        return frozenset(f.text for f in self.factors)

    @property
    def text(self) -> str:
        """formulaic's name of the term: its factors in order, joined by ':'."""
        return ":".join(f.text for f in self.factors) or "1"

    @property
    def degree(self) -> int:
        return len(self.factors)

    @property
    def expr(self) -> s.Expr:
        """The term as syntax, for diagnostics and the estimator binders."""
        parts = [_factor_expr(f) for f in self.factors]
        out = parts[0] if parts else s.Number("1")
        for part in parts[1:]:
            out = s.BinOp(":", out, part, span=self.span)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Term) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def times(self, other: Term) -> Term:
        """formulaic's Term.__mul__: left factors, then right ones not already there."""
        seen = {f.text for f in self.factors}
        return Term(self.factors + tuple(f for f in other.factors if f.text not in seen), self.span)


def _factor_expr(f: Factor) -> s.Expr:
    if f.kind == "lag":
        return s.Call("L", (f.expr, s.Number(str(f.lag))), span=f.expr.span)
    return f.expr


INTERCEPT: frozenset[str] = frozenset()
NO_INTERCEPT: frozenset[str] = frozenset({"0"})  # marker; no factor is spelled "0"

TermSet = dict[frozenset[str], tuple[Term, Chain]]  # insertion-ordered, like formulaic's OrderedSet


class TermLimit(Exception):
    """A formula would expand beyond the limits; carries the operator to point at."""

    def __init__(self, message: str, span: s.Span | None):
        super().__init__(message)
        self.span = span


Leaf = Callable[[s.Expr], Iterable[Term]]


class Expander:
    """Expands formula sides with formulaic's rules; each macro once.

    `leaf` turns an expression that is not a formula operator into its
    terms (one for a column or call, several for a lag range).
    """

    def __init__(self, macros: Mapping[str, s.Expr], leaf: Leaf):
        self.macros = macros
        self.leaf = leaf
        self._memo: dict[str, TermSet] = {}
        self._active: set[str] = set()

    def side(self, e: s.Expr) -> TermSet:
        self._prepare(e)
        return self._expand(e, ())

    def terms(self, e: s.Expr) -> list[Term]:
        """The expanded terms, without intercept markers, in formulaic's order (by degree, then first appearance)."""
        found = [t for key, (t, _) in self.side(e).items() if key not in (INTERCEPT, NO_INTERCEPT)]
        return sorted(found, key=lambda t: t.degree)

    def _prepare(self, e: s.Expr) -> None:
        """Expand every macro e reaches, dependencies first, with an explicit stack (no recursion)."""
        from povdsl.check.nodes import _walk

        stack: list[tuple[str, bool]] = [(n.id, False) for n in _walk(e) if isinstance(n, s.Name) and n.id in self.macros]
        while stack:
            name, ready = stack.pop()
            if name in self._memo:
                continue
            if ready:
                self._memo[name] = self._expand(self.macros[name], ())
                self._active.discard(name)
                continue
            if name in self._active:
                continue
            self._active.add(name)
            stack.append((name, True))
            for n in _walk(self.macros[name]):
                if isinstance(n, s.Name) and n.id in self.macros and n.id not in self._memo and n.id not in self._active:
                    stack.append((n.id, False))

    def _expand(self, e: s.Expr, chain: Chain) -> TermSet:
        match e:
            case s.Paren(inner=inner):
                return self._expand(inner, chain)
            case s.BinOp(op="+", left=a, right=b):
                return _limit(_union(self._expand(a, chain), self._expand(b, chain)), e)
            case s.BinOp(op="-", left=a, right=b):
                right = self._expand(b, chain)
                out = {k: v for k, v in self._expand(a, chain).items() if k not in right}
                if INTERCEPT in right:
                    out[NO_INTERCEPT] = (Term((), e.span), chain)
                return out
            case s.BinOp(op=":", left=a, right=b):
                return _product(self._expand(a, chain), self._expand(b, chain), e)
            case s.BinOp(op="*", left=a, right=b):
                left, right = self._expand(a, chain), self._expand(b, chain)
                return _limit(_union(left, right, _product(left, right, e)), e)
            case s.BinOp(op="/", left=a, right=b):
                left, right = self._expand(a, chain), self._expand(b, chain)
                parents = [t for k, (t, _) in left.items() if k != NO_INTERCEPT]
                common = Term((), e.span)
                for t in parents:
                    common = common.times(t)
                return _limit(_union(left, _product({common.key: (common, chain)}, right, e)), e)
            case s.BinOp(op="**", left=a, right=s.Number() as power) if power.value.is_integer() and power.value >= 1:
                return _power(self._expand(a, chain), int(power.value), e)
            case s.Number(text=t) if float(t) in (0.0, 1.0):
                key = INTERCEPT if float(t) == 1.0 else NO_INTERCEPT
                return {key: (Term((), e.span), chain)}
            case s.Name(id=name) if name in self.macros and name not in chain and name not in self._active:
                if name not in self._memo:
                    self._prepare(e)
                return {k: (t, chain + (name,) + c) for k, (t, c) in self._memo[name].items()}
        return {t.key: (t, chain) for t in self.leaf(e)}


def _limit(terms: TermSet, at: s.Expr) -> TermSet:
    if len(terms) > MAX_TERMS:
        raise TermLimit(f"this formula expands to more than {MAX_TERMS:,} terms", at.span)
    return terms


def _union(*parts: TermSet) -> TermSet:
    out: TermSet = {}
    for part in parts:
        for key, value in part.items():
            out.setdefault(key, value)
    return out


def _product(left: TermSet, right: TermSet, at: s.Expr) -> TermSet:
    """formulaic's `:`: every left term times every right term, in that order, duplicates merged."""
    pairs = len(left) * len(right)
    if pairs > MAX_PRODUCT:
        raise TermLimit(f"this interaction forms {pairs:,} products; at most {MAX_PRODUCT:,} are allowed", at.span)
    out: TermSet = {}
    for lk, (lt, lc) in left.items():
        if lk == NO_INTERCEPT:
            continue
        for rk, (rt, rc) in right.items():
            if rk != NO_INTERCEPT:
                t = lt.times(rt)
                out.setdefault(t.key, (Term(t.factors, at.span), lc or rc))
    return _limit(out, at)


def _power(base: TermSet, n: int, at: s.Expr) -> TermSet:
    """formulaic's `(terms)**n`: all products of n base terms, in itertools.product order."""
    size = len([k for k in base if k != NO_INTERCEPT])
    bound = sum(math.comb(size, k) for k in range(1, min(n, size) + 1))
    if bound > MAX_TERMS:
        raise TermLimit(f"this power expands to up to {bound:,} terms; at most {MAX_TERMS:,} are allowed", at.span)
    out = base
    for _ in range(min(n, size) - 1):  # a term has at most `size` distinct factors: later products add nothing
        out = _product(out, base, at)
    return out


# ------------------------------------------------------------- the model's terms

_TRANSFORMS = frozenset({"log", "exp", "sqrt", "abs", "I"})
_KINDS: dict[str, FactorKind] = {"C": "factor", "D": "difference", "W": "spatial", "clusters": "cluster"}


def leaf_terms(e: s.Expr) -> list[Term]:
    """A checked formula leaf as terms: a lag range is one term per lag, anything else one factor."""
    from povdsl.check.signatures import _lag_range

    if isinstance(e, s.Call) and e.func == "L":
        x, lags = e.positional
        first, last = _lag_range(lags) or (0, 0)
        text = expr_text(x)
        return [Term((Factor("lag", lag_name(text, k), x, k),), e.span) for k in range(first, (last if last is not None else first) + 1)]
    if isinstance(e, s.Call):
        kind = _KINDS.get(e.func, "transform")
        return [Term((Factor(kind, expr_text(e), e),), e.span)]
    return [Term((Factor("column", expr_text(e), e),), e.span)]


@dataclass(frozen=True)
class ModelTerms:
    """A model's design in terms: each block in formulaic's column order (intercept aside).

    `written` holds the right-hand side's terms (exogenous and endogenous) in
    order of first appearance: the order of the coefficients in every output,
    which the compiler hands on as positions (`Design.order`), so no later
    stage recovers it from column names.
    """

    outcome: Factor
    exog: tuple[Term, ...]
    endog: tuple[Term, ...] = ()
    instruments: tuple[Term, ...] = ()
    written: tuple[Term, ...] = ()

    def factors(self) -> list[Factor]:
        """Every distinct factor, outcome first, in order of first use."""
        seen: dict[str, Factor] = {self.outcome.text: self.outcome}
        for block in (self.exog, self.endog, self.instruments):
            for t in block:
                for f in t.factors:
                    seen.setdefault(f.text, f)
        return list(seen.values())

    def rebuilt(self, rewrite: Callable[[s.Expr], s.Expr]) -> ModelTerms:
        """The same terms with every factor's expression rewritten (a sweep fills in its variable)."""

        def factor(f: Factor) -> Factor:
            if f.kind == "lag":
                x = rewrite(f.expr)
                return Factor("lag", lag_name(expr_text(x), f.lag), x, f.lag)
            (only,) = leaf_terms(rewrite(f.expr))
            return only.factors[0]

        def block(terms: tuple[Term, ...]) -> tuple[Term, ...]:
            return tuple(Term(tuple(factor(f) for f in t.factors), t.span) for t in terms)

        return ModelTerms(factor(self.outcome), block(self.exog), block(self.endog), block(self.instruments), block(self.written))


def ordered(terms: Iterable[Term]) -> tuple[Term, ...]:
    """Distinct terms in formulaic's order: by degree, then first appearance."""
    unique: dict[frozenset[str], Term] = {}
    for t in terms:
        unique.setdefault(t.key, t)
    return tuple(sorted(unique.values(), key=lambda t: t.degree))


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's components without recursion, dependencies first (a macro chain of any length costs no stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out
