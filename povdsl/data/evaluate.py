"""Evaluate checked `let` and `where` expressions on a frame, ourselves.

Nothing here hands text to pandas.eval or Python: each node of the closed
expression language maps to one numpy/pandas operation. Comparisons keep
missing values missing (NaN < 3 is NaN, not False), so a poverty flag built
from a missing income is dropped and counted, never silently "not poor".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from povdsl.errors import DataError
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_UNARY = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


class Columns(Protocol):
    """What the evaluator reads: columns by name and their index (a DataFrame, or frames.py's frame with the lets computed so far)."""

    @property
    def index(self) -> pd.Index: ...

    def __getitem__(self, name: str) -> Any: ...


@dataclass
class Evaluator:
    """Evaluates on one frame; W() lags go through `spatial` (region frames only)."""

    frame: Columns
    scalars: Mapping[str, float] = field(default_factory=dict)
    spatial: Callable[[pd.Series, str], pd.Series] | None = None  # W @ x by weights name, for region frames
    thresholds: list[tuple[str, float]] = field(default_factory=list)  # computed cut-offs, e.g. poverty lines

    def __call__(self, e: s.Expr):
        """The value of e; a type mistake in the data (text where a number is needed) is a DataError."""
        try:
            return self._value(e)
        except (TypeError, ValueError) as exc:
            raise DataError(f"cannot evaluate '{expr_text(e)}': {str(exc).splitlines()[0]}") from None

    def _value(self, e: s.Expr):
        match e:
            case s.Number():
                return e.value
            case s.String(value=v):
                return v
            case s.Name(id="true"):
                return True
            case s.Name(id="false"):
                return False
            case s.Name(id=name):
                if name in self.scalars:
                    return self.scalars[name]
                return self.frame[name]
            case s.Paren(inner=inner):
                return self(inner)
            case s.Negate(operand=x):
                return -self(x)
            case s.Not(operand=x):
                return _logical(lambda a, _: ~a, self(x), None, self.frame.index)
            case s.BinOp(op=op, left=a, right=b):
                left, right = self(a), self(b)
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    try:
                        return _ARITHMETIC[op](left, right)
                    except (ArithmeticError, TypeError) as exc:  # 2.0**1e30, 1.0/0.0 on Python floats
                        raise DataError(f"cannot evaluate '{expr_text(e)}': {exc}") from None
            case s.Compare(op=op, left=a, right=b):
                left, right = self(a), self(b)
                for side, value in ((a, left), (b, right)):
                    if isinstance(value, float) and not isinstance(side, s.Number):
                        self.thresholds.append((expr_text(e), value))
                _refuse_text_against_numbers(e, a, left, b, right)
                return _compare(_COMPARE[op], left, right, self.frame.index)
            case s.BoolOp(op=op, left=a, right=b):
                fn = (lambda x, y: x & y) if op == "and" else (lambda x, y: x | y)
                return _logical(fn, self(a), self(b), self.frame.index)
            case s.Call(func=func, args=args) if func in _UNARY:
                with np.errstate(divide="ignore", invalid="ignore"):
                    return _UNARY[func](self(_positional(args[0])))
            case s.Call(func="mean" | "median" as func, args=args):
                return self._aggregate(func, e, args)
            case s.Call(func="W", args=(x, s.Name(id=weights))):
                if self.spatial is None:
                    raise DataError("W() can only be evaluated on region-level data")
                return self.spatial(self(_positional(x)), weights)
        raise DataError(f"cannot evaluate '{expr_text(e)}'")

    def _aggregate(self, func, e, args):
        values = pd.Series(self(args[0]), index=self.frame.index) if np.isscalar(self(args[0])) else self(args[0])
        if len(args) == 2:
            mask = _as_mask(self(args[1]), self.frame.index)
            values = values[mask]
        values = values.dropna()
        if values.empty:
            raise DataError(f"'{expr_text(e)}' has no non-missing values to aggregate")
        return float(values.mean() if func == "mean" else values.median())


def _is_text_column(value) -> bool:
    return isinstance(value, pd.Series) and (pd.api.types.is_object_dtype(value) or pd.api.types.is_string_dtype(value))


def _is_number_column(value) -> bool:
    return isinstance(value, pd.Series) and pd.api.types.is_numeric_dtype(value) and not pd.api.types.is_bool_dtype(value)


def _refuse_text_against_numbers(e: s.Compare, a: s.Expr, left, b: s.Expr, right) -> None:
    """`year == "2004"` on a numeric year, or `county == 3` on a text county, is False on every row: an empty sample, silently."""
    for side, value, other in ((a, left, b), (b, right, a)):
        if isinstance(other, s.String) and _is_number_column(value):
            raise DataError(
                f"'{expr_text(e)}' compares the numbers of '{expr_text(side)}' with the text \"{other.value}\", which no number equals",
                hint=f"drop the quotes: {_unquoted(e, other)}" if _is_numeral(other.value) else "compare it with a number, or check the column",
            )
        if isinstance(other, s.Number) and _is_text_column(value) and value.notna().any():
            raise DataError(
                f"'{expr_text(e)}' compares the text column '{expr_text(side)}' with the number {other.text}, which no text equals",
                hint=f'quote it: {expr_text(side)} {e.op} "{other.text}"',
            )


def _unquoted(e: s.Compare, text: s.String) -> str:
    number = s.Number(text.value.strip())
    return expr_text(s.Compare(e.op, number if e.left is text else e.left, number if e.right is text else e.right))


def _is_numeral(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_series(value, index) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return pd.Series(value, index=index)


def _compare(fn, a, b, index):
    a_s, b_s = _as_series(a, index), _as_series(b, index)
    result = fn(a_s, b_s).astype(float)
    result[a_s.isna() | b_s.isna()] = np.nan
    return result


def _logical(fn, a, b, index):
    a_s = _as_series(a, index).astype(float)
    b_s = _as_series(b if b is not None else 0.0, index).astype(float)
    result = fn(a_s.fillna(0).astype(bool), b_s.fillna(0).astype(bool)).astype(float)
    result[a_s.isna() | b_s.isna()] = np.nan
    return result


def _as_mask(value, index) -> pd.Series:
    """A where-condition as booleans; a missing condition excludes the row."""
    series = _as_series(value, index)
    return series.fillna(0).astype(bool)


as_mask = _as_mask


def _positional(a: s.Expr | s.Keyword) -> s.Expr:
    """A call's argument as an expression; the checker lets no keyword reach these calls."""
    if isinstance(a, s.Keyword):
        raise DataError(f"unexpected argument '{a.name}='")
    return a
