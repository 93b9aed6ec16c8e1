"""Canonical text of expressions: one spelling for every expression.

Used for column names (so `W(cluster,traveltime)` and `W(cluster, traveltime)`
name the same column), by `fmt`, by `explain` and in diagnostics.
"""

from __future__ import annotations

from povdsl.language import syntax as s

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, ":": 7, "neg": 8, "**": 9}
_ATOM = 10


def expr_text(node: s.Expr | s.Keyword | s.ValueList) -> str:
    return _text(node)


def setting_text(setting: s.Setting) -> str:
    """`na=".", "NA"`: a data declaration's reading option, as fmt prints it."""
    return f"{setting.name}={', '.join(_text(v) for v in setting.values)}"


def sweep_text(sweep: s.Sweep) -> str:
    """`for w in [traveltime, nearest5]`: one `for` clause of a model, as fmt prints it."""
    return f"for {sweep.var} in {_text(sweep.over)}"


def string_literal(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _precedence(node) -> int:
    if isinstance(node, s.BinOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, s.BoolOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, s.Not):
        return _PRECEDENCE["not"]
    if isinstance(node, s.Compare):
        return _PRECEDENCE["compare"]
    if isinstance(node, s.Negate):
        return _PRECEDENCE["neg"]
    return _ATOM


def _wrap(child, minimum: int) -> str:
    text = _text(child)
    return f"({text})" if _precedence(child) < minimum else text


def _text(node) -> str:
    match node:
        case s.Name(id=name):
            return name
        case s.Number(text=text):
            return text
        case s.String(value=value):
            return string_literal(value)
        case s.OpenBound():
            return "."
        case s.Paren(inner=inner):
            return f"({_text(inner)})"
        case s.ValueList(items=items):
            return f"[{', '.join(_text(i) for i in items)}]"
        case s.Keyword(name=name, value=value):
            return f"{name}={_text(value)}"
        case s.Call(func=func, args=args):
            return f"{func}({', '.join(_text(a) for a in args)})"
        case s.Negate(operand=operand):
            return "-" + _wrap(operand, _PRECEDENCE["neg"])
        case s.Not(operand=operand):
            return "not " + _wrap(operand, _PRECEDENCE["not"])
        case s.BinOp(op=op, left=left, right=right):
            p = _PRECEDENCE[op]
            if op == "**":  # right-associative; a negative exponent needs no parentheses
                exponent = _text(right) if isinstance(right, s.Negate) else _wrap(right, p)
                return f"{_wrap(left, p + 1)}**{exponent}"
            sep = op if op == ":" else f" {op} "
            return f"{_wrap(left, p)}{sep}{_wrap(right, p + 1)}"
        case s.BoolOp(op=op, left=left, right=right):
            p = _PRECEDENCE[op]
            return f"{_wrap(left, p)} {op} {_wrap(right, p + 1)}"
        case s.Compare(op=op, left=left, right=right):
            p = _PRECEDENCE["compare"]
            return f"{_wrap(left, p + 1)} {op} {_wrap(right, p + 1)}"
    raise TypeError(f"not an expression node: {node!r}")


def fit_item_text(name: s.Name, label: s.String | None, digits: s.Number | None) -> str:
    """A `fit` item as fmt prints it: `r2`, `r2 "R²"` or `r2 "R²" digits 3`."""
    text = name.id + (f" {expr_text(label)}" if label is not None else "")
    return text + (f" digits {expr_text(digits)}" if digits is not None else "")
