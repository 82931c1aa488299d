"""The ``sje`` command: user mistakes end with exit code 2 and one line, never a traceback."""

from __future__ import annotations

import pandas as pd

import shuangjian_eval as sje
from shuangjian_eval.run import cli


def test_synth_writes_canonical_parquet_with_its_truth(tmp_path, capsys):
    out = tmp_path / "s.parquet"
    code = cli.main(
        [
            "synth",
            "--out",
            str(out),
            "--schools",
            "12",
            "--students",
            "8",
            "--counties",
            "2",
            "--waves",
            "2020,2022",
            "--seed",
            "1",
        ]
    )
    assert code == 0
    df = pd.read_parquet(out)
    assert set(df["wave"].unique()) == {2020, 2022}
    assert "synthetic" in capsys.readouterr().out
    # same seed through the API gives the same rows (reproducible by seed)
    again = sje.synth.generate(
        n_schools=12, students_per_school=8, n_counties=2, waves=(2020, 2022), seed=1
    )
    pd.testing.assert_frame_equal(df, again.reset_index(drop=True), check_like=False)
    assert sje.synth.truth(df).attrs["seed"] == 1
    assert sje.synth.truth(df, form="nested")["params"]["seed"] == 1


def test_bad_waves_is_a_usage_error(capsys):
    try:
        cli.main(["synth", "--out", "x.parquet", "--waves", "twenty"])
    except SystemExit as exc:  # argparse's own usage error
        assert exc.code == 2
    assert "waves must be years" in capsys.readouterr().err


def test_codebook_lists_variables(capsys):
    assert cli.main(["codebook", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "homework_min_weekday" in out and "工作日书面作业时长" in out


def test_missing_input_file_exits_2(tmp_path, capsys):
    code = cli.main(["validate", str(tmp_path / "nope.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.csv" in err and "Traceback" not in err


def test_report_options_reach_the_run(monkeypatch, tmp_path):
    # every report flag is passed on: notebooks "all", executor, scheduler, resume, timeout
    from shuangjian_eval import pipeline

    seen = {}

    class _Run:
        jobs, failed, kept, written, index = [], [], [], [], tmp_path / "index.html"
        run_id, ok = "r1", True

    def fake_run_report(data, **kw):
        seen.update(kw)
        return _Run()

    monkeypatch.setattr(pipeline, "run_report", fake_run_report)
    code = cli.main(
        [
            "report",
            "--data",
            "x.parquet",
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:8786",
            "--resume",
            "r1",
            "--timeout",
            "5",
        ]
    )
    assert code == 0
    assert (seen["executor"], seen["scheduler"]) == ("dask", "tcp://127.0.0.1:8786")
    assert (seen["run_id"], seen["resume"], seen["timeout"]) == ("r1", True, 5.0)
    # settings left out are None: a resumed run reuses its own
    assert [seen[k] for k in ("regions", "notebooks", "lang", "parameters", "notebook_dir")] == [
        None
    ] * 5
    seen.clear()
    args = ["report", "--data", "x.parquet", "--notebooks", "all", "--lang", "en", "-p", "a=1"]
    assert cli.main(args) == 0
    assert seen["notebooks"] == list(pipeline.NOTEBOOKS)
    assert (seen["lang"], seen["parameters"], seen["regions"]) == ("en", {"a": 1}, None)


def test_report_help_gives_every_flag_a_text_with_its_default_and_examples(capsys):
    """`sje report --help`: each flag explained, defaults shown, examples at the end."""
    import contextlib

    with contextlib.suppress(SystemExit):
        cli.main(["report", "--help"])
    text = capsys.readouterr().out
    parser = cli._parser()
    report = next(
        a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "report"
    )[1]
    for action in report._actions:
        assert action.help, f"{action.option_strings} has no help text"
    for flag, default in [("--out", "reports"), ("--timeout", "600.0"), ("--regions", "all"),
                          ("--lang", "zh"), ("--executor", "local"), ("--workers", "cores")]:  # fmt: skip
        block = text.split("options:", 1)[1].split(f"\n  {flag}", 1)[1].split("\n  -", 1)[0]
        assert "default" in block and default in block, (flag, block)
    assert "examples:" in text and "sje report --resume" in text and "--overwrite" in text


def test_report_refuses_nonpositive_workers_and_timeout_as_usage_errors(capsys):
    for flag, value in [("--workers", "0"), ("--workers", "-2"), ("--timeout", "-5"),
                        ("--timeout", "0"), ("--timeout", "nan")]:  # fmt: skip
        try:
            code = cli.main(["report", "--data", "x.parquet", flag, value])
        except SystemExit as exc:
            code = exc.code
        assert code == 2, (flag, value)
        assert f"argument {flag}: must be" in capsys.readouterr().err


def test_report_without_data_is_a_usage_error_unless_resumed(capsys):
    assert cli.main(["report"]) == 2
    assert "--data is required" in capsys.readouterr().err
