"""Issue 17.2, 17.4, 17.5: one job list on any executor gives the same bytes; progress; dying workers; Ctrl-C."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from povdsl.estimate import executors
from povdsl.estimate.registry import REGISTRY, EstimatorSpec, load, register, unregister
from povdsl.pipeline import run

SPEC = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
let poor04 = income < 0.5 * mean(income, year == 2004)
model a "A": log(income) ~ age + edu | ols where year == 2004
model b "B": poor04 ~ age + edu + gender | logit where year == 2004
model c "C": log(income) ~ age + land | fe(household)
model s "S" for industry in industries(census, digits=2, year=2004): log(income) ~ clusters(census, digits=2, industry=industry) + age + edu | ESTIMATOR
  where year == 2004
table t1 "Plain" = a, b, c
table t2 "Sweep" = s
  layout sweep
  stat none
"""


def _tables(output) -> dict:
    return {name: by_format for name, by_format in output.tables.items()}


def _spec(tmp_path: Path, estimator: str = "ols") -> Path:
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC.replace("ESTIMATOR", estimator), encoding="utf-8")
    return spec


def test_the_same_fits_in_process_on_the_pool_and_on_a_dask_cluster_give_the_same_bytes(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    spec = _spec(tmp_path)
    formats = ("latex", "markdown", "csv")
    here = run(spec, formats=formats, workers=1)
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)  # 26 fits: the pool would not be used otherwise
    pooled = run(spec, formats=formats, workers=2)
    on_dask = run(spec, formats=formats, workers=2, dask="local")
    assert len(here.sweeps["s"].items) > 10
    assert _tables(pooled) == _tables(here) == _tables(on_dask)
    assert here.results["a"].raw is not None and pooled.results["a"].raw is None  # only the backend object stays behind


CLUSTERED = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
let poor04 = income < 0.5 * mean(income, year == 2004)
model s "S" for industry in industries(census, digits=2, year=2004): log(income) ~ clusters(census, digits=2, industry=industry) + age + edu | ols
  where year == 2004
  vcov cluster(county)
model p "P" for industry in industries(census, digits=2, year=2004): poor04 ~ clusters(census, digits=2, industry=industry) + age | logit
  where year == 2004
  vcov cluster(county)
model g "G" for v in [county, household]: log(income) ~ land + age | ols
  vcov cluster(v)
"""


def test_clustered_sweep_members_are_the_same_bits_on_the_pool_as_in_process(tmp_path, monkeypatch):
    """Shared-design members (OLS updates, warm-started logits) and a sweep over the cluster variable, with CRV1 on workers."""
    spec = tmp_path / "clustered.pov"
    spec.write_text(CLUSTERED, encoding="utf-8")
    here = run(spec, workers=1)
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)
    pooled = run(spec, workers=2)
    for name in ("s", "p", "g"):
        ours, theirs = here.sweeps[name], pooled.sweeps[name]
        assert len(ours.items) > 1 and [i.code for i in ours.items] == [i.code for i in theirs.items]
        assert ours.skipped == theirs.skipped
        for a, b in zip(ours.items, theirs.items):
            assert "cluster" in a.result.vcov and a.result.vcov == b.result.vcov
            for field in ("params", "std_errors", "pvalues"):
                assert np.array_equal(getattr(a.result, field).to_numpy(), getattr(b.result, field).to_numpy()), (name, a.code, field)


# --- a worker that really dies --------------------------------------------------------------------

KILLER: dict = {"values": None, "log": ""}  # set by the test; pool workers are forked, so they see it
FOCUS = "clusters(census, digits=2, industry=industry)"  # the name a shared-design member's focus column has


def fit_or_die(design, options, vcov):
    """OLS, except that the process dies (os._exit, as a segfaulting library would) on one industry:
    the one whose cluster column the fixture computed (a shared-design member's column carries the
    declared focus name, so the member is recognised by its values)."""
    if FOCUS in design.exog.columns and np.array_equal(design.exog[FOCUS].to_numpy(), KILLER["values"].reindex(design.exog.index).to_numpy()):
        with open(KILLER["log"], "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\n")
        os._exit(3)
    ols = REGISTRY["ols"]
    return load(ols.adapter)(design, {**ols.option_defaults(), **options}, vcov)


@pytest.fixture
def deadly(tmp_path):
    from povdsl.check.specfile import load_plan
    from povdsl.data.frames import clusters_on_units
    from povdsl.data.frames import load as load_frames
    from povdsl.estimate.sweep_sources import industries, substitute

    register(
        EstimatorSpec(name="olsdies", label="OLS", doc="OLS that kills its process on one industry (test only)", binding="plain", adapter=f"{__name__}:fit_or_die", describe="povdsl.estimate.calls:describe_ols")
    )
    plan = load_plan(_spec(tmp_path))  # the test writes its own spec over it
    frames = load_frames(plan)
    sweep = next(m for m in plan.models if m.name == "s")
    rows = frames.unit[frames.unit["year"] == 2004].index
    columns = {code: clusters_on_units(frames, substitute(sweep.terms[0], "industry", code))[rows] for code, _, _ in industries(sweep, frames)}
    assert sum(column.equals(columns["17"]) for column in columns.values()) == 1  # no other industry has its column
    KILLER.update(values=columns["17"], log=str(tmp_path / "deaths.log"))
    yield Path(KILLER["log"])
    unregister("olsdies")


def test_a_worker_that_dies_is_retried_once_then_reported_with_the_model_and_sweep_value(tmp_path, monkeypatch, deadly):
    spec = _spec(tmp_path, "olsdies")
    monkeypatch.setattr(executors, "POOL_MIN_WORK", 2)
    output = run(spec, formats=("markdown",), workers=2, keep_going=True)
    (failure,) = output.failures
    assert failure.model == "s" and failure.span.line == 8  # the sweep's declaration
    assert "industry = 17" in str(failure) and "died" in str(failure)
    assert deadly.read_text(encoding="utf-8").count("\n") == 2  # tried on the pool, then once alone
    assert set(output.tables) == {"t1"} and output.skipped_tables == ("t2",)
    reference = run(_plain_only(tmp_path), formats=("markdown",), workers=1)
    assert output.tables["t1"] == reference.tables["t1"]  # the plain models that shared the pool are intact


def _plain_only(tmp_path: Path) -> Path:
    spec = tmp_path / "plain.pov"
    text = SPEC.split("model s ")[0] + 'table t1 "Plain" = a, b, c\n'
    spec.write_text(text, encoding="utf-8")
    return spec


# --- progress -------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_done_total_rate_and_eta_on_a_terminal_only():
    from povdsl.estimate.progress import progress_bar

    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        with progress_bar(20, stream=stream) as bar:
            for _ in range(20):
                bar.update(1)
    shown = terminal.getvalue()
    assert "20/20" in shown and "fit/s" in shown and "<" in shown  # done/total, rate, elapsed<remaining
    assert pipe.getvalue() == ""
    quiet = _Terminal()
    with progress_bar(20, stream=quiet, enabled=False) as bar:
        bar.update(20)
    few = _Terminal()
    with progress_bar(3, stream=few) as bar:
        bar.update(3)
    assert quiet.getvalue() == few.getvalue() == ""


def test_a_piped_run_prints_no_progress(tmp_path):
    spec = _spec(tmp_path)
    done = subprocess.run([sys.executable, "-m", "povdsl.tools.cli", "run", str(spec), "--out", str(tmp_path / "o"), "--no-cache"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "fit/s" not in done.stderr and "\r" not in done.stderr


# --- Ctrl-C ---------------------------------------------------------------------------------------

_INTERRUPTED_CHILD = """
import sys, time
from povdsl.estimate import executors
from povdsl.estimate.registry import REGISTRY, EstimatorSpec, load, register

def slow_ols(design, options, vcov):
    time.sleep(0.15)
    ols = REGISTRY["ols"]
    return load(ols.adapter)(design, {**ols.option_defaults(), **options}, vcov)

register(EstimatorSpec(name="slowols", label="OLS", doc="slow OLS (test only)", binding="plain", adapter="__main__:slow_ols", describe="povdsl.estimate.calls:describe_ols"))
executors.POOL_MIN_WORK = 2
from povdsl.tools.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_keeps_the_finished_fits(tmp_path):
    lines = ["data d = bundled(\"zhejiang/households.csv\") panel(household, year) region(county)"]
    lines += [f'model m{i} "M{i}": log(income) ~ age + edu + I(age * edu + {i} * edu ** 2) | slowols' for i in range(80)]
    lines.append('table t "All" = ' + ", ".join(f"m{i}" for i in range(80)))
    spec = tmp_path / "many.pov"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    args = [sys.executable, "-c", _INTERRUPTED_CHILD, "run", str(spec), "--out", str(tmp_path / "o"), "--cache", str(cache), "--workers", "2"]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (cache.is_dir() and any(cache.glob("*.json"))):
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    kept = len(_entries(cache))
    assert 0 < kept < 80
    assert not (tmp_path / "o" / "t.tex").exists()
    again = subprocess.run([sys.executable, "-c", _INTERRUPTED_CHILD.replace("POOL_MIN_WORK = 2", "POOL_MIN_WORK = 10**12"), *args[3:]], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(_entries(cache)) == 80 and (tmp_path / "o" / "t.tex").exists()


def _entries(cache: Path) -> list[Path]:
    """The fit cache's entry files, without the spec's index (estimate/cache_owners.py)."""
    return [p for p in cache.glob("*.json") if not p.name.endswith(".spec.json")]


def _exit_slowly(seconds: float) -> float:
    """In a worker: a thread that keeps its process alive `seconds` after it is told to stop."""
    import threading
    import time

    threading.Thread(target=time.sleep, args=(seconds,), daemon=False).start()
    return seconds


def test_a_local_dask_cluster_keeps_glibc_adaptive_and_closes_a_slow_worker_without_warning():
    """`--dask local`: a worker slower than 4 s to exit made distributed log "Worker process still alive after 4.0
    seconds, killing" on the user's stderr (the machine was loaded; here a thread left running makes the exit slow).
    Records are collected by a handler on the nanny's logger: distributed's own handler writes to whatever stderr
    was when it was imported, which pytest's capture may have replaced."""
    pytest.importorskip("distributed")
    import logging

    from povdsl.estimate.dask_executor import dask_executor

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(f"{record.levelname} {record.getMessage()}")

    nanny = logging.getLogger("distributed.nanny")
    collect = Collect()
    nanny.addHandler(collect)
    try:
        with dask_executor("local", 1, {"context": "any picklable object"}) as (executor, _reference, _errors):  # type: ignore[arg-type]
            # Dask's 64 KiB MALLOC_TRIM_THRESHOLD_ made every temporary array an mmap/munmap pair: half the pool's speed
            assert executor.submit(os.environ.get, "MALLOC_TRIM_THRESHOLD_").result() is None
            assert executor.submit(os.environ.get, "OPENBLAS_NUM_THREADS").result() == "1"  # Dask's other settings stay
            assert executor.submit(_exit_slowly, 6.0).result() == 6.0
    finally:
        nanny.removeHandler(collect)
    assert not [m for m in collect.messages if m.startswith(("WARNING", "CRITICAL"))], collect.messages
    assert nanny.level != logging.ERROR  # the level is put back after the cluster


def test_an_unguarded_script_asking_for_a_local_dask_cluster_gets_one_error_naming_the_fix(tmp_path):
    """Every new worker imports the main script again; without a main guard it would start clusters of its own."""
    pytest.importorskip("distributed")
    spec = _spec(tmp_path)
    script = tmp_path / "unguarded.py"
    script.write_text(f"import povdsl\npovdsl.run({str(spec)!r}, dask='local', workers=2)\nprint('finished')\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=240)
    assert done.returncode == 1 and "finished" not in done.stdout
    assert 'must do so under `if __name__ == "__main__":` (each worker imports unguarded.py again)' in done.stderr
    assert done.stderr.count("Traceback") == 1 and "distributed.nanny" not in done.stderr  # povdsl's error only
    guarded = tmp_path / "guarded.py"
    guarded.write_text(f"import povdsl\nif __name__ == '__main__':\n    povdsl.run({str(spec)!r}, dask='local', workers=2)\n    print('finished')\n", encoding="utf-8")
    assert subprocess.run([sys.executable, str(guarded)], capture_output=True, text=True, cwd=tmp_path, timeout=240).stdout.strip() == "finished"
