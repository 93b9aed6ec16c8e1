"""Sweep preparation over many industries: one cluster column per industry, povdsl vs the scan it replaced.

Run on demand: `python bench/sweep_prep_bench.py [--industries 500 1000 2000]`.

A sweep `for industry in industries(census, digits=4)` needs, per industry, the
number of its cluster industries per (region, time) cell. povdsl pivots the
cluster table once and finds each industry's columns by binary search on the
string-sorted codes (`povdsl.data.clusters.prefix_columns`). The anchor, timed
in the same run on the same pivot, is the previous code: a `startswith` scan
of every column per industry (quadratic in the number of industries). Both
give the same columns (tests/core/test_cluster_prefixes.py). Printed: seconds
for the pivot and for all industries' columns, and seconds per industry, which
stays flat for povdsl as the number of industries grows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from povdsl.data.clusters import cluster_matrix, cluster_table, prefix_columns


def _census(industries: int, regions: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(17)
    codes = np.array([f"{1000 + 4 * i}" for i in range(industries)])
    rows = regions * 2 * 20
    return pd.DataFrame(
        {
            "county": rng.integers(0, regions, rows),
            "year": rng.choice([2004, 2008], rows),
            "industry": rng.choice(codes, rows),
            "firms": rng.integers(1, 40, rows),
            "employment": rng.integers(1, 900, rows),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--industries", type=int, nargs="*", default=[500, 1000, 2000])
    args = parser.parse_args()
    print(f"{'industries':>10} {'pivot s':>8} {'povdsl s':>9} {'scan s':>8} {'povdsl ms/ind':>14} {'scan ms/ind':>12} {'scan / povdsl':>14}")
    for count in args.industries:
        census = _census(count)
        start = time.perf_counter()
        table = cluster_table(census, digits=4)
        cells = pd.MultiIndex.from_frame(census[["county", "year"]].drop_duplicates().sort_values(["county", "year"]))
        wide = cluster_matrix(table, cells)
        pivot = time.perf_counter() - start
        codes = sorted(table["industry"].unique())
        values = wide.to_numpy()
        start = time.perf_counter()
        ours = [values[:, prefix_columns(wide.columns, code)].sum(axis=1) for code in codes]
        povdsl_s = time.perf_counter() - start
        start = time.perf_counter()
        scanned = [values[:, [i for i, c in enumerate(wide.columns) if c.startswith(code)]].sum(axis=1) for code in codes]
        scan_s = time.perf_counter() - start
        assert all(np.array_equal(a, b) for a, b in zip(ours, scanned))
        n = len(codes)
        print(f"{n:>10} {pivot:>8.2f} {povdsl_s:>9.3f} {scan_s:>8.3f} {1000 * povdsl_s / n:>14.3f} {1000 * scan_s / n:>12.3f} {scan_s / povdsl_s:>14.1f}")


if __name__ == "__main__":
    main()
