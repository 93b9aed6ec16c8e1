"""Spatial models at scale, each timed against a direct spreg call in the same run (issue 16.6).

1. SAR by ML on N regions (default 3,000) with a sparse, row-standardised
   5-nearest-neighbour W: povdsl's `fit_ml("sar", ...)` against
   `spreg.ML_Lag(y, x, w, method="LU")` on the same arrays.
2. Impacts with simulated inference (1,000 draws, power-series traces):
   povdsl's `impacts(fit)` against spreg's own impact multipliers
   (`spreg.sputils.spmultiplier(w, rho, "power")`, point estimates only, no
   inference), the closest direct spreg call.
3. Memory: the impacts of a SAR on 20,000 regions, with tracemalloc's peak,
   against the 3.2 GB one dense 20,000 x 20,000 matrix would take.
4. The SAR by ML itself on 20,000 regions (above ml_sparse.SPARSE_COV_LIMIT,
   so spreg's estimation steps with the information matrix from sparse-LU
   traces), in a child process: its CPU time and peak resident memory
   (getrusage), against the same child's baseline after the imports and the
   data. A direct spreg.ML_Lag at this size is not run: its covariance step
   inverts I - rho W into a dense 3.2 GB matrix.

Run: python bench/spatial_bench.py [N]. Prints each timing and the ratio.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from povdsl.data.weights import Weights
from povdsl.estimate.spatial import sample_weights
from povdsl.estimate.spatial.impacts import impacts
from povdsl.estimate.spatial.ml import fit_ml


def knn_problem(n: int, k: int = 5, rho: float = 0.5, seed: int = 1):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(size=(n, 2))
    _, nearest = cKDTree(coords).query(coords, k=k + 1)
    m = sparse.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), nearest[:, 1:].ravel())), shape=(n, n))
    regions = pd.RangeIndex(n)
    sw = sample_weights(Weights(m, pd.Index(regions)), regions, name="knn", row_standardize=True)
    x = rng.normal(size=(n, 2))
    y = sparse.linalg.spsolve(sparse.identity(n, format="csc") - rho * sw.matrix.tocsc(), 1.0 + x @ np.array([1.0, -0.5]) + rng.normal(size=n))
    frame = pd.DataFrame({"Intercept": 1.0, "x1": x[:, 0], "x2": x[:, 1]}, index=regions)
    return pd.Series(y, index=regions), frame, sw


def timed(function):
    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        value = function()
    return value, time.perf_counter() - start


def main(n: int = 3000) -> None:
    import spreg

    y, X, sw = knn_problem(n)
    w = sw.to_libpysal()
    yv = np.ascontiguousarray(y.to_numpy().reshape(-1, 1))
    xv = np.ascontiguousarray(X[["x1", "x2"]].to_numpy())
    reg, t_spreg = timed(lambda: spreg.ML_Lag(yv, xv, w, method="LU", spat_impacts=None, spat_diag=False))
    fit, t_povdsl = timed(lambda: fit_ml("sar", y, X, sw, ldet="lu"))
    assert np.allclose(fit.params.to_numpy(), np.ravel(reg.betas), rtol=1e-8)
    print(f"SAR ML, n={n}: povdsl {t_povdsl:.2f} s, spreg.ML_Lag {t_spreg:.2f} s, ratio {t_povdsl / t_spreg:.2f}")

    rho = float(fit.params["rho"])
    _, t_mult = timed(lambda: spreg.sputils.spmultiplier(w, rho, method="power"))
    table, t_imp = timed(lambda: impacts(fit, draws=1000))
    print(f"impacts, n={n}, 1000 draws ({table.attrs['traces']} traces): povdsl {t_imp:.2f} s, spreg spmultiplier(power, no inference) {t_mult:.2f} s, ratio {t_imp / t_mult:.2f}")
    print(table[["direct", "indirect", "total", "direct_se", "indirect_se", "total_se"]].round(4).to_string())

    big = 20_000
    _y2, _X2, sw2 = knn_problem(big)
    names = ["Intercept", "x1", "x2", "rho"]
    from povdsl.estimate.spatial.fit import SpatialFit

    params = pd.Series([1.0, 1.0, -0.5, 0.5], index=names)
    cov = pd.DataFrame(np.diag([1e-3, 1e-4, 1e-4, 1e-4]), index=names, columns=names)
    stand_in = SpatialFit("sar", "ml", params, cov, big, {}, "", sw2)  # impacts need only estimates, covariance and W
    tracemalloc.start()
    _, t_big = timed(lambda: impacts(stand_in, draws=1000))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"impacts, n={big}: {t_big:.2f} s, peak traced memory {peak / 2**20:.0f} MiB (one dense n x n matrix: {big * big * 8 / 2**30:.1f} GiB)")
    large_fit()


LARGE_FIT = """
import resource, sys, time
import numpy as np, pandas as pd
from scipy import sparse
from povdsl.data.weights import Weights
from povdsl.estimate.spatial import sample_weights
from povdsl.estimate.spatial.ml import fit_ml
data = np.load(sys.argv[1])
n = len(data["y"])
regions = pd.RangeIndex(n)
w = sample_weights(Weights(sparse.load_npz(sys.argv[2]), pd.Index(regions)), regions, name="knn", row_standardize=True)
y = pd.Series(data["y"], index=regions)
X = pd.DataFrame({"Intercept": 1.0, "x1": data["x"][:, 0], "x2": data["x"][:, 1]}, index=regions)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
fit = fit_ml("sar", y, X, w)
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(cpu, base * 1024, peak * 1024, fit.params["rho"], fit.std_errors["rho"])
"""


def large_fit(n: int = 20_000) -> None:
    """The data are made in this process and loaded by the child, so the child's peak is the fit's."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    y, X, sw = knn_problem(n)
    with tempfile.TemporaryDirectory() as folder:
        arrays, matrix = Path(folder) / "data.npz", Path(folder) / "w.npz"
        np.savez(arrays, y=y.to_numpy(), x=X[["x1", "x2"]].to_numpy())
        sparse.save_npz(matrix, sw.matrix.tocsr())  # row-standardised already; standardising again leaves it
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        done = subprocess.run([sys.executable, "-c", LARGE_FIT, str(arrays), str(matrix)], capture_output=True, text=True, env=env, check=True)
    cpu, base, peak, rho, se = (float(v) for v in done.stdout.split())
    print(f"SAR ML, n={n} (sparse covariance): {cpu:.2f} s CPU, peak RSS {peak / 2**20:.0f} MiB, of which {base / 2**20:.0f} MiB interpreter, imports and data before the fit (one dense n x n matrix: {n * n * 8 / 2**30:.1f} GiB); rho {rho:.4f} (SE {se:.4f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
