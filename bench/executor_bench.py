"""A 2,000-fit industry x outcome x year sweep on the large synthetic data: serial vs process pool vs Dask, and the fit cache.

Run on demand: `python bench/executor_bench.py [--households 200000] [--workers 2] [--skip-dask]`.

The default, 200,000 households (400,000 household-years), is the large
synthetic variant the issue's targets are about (about 2.5 minutes on two
cores); with `--households 20000` each fit takes ~3 ms, so a Dask
LocalCluster's ~2 s start-up and the pool's start decide the ratios.

The data are `povdsl.datasets.zhejiang.generate(households=N)` written to a
temporary folder; the spec sweeps every 3- and 4-digit census industry of
2004 and 2008 over ten outcomes (log income, and the poverty indicator at
nine relative lines, 0.30 ... 0.70 of the year's mean income; the 0.50 line
by logit, the others as linear probability models), about 2,000 fits, plus
one plain fixed-effects model. Everything is timed in the same process, on
the same loaded plan and frames (`runner.fit_all`: expansion and fits; data
loading and rendering are not part of it):

* serial: the in-process executor (`workers=1`), the baseline;
* pool: the process pool with `--workers` processes, ratio serial / pool;
* dask: a `--workers`-worker `distributed.LocalCluster` started inside the
  timing (its start-up is part of the cost), ratio serial / dask;
* cache: a cold run that fills an empty fit cache (default executor), whose
  time should be about that of the same run without a cache (ratio cold /
  no cache), then a warm rerun after editing the plain model, whose time must
  stay a small share of the cold one (ratio warm / cold; the warm run must
  fit one model). For scale, the time to load the plan and the data and hash
  the data files, which every run pays before fitting and which is not part
  of these timings, is printed beside it.

`--threshold` instead times in-process vs pool for small numbers of
shared-design fits at a few data sizes, to place `executors.POOL_MIN_WORK`
(unit rows x fits).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from povdsl.check.specfile import load_plan
from povdsl.data.frames import RunCache
from povdsl.data.frames import load as load_frames
from povdsl.datasets import zhejiang
from povdsl.estimate import executors
from povdsl.estimate.fit_cache import Fingerprint, FitCache
from povdsl.estimate.runner import fit_all
from povdsl.render.output import write_output

LINES = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)
PLAIN = 'model fe "FE": log(income) ~ age + edu + land + capital | fe(household)\n'


def spec_text() -> str:
    lines = [
        'data households = "households.csv" panel(household, year) region(county)',
        'data counties = "counties.csv" key(county, year)',
        'data census = "census.csv"',
        "terms controls = age + edu + gender + pop + land + capital",
    ]
    for year in (2004, 2008):
        for line in LINES:
            lines.append(f"let poor{year}_{int(line * 100)} = income < {line} * mean(income, year == {year})")
    number = 0
    for year in (2004, 2008):
        outcomes = [("log(income)", "ols")] + [(f"poor{year}_{int(line * 100)}", "logit" if line == 0.50 else "ols") for line in LINES]
        for outcome, estimator in outcomes:
            for digits in (3, 4):
                number += 1
                lines.append(
                    f'model s{number} "S{number}" for industry in industries(census, digits={digits}, year={year}): '
                    f"{outcome} ~ clusters(census, digits={digits}, industry=industry) + controls | {estimator}\n  where year == {year}"
                )
    return "\n".join(lines) + "\n" + PLAIN


def _fit(spec: Path, **options):
    plan = load_plan(spec)
    frames = load_frames(plan)
    plain = [m for m in plan.models if m.sweep_var is None]
    sweeps = [m for m in plan.models if m.sweep_var is not None]
    cache = options.pop("fit_cache", None)
    fingerprint = Fingerprint(plan) if cache is not None else None
    start = time.perf_counter()
    fitted = fit_all(plain, sweeps, frames, RunCache(), fit_cache=cache, fingerprint=fingerprint, **options)
    seconds = time.perf_counter() - start
    fits = len(fitted.results) + sum(len(s.items) + len(s.skipped) for s in fitted.sweeps.values())
    return seconds, fits, fitted


def _same(a, b) -> bool:
    return all(
        x.result.params.equals(y.result.params) and x.result.std_errors.equals(y.result.std_errors)
        for name in a.sweeps
        for x, y in zip(a.sweeps[name].items, b.sweeps[name].items)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--only-cache", action="store_true", help="time only the cold and warm fit-cache runs")
    parser.add_argument("--threshold", action="store_true", help="time small job lists to place POOL_MIN_WORK")
    args = parser.parse_args()
    if args.threshold:
        return threshold(args.workers)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        zhejiang.write(zhejiang.generate(households=args.households), root)
        spec = root / "bench.pov"
        write_output(root, spec.name, spec_text())
        uncached = executors_compared(spec, args) if not args.only_cache else _fit(spec, workers=args.workers)[0]
        cache = FitCache(root / "cache", write_output)
        cold, fits, _ = _fit(spec, workers=args.workers, fit_cache=cache)
        spec.write_text(spec_text().replace(PLAIN, PLAIN.replace("capital", "pop")), encoding="utf-8")
        warm_cache = FitCache(root / "cache", write_output)
        warm, _, _ = _fit(spec, workers=args.workers, fit_cache=warm_cache)
        assert warm_cache.stored == 1, warm_cache.stored
        start = time.perf_counter()
        Fingerprint(load_plan(spec)), load_frames(load_plan(spec))
        floor = time.perf_counter() - start
        print(f"{'no cache (same executor)':<28} {uncached:>8.1f}")
        print(f"{'cold cache (fills it)':<28} {cold:>8.1f}   {fits} fits, cold / no cache = {cold / uncached:.2f}")
        print(f"{'warm cache, one model edited':<28} {warm:>8.2f}   warm / cold = {warm / cold:.1%} ({warm_cache.hits} hits, {warm_cache.stored} fit)")
        print(f"{'(load plan + data, hash)':<28} {floor:>8.2f}   paid by every run before fitting, not in the times above")


def executors_compared(spec: Path, args) -> float:
    """Serial, pool and Dask; returns the pool's time (the default executor at this size)."""
    serial, fits, reference = _fit(spec, workers=1)
    print(f"{fits} fits, {args.households} households x 2 years, {args.workers} workers")
    print(f"{'executor':<28} {'seconds':>8} {'fits/s':>8} {'serial / this':>14}")
    print(f"{'serial (in-process)':<28} {serial:>8.1f} {fits / serial:>8.1f} {1.0:>14.2f}")
    pooled, _, on_pool = _fit(spec, workers=args.workers)
    assert _same(reference, on_pool)
    print(f"{'process pool':<28} {pooled:>8.1f} {fits / pooled:>8.1f} {serial / pooled:>14.2f}")
    if not args.skip_dask:
        dasked, _, on_dask = _fit(spec, workers=args.workers, dask="local")
        assert _same(reference, on_dask)
        print(f"{'dask LocalCluster (w/ start)':<28} {dasked:>8.1f} {fits / dasked:>8.1f} {serial / dasked:>14.2f}")
    return pooled


def threshold(workers: int) -> None:
    """In-process vs pool on the first N members of the bench's sweeps, for a few data sizes (the pool's start-up
    and each process's design compilation included), to place `executors.POOL_MIN_WORK` in unit rows x fits."""
    from povdsl.estimate.jobs import WorkerContext
    from povdsl.estimate.sweep import expand

    warnings.simplefilter("ignore")
    print(f"{'households':>10} {'unit rows':>9} {'fits':>5} {'rows x fits':>12} {'in-process s':>13} {'pool s':>8} {'in-process / pool':>18}")
    for households in (1000, 5000, 20000):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            zhejiang.write(zhejiang.generate(households=households), root)
            write_output(root, "bench.pov", spec_text())
            plan = load_plan(root / "bench.pov")
            frames = load_frames(plan)
            designs: list = []
            jobs = [j for m in plan.models if m.sweep_var for j in expand(m, frames, designs).jobs]
            rows = len(frames.unit)
            for count in (64, 256, 1024):
                tasks = [j.task for j in jobs[:count]]
                start = time.perf_counter()
                executors.execute(tasks, WorkerContext(frames, tuple(designs), RunCache()), workers=1)
                here = time.perf_counter() - start
                saved, executors.POOL_MIN_WORK = executors.POOL_MIN_WORK, 0
                start = time.perf_counter()
                executors.execute(tasks, WorkerContext(frames, tuple(designs), RunCache()), workers=workers)
                pool = time.perf_counter() - start
                executors.POOL_MIN_WORK = saved
                print(f"{households:>10} {rows:>9} {count:>5} {rows * count:>12,} {here:>13.2f} {pool:>8.2f} {here / pool:>18.2f}")


if __name__ == "__main__":
    main()
