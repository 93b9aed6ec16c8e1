"""Dynamic-panel GMM (diffgmm, sysgmm) as an ordinary registry entry.

The engine in `povdsl.estimate.dynpanel` builds its own lags and instruments
from the unit rows, so `prepare` hands it the sampled frame and the model's
specification instead of a compiled Design; `fit` has the same signature as
every other adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.design import Vcov
from povdsl.estimate.dynpanel import DynamicPanelSpec, fit_dynamic_panel
from povdsl.estimate.result import Result, Variance


@dataclass(frozen=True, eq=False)
class DynamicDesign:
    """The fit's input: the model's unit rows (its `where` applied) and its specification."""

    frame: pd.DataFrame
    spec: DynamicPanelSpec
    unit: str
    time: str


@dataclass(frozen=True, eq=False)
class Prepared:
    design: DynamicDesign
    vcov: Vcov


def prepare(model, frames, cache=None) -> Prepared:
    from povdsl.estimate.compile import sample

    if frames.unit_col is None or frames.time_col is None:
        raise EstimationError(f"{model.estimator} needs a panel", hint="declare the data with panel(unit, time)")
    assert model.dynamic is not None  # the checker binds every diffgmm/sysgmm model to its DynamicPanelSpec
    frame, _ = sample(model, frames)  # the engine counts what it drops itself, by unit
    return Prepared(DynamicDesign(frame, model.dynamic, frames.unit_col, frames.time_col), Vcov("default"))


def fit(design: DynamicDesign, options: Mapping[str, object], vcov: Vcov) -> Result:
    result = fit_dynamic_panel(design.frame, design.spec, unit=design.unit, time=design.time)
    robust = design.spec.steps == 2
    variance = Variance(
        kind="windmeijer" if robust else "robust",
        text=result.vcov,
        factor=1.0,
        df=None,
        reference=("Windmeijer-corrected two-step" if robust else "robust one-step") + " variance, as xtabond2; normal",
    )
    return replace(result, variance=variance)
