"""A run's figures drawn by two processes beside the main one, forked before the fits.

Drawing is about half of a cold `povdsl run` of the paper (matplotlib lays
the text out again for every format), and importing matplotlib costs another
half second; none of it needs the fits until a figure's model exists. So when
a spec declares figures, `figure_workers(count)` forks one process right after
the plan is read. It imports matplotlib and its backends and lays out a
throw-away figure (fonts, the mathtext parser) while the main process
loads the data and fits, then forks a warm sibling, so matplotlib is imported
once. The fits of the figures' models run first, and each figure is handed
to a free worker as soon as its models are in (costliest first when several
wait), so the figures are drawn while the other models fit; after the fits
the main process renders the tables and collects the files.

Each worker draws with the same code and rcParams as drawing in-process
(`render/figure_files.py`, under `figures.style_context`), so the bytes are
the same (tests/render/test_figure_workers.py). Fork only (Linux): elsewhere,
on one core, or when a process cannot start, the figures are drawn in-process.
A figure a worker could not deliver (it died, or drawing raised) is drawn
in-process, where an error is raised as it always was.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from povdsl.check.plan import FigureSpec
    from povdsl.render.figure_model import FigureModel

Files = dict[str, bytes | str]  # file name -> contents, as render.figure_files.figure_files returns them
Job = tuple["FigureSpec", "FigureModel"]

WORKERS = 2  # the machines this is for have 2+ cores; more processes would each pay a share of the warm-up
STOP_SECONDS = 5.0  # a worker that does not stop when asked is terminated


class FigureWorkers:
    """Connections to the drawing processes: `submit` jobs as they become ready, `collect()` once, then `close()`.

    A worker holds at most one job at a time and the main process sends to
    a worker only once it has read that worker's answer, so neither side can
    block writing to a full pipe while the other does the same. Waiting jobs
    go out costliest first, each to the first worker free.
    """

    def __init__(self, connections: list[Connection], process: multiprocessing.process.BaseProcess):
        self.idle = list(connections)  # alive, holding no job
        self.busy: dict[Connection, int] = {}  # worker -> position of the job it draws
        self.process = process  # the first worker; it started (and joins) the others
        self.connections = connections
        self.jobs: list[Job] = []
        self.waiting: list[int] = []  # positions not sent yet
        self.done: dict[int, Files] = {}
        self.sent = False
        self.pids: dict[str, int] = {}  # figure name -> the process that drew it (tests)

    def submit(self, jobs: Sequence[Job]) -> None:
        """Queue `jobs` and hand them to free workers (they draw while the caller goes on); `collect()` returns the files."""
        self.waiting += range(len(self.jobs), len(self.jobs) + len(jobs))
        self.jobs += jobs
        self._take(ready_only=True)
        self._dispatch()

    def collect(self) -> list[Files]:
        """Every submitted job's files, in submission order; what no worker delivered is drawn here."""
        from povdsl.render.figure_files import figure_files

        while self.busy:
            self._take(ready_only=False)
            self._dispatch()
        for i, (spec, model) in enumerate(self.jobs):
            if i not in self.done:  # a worker died or raised, or none is left: drawn (and raised) here
                self.done[i] = figure_files(spec, model)
                self.pids[spec.name] = os.getpid()
        return [self.done[i] for i in range(len(self.jobs))]

    def _dispatch(self) -> None:
        while self.waiting and self.idle:
            job = max(self.waiting, key=lambda i: (cost(*self.jobs[i]), -i))
            self.waiting.remove(job)
            try:
                message = ForkingPickler.dumps(self.jobs[job])
            except Exception:  # a figure that cannot be pickled is drawn here (collect)
                continue
            worker = self.idle.pop(0)
            if _send_bytes(worker, message):
                self.busy[worker] = job
                self.sent = True
            else:  # the worker is gone: the job waits for another, or is drawn here
                self.waiting.append(job)

    def _take(self, *, ready_only: bool) -> None:
        """Read the answers of the busy workers that have one (with `ready_only`), or wait for at least one."""
        ready = [w for w in self.busy if w.poll(0)] if ready_only else wait(list(self.busy))
        for worker in ready:
            assert isinstance(worker, Connection)
            job = self.busy.pop(worker)
            answer = _receive(worker)
            if answer is None:  # it died: its job is drawn here, and it gets no other
                continue
            pid, files = answer
            if files is not None:
                self.done[job] = files
                self.pids[self.jobs[job][0].name] = pid
            self.idle.append(worker)

    def close(self, *, now: bool = False) -> None:
        """Tell every worker to stop and wait for them; with `now` (or when nothing was drawn) stop the first at once.

        A run that fails before its figures (a data error, Ctrl-C) must not
        wait for a worker still importing matplotlib; its sibling, if already
        forked, reads the stop message and exits by itself.
        """
        for connection in self.connections:
            _send(connection, None)
        if now or not self.sent:
            self.process.terminate()
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        for connection in self.connections:
            connection.close()


@contextmanager
def figure_workers(figures: int) -> Iterator[FigureWorkers | None]:
    """Drawing processes for a run's `figures` figures, started now; None when figures are drawn in-process."""
    workers = _start(min(WORKERS, figures)) if figures and _cores() > 1 else None
    try:
        yield workers
    except BaseException:
        if workers is not None:
            workers.close(now=True)
        raise
    if workers is not None:
        workers.close()


def _cores() -> int:
    """Cores this process may run on (a container's or taskset's limit, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cost(spec: FigureSpec, model: FigureModel) -> float:
    """Rough drawing time: text layout per format (and once more for the layout), per label drawn.

    Measured on the paper's figures: a figure costs about (formats + 1) x
    (36 + labels) units, where labels are its rows and choices.
    """
    labels = sum(len(p.rows) + len(p.series) for p in model.panels) + len(model.choices)
    return (len(spec.formats) + 1) * (36 + labels)


def _start(count: int) -> FigureWorkers | None:
    if count < 1 or not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:  # a pool worker itself (a run inside a fit, a test): it may not fork
        return None
    context = multiprocessing.get_context("fork")
    pairs = [context.Pipe() for _ in range(count)]
    children, parents = [child for _, child in pairs], [parent for parent, _ in pairs]
    process = context.Process(target=_first, args=(children, parents), name="povdsl-figures", daemon=False)
    try:
        process.start()
    except OSError:  # no processes left, a sandbox: drawn in-process
        for parent, child in pairs:
            parent.close()
            child.close()
        return None
    for child in children:
        child.close()
    return FigureWorkers(parents, process)


def _first(own: list[Connection], inherited: list[Connection]) -> None:
    """The first worker: warm up, fork the others (they inherit the warm matplotlib), serve, then join them.

    Every process closes the pipe ends it inherited but does not use, so that
    a process that dies is seen at once (end of file) by the one waiting for it.
    """
    _close(inherited)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's; it stops the workers
    with suppress(Exception):  # a failed warm-up only means a cold first figure
        _warm_up()
    context = multiprocessing.get_context("fork")
    others = []
    for i, connection in enumerate(own[1:], start=1):
        other = context.Process(target=_sibling, args=(connection, own[:i] + own[i + 1 :]), name="povdsl-figures", daemon=True)
        with suppress(OSError):
            other.start()
            others.append(other)
        connection.close()  # the sibling holds it now (or nobody: the main process then draws that share)
    _serve(own[0])
    for other in others:
        other.join(STOP_SECONDS)


def _sibling(connection: Connection, inherited: list[Connection]) -> None:
    _close(inherited)
    _serve(connection)


def _close(connections: list[Connection]) -> None:
    for connection in connections:
        with suppress(OSError):
            connection.close()


def _serve(connection: Connection) -> None:
    """Draw each job received and send back (pid, its files or None), until told to stop."""
    from povdsl.render.figure_files import figure_files

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):  # the main process is gone
            return
        if job is None:
            return
        files: Files | None
        try:
            files = figure_files(*job)
        except Exception:  # drawn again in the main process, which raises it there
            files = None
        if not _send(connection, (os.getpid(), files)):
            return


def _warm_up() -> None:
    """Import the drawing and saving modules and lay out a one-point figure (fonts, mathtext parser).

    Only what is paid once per process: saving it would cost as much as
    saving a real figure (measured), so nothing is saved.
    """
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_pdf
    import matplotlib.backends.backend_svg  # noqa: F401  (savefig imports the backends on first use)

    from povdsl.render.figure_model import FigureModel, Panel, Point
    from povdsl.render.figures import draw

    point = Point(row="x", series="", estimate=-0.5, low=-1.0, high=0.5, pvalue=0.5, significant=False)
    draw(FigureModel(name="warm-up", title="", kind="coef", level=0.95, panels=(Panel("", ("x",), ("",), (point,), xlabel="Estimate"),)))


def _send_bytes(connection: Connection, message: bytes | memoryview) -> bool:
    """Send a pickled message; False when the other side is gone (BrokenPipeError) or the connection is closed."""
    try:
        connection.send_bytes(message)
        return True
    except (OSError, ValueError):
        return False


def _send(connection: Connection, message: object) -> bool:
    return _send_bytes(connection, ForkingPickler.dumps(message))


def _receive(connection: Connection) -> tuple[int, Files | None] | None:
    """A worker's answer, (pid, files or None); None when it died (its job is drawn in the main process)."""
    try:
        answer = connection.recv()
    except (EOFError, OSError):
        return None
    return answer if isinstance(answer, tuple) and len(answer) == 2 else None
