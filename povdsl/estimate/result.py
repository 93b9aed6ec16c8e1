"""The one result type every estimator adapter returns.

Tables, diffs and the public API read only this type, so a new backend is one
adapter and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the checker reads FIT_STATISTICS without loading pandas
    import pandas as pd

# Keys of Result.stats, so that templates and diffs agree on names.
FIT_STATISTICS = (
    "r2",  # R-squared (OLS, IV)
    "r2_within",  # within R-squared (fixed effects)
    "pseudo_r2",  # McFadden pseudo R-squared (logit, probit)
    "loglik",  # log-likelihood
    "ngroups",  # number of groups (panel estimators)
    "j_stat",  # Hansen J statistic (over-identified GMM)
    "j_pvalue",
    "first_stage_f",  # smallest first-stage F statistic (IV)
    "ninstruments",  # number of instruments (GMM)
    "sargan",
    "sargan_pvalue",
    "hansen",
    "hansen_pvalue",
    "ar1",
    "ar1_pvalue",
    "ar2",
    "ar2_pvalue",
    "aic",  # Akaike information criterion (spatial ML models)
    "moran",  # spatial diagnostics on OLS/SLX residuals (slx(w)): Moran's I and LM tests, with p-values
    "moran_pvalue",
    "lm_lag",
    "lm_lag_pvalue",
    "lm_error",
    "lm_error_pvalue",
    "rlm_lag",
    "rlm_lag_pvalue",
    "rlm_error",
    "rlm_error_pvalue",
)


@dataclass(frozen=True)
class Variance:
    """How a Result's covariance was computed, as data: what `explain`, diffs and tests read.

    ``factor`` is the small-sample factor applied to the backend's raw
    estimator (1.0 when none), ``df`` the degrees of freedom of the t
    distribution behind the p-values (None: the normal), ``groups`` the
    number of clusters per cluster variable. ``text`` is the description
    tables print.
    """

    kind: str  # "unadjusted", "robust", "cluster", or the estimator's own (e.g. "windmeijer")
    text: str
    clusters: tuple[str, ...] = ()
    groups: tuple[int, ...] = ()
    factor: float = 1.0
    df: int | None = None
    reference: str = ""  # the convention in words, e.g. "CRV1: (n-1)/(n-K) * G/(G-1) ..."


@dataclass(frozen=True, eq=False)
class Result:
    """Estimates of one model, indexed by formulaic term names."""

    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    nobs: int
    estimator: str  # registry name, e.g. "logit", "fe"
    vcov: str = "unadjusted"  # human-readable variance description
    stats: Mapping[str, float] = field(default_factory=dict)
    dropped: int = 0  # rows dropped for missing values
    model: str = ""  # spec model name, "" for povdsl.fit
    label: str = ""  # model label from the spec
    dependent: str = ""  # outcome as written, e.g. "log(income)"
    warnings: tuple[str, ...] = ()
    raw: object = None  # the backend's own result object, for power users
    variance: Variance | None = None  # the typed form of `vcov`
    cov: pd.DataFrame | None = None  # covariance of params, labelled like params
    impacts: pd.DataFrame | None = None  # spatial lag models: direct/indirect/total effects by regressor (estimate/spatial/impacts.py)
    absorbed: tuple[str, ...] = ()  # columns absorbed as fixed effects, unit first (`fe(household, year)`): a table's `row fe`

    def summary(self) -> str:
        """A readable regression summary: what was fitted, then coefficients, statistics and fit (povdsl.render.summary)."""
        from povdsl.render.summary import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:
        return self._view("html")

    def _repr_markdown_(self) -> str:
        return self._view("markdown")

    def _repr_latex_(self) -> str:
        return self._view("latex")

    def _view(self, fmt: str) -> str:
        """Jupyter shows a Result as a one-column table with standard errors (povdsl.table)."""
        from povdsl.render.python_tables import table

        return str(table([self], stat="se", names=[self.label or self.model or "(1)"]).render(fmt))

    def summary_frame(self) -> pd.DataFrame:
        """Coefficients, standard errors, t statistics and p-values side by side."""
        import pandas as pd

        return pd.DataFrame(
            {
                "coef": self.params,
                "std_error": self.std_errors,
                "t": self.tstats,
                "p": self.pvalues,
            }
        )
