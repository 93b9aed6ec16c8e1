"""knn, distance_band and kernel weights against libpysal called directly on the same coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.data.coordinate_weights import from_coordinates
from povdsl.errors import DataError

lw = pytest.importorskip("libpysal.weights")


@pytest.fixture
def coords():
    rng = np.random.default_rng(2)
    return pd.DataFrame({"county": [f"c{i}" for i in range(40)], "lon": rng.uniform(0, 10, 40), "lat": rng.uniform(0, 10, 40)})


def test_knn_is_libpysals(coords):
    w = from_coordinates(coords, "county", "lon", "lat", "knn", k=4, row_standardize=True)
    ref = lw.KNN.from_array(coords[["lon", "lat"]].to_numpy(), k=4)
    ref.transform = "r"
    np.testing.assert_allclose(w.matrix.toarray(), ref.full()[0], rtol=1e-15)
    assert list(w.regions) == list(coords.county)


def test_distance_band_is_libpysals(coords):
    w = from_coordinates(coords, "county", "lon", "lat", "distance_band", threshold=3.0, binary=False, alpha=-1.0)
    ref = lw.DistanceBand.from_array(coords[["lon", "lat"]].to_numpy(), threshold=3.0, binary=False, alpha=-1.0, silence_warnings=True)
    np.testing.assert_allclose(w.matrix.toarray(), ref.full()[0], rtol=1e-15)


def test_kernel_is_libpysals_without_the_diagonal(coords):
    w = from_coordinates(coords, "county", "lon", "lat", "kernel", bandwidth=4.0, function="quartic")
    full = lw.Kernel.from_array(coords[["lon", "lat"]].to_numpy(), bandwidth=4.0, function="quartic").full()[0]
    np.fill_diagonal(full, 0.0)
    np.testing.assert_allclose(w.matrix.toarray(), full, rtol=1e-15)


def test_bad_coordinates_are_named(coords):
    coords.loc[3, "lat"] = np.nan
    with pytest.raises(DataError, match="c3"):
        from_coordinates(coords, "county", "lon", "lat", "knn", k=3)
    with pytest.raises(DataError, match="threshold"):
        from_coordinates(coords.dropna(), "county", "lon", "lat", "distance_band")
