"""Estimator adapters: one function per estimator, named by its record in `povdsl.estimate.registry`.

Every adapter takes a `Design` (or what its record's `prepare` builds), the
option mapping and a `Vcov`, and returns a `Result`. The registry itself is
`povdsl.estimate.registry`; these names are kept for callers of the older API.
"""

from __future__ import annotations

from povdsl.estimate.options import OptionSpec
from povdsl.estimate.registry import REGISTRY, EstimatorSpec, get

Estimator = EstimatorSpec

__all__ = ["REGISTRY", "Estimator", "EstimatorSpec", "OptionSpec", "get"]
