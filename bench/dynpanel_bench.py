"""Timing of povdsl's dynamic-panel GMM (run on demand: python bench/dynpanel_bench.py).

Times the three EmplUK reference cases and a synthetic AR(1) panel of 10,000
units x 10 periods (system GMM, collapsed instruments, two-step, Windmeijer).
Each time is also shown relative to a baseline measured in the same run --
OLS (lstsq) on the same stacked level data -- so the numbers travel across
machines. Target: the synthetic case under 10 s on 2 cores.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from povdsl.estimate.dynpanel import DynamicPanelSpec, GmmInstrument, IvInstrument, fit_dynamic_panel
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
        seconds = best_of(5, lambda: fit_dynamic_panel(data, spec, unit="firm", time="year"))
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
    return 0 if seconds < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
