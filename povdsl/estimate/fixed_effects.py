"""Least squares with absorbed fixed effects, on arrays: the `fe` estimator's numbers.

The effects are partialled out by `demean` (no dummy is ever built), the
slopes come from the demeaned normal equations, and the variance follows the
CRV1 conventions fixest, pyfixest and Stata's `reghdfe` share (pyfixest's
default `ssc()`):

* degrees of freedom used: df_k = slopes + 1 + sum over effects of (levels - 1),
  where an effect nested in a cluster variable is not counted (the "+1" keeps
  the one intercept every set of effects implies);
* unadjusted: s2 = RSS / (n - df_k); heteroskedasticity-robust (HC1):
  n / (n - df_k); clustered: (n - 1) / (n - df_k) * G / (G - 1), with G the
  smallest number of clusters for two-way clustering (V = V_a + V_b - V_ab);
* p-values from t(n - df_k), or t(G - 1) when clustered.

When the design has an intercept, the constant is reported as PanelOLS and
Stata's `xtreg, fe` do: the grand means are added back, so the constant is
ybar - xbar'b (the average effect), with its variance from the same sandwich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from povdsl.errors import EstimationError
from povdsl.estimate.demean import Factor, demean

VarianceKind = Literal["unadjusted", "robust", "cluster"]


@dataclass(frozen=True, eq=False)
class WithinFit:
    """Estimates on the slope names (and "Intercept" first when requested), as arrays."""

    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    df_resid: int  # degrees of freedom of the t reference distribution
    nobs: int
    df_k: int  # parameters counted in the small-sample factor (slopes + 1 + non-nested effects)
    rss: float
    tss_within: float  # sum of squares of the demeaned outcome
    factor: float  # small-sample factor applied to the raw estimator (1.0 for unadjusted)
    groups: tuple[int, ...] = ()  # clusters per cluster variable

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    @property
    def r2_within(self) -> float:
        return 1.0 - self.rss / self.tss_within if self.tss_within > 0 else float("nan")

    @property
    def loglik(self) -> float:
        """Gaussian log-likelihood at the ML variance RSS/n, as linearmodels reports it."""
        return -0.5 * self.nobs * (np.log(2 * np.pi) + np.log(self.rss / self.nobs) + 1.0)


def demeaned_design(y: np.ndarray, slopes: np.ndarray, factors: Sequence[Factor]) -> tuple[np.ndarray, np.ndarray]:
    """The outcome and the slope columns with every effect partialled out."""
    both = demean(np.column_stack([y, slopes]), factors)
    return both[:, 0], both[:, 1:]


def fit_within(
    y: np.ndarray,
    slopes: np.ndarray,
    demeaned: tuple[np.ndarray, np.ndarray],
    names: Sequence[str],
    factors: Sequence[Factor],
    *,
    intercept: bool,
    kind: VarianceKind,
    clusters: Sequence[np.ndarray] = (),
) -> WithinFit:
    """Slopes (and the constant) with their covariance; ``demeaned`` is ``demeaned_design(y, slopes, factors)``.

    ``clusters`` are dense integer codes per row (0..G-1, every code used, as pd.factorize
    gives them), one array per clustering way (at most two).
    """
    yd, xd = demeaned
    n, k = xd.shape
    gram = xd.T @ xd
    bread = np.linalg.inv(gram)
    beta = bread @ (xd.T @ yd)
    resid = yd - xd @ beta
    rss = float(resid @ resid)
    codes = [np.asarray(c) for c in clusters]
    if len(codes) == 2:
        codes.append(_intersection(codes[0], codes[1]))
    nested = [f for f in factors if codes and any(f.nested_in(c) for c in codes)] if kind == "cluster" else []
    df_k = k + 1 + sum(f.levels - 1 for f in factors if not any(f is g for g in nested))
    # Variance in the (constant, demeaned slopes) parametrisation, where the two blocks are orthogonal.
    full_bread = _block_bread(bread, n, intercept)
    groups: tuple[int, ...] = ()
    if n - df_k <= 0:
        raise EstimationError(
            f"{n} observations for {df_k} parameters (with the fixed effects not nested in the clusters)",
            hint="drop regressors or use a larger sample",
        )
    if kind == "unadjusted":
        factor = 1.0
        cov = full_bread * (rss / (n - df_k))
        df_resid = n - df_k
    elif kind == "robust":
        scores = _scores(xd, resid, intercept)
        factor = n / (n - df_k)
        cov = full_bread @ (scores.T @ scores) @ full_bread * factor
        df_resid = n - df_k
    else:
        if not 1 <= len(clusters) <= 2:
            raise ValueError("clustered variance needs one or two cluster variables")
        signs = (1.0, 1.0, -1.0)
        meat = sum(sign * _cluster_meat(xd, resid, c, intercept) for sign, c in zip(signs, codes))
        groups = tuple(int(c.max()) + 1 if len(c) else 0 for c in codes[: len(clusters)])
        smallest = min(groups)
        if smallest < 2:
            raise EstimationError(
                f"a cluster variable has {smallest} distinct value in the estimation sample: a clustered variance needs at least two clusters",
                hint="cluster by a variable with several groups, or use `vcov robust`",
            )
        factor = (n - 1) / (n - df_k) * smallest / (smallest - 1)
        cov = full_bread @ meat @ full_bread * factor
        df_resid = smallest - 1
    params = beta
    labels = tuple(names)
    if intercept:  # reparametrise (1, xd) -> (1, xd + xbar): the constant becomes ybar - xbar'b
        xbar = slopes.mean(axis=0)
        params = np.concatenate(([float(np.mean(y)) - float(xbar @ beta)], beta))
        transform = np.eye(k + 1)
        transform[0, 1:] = -xbar
        cov = transform @ cov @ transform.T
        labels = ("Intercept", *labels)
    return WithinFit(labels, params, cov, int(df_resid), n, int(df_k), rss, float(yd @ yd), factor, groups)


def _block_bread(bread: np.ndarray, n: int, intercept: bool) -> np.ndarray:
    if not intercept:
        return bread
    k = bread.shape[0]
    full = np.zeros((k + 1, k + 1))
    full[0, 0] = 1.0 / n
    full[1:, 1:] = bread
    return full


def _scores(xd: np.ndarray, resid: np.ndarray, intercept: bool) -> np.ndarray:
    scores = xd * resid[:, None]
    return np.column_stack([resid, scores]) if intercept else scores


def _cluster_meat(xd: np.ndarray, resid: np.ndarray, codes: np.ndarray, intercept: bool) -> np.ndarray:
    """Sum over clusters of the outer products of each cluster's summed scores, one score column at a time."""
    sums = [np.bincount(codes, weights=resid)] if intercept else []
    score = np.empty_like(resid)
    for j in range(xd.shape[1]):
        sums.append(np.bincount(codes, weights=np.multiply(xd[:, j], resid, out=score)))
    stacked = np.column_stack(sums)
    return stacked.T @ stacked


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense codes of the (a, b) pairs, for the third term of two-way clustering."""
    import pandas as pd

    return np.asarray(pd.factorize(a.astype(np.int64) * (int(b.max()) + 1) + b)[0])
