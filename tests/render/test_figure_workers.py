"""Figures drawn by the forked figure workers are the bytes drawn in-process, and every worker stops.

The workers (povdsl/render/figure_workers.py) only move drawing to other
processes: the reference here is `figure_files` called in this process on the
same (spec, model) jobs, and a whole `povdsl.run` with the workers switched off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import time

import pytest

import povdsl
import povdsl.pipeline
from povdsl.check.plan import FigureSpec
from povdsl.render.figure_files import figure_files
from povdsl.render.figure_model import FigureModel, Panel, Point
from povdsl.render.figure_workers import cost, figure_workers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2, reason="figure workers fork, on 2+ cores")


def _job(name: str, rows: int, formats: tuple[str, ...]) -> tuple[FigureSpec, FigureModel]:
    points = tuple(Point(f"row {i}", "", 0.1 * i - 0.3, 0.1 * i - 0.5, 0.1 * i - 0.1, 0.04 * i, i % 2 == 0) for i in range(rows))
    panel = Panel("", tuple(p.row for p in points), ("",), points, xlabel="Estimate", highlight=True)
    spec = FigureSpec(name=name, title=f"Figure {name}", kind="sweep", models=(), formats=formats)
    return spec, FigureModel(name=name, title=spec.title, kind="sweep", level=0.95, panels=(panel,), notes=("A note.",))


JOBS = [_job("a", 30, ("pdf", "svg", "png")), _job("b", 4, ("svg",)), _job("c", 12, ("pdf", "svg"))]


def _gone(pid: int) -> bool:
    """True once `pid` has exited and been reaped (or was never a child of ours to reap)."""
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_workers_draw_the_bytes_drawn_in_process_and_stop():
    expected = [figure_files(spec, model) for spec, model in JOBS]
    with figure_workers(len(JOBS)) as workers:
        assert workers is not None
        first = workers.process.pid
        workers.submit(JOBS)
        drawn = workers.collect()
    assert drawn == expected
    pids = set(workers.pids.values())
    assert len(pids) == 2 and os.getpid() not in pids  # both workers drew; nothing fell back to this process
    assert first in pids
    assert all(_gone(pid) for pid in pids)  # joined: no worker outlives the run


def test_a_dead_workers_share_is_drawn_here():
    expected = [figure_files(spec, model) for spec, model in JOBS]
    with figure_workers(len(JOBS)) as workers:
        assert workers is not None
        os.kill(workers.process.pid, signal.SIGKILL)
        workers.process.join()
        workers.submit(JOBS)
        drawn = workers.collect()
    assert drawn == expected
    assert os.getpid() in workers.pids.values()


def test_a_run_that_fails_before_its_figures_stops_the_workers_at_once():
    """A data error or Ctrl-C must not wait for a worker still importing matplotlib: it is terminated, not joined."""
    with pytest.raises(KeyboardInterrupt), figure_workers(2) as workers:
        assert workers is not None
        raise KeyboardInterrupt
    assert workers.process.exitcode == -signal.SIGTERM
    with figure_workers(2) as idle:  # nothing submitted: nothing to wait for either
        assert idle is not None
    assert idle.process.exitcode == -signal.SIGTERM
    assert _gone(workers.process.pid) and _gone(idle.process.pid)


def test_jobs_submitted_one_at_a_time_come_back_in_submission_order():
    """A run submits each figure when its models are in: one job at a time, while the workers may be drawing."""
    expected = [figure_files(spec, model) for spec, model in JOBS]
    with figure_workers(len(JOBS)) as workers:
        assert workers is not None
        for job in JOBS:
            workers.submit([job])
            time.sleep(0.05)
        drawn = workers.collect()
    assert drawn == expected
    assert os.getpid() not in workers.pids.values()


def test_a_figure_that_cannot_be_pickled_is_drawn_here():
    """Pickling is the workers' business, not the figure's: a job that cannot be sent is drawn in this process."""

    @dataclasses.dataclass(frozen=True)
    class Local(FigureModel):  # a class local to a function cannot be pickled
        pass

    spec, model = JOBS[1]
    local = Local(**{f.name: getattr(model, f.name) for f in dataclasses.fields(FigureModel)})
    with figure_workers(2) as workers:
        assert workers is not None
        workers.submit([(spec, local), JOBS[0]])
        drawn = workers.collect()
    assert drawn == [figure_files(spec, model), figure_files(*JOBS[0])]
    assert workers.pids[spec.name] == os.getpid() and workers.pids[JOBS[0][0].name] != os.getpid()


def test_a_worker_holds_one_job_and_the_costliest_waiting_goes_first():
    costs = [cost(spec, model) for spec, model in JOBS]
    assert costs[0] > costs[2] > costs[1]  # more rows and formats cost more
    with figure_workers(2) as workers:
        assert workers is not None
        workers.submit(JOBS)
        assert sorted(workers.busy.values()) == [0, 2] and workers.waiting == [1]  # b waits for the first worker free
        drawn = workers.collect()
    assert drawn == [figure_files(spec, model) for spec, model in JOBS]


def test_figures_are_submitted_while_later_models_still_fit(tmp_path, monkeypatch):
    """A figure goes to the workers once its own models are settled, before the run's other fits are done."""
    import povdsl.render.figure_workers as workers_module
    import povdsl.run_plan

    spec = tmp_path / "early.pov"
    spec.write_text(
        'data households = bundled("zhejiang/households.csv") panel(household, year) region(county)\n'
        'model m1 "Model 1": log(income) ~ age + edu | ols\n'
        'model m2 "Model 2": log(income) ~ age + edu + gender | fe(household)\n'
        'model m3 "Model 3": log(income) ~ age | ols\n'
        "figure f2 = coef(m2)\n",
        encoding="utf-8",
    )
    events: list[str] = []
    real_fit_all, real_submit = povdsl.run_plan.fit_all, workers_module.FigureWorkers.submit

    def fit_all(*args, on_ready=None, **kwargs):
        def ready(name, fitted):
            events.append(f"settled {name}")
            if on_ready is not None:
                on_ready(name, fitted)

        return real_fit_all(*args, on_ready=ready, **kwargs)

    def submit(self, jobs):
        events.extend(f"submitted {spec.name}" for spec, _ in jobs)
        real_submit(self, jobs)

    monkeypatch.setattr(povdsl.run_plan, "fit_all", fit_all)
    monkeypatch.setattr(workers_module.FigureWorkers, "submit", submit)
    out = povdsl.run(spec, tmp_path / "out")
    assert events[:2] == ["settled m2", "submitted f2"]  # the figure's model fits first, then its figure is drawn
    assert sorted(events[2:4]) == ["settled m1", "settled m3"]
    assert list(out.results) == ["m1", "m2", "m3"]  # reported in the spec's order all the same
    assert (tmp_path / "out" / "f2.pdf").read_bytes().startswith(b"%PDF")


def test_a_run_with_figure_workers_writes_what_a_run_without_writes(tmp_path, monkeypatch):
    spec = tmp_path / "figures.pov"
    spec.write_text(
        'data households = bundled("zhejiang/households.csv") panel(household, year) region(county)\n'
        'model m1 "Model 1": log(income) ~ age + edu | ols\n'
        'model m2 "Model 2": log(income) ~ age + edu + gender | fe(household)\n'
        'figure f1 = coef(m1, m2)\n  format pdf, svg, png\n'
        "figure f2 = coef(m2)\n",
        encoding="utf-8",
    )
    with_workers = povdsl.run(spec, tmp_path / "a")

    @contextlib.contextmanager
    def in_process(figures: int):
        yield None

    monkeypatch.setattr(povdsl.pipeline, "figure_workers", in_process)
    without = povdsl.run(spec, tmp_path / "b")
    assert with_workers.figures == without.figures
    assert sorted(with_workers.figures["f1"]) == ["f1.pdf", "f1.png", "f1.svg", "f1.tex"]
    for name in ("f1.pdf", "f1.png", "f1.svg", "f2.pdf", "f2.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_the_main_process_of_a_run_with_figures_never_imports_matplotlib(tmp_path):
    """The workers import it (once, in the first; the second is forked warm); the main process only decides the models."""
    import subprocess

    spec = tmp_path / "one.pov"
    spec.write_text(
        'data households = bundled("zhejiang/households.csv") panel(household, year) region(county)\n'
        'model m1 "Model 1": log(income) ~ age + edu | ols\nfigure f1 = coef(m1)\n',
        encoding="utf-8",
    )
    probe = f"import sys, povdsl\nout = povdsl.run({str(spec)!r}, {str(tmp_path / 'out')!r})\nprint(sorted(out.figures['f1']), 'matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("]")[-1].strip() == "False", done.stdout
    assert (tmp_path / "out" / "f1.svg").read_bytes().startswith(b"<?xml")
