"""The base level: option, choice and column checks, and the atomic write.

Expected messages are the format that :mod:`shuangjian_eval.base.options` declares (its module
docstring); the close matches are those of :func:`difflib.get_close_matches` (cutoff 0.6).
"""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from shuangjian_eval.base.files import atomic_path, atomic_write
from shuangjian_eval.base.options import (
    as_names,
    check_choice,
    check_columns,
    check_options,
    did_you_mean,
)


def test_unknown_option_names_the_function_the_options_and_a_close_match():
    with pytest.raises(ValueError) as err:
        check_options("did", {"clustr": 1, "zzz": 2}, ("covariates", "cluster"))
    assert str(err.value) == (
        "did() got unknown option(s) ['clustr', 'zzz']; valid options: ['covariates', "
        "'cluster']; did you mean 'cluster'?"
    )
    check_options("did", {}, ("cluster",))  # nothing unknown: no error


def test_bad_choice_names_option_value_choices_and_match():
    with pytest.raises(ValueError, match=r"^lonely_psu must be one of \['fail', 'adjust'\], "
                       r"got 'ajust'; did you mean 'adjust'\?$"):  # fmt: skip
        check_choice("lonely_psu", "ajust", ("fail", "adjust"))
    with pytest.raises(ValueError, match=r"got 3$"):  # no hint for a non-string value
        check_choice("panel", 3, (True, False))
    with pytest.raises(ValueError, match="got \\[1\\]"):  # unhashable against a set
        check_choice("x", [1], {"a"})
    check_choice("panel", True, (True, False))


def test_missing_columns_are_all_named_with_close_matches_or_the_columns():
    df = pd.DataFrame({"school_id": [1], "weight": [1.0]})
    with pytest.raises(KeyError, match=r"data lack column\(s\) \['scool_id', 'wieght'\]; "
                       r"did you mean 'school_id' or 'weight'\?"):  # fmt: skip
        check_columns(df, ["scool_id", None, "wieght", "school_id"])
    with pytest.raises(KeyError, match=r"\['zzz'\]; columns are \['school_id', 'weight'\]"):
        check_columns(df, ["zzz"])
    with pytest.raises(TypeError, match="data must be a pandas DataFrame, got dict"):
        check_columns({"a": [1]}, ["a"])
    check_columns(df, ["weight", None])


def test_as_names_and_hint():
    assert as_names(None, "by") == [] and as_names("a", "by") == ["a"]
    assert as_names(("a", "b"), "by") == ["a", "b"]
    with pytest.raises(ValueError, match="by must be a column name or a sequence"):
        as_names(["a", 1], "by")
    assert did_you_mean(["xyz"], ["abc"]) == ""


def test_atomic_write_text_and_bytes_with_new_file_permissions(tmp_path):
    target = tmp_path / "sub" / "page.html"
    assert atomic_write(target, "全部地区\n") == target
    assert target.read_text(encoding="utf-8") == "全部地区\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]  # no temporary left


def test_atomic_path_keeps_the_old_file_on_error_and_can_keep_the_partial_one(tmp_path):
    target = tmp_path / "data.parquet"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["data.parquet"]
    failed = tmp_path / "data.failed"
    running = tmp_path / ".data.running"
    with pytest.raises(RuntimeError), atomic_path(target, tmp=running, failed=failed) as tmp:
        assert tmp == running
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert failed.read_text() == "half" and not running.exists()
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
