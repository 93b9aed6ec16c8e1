"""The materialised input of one fit: what the compile stage hands an estimator.

Adapters never see formulas or spec text, only these frames, so every backend
is tested on plain data and the compiler is tested without fitting anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

import pandas as pd

VcovKind = Literal["default", "unadjusted", "robust", "cluster"]


@dataclass(frozen=True)
class Vcov:
    """Variance estimator requested by the spec; "default" lets the estimator choose."""

    kind: VcovKind = "default"
    clusters: tuple[str, ...] = ()  # column names in Design.groups, for kind == "cluster"

    @classmethod
    def requested(cls, kind: str, clusters: tuple[str, ...] = ()) -> Vcov:
        """A checked model's vcov clause; the checker admits only the VcovKind words."""
        assert kind in get_args(VcovKind), kind
        return cls(cast(VcovKind, kind), clusters)  # narrowed by the assertion, which mypy cannot follow


@dataclass(frozen=True, eq=False)
class Design:
    """Aligned frames after listwise deletion; all share one index.

    ``exog`` holds the exogenous regressors including an ``Intercept`` column
    when the model has one. ``endog`` and ``instruments`` are set only for IV
    estimators (``instruments`` = excluded instruments). ``entity`` and
    ``time`` are set for panel estimators; ``groups`` holds the cluster
    variables named by ``Vcov.clusters``.
    """

    y: pd.Series
    exog: pd.DataFrame
    endog: pd.DataFrame | None = None
    instruments: pd.DataFrame | None = None
    entity: pd.Series | None = None
    time: pd.Series | None = None
    groups: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None  # further absorbed effects: `fe(unit, time, industry)` puts industry here
    dropped: int = 0
    # The coefficients in the order the spec writes the terms, as positions in the exog then endog columns
    # (the compiler knows each column's term; IV backends put endogenous ones last). Positions, not names,
    # so a sweep that renames its focus column keeps the order. Empty: as the blocks stand.
    order: tuple[int, ...] = ()

    def coefficient_order(self) -> list[str]:
        """The coefficient names in the spec's order (exog then endog columns when no order is given)."""
        columns = [str(c) for c in self.exog.columns] + ([str(c) for c in self.endog.columns] if self.endog is not None else [])
        return [columns[i] for i in self.order] if self.order else columns
