"""Plan -> frames: read the declared files, build weights, evaluate every `let`.

Region-level variables live on a frame indexed by (region, time) covering
every region of the region table; they reach households by a merge on the
household's region and year. W() lags are taken on that full region frame,
so regions without sampled households still contribute, as the paper defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from povdsl.check import walk
from povdsl.check.plan import DataPlan, LetPlan, Plan, WeightsPlan
from povdsl.data.clusters import cluster_matrix, cluster_table, counts_from_table, prefix_columns
from povdsl.data.columns import apply_na, comma_numbers, infinite_cells, is_date, is_text, row_list, stray_text, text_levels
from povdsl.data.evaluate import Evaluator
from povdsl.data.files import PLAIN, FileProblem, ReadOptions, read_frame
from povdsl.data.notes import Notice, Threshold
from povdsl.data.panel_rows import refuse_repeated_panel_rows
from povdsl.data.weights import Weights
from povdsl.errors import DataError, Span
from povdsl.language import syntax as s
from povdsl.language.functions import CLUSTER_DEFAULTS
from povdsl.language.printer import expr_text


@dataclass
class RunCache:
    """Columns and tables built once per run and shared by its models: owned by the run, passed in, never kept in Frames.

    `povdsl run` makes one and hands it to load, compile and sweeps; a caller
    that passes none gets a fresh one per call (same results, built again).
    """

    derived: dict[str, pd.Series] = field(default_factory=dict)  # W/L/D/clusters columns on unit rows, by term text
    cluster_tables: dict[tuple, pd.DataFrame] = field(default_factory=dict)  # location quotients, once per rule
    cluster_matrices: dict[tuple, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # the same as region cell x industry indicators, and the industry codes (sorted)
    unit_cells: np.ndarray | None = None  # each unit row's position among the region cells (-1: none), see region_positions


@dataclass(frozen=True)
class Frames:
    """Everything the data stage hands on, complete when `load` returns; it pickles, and later stages never write into it."""

    unit: pd.DataFrame  # the units' frame (panel or cross-section) with region variables and unit-level lets merged in
    region: pd.DataFrame | None  # indexed by (region, time)
    weights: Mapping[str, Weights]
    unit_col: str | None
    time_col: str | None
    region_col: str | None  # column of `unit` that links to regions
    scalars: Mapping[str, float] = field(default_factory=dict)
    lines: tuple[Threshold, ...] = ()  # values computed inside lets, e.g. poverty lines
    sources: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # every data set as read
    notices: tuple[Notice, ...] = ()  # text columns turned into dummies, isolated regions
    cells: Mapping[tuple[str, ...], pd.Index] = field(default_factory=dict, repr=False, compare=False)  # each unit row's region (and time) key

    def __post_init__(self) -> None:
        if not self.cells and self.region_col is not None and self.region_col in self.unit.columns:
            keys: dict[tuple[str, ...], pd.Index] = {(self.region_col,): pd.Index(self.unit[self.region_col])}
            if self.time_col is not None:
                keys[(self.region_col, self.time_col)] = pd.MultiIndex.from_frame(self.unit[[self.region_col, self.time_col]])
            object.__setattr__(self, "cells", keys)  # derived from the fields, once, while the object is being made

    def spatial_lag(self, x: pd.Series, weights_name: str) -> pd.Series:
        """W @ x period by period on the region frame."""
        w = self.weights[weights_name]
        if self.time_col and isinstance(x.index, pd.MultiIndex):
            return w.lag_panel(x, x.index.names[1])
        return w.lag(x)

    def to_unit(self, region_values: pd.Series) -> pd.Series:
        """Broadcast a (region, time)-indexed series onto the unit frame's rows."""
        if self.region_col is None:
            raise DataError("region-level values need region(column) on the units' data set")
        keys = (self.region_col,) + ((self.time_col,) if self.time_col and isinstance(region_values.index, pd.MultiIndex) else ())
        cells = self.cells[keys]
        positions = region_values.index.get_indexer(cells)
        if (positions < 0).any():  # a unit in a region (or year) the region data lacks: missing, as reindex makes it
            return pd.Series(region_values.reindex(cells).to_numpy(), index=self.unit.index)
        return pd.Series(region_values.to_numpy()[positions], index=self.unit.index)


def read_table(path: str, what: str, options: ReadOptions = PLAIN, span: Span | None = None) -> pd.DataFrame:
    """A data file as a frame, under the bounds of povdsl.data.files; a problem is a DataError at the declaration."""
    try:
        return read_frame(path, options)
    except FileProblem as exc:
        raise DataError(f"{what}: {exc.message}", span=span, hint=exc.hint) from None


def _read_data(d: DataPlan, used: set[str], groups: set[str]) -> pd.DataFrame:
    frame = apply_na(read_table(d.path, f"data set '{d.name}'", ReadOptions(d.na, d.compression), _at(d.span)), d.na)
    _refuse_unusable_columns(d, frame, used, groups)
    return frame


def _refuse_unusable_columns(d: DataPlan, frame: pd.DataFrame, used: set[str], groups: set[str], in_memory: bool = False) -> None:
    """A used column that is numbers with a few text cells (never silently a factor), holds an infinity, or is a date stops the run."""
    for column in frame.columns:
        if column in used:
            _refuse_infinite(d, frame[column], str(column), in_memory)
            commas = comma_numbers(frame[column])
            if commas is not None:
                raise DataError(
                    f"data set '{d.name}': column '{column}' holds numbers written with a comma ({', '.join(map(repr, commas))}), which are read as text",
                    span=_at(d.span),
                    hint="povdsl reads numbers with a decimal point and no thousands separator (2672, 1.25): save the file that way, or convert the column",
                )
            if is_date(frame[column]) and column not in groups | {d.unit, d.time, d.region}:
                raise DataError(
                    f"data set '{d.name}': column '{column}' holds dates ({frame[column].dtype}), which a model cannot use as numbers",
                    span=_at(d.span),
                    hint=f"derive a number from it before povdsl reads the data (e.g. the year: df[{str(column)!r}].dt.year), or use it only as panel time or a cluster",
                )
            stray = stray_text(frame[column], str(column))
            if stray is not None:
                hint = (
                    f"if these mean missing, make them NaN, e.g. pd.to_numeric(df[{str(column)!r}], errors='coerce'); otherwise fix the cells"
                    if in_memory
                    else stray.hint()
                )
                raise DataError(stray.message(d.name), span=_at(d.span), hint=hint)


def _refuse_infinite(d: DataPlan, series: pd.Series, column: str, in_memory: bool) -> None:
    found = infinite_cells(series)
    if found is None:
        return
    count, rows = found
    fix = "make them NaN (missing) or fix them" if in_memory else "leave the cells empty if they mean missing, or fix them"
    raise DataError(
        f"data set '{d.name}': column '{column}' holds {count} infinite value{'s' if count != 1 else ''} in {row_list(rows, count)}",
        span=_at(d.span),
        hint=f"an infinity ('inf' in a CSV, an overflow in the export) is not a number a model can use: {fix}",
    )


def _read_weights(w: WeightsPlan) -> Weights:
    if w.transform in ("queen", "rook"):
        from povdsl.data.contiguity import from_polygons

        try:
            return from_polygons(w.path, w.origin, w.transform, row_standardize=w.row_standardize)
        except DataError as exc:
            raise DataError(f"weights '{w.name}': {exc.message}", span=_at(w.span), hint=exc.hint) from None
    table = read_table(w.path, f"weights '{w.name}'", span=_at(w.span))
    try:
        if w.transform != "inverse":
            from povdsl.data.coordinate_weights import from_coordinates

            return from_coordinates(
                table, w.origin, w.destination, w.value, w.transform, k=w.k, threshold=w.threshold, binary=w.binary,
                alpha=w.alpha if w.transform == "distance_band" and w.alpha != 1.0 else -1.0,
                bandwidth=w.bandwidth, function=w.function, fixed=w.fixed, row_standardize=w.row_standardize,
            )
        return Weights.from_table(table, w.origin, w.destination, w.value, w.transform, alpha=w.alpha, row_standardize=w.row_standardize, cutoff=w.cutoff, k=w.k)
    except DataError as exc:
        raise DataError(f"weights '{w.name}': {exc.message}", span=_at(w.span), hint=exc.hint) from None


def load(
    plan: Plan, *, tables: dict[str, pd.DataFrame] | None = None, weights: dict[str, Weights] | None = None, cache: RunCache | None = None
) -> Frames:
    """Read every data set and weight matrix of the plan and evaluate the lets.

    The frames are filled here and only here; the returned object is final.
    `cache` (the run's) keeps the cluster tables for the sweeps that follow.
    """
    cache = cache if cache is not None else RunCache()
    tables = dict(tables or {})
    used = used_names(plan)
    groups = {g for m in plan.models for g in (*m.vcov_groups, m.entity, m.time) if g}  # only group rows: a date is fine there
    for d in plan.data:
        if d.name not in tables:
            tables[d.name] = _read_data(d, used, groups)
        else:  # a frame given in memory (povdsl.fit): stray text is refused there too, never made a factor
            _refuse_unusable_columns(d, tables[d.name], used, groups, in_memory=True)
    built = dict(weights or {})
    for w in plan.weights:
        if w.name not in built:
            built[w.name] = _read_weights(w)
    panel = plan.panel
    if panel is None:
        raise DataError("no data set of units is declared (every data set is key(region, time))")
    if tables[panel.name].empty:  # a header-only file: every model would fail with its own misleading message
        raise DataError(f"data set '{panel.name}' has no rows", span=_at(panel.span), hint="the models are fitted on its rows: is it the right file, or was the export cut off after the header?")
    if panel.unit is not None and panel.time is not None:
        refuse_repeated_panel_rows(panel.name, tables[panel.name], panel.unit, panel.time, _at(panel.span))
    unit = tables[panel.name].copy()
    region = _region_frame(plan, tables, panel)
    present = region.index.get_level_values(0).unique() if region is not None else _unit_regions(unit, panel.region)
    notices = _weights_coverage(plan, present, built)
    if region is not None:
        notices += _regions_without_data(plan, present, built) + _units_outside_regions(panel, unit, present)
    scalars: dict[str, float] = {}
    frames = Frames(unit, region, built, panel.unit, panel.time, panel.region, scalars=scalars, sources=tables)
    if region is not None:
        unit = _with_columns(unit, {column: frames.to_unit(region[column]) for column in region.columns if column not in unit.columns})
        frames = replace(frames, unit=unit, cells=frames.cells)
    lines: list[Threshold] = []
    added = _Added(frames)
    for let in plan.lets:
        try:
            lines.extend(_evaluate_let(added, let, tables, scalars, cache))
        except DataError as exc:
            raise DataError(f"let '{let.name}': {exc.message}", span=_at(let.span), hint=exc.hint) from None
    unit = _with_columns(frames.unit, added.unit.columns)
    region = _with_columns(frames.region, added.region.columns) if frames.region is not None and added.region is not None else None
    frames = replace(frames, unit=unit, region=region, cells=frames.cells)
    return replace(frames, lines=tuple(lines), notices=tuple(notices + text_factor_notices(plan, unit)), cells=frames.cells)


def _with_columns(frame: pd.DataFrame, columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The frame with these columns set (replaced where they exist, else appended in order), joined in one step.

    Setting columns one at a time costs pandas time in the number of columns
    already there, so a region file of 20,000 columns (700 kB) or a chain of
    20,000 lets took minutes; one concat is linear.
    """
    if not columns:
        return frame
    for name in [c for c in columns if c in frame.columns]:
        frame[name] = columns[name]
    new = {name: value for name, value in columns.items() if name not in frame.columns}
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1) if new else frame


@dataclass
class _Columns:
    """A frame and the columns computed for it since, read as one frame by the lets' evaluator."""

    frame: pd.DataFrame
    columns: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def index(self) -> pd.Index:
        return self.frame.index

    def __getitem__(self, name: str) -> pd.Series:
        return self.columns[name] if name in self.columns else self.frame[name]

    def __setitem__(self, name: str, value: object) -> None:
        self.columns[name] = value if isinstance(value, pd.Series) else pd.Series(value, index=self.frame.index)


class _Added:
    """The frames while lets are evaluated: their new columns are kept aside and joined once, by `_with_columns`."""

    def __init__(self, frames: Frames):
        self.frames = frames
        self.unit = _Columns(frames.unit)
        self.region = _Columns(frames.region) if frames.region is not None else None
        self.scalars = frames.scalars

    def to_unit(self, region_values: pd.Series) -> pd.Series:
        return self.frames.to_unit(region_values)

    def spatial_lag(self, x: pd.Series, weights_name: str) -> pd.Series:
        return self.frames.spatial_lag(x, weights_name)


def used_names(plan: Plan) -> set[str]:
    """Every name the spec's lets and models mention: the columns whose content must be checked."""
    names: set[str] = set()
    for let in plan.lets:
        names.update(n.id for n in walk(let.expr) if isinstance(n, s.Name))
    for m in plan.models:
        for part in (m.outcome, *m.terms, *m.endog, *m.instruments, m.where):
            names.update(n.id for n in walk(part) if isinstance(n, s.Name))
        names.update(g for g in (*m.vcov_groups, m.entity, m.time) if g)
    return names


def _formula_names(term: s.Expr) -> list[str]:
    """Plain names a formula term uses as columns (through `:` and `*`), not those inside C() or functions."""
    match term:
        case s.Name(id=name):
            return [name]
        case s.BinOp(op=":" | "*", left=a, right=b):
            return _formula_names(a) + _formula_names(b)
        case s.Paren(inner=inner):
            return _formula_names(inner)
    return []


def text_factor_notices(plan: Plan, unit: pd.DataFrame) -> list[Notice]:
    """A text column used as a regressor becomes dummies, as in R; said aloud unless the user wrote C(x)."""
    notices = []
    for m in plan.models:
        said: set[str] = set()
        for term in m.terms:
            for name in _formula_names(term):
                if name in said or name not in unit.columns or not is_text(unit[name]):
                    continue
                said.add(name)
                levels = text_levels(unit[name], name)
                notices.append(
                    Notice(
                        "note",
                        f"model '{m.name}': text column '{name}' becomes {levels.levels - 1} {'dummy' if levels.levels == 2 else 'dummies'} ({levels.levels} levels, base level '{levels.base}'); write C({name}) to say so",
                        _at(m.span),
                    )
                )
    return notices


def _unit_regions(unit: pd.DataFrame, region_col: str | None) -> pd.Index | None:
    """Without a region table, the regions W() collapses units to are those of the units' region column."""
    if region_col is None or region_col not in unit.columns:
        return None
    return pd.Index(unit[region_col].dropna().unique())


def _weights_coverage(plan: Plan, present: pd.Index | None, built: dict[str, Weights]) -> list[Notice]:
    """Every region of the data must be in each weight matrix; a region with no neighbours is said."""
    notices = []
    spans = {w.name: _at(w.span) for w in plan.weights}
    for name, w in built.items():
        if present is not None:
            missing = present.difference(w.regions)
            if len(missing):
                shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
                raise DataError(
                    f"weights '{name}': {len(missing)} region{'s' if len(missing) != 1 else ''} of the region data {'are' if len(missing) != 1 else 'is'} missing from the weight matrix: {shown}",
                    span=spans.get(name),
                    hint="add their rows to the weights file, or drop them from the region data",
                )
        isolated = w.isolated
        if len(isolated):
            shown = ", ".join(map(str, isolated[:10])) + (", ..." if len(isolated) > 10 else "")
            notices.append(Notice("warning", f"weights '{name}': {len(isolated)} region{'s' if len(isolated) != 1 else ''} with an all-zero weight row (W(x) is 0 there): {shown}", spans.get(name)))
    return notices


def _regions_without_data(plan: Plan, present: pd.Index, built: dict[str, Weights]) -> list[Notice]:
    """Regions of a weight matrix that the region data lacks: W() of a region variable is missing wherever their weight is not 0.

    Not an error (a kNN matrix may reach only a few regions), but said, since
    with a dense matrix (inverse travel times) it empties every W() term.
    """
    notices = []
    for w in plan.weights:
        weights = built.get(w.name)
        if weights is None:
            continue
        extra = weights.regions.difference(present)
        if len(extra):
            shown = ", ".join(map(str, extra[:10])) + (", ..." if len(extra) > 10 else "")
            notices.append(
                Notice(
                    "warning",
                    f"weights '{w.name}': {len(extra)} region{'s' if len(extra) != 1 else ''} of the weight matrix {'have' if len(extra) != 1 else 'has'} no row in the region data ({shown}); W() of a region variable is missing for every region linked to {'them' if len(extra) != 1 else 'it'}",
                    _at(w.span),
                )
            )
    return notices


def _units_outside_regions(panel: DataPlan, unit: pd.DataFrame, present: pd.Index) -> list[Notice]:
    """Unit rows whose region the region data lacks: their region variables are missing, and the rows dropped, so it is said."""
    if panel.region is None or panel.region not in unit.columns:
        return []
    regions = unit[panel.region]
    outside = regions.notna().to_numpy() & ~regions.isin(present).to_numpy()
    count = int(outside.sum())
    if not count:
        return []
    unknown = pd.unique(regions[outside])
    shown = ", ".join(map(str, unknown[:10])) + (", ..." if len(unknown) > 10 else "")
    return [
        Notice(
            "warning",
            f"data set '{panel.name}': {count} row{'s have' if count != 1 else ' has'} a {panel.region} the region data lacks ({shown}); their region variables are missing and models drop them",
            _at(panel.span),
        )
    ]


def _region_frame(plan: Plan, tables: Mapping[str, pd.DataFrame], panel: DataPlan) -> pd.DataFrame | None:
    regions = [d for d in plan.data if d.role == "region"]
    merged: pd.DataFrame | None = None
    for d in regions:
        frame = tables[d.name].set_index([d.region, d.time]).sort_index()
        if frame.index.has_duplicates:
            dup = frame.index[frame.index.duplicated()][0]
            raise DataError(
                f"data set '{d.name}' has more than one row for {d.region}={dup[0]}, {d.time}={dup[1]}",
                span=_at(d.span),
                hint=f"a key({d.region}, {d.time}) table holds one row per region and period: drop or aggregate the duplicates",
            )
        merged = frame if merged is None else merged.join(frame, how="outer", rsuffix=f"_{d.name}")
    if merged is None:
        return None
    if panel.region is None:
        raise DataError(f"data set '{panel.name}' needs region(column) to link its rows to the region table", span=_at(panel.span))
    if panel.time is None:
        raise DataError(
            f"data set '{panel.name}' is a cross-section; region data keyed by (region, time) link to units through panel(unit, time)", span=_at(panel.span)
        )
    merged.index = merged.index.set_names([panel.region, panel.time])
    return merged


def _evaluate_let(frames: _Added, let: LetPlan, tables: Mapping[str, pd.DataFrame], scalars: dict[str, float], cache: RunCache) -> list[Threshold]:
    """Adds the let's column to the frames being built (or its value to `scalars`); returns the thresholds it computed."""
    if let.level == "region":
        if frames.region is None:
            raise DataError(f"'{let.name}' is region-level but no key(region, time) data set is declared")
        value = _region_value(frames, let.expr, tables, cache)
        frames.region[let.name] = value
        frames.unit[let.name] = frames.to_unit(value)
        return []
    evaluator = Evaluator(frames.unit, frames.scalars)
    expr = cast(s.Expr, let.expr)
    if let.level == "unit":
        frames.unit[let.name] = _to_float(evaluator(expr))
        return [Threshold(let.name, text, v) for text, v in evaluator.thresholds]
    scalars[let.name] = float(evaluator(expr))
    return [Threshold(let.name, expr_text(expr), scalars[let.name])]


def _region_value(frames: _Added, expr, tables: Mapping[str, pd.DataFrame], cache: RunCache) -> pd.Series:
    if isinstance(expr, s.Call) and expr.func == "clusters":
        return _clusters(frames.frames, expr, tables, cache)  # counted from the census, on the region frame's rows
    assert frames.region is not None  # _evaluate_let refuses region lets without region data
    evaluator = Evaluator(frames.region, frames.scalars, spatial=frames.spatial_lag)
    return _to_float(evaluator(expr))


def clusters_on_units(frames: Frames, call: s.Call, cache: RunCache | None = None) -> pd.Series:
    """A clusters(...) term inside a formula (sweeps): counted per region, merged onto units."""
    cache = cache if cache is not None else RunCache()
    return pd.Series(on_cells(cluster_values(frames, call, cache), region_positions(frames, cache)), index=frames.unit.index)


def cluster_values(frames: Frames, call: s.Call, cache: RunCache, industry: str | None = None) -> np.ndarray:
    """A clusters(...) term's counts per region cell (the rows of `frames.region`), as floats.

    `industry` given: the call's own `industry=` argument is ignored (a sweep
    variable not yet filled in) and this code counted instead."""
    return _cluster_counts(frames, call, frames.sources, cache, industry)


def region_positions(frames: Frames, cache: RunCache) -> np.ndarray:
    """Each unit row's position among the region cells, -1 where the region data lack its cell.

    Found once per run (one hashing of the unit rows' keys), so a sweep's
    members broadcast their column by indexing: see `on_cells`.
    """
    if cache.unit_cells is None:
        if frames.region_col is None or frames.region is None:
            raise DataError("region-level values need region(column) on the units' data set")
        index = frames.region.index
        keys = (frames.region_col,) + ((frames.time_col,) if frames.time_col and isinstance(index, pd.MultiIndex) else ())
        cache.unit_cells = index.get_indexer(frames.cells[keys])
    return cache.unit_cells


def on_cells(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per-cell `values` at `positions` (from `region_positions`); a missing cell (-1) gives NaN, as a reindex would."""
    out = values[positions]
    missing = positions < 0
    if missing.any():
        out[missing] = np.nan
    return out


def _clusters(frames: Frames, call: s.Call, tables: Mapping[str, pd.DataFrame], cache: RunCache) -> pd.Series:
    counts = _cluster_counts(frames, call, tables, cache)
    assert frames.region is not None  # _cluster_counts refuses frames without regions
    return pd.Series(counts, index=frames.region.index)


def _cluster_counts(frames: Frames, call: s.Call, tables: Mapping[str, pd.DataFrame], cache: RunCache, code: str | None = None) -> np.ndarray:
    """Per region cell, as floats. A sweep calls this once per industry, so an industry's count is one
    column slice of the cached region x industry matrix, found by binary search (no pandas per call)."""
    from povdsl.check import literal

    if frames.region is None:
        raise DataError("clusters() counts per region: declare a key(region, time) data set")
    source = cast(s.Name, call.positional[0]).id  # the checker allows only a data set's name here
    options: dict[str, Any] = dict(CLUSTER_DEFAULTS)
    options.update({kw.name: literal(kw.value) for kw in call.keywords if code is None or kw.name != "industry"})
    industry = options.pop("industry", None) if code is None else code
    options["digits"] = int(options["digits"])
    region_name, time_name = frames.region.index.names
    key = (source, *sorted(options.items()))
    if key not in cache.cluster_tables:
        cache.cluster_tables[key] = cluster_table(tables[source], region=region_name, time=time_name, **options)
    table = cache.cluster_tables[key]
    # a region with no census records, or an industry absent from the census, has no clusters
    if industry is None:
        return counts_from_table(table, frames.region.index).to_numpy(dtype=float)
    if key not in cache.cluster_matrices:  # a sweep reads one industry at a time: pivot once
        wide = cluster_matrix(table, frames.region.index)
        cache.cluster_matrices[key] = (wide.to_numpy(), np.asarray(wide.columns, dtype=object))
    counts, codes = cache.cluster_matrices[key]
    return counts[:, prefix_columns(codes, str(industry))].sum(axis=1).astype(float)


def _at(span: object) -> Span | None:
    """A plan's span (typed loosely there) as a Span for messages."""
    return span if isinstance(span, Span) else None


def _to_float(value) -> pd.Series:
    if isinstance(value, pd.Series) and value.dtype == bool:
        return value.astype(float)
    return value

