"""`Weights.from_table` (linear, chunked, dense when smaller) against weights summed by hand.

The reference below builds the matrix with a Python loop over the table's rows,
exactly as the documented rule says: w_ij = 1/d_ij^alpha off the diagonal,
only pairs within the cutoff and among each origin's k nearest (ties in table
order), optionally row-standardised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from povdsl.data import weights as weights_module
from povdsl.data.weights import Weights
from povdsl.errors import DataError


def _table(regions: int, density: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"r{i:03d}" for i in rng.permutation(regions)]
    pairs = [(a, b) for a in ids for b in ids if a == b or rng.random() < density]
    frame = pd.DataFrame(pairs, columns=["origin", "destination"])
    frame["minutes"] = np.where(frame["origin"] == frame["destination"], 0.0, rng.integers(5, 300, len(frame)).astype(float))
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _by_hand(table: pd.DataFrame, *, alpha=1.0, cutoff=None, k=None, row_standardize=False) -> pd.DataFrame:
    regions = sorted(set(table["origin"]) | set(table["destination"]))
    position = {r: i for i, r in enumerate(regions)}
    candidates: dict[str, list[tuple[float, int, str]]] = {}
    for order, (o, d, minutes) in enumerate(table[["origin", "destination", "minutes"]].itertuples(index=False)):
        if o != d:
            candidates.setdefault(o, []).append((minutes, order, d))
    matrix = np.zeros((len(regions), len(regions)))
    for o, entries in candidates.items():
        for rank, (minutes, _, d) in enumerate(sorted(entries)):
            if (cutoff is None or minutes <= cutoff) and (k is None or rank < k):
                matrix[position[o], position[d]] = 1.0 / minutes**alpha
    if row_standardize:
        sums = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)
    return pd.DataFrame(matrix, index=regions, columns=regions)


OPTIONS = [
    {},
    {"alpha": 2.0},
    {"cutoff": 120.0},
    {"k": 3},
    {"k": 2, "cutoff": 200.0, "row_standardize": True},
    {"row_standardize": True},
]


@pytest.mark.parametrize("density", [0.15, 0.9], ids=["sparse", "dense"])
@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) or "plain" for o in OPTIONS])
def test_from_table_equals_hand_built_matrix(density, options, monkeypatch):
    monkeypatch.setattr(weights_module, "_CHUNK_ROWS", 97)  # several chunks, so chunk edges are exercised
    table = _table(40, density)
    got = Weights.from_table(table, "origin", "destination", "minutes", **options)
    want = _by_hand(table, **options)
    assert list(got.regions) == list(want.index)
    assert_allclose(got.to_frame().to_numpy(), want.to_numpy(), rtol=1e-15, atol=0)
    assert_allclose(got.matrix.toarray(), want.to_numpy(), rtol=1e-15, atol=0)


def test_storage_is_dense_exactly_when_smaller():
    full = Weights.from_table(_table(30, 1.0), "origin", "destination", "minutes")
    nearest = Weights.from_table(_table(30, 1.0), "origin", "destination", "minutes", k=2)
    assert full.is_dense and not nearest.is_dense
    assert weights_module.dense_is_smaller(30 * 29, 30) and not weights_module.dense_is_smaller(30 * 2, 30)


@pytest.mark.parametrize("density", [0.15, 1.0], ids=["sparse", "dense"])
def test_lag_marks_rows_touching_a_missing_value(density):
    table = _table(25, density, seed=3)
    w = Weights.from_table(table, "origin", "destination", "minutes")
    x = pd.Series(np.arange(25, dtype=float), index=w.regions)
    x.iloc[4] = np.nan
    lagged = w.lag(x)
    reference = _by_hand(table).to_numpy()
    touched = reference[:, 4] != 0
    assert lagged[touched].isna().all()
    assert_allclose(lagged[~touched].to_numpy(), (reference @ np.nan_to_num(x.to_numpy()))[~touched], rtol=1e-13)


@pytest.mark.parametrize("chunk", [10_000, 7])
def test_duplicate_pair_is_named(chunk, monkeypatch):
    monkeypatch.setattr(weights_module, "_CHUNK_ROWS", chunk)
    table = _table(12, 0.5, seed=1)
    doubled = pd.concat([table, table.iloc[[5]]], ignore_index=True)
    origin, destination = table["origin"].iloc[5], table["destination"].iloc[5]  # ids as the file has them, not a mixed row's floats
    with pytest.raises(DataError, match=rf"lists the pair \({origin}, {destination}\) twice, in rows 6 and {len(doubled)}\n"):
        Weights.from_table(doubled, "origin", "destination", "minutes")


def test_non_positive_distance_and_missing_values_are_refused():
    table = _table(10, 1.0, seed=2)
    off = table.index[table["origin"] != table["destination"]][0]
    pair = f"({table['origin'].iloc[off]}, {table['destination'].iloc[off]})"
    with pytest.raises(DataError, match=rf"must be positive between different regions; \{pair[:-1]}\) has 0.0 in row {off + 1}\n") as info:
        Weights.from_table(table.assign(minutes=table["minutes"].where(table.index != off, 0.0)), "origin", "destination", "minutes")
    assert "1 / value" in (info.value.hint or "")
    with pytest.raises(DataError, match=rf"has 1 row with a missing origin, destination or minutes: row {off + 1}\n"):
        Weights.from_table(table.assign(minutes=table["minutes"].where(table.index != off)), "origin", "destination", "minutes")
