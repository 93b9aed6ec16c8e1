"""Dynamic-panel GMM: Arellano-Bond difference GMM and Blundell-Bond system GMM.

Numerics follow xtabond2 (Roodman 2009); see docs/dynpanel.md for the exact
equations, instruments and tests.
"""

from povdsl.check.dynamic_panel import (
    DynamicPanelSpec,
    GmmInstrument,
    IvInstrument,
)
from povdsl.estimate.dynpanel.estimator import GmmDetail, fit_dynamic_panel
from povdsl.estimate.dynpanel.lags import diff, lag

__all__ = [
    "DynamicPanelSpec",
    "GmmDetail",
    "GmmInstrument",
    "IvInstrument",
    "diff",
    "fit_dynamic_panel",
    "lag",
]
