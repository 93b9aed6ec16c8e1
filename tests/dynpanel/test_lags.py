"""Lags follow the time value within a unit: gaps give NaN, never the previous row."""

import numpy as np
import pandas as pd
import pytest

from povdsl.errors import EstimationError
from povdsl.estimate.dynpanel import diff, lag


@pytest.fixture
def gappy() -> pd.DataFrame:
    # unit 1 skips 2002; rows deliberately out of order
    return pd.DataFrame(
        {
            "id": [1, 1, 1, 2, 2, 1],
            "t": [2003, 2000, 2001, 2001, 2000, 2004],
            "x": [4.0, 1.0, 2.0, 20.0, 10.0, 5.0],
        }
    )


def test_lag_respects_gaps_and_order(gappy):
    lagged = lag(gappy["x"], gappy["id"], gappy["t"], 1)
    assert lagged.index.equals(gappy.index)
    np.testing.assert_array_equal(lagged.to_numpy(), [np.nan, np.nan, 1.0, 10.0, np.nan, 4.0])


def test_lag_two_and_lead(gappy):
    np.testing.assert_array_equal(lag(gappy["x"], gappy["id"], gappy["t"], 2).to_numpy(), [2.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(lag(gappy["x"], gappy["id"], gappy["t"], -1).to_numpy(), [5.0, 2.0, np.nan, np.nan, 20.0, np.nan])


def test_diff_of_frame_by_column_names(gappy):
    changed = diff(gappy, "id", "t")
    np.testing.assert_array_equal(changed["x"].to_numpy(), [np.nan, np.nan, 1.0, 10.0, np.nan, 1.0])
    assert changed["id"].tolist() == gappy["id"].tolist()


def test_duplicate_unit_period_is_an_error(gappy):
    doubled = pd.concat([gappy, gappy.iloc[:1]])
    with pytest.raises(EstimationError, match="repeated"):
        lag(doubled["x"], doubled["id"], doubled["t"], 1)


def test_non_integer_time_is_an_error(gappy):
    with pytest.raises(EstimationError, match="whole numbers"):
        lag(gappy["x"], gappy["id"], gappy["t"] + 0.5, 1)
