"""Readers and mapping profiles on the example files.

Expected values: the known content of the synthetic example files in ``data/examples``
(``shuangjian_eval.inputs.examples.example_truth``: the synthetic rows each file was written from, with
the rounding and income banding the questionnaire imposes), the answer texts written into them,
and the codebook's rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bad_inputs

from shuangjian_eval import codebook, examples
from shuangjian_eval.inputs.io import IngestError, list_profiles, load_mapping, load_survey
from shuangjian_eval.inputs.io.mapping import normalise_header

EX = bad_inputs.EXAMPLES
SALT = "test-salt"


def check_invariant(res) -> None:
    """rows_in == accepted + rejected (distinct rejected rows), in the log and the frames."""
    log = res.log
    assert log["rows_in"] == log["accepted"] + log["rejected"]
    assert log["accepted"] == len(res.data)
    assert log["rejected"] == res.rejects["source_row"].nunique()
    assert not set(res.data.index) & set(res.rejects["source_row"])
    # every answer set missing belongs to an accepted row, and its cell is missing
    assert set(res.issues["source_row"]) <= set(res.data.index)
    for r in res.issues.itertuples():
        assert pd.isna(res.data.loc[r.source_row, r.variable]), r
    assert log.get("cells_set_missing", {}) == res.issues["variable"].value_counts().to_dict()
    # the data have the codebook's columns in their canonical dtypes, indexed by source_row
    assert set(res.data.columns) <= set(codebook.load().names)
    canonical = codebook.cast(res.data.head(0)).dtypes.astype(str)
    assert res.data.dtypes.astype(str).to_dict() == canonical.to_dict()
    assert res.data.index.name == "source_row" and res.data.index.dtype == "int64"


def assert_same_data(got: pd.DataFrame, truth: pd.DataFrame) -> None:
    """Values and dtypes equal; categories compared by value (their order is not data)."""
    got = got.reset_index(drop=True)
    assert list(got.columns) == list(truth.columns)
    assert got.dtypes.astype(str).to_dict() == truth.dtypes.astype(str).to_dict()
    for col in truth.columns:
        a, b = got[col], truth[col]
        if isinstance(b.dtype, pd.CategoricalDtype) and not b.dtype.ordered:
            a, b = a.astype(object), b.astype(object)
        pd.testing.assert_series_equal(a, b, check_names=False, obj=col)


def xlsx_rows(path: Path) -> tuple[list[str], list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    return list(rows[0]), rows[1:]


# ------------------------------------------------------------------------------------------
# the example files, one per reader


def test_wenjuanxing_xlsx_round_trip():
    res = load_survey(EX / "wenjuanxing-parent.xlsx", mapping="wenjuanxing-parent", salt=SALT)
    check_invariant(res)
    truth = examples.example_truth("wenjuanxing-parent.xlsx", salt=SALT)
    assert res.log["rows_in"] == len(truth)  # the wave-2022 rows of the synthetic source
    assert res.log["rejected"] == 0
    assert_same_data(res.data, truth)
    # Excel row numbers: header on row 1, first respondent on row 2
    assert res.data.index[0] == 2 and res.data.index[-1] == len(truth) + 1
    assert res.log["format"] == "xlsx" and res.log["sheet"] == "Sheet1"
    assert res.log["constants"] == {"wave": 2022}
    assert any("unweighted: true" in w for w in res.log["warnings"])
    # question text with a full-width "？" in the file matched the profile's "?"
    assert res.log["columns_mapped"]["grade"] == "3、您的孩子现在读几年级？"


def test_wenjuanxing_answer_texts_map_to_codes():
    """Answer texts written into the workbook -> codes in the profile (and the codebook)."""
    res = load_survey(EX / "wenjuanxing-parent.xlsx", mapping="wenjuanxing-parent", salt=SALT)
    header, rows = xlsx_rows(EX / "wenjuanxing-parent.xlsx")
    cells = pd.DataFrame(rows, columns=header, index=range(2, len(rows) + 2))
    checks = {
        "3、您的孩子现在读几年级？": ("grade", {"一年级": 1, "初一": 7, "高三": 12}),
        "5、您家庭去年的总收入大约是:": ("household_income", {"5-10万元": 75000.0}),
        "18(担心孩子成绩落后)": ("anxiety_1", {"非常焦虑": 5, "完全不焦虑": 1}),
        "16、本学期孩子是否参加了学校的课后服务?": ("afterschool_participation", {"是": True}),
        "4、孩子的性别:": ("gender", {"女": "female", "男": "male"}),
        "6、孩子父母中的最高学历:": ("parent_education", {"大专/本科": "college"}),
    }
    for question, (var, answers) in checks.items():
        for text, code in answers.items():
            rows_with = cells.index[cells[question] == text]
            assert len(rows_with), (question, text)
            assert (res.data.loc[rows_with, var] == code).all(), (var, text)
    skipped = cells.index[cells["17、您对学校课后服务的满意程度："] == "(跳过)"]
    assert len(skipped) and res.data.loc[skipped, "afterschool_satisfaction"].isna().all()
    unknown = cells.index[
        cells["7、上学日孩子平均每天完成书面作业大约需要多少分钟?"].isin(
            ["不知道", "说不清", "(空)"]
        )
    ]
    assert len(unknown) and res.data.loc[unknown, "homework_min_weekday"].isna().all()


def test_cfps_dta_round_trip_with_value_labels():
    res = load_survey(EX / "cfps-extract.dta", mapping="cfps-extract")
    check_invariant(res)
    truth = examples.example_truth("cfps-extract.dta")
    assert res.log["rejected"] == 0 and res.log["rows_in"] == len(truth)
    assert_same_data(res.data, truth)
    assert res.data.index[0] == 1  # 1-based record numbers
    raw, meta = pyreadstat.read_dta(str(EX / "cfps-extract.dta"))
    raw.index = range(1, len(raw) + 1)
    # yes = 1, no = 5 (CFPS) -> true/false
    assert (res.data.loc[raw.index[raw["wf801"] == 5], "tutoring_subject"] == False).all()  # noqa: E712
    assert (res.data.loc[raw.index[raw["wf801"] == 1], "tutoring_subject"] == True).all()  # noqa: E712
    # education codes 5 (大专) and 6 (本科) both -> college
    for code in (5, 6):
        assert (
            res.data.loc[raw.index[raw["edu_parent"] == code], "parent_education"] == "college"
        ).all()
    # negative CFPS missing codes -> NA
    assert res.data.loc[raw.index[raw["wf601"] == -8], "grade"].isna().all()
    assert res.data.loc[raw.index[raw["wf701"] == -1], "homework_min_weekday"].isna().all()
    # province and county come from the value labels of provcd and countyid
    assert set(res.data["province"].astype(str)) == set(
        meta.variable_value_labels["provcd"].values()
    )
    assert set(res.data["county"].astype(str)) <= set(
        meta.variable_value_labels["countyid"].values()
    )


def test_dta_labels_and_variable_labels_can_be_mapped():
    """A profile may name a Stata variable by its label and map answers by value label."""
    mapping = {
        "name": "by-label",
        "columns": {
            "respondent_id": "个人样本编码",
            "wave": "调查年份",
            "county": "区县顺序码",
            "school_id": "学校代码",
            "weight": "全国再抽样横截面权数",
            "grade": "目前就读年级",
            "tutoring_subject": "是否参加学科类课外辅导",
        },
        "values": {"tutoring_subject": {"是": True, "否": False}},
        "missing": ["不适用", "缺失", "不知道"],
    }
    res = load_survey(EX / "cfps-extract.dta", mapping=mapping)
    check_invariant(res)
    truth = examples.example_truth("cfps-extract.dta")
    assert res.data["tutoring_subject"].reset_index(drop=True).equals(truth["tutoring_subject"])
    assert res.data["grade"].reset_index(drop=True).equals(truth["grade"])


def test_sav_round_trip_labels_to_categories():
    res = load_survey(EX / "canonical-labelled.sav")
    check_invariant(res)
    truth = examples.example_truth("canonical-labelled.sav")
    assert res.log["rejected"] == 0 and res.log["rows_in"] == len(truth)
    assert_same_data(res.data, truth)
    raw, meta = pyreadstat.read_sav(str(EX / "canonical-labelled.sav"), user_missing=True)
    assert meta.variable_value_labels["gender"] == {1.0: "女", 2.0: "男"}
    assert (raw["policy_satisfaction"] == -9).any()  # user-missing -9 -> NA
    assert res.data["policy_satisfaction"].isna().sum() == (raw["policy_satisfaction"] == -9).sum()


def test_parquet_round_trip():
    res = load_survey(EX / "canonical.parquet")
    check_invariant(res)
    assert_same_data(res.data, examples.example_truth("canonical.parquet"))
    assert res.log["derived_columns_recomputed"] == [
        "stage",
        "homework_within_limit",
        "sleep_meets_standard",
        "tutoring_spend_share",
        "parent_anxiety",
    ]


@pytest.fixture(scope="module")
def csv_variants(tmp_path_factory) -> dict[str, Path]:
    """The UTF-8 and GBK examples, plus UTF-8 with BOM and GB18030 (a county name with
    𠮷, which GBK cannot encode)."""
    folder = tmp_path_factory.mktemp("encodings")
    text = (EX / "canonical-utf8.csv").read_text(encoding="utf-8")
    (folder / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gbk = (EX / "canonical-gbk.csv").read_bytes().decode("gbk").replace("样本县001", "样本县𠮷")
    (folder / "gb18030.csv").write_bytes(gbk.encode("gb18030"))
    return {
        "utf-8": EX / "canonical-utf8.csv",
        "utf-8-sig": folder / "bom.csv",
        "gbk": EX / "canonical-gbk.csv",
        "gb18030": folder / "gb18030.csv",
    }


@pytest.mark.parametrize(
    ("variant", "encoding", "example"),
    [
        ("utf-8", "utf-8", "canonical-utf8.csv"),
        ("utf-8-sig", "utf-8-sig", "canonical-utf8.csv"),
        ("gbk", "gb18030", "canonical-gbk.csv"),  # GB18030 decodes GBK (superset)
        ("gb18030", "gb18030", "canonical-gbk.csv"),
    ],
)
def test_csv_encodings_detected(csv_variants, variant, encoding, example):
    path = csv_variants[variant]
    if variant == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("gbk")
    res = load_survey(path)
    check_invariant(res)
    assert res.log["encoding"] == encoding
    truth = examples.example_truth(example)
    if variant == "gb18030":
        for col in ("county", "stratum"):  # the stratum name contains the county's
            truth[col] = truth[col].astype(str).str.replace("样本县001", "样本县𠮷")
        truth = codebook.cast(truth)
    assert_same_data(res.data, truth)
    assert res.data.index[0] == 2  # header is line 1


def test_gbk_example_uses_chinese_labels():
    """The GBK example writes 女/男, 是/否 and 城镇/农村; the codebook's zh labels map them."""
    raw = pd.read_csv(EX / "canonical-gbk.csv", encoding="gbk", dtype=str)
    assert set(raw["gender"].dropna()) == {"女", "男"}
    assert set(raw["urban"].dropna()) == {"城镇", "农村"}
    res = load_survey(EX / "canonical-gbk.csv")
    assert set(res.data["gender"].dropna()) == {"female", "male"}
    assert res.data["urban"].dtype == "boolean"


# ------------------------------------------------------------------------------------------
# file type and container problems


def test_html_named_xlsx(tmp_path):
    with pytest.raises(IngestError, match=r"export\.xlsx: the file is really an HTML page"):
        load_survey(bad_inputs.html_as_xlsx(tmp_path))


def test_csv_named_xlsx(tmp_path):
    with pytest.raises(IngestError, match=r"named \.xlsx but is really a CSV text file"):
        load_survey(bad_inputs.csv_as_xlsx(tmp_path))


def test_encrypted_xlsx(tmp_path):
    with pytest.raises(IngestError, match=r"password-protected \(encrypted"):
        load_survey(bad_inputs.encrypted_xlsx(tmp_path), mapping="wenjuanxing-parent")


def test_real_encrypted_xlsx(tmp_path):
    """A workbook encrypted by msoffcrypto-tool (Excel's own format), when it is installed."""
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = EX / "wenjuanxing-parent.xlsx"
    out = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, out.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert msoffcrypto is not None
    with pytest.raises(IngestError, match="password-protected"):
        load_survey(out, mapping="wenjuanxing-parent")


def test_damaged_legacy_xls(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(bad_inputs._compound_file({"Workbook": bytes(4096)}))
    with pytest.raises(IngestError, match=r"\.xls workbook is damaged"):
        load_survey(path)


def test_ole_file_without_workbook(tmp_path):
    path = tmp_path / "letter.xls"
    path.write_bytes(bad_inputs._compound_file({"WordDocument": bytes(4096)}))
    with pytest.raises(IngestError, match="without an Excel workbook"):
        load_survey(path)


def test_truncated_xlsx(tmp_path):
    with pytest.raises(IngestError, match="damaged or truncated zip container"):
        load_survey(bad_inputs.truncated_xlsx(tmp_path), mapping="wenjuanxing-parent")


def test_wrong_sheet_lists_sheets(tmp_path):
    path = bad_inputs.wrong_sheet(tmp_path)
    with pytest.raises(
        IngestError, match=r"no sheet 'Sheet1'; the workbook has the sheets '数据', '说明'"
    ):
        load_survey(path, sheet="Sheet1")
    res = load_survey(path, sheet="数据")
    check_invariant(res)
    assert res.log["sheet"] == "数据" and res.log["accepted"] == bad_inputs.N_ROWS


def test_formula_cells_read_as_cached_values(tmp_path):
    res = load_survey(bad_inputs.formula_cells(tmp_path))
    check_invariant(res)
    assert res.data.loc[2, "weight"] == 123.5  # the cached value of =100+23.5 on Excel row 2


def test_formula_without_cached_value_is_a_warning(tmp_path):
    """Formula cells saved without a value read as blank, and the log says so."""
    res = load_survey(bad_inputs.formula_without_value(tmp_path))
    check_invariant(res)
    assert any(w.startswith("1 formula cells have no saved value") for w in res.log["warnings"])
    assert res.rejects.set_index("source_row").loc[2, "rule"] == "missing required value"


def test_merged_header_error_and_header_rows_2(tmp_path):
    path = bad_inputs.merged_header(tmp_path)
    with pytest.raises(IngestError, match=r"header spans two rows.*'header_rows: 2'"):
        load_survey(path, mapping={**bad_inputs.MERGED_HEADER_MAPPING, "header_rows": 1})
    res = load_survey(path, mapping=bad_inputs.MERGED_HEADER_MAPPING)
    check_invariant(res)
    rows = bad_inputs.canonical_rows()
    assert list(res.data.index) == list(range(3, 3 + len(rows)))  # data start on Excel row 3
    expected = pd.to_numeric(rows["homework_min_weekend"]).to_numpy()
    np.testing.assert_allclose(res.data["homework_min_weekend"].to_numpy(), expected)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_survey(tmp_path / "nope.csv")
    with pytest.raises(IngestError, match="is a directory"):
        load_survey(tmp_path)


def test_profile_for_another_format(tmp_path):
    with pytest.raises(
        IngestError, match=r"profile 'cfps-extract' is for dta files, but this is a xlsx"
    ):
        load_survey(EX / "wenjuanxing-parent.xlsx", mapping="cfps-extract")


# ------------------------------------------------------------------------------------------
# mapping profiles


def test_bundled_profiles():
    assert {"wenjuanxing-parent", "cfps-extract"} <= set(list_profiles())
    wjx = load_mapping("wenjuanxing-parent")
    assert wjx.unweighted and wjx.respondent_id_from == "联系电话"
    # income bands at their midpoints (stated in the profile)
    assert wjx.values["household_income"]["5-10万元"] == 75000.0
    assert wjx.values["grade"]["高三"] == 12


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"columns": {"grade_level": "年级"}}, r"'grade_level' is not a codebook variable"),
        ({"columns": {"stage": "学段"}}, r"stage is derived"),
        (
            {"values": {"grade": {"高四": 13}}},
            r"answer '高四' -> 13: grade: 13 is above the maximum 12",
        ),
        ({"values": {"gender": {"女": "woman"}}}, r"'woman' is not a known answer for gender"),
        ({"values": {"tutoring_subject": {True: True}}}, r"quote the answer True"),
        ({"header_rows": 3}, r"header_rows must be 1 or 2"),
        ({"colums": {}}, r"unknown keys \['colums'\]"),
        ({"constants": {"wave": 1999}}, r"constants: wave: 1999 is below the minimum 2000"),
    ],
)
def test_invalid_profiles(profile, message):
    with pytest.raises(IngestError, match=message):
        load_mapping(profile)


def test_unknown_profile_name():
    with pytest.raises(IngestError, match=r"neither a bundled mapping profile.*wenjuanxing-parent"):
        load_mapping("wenjuanxing")


def test_profile_from_yaml_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\ncolumns: {grade: 年级}\nunweighted: true\n", encoding="utf-8")
    assert load_mapping(path).columns == {"grade": ("年级",)}


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("3、您的孩子现在读几年级？", "您的孩子现在读几年级"),
        ("3、您的孩子现在读几年级?", "您的孩子现在读几年级"),
        ("Q12. Weekday homework (min)", "weekdayhomeworkmin"),
        ("第5题：孩子的性别", "孩子的性别"),
        ("18(担心孩子成绩落后)", "担心孩子成绩落后"),
        ("１７、满意程度：", "满意程度"),
    ],
)
def test_normalise_header(header, normal):
    assert normalise_header(header) == normal


def test_constants_argument_sets_the_wave():
    res = load_survey(
        EX / "wenjuanxing-parent.xlsx",
        mapping="wenjuanxing-parent",
        salt=SALT,
        constants={"wave": 2024},
    )
    assert set(res.data["wave"]) == {2024} and res.log["constants"] == {"wave": 2024}


def test_constant_clashing_with_a_column():
    with pytest.raises(
        IngestError, match=r"duplicate column names after mapping: wave comes from column 'wave'"
    ):
        load_survey(EX / "canonical-utf8.csv", constants={"wave": 2020})


# ------------------------------------------------------------------------------------------
# the example files are made by code, deterministically


def test_examples_are_deterministic(tmp_path, generated_examples):
    first = list(generated_examples.values())
    second = examples.make_examples(tmp_path / "b", seed=0)
    for a, b in zip(first, second, strict=True):
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest(), (
            a.name
        )


def test_committed_examples_match_the_generator(generated_examples):
    """data/examples holds what make_examples writes (content compared, so that a library
    upgrade that changes container bytes does not fail the test)."""
    fresh = generated_examples
    for name, profile in examples.EXAMPLE_FILES.items():
        kwargs = {"salt": SALT} if profile == "wenjuanxing-parent" else {}
        if profile == "wenjuanxing-county":
            kwargs = {"salt": SALT, "county": examples.COUNTY, "wave": 2022}
        got = load_survey(EX / name, mapping=profile, **kwargs).data
        want = load_survey(fresh[name], mapping=profile, **kwargs).data
        pd.testing.assert_frame_equal(got, want, obj=name)
    assert (EX / "canonical-utf8.csv").read_bytes() == fresh["canonical-utf8.csv"].read_bytes()
    assert xlsx_rows(EX / "wenjuanxing-parent.xlsx") == xlsx_rows(fresh["wenjuanxing-parent.xlsx"])


# ------------------------------------------------------------------------------------------
# defects found by fuzzing the readers (tests/test_fuzz_readers.py)


def _canonical_csv(tmp_path: Path, name: str, change=None, eol: str = "\n") -> Path:
    """The first rows of the canonical example as CSV, after ``change(DataFrame)``."""
    df = bad_inputs.canonical_rows()
    if change is not None:
        df = change(df)
    path = tmp_path / name
    path.write_bytes(df.to_csv(index=False, lineterminator=eol).encode("utf-8"))
    return path


def test_csv_with_cr_line_endings(tmp_path):
    """Lone CR line breaks (Excel for Mac's "CSV (Macintosh)") split lines as for pyarrow:
    they were read as a header without data rows."""
    res = load_survey(_canonical_csv(tmp_path, "mac.csv", eol="\r"))
    check_invariant(res)
    assert res.log["accepted"] == bad_inputs.N_ROWS
    assert list(res.data.index) == list(range(2, 2 + bad_inputs.N_ROWS))
    plain = load_survey(_canonical_csv(tmp_path, "unix.csv"))
    pd.testing.assert_frame_equal(res.data, plain.data)


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\x0c", "\x1e"])
def test_csv_header_cell_with_unicode_line_separator(tmp_path, separator):
    """U+2028, NEL and other characters that str.splitlines breaks on are text in a CSV header
    cell: the header was cut there and read as a merged two-row header."""

    def rename(df):
        return df.rename(columns={"province": f"province{separator}省"})

    res = load_survey(_canonical_csv(tmp_path, "sep.csv", rename))
    check_invariant(res)
    assert res.log["accepted"] == bad_inputs.N_ROWS
    assert res.log["unmapped_columns"] == [f"province{separator}省"]


def test_csv_header_longer_than_the_sniffed_head(tmp_path):
    """A header line of more than 256 KiB was reported as an empty file."""

    def long_header(df):
        return df.rename(columns={"province": "省" * 100_000})

    res = load_survey(_canonical_csv(tmp_path, "long_header.csv", long_header))
    check_invariant(res)
    assert res.log["accepted"] == bad_inputs.N_ROWS


def test_csv_header_cell_beyond_the_csv_field_limit(tmp_path):
    """A header cell of more than 131,072 characters (the csv module's limit) raised _csv.Error."""

    def long_header(df):
        return df.rename(columns={"province": "x" * 150_000})

    path = _canonical_csv(tmp_path, "huge_header.csv", long_header)
    with pytest.raises(
        IngestError, match=r"huge_header\.csv: the header row on line 1 cannot be read"
    ):
        load_survey(path)


def test_malformed_row_with_a_cell_beyond_the_csv_field_limit(tmp_path):
    """A truncated row holding a cell of more than 131,072 characters raised _csv.Error; it is
    a malformed row like any other."""
    path = _canonical_csv(tmp_path, "huge_cell.csv")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].split(",")[0] + "," + "x" * 150_000 + "\n"  # line 5: 2 fields
    path.write_text("".join(lines), encoding="utf-8")
    res = load_survey(path)
    check_invariant(res)
    bad = res.rejects[res.rejects["rule"] == "malformed row"]
    assert list(bad["source_row"]) == [5]
    assert "the row has 2 fields but the header has" in bad["message"].iloc[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_blank_first_row_is_named(tmp_path, suffix):
    """A blank row above the header was read as a blank header ("missing required columns",
    with a hint about two-row headers)."""
    df = bad_inputs.canonical_rows()
    path = tmp_path / f"blank_first{suffix}"
    if suffix == ".csv":
        path.write_text("\n" + df.to_csv(index=False), encoding="utf-8")
    else:
        wb = openpyxl.Workbook()
        wb.active.append([None] * len(df.columns))
        wb.active.append(list(df.columns))
        for r in df.itertuples(index=False):
            wb.active.append(list(r))
        wb.save(path)
    with pytest.raises(IngestError, match=r"blank_first\.\w+: the first row is blank"):
        load_survey(path)


def test_long_unreadable_answer_is_masked_in_linear_time(tmp_path):
    """A 100,000-character answer shown in the issues went through an e-mail pattern that
    retried from every character (quadratic: about ten seconds per pass, several passes)."""
    import time

    from shuangjian_eval.inputs import identifiers

    def long_answer(df):
        df.loc[3, "homework_min_weekday"] = "9" * 99_999 + "x"
        return df

    start = time.perf_counter()
    res = load_survey(_canonical_csv(tmp_path, "long_answer.csv", long_answer))
    assert time.perf_counter() - start < 5
    check_invariant(res)
    assert list(res.issues["source_row"]) == [5]
    assert res.issues["rule"].iloc[0] == "not a number"
    start = time.perf_counter()
    masked = identifiers.mask_identifiers(pd.Series(["a." * 50_000 + " 联系 z.l@example.cn"]))
    assert time.perf_counter() - start < 1
    assert masked.iloc[0].endswith(" 联系 ***")


# ------------------------------------------------------------------------------------------
# the xlsx cells: calamine (read_xlsx) gives what openpyxl gives


def _typed_cells_workbook(path: Path, error: bool) -> Path:
    """A sheet with a cell of every kind an export holds: text, integers and decimals, dates,
    datetimes, times and durations under their number formats, booleans, a formula without a
    cached value, blanks inside and at the ends; with ``error``, an error value (#N/A), which
    calamine cannot read (the workbook is then read with openpyxl)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["text", "number", "when", "flag", "other"])
    rows = [
        ["a", 1, dt.date(2022, 3, 3), True, "#N/A" if error else "x"],
        [" 有空格 ", 2.5, dt.datetime(2022, 11, 14, 9, 30, 5), False, None],
        [None, 1e16, dt.time(7, 45), None, "=1+1"],
        ["", -0.0, dt.timedelta(hours=30, minutes=5), True, 3],
    ]
    for r in rows:
        ws.append(r)
    ws["C2"].number_format = "yyyy-mm-dd"
    ws["C5"].number_format = "[h]:mm:ss"
    ws["E7"] = "after a blank row"
    wb.save(path)
    return path


@pytest.mark.parametrize(
    "name",
    ["typed", "typed-error", "wjx-county-text.xlsx", "wjx-county-numbers.xlsx",
     "wenjuanxing-parent.xlsx"],
)  # fmt: skip
def test_calamine_cells_equal_openpyxl_cells(tmp_path, name):
    from shuangjian_eval.inputs.io import readers

    typed = name.startswith("typed")
    path = _typed_cells_workbook(tmp_path / "t.xlsx", "error" in name) if typed else EX / name
    fast, slow = readers.read_xlsx(path), readers._read_xlsx_openpyxl(path, None, 1)
    assert fast.headers == slow.headers
    assert [c.to_pylist() for c in fast.columns] == [c.to_pylist() for c in slow.columns]
    assert fast.source_row.tolist() == slow.source_row.tolist()
    assert fast.excel_dates.keys() == slow.excel_dates.keys()
    for j, flags in slow.excel_dates.items():
        assert fast.excel_dates[j].tolist() == flags.tolist()
    assert fast.meta == slow.meta and fast.warnings == slow.warnings
