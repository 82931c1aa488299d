"""Report runs end to end: papermill executes real notebooks, nbconvert renders offline HTML.

Expected values are the known content of a small synthetic survey (its counties and row counts).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import pipeline
from shuangjian_eval.run import cli

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    df = sje.synth.generate(
        n_schools=24, students_per_school=12, n_counties=3, waves=(2020, 2022), seed=3
    )
    path = tmp_path_factory.mktemp("data") / "survey.parquet"
    df.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def run(survey, tmp_path_factory):
    county = pipeline.list_regions(survey)[0]
    out = tmp_path_factory.mktemp("reports")
    return pipeline.run_report(
        survey,
        out=out,
        run_id="t",
        regions=f"all,{county}",
        notebooks=["00_data_quality"],
        notebook_dir=NOTEBOOK_DIR,
        workers=2,
        progress=False,
    )


def test_run_writes_reports_index_and_manifest(run, survey):
    assert run.ok, [j.error for j in run.failed]
    assert len(run.jobs) == 2
    for job in run.jobs:
        assert Path(job.ipynb).exists() and Path(job.html).exists()
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert manifest["data"]["sha256"] == pipeline.data_hash(survey)
    assert {j["status"] for j in manifest["jobs"]} == {"ok"}
    assert manifest["versions"]["pandas"] == pd.__version__
    index = run.index.read_text(encoding="utf-8")
    assert "全部地区" in index and run.jobs[1].region in index


def test_html_is_offline_code_free_and_chinese(run):
    html = Path(run.jobs[0].html).read_text(encoding="utf-8")
    assert '<html lang="zh">' in html
    assert "样本量" in html and "抽样权重" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "loads from another host"
    assert "import shuangjian_eval" not in html, "code shown to readers"
    assert 'class="jp-InputPrompt' not in html  # no prompts
    assert "数据指纹" in html  # footer with the data hash


def test_executed_notebook_counts_match_the_data(run, survey):
    df = pd.read_parquet(survey)
    nb = nbformat.read(run.jobs[0].ipynb, as_version=4)
    text = "\n".join(
        str(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert f"{len(df):,} 名受访者" in text


def test_failing_region_is_reported_and_others_complete(survey, tmp_path):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    shutil.copy(NOTEBOOK_DIR / "00_data_quality.ipynb", nb_dir)
    nb = nbformat.read(nb_dir / "00_data_quality.ipynb", as_version=4)
    regions = pipeline.list_regions(survey)
    bad = regions[1]
    nb.cells.insert(
        3,
        nbformat.v4.new_code_cell(
            f"if region == {bad!r}:\n    raise RuntimeError('boom in ' + region)"
        ),
    )
    nbformat.write(nb, nb_dir / "00_data_quality.ipynb")
    run = pipeline.run_report(
        survey,
        out=tmp_path / "out",
        run_id="f",
        regions="each",
        notebook_dir=nb_dir,
        notebooks=["00_data_quality"],
        workers=2,
        progress=False,
    )
    status = {j.region: j.status for j in run.jobs}
    assert status[bad] == "failed"
    assert all(s == "ok" for r, s in status.items() if r != bad)
    failed = run.failed[0]
    assert "boom in" in failed.error and not Path(failed.html).exists()
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    index = run.index.read_text(encoding="utf-8")
    assert "boom in" in index
    # in the index: a short reason in the run's language; the exception only in the details
    assert "计算出错" in index
    assert re.search(r"<details[^>]*>.*?boom in.*?</details>", index, re.S)
    for job in run.jobs:
        if job.status == "ok":
            assert Path(job.html).exists()


def test_unknown_parameter_stops_before_anything_runs(survey, tmp_path):
    with pytest.raises(pipeline.ParameterError, match=r"unknown parameter 'min_cel'.*min_cell"):
        pipeline.run_report(
            survey,
            out=tmp_path,
            parameters={"min_cel": 5},
            notebooks=["00_data_quality"],
            notebook_dir=NOTEBOOK_DIR,
            progress=False,
        )
    with pytest.raises(pipeline.ParameterError, match="must be int"):
        pipeline.run_report(
            survey,
            out=tmp_path,
            parameters={"min_cell": "ten"},
            notebooks=["00_data_quality"],
            notebook_dir=NOTEBOOK_DIR,
            progress=False,
        )
    assert not any(tmp_path.iterdir()), "nothing may be written before parameters are valid"


def test_cli_region_not_in_data_exits_2_with_one_line(survey, tmp_path, capsys):
    code = cli.main(
        [
            "report",
            "--data",
            str(survey),
            "--regions",
            "火星县",
            "--out",
            str(tmp_path),
            "--notebook-dir",
            str(NOTEBOOK_DIR),
            "--notebooks",
            "00_data_quality",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "火星县" in err and "valid regions" in err
    assert "Traceback" not in err


def test_dask_executor_on_a_real_local_cluster(survey, tmp_path):
    # an existing cluster reached by its scheduler address, as `--scheduler tcp://HOST:PORT`
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run = pipeline.run_report(
            survey,
            out=tmp_path,
            run_id="d",
            regions="each",
            notebooks=["00_data_quality"],
            notebook_dir=NOTEBOOK_DIR,
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert run.ok, [j.error for j in run.failed]
    assert len(run.jobs) == len(pipeline.list_regions(survey))
    assert all(Path(j.html).exists() for j in run.jobs)
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"


def test_scheduler_without_dask_executor_is_refused(survey, tmp_path):
    with pytest.raises(pipeline.ParameterError, match="executor='dask'"):
        pipeline.run_report(
            survey,
            out=tmp_path,
            scheduler="tcp://127.0.0.1:8786",
            notebook_dir=NOTEBOOK_DIR,
            progress=False,
        )


@pytest.mark.parametrize("name", ["all", "each"])
def test_a_county_named_like_a_region_keyword_is_refused(survey, tmp_path, name):
    """'all' and 'each' are region keywords: a county of that name would be ambiguous (is
    --regions all one county or every one?), so the run stops before any notebook."""
    df = pd.read_parquet(survey)
    df["county"] = df["county"].astype(str).replace(pipeline.list_regions(survey)[0], name)
    path = tmp_path / "clash.parquet"
    df.to_parquet(path, index=False)
    with pytest.raises(pipeline.ParameterError, match=f"county named '{name}'"):
        pipeline.run_report(path, out=tmp_path / "out", notebooks=["00_data_quality"],
                            notebook_dir=NOTEBOOK_DIR, progress=False)  # fmt: skip
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.html"))
    if name == "all":
        with pytest.raises(ValueError, match="county named 'all'"):
            sje.briefing.compute(df, region="all")


def test_cli_from_another_folder_logs_one_line_per_job(survey, tmp_path, monkeypatch, capfd):
    """`sje report` from a folder without notebooks (cron without `cd`, an installed package)
    runs the notebooks shipped with the package; with --no-progress each finished job is one
    log line, the precompute says it is running, and the kernels' transport warning (once per
    worker before, on the workers' stderr) is one line. A resume with nothing to redo says so
    rather than "4 of 4 reports written"."""
    from shuangjian_eval.run.execution import TRANSPORT_NOTE

    monkeypatch.chdir(tmp_path)
    regions = ",".join(pipeline.list_regions(survey)[:2])
    args = ["report", "--data", str(survey), "--regions", regions, "--run-id", "cron",
            "--notebooks", "00_data_quality,90_policy_report", "--workers", "2", "--no-progress"]  # fmt: skip
    assert cli.main(args) == 0
    out, err = capfd.readouterr()
    assert "4 reports written, 0 failed (4 in run cron)" in out
    lines = err.splitlines()
    jobs = [
        line for line in lines if re.match(r"\[\d/4\] 样本县00\d / \w+: ok \(\d+\.\d s\)$", line)
    ]
    assert len(jobs) == 4, err
    assert "computing the policy report's estimates for 2 regions" in err
    assert re.search(r"estimates computed in \d+\.\d s", err)
    assert "eavesdropping" not in err and lines.count(TRANSPORT_NOTE) == 1
    assert (tmp_path / "reports" / "cron" / "index.html").exists()
    assert not list(tmp_path.rglob(".lock"))

    assert cli.main(["report", "--resume", "cron", "--no-progress"]) == 0
    out, err = capfd.readouterr()
    assert "0 reports written, 4 kept from before, 0 failed (4 in run cron)" in out
    assert "nothing to redo: all 4 reports of run cron are written" in err
    assert TRANSPORT_NOTE not in err  # no kernel started


def test_policy_report_in_word_excel_and_pdf(survey, tmp_path):
    """--formats: the Word, Excel (and, with Chromium, PDF) files of the policy report beside
    its page, opened and linked from the index."""
    import docx
    import openpyxl

    from shuangjian_eval.run.pipeline.formats import browser

    formats = "docx,xlsx" + (",pdf" if browser() else "")
    county = pipeline.list_regions(survey)[0]
    run = pipeline.run_report(
        survey, out=tmp_path, run_id="d", regions=county, notebooks=["90_policy_report"],
        notebook_dir=NOTEBOOK_DIR, workers=1, progress=False, formats=formats,
    )  # fmt: skip
    assert run.ok
    page = Path(run.jobs[0].html)
    word = docx.Document(str(page.with_suffix(".docx")))
    assert word.paragraphs[0].text == f"{county} · 政策评估报告"
    assert len(word.tables) == 2 and word.inline_shapes
    assert openpyxl.load_workbook(page.with_suffix(".xlsx")).sheetnames[0] == "目标完成情况"
    index = run.index.read_text(encoding="utf-8")
    assert "Word版" in index and "Excel表" in index
    if browser():
        assert page.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
