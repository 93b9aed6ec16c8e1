"""Stacked equations per unit: the difference equation, and for system GMM the level equation.

Every unit gets the same row layout on the period grid — rows 0..T-1 are the
difference equation at period p, rows T..2T-1 the level equation — so all
units share one weighting matrix H and per-unit blocks are slices of 3-D
arrays. Rows outside the estimation sample are zero in y, X and Z, which is
exactly how xtabond2 treats them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from povdsl.check.dynamic_panel import DynamicPanelSpec
from povdsl.check.terms import lag_name
from povdsl.estimate.dynpanel.lags import PanelGrid


@dataclass(frozen=True)
class Equations:
    y: np.ndarray  # (units, rows)
    X: np.ndarray  # (units, rows, terms)
    valid: np.ndarray  # (units, rows) bool: row is in the estimation sample
    terms: tuple[str, ...]
    n_periods: int
    system: bool
    dummy_periods: tuple[int, ...]  # grid positions of the time dummies kept

    @property
    def diff_rows(self) -> slice:
        return slice(0, self.n_periods)

    @property
    def level_rows(self) -> slice:
        return slice(self.n_periods, 2 * self.n_periods)


term_name = lag_name  # one spelling of a lag's column name for the whole package (check/terms.py)


def _stack(diff_part: np.ndarray, level_part: np.ndarray | None) -> np.ndarray:
    return diff_part if level_part is None else np.concatenate([diff_part, level_part], axis=1)


def build_equations(grid: PanelGrid, spec: DynamicPanelSpec, time_name: str) -> Equations:
    """y, X and the sample rows; time dummies cover the periods present in the sample."""
    system = spec.system
    n_units, n_periods = grid.shape
    y = _stack(grid.differenced(spec.y), grid.values[spec.y] if system else None)
    columns = [
        _stack(grid.differenced(var, lag), grid.shifted(var, lag) if system else None)
        for var, lag in spec.regressors
    ]
    # IV-style instruments must be observed, as in xtabond2 without its mz option.
    iv_columns = [
        _stack(grid.differenced(iv.var, iv.lag), grid.shifted(iv.var, iv.lag) if system else None)
        for iv in spec.iv
    ]
    X = np.stack(columns, axis=2) if columns else np.zeros(y.shape + (0,))
    valid = np.isfinite(y) & np.isfinite(X).all(axis=2)
    for column in iv_columns:
        valid &= np.isfinite(column)

    terms = [term_name(var, lag) for var, lag in spec.regressors]
    dummy_periods: list[int] = []
    extra = []
    if spec.time_effects:
        # Periods of the sample's main equation (levels in system GMM); with a
        # constant the first is the base. In difference GMM the differenced
        # dummies of all sample periods are full rank and span the period effects.
        main = valid[:, n_periods:] if system else valid[:, :n_periods]
        present = np.flatnonzero(main.any(axis=0))
        dummy_periods = list(present[1:] if spec.has_constant else present)
        for p in dummy_periods:
            level = np.zeros((n_units, n_periods))
            level[:, p] = 1.0
            change = level.copy()
            if p + 1 < n_periods:
                change[:, p + 1] = -1.0
            extra.append(_stack(change, level if system else None))
            terms.append(f"{time_name}[T.{grid.periods[p]}]")
    if spec.has_constant:
        extra.append(_stack(np.zeros((n_units, n_periods)), np.ones((n_units, n_periods))))
        terms.append("Intercept")
    if extra:
        X = np.concatenate([X, np.stack(extra, axis=2)], axis=2)

    y = np.where(valid, y, 0.0)
    X = np.where(valid[:, :, None], X, 0.0)
    return Equations(
        y=y,
        X=X,
        valid=valid,
        terms=tuple(terms),
        n_periods=n_periods,
        system=system,
        dummy_periods=tuple(int(p) for p in dummy_periods),
    )
