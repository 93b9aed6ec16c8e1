"""One row per unit and period: what `panel(unit, time)` declares, checked once when the data are read.

A repeated (unit, time) pair makes a lag ambiguous and counts an observation
twice in any estimator, so it is a data error at the data declaration for
every model of the spec — `ols` included, which would otherwise fit the
duplicated rows silently. Estimators that absorb coarser groups (`fe(county,
year)` on household data, `re(county)`) have many rows per group and period
by design; only the declared unit and time are checked. Decision 72.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from povdsl.data.columns import SHOWN, row_list
from povdsl.errors import DataError, Span

DENSE_GRID = 50_000_000  # unit x period cells counted with one bincount; larger grids use a sort


def repeated_pairs(units: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Positions of the rows whose (unit, period) pair occurs more than once; rows missing either are left out."""
    unit_codes, unit_levels = pd.factorize(units)
    period_codes, period_levels = pd.factorize(periods)
    known = (unit_codes >= 0) & (period_codes >= 0)
    pairs = unit_codes.astype(np.int64) * max(len(period_levels), 1) + period_codes
    cells = len(unit_levels) * len(period_levels)
    if cells <= DENSE_GRID:
        counts = np.bincount(pairs[known], minlength=cells)
        repeated = np.zeros(len(pairs), dtype=bool)
        repeated[known] = counts[pairs[known]] > 1
    else:
        _, inverse, counts = np.unique(pairs[known], return_inverse=True, return_counts=True)
        repeated = np.zeros(len(pairs), dtype=bool)
        repeated[known] = counts[inverse] > 1
    return np.flatnonzero(repeated)


def refuse_repeated_panel_rows(data_set: str, frame: pd.DataFrame, unit: str, time: str, span: Span | None) -> None:
    """A located error naming the first repeated pair and its data rows (1-based, as every data error counts them)."""
    if unit not in frame.columns or time not in frame.columns:
        return  # a missing panel column is reported where the column is read
    rows = repeated_pairs(frame[unit].to_numpy(), frame[time].to_numpy())
    if not len(rows):
        return
    first_unit, first_time = frame[unit].iloc[rows[0]], frame[time].iloc[rows[0]]
    same = np.flatnonzero((frame[unit].to_numpy()[rows] == first_unit) & (frame[time].to_numpy()[rows] == first_time))
    shown = tuple(int(rows[i]) + 1 for i in same[:SHOWN])
    others = len(rows) - len(same)
    more = f"; {others} other row{'s' if others != 1 else ''} repeat{'' if others != 1 else 's'} a ({unit}, {time}) pair too" if others else ""
    raise DataError(
        f"data set '{data_set}' declares panel({unit}, {time}) but has more than one row for {unit}={first_unit}, {time}={first_time} "
        f"({row_list(shown, len(same))}{more})",
        span=span,
        hint=f"a panel holds one row per {unit} and {time}: drop or aggregate the duplicates, or check that '{time}' is the period; "
        f"if several rows per {unit} and {time} are meant (a repeated cross-section), declare the column that identifies a row as the unit "
        f"and absorb {unit} in the model, e.g. fe({unit}, {time})",
    )
