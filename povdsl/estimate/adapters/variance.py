"""One convention for clustered variances, whatever the backend (docs/estimators.md).

Clustered errors follow CRV1 as fixest/pyfixest, Stata's `xtreg, fe vce(cluster)`
and `reghdfe` compute them: the backend's raw sandwich (no small-sample factor)
times (n - 1)/(n - K) * G/(G - 1), where K counts the regressors (with the
constant) and the fixed effects that are *not* nested in a cluster variable, and
G is the number of clusters (the smallest G for two-way clustering, fixest's
`cluster.df = "min"`). P-values come from t(G - 1). Backends differ in all three
choices, so adapters ask them for the raw sandwich and apply this one here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.result import Variance


@dataclass(frozen=True)
class Inference:
    """Standard errors, t statistics and p-values from one covariance matrix and one reference distribution.

    Arrays in the order of ``names``: a fit's statistics stay numpy until `build_result`
    labels them once (pandas objects per statistic were most of a small fit's cost).
    """

    names: pd.Index
    cov: np.ndarray
    std_errors: np.ndarray
    tstats: np.ndarray
    pvalues: np.ndarray


def inference(params: pd.Series | np.ndarray, cov: np.ndarray | pd.DataFrame, df: int | None, names: Sequence[str] | pd.Index | None = None) -> Inference:
    """t (df given) or normal (df None) inference for ``params`` under ``cov``.

    ``names`` labels array ``params`` (a Series brings its own index). The tails are
    scipy.special's, the functions behind scipy.stats' t.sf and norm.sf (stdtr(df, -|t|),
    ndtr(-|t|)), so the numbers are the same without importing scipy.stats.
    """
    from scipy.special import ndtr, stdtr

    labels = params.index if isinstance(params, pd.Series) else names if isinstance(names, pd.Index) else pd.Index(names if names is not None else range(len(params)))
    estimates = np.asarray(params, dtype=float)
    matrix = np.asarray(cov, dtype=float)
    diagonal = np.diag(matrix)
    with np.errstate(invalid="ignore"):
        se = np.where(diagonal >= 0, np.sqrt(np.abs(diagonal)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimates / se
    tail = stdtr(df, -np.abs(t)) if df is not None else ndtr(-np.abs(t))
    return Inference(labels, matrix, se, t, 2 * tail)


def nested(effect: pd.Series, clusters: pd.DataFrame) -> bool:
    """True when every level of ``effect`` lies within one cluster of some cluster variable.

    Such fixed effects cost no degrees of freedom in the clustered variance:
    their dummies are linear in the cluster indicators (fixest's `fixef.K =
    "nested"`, Stata's `xtreg, fe vce(cluster)`).
    """
    codes = pd.factorize(effect)[0]
    for column in clusters.columns:
        per_level = pd.Series(clusters[column].to_numpy()).groupby(codes).nunique()
        if int(per_level.max()) <= 1:
            return True
    return False


def absorbed_dof(effects: Mapping[str, pd.Series], clusters: pd.DataFrame | None) -> int:
    """Degrees of freedom the fixed effects use beyond the constant: levels - 1 per effect not nested in a cluster."""
    return sum(
        int(values.nunique()) - 1 for values in effects.values() if clusters is None or not nested(values, clusters)
    )


def cluster_counts(clusters: pd.DataFrame) -> tuple[int, ...]:
    counts = tuple(int(clusters[column].nunique()) for column in clusters.columns)
    if min(counts) < 2:
        name = clusters.columns[counts.index(min(counts))]
        raise EstimationError(
            f"the cluster variable '{name}' has {min(counts)} distinct value in the estimation sample: "
            "a clustered variance needs at least two clusters",
            hint="cluster by a variable with several groups, or use `vcov robust`",
        )
    return counts


def crv1(
    raw: np.ndarray,
    *,
    nobs: int,
    nvar: int,
    clusters: pd.DataFrame,
    effects: Mapping[str, pd.Series] | None = None,
    text: str,
) -> tuple[np.ndarray, Variance]:
    """Scale a raw cluster sandwich to CRV1; return it with its description.

    ``raw`` is (X'X)^-1 (sum_g s_g s_g') (X'X)^-1 (for two-way clustering
    V_a + V_b - V_ab, each raw). ``nvar`` counts the estimated coefficients
    including the constant; ``effects`` are the absorbed fixed effects.
    A two-way variance can be negative for a coefficient (few clusters); its
    standard error is then missing, as in pyfixest, and `build_result` says so.
    """
    counts = cluster_counts(clusters)
    g = min(counts)
    k = nvar + absorbed_dof(effects or {}, clusters)
    if nobs - k <= 0:
        raise EstimationError(
            f"{nobs} observations for {k} parameters (with the fixed effects not nested in the clusters)",
            hint="drop regressors or use a larger sample",
        )
    factor = (nobs - 1) / (nobs - k) * g / (g - 1)
    variance = Variance(
        kind="cluster",
        text=text,
        clusters=tuple(map(str, clusters.columns)),
        groups=counts,
        factor=factor,
        df=g - 1,
        reference="CRV1: (n-1)/(n-K) * G/(G-1), K without fixed effects nested in a cluster; t(G-1), G the smallest cluster count",
    )
    return raw * factor, variance


def twoway_raw(sandwich, clusters: pd.DataFrame) -> np.ndarray:
    """V_a + V_b - V_ab from a function giving the raw sandwich for one vector of cluster codes."""
    if clusters.shape[1] == 1:
        return sandwich(clusters.iloc[:, 0].to_numpy())
    a, b = (clusters.iloc[:, i].to_numpy() for i in range(2))
    both = pd.factorize(pd.MultiIndex.from_arrays([a, b]))[0]
    return sandwich(a) + sandwich(b) - sandwich(both)
