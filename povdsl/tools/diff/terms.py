"""Normal form of expressions and formula sides expanded to sets of terms, the way formulaic reads them."""

from __future__ import annotations

from typing import overload

from povdsl.check.terms import INTERCEPT, NO_INTERCEPT, Expander, Factor, Term, TermLimit
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


def _number_text(value: float) -> str:
    """One spelling per value: 0.10 and 0.1 both print as 0.1, 2.0 as 2."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _normal(e):
    """Expression in normal form: no parentheses, numbers by value, keywords sorted."""
    match e:
        case s.Paren(inner=inner):
            return _normal(inner)
        case s.Number():
            return s.Number(_number_text(e.value))
        case s.Keyword(name=name, value=value):
            return s.Keyword(name, _normal(value))
        case s.Call(func=func, args=args):
            positional = [_normal(a) for a in args if not isinstance(a, s.Keyword)]
            keywords = sorted((_normal(a) for a in args if isinstance(a, s.Keyword)), key=lambda k: k.name)
            return s.Call(func, tuple(positional + keywords))
        case s.BinOp(op=op, left=left, right=right):
            return s.BinOp(op, _normal(left), _normal(right))
        case s.Compare(op=op, left=left, right=right):
            return s.Compare(op, _normal(left), _normal(right))
        case s.BoolOp(op=op, left=left, right=right):
            return s.BoolOp(op, _normal(left), _normal(right))
        case s.Negate(operand=operand):
            return s.Negate(_normal(operand))
        case s.Not(operand=operand):
            return s.Not(_normal(operand))
    return e


@overload
def _text(e: None) -> None: ...
@overload
def _text(e: object) -> str: ...
def _text(e: object) -> str | None:
    """An expression's normal-form text; None stays None (an absent option)."""
    return None if e is None else expr_text(_normal(e))


# ---------------------------------------------------------------- formulas
#
# The expansion is povdsl's one (check/terms.py: formulaic's rules, each macro
# once, bounded); diff's factors are whole leaves in normal form, so `L(x, 1:2)`
# and `L(x,1:2)` are one factor, and a term's text lists its factors sorted.

_INTERCEPT = INTERCEPT
_NO_INTERCEPT = NO_INTERCEPT


def _leaf(e) -> list[Term]:
    return [Term((Factor("column", _text(e) or "", e),))]


def expander(macros: dict) -> Expander:
    """The expansion of one side of a diff: its macros, each expanded once."""
    return Expander(macros, _leaf)


def _term_text(term: frozenset) -> str:
    return "1" if term == _INTERCEPT else ":".join(sorted(term))


def _expand(e, side: Expander) -> dict:
    """Formula side -> {term (frozenset of factor texts): chain of macros it came through}.

    A side past the expansion limits (which the checker refuses) stays one
    term, its own text, so a diff of it still says what changed.
    """
    try:
        return {key: chain for key, (_, chain) in side.side(e).items()}
    except TermLimit:
        return {frozenset({_text(e)}): ()}


def _term_set(e, side: Expander, with_intercept: bool) -> dict:
    """Expanded terms as {text: chain}; with_intercept adds the model's implicit `1`."""
    raw = _expand(e, side)
    intercept = _NO_INTERCEPT not in raw and (with_intercept or _INTERCEPT in raw)
    out = {_term_text(t): c for t, c in raw.items() if t not in (_INTERCEPT, _NO_INTERCEPT)}
    if intercept:
        out = {"1": raw.get(_INTERCEPT, ())} | out
    return out


def _target_text(e) -> str:
    """A table's term reference (label, keep, ...) in term form, so a:b == b:a."""
    terms = [t for t in _expand(e, expander({})) if t not in (_INTERCEPT, _NO_INTERCEPT)]
    return _term_text(terms[0]) if len(terms) == 1 else _text(e) or ""
