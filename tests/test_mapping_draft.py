"""`sje mapping draft` and `sje mapping check` on the county example downloads.

Expected values: the known truth of the synthetic county example
(``examples_wenjuanxing.county_truth``) and the questionnaire it was written from (question
texts and answer texts in ``examples_wenjuanxing``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_io import assert_same_data

from shuangjian_eval.inputs import examples_wenjuanxing as wjx_examples
from shuangjian_eval.inputs.io import load_survey
from shuangjian_eval.inputs.io.draft import check_profile, draft_profile
from shuangjian_eval.run import cli

EX = Path(__file__).resolve().parent.parent / "data" / "examples"
TEXT, NUMBERS, XLS = (EX / f for f in wjx_examples.COUNTY_FILES)
GENUINE = dict(wave=2022, county=wjx_examples.COUNTY, salt="s", exclude=["test", "duplicate"])


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    text, report = draft_profile(TEXT, pair=NUMBERS, name="my-county")
    path = tmp_path_factory.mktemp("draft") / "my-county.yaml"
    path.write_text(text, encoding="utf-8")
    return path, report


def test_draft_reads_every_download_like_the_truth(drafted):
    """The drafted profile, with no hand edit, reads all three downloads to the truth."""
    path, report = drafted
    assert report.todo == []
    truth = wjx_examples.county_truth()
    for export in (TEXT, NUMBERS, XLS):
        res = load_survey(export, mapping=path, fieldwork_start="2022-11-14", **GENUINE)
        assert_same_data(res.data.drop(columns="respondent_id"), truth)


def test_draft_proposes_by_wording(drafted):
    profile = yaml.safe_load(drafted[0].read_text(encoding="utf-8"))
    q = wjx_examples._QUESTIONS
    cols = profile["columns"]
    for var in ("homework_min_weekday", "homework_min_weekend", "sleep_hours", "tutoring_hidden",
                "afterschool_satisfaction", "policy_satisfaction", "tutoring_spend_year"):  # fmt: skip
        assert cols[var] == q[var], var
    assert cols["anxiety_3"] == "17(看到别人家孩子补课就着急)"
    assert profile["choices"]["tutoring_subject"]["any_of"] == sorted(wjx_examples._SUBJECTS)
    assert "其他【请注明】" in profile["choices"]["tutoring_nonsubject"]["any_of"]
    assert "没有参加" not in profile["choices"]["tutoring_nonsubject"]["any_of"]
    assert profile["values"]["household_income"]["5-10万元"] == 75000
    assert (
        profile["values"]["anxiety_1"]["非常不同意"] == 1 and profile["values"]["anxiety_1"][5] == 5
    )
    assert profile["values"]["afterschool_participation"] == {
        "否": False,
        "是": True,
        1: True,
        2: False,
    }
    assert profile["ignore"] == [q["suggestion"]]  # an open question


def test_draft_without_pair_marks_option_numbers_todo():
    text, report = draft_profile(NUMBERS)
    assert any(t.startswith("grade: option numbers 1, 2, 3") for t in report.todo)
    # a band or a scale point is never read as its option number
    assert any(t.startswith("household_income: option numbers") for t in report.todo)
    assert any(t.startswith("policy_satisfaction: option numbers") for t in report.todo)
    assert "TODO" in text


def test_check_lists_unmapped_answers_with_counts(tmp_path, drafted):
    profile = yaml.safe_load(drafted[0].read_text(encoding="utf-8"))
    del profile["values"]["grade"]["初一"]
    del profile["columns"]["sleep_hours"]
    report = check_profile(TEXT, profile, wave=2022, county=wjx_examples.COUNTY)
    assert not report.ok
    header, *rows = list(openpyxl.load_workbook(TEXT).active.iter_rows(values_only=True))
    n = sum(r[header.index("2、孩子现在读几年级?")] == "初一" for r in rows)  # in the file
    assert n > 5
    assert report.unknown_answers["2、孩子现在读几年级?"]["初一"] == n
    assert wjx_examples._QUESTIONS["sleep_hours"] in report.unmapped_questions
    assert "'初一'" in report.summary()


def test_mapping_commands(tmp_path, capsys):
    out = tmp_path / "p.yaml"
    assert cli.main(["mapping", "draft", str(TEXT), "--pair", str(NUMBERS), "--out", str(out)]) == 0
    assert "Nothing left to decide" in capsys.readouterr().out
    code = cli.main(["mapping", "check", str(out), str(NUMBERS), "--wave", "2022",
                     "--county", wjx_examples.COUNTY])  # fmt: skip
    assert code == 0 and "Every question and answer is mapped." in capsys.readouterr().out
    bad = yaml.safe_load(out.read_text(encoding="utf-8"))
    del bad["values"]["grade"]["初二"]
    out.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    code = cli.main(["mapping", "check", str(out), str(TEXT), "--wave", "2022",
                     "--county", wjx_examples.COUNTY])  # fmt: skip
    assert (
        code == 1
        and "Unmapped answers in '2、孩子现在读几年级?': '初二'" in capsys.readouterr().out
    )


def test_check_reports_a_profile_that_cannot_read_the_file(drafted):
    report = check_profile(TEXT, drafted[0])  # no wave, no county
    assert not report.ok and "missing required column" in report.error
