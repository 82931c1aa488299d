"""A run's folder: writable check, lock, the settings a resumed run reuses, an existing run
refused or replaced, resumable jobs, SIGTERM as an interruption, the manifest."""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

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


#: the settings of a run that decide what its reports say, with the flag that sets each: a
#: resumed run reuses them and refuses another value (the execution settings, such as workers
#: and timeout, may change)
SETTINGS: dict[str, str] = {
    "data": "--data",
    "regions": "--regions",
    "notebooks": "--notebooks",
    "notebook_dir": "--notebook-dir",
    "lang": "--lang",
    "parameters": "-p",
    "formats": "--formats",
}


def _run_folder(out: Path, run_id: str) -> Path:
    if not re.fullmatch(r"[\w.\-]+", run_id) or run_id in (".", ".."):
        raise ParameterError(f"run id {run_id!r} may use letters, digits, '.', '-' and '_' only")
    return out / run_id


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of the run in ``out_dir``, to resume it; nothing is created."""
    path = out_dir / "manifest.json"
    if not path.exists():
        runs = sorted(p.parent.name for p in out_dir.parent.glob("*/manifest.json"))
        there = f"; runs in {out_dir.parent}: {', '.join(runs)}" if runs else ""
        raise ParameterError(
            f"nothing to resume: no run {out_dir.name!r} ({path} does not exist){there}"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(
            f"cannot resume run {out_dir.name!r}: {path} is unreadable ({exc})"
        ) from None


def _refuse_existing(out_dir: Path, overwrite: bool) -> None:
    """Stop when ``out_dir`` holds a run already, unless it is to be replaced."""
    path = out_dir / "manifest.json"
    if overwrite or not path.exists():
        return
    try:
        jobs = json.loads(path.read_text(encoding="utf-8")).get("jobs", [])
    except (OSError, ValueError):
        jobs = []
    raise ParameterError(
        f"run {out_dir.name!r} exists in {out_dir.parent} ({len(jobs)} reports): give --resume "
        f"{out_dir.name} to redo what is missing or failed, --overwrite to replace it, or "
        "another --run-id"
    )


def recorded_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    """The settings (:data:`SETTINGS`) a run's manifest records. A manifest written before the
    settings were recorded gives them from its jobs and parameters."""
    data = manifest.get("data", {})
    settings = dict(manifest.get("settings") or {})
    if not settings:  # an older manifest: the run's jobs say what it was
        jobs = manifest.get("jobs", [])
        extra = dict(manifest.get("parameters", {}))
        settings = {
            "regions": list(dict.fromkeys(j["region"] for j in jobs)),
            "notebooks": list(dict.fromkeys(j["notebook"] for j in jobs)),
            "lang": extra.pop("lang", "zh"),
            "parameters": extra,
            "notebook_dir": None,
        }
    settings["data"] = data.get("sha256")
    settings["data_path"] = data.get("path")
    settings.setdefault("formats", ["html"])  # runs recorded before formats were a setting
    return settings


def _show(name: str, value: Any) -> str:
    if value is None:
        return "the package's notebooks" if name == "notebook_dir" else "none"
    if name == "data":
        return f"data with SHA-256 {str(value)[:16]}..."
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v!r}" for k, v in value.items()) or "none"
    return str(value)


def check_same_settings(run_id: str, recorded: dict[str, Any], given: dict[str, Any]) -> None:
    """Refuse to resume run ``run_id`` with a setting that differs from the one it used.

    ``given`` holds the settings the command gave (those it left out are not there).

    Raises
    ------
    ParameterError
        Naming the setting, the run's value and the new one.
    """
    for name, value in given.items():
        old = recorded.get(name)
        if name in SETTINGS and value != old:
            raise ParameterError(
                f"cannot resume run {run_id!r} with a different {name.replace('_', ' ')} "
                f"({SETTINGS[name]}): the run used {_show(name, old)}; this command gives "
                f"{_show(name, value)}. Leave out {SETTINGS[name]} to reuse the run's, or start "
                "a new run (another --run-id, or --overwrite)"
            )


def _make_run_dir(out_dir: Path) -> bool:
    """Create the run folder, or stop before anything runs if it cannot be written; True when
    it was created here."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".probe."):
            pass
    except OSError as exc:
        raise ParameterError(f"cannot write reports to {out_dir}: {exc.strerror or exc}") from None
    return created


class _RunLock:
    """An exclusive lock on a run folder; :meth:`close` releases it and removes its file."""

    def __init__(self, path: Path, handle) -> None:
        self.path, self.handle = path, handle

    def close(self) -> None:
        if self.handle.closed:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # while held: a run that opens it now finds another file
        self.handle.close()


def _lock_run(out_dir: Path) -> _RunLock:
    """Hold an exclusive lock on the run folder for the whole run (released on close)."""
    import fcntl

    path = out_dir / ".lock"
    for _ in range(3):
        handle = open(path, "a")  # noqa: SIM115 - held until the run ends
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ParameterError(
                f"another report run is writing to {out_dir}; wait for it or choose another --run-id"
            ) from None
        try:  # the file locked is still the one at the path (not one a finished run removed)
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                return _RunLock(path, handle)
        except FileNotFoundError:
            pass
        handle.close()
    raise ParameterError(f"cannot lock {out_dir}: its lock file keeps changing")


def _remove_run(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Remove what the run of ``manifest`` wrote into ``out_dir`` (its reports, executed and
    failed notebooks, briefings), so that a run replacing it leaves none of them unlinked."""
    folders = set()
    for record in manifest.get("jobs", []):
        for key in ("ipynb", "html"):
            path = out_dir / record[key]
            folders.add(path.parent)
            path.unlink(missing_ok=True)
            if key == "ipynb":
                path.with_suffix(".failed.ipynb").unlink(missing_ok=True)
    shutil.rmtree(out_dir / ".briefings", ignore_errors=True)
    (out_dir / "index.html").unlink(missing_ok=True)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder != out_dir and out_dir in folder.parents:
            with contextlib.suppress(OSError):  # not empty: something else is in it
                folder.rmdir()


def _resumable_jobs(out_dir: Path, manifest: dict[str, Any]) -> dict[tuple[str, str], Job]:
    """Jobs of an earlier run that ended well and whose report is still there."""
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


def _write_manifest(run, data, digest, versions, started, execution, finished=None) -> None:
    manifest = {
        "run_id": run.run_id,
        "settings": run.settings,
        "data": {"path": str(data), "sha256": digest},
        "execution": execution,
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
