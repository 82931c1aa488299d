"""A run's folder: writable check, lock, resumable jobs, SIGTERM as an interruption, the manifest."""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path

from ...base.files import atomic_write
from ._common import _DEPENDENCIES, Job
from .parameters import ParameterError


def data_hash(path: str | Path) -> str:
    """SHA-256 of the data, a file or a folder partitioned by wave (the input data's
    fingerprint in the manifest and footer; :func:`shuangjian_eval.inputs.io.store.fingerprint`)."""
    from ...inputs.io.store import fingerprint

    return fingerprint(path)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("shuangjian-eval", *_DEPENDENCIES):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _writable_run_dir(out: Path, run_id: str) -> Path:
    """Create the run folder, or stop before anything runs if it cannot be written."""
    if not re.fullmatch(r"[\w.\-]+", run_id) or run_id in (".", ".."):
        raise ParameterError(f"run id {run_id!r} may use letters, digits, '.', '-' and '_' only")
    out_dir = out / run_id
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".probe."):
            pass
    except OSError as exc:
        raise ParameterError(f"cannot write reports to {out_dir}: {exc.strerror or exc}") from None
    return out_dir


def _lock_run(out_dir: Path):
    """Hold an exclusive lock on the run folder for the whole run (released on close)."""
    import fcntl

    handle = open(out_dir / ".lock", "w")  # noqa: SIM115 - held until the run ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ParameterError(
            f"another report run is writing to {out_dir}; wait for it or choose another --run-id"
        ) from None
    return handle


def _resumable_jobs(out_dir: Path, digest: str) -> dict[tuple[str, str], Job]:
    """Jobs of an earlier run that ended well and whose report is still there."""
    path = out_dir / "manifest.json"
    if not path.exists():
        raise ParameterError(f"nothing to resume: {path} does not exist")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("data", {}).get("sha256") != digest:
        raise ParameterError(
            f"cannot resume run {out_dir.name}: the data file differs from the one it used"
        )
    kept = {}
    for record in manifest.get("jobs", []):
        job = Job(**{k: record[k] for k in Job.__dataclass_fields__ if k in record})
        job.ipynb, job.html = str(out_dir / job.ipynb), str(out_dir / job.html)
        if job.status == "ok" and Path(job.html).exists():
            kept[(job.region, job.notebook)] = job
    return kept


class _sigterm_as_interrupt:
    """Within the block, SIGTERM (a scheduler stopping the job) acts like Ctrl-C."""

    def __enter__(self):
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        return False


def _write_manifest(run, data, digest, versions, started, extra, lang, finished=None) -> None:
    manifest = {
        "run_id": run.run_id,
        "data": {"path": str(data), "sha256": digest},
        "parameters": {"lang": lang, **extra},
        "versions": versions,
        "started": started,
        "finished": finished,
        "status": None if finished is None else ("ok" if run.ok else "failed"),
        "precompute": run.precompute,
        "jobs": [
            {
                **asdict(j),
                "ipynb": os.path.relpath(j.ipynb, run.out_dir),
                "html": os.path.relpath(j.html, run.out_dir),
            }
            for j in run.jobs
        ],
    }
    atomic_write(run.manifest, json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
