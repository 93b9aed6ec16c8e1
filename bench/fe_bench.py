"""Fixed effects at a million rows: povdsl against pyfixest and linearmodels, in one run.

Run on demand: `python bench/fe_bench.py [--units 10000] [--periods 100] [--repeat 3] [--linearmodels]`.

Every side runs in its own child process (same interpreter, one BLAS thread),
which builds the same synthetic panel (seeded), fits a tiny panel once so that
lazy imports load, then times `--repeat` fits and keeps the fastest. Peak memory
is the growth of the child's resident set during the first full fit
(bench/peak_memory.py), so what the data and the imports took does not count,
for any side.

Sides:
* povdsl      -- `povdsl.fit("y ~ x1 + x2 | fe(...)", df, panel=(unit, year))`, the whole
                 public path (parse, check, compile, fit, Result), entity-clustered CRV1;
* povdsl-fit  -- the `fe` estimator on an already compiled Design (what a spec's model costs
                 once its data are loaded);
* pyfixest    -- `pyfixest.feols("y ~ x1 + x2 | unit + year", df, vcov={"CRV1": "unit"})`;
* linearmodels -- `PanelOLS(..., entity_effects=True[, time_effects=True]).fit(cov_type="clustered")`
                 (slow at this size; only with --linearmodels).

The ratio column is each side's time (and memory) over pyfixest's. Issue 15's targets:
one-way <= 0.15 s; two-way <= pyfixest in time and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import peak_memory  # bench/peak_memory.py, beside this script

EFFECTS = {"one-way": ("unit",), "two-way": ("unit", "year"), "three-way": ("unit", "year", "industry")}


def _panel(units: int, periods: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(15)
    n = units * periods
    unit = np.repeat(np.arange(units), periods)
    year = np.tile(np.arange(2000, 2000 + periods), units)
    industry = rng.integers(0, 500, n)  # e.g. the firm of a worker-year: crossed with units and years
    x1 = rng.normal(size=n) + 0.01 * (unit % 100)
    x2 = rng.normal(size=n) + 0.02 * (year - 2000)
    y = 0.5 * x1 - 0.3 * x2 + 0.001 * unit + rng.normal(size=n)
    return pd.DataFrame({"unit": unit, "year": year, "industry": industry, "x1": x1, "x2": x2, "y": y})


def _fitter(side: str, effects: tuple[str, ...], frame):
    if side == "povdsl":
        import povdsl

        line = f"y ~ x1 + x2 | fe({', '.join(effects)})"
        return lambda: povdsl.fit(line, frame, panel=("unit", "year"))
    if side == "povdsl-fit":
        from povdsl.estimate.adapters import get
        from povdsl.estimate.design import Design, Vcov

        options = {"time_effects": "year" in effects, "effects": tuple(e for e in effects if e not in ("unit", "year"))}
        design = Design(
            y=frame["y"],
            exog=frame[["x1", "x2"]].assign(Intercept=1.0)[["Intercept", "x1", "x2"]],
            entity=frame["unit"],
            time=frame["year"],
            effects=frame[list(options["effects"])] if options["effects"] else None,
        )
        estimator = get("fe")
        return lambda: estimator.fit(design, options, Vcov())
    if side == "pyfixest":
        import pyfixest as pf

        formula = f"y ~ x1 + x2 | {' + '.join(effects)}"
        return lambda: pf.feols(formula, frame, vcov={"CRV1": "unit"})
    if side == "linearmodels":
        from linearmodels.panel import PanelOLS

        if "industry" in effects:
            return None
        indexed = frame.set_index(["unit", "year"])
        exog = indexed[["x1", "x2"]].assign(const=1.0)
        return lambda: PanelOLS(indexed["y"], exog, entity_effects=True, time_effects="year" in effects).fit(cov_type="clustered", cluster_entity=True)
    raise ValueError(side)


def child(side: str, effects_name: str, units: int, periods: int, repeat: int) -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import warnings

    warnings.simplefilter("ignore")
    frame = _panel(units, periods)
    fit = _fitter(side, EFFECTS[effects_name], frame)
    if fit is None:
        return {"side": side, "effects": effects_name, "seconds": None, "peak_mb": None}
    _fitter(side, EFFECTS[effects_name], _panel(200, 5))()  # warm-up: lazy imports load outside the measurement
    before = peak_memory.start()
    start = time.perf_counter()
    fit()
    times = [time.perf_counter() - start]
    peak = peak_memory.peak_mb(before)
    for _ in range(repeat - 1):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return {"side": side, "effects": effects_name, "seconds": min(times), "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--linearmodels", action="store_true", help="also time linearmodels PanelOLS (tens of seconds)")
    parser.add_argument("--effects", nargs="*", default=list(EFFECTS))
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "EFFECTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.units, args.periods, args.repeat)))
        return
    sides = ["povdsl", "povdsl-fit", "pyfixest"] + (["linearmodels"] if args.linearmodels else [])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    print(f"{args.units * args.periods:,} rows ({args.units:,} units x {args.periods} periods), min of {args.repeat} fits, one BLAS thread")
    print(f"{'effects':<10} {'side':<13} {'seconds':>8} {'peak MB':>8} {'time / pyfixest':>16} {'memory / pyfixest':>18}")
    for effects in args.effects:
        rows = []
        for side in sides:
            command = [sys.executable, __file__, "--child", side, effects, "--units", str(args.units), "--periods", str(args.periods), "--repeat", str(args.repeat)]
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
        anchor = next(r for r in rows if r["side"] == "pyfixest")
        for r in rows:
            if r["seconds"] is None:
                print(f"{effects:<10} {r['side']:<13} {'n/a':>8}")
                continue
            ratio_t = r["seconds"] / anchor["seconds"]
            ratio_m = r["peak_mb"] / anchor["peak_mb"] if anchor["peak_mb"] else float("nan")
            print(f"{effects:<10} {r['side']:<13} {r['seconds']:>8.3f} {r['peak_mb']:>8.0f} {ratio_t:>16.2f} {ratio_m:>18.2f}")


if __name__ == "__main__":
    main()
