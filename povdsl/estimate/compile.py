"""Plan + frames -> Design: the exact matrices an estimator will see.

Every factor of the model's terms (a data column, a `let`, log(), I(), a
comparison, W, L, D, C, clusters) is computed by povdsl itself, through its
own evaluator, into a column with a generated name (`_v0`, `_v1`, ...).
formulaic receives nothing but those names joined by `+` and `:` (categorical
columns arrive with their levels renamed `l0`, `l1`, ...), so no text of the
spec or the data is ever parsed or evaluated by it (docs/security.md). Its
column names are mapped back to povdsl's canonical ones (`log(income)`,
`L1.n`, `C(x)[T.b]`). Nothing here fits anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace

import numpy as np
import pandas as pd
from formulaic import model_matrix
from formulaic.errors import FormulaicError

from povdsl.check.plan import ModelPlan
from povdsl.check.terms import Factor, ModelTerms, Term, lag_name
from povdsl.data.columns import frame_rows
from povdsl.data.evaluate import Evaluator, as_mask
from povdsl.data.frames import Frames, RunCache
from povdsl.errors import DataError
from povdsl.estimate.design import Design, Vcov
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

__all__ = ["Compiled", "compile_model", "lag_name", "sample"]

MAX_COLUMNS = 2_000  # columns of one design block
MAX_CELLS = 50_000_000  # rows x columns of one design block (400 MB of floats)
IDENTIFIER = re.compile(r"_v[0-9]+")  # the only names formulaic ever sees
_COLUMN_PART = re.compile(r"_v([0-9]+)(?:\[(T\.)?l([0-9]+)\])?")


@dataclass(frozen=True)
class Compiled:
    design: Design
    vcov: Vcov
    formula: str  # the formulas handed to formulaic (generated names only), for debugging
    sample_size: int  # rows after `where`, before listwise deletion


@dataclass(frozen=True)
class _Column:
    """A factor computed on the model's rows, under its generated name."""

    name: str  # _v0, _v1, ...
    factor: Factor
    values: pd.Series


class _Materialiser:
    """Computes each factor of a model on its rows; W/L/D/clusters columns are built once per run."""

    def __init__(self, frames: Frames, frame: pd.DataFrame, cache: RunCache):
        self.frames = frames
        self.frame = frame
        self.cache = cache  # the run's: derived columns shared by its models (Frames stays untouched)

    def values(self, f: Factor) -> pd.Series:
        """The factor's values on the model's rows, computed by povdsl (never by formulaic)."""
        e = f.expr
        if f.kind == "lag":
            return self._lag(e, f.lag)
        if f.kind == "column" and isinstance(e, s.Name):
            return self._name(e.id)
        if f.kind == "factor" and isinstance(e, s.Call) and isinstance(e.positional[0], s.Name):
            return self._name(e.positional[0].id)
        if f.kind == "difference" and isinstance(e, s.Call):
            (x,) = e.positional
            return self._derived(f.text, lambda: self._column(x) - self._shift(self._column(x), 1))
        if f.kind == "spatial" and isinstance(e, s.Call):
            x, w = e.positional
            return self._derived(f.text, lambda: self._spatial(x, _weights_name(w)))
        if f.kind == "cluster" and isinstance(e, s.Call):
            from povdsl.data.frames import clusters_on_units

            call = e
            return self._derived(f.text, lambda: clusters_on_units(self.frames, call, self.cache))
        return self._transform(f)

    def _name(self, name: str) -> pd.Series:
        if name in self.frame:
            return self.frame[name]
        if name in self.frames.scalars:
            return pd.Series(float(self.frames.scalars[name]), index=self.frame.index)
        raise DataError(f"the data has no column '{name}'")

    def _derived(self, name: str, build: Callable[[], pd.Series]) -> pd.Series:
        """A povdsl-computed column, built once per run on all unit rows and shared by every model."""
        cache = self.cache.derived
        if name not in cache:
            cache[name] = build().reindex(self.frames.unit.index)
        return cache[name].reindex(self.frame.index)

    def _transform(self, f: Factor) -> pd.Series:
        """log(), exp(), sqrt(), abs(), I(): the closed expression language on the model's rows.

        W() inside is materialised first and read back under a name no spec
        can write (`@0`); a value that is not finite where the inputs are
        (log(0), exp(age*1000)) is a DataError naming the term.
        """
        e = f.expr
        inner = e.positional[0] if isinstance(e, s.Call) and e.func == "I" else e
        frame = self.frame.copy(deep=False)
        rewritten = self._spatial_inputs(inner, frame)
        values = Evaluator(frame, self.frames.scalars)(rewritten)
        series = values if isinstance(values, pd.Series) else pd.Series(values, index=frame.index)
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            inputs = [frame[n.id] for n in _names(rewritten) if n.id in frame]
            known = np.logical_and.reduce([x.notna().to_numpy() for x in inputs]) if inputs else np.ones(len(series), bool)
            bad = known & ~np.isfinite(series.to_numpy(dtype=float))
            if bad.any():
                first = series.to_numpy(dtype=float)[bad][0]
                raise DataError(
                    f"'{f.text}' is not a finite number in {frame_rows(series.index, bad)} (the first is {first}); "
                    "check the transform's domain (log of 0 or a negative, exp of a large value)"
                )
        return series

    def _spatial_inputs(self, e: s.Expr, frame: pd.DataFrame) -> s.Expr:
        """e with every W(...) call replaced by a column of frame named @0, @1, ..."""
        def lagged(call: s.Call) -> s.Expr:
            name = f"@{sum(1 for c in frame.columns if str(c).startswith('@'))}"
            x, w = call.positional
            frame[name] = self._derived(expr_text(call), lambda: self._spatial(x, _weights_name(w)))
            return s.Name(name)

        return _rewrite(e, lambda n: lagged(n) if isinstance(n, s.Call) and n.func == "W" else None)

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

    def _lag(self, x: s.Expr, k: int) -> pd.Series:
        if k == 0 and isinstance(x, s.Name) and x.id in self.frame:  # L(x, 0) is the column x itself
            return self.frame[x.id]
        return self._derived(lag_name(expr_text(x), k), lambda: self._column(x) if k == 0 else self._shift(self._column(x), k))

    def _spatial(self, x: s.Expr, weights_name: str) -> pd.Series:
        f = self.frames
        region = f.region
        if region is None or (isinstance(x, s.Name) and x.id not in region.columns and x.id in f.unit.columns):
            region = _collapse_to_regions(f, x)
        values = Evaluator(region, f.scalars, spatial=f.spatial_lag)(x)
        lagged = f.spatial_lag(pd.Series(values, index=region.index), weights_name)
        return f.to_unit(lagged)


def _rewrite(node, fn: Callable[[object], s.Expr | None]):
    """node with every sub-node for which fn returns a replacement replaced."""
    new = fn(node)
    if new is not None:
        return new
    if isinstance(node, tuple):
        return tuple(_rewrite(n, fn) for n in node)
    if is_dataclass(node) and not isinstance(node, (type, s.Number, s.String, s.OpenBound)):
        return replace(node, **{f.name: _rewrite(getattr(node, f.name), fn) for f in fields(node) if f.compare})
    return node


def _weights_name(w: s.Expr) -> str:
    if not isinstance(w, s.Name):
        raise DataError(f"W() takes a weights name, not '{expr_text(w)}'")
    return w.id


def _collapse_to_regions(f: Frames, x: s.Expr) -> pd.DataFrame:
    """Region frame from unit rows, for povdsl.fit without a region table."""
    if f.region_col is None:
        raise DataError("W() needs region=: the column of the data that names each row's region")
    keys = [f.region_col] + ([f.time_col] if f.time_col else [])
    names = sorted({n.id for n in _names(x)} - set(f.scalars))
    grouped = f.unit.groupby(keys, sort=True)
    varying = [n for n in names if (grouped[n].nunique(dropna=False) > 1).any()]
    if varying:
        raise DataError(
            f"W() needs a region-level variable, but '{varying[0]}' varies within {' and '.join(keys)}",
            hint=f"W() lags one value per region: give the data one row per {' and '.join(keys)}, or declare the region-level columns in a key(region, time) data set",
        )
    return grouped[names].first()


def _names(e: s.Expr) -> list[s.Name]:
    from povdsl.check import walk

    return [n for n in walk(e) if isinstance(n, s.Name)]


# ------------------------------------------------------------- design blocks


def _is_categorical(column: _Column) -> bool:
    """What formulaic would encode as dummies: C(x), and text or categorical columns."""
    dtype = column.values.dtype
    return column.factor.kind == "factor" or dtype in ("object", "str") or isinstance(dtype, pd.CategoricalDtype)


def _recode(values: pd.Series) -> tuple[pd.Series, tuple[object, ...]]:
    """A categorical with formulaic's levels (pandas' category order) renamed l0, l1, ...; and those levels."""
    categories = values.astype("category")
    levels = tuple(categories.cat.categories)
    renamed = pd.Categorical.from_codes(categories.cat.codes.to_numpy(), categories=[f"l{i}" for i in range(len(levels))])
    return pd.Series(renamed, index=values.index), levels


Owners = list[frozenset[str] | None]  # per design column, the key of the term it belongs to (None: the intercept)


def _block(terms: tuple[Term, ...], columns: dict[str, _Column], intercept: bool, what: str) -> tuple[pd.DataFrame, str, Owners]:
    """One design block on the rows where its columns are complete, named canonically; its formula; each column's term."""
    used = list({f.text: columns[f.text] for t in terms for f in t.factors}.values())
    if used and all(t.degree == 1 for t in terms) and all(_plain_number(c) for c in used):
        _check_size(len(terms) + intercept, len(used[0].values), what)
        formula = " + ".join(["1" if intercept else "0", *(columns[t.factors[0].text].name for t in terms)])
        return _numeric_block(terms, columns, intercept), formula, [None] * intercept + [t.key for t in terms]
    data = pd.DataFrame({c.name: c.values for c in used}, index=next(iter(columns.values())).values.index)
    data = data[data.notna().all(axis=1).to_numpy()] if used else data
    levels: dict[str, tuple[object, ...]] = {}
    for c in used:
        if _is_categorical(c):
            data[c.name], levels[c.name] = _recode(data[c.name])
    width = sum(int(np.prod([max(len(levels.get(columns[f.text].name, (0,))), 1) for f in t.factors])) for t in terms)
    _check_size(width, len(data), what)
    names = [":".join(columns[f.text].name for f in t.factors) for t in terms]
    formula = " + ".join(["1" if intercept else "0", *names])
    plain = not levels and all(t.degree == 1 for t in terms) and not any(pd.api.types.is_bool_dtype(data[c.name]) for c in used)
    if plain:  # plain numeric columns: the design is the columns themselves
        out = data[names].set_axis([t.text for t in terms], axis=1)
        if intercept:
            out.insert(0, "Intercept", 1.0)
        return out, formula, [None] * intercept + [t.key for t in terms]
    if not all(IDENTIFIER.fullmatch(part) for name in names for part in name.split(":")):  # the guarantee, checked where it is made
        raise DataError(f"internal: a design formula with a name povdsl did not generate: {formula!r}")
    try:
        built = model_matrix(formula, data, na_action="raise", output="pandas")
    except (FormulaicError, ArithmeticError, ValueError, TypeError) as exc:
        raise DataError(f"cannot build the {what}: {str(exc).splitlines()[0][:300]}") from None
    matrix = pd.DataFrame(built)
    by_name = {c.name: c for c in used}
    owners: Owners = [None] * matrix.shape[1]
    for term, columns_of_term in built.model_spec.term_slices.items():  # formulaic's own term -> columns map
        factors = frozenset(by_name[str(f)].factor.text for f in term.factors if str(f) != "1")
        owners[columns_of_term] = [factors or None] * len(owners[columns_of_term])
    return matrix.set_axis([_canonical(str(n), by_name, levels) for n in matrix.columns], axis=1), formula, owners


def _check_size(width: int, rows: int, what: str) -> None:
    if width > MAX_COLUMNS or width * rows > MAX_CELLS:
        raise DataError(f"the {what} would have {width:,} columns on {rows:,} rows; the limit is {MAX_COLUMNS:,} columns and {MAX_CELLS:,} cells")


def _plain_number(column: _Column) -> bool:
    """A numpy integer or float column that is not C(x): it enters the design as it is."""
    dtype = column.values.dtype
    return column.factor.kind != "factor" and isinstance(dtype, np.dtype) and dtype.kind in "fiu"


def _numeric_block(terms: tuple[Term, ...], columns: dict[str, _Column], intercept: bool) -> pd.DataFrame:
    """A block of plain numeric columns as one float matrix (pandas' one-block frame, no per-column
    copies), on the rows where all are complete: formulaic's values for it as floats, built directly."""
    first = columns[terms[0].factors[0].text].values
    matrix = np.empty((len(first), len(terms) + intercept))
    if intercept:
        matrix[:, 0] = 1.0
    for j, term in enumerate(terms, start=int(intercept)):
        matrix[:, j] = columns[term.factors[0].text].values.to_numpy()
    index = first.index
    complete = ~np.isnan(matrix).any(axis=1)
    if not complete.all():
        matrix, index = matrix[complete], index[complete]
    names = ["Intercept"] * intercept + [t.text for t in terms]
    return pd.DataFrame(matrix, index=index, columns=names, copy=False)


def _canonical(name: str, by_name: dict[str, _Column], levels: dict[str, tuple[object, ...]]) -> str:
    """formulaic's column name over generated names -> the same name over povdsl's canonical texts."""
    if name == "Intercept":
        return name
    parts = []
    for part in name.split(":"):
        match = _COLUMN_PART.fullmatch(part)
        if match is None:
            raise DataError(f"unexpected design column '{name}'")
        column = by_name[f"_v{match.group(1)}"]
        text = column.factor.text
        if match.group(3) is not None:
            level = levels[column.name][int(match.group(3))]
            text += f"[T.{level}]" if match.group(2) else f"[{level}]"
        parts.append(text)
    return ":".join(parts)


def sample(model: ModelPlan, frames: Frames) -> tuple[pd.DataFrame, int]:
    """The unit rows the model may use, and how many were left out because its `where` condition is missing.

    Copy-on-write (pandas >= 3) makes a shallow copy private to the caller, so no column is duplicated here.
    """
    if model.where is None:
        return frames.unit.copy(deep=False), 0
    condition = Evaluator(frames.unit, frames.scalars)(model.where)
    missing = int(condition.isna().sum()) if isinstance(condition, pd.Series) else 0
    return frames.unit[as_mask(condition, frames.unit.index).to_numpy()], missing


def compile_model(model: ModelPlan, frames: Frames, cache: RunCache | None = None) -> Compiled:
    """Build the Design of one (non-dynamic) model; `cache` is the run's, so models share derived columns."""
    frame, missing_condition = sample(model, frames)  # a missing condition is a drop for missing values, and counted
    if frame.empty:
        raise DataError("no rows satisfy the where condition")
    layer = model.layer
    m = _Materialiser(frames, frame, cache if cache is not None else RunCache())
    columns: dict[str, _Column] = {}
    for f in layer.factors():
        columns[f.text] = _Column(f"_v{len(columns)}", f, m.values(f))
    if _is_categorical(columns[layer.outcome.text]):
        values = columns[layer.outcome.text].values
        as_text = pd.to_numeric(values.dropna(), errors="coerce").notna().all() and values.notna().any()
        raise DataError(
            f"the outcome '{layer.outcome.text}' must be one numeric column; it holds {'numbers stored as text' if as_text else 'text or categories'}",
            hint="store it as numbers in the data file (Stata: destring)" if as_text else None,
        )
    blocks = {"y": (Term((layer.outcome,)),), "exog": layer.exog}
    if layer.endog:
        blocks |= {"endog": layer.endog, "instruments": layer.instruments}
    built = {part: _block(terms, columns, model.intercept and part == "exog", _BLOCK_NAMES[part]) for part, terms in blocks.items()}
    # one column each: a cluster variable may also be the unit, time or another absorbed column (`fe(h) vcov cluster(h)`)
    named = dict(model.options).get("effects") or ()
    effects: tuple[str, ...] = tuple(str(e) for e in named) if isinstance(named, tuple | list) else ()
    extra = list(dict.fromkeys(c for c in (model.entity, model.time, *model.vcov_groups, *effects) if c))
    index = frame.index
    for data, _, _ in built.values():
        index = index.intersection(data.index, sort=False)
    if extra:
        index = index.intersection(frame[extra].dropna().index, sort=False)
    if len(index) == 0:
        _refuse_empty_sample(columns, frame, extra)
    # keep the frame's row order; when nothing was dropped that is the frame's own index (no hashing of a million labels)
    index = frame.index if len(index) == len(frame.index) else frame.index[frame.index.isin(index)]
    parts = {part: data if data.index.equals(index) else data.loc[index] for part, (data, _, _) in built.items()}
    rows = frame.loc[index, extra] if extra else None
    design = Design(
        y=parts["y"].iloc[:, 0].rename(layer.outcome.text),
        exog=parts["exog"],
        endog=parts.get("endog"),
        instruments=parts.get("instruments"),
        entity=rows[model.entity] if rows is not None and model.entity else None,
        time=rows[model.time] if rows is not None and model.time else None,
        groups=rows[list(model.vcov_groups)] if rows is not None and model.vcov_groups else None,
        effects=rows[list(effects)] if rows is not None and effects else None,
        dropped=len(frame) - len(index) + missing_condition,
        order=_written_order(layer, built["exog"][2] + (built["endog"][2] if "endog" in built else [])),
    )
    formula = f"{built['y'][1][4:]} ~ {built['exog'][1]}"
    if "endog" in built:
        formula += f" | {built['endog'][1][4:]} ~ {built['instruments'][1][4:]}"
    return Compiled(design, Vcov.requested(model.vcov_kind, model.vcov_groups), formula, len(frame))


def _refuse_empty_sample(columns: dict[str, _Column], frame: pd.DataFrame, extra: list[str]) -> None:
    """Every row lacks some variable: name the variables missing most, so the cause is found (a W() reaching a region without data)."""
    missing = {text: int(c.values.isna().sum()) for text, c in columns.items()} | {c: int(frame[c].isna().sum()) for c in extra}
    everywhere = [text for text, n in missing.items() if n == len(frame)]
    if everywhere:
        shown = ", ".join(f"'{text}'" for text in everywhere[:5])
        message = f"no row has every variable of the model: {shown} {'is' if len(everywhere) == 1 else 'are'} missing in every row"
    else:
        counts = sorted(((n, text) for text, n in missing.items() if n), key=lambda p: -p[0])[:3]
        shown = ", ".join(f"'{text}' in {n:,}" for n, text in counts)
        message = f"no row has every variable of the model: each row lacks one of them ({shown} of {len(frame):,} rows missing)"
    spatial = any(c.factor.kind == "spatial" and missing[text] for text, c in columns.items())
    hint = (
        "W(x) is missing wherever a region's row of the weight matrix reaches a region without a value of x: "
        "a region of the weights that the region data lacks, or a missing x there"
        if spatial
        else "check for variables that are missing in most rows, or a `where` that keeps only rows where one is missing"
    )
    raise DataError(message, hint=hint)


def _written_order(layer: ModelTerms, owners: Owners) -> tuple[int, ...]:
    """Positions of the exog then endog columns in the spec's order: intercept, then each term where it is written."""
    rank = {t.key: i for i, t in enumerate(layer.written)}
    return tuple(sorted(range(len(owners)), key=lambda i: (-1 if (key := owners[i]) is None else rank.get(key, len(rank)), i)))


_BLOCK_NAMES = {"y": "outcome", "exog": "design", "endog": "endogenous block", "instruments": "instrument block"}
