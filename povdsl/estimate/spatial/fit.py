"""The outcome of one spatial fit, before it becomes a povdsl Result.

Every estimator in this package returns a SpatialFit: coefficients named as
povdsl names them (regressors, then `rho` and/or `lambda`), the full
covariance matrix, fit statistics, and what impacts need (which coefficient
is the spatial lag of y, which columns are W-lags of which regressors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from povdsl.errors import EstimationError
from povdsl.estimate.spatial.lattice import SampleWeights

INTERCEPT = "Intercept"


@dataclass(frozen=True, eq=False)
class SpatialFit:
    """Estimates of one spatial model; `cov` covers every entry of `params`."""

    model: str  # "sar", "sem", "sdm", "sac"
    method: str  # "ml", "gmm"
    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    stats: Mapping[str, float]
    call: str  # the backend call, for `povdsl explain`
    weights: SampleWeights
    durbin: Mapping[str, str] = field(default_factory=dict)  # regressor -> column of its W-lag
    vcov: str = "ML information matrix"
    periods: int = 1  # panels: the model holds W once per period
    warnings: tuple[str, ...] = ()
    raw: object = None

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def zstats(self) -> pd.Series:
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided normal p-values, as spreg's z_stat reports them."""
        return pd.Series(2.0 * sps.norm.sf(np.abs(self.zstats.to_numpy())), index=self.params.index)


def regressor_arrays(y: pd.Series, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """y as n x 1 and X without its Intercept column, as spreg adds the constant itself.

    Both C-ordered: spreg's GM moment optimiser stops at a tolerance where the
    BLAS path (memory layout) moves the 7th digit, so one layout keeps fits
    reproducible and equal to a direct spreg call given C-ordered arrays.
    """
    if INTERCEPT not in X.columns:
        raise EstimationError(
            "spatial models are fitted with a constant (spreg adds one); this model has none",
            hint="remove `- 1` / `+ 0` from the formula",
        )
    names = [str(c) for c in X.columns if c != INTERCEPT]
    values = np.ascontiguousarray(X[names].to_numpy(dtype=float))
    return np.ascontiguousarray(y.to_numpy(dtype=float).reshape(-1, 1)), values, names


def named(values: np.ndarray, names: Sequence[str]) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float).ravel(), index=pd.Index(list(names)))


def named_cov(matrix: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    index = pd.Index(list(names))
    return pd.DataFrame(np.asarray(matrix, dtype=float), index=index, columns=index)


def pseudo_r2(y: np.ndarray, predicted: np.ndarray) -> float:
    """Squared correlation of y and its prediction, spreg's `pr2`."""
    return float(np.corrcoef(np.ravel(y), np.ravel(predicted))[0, 1] ** 2)


def check_rows(y: pd.Series, w: SampleWeights, times: int = 1) -> None:
    if len(y) != w.n * times:
        raise EstimationError(f"{len(y)} observations but the weight matrix has {w.n} regions" + (f" x {times} periods" if times > 1 else ""))
