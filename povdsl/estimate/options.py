"""What each estimator accepts in a spec, apart from the backends that fit it.

The checker binds `logit(margins)` or `gmm(iv=z, steps=2)` from these tuples,
which the records of `povdsl.estimate.registry` hold, without importing
statsmodels or linearmodels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["flag", "int", "float", "name", "names"]
OptionValue = bool | int | float | str | tuple[str, ...]  # flag, int, float, name, names: what a plan's options hold


@dataclass(frozen=True)
class OptionSpec:
    """One spec argument an estimator accepts, with the default the checker fills in."""

    name: str
    type: OptionType
    default: OptionValue
    doc: str
    # An int option's smallest and largest value. A spec is untrusted: `logit(maxiter=1000000000)` on
    # separated data iterated until killed (a gigabyte of history), `draws=2000000000` asked for 60 GB.
    bounds: tuple[int, int] | None = None

    def accepts(self, value: int) -> bool:
        return self.bounds is None or self.bounds[0] <= value <= self.bounds[1]

    def wanted(self) -> str:
        """What a value must be, for the E217 message."""
        if self.type == "int":
            return "a whole number" + (f" from {self.bounds[0]:,} to {self.bounds[1]:,}" if self.bounds else "")
        return {"flag": "true or false", "float": "a number"}.get(self.type, "a name")


BINARY_OPTIONS = (
    OptionSpec("margins", "flag", False, "report average marginal effects (dy/dx at='overall') instead of index coefficients"),
    OptionSpec("maxiter", "int", 35, "Newton iterations before the fit is declared non-convergent", bounds=(1, 1000)),
)
FE_OPTIONS = (OptionSpec("time_effects", "flag", False, "add time fixed effects (two-way FE)"),)
IV_OPTIONS = (
    OptionSpec("absorb", "flag", False, "absorb entity fixed effects: demean every variable by Design.entity before fitting"),
    OptionSpec("small", "flag", False, "small-sample covariance (linearmodels debiased=True, t/F reference distributions), like Stata's `small`"),
)
SPATIAL_OPTIONS = (
    OptionSpec("weights", "names", (), "the weight matrix, named positionally: sar(w); sac(w1, w2) takes two"),
    OptionSpec("method", "name", "ml", "ml (spreg ML_Lag / ML_Error; povdsl's SARAR likelihood for sac) or gmm (Kelejian-Prucha, spreg GM_*)"),
    OptionSpec("robust", "flag", False, "method=gmm: heteroskedasticity-robust (White for sar/sdm; GM_Error_Het / GM_Combo_Het)"),
    OptionSpec("fe", "name", "", "unit fixed effects (empty: none), a spatial panel: sar or sem by ML (spreg Panel_FE_Lag / Panel_FE_Error)"),
    OptionSpec("draws", "int", 1000, "simulated draws behind the impacts' standard errors", bounds=(0, 100_000)),
    OptionSpec("seed", "int", 20090101, "seed of those draws"),
    OptionSpec("ldet", "name", "auto", "log-determinant: auto (full up to 400 regions, else lu), full, lu or ord, as spreg's method="),
)
SPARSE_COV_LIMIT = 5000  # regions above which spatial ML fits take the sparse route (estimate/spatial/ml_sparse.py, decision 66)
SLX_OPTIONS = (OptionSpec("weights", "names", (), "the weight matrix the residual diagnostics use: slx(w)"),)
GMM_OPTIONS = IV_OPTIONS + (OptionSpec("steps", "int", 2, "GMM iterations (linearmodels iter_limit); 2 is two-step efficient GMM", bounds=(1, 100)),)
