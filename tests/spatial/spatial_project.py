"""A small synthetic regional project written into a folder: outcomes per county and year, covariates
keyed by (county, year), county coordinates, and a spec text the tests fill in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HEADER = """data outcomes = "outcomes.csv" panel(county, year) region(county)
data covariates = "covariates.csv" key(county, year)
weights nn = knn("coords.csv", county, lon, lat, k=4, row_standardize=true)
weights band = distance_band("coords.csv", county, lon, lat, threshold=3)
"""


def write_project(folder: Path, models: str, *, n: int = 60, rho: float = 0.4, seed: int = 0) -> Path:
    """Data from a SAR on the row-standardised 4-nearest-neighbour W, two years; returns the spec path."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    counties = np.arange(100, 100 + n)
    lon, lat = rng.uniform(0, 10, n), rng.uniform(0, 10, n)
    pd.DataFrame({"county": counties, "lon": lon, "lat": lat}).to_csv(folder / "coords.csv", index=False)
    _, nearest = cKDTree(np.column_stack([lon, lat])).query(np.column_stack([lon, lat]), k=5)
    w = np.zeros((n, n))
    np.put_along_axis(w, nearest[:, 1:], 0.25, axis=1)
    fe = rng.normal(size=n)
    outcomes, covariates = [], []
    for year in (2004, 2008):
        x, z = rng.normal(size=n), rng.normal(size=n)
        y = np.linalg.solve(np.eye(n) - rho * w, 1.0 + x - 0.5 * z + 0.3 * (w @ x) + fe + rng.normal(size=n))
        outcomes.append(pd.DataFrame({"county": counties, "year": year, "y": y}))
        covariates.append(pd.DataFrame({"county": counties, "year": year, "x": x, "z": z}))
    pd.concat(outcomes).to_csv(folder / "outcomes.csv", index=False)
    pd.concat(covariates).to_csv(folder / "covariates.csv", index=False)
    spec = folder / "spatial.pov"
    spec.write_text(HEADER + models)
    return spec


def frame(folder: Path, year: int | None = None) -> pd.DataFrame:
    data = pd.read_csv(folder / "outcomes.csv").merge(pd.read_csv(folder / "covariates.csv"), on=["county", "year"])
    return data if year is None else data[data.year == year].reset_index(drop=True)
