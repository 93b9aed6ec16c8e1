"""Cutting povdsl's Weights to a model's regions: errors name the regions, standardisation follows the declaration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from povdsl.data.weights import Weights
from povdsl.errors import DataError
from povdsl.estimate.spatial import sample_weights

REGIONS = pd.Index(["a", "b", "c", "d"])
M = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 1], [0, 0, 1, 0]], dtype=float)


def test_missing_regions_are_named():
    with pytest.raises(DataError, match=r"no row for region\(s\) x, y"):
        sample_weights(Weights(sparse.csr_matrix(M), REGIONS), ["a", "x", "b", "y"], name="w")


def test_regions_left_without_neighbours_are_named():
    with pytest.raises(DataError, match=r"region\(s\) d have no neighbour"):
        sample_weights(Weights(sparse.csr_matrix(M), REGIONS), ["a", "b", "d"], name="w")


def test_declared_row_standardisation_survives_the_cut():
    standardized = M / M.sum(axis=1, keepdims=True)
    sw = sample_weights(Weights(sparse.csr_matrix(standardized), REGIONS), ["c", "a", "b"], name="w")
    assert sw.row_standardized
    np.testing.assert_allclose(np.asarray(sw.matrix.sum(axis=1)).ravel(), 1.0)
    np.testing.assert_allclose(sw.matrix.toarray(), [[0, 0.5, 0.5], [0.5, 0, 0.5], [0, 1, 0]])


def test_weights_used_as_given_stay_as_given():
    sw = sample_weights(Weights(sparse.csr_matrix(M * 2.5), REGIONS), ["a", "b", "c"], name="w")
    assert not sw.row_standardized
    np.testing.assert_allclose(sw.matrix.toarray(), M[:3, :3] * 2.5)


def test_libpysal_form_holds_the_same_matrix():
    pytest.importorskip("libpysal")
    sw = sample_weights(Weights(sparse.csr_matrix(M), REGIONS), list(REGIONS), name="w", row_standardize=True)
    w = sw.to_libpysal()
    assert w.id_order == ["a", "b", "c", "d"]
    np.testing.assert_allclose(w.sparse.toarray(), sw.matrix.toarray(), rtol=0, atol=0)


def test_povdsl_works_without_spreg_and_says_how_to_install_it(tmp_path):
    """A child process where spreg and libpysal cannot be imported: povdsl imports, spatial code
    loads, and a spatial fit fails with the install hint instead of an ImportError."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['spreg'] = None; sys.modules['libpysal'] = None\n"
        "import povdsl, povdsl.estimate.spatial.ml as ml\n"
        "import numpy as np, pandas as pd\n"
        "from scipy import sparse\n"
        "from povdsl.data.weights import Weights\n"
        "from povdsl.estimate.spatial import sample_weights\n"
        "from povdsl.errors import EstimationError\n"
        "r = pd.Index(['a','b','c'])\n"
        "sw = sample_weights(Weights(sparse.csr_matrix(np.ones((3,3)) - np.eye(3)), r), r)\n"
        "X = pd.DataFrame({'Intercept': 1.0, 'x': [1.0, 2.0, 4.0]}, index=r)\n"
        "try:\n    ml.fit_ml('sar', pd.Series([1.0, 3.0, 2.0], index=r), X, sw)\nexcept EstimationError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "pip install" in out.stdout and "povdsl[spatial]" in out.stdout
