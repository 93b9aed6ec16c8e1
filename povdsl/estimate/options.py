"""What each estimator accepts in a spec, apart from the backends that fit it.

The checker binds `logit(margins)` or `gmm(iv=z, steps=2)` from these tuples,
which the records of `povdsl.estimate.registry` hold, without importing
statsmodels or linearmodels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["flag", "int", "float", "name", "names"]


@dataclass(frozen=True)
class OptionSpec:
    """One spec argument an estimator accepts, with the default the checker fills in."""

    name: str
    type: OptionType
    default: object
    doc: str


BINARY_OPTIONS = (
    OptionSpec("margins", "flag", False, "report average marginal effects (dy/dx at='overall') instead of index coefficients"),
    OptionSpec("maxiter", "int", 35, "Newton iterations before the fit is declared non-convergent"),
)
FE_OPTIONS = (OptionSpec("time_effects", "flag", False, "add time fixed effects (two-way FE)"),)
IV_OPTIONS = (
    OptionSpec("absorb", "flag", False, "absorb entity fixed effects: demean every variable by Design.entity before fitting"),
    OptionSpec("small", "flag", False, "small-sample covariance (linearmodels debiased=True, t/F reference distributions), like Stata's `small`"),
)
GMM_OPTIONS = IV_OPTIONS + (OptionSpec("steps", "int", 2, "GMM iterations (linearmodels iter_limit); 2 is two-step efficient GMM"),)
