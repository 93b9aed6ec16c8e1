"""`Weights.from_table` against plain numpy on the same long table, and a 20,000-region k-nearest table.

Run on demand: `python bench/weights_bench.py [--regions 3000] [--nearest-regions 20000] [--k 10]`.

Each measurement runs in its own child process, which builds the table
(seeded; integer region ids, float minutes), then times one build and records
the growth of its resident set during it (bench/peak_memory.py). Sides:

* povdsl -- `Weights.from_table(table, "origin", "destination", "minutes")`:
  missing-value, duplicate-pair and sign checks, then dense or CSR storage,
  whichever is smaller;
* numpy  -- what a careful user writes without checks: `np.unique(...,
  return_inverse=True)` for region positions, then a dense array filled with
  1/minutes off the diagonal (a full table), or a CSR matrix from the same
  positions (a k-nearest table).

Issue 15's targets: povdsl within 2x numpy's time, peak memory <= 1.5x the
table's own memory; 20,000 regions from a k-nearest table in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import peak_memory  # bench/peak_memory.py, beside this script


def _table(regions: int, k: int | None):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(16)
    ids = rng.permutation(regions) * 7 + 1000  # ids that are not positions
    if k is None:  # every ordered pair, diagonal included
        origin, destination = np.repeat(ids, regions), np.tile(ids, regions)
    else:  # each region with k others
        origin = np.repeat(ids, k)
        destination = ids[(np.repeat(np.arange(regions), k) + np.tile(np.arange(1, k + 1), regions)) % regions]
    minutes = np.where(origin == destination, 0.0, rng.uniform(5, 300, len(origin)))
    return pd.DataFrame({"origin": origin, "destination": destination, "minutes": minutes})


def _numpy(table, dense: bool):
    import numpy as np
    from scipy import sparse

    n = len(table)
    regions, codes = np.unique(np.concatenate([table["origin"].to_numpy(), table["destination"].to_numpy()]), return_inverse=True)
    rows, cols = codes[:n], codes[n:]
    off = rows != cols
    weights = 1.0 / table["minutes"].to_numpy()[off]
    if dense:
        matrix = np.zeros((len(regions), len(regions)))
        matrix[rows[off], cols[off]] = weights
        return matrix
    return sparse.csr_matrix((weights, (rows[off], cols[off])), shape=(len(regions), len(regions)))


def child(side: str, regions: int, k: int | None) -> dict:
    table = _table(regions, k)
    table_mb = table.memory_usage(index=False).sum() / 2**20
    if side == "povdsl":
        from povdsl.data.weights import Weights

        def build():
            return Weights.from_table(table, "origin", "destination", "minutes")
    else:

        def build():
            return _numpy(table, dense=k is None)

    before = peak_memory.start()
    start = time.perf_counter()
    result = build()
    seconds = time.perf_counter() - start
    peak = peak_memory.peak_mb(before)
    storage = ("dense" if result.is_dense else "CSR") if side == "povdsl" else type(result).__name__
    return {"side": side, "seconds": seconds, "peak_mb": peak, "table_mb": table_mb, "storage": storage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=3000, help="regions of the full table (regions^2 rows)")
    parser.add_argument("--nearest-regions", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, regions, k = args.child
        print(json.dumps(child(side, int(regions), None if k == "full" else int(k))))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    print(f"{'table':<28} {'side':<7} {'storage':<8} {'seconds':>8} {'peak MB':>8} {'table MB':>9} {'peak / table':>13} {'time / numpy':>13}")
    for regions, k in ((args.regions, "full"), (args.nearest_regions, str(args.k))):
        rows = []
        for side in ("povdsl", "numpy"):
            command = [sys.executable, __file__, "--child", side, str(regions), k]
            rows.append(json.loads(subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout.strip().splitlines()[-1]))
        anchor = rows[1]
        label = f"{regions:,} regions, " + ("all pairs" if k == "full" else f"{k} nearest")
        for r in rows:
            print(
                f"{label:<28} {r['side']:<7} {r['storage']:<8} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} {r['table_mb']:>9.0f}"
                f" {r['peak_mb'] / r['table_mb']:>13.2f} {r['seconds'] / anchor['seconds']:>13.2f}"
            )


if __name__ == "__main__":
    main()
