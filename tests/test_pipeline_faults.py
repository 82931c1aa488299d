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
        f"if region == {regions[1]!r}:\n    time.sleep(60)\n"
    )
    # a cell's limit well above what the healthy notebook's slowest cell takes on a loaded
    # 2-core machine (3 s timed out a healthy cell there)
    run = _run(survey, tmp_path / "out", _faulty_notebooks(tmp_path, code), run_id="k", timeout=12)
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
    # once per worker before: ipykernel's TCP warning, and asyncio's "Task exception was never
    # retrieved" traceback of nbclient's cell task whose kernel died
    assert "eavesdropping" not in err and "Traceback" not in err and "never retrieved" not in err
    assert err.strip().splitlines()[-1] == (
        f"sje report: report run t interrupted; redo what is missing with: "
        f"sje report --resume t --out {out}"
    )
    from shuangjian_eval.run.execution import TRANSPORT_NOTE

    others = set(err.strip().splitlines()[:-1]) - {TRANSPORT_NOTE}
    assert others <= {"Kernel died while waiting for execute reply."}, err  # nbclient's, per job
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


def _settings(run) -> dict:
    return json.loads(run.manifest.read_text(encoding="utf-8"))["settings"]


def test_resume_reuses_the_runs_own_settings(survey, tmp_path):
    """Resumed without flags, a run of two counties, in English, with its own notebooks and a
    parameter, redoes its one failed job with those settings: the manifest keeps both jobs, the
    index stays English (measured before: the default notebooks and Chinese were used)."""
    regions = pipeline.list_regions(survey)[:2]
    flag = tmp_path / "fail-once"
    flag.write_text("x")
    code = (
        f"import os\nif region == {regions[0]!r} and os.path.exists({str(flag)!r}):\n"
        "    raise RuntimeError('transient')\n"
    )
    nb_dir = _faulty_notebooks(tmp_path, code)
    first = _run(survey, tmp_path / "out", nb_dir, run_id="s", regions=regions, lang="en",
                 parameters={"min_cell": 5})  # fmt: skip
    assert [j.status for j in first.jobs] == ["failed", "ok"]
    assert _settings(first) == {
        "regions": regions, "notebooks": [DQ], "notebook_dir": str(nb_dir), "lang": "en",
        "parameters": {"min_cell": 5}, "formats": ["html"],
    }  # fmt: skip
    flag.unlink()
    again = pipeline.run_report(out=tmp_path / "out", run_id="s", resume=True, progress=False)
    assert again.ok and [j.region for j in again.jobs] == regions
    assert [j.region for j in again.ran] == [regions[0]] and len(again.kept) == 1
    assert _settings(again) == _settings(first)
    assert again.jobs[0].parameters["min_cell"] == 5
    assert '<html lang="en">' in again.index.read_text(encoding="utf-8")
    assert '<html lang="en">' in Path(again.jobs[0].html).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def english_run(survey, tmp_path_factory):
    nb_dir = _faulty_notebooks(tmp_path_factory.mktemp("nb"), "pass")
    return _run(survey, tmp_path_factory.mktemp("runs"), nb_dir, run_id="c", regions="all",
                lang="en")  # fmt: skip


@pytest.mark.parametrize(
    ("given", "setting", "old", "new"),
    [
        ({"lang": "zh"}, "lang", "en", "zh"),
        ({"regions": "each"}, "regions", "all", "样本县003"),  # all vs every county
        ({"notebooks": [DQ, "90_policy_report"]}, "notebooks", DQ, "90_policy_report"),
        ({"parameters": {"min_cell": 20}}, "parameters", "none", "min_cell=20"),
        ({"notebook_dir": "PACKAGE"}, "notebook dir", "notebooks", "the package's notebooks"),
    ],
)
def test_resume_refuses_a_changed_setting_naming_it(english_run, given, setting, old, new):
    out = english_run.out_dir.parent
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    if given.get("notebook_dir") == "PACKAGE":
        given = {"notebook_dir": NOTEBOOK_DIR}
    with pytest.raises(pipeline.ParameterError) as err:
        pipeline.run_report(out=out, run_id="c", resume=True, progress=False, **given)
    message = str(err.value)
    assert f"different {setting}" in message and "the run used" in message, message
    assert old in message.split("the run used", 1)[1].split(";")[0], message
    assert new in message.split("this command gives", 1)[1], message
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_an_existing_run_id_is_refused_unless_resumed_or_overwritten(survey, tmp_path):
    """Reusing a run id replaced its index silently (63 reports listed became 1, the others
    left on disk unlinked): it is refused; --overwrite removes the old run's reports first."""
    out = tmp_path / "out"
    first = _run(survey, out, NOTEBOOK_DIR, run_id="n", regions="each")
    assert len(first.jobs) == 3
    with pytest.raises(pipeline.ParameterError, match="run 'n' exists .*3 reports.*--resume n"):
        _run(survey, out, NOTEBOOK_DIR, run_id="n", regions="all")
    assert all(Path(j.html).exists() for j in first.jobs)  # untouched
    second = _run(survey, out, NOTEBOOK_DIR, run_id="n", regions="all", overwrite=True)
    assert second.ok and len(second.jobs) == 1
    html = sorted(p.relative_to(out / "n") for p in (out / "n").rglob("*.html"))
    assert html == [Path("all") / f"{DQ}.html", Path("index.html")]
    assert not any(Path(j.ipynb).exists() for j in first.jobs if j.region != "all")


def test_resuming_a_run_that_does_not_exist_leaves_nothing(survey, tmp_path):
    out = tmp_path / "out"
    _run(survey, out, NOTEBOOK_DIR, run_id="there", regions="all")
    with pytest.raises(pipeline.ParameterError, match="no run 'nosuchrun'.*runs in .*: there"):
        _run(survey, out, NOTEBOOK_DIR, run_id="nosuchrun", resume=True)
    assert sorted(p.name for p in out.iterdir()) == ["there"]
    assert not list(out.rglob(".lock")), "a lock left behind"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lang": "fr"}, "lang 'fr' is not a report language; valid values: zh, en"),
        ({"parameters": {"lang": "fr"}}, "parameter 'lang' is set by the report run: give --lang"),
        ({"parameters": {"min_cell": 0}}, "parameter 'min_cell': min_cell must be a whole number"),
        ({"workers": 0}, "workers must be a whole number >= 1, got 0"),
        ({"timeout": -5}, r"timeout must be a number of seconds > 0 \(or None: no limit\), got -5"),
        ({"regions": "火星县"}, "region '火星县' is not in the data"),
    ],
)
def test_bad_values_stop_the_run_before_anything_is_written(survey, tmp_path, kw, message):
    """Each was accepted before and failed inside every notebook, or not at all."""
    with pytest.raises(pipeline.ParameterError, match=message):
        pipeline.run_report(survey, out=tmp_path / "out", run_id="v", notebooks=[DQ],
                            progress=False, **kw)  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_analysis_parameter_values_are_checked_against_the_data(survey, tmp_path):
    for parameters, message in [
        ({"waves": [2023]}, "parameter 'waves': wave 2023 is not in the data; valid waves: 2020, 2022"),
        ({"outcomes": ["sleep_hour"]}, "'sleep_hour' is not an outcome.*did you mean 'sleep_hours'"),
        ({"comparison": "pilots"}, "parameter 'comparison': must be one of grade, pilot"),
        ({"baseline_waves": [2025]}, "parameter 'baseline_waves': wave 2025 is not in the data"),
        ({"plan": "level"}, "parameter 'plan': must be one of auto, before_after, change, levels"),
    ]:  # fmt: skip
        with pytest.raises(pipeline.ParameterError, match=message):
            pipeline.run_report(survey, out=tmp_path / "out", notebooks=["20_tutoring"],
                                parameters=parameters, progress=False)  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_no_lock_is_left_after_a_run_or_a_refused_resume(survey, tmp_path):
    out = tmp_path / "out"
    _run(survey, out, NOTEBOOK_DIR, run_id="l", regions="all")
    with pytest.raises(pipeline.ParameterError):
        _run(survey, out, NOTEBOOK_DIR, run_id="l", regions="each", resume=True)
    assert not list(out.rglob(".lock"))


def test_a_run_recorded_before_settings_were_resumed_with_its_jobs_settings(survey, tmp_path):
    """A manifest written before runs recorded their settings: its jobs and parameters say
    what the run was (regions, notebooks, language, parameters)."""
    county = pipeline.list_regions(survey)[1]
    first = _run(survey, tmp_path / "out", NOTEBOOK_DIR, run_id="o", regions=county, lang="en")
    manifest = json.loads(first.manifest.read_text(encoding="utf-8"))
    del manifest["settings"], manifest["execution"]
    manifest["parameters"] = {"lang": "en"}
    manifest["jobs"][0]["status"] = "failed"
    first.manifest.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    again = pipeline.run_report(out=tmp_path / "out", run_id="o", resume=True, progress=False)
    assert again.ok and [(j.region, j.notebook) for j in again.ran] == [(county, DQ)]
    assert _settings(again) == {"regions": [county], "notebooks": [DQ], "notebook_dir": None,
                                "lang": "en", "parameters": {}, "formats": ["html"]}  # fmt: skip
