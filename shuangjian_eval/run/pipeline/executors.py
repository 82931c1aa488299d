"""Executors of a run's jobs: local worker processes or a Dask cluster; the progress bar."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed

from ._common import Job, _failed
from .parameters import ParameterError


def _execute_local(jobs: list[Job], run_one, *, workers: int, scheduler: str | None = None):
    """Run jobs in a local process pool; yield each job as it finishes."""
    if not jobs:
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)))
    try:
        futures = {pool.submit(run_one, job): job for job in jobs}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception:
                yield _failed(futures[fut])
    except BaseException:  # interrupted: stop the workers (their kernels follow their parent)
        workers_left = list(getattr(pool, "_processes", {}).values())
        for proc in workers_left:
            proc.terminate()
        for proc in workers_left:  # let them go before their files are cleaned up
            proc.join(timeout=10)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _execute_dask(jobs: list[Job], run_one, *, workers: int, scheduler: str | None = None):
    """Run jobs on a Dask cluster (an existing scheduler, or a local cluster of processes)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ParameterError("executor='dask' needs dask.distributed installed") from exc
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = {client.submit(run_one, job, pure=False): job for job in jobs}
            for fut in dask_completed(list(futures)):
                try:
                    yield fut.result()
                except Exception:
                    yield _failed(futures[fut])
    finally:
        if cluster is not None:
            cluster.close()


class _NoBar:
    """A progress bar that shows nothing."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="report", desc="sje report")
