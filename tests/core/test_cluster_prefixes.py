"""A sweep's industry columns by binary search (`prefix_columns`) are exactly the columns a scan with startswith picks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.data.clusters import cluster_matrix, cluster_table, prefix_columns


def _codes(seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return sorted({f"{rng.integers(10, 99)}{rng.integers(0, 99):02d}" for _ in range(400)} | {"17", "171", "1710", "9", "99"})


@pytest.mark.parametrize("seed", [0, 1])
def test_prefix_columns_match_a_startswith_scan(seed):
    columns = pd.Index(_codes(seed))
    prefixes = sorted({c[:n] for c in columns for n in (1, 2, 3, 4)} | {"0", "5", "999", "17x", ""})
    for prefix in prefixes:
        scanned = [c for c in columns if c.startswith(prefix)]
        assert list(columns[prefix_columns(columns, prefix)]) == scanned, prefix


def test_cluster_matrix_columns_are_in_string_order():
    rng = np.random.default_rng(4)
    census = pd.DataFrame(
        {
            "county": rng.integers(0, 30, 3000),
            "year": rng.choice([2004, 2008], 3000),
            "industry": rng.choice(["1711", "0520", "3410", "1742", "2210", "0911"], 3000),
            "firms": rng.integers(1, 40, 3000),
            "employment": rng.integers(1, 900, 3000),
        }
    )
    table = cluster_table(census, digits=4)
    cells = pd.MultiIndex.from_frame(census[["county", "year"]].drop_duplicates().sort_values(["county", "year"]))
    wide = cluster_matrix(table, cells)
    assert list(wide.columns) == sorted(wide.columns)
    textiles = wide.iloc[:, prefix_columns(wide.columns, "17")].sum(axis=1)
    by_hand = table[table["is_cluster"] & table["industry"].str.startswith("17")].groupby(["county", "year"]).size()
    assert (textiles == by_hand.reindex(cells, fill_value=0).to_numpy()).all()
