"""Row-level rejects and whole-file errors, one generated bad input each (``bad_inputs``).

Expected values: the edit each generator makes to the known example rows (its docstring names
the row, column and value), and the codebook's rules (min/max, categories, missing codes,
required). Every result also satisfies rows_in == accepted + rejected.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bad_inputs
from test_io import check_invariant

from shuangjian_eval import codebook, examples, synth
from shuangjian_eval.inputs.io import load_survey
from shuangjian_eval.inputs.validate import (
    REJECT_COLUMNS,
    RULES,
    IngestError,
    IngestResult,
    check_value,
    validate,
)


def rejects_of(res: IngestResult, frame: str = "rejects") -> set[tuple[int, str | None, str]]:
    """(row, column, rule) of the rejected rows, or of the answers set missing (``issues``)."""
    return {
        (int(r.source_row), None if pd.isna(r.column) else r.column, r.rule)
        for r in getattr(res, frame).itertuples()
    }


# ------------------------------------------------------------------------------------------
# row-level rules


def test_bad_values_each_rule_column_and_line(tmp_path):
    """A bad key (grade, weight) rejects the row; a bad answer to one question is set missing
    with its reason, and the respondent's other answers are kept."""
    res = load_survey(bad_inputs.bad_values(tmp_path))
    check_invariant(res)
    assert rejects_of(res) == {
        (6, "grade", "out of range"),  # 13 > max 12
        (8, "weight", "out of range"),  # 0: weight must be > 0
        (10, "grade", "not an integer"),  # 3.5
    }
    assert rejects_of(res, "issues") == {
        (3, "homework_min_weekday", "not a number"),  # 'abc'
        (4, "homework_min_weekday", "not a number"),  # '12岁'
        (5, "homework_min_weekday", "not a number"),  # 'N/A': not a declared missing code
        (7, "tutoring_spend_year", "out of range"),  # -500 < min 0
        (9, "sleep_hours", "out of range"),  # 25 > max 14
        (11, "gender", "unknown answer"),  # 'x'
        (12, "tutoring_subject", "unknown answer"),  # 'maybe'
    }
    assert res.log["rows_in"] == 12 and res.log["accepted"] == 9
    assert list(res.data.index) == [2, 3, 4, 5, 7, 9, 11, 12, 13]
    assert res.log["cells_set_missing"] == {
        "homework_min_weekday": 3,
        "tutoring_spend_year": 1,
        "sleep_hours": 1,
        "gender": 1,
        "tutoring_subject": 1,
    }
    # the other answers of a row with one bad answer are kept
    truth = bad_inputs.canonical_rows()
    assert res.data.loc[3, "sleep_hours"] == float(truth.loc[1, "sleep_hours"])
    by_row = res.issues.set_index("source_row")
    assert by_row.loc[4, "value"] == "12岁"  # the original text
    assert res.rejects.set_index("source_row").loc[6, "message"] == (
        "13 is above the maximum 12 for grade"
    )
    assert by_row.loc[7, "message"] == "-500 is below the minimum 0 for tutoring_spend_year"
    assert res.rejects.set_index("source_row").loc[8, "message"] == "0 must be above 0 for weight"
    assert "known answers: female, 女, male, 男" in by_row.loc[11, "message"]
    assert (res.rejects["variable"] == res.rejects["column"]).all()  # canonical file
    assert "Answers set missing (unreadable, row kept): 7" in res.summary()


def test_declared_missing_text_is_na(tmp_path):
    """'N/A' is missing when the profile declares it (and a reject when it does not)."""
    path = bad_inputs.bad_values(tmp_path)
    columns = {c: c for c in bad_inputs.canonical_rows().columns}
    res = load_survey(path, mapping={"name": "na", "columns": columns, "missing": ["N/A"]})
    check_invariant(res)
    assert 5 in res.data.index and pd.isna(res.data.loc[5, "homework_min_weekday"])


def test_reject_frame_columns_and_dtypes(tmp_path):
    res = load_survey(bad_inputs.bad_values(tmp_path))
    assert list(res.rejects.columns) == REJECT_COLUMNS
    assert res.rejects["source_row"].dtype == "int64"
    assert set(res.rejects["rule"]) <= set(RULES)


def test_totals_row(tmp_path):
    res = load_survey(bad_inputs.totals_row(tmp_path))
    check_invariant(res)
    assert rejects_of(res) == {(14, "respondent_id", "totals row")}
    assert res.log["rows_in"] == 13 and res.log["accepted"] == 12
    assert res.rejects["value"].iloc[0] == "合计"


def test_excel_dates_in_numeric_column(tmp_path):
    res = load_survey(bad_inputs.excel_dates(tmp_path))
    check_invariant(res)
    assert rejects_of(res, "issues") == {
        (3, "homework_min_weekday", "Excel date"),
        (5, "homework_min_weekday", "Excel date"),
    }
    assert res.issues["value"].tolist() == ["2022-03-03 00:00:00", "2022-03-05 00:00:00"]


def test_unknown_answer_texts_in_wenjuanxing(tmp_path):
    res = load_survey(bad_inputs.unknown_answers(tmp_path), mapping="wenjuanxing-parent", salt="s")
    check_invariant(res)
    assert rejects_of(res) == {(6, "3、您的孩子现在读几年级？", "unknown answer")}  # a key
    assert rejects_of(res, "issues") == {(9, "18(担心孩子成绩落后)", "unknown answer")}
    msg = res.issues.set_index("source_row").loc[9, "message"]
    assert msg == (
        "'有点焦虑' is not a known answer for anxiety_1; known answers: "
        "完全不焦虑, 不太焦虑, 一般, 比较焦虑, 非常焦虑"
    )
    assert res.rejects["variable"].tolist() == ["grade"]
    assert res.issues["variable"].tolist() == ["anxiety_1"]


def test_truncated_csv_last_line_rejected(tmp_path):
    res = load_survey(bad_inputs.truncated_csv(tmp_path))
    check_invariant(res)
    assert rejects_of(res) == {(13, None, "malformed row")}
    assert "the header has 32 (truncated line)" in res.rejects["message"].iloc[0]
    assert any(
        "does not end with a line break: its last line (13)" in w for w in res.log["warnings"]
    )


def test_truncated_gbk_inside_a_character(tmp_path):
    res = load_survey(bad_inputs.truncated_gbk(tmp_path))
    check_invariant(res)
    assert res.log["encoding"] == "gb18030"
    assert rejects_of(res) == {(13, None, "malformed row")}
    assert "ends in the middle of this row" in res.rejects["message"].iloc[0]
    assert any("middle of a character" in w for w in res.log["warnings"])


def test_extra_delimiter(tmp_path):
    res = load_survey(bad_inputs.extra_delimiter(tmp_path))
    check_invariant(res)
    assert rejects_of(res) == {(5, None, "malformed row")}
    assert "has 33 fields but the header has 32 (extra delimiters)" in res.rejects["message"][0]


def test_gbk_malformed_row_keeps_its_text(tmp_path):
    """A malformed row in a GBK file: reported with its line and decoded text."""
    res = load_survey(bad_inputs.gbk_extra_delimiter(tmp_path))
    check_invariant(res)
    assert res.log["encoding"] == "gb18030"
    assert rejects_of(res) == {(6, None, "malformed row")}
    assert "样本县" in res.rejects["value"].iloc[0]


def test_all_missing_optional_column_is_a_warning(tmp_path):
    res = load_survey(bad_inputs.all_missing_optional(tmp_path))
    check_invariant(res)
    assert (
        "column 'tutoring_hidden' (mapped to tutoring_hidden) is all missing" in res.log["warnings"]
    )
    assert res.data["tutoring_hidden"].isna().all() and res.log["rejected"] == 0


def test_blank_lines_are_skipped_not_counted(tmp_path):
    path = bad_inputs.extra_delimiter(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3] + ["\n", "   \n"] + lines[3:]), encoding="utf-8")
    res = load_survey(path)
    check_invariant(res)
    assert res.log["blank_rows_skipped"] == 2
    assert rejects_of(res) == {(7, None, "malformed row")}  # moved down by the two blank lines
    assert res.log["rows_in"] == 12


# ------------------------------------------------------------------------------------------
# whole-file errors: one IngestError naming the file, the problem and the fix


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (
            bad_inputs.unknown_encoding,
            {},
            r"latin1\.csv: unknown encoding: .* on line 2\)\. Save it as CSV UTF-8",
        ),
        (
            bad_inputs.mixed_encoding,
            {},
            r"mixed encodings: .*first UTF-8 line with Chinese text is line 2, the first line that is not UTF-8 is line 8",
        ),
        (
            bad_inputs.gbk_with_latin1_byte,
            {},
            r"gbk_latin1\.csv: unknown encoding: .* on line 9\)",
        ),
        (bad_inputs.empty_file, {}, r"empty\.csv: the file is empty \(0 bytes\)"),
        (bad_inputs.header_only, {}, r"header_only\.csv: the file has a header but no data rows"),
        (
            bad_inputs.missing_required,
            {},
            r"missing required column school_id \(expected a column 'school_id'; close matches in the file: 'school'\)",
        ),
        (
            bad_inputs.all_missing_required,
            {},
            r"column 'county' \(mapped to county\) is required but every value is missing",
        ),
        (
            bad_inputs.duplicate_columns,
            {},
            r"duplicate column names after mapping: 'grade', 'Grade' all map to grade",
        ),
        (bad_inputs.no_weights, {}, r"no sampling weights .*'unweighted: true'"),
        (
            bad_inputs.duplicate_ids,
            {},
            r"duplicate respondents within a wave .*in wave 2020 on rows 4, 7",
        ),
        (bad_inputs.wrong_sheet, {"sheet": "Sheet1"}, r"no sheet 'Sheet1'"),
        (bad_inputs.merged_header, {}, r"header spans two rows"),
        (bad_inputs.html_as_xlsx, {}, r"really an HTML page"),
        (bad_inputs.encrypted_xlsx, {}, r"password-protected"),
        (bad_inputs.truncated_xlsx, {}, r"damaged or truncated zip"),
        (bad_inputs.truncated_dta, {}, r"truncated\.dta: the Stata \.dta file is truncated"),
        (bad_inputs.truncated_sav, {}, r"the SPSS \.sav file is damaged or truncated"),
        (bad_inputs.truncated_parquet, {}, r"the Parquet file is damaged"),
    ],
)
def test_whole_file_errors(tmp_path, make, kwargs, message):
    path = make(tmp_path)
    with pytest.raises(IngestError, match=message) as info:
        load_survey(path, **kwargs)
    assert str(info.value).startswith(str(path))  # names the file
    assert isinstance(info.value, ValueError)


def test_duplicate_ids_names_rows_of_the_example(tmp_path):
    """The id in the message is the one the generator copied (data row 2 -> line 4)."""
    rows = bad_inputs.canonical_rows()
    with pytest.raises(IngestError) as info:
        load_survey(bad_inputs.duplicate_ids(tmp_path))
    assert f"respondent {rows.loc[2, 'respondent_id']} in wave 2020 on rows 4, 7" in str(info.value)


def test_unweighted_profile_logs_weight_one():
    res = load_survey(
        bad_inputs.EXAMPLES / "wenjuanxing-parent.xlsx", mapping="wenjuanxing-parent", salt="s"
    )
    assert (res.data["weight"] == 1.0).all()
    assert res.log["columns_mapped"]["weight"] == "(unweighted)"


# ------------------------------------------------------------------------------------------
# validate() on a DataFrame, and single values


def test_validate_synthetic_frame_accepts_all_rows():
    """synth.generate returns canonical data: validate accepts every row, dtypes unchanged."""
    df = synth.generate(n_schools=8, students_per_school=10, n_counties=2, waves=(2020, 2022))
    res = validate(df)
    check_invariant(res)
    assert res.log["rejected"] == 0 and len(res.data) == len(df)
    want = codebook.cast(df[list(res.data.columns)].reset_index(drop=True))
    got = res.data.reset_index(drop=True)
    for col in got.columns:
        a, b = got[col], want[col]
        if isinstance(b.dtype, pd.CategoricalDtype):
            assert a.dtype == "category" and a.astype(object).equals(b.astype(object)), col
        else:
            pd.testing.assert_series_equal(a, b, obj=col)


def test_validate_recomputes_derived_columns():
    df = examples.example_truth("canonical-utf8.csv")
    df["stage"] = "senior"  # wrong on purpose: derived columns follow the rules
    res = validate(df)
    assert res.log["derived_columns_recomputed"][0] == "stage"
    pd.testing.assert_series_equal(
        res.data["stage"].reset_index(drop=True),
        examples.example_truth("canonical-utf8.csv")["stage"],
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("wave", 2022, 2022),
        ("gender", "女", "female"),
        ("urban", "农村", False),
        ("parent_education", "大专/本科", "college"),
        ("tutoring_subject", "是", True),
    ],
)
def test_check_value(variable, value, expected):
    assert check_value(variable, value) == expected


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("grade", 13, "13 is above the maximum 12 for grade"),
        ("weight", 0, "0 must be above 0 for weight"),
        ("grade", -9, "missing-value code"),
        ("stage", "junior", "derived"),
    ],
)
def test_check_value_rejects(variable, value, message):
    with pytest.raises(ValueError, match=message):
        check_value(variable, value)


def test_all_rejected_still_balances(tmp_path):
    """Every row bad: data is empty with canonical columns, and the counts still balance."""
    df = bad_inputs.canonical_rows()
    df["grade"] = "99x"
    path = tmp_path / "all_bad.csv"
    df.to_csv(path, index=False)
    res = load_survey(path)
    check_invariant(res)
    assert res.log["accepted"] == 0 and len(res.data.columns) > 0
    assert np.array_equal(res.rejects["source_row"].to_numpy(), np.arange(2, 14))
