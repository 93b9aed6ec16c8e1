"""`weights w = knn(...)` and `distance_band(...)` in a spec: W() over them equals libpysal's lag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from spatial_project import frame, write_project  # type: ignore[import-not-found]

import povdsl
from povdsl.errors import SpecError

lw = pytest.importorskip("libpysal.weights")


def test_w_terms_over_coordinate_weights(tmp_path):
    spec = write_project(tmp_path, 'model m1 "M1": y ~ x + W(x, nn) + W(z, band) | ols\n  where year == 2004\n')
    out = povdsl.run(spec)
    data = frame(tmp_path, 2004)
    coords = pd.read_csv(tmp_path / "coords.csv")
    knn = lw.KNN.from_array(coords[["lon", "lat"]].to_numpy(), k=4)
    knn.transform = "r"
    band = lw.DistanceBand.from_array(coords[["lon", "lat"]].to_numpy(), threshold=3, silence_warnings=True)
    import statsmodels.api as sm

    X = sm.add_constant(np.column_stack([data.x, knn.sparse @ data.x.to_numpy(), band.sparse @ data.z.to_numpy()]))
    ols = sm.OLS(data.y.to_numpy(), X).fit()
    np.testing.assert_allclose(out.results["m1"].params.to_numpy(), ols.params, rtol=1e-10)


def test_distance_band_without_threshold_is_a_located_error(tmp_path):
    spec = write_project(tmp_path, "")
    spec.write_text(spec.read_text().replace("threshold=3", "binary=true") + 'model m1: y ~ x | ols\n')
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    assert "spatial.pov:4:" in str(info.value) and "threshold" in str(info.value)
