"""What the modules of a run share: the notebooks a run can execute, a job, a run."""

from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...publication import formatting as fmt

# Notebooks a run can execute, in report order, with their display titles (the labels are
# the language owner's).
NOTEBOOKS = fmt.NOTEBOOK_TITLES

EXECUTORS = ("local", "dask")

# The notebook whose estimates are computed once per run, for every region, before it runs.
BRIEFING_NOTEBOOK = "90_policy_report"

_DEPENDENCIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
)


@dataclass
class Job:
    """One notebook for one region."""

    region: str
    label: str
    notebook: str
    parameters: dict[str, Any]
    ipynb: str
    html: str
    status: str = "pending"
    start: str | None = None
    end: str | None = None
    seconds: float | None = None
    error: str | None = None


def _running_path(ipynb: Path) -> Path:
    """Where a notebook is written while it runs; renamed to ``ipynb`` when it has finished."""
    return ipynb.with_name(f".{ipynb.stem}.running.ipynb")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class ReportRun:
    """What a report run did: where it wrote and how each job ended."""

    run_id: str
    out_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    kept: list[Job] = field(default_factory=list)  # of an earlier run, resumed: not redone
    ran: list[Job] = field(default_factory=list)  # executed by this run
    caches: dict[str, Path] = field(default_factory=dict)
    precompute: dict[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def manifest(self) -> Path:
        return self.out_dir / "manifest.json"

    @property
    def written(self) -> list[Job]:
        """The reports this run wrote (kept ones not counted)."""
        return [j for j in self.ran if j.status == "ok"]

    @property
    def failed(self) -> list[Job]:
        return [j for j in self.jobs if j.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


def _failed(job: Job) -> Job:
    """The job whose worker died before it could report (the process, not the notebook)."""
    job.status, job.error = "failed", "worker died: " + traceback.format_exc(limit=1).strip()
    return job
