"""Faults during report runs: raising, dying and slow notebooks, unwritable folders, SIGTERM,
concurrent runs, and --resume redoing only what is missing or failed.

Expected values are the known outcomes of the injected faults.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import pipeline

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"
DQ = "00_data_quality"


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    df = sje.synth.generate(
        n_schools=18, students_per_school=10, n_counties=3, waves=(2020, 2022), seed=11
    )
    path = tmp_path_factory.mktemp("data") / "survey.parquet"
    df.to_parquet(path, index=False)
    return path


def _faulty_notebooks(tmp_path: Path, code: str) -> Path:
    """A copy of the data-quality notebook with ``code`` run right after the parameters."""
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir(exist_ok=True)
    nb = nbformat.read(NOTEBOOK_DIR / f"{DQ}.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, nb_dir / f"{DQ}.ipynb")
    return nb_dir


def _run(survey, out, nb_dir, **kw):
    kw.setdefault("regions", "each")
    return pipeline.run_report(
        survey, out=out, notebooks=[DQ], notebook_dir=nb_dir, workers=2, progress=False, **kw
    )


def _no_partial_files(root: Path) -> None:
    leftovers = [p for p in root.rglob("*") if p.name.endswith((".tmp", ".running.ipynb"))]
    assert not leftovers, leftovers


def test_dead_kernel_and_timeout_fail_their_job_only(survey, tmp_path):
    regions = pipeline.list_regions(survey)
    code = (
        "import os, time\n"
        f"if region == {regions[0]!r}:\n    os._exit(1)\n"
        f"if region == {regions[1]!r}:\n    time.sleep(30)\n"
    )
    run = _run(survey, tmp_path / "out", _faulty_notebooks(tmp_path, code), run_id="k", timeout=3)
    status = {j.region: j for j in run.jobs}
    assert status[regions[0]].status == "failed" and "dead" in status[regions[0]].error.lower()
    assert status[regions[1]].status == "failed" and "timed out" in status[regions[1]].error.lower()
    assert status[regions[2]].status == "ok" and Path(status[regions[2]].html).exists()
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    assert [j["status"] for j in manifest["jobs"]].count("failed") == 2
    _no_partial_files(run.out_dir)


def test_resume_redoes_only_what_failed(survey, tmp_path):
    regions = pipeline.list_regions(survey)
    flag = tmp_path / "fail-once"
    flag.write_text("x")
    code = (
        f"import os\nif region == {regions[0]!r} and os.path.exists({str(flag)!r}):\n"
        "    raise RuntimeError('transient')\n"
    )
    nb_dir = _faulty_notebooks(tmp_path, code)
    first = _run(survey, tmp_path / "out", nb_dir, run_id="r")
    assert [j.status for j in first.jobs].count("failed") == 1
    kept = {j.region: os.stat(j.html).st_mtime_ns for j in first.jobs if j.status == "ok"}
    flag.unlink()
    second = _run(survey, tmp_path / "out", nb_dir, run_id="r", resume=True)
    assert second.ok
    for region, mtime in kept.items():  # untouched: not run again
        job = next(j for j in second.jobs if j.region == region)
        assert os.stat(job.html).st_mtime_ns == mtime


def test_resume_refuses_other_data(survey, tmp_path):
    _run(survey, tmp_path / "out", NOTEBOOK_DIR, run_id="z", regions="all")
    other = tmp_path / "other.parquet"
    pd.read_parquet(survey).iloc[:-1].to_parquet(other, index=False)  # one row fewer
    with pytest.raises(
        pipeline.ParameterError, match=r"different data \(--data\): the run used data with SHA-256"
    ):
        _run(other, tmp_path / "out", NOTEBOOK_DIR, run_id="z", resume=True)


def test_unwritable_output_folder_stops_before_running(survey, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(pipeline.ParameterError, match="cannot write reports"):
        _run(survey, blocked, NOTEBOOK_DIR, run_id="u")


def test_a_second_run_into_the_same_folder_is_refused(survey, tmp_path):
    out_dir = tmp_path / "out" / "same"
    out_dir.mkdir(parents=True)
    holder = pipeline._lock_run(out_dir)  # another process's run in progress
    try:
        with pytest.raises(pipeline.ParameterError, match="another report run"):
            _run(survey, tmp_path / "out", NOTEBOOK_DIR, run_id="same")
    finally:
        holder.close()


def test_sigterm_records_interrupted_jobs_and_leaves_no_partial_file(survey, tmp_path):
    nb_dir = _faulty_notebooks(tmp_path, "import time\ntime.sleep(20)")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "shuangjian_eval.run.cli",
        "report",
        "--data",
        str(survey),
        "--out",
        str(out),
        "--run-id",
        "t",
        "--regions",
        "each",
        "--notebooks",
        DQ,
        "--notebook-dir",
        str(nb_dir),
        "--workers",
        "2",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    manifest = out / "t" / "manifest.json"
    deadline = time.time() + 60
    while not manifest.exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # jobs are running
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    record = json.loads(manifest.read_text(encoding="utf-8"))
    assert record["finished"] is not None
    assert {j["status"] for j in record["jobs"]} == {"interrupted"}
    assert "interrupted" in (out / "t" / "index.html").read_text(
        encoding="utf-8"
    ).lower() or "失败" in (out / "t" / "index.html").read_text(encoding="utf-8")
    _no_partial_files(out)


def test_data_that_is_not_parquet_is_a_clear_error(tmp_path):
    bad = tmp_path / "survey.parquet"
    bad.write_text("respondent_id,wave\n1,2022\n")
    with pytest.raises(pipeline.ParameterError, match="not a canonical Parquet"):
        pipeline.run_report(
            bad, out=tmp_path / "out", notebooks=[DQ], notebook_dir=NOTEBOOK_DIR, progress=False
        )
