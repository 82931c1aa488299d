"""Executors of a run's jobs: local worker processes or a Dask cluster; progress and log lines."""

from __future__ import annotations

import sys
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


def first_line(error: str | None) -> str:
    """The first line of a job's error (the manifest and the index have all of it)."""
    lines = (error or "").strip().splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "") if lines else ""


class _Reporter:
    """What a run tells the person or scheduler that started it, on stderr: a progress bar,
    or (``bar=False``, for logs) one line per finished job; status lines either way."""

    def __init__(self, bar: bool) -> None:
        self.bar_wanted, self.bar, self.total, self.finished = bar, None, 0, 0

    def say(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def start(self, total: int) -> None:
        """Jobs start: ``total`` of them."""
        self.total, self.finished = total, 0
        if self.bar_wanted and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="report", desc="sje report", file=sys.stderr)

    def done(self, job: Job) -> None:
        """A job has finished."""
        self.finished += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        width = len(str(self.total))
        where = f"[{self.finished:>{width}}/{self.total}] {job.region} / {job.notebook}"
        seconds = f" ({job.seconds:.1f} s)" if job.seconds is not None else ""
        if job.status == "ok":
            self.say(f"{where}: ok{seconds}")
        else:
            self.say(f"{where}: {job.status.upper()}{seconds}: {first_line(job.error)}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
