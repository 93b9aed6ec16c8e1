"""A Dask cluster as an executor: `--dask tcp://host:8786`, or `--dask local` for a LocalCluster on this machine.

Dask (the optional extra `dask`) is imported only here, only when asked for.
The run's `WorkerContext` is scattered to every worker once (broadcast) and
each batch receives it by reference; `Client.get_executor` gives Dask's
`concurrent.futures` face, so the same loop drives it as the process pool.
Remote workers need povdsl (the same version) installed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from povdsl.errors import PovdslError
from povdsl.estimate.jobs import WorkerContext
from povdsl.quiet import quiet_logger


@contextmanager
def dask_executor(address: str, workers: int | None, context: WorkerContext, modules: Sequence[str] = ()) -> Iterator[tuple]:
    """(executor, reference to the scattered context, the errors that mean a worker died), closed after use.

    `modules` (the run's adapters) are imported once by a local cluster's fork server, before it forks the workers."""
    try:
        import dask
        from distributed import Client, KilledWorker, LocalCluster
    except ImportError:
        raise PovdslError("--dask needs Dask: python -m pip install 'povdsl[dask]'") from None
    with ExitStack() as stack:
        if address == "local":
            # one failure of a worker is enough for Dask to report the job (povdsl reports it; no silent re-runs)
            settings: dict[str, object] = {
                "distributed.scheduler.allowed-failures": 1,
                # the workers' statistical profiler samples every thread's stack every 10 ms for the dashboard,
                # which a local run has not: it cost the workers as much CPU as the fits on a loaded machine
                "distributed.worker.profile.enabled": False,
                "distributed.nanny.pre-spawn-environ": _worker_environment(),
            }
            if "forkserver" in multiprocessing.get_all_start_methods():
                settings["distributed.worker.multiprocessing-method"] = "forkserver"
            stack.enter_context(dask.config.set(settings))
            if "forkserver" in settings.values():
                _preload_fork_server(modules)
            # Closing the cluster gives each worker 4 s to exit, then kills it with a WARNING ("Worker process still
            # alive after 4.0 seconds, killing"); workers that imported pandas and statsmodels often take longer on a
            # loaded machine. Every fit is done by then and povdsl reports a worker that dies during the run, so for a
            # cluster povdsl owns the nannies log errors only. Entered before the cluster: still quiet while it closes.
            stack.enter_context(quiet_logger("distributed.nanny"))
            cluster = stack.enter_context(_local_cluster(LocalCluster, workers or os.cpu_count() or 1))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=30))
            except OSError as exc:
                raise PovdslError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        reference = client.scatter(context, broadcast=True)
        yield client.get_executor(pure=False), reference, (KilledWorker,)


def _local_cluster(local_cluster: type, workers: int):
    """A LocalCluster of `workers` one-thread processes, or one povdsl error saying why it could not start.

    The usual cause is a script that calls `povdsl.run(..., dask="local")` at
    its top level: every new worker process imports the main script again
    (multiprocessing does), which would start a cluster of its own; such a
    worker leaves at once (pipeline.run) and the nannies report that they
    failed, which they do with a traceback each, silenced here.
    """
    try:
        with quiet_logger("distributed.nanny", level=logging.CRITICAL):
            return local_cluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    except Exception as exc:
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None) if getattr(main, "__spec__", None) is None else None
        hint = (
            f'; a script that calls povdsl.run(..., dask="local") must do so under `if __name__ == "__main__":` (each worker imports {os.path.basename(script)} again)'
            if script
            else ""
        )
        raise PovdslError(f"--dask local: the local Dask cluster's workers could not start ({type(exc).__name__}: {exc}){hint}") from None


def _preload_fork_server(modules: Sequence[str]) -> None:
    """Start the local workers from a fork server that has imported povdsl's worker side and the run's adapters.

    Dask's default starts each worker by `spawn`, a fresh interpreter that
    imports pandas, statsmodels and povdsl on its first task (seconds of CPU
    per worker, on the clock of every `--dask local` run) and at the end
    finalises all of it before it exits, which on a loaded machine outlasts
    the nanny's 4 s wait. Forked from a server that imported them once, a
    worker starts with them loaded and exits at once. The server is this
    process's, started on first use; if it is already running (an earlier run
    in this session) it keeps its modules.
    """
    from distributed.utils import get_mp_context

    context = get_mp_context()  # Dask's own preload is set here, once per process; ours replaces it
    context.set_forkserver_preload(["distributed", "numpy", "pandas", "povdsl.estimate.executors", *modules])


def _worker_environment() -> dict[str, object]:
    """Dask's environment for local workers, without MALLOC_TRIM_THRESHOLD_.

    Dask sets glibc's trim threshold to 64 KiB so that long-lived workers give
    memory back; setting it also switches off glibc's adaptive mmap threshold,
    so every temporary array above 128 KiB (a design column of 20,000 rows) is
    mapped and unmapped again. A sweep's members allocate such arrays by the
    thousand: the workers spent 2.7 s in the kernel (45,000 mmap/munmap pairs)
    against 0.4 s without it, and fitted at half the process pool's speed
    (bench/executor_bench.py). A local run's workers live for one run, so
    there is nothing to trim for. Dask's other settings (one BLAS thread) stay.
    """
    import dask

    environment = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environment.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environment
