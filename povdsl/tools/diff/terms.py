"""Normal form of expressions and formula sides expanded to sets of terms, the way formulaic reads them."""

from __future__ import annotations

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


def _text(e) -> str | None:
    return None if e is None else expr_text(_normal(e))


# ---------------------------------------------------------------- formulas

_INTERCEPT = frozenset()
_NO_INTERCEPT = frozenset({"0"})  # marker; no factor can be named "0"


def _term_text(term: frozenset) -> str:
    return "1" if term == _INTERCEPT else ":".join(sorted(term))


def _expand(e, macros: dict, chain: tuple[str, ...] = ()) -> dict:
    """Formula side -> {term (frozenset of factor texts): chain of macros it came through}."""
    match e:
        case s.Paren(inner=inner):
            return _expand(inner, macros, chain)
        case s.BinOp(op="+", left=a, right=b):
            return _union(_expand(a, macros, chain), _expand(b, macros, chain))
        case s.BinOp(op="-", left=a, right=b):
            right = _expand(b, macros, chain)
            out = {t: c for t, c in _expand(a, macros, chain).items() if t not in right}
            if _INTERCEPT in right:
                out[_NO_INTERCEPT] = chain
            return out
        case s.BinOp(op=":", left=a, right=b):
            return _product(_expand(a, macros, chain), _expand(b, macros, chain))
        case s.BinOp(op="*", left=a, right=b):
            left, right = _expand(a, macros, chain), _expand(b, macros, chain)
            return _union(left, right, _product(left, right))
        case s.BinOp(op="/", left=a, right=b):
            left, right = _expand(a, macros, chain), _expand(b, macros, chain)
            nest = {frozenset().union(*_factors(left)): chain}
            return _union(left, _product(nest, right))
        case s.BinOp(op="**", left=a, right=s.Number() as power) if power.value.is_integer() and power.value >= 1:
            base = _expand(a, macros, chain)
            out = dict(base)
            for _ in range(int(power.value) - 1):
                out = _union(out, _product(out, base))
            return out
        case s.Number(text=t) if float(t) in (0.0, 1.0):
            return {_INTERCEPT if float(t) == 1.0 else _NO_INTERCEPT: chain}
        case s.Name(id=name) if name in macros and name not in chain:
            return _expand(macros[name], macros, chain + (name,))
    return {frozenset({_text(e)}): chain}


def _factors(terms: dict) -> list[frozenset]:
    return [t for t in terms if t not in (_INTERCEPT, _NO_INTERCEPT)] or [_INTERCEPT]


def _union(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for term, chain in part.items():
            out.setdefault(term, chain)
    return out


def _product(left: dict, right: dict) -> dict:
    out: dict = {}
    for lt, lc in left.items():
        if lt == _NO_INTERCEPT:
            continue
        for rt, rc in right.items():
            if rt != _NO_INTERCEPT:
                out.setdefault(lt | rt, lc or rc)
    return out


def _term_set(e, macros: dict, with_intercept: bool) -> dict:
    """Expanded terms as {text: chain}; with_intercept adds the model's implicit `1`."""
    raw = _expand(e, macros)
    intercept = _NO_INTERCEPT not in raw and (with_intercept or _INTERCEPT in raw)
    out = {_term_text(t): c for t, c in raw.items() if t not in (_INTERCEPT, _NO_INTERCEPT)}
    if intercept:
        out = {"1": raw.get(_INTERCEPT, ())} | out
    return out


def _target_text(e) -> str:
    """A table's term reference (label, keep, ...) in term form, so a:b == b:a."""
    terms = [t for t in _expand(e, {}) if t not in (_INTERCEPT, _NO_INTERCEPT)]
    return _term_text(terms[0]) if len(terms) == 1 else _text(e)
