"""Where a run's job list is fitted: in this process, on a process pool, or on Dask.

Each is driven through the `concurrent.futures` protocol (`submit` and
futures), by one loop that keeps a bounded number of batches in flight and
puts every outcome in its job's slot, so the outcome list is in job order
whichever executor ran it, and equal bit for bit (tested). Every worker
receives the `WorkerContext` once: the pool's initializer, Dask's scatter
(broadcast to every worker); a batch carries only its jobs' tasks.

A worker process that dies (killed, out of memory, a crash in a C library)
breaks a process pool: the jobs not yet back are then retried once each,
alone in a single-process pool, so a death is pinned on the job that causes
it, which is reported; the others complete. Ctrl-C cancels what has not
started and re-raises, after every finished fit has been handed to
`on_done` (the fit cache keeps them).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import signal
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial

from povdsl.estimate.jobs import Failure, Outcome, WorkerContext, run_tasks

POOL_MIN_WORK = 8_000_000  # less work than this (unit rows x fits) runs in-process: the pool would cost more than it saves (docs/sweeps.md)
BATCHES_PER_WORKER = 4  # batches a pool worker gets over a run: few round trips, yet a fair share when fits differ in cost
MAX_BATCH = 64  # ... but never so large that progress and death retries become coarse

OnDone = Callable[[int, Outcome], None]
_DIED = Failure(
    "the worker process fitting it died, twice (killed, out of memory, or a crash in a compiled library)",
    hint="run it alone (--workers 1) to see the crash; if memory ran out, use fewer workers",
    died=True,
)


class InProcessExecutor(Executor):
    """The `concurrent.futures` protocol, run at `submit`: the small-run default and the fallback."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def execute(
    tasks: list[tuple],
    context: WorkerContext,
    *,
    workers: int | None = None,
    dask: str | None = None,
    on_done: OnDone | None = None,
) -> list[Outcome]:
    """Every task's outcome, in task order; `on_done(index, outcome)` as each arrives."""
    outcomes: list[Outcome | None] = [None] * len(tasks)

    def done(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(index, outcome)

    todo = list(range(len(tasks)))
    if dask is not None:
        from povdsl.estimate.dask_executor import dask_executor

        with dask_executor(dask, workers, context.fresh(), adapter_modules(tasks, context)) as (executor, reference, deaths):
            batches = _batches(tasks, workers or 2)
            _drive(executor, _remote_batch, (reference,), tasks, todo, batches, done, window=10**9, deaths=deaths)
    else:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count > 1 and work(tasks, context) >= POOL_MIN_WORK:
            todo = _on_pool(tasks, context, count, done)
        if todo:
            local = partial(run_tasks, context, keep_raw=True)
            with one_blas_thread_here():
                _drive(InProcessExecutor(), _here, (local,), tasks, todo, [[i] for i in range(len(todo))], done, window=1)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def work(tasks: list[tuple], context: WorkerContext) -> int:
    """The run's work as the pool threshold measures it: unit rows x fits.

    A fit's cost grows with its rows (the design's columns are few next to
    them), and the parent knows the unit rows without compiling anything;
    a `where` that keeps half the rows halves the real work, which only
    moves small runs across the threshold, where both executors take under
    a second."""
    return len(tasks) * (len(context.frames.unit) if context.frames is not None else 0)


def _batches(tasks: list[tuple], workers: int) -> list[list[int]]:
    """Positions into `tasks` cut into consecutive batches of a size that suits `workers`, cut where
    the shared design changes (so a design is compiled, and prepared, by as few workers as possible),
    and a design's run split into parts of equal size (66 members: 33 + 33, not 64 + 2)."""
    size = max(1, min(MAX_BATCH, len(tasks) // (BATCHES_PER_WORKER * max(1, workers))))
    runs: list[list[int]] = []
    for position, task in enumerate(tasks):
        if runs and _design(tasks[runs[-1][-1]]) == _design(task):
            runs[-1].append(position)
        else:
            runs.append([position])
    batches: list[list[int]] = []
    for run in runs:
        parts = -(-len(run) // size)
        batches += [run[len(run) * k // parts : len(run) * (k + 1) // parts] for k in range(parts)]
    return batches


def _design(task: tuple) -> int | None:
    return task[1] if task[0] == "design" else None


def _drive(
    executor: Executor,
    fn: Callable,
    prefix: tuple,
    tasks: list[tuple],
    todo: list[int],
    batches: list[list[int]],
    done: OnDone,
    *,
    window: int,
    deaths: tuple[type[BaseException], ...] = (),
) -> None:
    """Submit `fn(*prefix, batch tasks)` per batch of `todo` (positions into it), at most `window` in flight; hand each outcome to `done`.

    A batch whose worker died (`deaths`: Dask's KilledWorker, after the
    scheduler's own retry) is split and each job submitted alone; a job that
    dies alone is reported. Anything else the executor raises (a broken
    process pool) propagates: the caller knows which jobs `done` has not seen.
    """
    pending: deque[list[int]] = deque([todo[p] for p in batch] for batch in batches)
    running: dict[Future, list[int]] = {}
    try:
        while pending or running:
            while pending and len(running) < window:
                batch = pending.popleft()
                running[executor.submit(fn, *prefix, [tasks[i] for i in batch])] = batch
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                batch = running.pop(future)
                try:
                    outcomes = future.result()
                except deaths:
                    if len(batch) > 1:
                        pending.extendleft([i] for i in reversed(batch))
                    else:
                        done(batch[0], _DIED)
                    continue
                for index, outcome in zip(batch, outcomes):
                    done(index, outcome)
    finally:
        for future in running:
            future.cancel()


def _on_pool(tasks: list[tuple], context: WorkerContext, workers: int, done: OnDone) -> list[int]:
    """The tasks on one process pool; returns those left to run here (none unless the pool cannot start)."""
    received: set[int] = set()

    def mark(index: int, outcome: Outcome) -> None:
        received.add(index)
        done(index, outcome)

    todo = list(range(len(tasks)))
    forked = multiprocessing.get_start_method() == "fork"
    if forked:
        _preload(tasks, context)
        gc.freeze()  # see _preload
    else:  # the context is pickled for each worker: not the parent's caches
        context = context.fresh()
    try:
        with _pool(workers, context) as pool:
            _drive(pool, _remote_batch_here, (), tasks, todo, _batches(tasks, workers), mark, window=2 * workers)
        return []
    except BrokenProcessPool:
        _isolated(tasks, [i for i in todo if i not in received], context, workers, done)
        return []
    except OSError as exc:  # no semaphores in a sandbox: the same fits, here
        warnings.warn(f"fits run in this process: the process pool failed ({exc})", RuntimeWarning, stacklevel=3)
        return [i for i in todo if i not in received]
    finally:
        if forked:
            gc.unfreeze()


def _isolated(tasks: list[tuple], missing: list[int], context: WorkerContext, workers: int, done: OnDone) -> None:
    """Retry each job once, alone in a one-process pool: a death is then that job's, and is reported as such."""
    queue = deque(missing)
    slots: list[ProcessPoolExecutor | None] = [None] * max(1, min(workers, len(missing)))
    running: dict[Future, tuple[int, int]] = {}

    def start(slot: int) -> None:
        pool = slots[slot]
        if pool is None:
            pool = slots[slot] = ProcessPoolExecutor(max_workers=1, initializer=_receive_context, initargs=(context,))
        index = queue.popleft()
        running[pool.submit(_remote_batch_here, [tasks[index]])] = (slot, index)

    try:
        for slot in range(len(slots)):
            if queue:
                start(slot)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                slot, index = running.pop(future)
                try:
                    outcome = future.result()[0]
                except BrokenProcessPool:
                    outcome = _DIED
                    broken = slots[slot]
                    assert broken is not None
                    broken.shutdown(wait=False, cancel_futures=True)
                    slots[slot] = None
                done(index, outcome)
                if queue:
                    start(slot)
    finally:
        for pool in slots:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


def _preload(tasks: list[tuple], context: WorkerContext) -> None:
    """Import the adapters (and their backends) the tasks use here, before the pool forks its workers:
    forked workers inherit them instead of each importing statsmodels, linearmodels and scipy.stats again
    (about a second of CPU per worker).

    While the pool runs, the objects this process holds (the frames, the plan, the modules) are
    frozen out of the garbage collector (`gc.freeze`, as Python's documentation advises before a
    fork): a forked worker's collections would otherwise walk all of them, writing to every page
    they sit on, so each worker copied the parent's memory page by page. That cost the pool a
    fifth more CPU than the same fits in one process (bench/executor_bench.py)."""
    for module in adapter_modules(tasks, context):
        importlib.import_module(module)


def adapter_modules(tasks: list[tuple], context: WorkerContext) -> list[str]:
    """The adapter modules the tasks' estimators use (a worker imports each once, on first use)."""
    from povdsl.estimate.registry import REGISTRY

    names = {context.designs[task[1]].estimator if task[0] == "design" else task[1].estimator for task in tasks}
    return sorted({REGISTRY[name].adapter.partition(":")[0] for name in names if name in REGISTRY})


@contextmanager
def _pool(workers: int, context: WorkerContext) -> Iterator[ProcessPoolExecutor]:
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_receive_context, initargs=(context,))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C or a broken pool: nothing more starts
        raise
    pool.shutdown(wait=True)


_WORKER_CONTEXT: WorkerContext | None = None  # each pool worker's copy, sent once by the initializer (with its own run cache)
_BLAS_PINNED = False

_BLAS_ENVIRONMENT = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _here(run: Callable[[list[tuple]], list[Outcome]], tasks: list[tuple]) -> list[Outcome]:
    return run(tasks)


def _receive_context(context: WorkerContext) -> None:
    """Pool initializer: keep the context; leave Ctrl-C to the parent, which stops the pool cleanly."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_blas_thread()


def _remote_batch_here(tasks: list[tuple]) -> list[Outcome]:
    """A pool worker's batch, against the context its initializer received."""
    assert _WORKER_CONTEXT is not None
    return run_tasks(_WORKER_CONTEXT, tasks, keep_raw=False)


def _remote_batch(context: WorkerContext, tasks: list[tuple]) -> list[Outcome]:
    """A Dask worker's batch: the scattered context arrives as an argument (resolved by Dask, sent once)."""
    one_blas_thread()
    return run_tasks(context, tasks, keep_raw=False)


@contextmanager
def one_blas_thread_here() -> Iterator[None]:
    """The in-process executor fits at one BLAS thread too, for two reasons. Threaded BLAS splits
    sums differently, so results would differ in the last bits from the pool's and Dask's (and
    between machines); and on a loaded machine its threads fight: a 20,000 x 8 SVD took 47 ms
    with two threads and ~3 ms with one (bench/executor_bench.py). A user's OMP/OPENBLAS/MKL/BLIS
    setting is kept."""
    if any(os.environ.get(name) for name in _BLAS_ENVIRONMENT):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def one_blas_thread() -> None:
    """Pin this worker's BLAS to one thread: the workers already use every core, and threaded BLAS
    on top made small fits 30-100x slower. A user who sets OMP/OPENBLAS/MKL/BLIS_NUM_THREADS to more
    than one keeps it. A setting of 1 is applied here all the same: a Dask nanny sets 1 in its worker's
    environment, but a worker forked from a fork server runs the BLAS the server loaded, sized by the
    environment the server started with (one thread per core unless it said otherwise)."""
    global _BLAS_PINNED
    if _BLAS_PINNED or any(os.environ.get(name, "1").strip() != "1" for name in _BLAS_ENVIRONMENT):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    _BLAS_PINNED = True
