"""W(x, w) against sums computed by hand on a small example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.data.weights import Weights
from povdsl.errors import DataError

# three regions; minutes[r][j] is the travel time from r to j (asymmetric)
MINUTES = {("a", "b"): 10.0, ("a", "c"): 20.0, ("b", "a"): 12.0, ("b", "c"): 40.0, ("c", "a"): 25.0, ("c", "b"): 50.0}
CLUSTERS = {"a": 3.0, "b": 5.0, "c": 7.0}


def _table() -> pd.DataFrame:
    rows = [(o, d, m) for (o, d), m in MINUTES.items()] + [(r, r, 0.0) for r in "abc"]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


def test_inverse_travel_time_lag_is_the_hand_sum():
    w = Weights.from_table(_table(), "origin", "destination", "minutes")
    lagged = w.lag(pd.Series(CLUSTERS))
    assert lagged["a"] == pytest.approx(5 / 10 + 7 / 20, rel=1e-12)
    assert lagged["b"] == pytest.approx(3 / 12 + 7 / 40, rel=1e-12)
    assert lagged["c"] == pytest.approx(3 / 25 + 5 / 50, rel=1e-12)


def test_diagonal_is_zero_and_not_row_standardised():
    matrix = Weights.from_table(_table(), "origin", "destination", "minutes").to_frame()
    assert (np.diag(matrix) == 0).all()
    assert matrix.loc["a", "b"] == pytest.approx(1 / 10)
    assert matrix.sum(axis=1).round(6).tolist() != [1.0, 1.0, 1.0]


def test_row_standardise_cutoff_and_k_nearest():
    rs = Weights.from_table(_table(), "origin", "destination", "minutes", row_standardize=True).to_frame()
    assert rs.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    cut = Weights.from_table(_table(), "origin", "destination", "minutes", cutoff=15).to_frame()
    assert cut.loc["a", "c"] == 0 and cut.loc["a", "b"] == pytest.approx(0.1)
    nearest = Weights.from_table(_table(), "origin", "destination", "minutes", k=1).to_frame()
    assert (nearest > 0).sum(axis=1).tolist() == [1, 1, 1]
    assert nearest.loc["c", "a"] == pytest.approx(1 / 25)


def test_missing_regional_value_propagates_as_missing():
    w = Weights.from_table(_table(), "origin", "destination", "minutes")
    lagged = w.lag(pd.Series({"a": 3.0, "b": np.nan, "c": 7.0}))
    assert np.isnan(lagged["a"]) and np.isnan(lagged["c"])
    assert lagged["b"] == pytest.approx(3 / 12 + 7 / 40)


def test_bad_tables_are_refused():
    bad = _table()
    bad.loc[0, "minutes"] = 0.0
    with pytest.raises(DataError, match="positive"):
        Weights.from_table(bad, "origin", "destination", "minutes")
    with pytest.raises(DataError, match="twice"):
        Weights.from_table(pd.concat([_table(), _table().iloc[:1]]), "origin", "destination", "minutes")


def test_fit_uses_w_over_all_regions_by_period():
    """W over every region of the matrix, period by period, merged onto each row."""
    matrix = pd.DataFrame([[0.0, 0.5, 0.25], [0.2, 0.0, 0.1], [1.0, 0.4, 0.0]], index=list("abc"), columns=list("abc"))
    rng = np.random.default_rng(7)
    rows = []
    clusters = {("a", 1): 3, ("b", 1): 5, ("c", 1): 7, ("a", 2): 4, ("b", 2): 1, ("c", 2): 9}
    for unit in range(60):
        region = "abc"[unit % 3]
        for t in (1, 2):
            rows.append({"u": unit, "t": t, "r": region, "cl": clusters[(region, t)], "x": rng.normal()})
    df = pd.DataFrame(rows)
    df["y"] = 1 + 0.3 * df.x + rng.normal(size=len(df))
    result = povdsl.fit("y ~ x + W(cl, tt) | ols", df, weights={"tt": Weights.from_matrix(matrix)}, panel=("u", "t"), region="r")
    hand = {(r, t): sum(matrix.loc[r, j] * clusters[(j, t)] for j in "abc") for r in "abc" for t in (1, 2)}
    expected_w = np.array([hand[(r, t)] for r, t in zip(df.r, df.t)])
    direct = np.linalg.lstsq(np.column_stack([np.ones(len(df)), df.x, expected_w]), df.y, rcond=None)[0]
    assert result.params.index.tolist() == ["Intercept", "x", "W(cl, tt)"]
    np.testing.assert_allclose(result.params.to_numpy(), direct, rtol=1e-8)
