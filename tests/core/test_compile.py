"""The compile stage's shortcut for plain numeric columns equals formulaic exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
from formulaic import model_matrix

from povdsl.estimate.compile import _matrix, _plain_columns


def test_plain_columns_equal_formulaic_with_missing_values():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.integers(0, 9, 50), "W(a, tt)": rng.normal(size=50)})
    frame.loc[[3, 17], "a"] = np.nan
    frame.loc[[5], "W(a, tt)"] = np.nan
    terms = ["a", "b", "`W(a, tt)`"]
    assert _plain_columns(terms, frame) == ["a", "b", "W(a, tt)"]
    ours = _matrix(terms, frame, intercept=True)
    theirs = pd.DataFrame(model_matrix("1 + a + b + `W(a, tt)`", frame, na_action="drop", output="pandas"))
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=True)


def test_anything_but_plain_numeric_columns_goes_to_formulaic():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flag": [True, False, True], "name": ["x", "y", "x"]})
    assert _plain_columns(["flag"], frame) is None  # formulaic treats booleans as categorical
    assert _plain_columns(["name"], frame) is None
    assert _plain_columns(["log(a)"], frame) is None
    assert _plain_columns(["a:a"], frame) is None
    assert list(_matrix(["name"], frame, intercept=True).columns) == ["Intercept", "name[T.y]"]
