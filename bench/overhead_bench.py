"""Per-fit overhead: povdsl against statsmodels on arrays, timed in the same run (issue 15, item 2).

Run on demand: `python bench/overhead_bench.py [--repeat N]`.

1. `povdsl.fit("y ~ x1 + x2 | ols", frame)` on 1,000 rows (parse, check, compile,
   fit, Result) against `statsmodels OLS(y, X).fit()` on ready arrays reading the
   same numbers (params, bse, pvalues, rsquared, llf). The difference is
   povdsl's fixed overhead per fit; target <= 2 ms.
2. The paper's sweep fits (Tables 5-6: 384 OLS and logit fits, one BLAS thread,
   in this process): povdsl's members of the shared designs (focus column
   swapped, checks, inference, Result, assembly into the sweep) against a
   hand-written statsmodels-on-arrays loop over the same designs and the same
   columns, reading what the tables print (params, bse, pvalues) and skipping
   industries whose fit fails. Both sides get the same prepared data, so the
   ratio is the cost per fit; target <= 1.10.

Each side is timed alternately and the least CPU time of `--repeat` runs is kept
(the machine is shared; waiting for a core is not counted, other noise only adds).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

SPEC = Path(__file__).resolve().parents[1] / "spec" / "zhejiang.pov"


def _interleaved(functions, repeat: int) -> list[float]:
    """Least CPU time of each function over `repeat` alternating runs. CPU time of this process
    (one BLAS thread, so it equals wall time on a quiet machine) is what a loaded shared machine
    disturbs least: time spent waiting for a core is not counted."""
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for i, fn in enumerate(functions):
            start = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - start)
    return best


def single_fit(repeat: int) -> tuple[float, float]:
    from statsmodels.regression.linear_model import OLS

    import povdsl

    rng = np.random.default_rng(15)
    n = 1_000
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = 1.0 + 0.5 * frame.x1 - 0.2 * frame.x2 + rng.normal(size=n)
    y, X = frame.y.to_numpy(), np.column_stack([np.ones(n), frame.x1.to_numpy(), frame.x2.to_numpy()])

    def ours():
        r = povdsl.fit("y ~ x1 + x2 | ols", frame)
        return r.params, r.std_errors, r.pvalues

    def theirs():
        r = OLS(y, X).fit()
        return r.params, r.bse, r.pvalues, r.rsquared, r.llf

    ours(), theirs()
    np.testing.assert_allclose(ours()[0].to_numpy(), theirs()[0], rtol=1e-10)
    per = 50  # fits per timed call, so the clock's resolution does not matter
    t_ours, t_theirs = _interleaved([lambda: [ours() for _ in range(per)], lambda: [theirs() for _ in range(per)]], repeat)
    return t_ours / per, t_theirs / per


def sweep_fits(repeat: int) -> tuple[float, float, int]:
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.regression.linear_model import OLS

    from povdsl.data.frames import RunCache
    from povdsl.data.frames import load as load_frames
    from povdsl.estimate.jobs import WorkerContext, run_tasks
    from povdsl.estimate.sweep import assemble, expand
    from povdsl.pipeline import load_plan

    plan = load_plan(SPEC)
    frames = load_frames(plan)
    cache = RunCache()
    designs: list = []
    expansions = [expand(m, frames, designs) for m in plan.models if m.sweep_var]
    context = WorkerContext(frames, tuple(designs), cache)  # each shared design is compiled by the first call, as a worker does

    tasks = [[job.task for job in e.jobs] for e in expansions]  # design number and industry code: the worker computes the focus column, as in a run

    def ours():
        return [assemble(e, run_tasks(context, todo, keep_raw=True), designs) for e, todo in zip(expansions, tasks)]

    arrays = []
    for e in expansions:
        shared = designs[e.jobs[0].design].compiled(frames, cache)
        position = shared.design.exog.columns.get_loc(shared.column)
        columns = [shared.member_column(j.value, frames, cache) for j in e.jobs]
        arrays.append((shared.estimator, shared.design.y.to_numpy(dtype=float), shared.design.exog.to_numpy(dtype=float), position, columns))

    def theirs():
        out = []
        for estimator, y, X, position, columns in arrays:
            X = X.copy()
            for values in columns:
                X[:, position] = values
                try:
                    r = OLS(y, X).fit() if estimator == "ols" else Logit(y, X).fit(disp=0)
                    out.append((r.params, r.bse, r.pvalues))
                except Exception:  # singular or separated: skipped, as povdsl skips and lists it
                    continue
        return out

    warnings.simplefilter("ignore")
    fits = sum(len(e.jobs) for e in expansions)
    ours(), theirs()
    t_ours, t_theirs = _interleaved([ours, theirs], repeat)
    return t_ours / fits, t_theirs / fits, fits


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    ours, theirs = single_fit(args.repeat)
    print(f"{'per fit, CPU time':44} {'povdsl ms':>10} {'anchor ms':>10} {'ratio':>7} {'overhead ms':>12}")
    print(f"{'povdsl.fit OLS, 1,000 rows vs statsmodels':44} {ours * 1e3:10.3f} {theirs * 1e3:10.3f} {ours / theirs:7.2f} {(ours - theirs) * 1e3:12.3f}")
    ours, theirs, fits = sweep_fits(args.repeat)
    label = f"sweep fit ({fits} fits) vs statsmodels loop"
    print(f"{label:44} {ours * 1e3:10.3f} {theirs * 1e3:10.3f} {ours / theirs:7.2f} {(ours - theirs) * 1e3:12.3f}")


if __name__ == "__main__":
    main()
