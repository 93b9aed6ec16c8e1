"""Per-unit instrument blocks Z_i, laid out on the same rows as the equations, without materialising Z.

Conventions follow xtabond2 (Roodman 2009):
- GMM-style, difference equation: lags first..last of x in levels, a separate
  column per (period, lag) unless collapsed (one column per lag); missing -> 0.
- GMM-style, level equation (system GMM): only the differenced lag first-1
  (D.L(first-1).x), one column per period unless collapsed; longer lags are
  redundant given the difference-equation instruments.
- IV-style: one column, in differences in the difference equation and in
  levels in the level equation; time dummies are IV-style instruments too.
- The constant instruments the level equation only.
Columns that are zero for every sample row are dropped, as xtabond2 does,
so the instrument count matches its report.

Storage. Every column is stored by row: block r holds, as a (units, columns)
array, the columns that are non-zero in equation row r. An uncollapsed GMM
column lives in one row (its period), so it costs one number per unit; a
collapsed GMM column, an IV-style column, a time dummy or the constant appears
in each row where it is non-zero, one number per unit there. The estimator only
needs sums over units of Z_i'(...) and Z_i b, which `InstrumentMatrix` computes
block by block (small BLAS products); the (units, rows, instruments) array,
mostly zeros, is never built (collapsed instruments were kept that way once,
and the einsum over it made them slower than uncollapsed ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from povdsl.check.dynamic_panel import DynamicPanelSpec, GmmInstrument
from povdsl.check.terms import lag_name
from povdsl.errors import EstimationError
from povdsl.estimate.dynpanel.design import Equations
from povdsl.estimate.dynpanel.lags import PanelGrid

MEMORY_BUDGET = 2 * 1024**3  # bytes the instrument blocks may take before the fit refuses to build them
# Instruments a fit may have: the weighting matrices are (L, L), inverted at each step, so L costs L^2
# memory and L^3 time. Uncollapsed GMM instruments grow with the square of the periods: 10 units over
# 150 periods (a 22 kB file) gave 11,000 instruments, 3 GB and minutes before the kernel killed the run.
MAX_INSTRUMENTS = 2000


@dataclass(frozen=True)
class RowBlock:
    """Instrument columns non-zero in one equation row only: their positions in Z and their values."""

    row: int
    columns: np.ndarray  # (k,) int positions in the instrument list
    values: np.ndarray  # (units, k)


@dataclass(frozen=True)
class InstrumentMatrix:
    """Z_i for every unit, as row blocks; the products the estimator needs.

    Every method equals the same expression on the dense (units, rows, L)
    array Z that the docstring names, which is what the tests compare against.
    A column may appear in several blocks (once per row where it is non-zero),
    never twice in one.
    """

    blocks: tuple[RowBlock, ...]
    names: tuple[str, ...]
    n_units: int
    n_rows: int

    @property
    def n_instruments(self) -> int:
        return len(self.names)

    def cross(self, V: np.ndarray) -> np.ndarray:
        """sum_i Z_i' V_i for V (units, rows, k): (L, k). tensordot(Z, V, ([0, 1], [0, 1]))."""
        out = np.zeros((self.n_instruments, V.shape[2]))
        for b in self.blocks:
            out[b.columns] += b.values.T @ V[:, b.row, :]
        return out

    def moments(self, v: np.ndarray) -> np.ndarray:
        """sum_i Z_i' v_i for v (units, rows): (L,). einsum("nrl,nr->l", Z, v)."""
        return self.cross(v[:, :, None])[:, 0]

    def per_unit(self, v: np.ndarray) -> np.ndarray:
        """Z_i' v_i for each unit, v (units, rows): (units, L). einsum("nrl,nr->nl", Z, v)."""
        out = np.zeros((self.n_units, self.n_instruments))
        for b in self.blocks:
            out[:, b.columns] += b.values * v[:, b.row, None]
        return out

    def apply(self, coefficients: np.ndarray) -> np.ndarray:
        """Z_i b for each unit: (units, rows). Z @ b."""
        out = np.zeros((self.n_units, self.n_rows))
        for b in self.blocks:
            out[:, b.row] += b.values @ coefficients[b.columns]
        return out

    def quadratic(self, H: np.ndarray) -> np.ndarray:
        """sum_i Z_i' H Z_i for H (rows, rows): (L, L). tensordot(Z, H @ Z, ([0, 1], [0, 1]))."""
        out = np.zeros((self.n_instruments, self.n_instruments))
        by_row = {b.row: b for b in self.blocks}
        for r, s in zip(*np.nonzero(H)):
            if r in by_row and s in by_row:
                left, right = by_row[r], by_row[s]
                out[np.ix_(left.columns, right.columns)] += H[r, s] * (left.values.T @ right.values)
        return out


Pieces = list[tuple[int, np.ndarray]]  # one column as (row, values) per row it may be non-zero in


def _lag_columns(grid: PanelGrid, inst: GmmInstrument, collapse: bool, rows_used: np.ndarray) -> Iterator[tuple[str, Pieces]]:
    """Difference-equation columns: (name, pieces); uncollapsed columns have one piece, collapsed ones one per period."""
    n_periods = grid.shape[1]
    last = n_periods if inst.last is None else inst.last
    levels = np.nan_to_num(grid.values[inst.var], nan=0.0)
    used = [int(p) for p in np.flatnonzero(rows_used)]
    for lag in range(inst.first, last + 1):
        if lag >= n_periods:
            break
        if collapse:
            yield f"{lag_name(inst.var, lag)} (collapsed)", [(p, levels[:, p - lag]) for p in used if p >= lag]
            continue
        for p in used:
            if p - lag >= 0:
                yield f"{lag_name(inst.var, lag)}@{grid.periods[p]}", [(p, levels[:, p - lag])]


def _level_columns(grid: PanelGrid, inst: GmmInstrument, collapse: bool, rows_used: np.ndarray) -> Iterator[tuple[str, Pieces]]:
    """Level-equation columns: D.L(first-1).x only (named D.L1.x, D.x for lag 0); rows counted within the level block."""
    lag = max(inst.first - 1, 0)
    change = np.nan_to_num(grid.differenced(inst.var, lag), nan=0.0)
    used = [int(p) for p in np.flatnonzero(rows_used)]
    if collapse:
        yield f"D.{lag_name(inst.var, lag)} (collapsed)", [(p, change[:, p]) for p in used]
        return
    for p in used:
        yield f"D.{lag_name(inst.var, lag)}@{grid.periods[p]}", [(p, change[:, p])]


def _check_ranges(spec: DynamicPanelSpec) -> None:
    for inst in spec.gmm:
        if inst.first < 0 or (inst.last is not None and inst.last < inst.first):
            raise EstimationError(
                f"instrument lags {inst.first}:{inst.last} of '{inst.var}' are not a valid range",
                hint="use first >= 0 and last >= first (or last = None for all lags)",
            )


def _check_budget(grid: PanelGrid, spec: DynamicPanelSpec, eq: Equations, diff_used: np.ndarray, level_used: np.ndarray) -> None:
    """Refuse, before allocating, instruments whose blocks would exceed MEMORY_BUDGET."""
    n_units, n_periods = grid.shape
    rows = 2 * n_periods if eq.system else n_periods
    per_row_columns, dense_columns = 0, len(spec.iv) + len(eq.terms) - len(spec.regressors)
    for inst in spec.gmm:
        last = n_periods - 1 if inst.last is None else min(inst.last, n_periods - 1)
        lags = max(0, last - inst.first + 1)
        if inst.collapse or spec.collapse:
            dense_columns += lags + (1 if eq.system else 0)
        else:
            per_row_columns += sum(min(lags, p - inst.first + 1) for p in np.flatnonzero(diff_used).tolist() if p >= inst.first)
            per_row_columns += int(level_used.sum()) if eq.system else 0
    needed = 8 * n_units * (per_row_columns + rows * dense_columns)
    if needed > MEMORY_BUDGET:
        raise EstimationError(
            f"the instruments would take {needed / 1024**3:.1f} GB ({per_row_columns + dense_columns:,} columns for {n_units:,} units), "
            f"over the {MEMORY_BUDGET / 1024**3:.1f} GB budget",
            hint="collapse the GMM-style instruments (`collapse`) or give them fewer lags (e.g. gmm(y, 2:4))",
        )


def build_instruments(grid: PanelGrid, spec: DynamicPanelSpec, eq: Equations) -> InstrumentMatrix:
    """Every instrument column, masked to the sample, zero columns dropped; stored by row or dense."""
    _check_ranges(spec)
    n_units, n_periods = grid.shape
    n_rows = eq.y.shape[1]
    diff_used = np.asarray(eq.valid[:, eq.diff_rows].any(axis=0), dtype=bool)
    level_used = np.asarray(eq.valid[:, eq.level_rows].any(axis=0), dtype=bool) if eq.system else np.zeros(n_periods, bool)
    _check_budget(grid, spec, eq, diff_used, level_used)

    names: list[str] = []
    by_row: dict[int, list[tuple[int, np.ndarray]]] = {}
    gmm_kept = 0

    def keep(name: str, pieces: Pieces) -> bool:
        """A column, masked to the sample, stored in each row where it is non-zero; False when it is zero everywhere."""
        kept = False
        for row, values in pieces:
            masked = np.where(eq.valid[:, row], values, 0.0)
            if masked.any():
                by_row.setdefault(row, []).append((len(names), masked))
                kept = True
        if kept:
            names.append(name)
        return kept

    def spanning(block: np.ndarray) -> Pieces:
        """A (units, rows) column as one piece per row."""
        return [(row, block[:, row]) for row in range(block.shape[1])]

    for inst in spec.gmm:
        collapse = inst.collapse or spec.collapse
        for name, pieces in _lag_columns(grid, inst, collapse, diff_used):
            gmm_kept += keep(name, pieces)
        if eq.system:
            for name, pieces in _level_columns(grid, inst, collapse, level_used):
                gmm_kept += keep(name, [(n_periods + p, values) for p, values in pieces])

    for iv in spec.iv:
        diff_part = np.nan_to_num(grid.differenced(iv.var, iv.lag), nan=0.0)
        level_part = np.nan_to_num(grid.shifted(iv.var, iv.lag), nan=0.0)
        pieces = spanning(diff_part) + ([(n_periods + p, v) for p, v in spanning(level_part)] if eq.system else [])
        keep(f"iv({lag_name(iv.var, iv.lag)})", pieces)

    # Time dummies and the constant instrument themselves (their X columns).
    for i in range(len(spec.regressors), len(eq.terms)):
        keep(eq.terms[i], spanning(eq.X[:, :, i]))

    if spec.gmm and gmm_kept == 0:
        raise EstimationError(
            "the GMM instrument lag ranges yield no instruments for the sample",
            hint="lower the first lag or widen the range; the panel may be too short",
        )
    if len(names) > MAX_INSTRUMENTS:
        raise EstimationError(
            f"{len(names):,} instruments, over the limit of {MAX_INSTRUMENTS:,} (the weighting matrix is instruments x instruments, inverted at each step)",
            hint="collapse the GMM-style instruments (`collapse`) or give them fewer lags (e.g. gmm(y, 2:4))",
        )
    blocks = tuple(
        RowBlock(row, np.array([c for c, _ in items], dtype=np.intp), np.column_stack([v for _, v in items]))
        for row, items in sorted(by_row.items())
    )
    return InstrumentMatrix(
        blocks=blocks,
        names=tuple(names),
        n_units=n_units,
        n_rows=n_rows,
    )
