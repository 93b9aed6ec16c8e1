"""The large-n ML path (estimate/spatial/ml_sparse.py): spreg's estimates and spreg's analytic covariance,
computed without a dense n x n matrix. Forced on small data through `sparse_above=0`, it is held to a
direct spreg call (method="LU", whose covariance inverts I - a W densely); the traces are held to dense
ones; a child process fits n = 20,000 within a memory ceiling far below one dense n x n matrix."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.spatial import cKDTree

from povdsl.data.weights import Weights
from povdsl.estimate.options import SPARSE_COV_LIMIT
from povdsl.estimate.spatial import sample_weights
from povdsl.estimate.spatial.ml import fit_ml
from povdsl.estimate.spatial.ml_sparse import traces

spreg = pytest.importorskip("spreg")
COV_RTOL = 1e-6  # the traces are central differences of log-determinants (measured: ~1e-8 on these data)
ROOT = Path(__file__).resolve().parents[2]


def direct(function, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def knn(n: int, k: int = 5, seed: int = 3, row_standardize: bool = True):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(size=(n, 2))
    dist, nearest = cKDTree(coords).query(coords, k=k + 1)
    values = np.ones(n * k) if row_standardize else 1.0 / (1.0 + 10.0 * dist[:, 1:].ravel())
    m = sparse.csr_matrix((values, (np.repeat(np.arange(n), k), nearest[:, 1:].ravel())), shape=(n, n))
    regions = pd.RangeIndex(n)
    sw = sample_weights(Weights(m, pd.Index(regions)), regions, name="knn", row_standardize=row_standardize)
    x = rng.normal(size=(n, 2))
    a = sparse.identity(n, format="csc") - 0.4 * sw.matrix.tocsc()
    y = sparse.linalg.spsolve(a, 1.0 + x @ np.array([1.0, -0.5]) + rng.normal(size=n))
    return pd.Series(y, index=regions), pd.DataFrame({"Intercept": 1.0, "x1": x[:, 0], "x2": x[:, 1]}, index=regions), sw


def same_as_spreg(fit, reg):
    np.testing.assert_allclose(fit.params.to_numpy(), np.ravel(reg.betas), rtol=1e-10)
    np.testing.assert_allclose(fit.cov.to_numpy(), reg.vm, rtol=COV_RTOL, atol=1e-12 * np.abs(reg.vm).max())
    for key, attr in (("loglik", "logll"), ("aic", "aic"), ("schwarz", "schwarz"), ("pseudo_r2", "pr2"), ("sigma2", "sig2")):
        assert fit.stats[key] == pytest.approx(float(np.ravel(getattr(reg, attr))[0]), rel=1e-10), key
    assert "sparse" in fit.vcov


@pytest.mark.parametrize("model", ["sar", "sem", "sdm"])
def test_sparse_path_is_spregs_fit_on_columbus(columbus, model):
    frame, sw, w, _ = columbus
    y = frame[["CRIME"]].to_numpy()
    x = np.ascontiguousarray(frame[["INC", "HOVAL"]].to_numpy())
    if model == "sem":
        reg = direct(spreg.ML_Error, y, x, w, method="LU")
    else:
        reg = direct(spreg.ML_Lag, y, x, w, method="LU", slx_lags=int(model == "sdm"), spat_impacts=None, spat_diag=False)
    design = frame[["INC", "HOVAL"]].assign(Intercept=1.0)[["Intercept", "INC", "HOVAL"]]
    same_as_spreg(fit_ml(model, frame.CRIME, design, sw, ldet="lu", sparse_above=0), reg)
    assert fit_ml(model, frame.CRIME, design, sw, ldet="lu").vcov == "ML information matrix"  # below the limit: spreg itself


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_sparse_path_is_spregs_fit_on_a_knn_w(model):
    y, X, sw = knn(1000)
    w = sw.to_libpysal()
    yv, xv = y.to_numpy().reshape(-1, 1), np.ascontiguousarray(X[["x1", "x2"]].to_numpy())
    cls = spreg.ML_Error if model == "sem" else spreg.ML_Lag
    extra = {} if model == "sem" else {"spat_impacts": None, "spat_diag": False}
    reg = direct(cls, yv, xv, w, method="LU", **extra)
    same_as_spreg(fit_ml(model, y, X, sw, sparse_above=0), reg)


@pytest.mark.parametrize("row_standardize", [True, False])
def test_traces_are_the_dense_ones(row_standardize):
    _, _, sw = knn(600, row_standardize=row_standardize)
    wd = sw.matrix.toarray()
    a = 0.7 / np.abs(np.linalg.eigvals(wd)).max()  # inside the stable interval, for either scaling
    m = wd @ np.linalg.inv(np.eye(sw.n) - a * wd)
    np.testing.assert_allclose(traces(sw, a), [np.trace(m), np.trace(m @ m), np.sum(m * m)], rtol=1e-7)


CHILD = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from test_ml_sparse import knn
from povdsl.estimate.spatial.ml import fit_ml
y, X, sw = knn(20_000)
fit = fit_ml("sar", y, X, sw)
u = resource.getrusage(resource.RUSAGE_SELF)
print(u.ru_utime + u.ru_stime, u.ru_maxrss * 1024, fit.params["rho"], fit.std_errors["rho"], fit.std_errors["x1"], fit.vcov)
"""


@pytest.mark.slow
def test_sar_on_20000_regions_stays_sparse():
    """One dense 20,000 x 20,000 matrix is 3.2 GB; spreg's own covariance step would form it."""
    assert 20_000 > SPARSE_COV_LIMIT
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", CHILD, str(Path(__file__).parent)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    cpu, rss, rho, se_rho, se_x1, vcov = done.stdout.split(maxsplit=5)
    assert int(rss) < 1.5 * 2**30, f"{int(rss) / 2**20:.0f} MiB peak"
    assert float(cpu) < 60, f"{cpu} s of CPU"
    assert "sparse" in vcov
    assert abs(float(rho) - 0.4) < 0.03  # the data-generating rho; its SE is about 0.007
    assert 0.002 < float(se_rho) < 0.02 and 0.003 < float(se_x1) < 0.01  # ~ 1/sqrt(n) scale: finite, not degenerate
