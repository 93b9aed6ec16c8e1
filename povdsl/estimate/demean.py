"""Partialling out fixed effects without building a dummy: alternating projections on group means.

The within transformation of one factor is exact in one pass (subtract each
group's mean). With several factors (`fe(unit, time, industry)`) the
projections are alternated until nothing changes (the method of alternating
projections that fixest, pyfixest and reghdfe use), with the Irons-Tuck
extrapolation fixest applies between sweeps. Nothing here builds a dummy or
is quadratic in the number of levels:

* group sums are `np.add.reduceat` over contiguous runs when the rows are
  grouped by a factor (panels sorted by unit; otherwise the rows are sorted once
  by the factor with the most levels), and `np.bincount` for the other factors;
* a balanced two-way panel (every unit once in every period) needs one sweep,
  because the two projections commute there;
* memory is one float copy of the columns plus one column of work space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from povdsl.errors import EstimationError

# Convergence: the largest change of any value in one sweep, relative to the
# column's largest absolute value. fixest's default is 1e-6 on the effects;
# povdsl's tests ask coefficients to agree with exact solutions at 1e-8.
DEMEAN_TOLERANCE = 1e-11
DEMEAN_MAX_SWEEPS = 10_000


@dataclass(frozen=True, eq=False)
class Factor:
    """One fixed effect as integer codes 0..levels-1, its group sizes, and its runs if rows are grouped."""

    codes: np.ndarray  # intp, one per row
    counts: np.ndarray  # float, one per level (all >= 1)
    starts: np.ndarray | None = None  # first row of each level when each level's rows are contiguous, in code order

    @property
    def levels(self) -> int:
        return len(self.counts)

    def means(self, column: np.ndarray) -> np.ndarray:
        """Group means of one column, one value per level."""
        if self.starts is not None:
            return np.add.reduceat(column, self.starts) / self.counts
        return np.bincount(self.codes, weights=column, minlength=self.levels) / self.counts

    def subtract_means(self, column: np.ndarray) -> None:
        """column -= its group means, in place."""
        means = self.means(column)
        if self.starts is not None:
            column -= np.repeat(means, self.counts.astype(np.intp))
        else:
            column -= means[self.codes]

    def nested_in(self, cluster: np.ndarray) -> bool:
        """Whether every level of this factor lies inside one cluster (integer cluster codes per row)."""
        if cluster is self.codes:
            return True
        representative = np.empty(self.levels, dtype=cluster.dtype)
        representative[self.codes] = cluster  # some row's cluster for each level
        return bool(np.array_equal(representative[self.codes], cluster))

    def permuted(self, order: np.ndarray) -> Factor:
        """The same factor on rows taken in ``order``."""
        return _with_runs(self.codes[order], self.counts)


def factor(values: object) -> Factor:
    """Codes of any id column (integers, strings, categoricals); missing ids must be gone already."""
    import pandas as pd

    codes, uniques = pd.factorize(values)
    codes = np.asarray(codes, dtype=np.intp)
    if len(codes) and codes.min() < 0:
        raise EstimationError("a fixed-effect variable is missing in some rows", hint="drop those rows or fill the id")
    return _with_runs(codes, np.bincount(codes, minlength=len(uniques)).astype(float))


def _with_runs(codes: np.ndarray, counts: np.ndarray) -> Factor:
    """Record contiguous runs when the rows are sorted by code (pd.factorize numbers levels by first appearance)."""
    if len(codes) and bool(np.all(codes[1:] >= codes[:-1])):
        starts = np.concatenate(([0], np.cumsum(counts[:-1]))).astype(np.intp)
        return Factor(codes, counts, starts)
    return Factor(codes, counts)


def demean(columns: np.ndarray, factors: Sequence[Factor], *, tol: float = DEMEAN_TOLERANCE, max_sweeps: int = DEMEAN_MAX_SWEEPS) -> np.ndarray:
    """Residuals of each column (rows x columns) on all the factors' dummies, as a new float array."""
    values = np.asarray(columns, dtype=float)
    if values.ndim == 1:
        return demean(values[:, None], factors, tol=tol, max_sweeps=max_sweeps)[:, 0]
    if not factors:
        return values.copy()
    order = None
    if all(f.starts is None for f in factors):  # sort once by the largest factor: its sums become runs
        largest = max(range(len(factors)), key=lambda i: factors[i].levels)
        order = np.argsort(factors[largest].codes, kind="stable")
        factors = [f.permuted(order) for f in factors]
    factors = sorted(factors, key=lambda f: f.starts is None)  # the grouped factor first
    single_sweep = len(factors) == 1 or _balanced_pair(factors)
    out = np.empty(values.shape, order="F")  # columns contiguous: every pass below reads one column
    for j in range(values.shape[1]):
        out[:, j] = values[order, j] if order is not None else values[:, j]
        column = out[:, j]
        if single_sweep:
            _sweep(column, factors)
        else:
            column[:] = _iterate(column, factors, tol, max_sweeps)
    if order is not None:
        restored = np.empty_like(out)
        restored[order] = out
        return restored
    return out


def _balanced_pair(factors: Sequence[Factor]) -> bool:
    """Two factors where every pair of levels occurs exactly once: their projections commute."""
    if len(factors) != 2:
        return False
    a, b = factors
    if a.levels * b.levels != len(a.codes):
        return False
    pairs = np.bincount(a.codes * b.levels + b.codes, minlength=a.levels * b.levels)
    return bool(np.all(pairs == 1))


def _sweep(column: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """One pass over the factors, in place."""
    for f in factors:
        f.subtract_means(column)
    return column


def _iterate(column: np.ndarray, factors: Sequence[Factor], tol: float, max_sweeps: int) -> np.ndarray:
    scale = max(float(np.max(np.abs(column), initial=0.0)), 1e-300)
    current = _sweep(column.copy(), factors)
    sweeps = 1
    while sweeps < max_sweeps:
        once = _sweep(current.copy(), factors)
        step = np.subtract(once, current, out=current)  # current is not needed again
        if float(np.max(np.abs(step))) <= tol * scale:
            return once
        twice = _sweep(once.copy(), factors)
        sweeps += 2
        # Irons-Tuck: the sweep is linear, so extrapolate along its last two steps.
        last = np.subtract(twice, once, out=once)
        curvature = np.subtract(last, step, out=step)
        denominator = float(curvature @ curvature)
        if denominator > 0.0:
            twice -= (float(last @ curvature) / denominator) * last
        current = twice
    raise EstimationError(
        f"removing the fixed effects did not converge in {max_sweeps} sweeps",
        hint="the effects may be nearly collinear (e.g. a unit observed in one period only); drop one of them",
    )
