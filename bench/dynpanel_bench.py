"""Timing of povdsl's dynamic-panel GMM (run on demand: python bench/dynpanel_bench.py).

Times the three EmplUK reference cases and a synthetic AR(1) panel of 10,000
units x 10 periods (system GMM, collapsed instruments, two-step, Windmeijer).
Each time is also shown relative to a baseline measured in the same run --
OLS (lstsq) on the same stacked level data -- so the numbers travel across
machines. Target: the synthetic case under 10 s on 2 cores.

Lean instruments (issue 15.4): uncollapsed system GMM on 100,000 units x 10
periods, in a child process so its peak RSS is its own; targets <= 8 s and
<= 1.5 GB. Beside it, on 20,000 units, povdsl against a dense-Z baseline
timed in the same run: the (units, rows, instruments) array the estimator
used to build, with the same one- and two-step products by tensordot (what
povdsl computed before the instruments were stored by row). The same pair for
collapsed instruments, which are stored by row too now (they were a dense
(units, rows, columns) array, slower than uncollapsed ones).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from povdsl.estimate.dynpanel import (
    DynamicPanelSpec,
    GmmInstrument,
    IvInstrument,
    fit_dynamic_panel,
)
from povdsl.estimate.dynpanel.simulate import simulate_ar1_panel

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def ols_baseline(data: pd.DataFrame, y: str, regressors: list[str]) -> float:
    X = np.column_stack([np.ones(len(data))] + [data[r].to_numpy() for r in regressors])
    target = data[y].to_numpy()
    return best_of(5, lambda: np.linalg.lstsq(X, target, rcond=None))


def empl_uk() -> pd.DataFrame:
    data = pd.read_csv(ROOT / "tests" / "dynpanel" / "data" / "emplUK.csv")
    for short, column in [("n", "emp"), ("w", "wage"), ("k", "capital"), ("ys", "output")]:
        data[short] = np.log(data[column])
    return data


UNCOLLAPSED = DynamicPanelSpec(
    y="y",
    regressors=(("y", 1), ("x", 0)),
    gmm=(GmmInstrument("y", 2, None), GmmInstrument("x", 0, None)),
    system=True,
)


def dense_baseline(panel: pd.DataFrame, spec: DynamicPanelSpec) -> np.ndarray:
    """Two-step GMM coefficients from a dense (units, rows, instruments) Z, as povdsl computed them before."""
    from povdsl.estimate.dynpanel.design import build_equations
    from povdsl.estimate.dynpanel.estimator import one_step_weight
    from povdsl.estimate.dynpanel.instruments import build_instruments
    from povdsl.estimate.dynpanel.lags import build_grid

    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    eq = build_equations(grid, spec, "period")
    blocks = build_instruments(grid, spec, eq)
    Z = np.zeros((blocks.n_units, blocks.n_rows, blocks.n_instruments))
    for b in blocks.blocks:
        Z[:, b.row, b.columns] = b.values
    X, y = eq.X, eq.y
    XZ = np.tensordot(X, Z, axes=([0, 1], [0, 1]))
    Zy = np.tensordot(Z, y, axes=([0, 1], [0, 1]))
    ZHZ = np.tensordot(Z, np.matmul(one_step_weight(grid.shape[1], True), Z), axes=([0, 1], [0, 1]))
    W1 = np.linalg.pinv(ZHZ, hermitian=True)
    beta1 = np.linalg.solve(XZ @ W1 @ XZ.T, XZ @ W1 @ Zy)
    g = np.einsum("nrl,nr->nl", Z, y - X @ beta1)
    W2 = np.linalg.pinv(g.T @ g, hermitian=True)
    return np.linalg.solve(XZ @ W2 @ XZ.T, XZ @ W2 @ Zy)


def _child(case: str, n_units: int) -> dict:
    """One measured case, run in its own process: seconds, CPU seconds and peak RSS over the data's."""
    panel = simulate_ar1_panel(n_units, 10, seed=1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    spec = replace(UNCOLLAPSED, collapse=case.endswith("collapsed"))
    if case.startswith("povdsl"):
        beta = fit_dynamic_panel(panel, spec, unit="unit", time="period").params.to_numpy()
    else:
        beta = dense_baseline(panel, spec)
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_mb": before / 1024,
        "beta": [float(b) for b in beta],
    }


def measured(case: str, n_units: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", case, str(n_units)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def lean_instruments() -> bool:
    """The issue-15.4 numbers; True when the 100,000-unit case meets its targets."""
    print(f"\n{'uncollapsed system GMM, 10 periods':<44}{'seconds':>10}{'CPU s':>10}{'peak MB':>10}")
    new = measured("povdsl", 20_000)
    old = measured("dense", 20_000)
    for label, r in [("20,000 units, povdsl", new), ("20,000 units, dense-Z baseline", old)]:
        print(f"{label:<44}{r['seconds']:>10.2f}{r['cpu']:>10.2f}{r['peak_mb']:>10.0f}")
    print(f"  povdsl / dense baseline: time {new['seconds'] / old['seconds']:.2f}x, peak memory {new['peak_mb'] / old['peak_mb']:.2f}x")
    assert np.allclose(new["beta"][:2], old["beta"][:2], rtol=1e-8), (new["beta"], old["beta"])
    big = measured("povdsl", 100_000)
    print(f"{'100,000 units, povdsl':<44}{big['seconds']:>10.2f}{big['cpu']:>10.2f}{big['peak_mb']:>10.0f}")
    ok = big["seconds"] <= 8 and big["peak_mb"] <= 1536
    print(f"  targets <= 8 s and <= 1,536 MB peak (data alone {big['data_mb']:.0f} MB): {'met' if ok else 'NOT met'}")
    print(f"\n{'collapsed system GMM, 10 periods':<44}{'seconds':>10}{'CPU s':>10}{'peak MB':>10}")
    rows = [(f"{n:,} units, {side}", measured(case, n), n) for n in (20_000, 100_000) for side, case in (("povdsl", "povdsl-collapsed"), ("dense-Z baseline", "dense-collapsed"))]
    for label, r, _ in rows:
        print(f"{label:<44}{r['seconds']:>10.2f}{r['cpu']:>10.2f}{r['peak_mb']:>10.0f}")
    for n in (20_000, 100_000):
        new, old = (r for _, r, units in rows if units == n)
        assert np.allclose(new["beta"][:2], old["beta"][:2], rtol=1e-8), (new["beta"], old["beta"])
        print(f"  {n:,} units, povdsl / dense baseline: time {new['seconds'] / old['seconds']:.2f}x, peak memory {new['peak_mb'] / old['peak_mb']:.2f}x")
    collapsed_big = rows[2][1]
    print(f"  collapsed / uncollapsed at 100,000 units: time {collapsed_big['seconds'] / big['seconds']:.2f}x")
    return ok


def main() -> int:
    data = empl_uk()
    case_b = DynamicPanelSpec(
        y="n",
        regressors=(("n", 1), ("n", 2), ("w", 0), ("k", 0)),
        gmm=(GmmInstrument("n", 2, 4), GmmInstrument("w", 1, 3)),
        iv=(IvInstrument("k"),),
    )
    case_a = DynamicPanelSpec(
        y="n",
        regressors=(("n", 1), ("n", 2), ("w", 0), ("w", 1), ("k", 0), ("ys", 0), ("ys", 1)),
        gmm=(GmmInstrument("n", 2, None),),
        iv=tuple(IvInstrument(v, lag) for v, lag in [("w", 0), ("w", 1), ("k", 0), ("ys", 0), ("ys", 1)]),
        time_effects=True,
    )
    base = ols_baseline(data, "n", ["w", "k", "ys"])
    print(f"{'case':<44}{'seconds':>10}{'x OLS':>10}")
    for name, spec in [("A  diff GMM, AB91 Table 4(b)", case_a), ("B  diff GMM, xtabond2", case_b), ("C  system GMM", replace(case_b, system=True))]:
        seconds = best_of(5, lambda spec=spec: fit_dynamic_panel(data, spec, unit="firm", time="year"))
        print(f"{name:<44}{seconds:>10.4f}{seconds / base:>10.0f}")

    panel = simulate_ar1_panel(10_000, 10, seed=1)
    synthetic = DynamicPanelSpec(
        y="y",
        regressors=(("y", 1), ("x", 0)),
        gmm=(GmmInstrument("y", 2, None), GmmInstrument("x", 0, None)),
        system=True,
        collapse=True,
    )
    base = ols_baseline(panel, "y", ["x"])
    seconds = best_of(3, lambda: fit_dynamic_panel(panel, synthetic, unit="unit", time="period"))
    one_step = best_of(3, lambda: fit_dynamic_panel(panel, replace(synthetic, steps=1), unit="unit", time="period"))
    label = "synthetic 10,000 x 10, sysgmm collapse 2-step"
    print(f"{label:<44}{seconds:>10.4f}{seconds / base:>10.0f}")
    print(f"{'  same, one-step':<44}{one_step:>10.4f}{one_step / base:>10.0f}")
    uncollapsed = best_of(1, lambda: fit_dynamic_panel(panel, replace(synthetic, collapse=False), unit="unit", time="period"))
    print(f"{'  same, not collapsed':<44}{uncollapsed:>10.4f}{uncollapsed / base:>10.0f}")
    print(f"OLS baseline on the synthetic panel: {base * 1e3:.2f} ms")
    lean = lean_instruments()
    return 0 if seconds < 10 and lean else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
        sys.exit(0)
    sys.exit(main())
