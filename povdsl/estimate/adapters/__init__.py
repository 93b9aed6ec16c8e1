"""The estimator registry: spec names to adapters that share one input and one output type.

Adding a backend means adding one Estimator here; the checker reads names,
options and flags from this table, and the fit stage calls ``fit``.
"""

from __future__ import annotations

from povdsl.errors import EstimationError
from povdsl.estimate.options import OptionSpec
from povdsl.estimate.adapters.base import Estimator
from povdsl.estimate.adapters.cross_section import LOGIT, LPM, OLS, PROBIT
from povdsl.estimate.adapters.iv import GMM, IV
from povdsl.estimate.adapters.panel import FE, RE

REGISTRY: dict[str, Estimator] = {estimator.name: estimator for estimator in (OLS, LPM, LOGIT, PROBIT, FE, RE, IV, GMM)}


def get(name: str) -> Estimator:
    """Look an estimator up by its spec name."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise EstimationError(f"unknown estimator '{name}'", hint=f"use one of: {known}") from None


__all__ = ["REGISTRY", "Estimator", "OptionSpec", "get"]
