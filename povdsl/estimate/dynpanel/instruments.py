"""Per-unit instrument blocks Z_i, laid out on the same rows as the equations.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from povdsl.estimate.dynpanel.design import Equations
from povdsl.estimate.dynpanel.lags import PanelGrid
from povdsl.estimate.dynpanel.model_spec import DynamicPanelSpec, GmmInstrument
from povdsl.errors import EstimationError


@dataclass(frozen=True)
class Instruments:
    Z: np.ndarray  # (units, rows, instruments), zero outside the sample
    names: tuple[str, ...]


def _gmm_difference(grid: PanelGrid, inst: GmmInstrument, collapse: bool, rows_used: np.ndarray):
    """Columns for the difference equation; rows_used marks periods with any sample row."""
    n_units, n_periods = grid.shape
    last = n_periods if inst.last is None else inst.last
    columns, names = [], []
    levels = np.nan_to_num(grid.values[inst.var], nan=0.0)
    for lag in range(inst.first, last + 1):
        if lag >= n_periods:
            break
        if collapse:
            column = np.zeros((n_units, n_periods))
            column[:, lag:] = levels[:, : n_periods - lag]
            columns.append(column)
            names.append(f"L{lag}.{inst.var} (collapsed)")
            continue
        for p in np.flatnonzero(rows_used):
            if p - lag < 0:
                continue
            column = np.zeros((n_units, n_periods))
            column[:, p] = levels[:, p - lag]
            columns.append(column)
            names.append(f"L{lag}.{inst.var}@{grid.periods[p]}")
    return columns, names


def _gmm_level(grid: PanelGrid, inst: GmmInstrument, collapse: bool, rows_used: np.ndarray):
    """Columns for the level equation: D.L(first-1).x only."""
    n_units, n_periods = grid.shape
    lag = max(inst.first - 1, 0)
    change = np.nan_to_num(grid.differenced(inst.var, lag), nan=0.0)
    if collapse:
        return [change], [f"DL{lag}.{inst.var} (collapsed)"]
    columns, names = [], []
    for p in np.flatnonzero(rows_used):
        column = np.zeros((n_units, n_periods))
        column[:, p] = change[:, p]
        columns.append(column)
        names.append(f"DL{lag}.{inst.var}@{grid.periods[p]}")
    return columns, names


def build_instruments(grid: PanelGrid, spec: DynamicPanelSpec, eq: Equations) -> Instruments:
    n_units, n_periods = grid.shape
    zeros = np.zeros((n_units, n_periods))
    diff_used = eq.valid[:, eq.diff_rows].any(axis=0)
    blocks: list[np.ndarray] = []  # each (units, rows)
    names: list[str] = []

    def add(diff_part, level_part, name):
        blocks.append(diff_part if not eq.system else np.concatenate([diff_part, level_part], axis=1))
        names.append(name)

    for inst in spec.gmm:
        if inst.first < 0 or (inst.last is not None and inst.last < inst.first):
            raise EstimationError(
                f"instrument lags {inst.first}:{inst.last} of '{inst.var}' are not a valid range",
                hint="use first >= 0 and last >= first (or last = None for all lags)",
            )
        collapse = inst.collapse or spec.collapse
        columns, labels = _gmm_difference(grid, inst, collapse, diff_used)
        for column, label in zip(columns, labels):
            add(column, zeros, label)
        if eq.system:
            level_used = eq.valid[:, eq.level_rows].any(axis=0)
            columns, labels = _gmm_level(grid, inst, collapse, level_used)
            for column, label in zip(columns, labels):
                add(zeros, column, label)

    n_gmm = len(names)
    for iv in spec.iv:
        diff_part = np.nan_to_num(grid.differenced(iv.var, iv.lag), nan=0.0)
        level_part = np.nan_to_num(grid.shifted(iv.var, iv.lag), nan=0.0)
        add(diff_part, level_part, f"iv({'' if iv.lag == 0 else f'L{iv.lag}.'}{iv.var})")

    # Time dummies and the constant instrument themselves (their X columns).
    for i in range(len(spec.regressors), len(eq.terms)):
        blocks.append(eq.X[:, :, i])
        names.append(eq.terms[i])

    # Mask to the sample and drop empty columns before stacking, so Z is
    # C-contiguous and the tensordots over (units, rows) stay BLAS calls.
    kept_blocks, kept_names, gmm_kept = [], [], 0
    for position, (block, name) in enumerate(zip(blocks, names)):
        block = np.where(eq.valid, block, 0.0)
        if np.any(block):
            kept_blocks.append(block)
            kept_names.append(name)
            gmm_kept += position < n_gmm
    if spec.gmm and gmm_kept == 0:
        raise EstimationError(
            "the GMM instrument lag ranges yield no instruments for the sample",
            hint="lower the first lag or widen the range; the panel may be too short",
        )
    Z = np.stack(kept_blocks, axis=2) if kept_blocks else np.zeros(eq.y.shape + (0,))
    return Instruments(Z=Z, names=tuple(kept_names))
