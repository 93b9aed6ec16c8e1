"""The whole pipeline for one spec file: read the plan, then load, fit and render (povdsl/run_plan.py).

This module is light on purpose: it imports neither pandas nor the
estimation backends. `run` reads the plan and forks the figure workers
first, so they import matplotlib while this process imports the rest, and
both cores work from the start of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from povdsl.check.plan import Plan
from povdsl.check.specfile import load_plan
from povdsl.check.sweeps import MAX_FITS
from povdsl.errors import PovdslError
from povdsl.render.figure_workers import figure_workers

if TYPE_CHECKING:
    from povdsl.estimate.result import Result
    from povdsl.render.tables import Table

__all__ = ["MAX_FITS", "ModelsFailed", "RunOutput", "load_plan", "run"]


@dataclass(frozen=True)
class RunOutput:
    plan: Plan
    results: dict[str, Result]
    tables: dict[str, dict[str, str | bytes]]  # table name -> format -> text (bytes for a binary format)
    written: tuple[Path, ...] = ()
    sweeps: dict = field(default_factory=dict)  # model name -> povdsl.estimate.sweep.SweepResult
    models: dict[str, Table] = field(default_factory=dict)  # table name -> table model, to render in other formats
    figures: dict[str, dict[str, str | bytes]] = field(default_factory=dict)  # figure name -> file name -> contents
    notices: tuple = ()  # povdsl.data.frames.Notice: what the data did (text columns as dummies, isolated regions)
    failures: tuple[PovdslError, ...] = ()  # models that could not be fitted (each names its model and location)
    skipped_tables: tuple[str, ...] = ()  # tables not rendered because one of their models failed


class ModelsFailed(PovdslError):
    """Some models of a run could not be fitted; the tables of the others were rendered (and written).

    ``failures`` are the located errors, one per failed model; ``output`` is
    the run's output without the tables that needed them.
    """

    def __init__(self, failures: tuple[PovdslError, ...], output: RunOutput):
        self.failures = failures
        self.output = output
        self.span = getattr(failures[0], "span", None)
        self.model = getattr(failures[0], "model", "")
        names = ", ".join(f"'{getattr(f, 'model', '') or '?'}'" for f in failures)
        super().__init__(f"{len(failures)} model(s) could not be fitted ({names}): " + "; ".join(str(f) for f in failures))


def run(
    path: str | Path,
    out: str | Path | None = None,
    *,
    formats: tuple[str, ...] = ("latex",),
    standalone: bool = False,
    siunitx: bool = False,
    allow_outside: tuple[Path, ...] = (),
    workers: int | None = None,
    dask: str | None = None,
    keep_going: bool = False,
    cache: str | Path | None = None,
    cache_prune: bool = False,
    progress: bool = False,
    max_fits: int = MAX_FITS,
) -> RunOutput:
    """Fit every model of the spec and render every table whose models fitted; write them when `out` is given.

    A model that cannot be fitted costs only the tables that show it. With
    ``keep_going`` the failures are returned in ``RunOutput.failures`` (the
    CLI reports them and exits 1); without it they are raised together as
    `ModelsFailed` after the other tables are written.

    ``cache`` is a folder for the fit cache (estimate/fit_cache.py): fits
    stored there are not run again. The CLI passes `.povdsl-cache/` beside
    the spec; the Python default is no cache. Entry files no run used for 30
    days are removed; with ``cache_prune`` every one this run did not use that no other spec's index names. ``progress`` shows a bar on a
    terminal's stderr.

    Figures are drawn by two forked processes started once the plan is read
    (render/figure_workers.py): they import matplotlib while the data load
    and the fits run, and draw while the tables are rendered; the bytes are
    those of drawing in-process.
    """
    if dask == "local" and _starting_a_worker():
        # A script without `if __name__ == "__main__":` is being imported again by a local Dask worker as it
        # starts (multiprocessing runs the main script in every new process). Leave quietly: the worker fails
        # to start, and the run that started it reports that once, with the fix (estimate/dask_executor.py).
        raise SystemExit(1)
    plan = load_plan(path, allow_outside=allow_outside, max_fits=max_fits)
    with figure_workers(len(plan.figures)) as drawers:  # started now: they import matplotlib while this process imports the rest
        from povdsl.run_plan import run_plan

        return run_plan(
            plan,
            out,
            drawers,
            formats=formats,
            standalone=standalone,
            siunitx=siunitx,
            workers=workers,
            dask=dask,
            keep_going=keep_going,
            cache=cache,
            cache_prune=cache_prune,
            progress=progress,
            max_fits=max_fits,
        )


def _starting_a_worker() -> bool:
    """True while multiprocessing prepares this process (it imports the parent's main script before the child's work)."""
    import multiprocessing

    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))
