"""Data shared by the spatial tests: Anselin's Columbus crime data and Baltimore house prices,
both shipped inside libpysal (offline), and their contiguity matrices as povdsl Weights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from povdsl.data.weights import Weights
from povdsl.estimate.spatial import sample_weights

libpysal = pytest.importorskip("libpysal")
pytest.importorskip("spreg")


def _example(dbf: str, gal: str, columns: list[str]):
    db = libpysal.io.open(libpysal.examples.get_path(dbf), "r")
    frame = pd.DataFrame({c: np.asarray(db.by_col(c), dtype=float) for c in columns})
    w = libpysal.io.open(libpysal.examples.get_path(gal)).read()
    frame.index = pd.Index(w.id_order)
    declared = Weights(sparse.csr_matrix(w.sparse), pd.Index(w.id_order), "binary contiguity")
    sw = sample_weights(declared, w.id_order, name="w", row_standardize=True)
    w.transform = "r"
    # the references get the very matrix povdsl uses (bit for bit), so optimiser paths coincide;
    # that it is libpysal's own row-standardisation is checked in test_weights_conversion
    return frame, sw, sw.to_libpysal(), w


@pytest.fixture  # fresh each test: spreg caches on (and may change) the W objects it is given
def columbus():
    """(frame, SampleWeights, its libpysal W, libpysal's own row-standardised W) for CRIME ~ INC + HOVAL."""
    return _example("columbus.dbf", "columbus.gal", ["CRIME", "INC", "HOVAL"])


@pytest.fixture  # fresh each test: spreg caches on (and may change) the W objects it is given
def baltimore():
    return _example("baltim.dbf", "baltim_q.gal", ["PRICE", "NROOM", "AGE", "SQFT"])



@pytest.fixture
def columbus_rook():
    """Columbus with rook contiguity read from the shapefile, as spreg's GM tests build it (it differs from columbus.gal)."""
    frame, _, _, _ = _example("columbus.dbf", "columbus.gal", ["CRIME", "INC", "HOVAL"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # libpysal's shapefile reader announces its Geometry deprecation
        rook = libpysal.weights.Rook.from_shapefile(libpysal.examples.get_path("columbus.shp"))
    ids = [str(i) for i in rook.id_order]
    declared = Weights(sparse.csr_matrix(rook.sparse), pd.Index(ids), "rook contiguity")
    frame.index = pd.Index(ids)
    return frame, sample_weights(declared, ids, name="rook", row_standardize=True)
