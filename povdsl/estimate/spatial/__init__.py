"""Spatial econometrics: SAR, SEM, SDM, SAC and spatial FE panels on PySAL's spreg.

The modules here take plain frames whose rows are regions (or region-periods,
for panels) in the order of a SampleWeights matrix and return a SpatialFit;
adapters turn that into a povdsl Result. spreg and libpysal are an optional
extra (`pip install povdsl[spatial]`), imported only when a spatial fit runs.
"""

from __future__ import annotations

from povdsl.estimate.spatial.fit import SpatialFit
from povdsl.estimate.spatial.lattice import SampleWeights, sample_weights

__all__ = ["SampleWeights", "SpatialFit", "sample_weights"]
