"""Plan + frames -> Design: the exact matrices an estimator will see.

povdsl's own terms (W, L, D and every `let`) are materialised as columns named
by their canonical text; formulaic then builds the design from a formula that
povdsl prints from its checked syntax tree (never from the user's text), with
those columns quoted in backticks. Nothing here fits anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import model_matrix
from formulaic.errors import FormulaicError

from povdsl.language import syntax as s
from povdsl.data.frames import Frames
from povdsl.estimate.design import Design, Vcov
from povdsl.errors import DataError
from povdsl.data.evaluate import Evaluator, as_mask
from povdsl.check.plan import ModelPlan
from povdsl.language.printer import expr_text

# What formulaic may call: these names only, bound to numpy.
FORMULA_CONTEXT = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


@dataclass(frozen=True)
class Compiled:
    design: Design
    vcov: Vcov
    formula: str  # the formula handed to formulaic, for explain and debugging
    sample_size: int  # rows after `where`, before listwise deletion


def lag_name(var: str, k: int) -> str:
    return var if k == 0 else f"L{k}.{var}"


class _Materialiser:
    """Adds the columns of povdsl's own terms to a working frame, once each."""

    def __init__(self, frames: Frames, frame: pd.DataFrame):
        self.frames = frames
        self.frame = frame
        self.made: set[str] = set()  # derived columns this materialiser added to its frame

    def _claim(self, name: str) -> bool:
        """True when `name` must be added; a data column of that name is refused, never trusted."""
        if name in self.made:
            return False
        if name in self.frame:
            raise DataError(f"the data has a column named '{name}', which is the name of a derived term; rename the column")
        self.made.add(name)
        return True

    def term(self, e: s.Expr) -> str:
        """Formulaic text for a term, materialising W/L/D columns as needed."""
        match e:
            case s.Call(func="W", args=(x, w)):
                return self._derived(e, lambda: self._spatial(x, w.id))
            case s.Call(func="L", args=(x, lags)):
                from povdsl.check.signatures import _lag_range

                first, last = _lag_range(lags)
                names = [self._lag(x, k) for k in range(first, last + 1)]
                return " + ".join(_quote(n) for n in names) if len(names) == 1 else "(" + " + ".join(_quote(n) for n in names) + ")"
            case s.Call(func="D", args=(x,)):
                return self._derived(e, lambda: self._column(x) - self._shift(self._column(x), 1))
            case s.Call(func="clusters"):
                from povdsl.data.frames import clusters_on_units

                return self._derived(e, lambda: clusters_on_units(self.frames, e))
            case s.Call(func=func, args=(s.Name(id=name) as x,)) if func in FORMULA_CONTEXT and self._numeric(name):
                # log(income): the same numpy function formulaic would call, computed once for every model
                return self._derived(e, lambda: FORMULA_CONTEXT[func](self._column(x)))
            case s.Call(func=func, args=args):
                return f"{func}({', '.join(self.inner(a) for a in args)})"
            case s.BinOp(op=op, left=a, right=b):
                sep = op if op in (":", "**") else f" {op} "
                return f"{self.term(a)}{sep}{self.term(b)}"
            case s.Paren(inner=inner):
                return f"({self.term(inner)})"
            case s.Name(id=name):
                return _quote(name)
            case s.Number(text=t):
                return t
        return expr_text(e)

    def _derived(self, e: s.Expr, build) -> str:
        """A povdsl-computed column, built once per run on all unit rows and shared by every model."""
        name = expr_text(e)
        if self._claim(name):
            cache = self.frames.derived
            if name not in cache:
                cache[name] = build().reindex(self.frames.unit.index)
            self.frame[name] = cache[name].reindex(self.frame.index)
        return _quote(name)

    def inner(self, e, constant: bool = False) -> str:
        """Arguments of formulaic-side functions: names quoted, arithmetic kept.

        formulaic evaluates this text with Python, where 9**9**9 is an integer
        that never finishes; a power without variables is printed with float
        literals, which overflow at once (docs/security.md).
        """
        if isinstance(e, s.Name):
            return _quote(e.id)
        if isinstance(e, s.BinOp):
            constant = constant or (e.op == "**" and not _names(e))
            sep = f" {e.op} " if e.op not in ("**",) else "**"
            return f"{self.inner(e.left, constant)}{sep}{self.inner(e.right, constant)}"
        if isinstance(e, s.Paren):
            return f"({self.inner(e.inner, constant)})"
        if isinstance(e, s.Negate):
            return f"-{self.inner(e.operand, constant)}"
        if isinstance(e, s.Call):
            return self.term(e)
        if isinstance(e, s.Number) and constant:
            return repr(e.value)
        return expr_text(e)

    def _numeric(self, name: str) -> bool:
        column = self.frames.unit.get(name)
        return column is not None and pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)

    def _column(self, x: s.Expr) -> pd.Series:
        unit = self.frames.unit
        if isinstance(x, s.Name):
            return unit[x.id].astype(float)
        return pd.Series(np.asarray(Evaluator(unit, self.frames.scalars)(x), dtype=float), index=unit.index)

    def _shift(self, values: pd.Series, k: int) -> pd.Series:
        """Lag within unit by the time value, on all rows (a `where` must not cut a lag's history)."""
        from povdsl.estimate.dynpanel import lag

        f = self.frames
        if f.unit_col is None or f.time_col is None:
            raise DataError("L() and D() need panel data: declare panel(unit, time)")
        lagged = lag(values.to_numpy(), f.unit[f.unit_col].to_numpy(), f.unit[f.time_col].to_numpy(), k)
        return pd.Series(np.asarray(lagged, dtype=float), index=f.unit.index)

    def _lag(self, x: s.Expr, k: int) -> str:
        name = lag_name(expr_text(x), k)
        if k == 0 and isinstance(x, s.Name) and name in self.frame:  # L(x, 0) is the column x itself
            return name
        if self._claim(name):
            cache = self.frames.derived
            if name not in cache:
                base = self._column(x)
                cache[name] = base if k == 0 else self._shift(base, k)
            self.frame[name] = cache[name].reindex(self.frame.index)
        return name

    def _spatial(self, x: s.Expr, weights_name: str) -> pd.Series:
        f = self.frames
        region = f.region
        if region is None or (isinstance(x, s.Name) and x.id not in region.columns and x.id in f.unit.columns):
            region = _collapse_to_regions(f, x)
        values = Evaluator(region, f.scalars, spatial=f.spatial_lag)(x)
        lagged = f.spatial_lag(pd.Series(values, index=region.index), weights_name)
        return f.to_unit(lagged)


def _collapse_to_regions(f: Frames, x: s.Expr) -> pd.DataFrame:
    """Region frame from unit rows, for povdsl.fit without a region table."""
    if f.region_col is None:
        raise DataError("W() needs region=: the column of the data that names each row's region")
    keys = [f.region_col] + ([f.time_col] if f.time_col else [])
    names = sorted({n.id for n in _names(x)} - set(f.scalars))
    grouped = f.unit.groupby(keys, sort=True)
    varying = [n for n in names if (grouped[n].nunique(dropna=False) > 1).any()]
    if varying:
        raise DataError(f"W() needs a region-level variable, but '{varying[0]}' varies within {' and '.join(keys)}")
    return grouped[names].first()


def _names(e):
    from povdsl.check import walk

    return [n for n in walk(e) if isinstance(n, s.Name)]


def _quote(name: str) -> str:
    if name.isidentifier():
        return name
    return "`" + name.replace("`", "") + "`"


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|`[^`]+`")


def _plain_columns(terms: list[str], frame: pd.DataFrame) -> list[str] | None:
    """The column names when every term is a numeric column as it stands, else None.

    Such a design is the columns themselves: formulaic would return exactly
    them, with their dtypes and names, after dropping the same rows. Only
    that identity skips formulaic; categoricals, booleans, transforms and
    interactions always go through it.
    """
    names: list[str] = []
    for term in terms:
        if not _PLAIN.fullmatch(term):
            return None
        name = term.strip("`")
        column = frame.get(name)
        if column is None or not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            return None
        if name not in names:
            names.append(name)
    return names


def _matrix(terms: list[str], frame: pd.DataFrame, intercept: bool) -> pd.DataFrame:
    plain = _plain_columns(terms, frame)
    if plain is not None:
        data = frame[plain]
        data = data[data.notna().all(axis=1).to_numpy()].copy()
        if intercept:
            data.insert(0, "Intercept", 1.0)
        return data
    formula_rhs = " + ".join(terms)
    text = ("1 + " if intercept else "0 + ") + formula_rhs if formula_rhs else ("1" if intercept else "0")
    try:
        mm = model_matrix(text, frame, context=FORMULA_CONTEXT, na_action="drop", output="pandas")
    except (FormulaicError, ArithmeticError, ValueError, TypeError) as exc:
        raise DataError(f"cannot build the design '{text}': {str(exc).splitlines()[0][:300]}") from None
    return pd.DataFrame(mm)


def _plain_parts(terms: dict[str, list[str]], frame: pd.DataFrame, keys: list[str], intercept: bool):
    """Every part plain columns: one missing-value mask over all of them and the keys, one slice each."""
    columns = {part: _plain_columns(texts, frame) for part, texts in terms.items()}
    if any(names is None for names in columns.values()):
        return None
    needed = list(dict.fromkeys([name for names in columns.values() for name in names] + keys))
    complete = np.logical_and.reduce([frame[name].notna().to_numpy() for name in needed])
    index = frame.index[complete]
    parts = {}
    for part, names in columns.items():
        data = {"Intercept": np.ones(len(index))} if intercept and part == "exog" else {}
        data |= {name: frame[name].to_numpy()[complete] for name in names}
        parts[part] = pd.DataFrame(data, index=index, columns=list(data))
    return parts, index


def _formulaic_parts(terms: dict[str, list[str]], frame: pd.DataFrame, keys: list[str], intercept: bool):
    """Any part that needs formulaic: each part drops its own missing rows, the design keeps the rows all kept."""
    parts = {part: _matrix(texts, frame, intercept and part == "exog") for part, texts in terms.items()}
    index = frame.index
    for part in parts.values():
        index = index.intersection(part.index, sort=False)
    if keys:
        index = index.intersection(frame[keys].dropna().index, sort=False)
    return parts, frame.index[frame.index.isin(index)]  # keep the frame's row order


def sample(model: ModelPlan, frames: Frames) -> tuple[pd.DataFrame, int]:
    """The unit rows the model may use, and how many were left out because its `where` condition is missing."""
    if model.where is None:
        return frames.unit.copy(), 0
    condition = Evaluator(frames.unit, frames.scalars)(model.where)
    missing = int(condition.isna().sum()) if isinstance(condition, pd.Series) else 0
    return frames.unit[as_mask(condition, frames.unit.index).to_numpy()].copy(), missing


def compile_model(model: ModelPlan, frames: Frames) -> Compiled:
    """Build the Design of one (non-dynamic) model."""
    frame, missing_condition = sample(model, frames)  # a missing condition is a drop for missing values, and counted
    if frame.empty:
        raise DataError("no rows satisfy the where condition")
    m = _Materialiser(frames, frame)
    endog_texts = {expr_text(t) for t in model.endog}
    exog_terms = [m.term(t) for t in model.terms if expr_text(t) not in endog_texts]
    outcome = m.term(model.outcome)
    endog_terms = [m.term(t) for t in model.endog]
    instrument_terms = [m.term(t) for t in model.instruments]
    frame = m.frame
    terms = {"y": [outcome], "exog": exog_terms}
    if endog_terms:
        terms |= {"endog": endog_terms, "instruments": instrument_terms}
    # one column each: a cluster variable may also be the unit or time column (`fe(h) vcov cluster(h)`)
    extra = list(dict.fromkeys(c for c in (model.entity, model.time, *model.vcov_groups) if c))
    parts, index = _plain_parts(terms, frame, extra, model.intercept) or _formulaic_parts(terms, frame, extra, model.intercept)
    parts = {part: data if data.index is index else data.loc[index] for part, data in parts.items()}
    rows = frame.loc[index, extra] if extra else None
    y = parts["y"]
    if y.shape[1] != 1:
        raise DataError(f"the outcome '{expr_text(model.outcome)}' must be one numeric column, got {y.shape[1]}")
    design = Design(
        y=y.iloc[:, 0].rename(expr_text(model.outcome)),
        exog=parts["exog"],
        endog=parts.get("endog"),
        instruments=parts.get("instruments"),
        entity=rows[model.entity] if model.entity else None,
        time=rows[model.time] if model.time else None,
        groups=rows[list(model.vcov_groups)] if model.vcov_groups else None,
        dropped=len(frame) - len(index) + missing_condition,
    )
    formula = f"{outcome} ~ {' + '.join(exog_terms) or '1'}"
    if endog_terms:
        formula += f" | {' + '.join(endog_terms)} ~ {' + '.join(instrument_terms)}"
    return Compiled(design, Vcov(model.vcov_kind, model.vcov_groups), formula, len(frame))
