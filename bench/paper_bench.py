"""The whole paper, cold: `povdsl run spec/zhejiang.pov` against the hand-written script, in one run.

Run on demand: `python bench/paper_bench.py [--repeat N] [--households N ...]`.

Each side is a new process (imports paid, as a reader reproducing the paper
pays them), writing Tables 1-7 and Figures 1, 5, 6 and 7; the anchor is
bench/handwritten_paper.py on the same CSVs. Cold means no fit cache: the
`.povdsl-cache` folder beside the spec is removed before every povdsl run, so
every fit is computed (and stored, as a first run stores it); a warm rerun,
served from that cache, is reported on its own line. Both sides run with
bytecode caches (kept in the temporary folder), as an installed package has. Reported per side: wall
seconds (least-disturbed of --repeat), CPU seconds (user + system of the
process and its children: sweep workers, the figure worker; from wait4, what a
loaded shared machine disturbs least) and peak resident memory. Issue 15's
targets on the bundled data: povdsl <= 0.5x the hand-written script, and
under 4 s.

`--households N` adds the large synthetic variant (issue 15, item 6):
`povdsl.datasets.zhejiang.generate(households=N)` written to a temporary
folder, spec/zhejiang.pov pointed at it, both sides run once each.

Before timing, both sides' numbers are compared (povdsl.run in this process,
the script's --numbers output): every coefficient of Models 1-9 and of the
six Table 7 members within 1e-6 relative, and the same industries and
coefficients in every industry sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "zhejiang.pov"
SCRIPT = ROOT / "bench" / "handwritten_paper.py"
BUNDLED = ROOT / "povdsl" / "datasets" / "zhejiang"


def cold(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (with children) and peak RSS in MB of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def best(argv: list[str], env: dict[str, str], repeat: int) -> tuple[float, float, float]:
    runs = [cold(argv, env) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def spec_for(data: Path, folder: Path) -> Path:
    """spec/zhejiang.pov reading its CSVs from `data` (copied beside the spec: a spec reads below its folder)."""
    text = re.sub(r'bundled\("zhejiang/([a-z_]+\.csv)"\)', r'"\1"', SPEC.read_text())
    spec = folder / "zhejiang.pov"
    spec.write_text(text)
    if data != folder:
        for csv in data.glob("*.csv"):
            (folder / csv.name).write_bytes(csv.read_bytes())
    return spec


def same_numbers(spec: Path, data: Path) -> str:
    """Compare povdsl's estimates with the hand-written script's; raises on a difference."""
    import numpy as np

    import povdsl

    with tempfile.TemporaryDirectory() as tmp:
        numbers = Path(tmp) / "numbers.json"
        subprocess.run([sys.executable, str(SCRIPT), str(data), str(Path(tmp) / "out"), "--numbers", str(numbers)], check=True, capture_output=True)
        theirs = json.loads(numbers.read_text())
        ours = povdsl.run(spec)
    compared = 0
    for model in (f"m{i}" for i in range(1, 10)):
        params = ours.results[model].params
        for term, value in theirs[model].items():
            name = {"Wcluster": "W(cluster, traveltime)", "const": "Intercept"}.get(term, term)
            if name == "Intercept" and name not in params.index:
                continue  # fixed-effects models: the hand-written PanelOLS has no constant either
            assert np.isclose(params[name], value, rtol=1e-6, atol=1e-9), (model, term, params[name], value)
            compared += 1
    for sweep, items in theirs["sweeps"].items():
        mine = {i.code: float(i.result.params.iloc[list(i.result.params.index).index(ours.sweeps[sweep].focus)]) for i in ours.sweeps[sweep].items}
        assert sorted(mine) == sorted(c for c, _ in items), (sweep, sorted(set(mine) ^ {c for c, _ in items}))
        for code, value in items:
            assert np.isclose(mine[code], value, rtol=1e-6, atol=1e-9), (sweep, code, mine[code], value)
            compared += 1
    robust = ours.sweeps["robust3"].items
    assert len(robust) == len(theirs["robust3"]), (len(robust), len(theirs["robust3"]))
    for item, (controls, matrix, params) in zip(robust, theirs["robust3"]):  # both in the spec's order: control sets slowest
        weights = dict(item.values)["w"]
        assert (CONTROL_LABELS[dict(item.values)["c"]], MATRIX_LABELS[weights]) == (controls, matrix), (item.values, controls, matrix)
        for term, value in params.items():
            name = {"Wcluster": f"W(cluster, {weights})", "Wcluster5": f"W(cluster, {weights})"}.get(term, term)
            assert np.isclose(item.result.params[name], value, rtol=1e-6, atol=1e-9), ("robust3", item.values, term, item.result.params[name], value)
            compared += 1
    return f"same numbers: {compared} coefficients compared (Models 1-9, every sweep member, Table 7's multiverse)"


# spec/zhejiang.pov's Table 7 labels, as the hand-written script prints them
CONTROL_LABELS = {
    "age + edu + gender": "age, education, gender",
    "age + edu + gender + pop + land": "+ household size, land",
    "age + edu + gender + pop + land + capital": "+ capital (Model 3's controls)",
}
MATRIX_LABELS = {"traveltime": "inverse travel time", "nearest5": "five nearest, row-standardised"}


def row(label: str, ours, theirs) -> None:
    print(
        f"{label:<30}{ours[0]:>9.2f}{theirs[0]:>9.2f}{ours[0] / theirs[0]:>8.2f}"
        f"{ours[1]:>9.2f}{theirs[1]:>9.2f}{ours[1] / theirs[1]:>8.2f}{ours[2]:>9.0f}{theirs[2]:>9.0f}{ours[2] / theirs[2]:>8.2f}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--households", type=int, nargs="*", default=[], help="also run the large synthetic variant with this many households")
    args = parser.parse_args(argv)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # Lark's tables: built by the first run, loaded by the rest
        # Bytecode as an installed package has it (pip compiles on install, Python on first import): a host
        # with PYTHONDONTWRITEBYTECODE would otherwise compile povdsl's ~100 modules on every run (~0.15 s)
        # and the one-file script almost nothing. Both sides read and write it in the temporary folder.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        folder = Path(tmp) / "bundled"
        folder.mkdir()
        spec = spec_for(BUNDLED, folder)
        print(same_numbers(spec, folder))
        povdsl_run = [sys.executable, "-m", "povdsl.tools.cli", "run", str(spec), "--out", str(Path(tmp) / "tables")]
        hand = [sys.executable, str(SCRIPT), str(folder), str(Path(tmp) / "hand")]
        fit_cache = spec.parent / ".povdsl-cache"
        cold(povdsl_run, env)  # builds Lark's cache and the bytecode, as any first run on a machine does once
        cold(hand, env)
        print(f"{'best of ' + str(args.repeat):<30}{'povdsl':>9}{'hand':>9}{'ratio':>8}{'CPU':>9}{'hand CPU':>9}{'ratio':>8}{'MB':>9}{'hand MB':>9}{'ratio':>8}")
        ours, warm, theirs = [float("inf")] * 3, [float("inf")] * 3, [float("inf")] * 3
        for _ in range(args.repeat):  # interleaved, so a slow spell hits every side
            shutil.rmtree(fit_cache, ignore_errors=True)
            a, b, c = cold(povdsl_run, env), cold(hand, env), cold(povdsl_run, env)
            ours = [min(ours[0], a[0]), min(ours[1], a[1]), a[2]]
            theirs = [min(theirs[0], b[0]), min(theirs[1], b[1]), b[2]]
            warm = [min(warm[0], c[0]), min(warm[1], c[1]), c[2]]
        row("paper cold, bundled data", ours, theirs)
        row("  rerun, warm fit cache", warm, theirs)
        print(f"  targets (cold): povdsl <= 0.5x the hand-written script, and < 4 s: {ours[0]:.2f} s, {ours[0] / theirs[0]:.2f}x")
        for households in args.households:
            from povdsl.datasets import zhejiang

            big = Path(tmp) / f"h{households}"
            big.mkdir()
            zhejiang.write(zhejiang.generate(households=households), big)
            spec = spec_for(big, big)
            run = [sys.executable, "-m", "povdsl.tools.cli", "run", str(spec), "--out", str(big / "tables")]
            hand = [sys.executable, str(SCRIPT), str(big), str(big / "hand")]
            rows = sum(1 for _ in open(big / "households.csv")) - 1
            row(f"{households:,} households ({rows:,} rows)", cold(run, env), cold(hand, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
