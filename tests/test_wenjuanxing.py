"""问卷星 downloads in the platform's real layout: both download modes, legacy .xls, multi-choice
questions as sets, typed answers, quality flags, and the defects a county analyst met.

Expected values: the known truth of the synthetic county example
(``sje.examples_wenjuanxing.county_truth``: the canonical rows of the genuine parents, before
they were written as a download) and the submissions it plants (``county_flags``: three test
submissions the day before fieldwork, one double submission 75 s after the first).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_io import assert_same_data, check_invariant

from shuangjian_eval.inputs import examples_wenjuanxing as wjx_examples
from shuangjian_eval.inputs.io import IngestError, load_survey
from shuangjian_eval.inputs.io import wenjuanxing as wjx
from shuangjian_eval.inputs.io.mapping import _profile_dir
from shuangjian_eval.run import cli

EX = Path(__file__).resolve().parent.parent / "data" / "examples"
FILES = wjx_examples.COUNTY_FILES
COUNTY = wjx_examples.COUNTY
SALT = "test-salt"
GENUINE = dict(wave=2022, county=COUNTY, salt=SALT, exclude=["test", "duplicate"])


def county_profile() -> dict:
    text = _profile_dir().joinpath("wenjuanxing-county.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def rows(path: Path) -> tuple[list, list[list]]:
    wb = openpyxl.load_workbook(path)
    data = [list(r) for r in wb.active.iter_rows(values_only=True)]
    return data[0], data[1:]


def workbook(path: Path, header: list, body: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in body:
        ws.append(r)
    wb.save(path)
    return path


# ------------------------------------------------------------------------------------------
# both download modes and the legacy workbook give the genuine parents, to the digit


@pytest.mark.parametrize("name", FILES)
def test_county_download_gives_the_truth(name):
    res = load_survey(EX / name, mapping="wenjuanxing-county", **GENUINE)
    check_invariant(res)
    truth = wjx_examples.county_truth()
    assert_same_data(res.data.drop(columns="respondent_id"), truth)
    assert res.log["download"] == ("按选项序号" if "numbers" in name else "按选项文本")
    planted = wjx_examples.county_flags()
    assert sorted(res.rejects["source_row"]) == sorted(planted["test"] + planted["duplicate"])
    assert res.log["reject_counts"] == {"excluded: test": 3, "excluded: duplicate": 1}


def test_modes_agree_with_each_other():
    text = load_survey(EX / FILES[0], mapping="wenjuanxing-county", **GENUINE)
    numbers = load_survey(EX / FILES[1], mapping="wenjuanxing-county", **GENUINE)
    pd.testing.assert_frame_equal(text.data, numbers.data)
    cols = ["source_row", "flag"]  # details quote the answer as written: a text or a number
    pd.testing.assert_frame_equal(text.flags[cols], numbers.flags[cols])


# ------------------------------------------------------------------------------------------
# 1. a profile's YAML-number codes are not overridden by the built-in 是/否 words


def test_yaml_number_codes_are_not_inverted(tmp_path):
    header, body = rows(EX / FILES[0])
    col = header.index(county_profile()["columns"]["tutoring_hidden"])
    for r in body:  # this survey coded the question 0 = 是 (yes), 1 = 否 (no)
        r[col] = {"是": 0, "否": 1}.get(r[col], r[col])
    path = workbook(tmp_path / "coded.xlsx", header, body)
    profile = county_profile()
    profile["values"]["tutoring_hidden"] = {0: True, 1: False}  # as the docs write codes
    res = load_survey(path, mapping=profile, **GENUINE)
    truth = wjx_examples.county_truth()["tutoring_hidden"]
    got = res.data["tutoring_hidden"].reset_index(drop=True)
    pd.testing.assert_series_equal(got, truth, check_names=False)
    assert 0.05 < truth.mean() < 0.95  # an inversion would show


# ------------------------------------------------------------------------------------------
# 2. the header the profile names exactly wins over tolerant matches


def test_exact_option_headers_do_not_collide(tmp_path):
    fixed = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
    header = [
        *fixed,
        "1、孩子就读的学校:",
        "2、孩子现在读几年级?",
        "第8题(没有参加)",
        "第9题(没有参加)",
    ]
    body = [
        [k + 1, f"2022/11/15 1{k}:00:00", "300秒", "微信", "N/A", f"1.2.3.{k}(省-市)",
         "一小", "初一", k % 2, 1 - k % 2]
        for k in range(6)
    ]  # fmt: skip
    path = workbook(tmp_path / "options.xlsx", header, body)
    profile = {
        "name": "exact",
        "platform": "wenjuanxing",
        "unweighted": True,
        "columns": {
            "school_id": "1、孩子就读的学校:",
            "grade": "2、孩子现在读几年级?",
            "tutoring_subject": "第8题(没有参加)",
            "tutoring_nonsubject": "第9题(没有参加)",
        },
        "values": {"grade": {"初一": 7}},
    }
    res = load_survey(path, mapping=profile, wave=2022, county=COUNTY, salt=SALT)
    assert res.data["tutoring_subject"].tolist() == [False, True, False, True, False, True]
    assert res.data["tutoring_nonsubject"].tolist() == [True, False, True, False, True, False]


# ------------------------------------------------------------------------------------------
# 3. multi-choice as sets; 其他〖…〗 is the option 其他, its text counted and never kept


def test_multi_choice_as_sets_and_free_text_never_kept():
    res = load_survey(EX / FILES[0], mapping="wenjuanxing-county", **GENUINE)
    truth = wjx_examples.county_truth()
    for var in ("tutoring_subject", "tutoring_nonsubject"):
        assert res.data[var].mean() == pytest.approx(truth[var].mean(), abs=1e-15)
    dropped = res.log["free_texts_dropped"]
    assert sum(dropped.values()) > 10
    text = "\n".join(f.astype(str).to_csv() for f in (res.data, res.rejects, res.issues, res.flags))
    for word in ("围棋", "研学营", "书法", "游泳夏令营", "〖"):
        assert word not in text


def test_unlisted_option_is_a_missing_answer_not_a_lost_parent(tmp_path):
    header, body = rows(EX / FILES[0])
    col = header.index(county_profile()["choices"]["tutoring_subject"]["question"])
    body[10][col] = "奥数"  # an option the profile does not list
    path = workbook(tmp_path / "odd.xlsx", header, body)
    res = load_survey(path, mapping="wenjuanxing-county", **GENUINE)
    check_invariant(res)
    assert len(res.data) == len(wjx_examples.county_truth())
    assert pd.isna(res.data.loc[12, "tutoring_subject"])
    assert any("'奥数' (1)" in w for w in res.log["warnings"])


# ------------------------------------------------------------------------------------------
# 4. one unreadable answer is a missing cell with its reason, not a lost respondent


def test_unreadable_answer_is_a_missing_cell():
    res = load_survey(EX / FILES[0], mapping="wenjuanxing-county", **GENUINE)
    bad = res.issues[res.issues["variable"] == "homework_min_weekday"]
    assert set(bad["value"]) == {"不一定"} and set(bad["rule"]) == {"not a number"}
    assert len(bad) == res.log["cells_set_missing"]["homework_min_weekday"] > 0
    for row in bad["source_row"]:  # the parent's other answers are kept
        assert pd.notna(res.data.loc[row, "grade"]) and pd.notna(res.data.loc[row, "gender"])
    converted = res.log["answers_converted"]["homework_min_weekday"]
    assert converted["range midpoint"] > 0 and converted["duration with units"] > 0


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("1小时", "minutes per day", 60.0),
        ("1.5小时", "minutes per day", 90.0),
        ("半小时", "minutes per day", 30.0),
        ("1小时30分钟", "minutes per day", 90.0),
        ("一个半小时", "minutes per day", 90.0),
        ("90分钟", "minutes per day", 90.0),
        ("约40", "minutes per day", 40.0),
        ("30-40", "minutes per day", 35.0),
        ("1到2小时", "minutes per day", 90.0),
        ("8.5h", "hours per day", 8.5),
        ("2千", "CNY per year", 2000.0),
        ("1.5万", "CNY per year", 15000.0),
        ("2000元", "CNY per year", 2000.0),
        ("1万-2万", "CNY per year", 15000.0),
    ],
)
def test_typed_answers(text, unit, value):
    from shuangjian_eval.inputs.io.answers import read_typed

    assert read_typed(text, unit)[0] == value


@pytest.mark.parametrize("text", ["不一定", "2小时", "40-30", "七点半", ""])
def test_typed_answers_not_guessed(text):
    from shuangjian_eval.inputs.io.answers import read_typed

    assert read_typed(text, "CNY per year" if text == "2小时" else "minutes per day") is None


# ------------------------------------------------------------------------------------------
# 5. pasted downloads are different parents; double and test submissions are flagged


def test_two_downloads_pasted_together_are_not_duplicates(tmp_path):
    header, body = rows(EX / FILES[0])
    first, second = body[:150], body[150:]
    for k, r in enumerate(second):
        r[0] = k + 1  # the second download's 序号 restarts at 1
    path = workbook(tmp_path / "pasted.xlsx", header, first + second)
    res = load_survey(path, mapping="wenjuanxing-county", **GENUINE)
    check_invariant(res)
    assert len(res.data) == len(wjx_examples.county_truth())
    assert res.data["respondent_id"].is_unique


def test_double_and_test_submissions_are_flagged_not_dropped():
    res = load_survey(
        EX / FILES[0], mapping="wenjuanxing-county", wave=2022, county=COUNTY, salt=SALT
    )
    check_invariant(res)
    planted = wjx_examples.county_flags()
    flags = res.flags
    assert sorted(flags.loc[flags["flag"] == "test", "source_row"]) == planted["test"]
    assert sorted(flags.loc[flags["flag"] == "duplicate", "source_row"]) == planted["duplicate"]
    detail = flags.loc[flags["flag"] == "duplicate", "detail"].iloc[0]
    assert detail.startswith("same device and identical answers as row") and "75 s" in detail
    assert len(res.data) == len(wjx_examples.county_truth()) + 4  # flagged, kept
    assert res.rejects.empty
    assert any("--exclude" in w for w in res.log["warnings"])
    speeders = set(flags.loc[flags["flag"] == "speeder", "source_row"])
    assert set(planted["test"]) <= speeders  # 9 seconds each


def test_exclude_checks_its_names():
    with pytest.raises(ValueError, match="did you mean 'duplicate'"):
        load_survey(
            EX / FILES[0],
            mapping="wenjuanxing-county",
            wave=2022,
            county=COUNTY,
            exclude="duplicat",
        )


def test_submission_number_is_not_a_respondent_key():
    profile = county_profile() | {"respondent_id_from": "序号"}
    with pytest.raises(IngestError, match="序号 is the platform's submission number"):
        load_survey(EX / FILES[0], mapping=profile, wave=2022, county=COUNTY)


# ------------------------------------------------------------------------------------------
# 6. 来自IP, legacy .xls, --wave and --county on the command line


def test_ip_header_of_the_platform_never_reaches_data():
    res = load_survey(EX / FILES[0], mapping="wenjuanxing-county", **GENUINE)
    assert "来自IP" in res.log["dropped_identifier_columns"]
    header, body = rows(EX / FILES[0])
    ips = {str(r[header.index("来自IP")]).split("(")[0] for r in body}
    text = "\n".join(f.astype(str).to_csv() for f in (res.data, res.rejects, res.issues, res.flags))
    assert not any(ip in text for ip in ips)


def test_legacy_xls_equals_the_xlsx():
    xls = load_survey(EX / "wjx-county-text.xls", mapping="wenjuanxing-county", **GENUINE)
    xlsx = load_survey(EX / "wjx-county-text.xlsx", mapping="wenjuanxing-county", **GENUINE)
    assert xls.log["format"] == "xls"
    pd.testing.assert_frame_equal(xls.data, xlsx.data)


def test_ingest_wave_and_county_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "county.parquet"
    code = cli.main(
        ["ingest", str(EX / FILES[1]), "--mapping", "wenjuanxing-county", "--wave", "2023",
         "--county", COUNTY, "--salt", SALT, "--exclude", "test,duplicate", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    data = pd.read_parquet(out)
    assert set(data["wave"]) == {2023} and set(data["county"].astype(str)) == {COUNTY}
    printed = capsys.readouterr().out
    assert "Rows: 274 in, 270 accepted, 4 rejected" in printed
    flags = pd.read_csv(out.with_suffix(".flags.csv"))
    assert set(flags["flag"]) >= {"test", "duplicate"}
    issues = pd.read_csv(out.with_suffix(".issues.csv"))
    assert len(issues) == 12


# ------------------------------------------------------------------------------------------
# the platform's header forms


def test_matrix_header_forms_get_the_profile_form():
    headers = ["序号", "提交答卷时间", "17、您是否同意以下说法 (矩阵单选题)—担心成绩", "担心升学",
               "18、孩子的性别:", "第9题(语文)", "9(数学)"]  # fmt: skip
    aliases = wjx.header_aliases(headers)
    assert aliases[2] == ["17(担心成绩)"] and aliases[3] == ["17(担心升学)"]
    assert 4 not in aliases and "9(语文)" in aliases[5] and "第9题(数学)" in aliases[6]


@pytest.mark.parametrize(
    ("text", "seconds"), [("136秒", 136), ("2分3秒", 123), ("1小时2分3秒", 3723), ("95", 95)]
)
def test_duration_of_a_submission(text, seconds):
    assert wjx.parse_duration([text])[0] == seconds


def test_duration_unreadable_is_nan():
    assert np.isnan(wjx.parse_duration(["很久"])[0])


def test_numbers_mode_skipped_question_is_missing():
    res = load_survey(EX / FILES[1], mapping="wenjuanxing-county", **GENUINE)
    header, body = rows(EX / FILES[1])
    col = header.index(county_profile()["columns"]["afterschool_satisfaction"])
    skipped = [k + 2 for k, r in enumerate(body) if r[col] == -3]
    kept = [r for r in skipped if r in res.data.index]
    assert kept and res.data.loc[kept, "afterschool_satisfaction"].isna().all()
    assert not (res.issues["variable"] == "afterschool_satisfaction").any()


def test_screening_is_reported_in_the_data_quality_report(tmp_path):
    """The ingest counts travel with the canonical data into the data-quality report."""
    from shuangjian_eval.inputs.io.store import read_canonical, write_canonical
    from shuangjian_eval.publication import quality

    res = load_survey(EX / FILES[1], mapping="wenjuanxing-county", **GENUINE)
    write_canonical(res.data, tmp_path / "county.parquet")
    df = read_canonical(tmp_path / "county.parquet")
    zh = quality.describe_ingest(df, lang="zh")
    assert "读入 274 行，采用 270 行，剔除 4 行" in zh
    assert "剔除测试提交 3、重复提交 1" in zh and "12 个无法识别的答案设为缺失" in zh
    en = quality.describe_ingest(df, lang="en")
    assert "left out: test submissions 3, double submissions 1" in en
    assert quality.describe_ingest(df.iloc[:0].copy().__class__(), lang="zh") == ""


# ------------------------------------------------------------------------------------------
# defects found by fuzzing the readers (tests/test_fuzz_readers.py)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("其他〖围棋〗", ("其他", 1)),
        ("语文┋其他〖围棋〗┋数学", ("语文┋其他┋数学", 1)),
        ("〖a〗〖b〗 c ", ("c", 2)),
        ("其他〖a〖b〗c", ("其他c", 1)),  # from the first 〖 to the first 〗
        ("其他〖没有闭合", ("其他〖没有闭合", 0)),
        ("〗〖", ("〗〖", 0)),
    ],
)
def test_split_free_text(text, expected):
    assert wjx.split_free_text(text) == expected


def test_unclosed_free_text_marks_in_a_long_cell(tmp_path):
    """A multi-choice cell of 100,000 〖 without 〗 took about a minute: the pattern 〖(.*?)〗
    was retried from every 〖. The cell is now an unlisted option (a missing answer)."""
    import time

    header, body = rows(EX / FILES[0])
    col = header.index(county_profile()["choices"]["tutoring_subject"]["question"])
    body[4][col] = "〖" * 100_000
    path = workbook(tmp_path / "long.xlsx", header, body[:20])
    start = time.perf_counter()
    res = load_survey(path, mapping="wenjuanxing-county", wave=2022, county=COUNTY, salt=SALT)
    assert time.perf_counter() - start < 5
    check_invariant(res)
    assert pd.isna(res.data.loc[6, "tutoring_subject"])
    assert 6 in res.data.index


@pytest.mark.parametrize("cell", [0, -1, 1e6, "0", "-1", "4610-01-17 18:28:19", True])
def test_submission_time_that_is_no_time(tmp_path, cell):
    """A number typed into 提交答卷时间 was read as the year -1 (or 0) and the test flag's
    detail could not be written (ValueError, NotImplementedError): it is an unreadable time."""
    header, body = rows(EX / FILES[1])
    col = header.index("提交答卷时间")
    for r in body[:20]:
        r[col] = cell
    path = workbook(tmp_path / "times.xlsx", header, body[:20])
    res = load_survey(path, mapping="wenjuanxing-county", wave=2022, county=COUNTY, salt=SALT)
    check_invariant(res)
    assert len(res.data) == 20
    assert not res.flags["detail"].str.startswith("submitted").any()
    assert wjx.parse_times(["-1", "0", "2022/11/14 19:03:05"]).astype(str).tolist() == [
        "NaT",
        "NaT",
        "2022-11-14T19:03:05",
    ]
