"""Cold start-up of `povdsl run spec/zhejiang.pov` (run on demand: python bench/startup_bench.py [repeats]).

Each measurement is a new interpreter, so imports and Lark's tables are paid
every time, as in CI. Anchors timed in the same run: the bare interpreter and
a hand-written script's imports (numpy, pandas, statsmodels' logit module,
linearmodels, formulaic). Lark's tables are timed three ways: cached in a
fresh private folder (first run builds, later runs load), and never cached
(POVDSL_NO_CACHE). Sweep workers are started with one BLAS thread each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAND_IMPORTS = "import numpy, pandas, formulaic, linearmodels.iv, statsmodels.discrete.discrete_model"


def cold(argv: list[str], env: dict[str, str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    python = sys.executable
    base_env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "POVDSL_NO_CACHE")}
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "tables")
        run = [python, "-m", "povdsl.tools.cli", "run", "spec/zhejiang.pov", "--out", out]
        cached = dict(base_env, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        check = [python, "-m", "povdsl.tools.cli", "check", "spec/zhejiang.pov"]
        rows = [
            ("python -c pass", cold([python, "-c", "pass"], base_env, repeats)),
            ("hand-written script's imports", cold([python, "-c", HAND_IMPORTS], base_env, repeats)),
            ("import povdsl.pipeline", cold([python, "-c", "import povdsl.pipeline"], cached, repeats)),
            ("povdsl run, Lark tables built and cached", cold(run, cached, 1)),
            ("povdsl run, Lark tables from the cache", cold(run, cached, repeats)),
            ("povdsl run, no cache (POVDSL_NO_CACHE)", cold(run, dict(base_env, POVDSL_NO_CACHE="1"), repeats)),
            ("povdsl check, Lark tables from the cache", cold(check, cached, repeats)),
            ("povdsl check, no cache", cold(check, dict(base_env, POVDSL_NO_CACHE="1"), repeats)),
        ]
    anchor = rows[1][1]
    print(f"{'cold start, best of ' + str(repeats):<46}{'seconds':>9}{'x imports':>11}")
    for label, seconds in rows:
        print(f"{label:<46}{seconds:>9.2f}{seconds / anchor:>11.2f}")
    saved = rows[7][1] - rows[6][1]
    print(f"Lark cache saves {saved:.2f} s of a cold check ({saved / rows[7][1]:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
