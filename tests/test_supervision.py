"""Supervision returns: the canonical tables, their readers and checks, the synthetic returns and
the example files.

Expected values come from hand counts of the small files written here, from the synthetic
generator's truth (shuangjian_eval.inputs.supervision.synth), or from the codebook's and
policy.yaml's definitions as cited."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.inputs import examples_supervision as exs
from shuangjian_eval.inputs import supervision as sv
from shuangjian_eval.inputs.supervision import periods
from shuangjian_eval.inputs.supervision import synth as svsynth

EX = Path(__file__).resolve().parents[1] / "data" / "examples"


@pytest.fixture(scope="module")
def returns() -> svsynth.SupervisionData:
    return svsynth.generate(seed=0)


def check_accounting(res) -> None:
    """rows in = accepted + rejected; no row both accepted and rejected."""
    rejected = set(res.rejects["source_row"])
    assert res.log["rows_in"] == res.log["accepted"] + res.log["rejected"]
    assert res.log["accepted"] == len(res.data)
    assert res.log["rejected"] == len(rejected)
    assert not rejected & set(res.data.index)


# ------------------------------------------------------------------------------ the tables


def test_every_table_has_a_key_of_required_variables_and_zh_en_labels():
    cb = sje.codebook.load()
    assert set(cb.tables) == set(sv.TABLES)
    for name in sv.TABLES:
        t = cb.table(name)
        assert t.key and all(t[k].required for k in t.key)
        assert t.title["zh"] and t.title["en"]
        for v in t:
            assert v.label["zh"] and v.label["en"], (name, v.name)
    with pytest.raises(ValueError, match="did you mean .school_returns."):
        sv.table_codebook("schools")


def test_school_returns_file_every_row_accounted_and_errors_name_row_column_value(tmp_path):
    """A hand-written file of 7 rows: 3 good, and 4 bad in 4 ways (hand count)."""
    path = tmp_path / "returns.csv"
    path.write_text(
        "报告期,区县,学校代码,在校生数,参加课后服务学生数,提供课后服务,课后服务每周天数,"
        "课后服务每天时长（小时）,结束时间与当地正常下班时间衔接,学段\n"
        "2021-11-15,样本县001,S1,400,300,是,5,2,是,小学\n"  # row 2: meets 5+2
        "2021年11月15日,样本县001,S2,300,200,是,4,2,是,初中\n"  # row 3: 4 days: not 5+2
        "2021/11/15,样本县001,S3,200,100,是,5,1.5,是,九年一贯制\n"  # row 4: 1.5 hours: not
        "2021-11-15,样本县001,S1,400,310,是,5,2,是,小学\n"  # row 5: S1 again: duplicate key
        "2021-11-31,样本县002,S4,100,50,是,5,2,是,小学\n"  # row 6: no 31 November
        "2021-11-15,样本县002,S5,100,150,是,5,2,是,小学\n"  # row 7: 150 taking part > 100
        "2021-11-15,样本县002,,100,50,是,5,2,是,小学\n",  # row 8: blank school (required)
        encoding="utf-8",
    )
    res = sv.load_returns(path, "school_returns", "school-returns-zh")
    check_accounting(res)
    assert res.log["rows_in"] == 7 and res.log["accepted"] == 2 and res.log["rejected"] == 5
    rules = res.rejects.groupby("source_row")["rule"].first().to_dict()
    assert rules == {2: "duplicate key", 5: "duplicate key", 6: "not a date",
                     7: "inconsistent counts", 8: "missing required value"}  # fmt: skip
    bad = res.rejects.set_index("source_row")
    assert bad.loc[6, "column"] == "报告期" and bad.loc[6, "value"] == "2021-11-31"
    assert bad.loc[7, "column"] == "参加课后服务学生数" and bad.loc[7, "value"] == "150"
    assert "150 is above enrolment 100" in bad.loc[7, "message"]
    assert "rows 2, 5" in bad.loc[2, "message"]
    # "5+2" (policy.yaml afterschool_service: 5 days, 2 hours, ending after working hours)
    assert res.data["afterschool_time_ok"].tolist() == [False, False]  # rows 3 and 4
    assert res.data["period"].dt.strftime("%Y-%m-%d").tolist() == ["2021-11-15"] * 2
    assert res.data["school_type"].tolist() == ["junior", "nine_year"]


def test_a_profile_of_another_table_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("线索编号,区县,受理日期\nX1,样本县001,2021-11-01\n", encoding="utf-8")
    with pytest.raises(sje.IngestError, match=r"x\.csv: the mapping profile 'cases-zh' is for"):
        sv.load_returns(path, "complaints", "cases-zh")


def test_complainants_names_and_phone_numbers_never_enter_canonical_data():
    res = sv.load_returns(EX / "supervision-complaints.xlsx", "complaints", "complaints-zh")
    check_accounting(res)
    assert set(res.log["dropped_identifier_columns"]) == {"举报人姓名", "联系电话"}
    cells = pd.concat([f.astype("string").stack() for f in (res.data, res.rejects) if len(f)])
    assert not cells.str.contains(r"1[3-9]\d{9}|某", regex=True).any()
    assert list(res.data.columns) == sje.codebook.load().table("complaints").names


# --------------------------------------------------------------- synthetic returns, examples


def test_synthetic_returns_have_the_survey_counties_and_schools(returns):
    survey = sje.synth.generate(n_schools=120, students_per_school=2, n_counties=8, seed=0)
    comp = survey[survey["grade"] <= 9]
    assert set(returns.school_returns["school_id"]) == set(comp["school_id"].astype(str))
    assert set(returns.school_returns["county"]) == set(survey["county"].astype(str))
    # the planted over-reporters: 10 % of the schools with compulsory grades (generator default)
    n = returns.school_returns["school_id"].nunique()
    assert len(returns.truth["over_reporters"]) == round(0.1 * n)
    for name, frame in returns.tables().items():
        res = sv.validate_returns(frame, name)
        check_accounting(res)
        assert res.log["rejected"] == 0, name


def test_the_half_monthly_sheet_in_the_official_layout_reads_back_the_synthetic_counties(returns):
    """The example sheet (title, date line, two-row header, 合计 row) gives the generator's
    county rows of its period; the totals row is rejected as such."""
    res = sv.load_half_monthly(EX / "supervision-half-monthly.xlsx", exs.HALF_MONTHLY_PERIOD)
    check_accounting(res)
    assert res.log["reject_counts"] == {"totals row": 1}
    want = returns.half_monthly
    want = want[want["period"] == pd.Timestamp(exs.HALF_MONTHLY_PERIOD)].reset_index(drop=True)
    got = res.data.reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        assert got[col].astype(str).tolist() == want[col].astype(str).tolist(), col


def test_committed_supervision_examples_match_the_generator(tmp_path):
    fresh = {p.name: p for p in exs.write_supervision_examples(tmp_path, seed=0)}
    for name in exs.SUPERVISION_FILES:
        assert (EX / name).read_bytes() == fresh[name].read_bytes(), name
    for name, (table, profile) in exs.SUPERVISION_FILES.items():
        if table != "half_monthly":
            res = sv.load_returns(EX / name, table, profile)
            check_accounting(res)
            assert res.log["rejected"] == 0 and not res.log.get("unmapped_columns"), name


def test_wave_of_a_period_is_its_school_years_autumn():
    assert [periods.wave_of(d) for d in ("2021-09-15", "2021-12-30", "2022-03-15")] == [
        2021, 2021, 2021]  # fmt: skip
    assert np.all(np.diff([periods.wave_of(p) for p in svsynth.PERIODS]) >= 0)
