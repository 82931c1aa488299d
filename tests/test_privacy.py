"""Direct identifiers never reach the ingested data or the rejects.

Expected values: the fake names, phone numbers, ID numbers and IP addresses written into the
问卷星 example (``examples.example_identifiers``), the identifier values the bad-input generators
put in, the GB 11643 check digit of resident ID numbers, and RFC 2104 HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bad_inputs
from test_io import check_invariant

from shuangjian_eval import examples, identifiers
from shuangjian_eval.inputs.io import load_survey

WJX = bad_inputs.EXAMPLES / "wenjuanxing-parent.xlsx"


def all_text(res) -> str:
    """Every cell of data, rejects and issues (and the index) as one string."""
    parts = [res.data.astype(str).to_csv(), res.rejects.astype(str).to_csv()]
    parts.append(res.issues.astype(str).to_csv())
    return "\n".join(parts)


def assert_no_identifier(res, identifiers: pd.DataFrame) -> None:
    text = all_text(res)
    for col in identifiers.columns:
        for value in identifiers[col].dropna():
            key = value.split("(")[0]  # an IP without its 问卷星 location suffix
            assert key not in text, (col, value)


# ------------------------------------------------------------------------------------------
# nothing identifying survives ingest


def test_wenjuanxing_identifiers_do_not_survive():
    ident = examples.example_identifiers()
    header, rows = _xlsx(WJX)
    assert [r[header.index("联系电话")] for r in rows] == ident["phone"].tolist()  # precondition
    res = load_survey(WJX, mapping="wenjuanxing-parent", salt="k")
    assert_no_identifier(res, ident)
    assert set(res.log["dropped_identifier_columns"]) == {
        "来自IP",
        "填写人姓名",
        "20、学生身份证号(选填):",
    }
    assert res.log["pseudonymised"] == {"column": "联系电话", "salt_source": "argument"}
    assert "联系电话" not in res.data.columns and "填写人姓名" not in res.data.columns


def test_identifiers_do_not_survive_in_rejects(tmp_path):
    """Rows rejected (and answers set missing) in a 问卷星 file show no names, phones or IDs."""
    res = load_survey(bad_inputs.unknown_answers(tmp_path), mapping="wenjuanxing-parent", salt="k")
    assert res.log["rejected"] == 1 and len(res.issues) == 1
    assert_no_identifier(res, examples.example_identifiers())


def test_identifiers_found_by_their_values(tmp_path):
    res = load_survey(bad_inputs.identifiers_in_values(tmp_path))
    check_invariant(res)
    dropped = res.log["dropped_identifier_columns"]
    assert dropped["备注"].startswith("values: mainland mobile numbers (12 of 12")
    assert dropped["contact"].startswith("values: e-mail addresses (12 of 12")
    # the phone number typed into a numeric column (line 5) is set missing, and masked
    row = res.issues.set_index("source_row").loc[5]
    assert row["rule"] == "out of range" and row["value"] == "***"
    assert "13912345678" not in all_text(res) and "@example.com" not in all_text(res)
    assert not any(f"139{k:08d}" in all_text(res) for k in range(1, 13))


def test_malformed_row_masks_identifier_fields(tmp_path):
    """A malformed row's text is shown without the fields of identifier columns."""
    df = bad_inputs.canonical_rows()
    df.insert(1, "姓名", [f"测试{k}" for k in range(len(df))])
    path = tmp_path / "names.csv"
    df.to_csv(path, index=False)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:-60], encoding="utf-8")  # cut the last line short
    res = load_survey(path)
    check_invariant(res)
    assert res.rejects["rule"].tolist() == ["malformed row"]
    assert "测试11" not in res.rejects["value"].iloc[0] and "***" in res.rejects["value"].iloc[0]
    assert res.log["dropped_identifier_columns"] == {"姓名": "header: name"}


def test_phone_numbers_as_respondent_id_are_pseudonymised(tmp_path):
    res = load_survey(bad_inputs.phone_as_respondent_id(tmp_path), salt="k")
    check_invariant(res)
    phones = pd.Series([f"137{k:08d}" for k in range(bad_inputs.N_ROWS)])
    assert res.data["respondent_id"].tolist() == identifiers.pseudonymise(phones, "k").tolist()
    assert not any(p in all_text(res) for p in phones)
    assert any("replaced by pseudonyms" in w for w in res.log["warnings"])


# ------------------------------------------------------------------------------------------
# pseudonyms and salt


def test_pseudonym_is_hmac_sha256_of_the_normalised_value():
    got = identifiers.pseudonymise(pd.Series(["138 1234-5678", "13812345678", None]), "salt")
    want = hmac.new(b"salt", b"13812345678", hashlib.sha256).hexdigest()[:16]
    assert got.tolist()[:2] == [want, want]
    assert pd.isna(got.iloc[2]) and got.dtype == "string"
    # a phone read from Stata as a float gets the same pseudonym
    assert identifiers.pseudonymise(pd.Series([13812345678.0]), "salt").iloc[0] == want


def test_same_salt_links_files_and_other_salt_does_not():
    a = load_survey(WJX, mapping="wenjuanxing-parent", salt="one").data["respondent_id"]
    b = load_survey(WJX, mapping="wenjuanxing-parent", salt="one").data["respondent_id"]
    c = load_survey(WJX, mapping="wenjuanxing-parent", salt="two").data["respondent_id"]
    assert a.equals(b) and not (a == c).any()
    truth = examples.example_truth("wenjuanxing-parent.xlsx", salt="one")["respondent_id"]
    assert a.reset_index(drop=True).equals(truth)


def test_salt_from_environment(monkeypatch):
    monkeypatch.setenv(identifiers.SALT_ENV, "from-env")
    res = load_survey(WJX, mapping="wenjuanxing-parent")
    assert res.log["pseudonymised"]["salt_source"] == "SJE_ID_SALT"
    expected = examples.example_truth("wenjuanxing-parent.xlsx", salt="from-env")
    assert res.data["respondent_id"].reset_index(drop=True).equals(expected["respondent_id"])


def test_random_salt_is_logged(monkeypatch):
    monkeypatch.delenv(identifiers.SALT_ENV, raising=False)
    a = load_survey(WJX, mapping="wenjuanxing-parent")
    b = load_survey(WJX, mapping="wenjuanxing-parent")
    assert a.log["pseudonymised"]["salt_source"] == "random"
    assert any("will not link across files" in w for w in a.log["warnings"])
    assert not (a.data["respondent_id"] == b.data["respondent_id"]).any()


def test_resolve_salt_rejects_empty():
    with pytest.raises(ValueError, match="salt must not be empty"):
        identifiers.resolve_salt("")


# ------------------------------------------------------------------------------------------
# detection rules


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("填写人姓名", "name"),
        ("5、您的名字:", "name"),
        ("Name", "name"),
        ("parent_name", "name"),
        ("联系电话", "phone"),
        ("手机号码", "phone"),
        ("mobile", "phone"),
        ("身份证号", "id number"),
        ("学籍号", "id number"),
        ("家庭住址", "address"),
        ("E-mail", "email"),
        ("微信号", "messaging account"),
        ("QQ号", "messaging account"),
        ("来源IP", "IP address"),
    ],
)
def test_identifier_headers(header, kind):
    assert identifiers.identifier_kind_of_header(header) == kind


@pytest.mark.parametrize("header", ["school_name", "学校名称", "county", "grade", "来源", "备注"])
def test_not_identifier_headers(header):
    assert identifiers.identifier_kind_of_header(header) is None


def test_resident_id_checksum():
    """GB 11643-1999 check digit: 11010519491231002X is the standard's worked example."""
    assert identifiers.resident_id_checksum_ok("11010519491231002X")
    assert not identifiers.resident_id_checksum_ok("110105194912310021")
    for value in examples.example_identifiers()["id_number"]:
        assert identifiers.resident_id_checksum_ok(value)


def test_find_identifier_columns_by_values():
    n = 20
    df = pd.DataFrame(
        {
            "a": [f"1{3 + k % 7}{k:09d}" for k in range(n)],  # mobile numbers
            "b": examples.example_identifiers()["id_number"][:n].tolist(),
            "c": [f"x{k}@mail.cn" for k in range(n)],
            "d": np.arange(n),  # a count, not identifiers
            "e": [f"1{k:010d}" for k in range(n)],  # 11 digits, but not 1[3-9]...
        }
    )
    found = identifiers.find_identifier_columns(df)
    assert set(found) == {"a", "b", "c"}
    assert found["b"].startswith("values: resident ID numbers")


def test_mask_identifiers_in_text():
    text = pd.Series(["call 13912345678 or 11010519491231002X, a@b.cn", "12岁", None])
    out = identifiers.mask_identifiers(text)
    assert out.iloc[0] == "call *** or ***, ***" and out.iloc[1] == "12岁" and pd.isna(out.iloc[2])


def _xlsx(path: Path):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    return list(rows[0]), rows[1:]
