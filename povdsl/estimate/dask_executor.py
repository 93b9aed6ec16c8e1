"""A Dask cluster as an executor: `--dask tcp://host:8786`, or `--dask local` for a LocalCluster on this machine.

Dask (the optional extra `dask`) is imported only here, only when asked for.
The run's `WorkerContext` is scattered to every worker once (broadcast) and
each batch receives it by reference; `Client.get_executor` gives Dask's
`concurrent.futures` face, so the same loop drives it as the process pool.
Remote workers need povdsl (the same version) installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from povdsl.errors import PovdslError
from povdsl.estimate.jobs import WorkerContext
from povdsl.quiet import quiet_logger


@contextmanager
def dask_executor(address: str, workers: int | None, context: WorkerContext) -> Iterator[tuple]:
    """(executor, reference to the scattered context, the errors that mean a worker died), closed after use."""
    try:
        import dask
        from distributed import Client, KilledWorker, LocalCluster
    except ImportError:
        raise PovdslError("--dask needs Dask: python -m pip install 'povdsl[dask]'") from None
    with ExitStack() as stack:
        if address == "local":
            import os

            # one failure of a worker is enough for Dask to report the job (povdsl reports it; no silent re-runs)
            stack.enter_context(dask.config.set({"distributed.scheduler.allowed-failures": 1}))
            # Closing the cluster gives each worker 4 s to exit, then kills it with a WARNING ("Worker process still
            # alive after 4.0 seconds, killing"); workers that imported pandas and statsmodels often take longer on a
            # loaded machine. Every fit is done by then and povdsl reports a worker that dies during the run, so for a
            # cluster povdsl owns the nannies log errors only. Entered before the cluster: still quiet while it closes.
            stack.enter_context(quiet_logger("distributed.nanny"))
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=30))
            except OSError as exc:
                raise PovdslError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        reference = client.scatter(context, broadcast=True)
        yield client.get_executor(pure=False), reference, (KilledWorker,)
