"""Panel-aware lags and differences, and the unit x period grid the estimator works on.

Lags follow the time *value*, not the row order: the lag of year t is the
same unit's row at t - k, and a gap in the panel gives NaN rather than the
previous row. Putting every variable on a dense (units x periods) grid makes
that rule a plain array shift and lets every later step vectorise across units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError


def _integer_times(time_values) -> np.ndarray:
    """Time values as integers, because a lag of k means "k periods earlier"."""
    values = pd.Series(np.asarray(time_values))
    if not pd.api.types.is_numeric_dtype(values):
        raise EstimationError(
            "the time variable must be numeric (e.g. a year) to take lags",
            hint="convert dates to an integer period index first",
        )
    if values.isna().any():
        raise EstimationError("the time variable has missing values")
    as_int = values.round().astype("int64")
    if not np.allclose(values.to_numpy(dtype=float), as_int.to_numpy()):
        raise EstimationError(
            "the time variable must hold whole numbers to take lags",
            hint="use an integer period index (year, quarter number, ...)",
        )
    return as_int.to_numpy()


def _resolve(obj, key_or_values, what: str) -> np.ndarray:
    if isinstance(obj, pd.DataFrame) and isinstance(key_or_values, str):
        return obj[key_or_values].to_numpy()
    values = np.asarray(key_or_values)
    if values.shape[0] != len(obj):
        raise EstimationError(f"the {what} values must align with the data ({len(obj)} rows)")
    return values


def lag(obj, unit, time, k: int = 1):
    """Value of the same unit k periods earlier (k < 0 leads); NaN where that period is absent.

    ``unit`` and ``time`` are column names of ``obj`` (a DataFrame) or arrays
    aligned with it. For a DataFrame, the unit and time columns themselves are
    returned unchanged so the result can be joined back.
    """
    units = _resolve(obj, unit, "unit")
    times = _integer_times(_resolve(obj, time, "time"))
    index = pd.MultiIndex.from_arrays([units, times])
    if index.has_duplicates:
        raise EstimationError(
            "the panel has repeated (unit, time) pairs, so a lag is ambiguous",
            hint="aggregate or drop duplicated unit-period rows first",
        )
    source = pd.MultiIndex.from_arrays([units, times - k])
    if isinstance(obj, pd.DataFrame):
        keep = [c for c in obj.columns if not (isinstance(unit, str) and c == unit) and not (isinstance(time, str) and c == time)]
        values = obj[keep].set_axis(index, axis=0).reindex(source)
        out = values.set_axis(obj.index, axis=0)
        for name in (unit, time):
            if isinstance(name, str):
                out[name] = obj[name]
        return out[list(obj.columns)]
    series = pd.Series(np.asarray(obj), index=index).reindex(source)
    name = obj.name if isinstance(obj, pd.Series) else None
    return pd.Series(series.to_numpy(), index=getattr(obj, "index", None), name=name)


def diff(obj, unit, time, k: int = 1):
    """x_t - x_{t-k} within unit, NaN where period t-k is absent (same rules as ``lag``)."""
    lagged = lag(obj, unit, time, k)
    if isinstance(obj, pd.DataFrame):
        out = obj.copy()
        value_cols = [c for c in obj.columns if c not in {unit, time}]
        out[value_cols] = obj[value_cols] - lagged[value_cols]
        return out
    return obj - lagged


@dataclass(frozen=True)
class PanelGrid:
    """Variables laid out as (units x periods) arrays over the full period range."""

    units: np.ndarray  # unit labels, one per grid row
    periods: np.ndarray  # time values, one per grid column (consecutive integers)
    values: dict  # variable name -> float array (units x periods), NaN where absent

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.units), len(self.periods)

    def shifted(self, name: str, k: int) -> np.ndarray:
        """Lag k of a variable on the grid: column p holds period p - k."""
        grid = self.values[name]
        if k == 0:
            return grid
        out = np.full_like(grid, np.nan)
        if k > 0:
            if k < grid.shape[1]:
                out[:, k:] = grid[:, :-k]
        elif -k < grid.shape[1]:
            out[:, :k] = grid[:, -k:]
        return out

    def differenced(self, name: str, k: int = 0) -> np.ndarray:
        """First difference of lag k: x_{p-k} - x_{p-k-1}."""
        return self.shifted(name, k) - self.shifted(name, k + 1)


def build_grid(data: pd.DataFrame, variables, *, unit: str, time: str) -> PanelGrid:
    """Place the named columns on a dense unit x period grid (periods tmin..tmax)."""
    for name in (unit, time, *variables):
        if name not in data.columns:
            raise EstimationError(f"column '{name}' is not in the data")
    times = _integer_times(data[time])
    unit_codes, units = pd.factorize(data[unit], sort=True)
    if (unit_codes < 0).any():
        raise EstimationError(f"the unit variable '{unit}' has missing values")
    start, stop = times.min(), times.max()
    periods = np.arange(start, stop + 1)
    period_codes = times - start
    flat = unit_codes.astype(np.int64) * len(periods) + period_codes
    if len(flat) and np.bincount(flat, minlength=len(units) * len(periods)).max() > 1:  # the grid's own size: linear, no sort or hash
        raise EstimationError(
            "the panel has repeated (unit, time) pairs",
            hint="aggregate or drop duplicated unit-period rows first",
        )
    values = {}
    for name in variables:
        column = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
        grid = np.full(len(units) * len(periods), np.nan)
        grid[flat] = column
        values[name] = grid.reshape(len(units), len(periods))
    return PanelGrid(units=np.asarray(units), periods=periods, values=values)
