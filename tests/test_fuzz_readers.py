"""Property-based tests of the survey readers: a malformed or odd export ends in the project's
own error or in an accounted result, never in an uncaught exception.

Hypothesis starts from the first rows of three example files, the 问卷星 county download in
both modes (``wjx-county-text.xlsx``, ``wjx-county-numbers.xlsx``, written again with
openpyxl) and the canonical UTF-8 CSV, and changes them the way exports go wrong: shuffled,
duplicated and dropped columns, blank (merged) header cells and a second header row, blank
rows, 100,000-character cells, numbers as text and text in number columns, Excel error values,
odd Unicode (full-width digits, emoji, control characters, ``┋``, unbalanced ``〖〗``), cells
and whole columns typed as dates or booleans, truncated and over-long rows, duplicate 序号 and
duplicate submissions, header-only and empty files; a CSV is written in UTF-8, UTF-8 with BOM,
GB18030 or UTF-8 lines followed by GBK lines, and may be cut off at its end.

Each case must end in one of:

- an ``IngestError`` whose message starts with the file's path;
- an ``IngestResult`` whose accounting holds (``check_invariant``: rows in = accepted +
  rejected, no row both accepted and rejected, every answer set missing is missing in the
  data, canonical dtypes) and whose quality flags name rows of the file.

The cases are derandomized: every run generates the same ones (the count is in tests/README.md).
``SJE_FUZZ_EXAMPLES=n`` runs ``n`` fresh random cases per test instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
import sys
from functools import cache
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_io import check_invariant

from shuangjian_eval.inputs.io import FLAGS, IngestError, load_mapping, load_survey

EX = Path(__file__).resolve().parent.parent / "data" / "examples"
N_ROWS = 20
# huge cells: 100,000 characters, and 150,000 (past the csv module's field size limit)
HUGE = (100_000, 150_000)
WORKBOOKS = ("wjx-county-text.xlsx", "wjx-county-numbers.xlsx")
COUNTY = {"wave": 2022, "county": "样本县001", "salt": "fuzz-salt"}

# examples per test in CI; the budget of the file is about a minute on two cores
EXAMPLES = {"workbook": 200, "csv": 400, "missing": 20}
_RANDOM = os.environ.get("SJE_FUZZ_EXAMPLES")


def fuzz_settings(kind: str) -> settings:
    """Derandomized and without an example database, so that CI runs the same cases each time;
    ``SJE_FUZZ_EXAMPLES=n`` explores ``n`` new random cases."""
    return settings(
        max_examples=int(_RANDOM) if _RANDOM else EXAMPLES[kind],
        derandomize=not _RANDOM,
        database=None,
        deadline=dt.timedelta(seconds=2) if _RANDOM else None,
        print_blob=bool(_RANDOM),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ------------------------------------------------------------------------------------------
# the starting points: the first rows of the examples, as cells


@cache
def workbook_rows(name: str) -> tuple[tuple, ...]:
    wb = openpyxl.load_workbook(EX / name, read_only=True)
    rows = tuple(
        tuple(r) for r in itertools.islice(wb.active.iter_rows(values_only=True), N_ROWS + 1)
    )
    wb.close()
    return rows


@cache
def csv_rows() -> tuple[tuple, ...]:
    with (EX / "canonical-utf8.csv").open(encoding="utf-8", newline="") as f:
        return tuple(tuple(r) for r in itertools.islice(csv.reader(f), N_ROWS + 1))


@cache
def county_profile():
    return load_mapping("wenjuanxing-county")


# ------------------------------------------------------------------------------------------
# odd cells

EXCEL_ERRORS = ("#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!")
ODD_CHARS = (
    "０１２３４５６７８９．－＋，％"  # full-width digits and signs
    "┋〖〗【】（）()、：:;,，\"'=#-+.e"  # separators of 问卷星 cells, quotes, number parts
    "\t\n\r\x00\x01\x08\x1b\x1f\x7f\x85\u200b\u2028\u3000\ufeff"  # control and blank characters
    "😀🇨🇳👨‍👩‍👧𠮷测是否跳过空小时分钟万千约"  # emoji, astral and common CJK characters
)
ODD_WORDS = (
    *("(跳过)", "(空)", "-3", "-2", "0", "1", "99", "测试", "test", "合计", "Total", "小计"),
    *("1小时30分钟", "30-40", "1-2小时", "1.5万", "２千", "约40", "不一定", "不知道", "半小时"),
    *("1e400", "-1e400", "1e308", "nan", "NaN", "inf", "-inf", "Infinity", "9" * 40, "-0"),
    *("0x1F", "1_000", "1,000", ".5", "5.", "+5", "١٢", "½", "Ⅻ", "五十", "十万"),
    *("一年级", "高三", "是", "否", "true", "FALSE", "男", "female", "非常满意", "比较同意"),
    *("语文┋数学┋其他〖围棋", "其他〗〖", "〖〖〗", "┋┋", "┋", "〖电话13800138000〗", "〗"),
    *("N/A", "null", "None", "-", "—", " ", "\u3000", "", "\n"),
    *("2022/11/14 19:03:05", "2022-02-30 25:61:00", "136秒", "2分3秒", "1小时2分", "-5秒"),
    *("10.12.0.5(示例省-示例市)", "(", "城关第一中学", "样本县001", "2022", "20220"),
)
text_cell = st.one_of(
    st.sampled_from(ODD_WORDS),
    st.text(st.sampled_from(ODD_CHARS), max_size=8),
    st.text(st.characters(codec="utf-8"), max_size=8),
)
number_cell = st.one_of(
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 2, -3, -2, 5, 12, 0.5, 1e15, -1e-300, 2**63, 10**20]),
)
date_cell = st.one_of(
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.times(),
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=3)),
)
odd_cell = st.one_of(
    st.none(), st.sampled_from(EXCEL_ERRORS), text_cell, number_cell, st.booleans(), date_cell
)
COLUMN_KINDS = {
    "dates": date_cell,
    "booleans": st.booleans(),
    "errors": st.sampled_from(EXCEL_ERRORS),
    "numbers": number_cell,
    "texts": text_cell,
}


def _as_text(v) -> str | None:
    """A cell as a CSV writer (or a user retyping it) would write it."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _retyped(v):
    """A number written as text, a numeric text as a number, a date as its text."""
    if isinstance(v, str):
        t = v.strip()
        for kind in (int, float):
            try:
                return kind(t)
            except ValueError:
                pass
        return v
    if isinstance(v, (bool, type(None))):
        return v
    return _as_text(v)


# ------------------------------------------------------------------------------------------
# changes to a table (a list of rows, the header first)


def _width(rows: list[list]) -> int:
    return max((len(r) for r in rows), default=0)


def _square(rows: list[list]) -> list[list]:
    w = _width(rows)
    return [list(r) + [None] * (w - len(r)) for r in rows]


def _cell_at(data, rows: list[list], first: int = 1) -> tuple[int, int] | None:
    if len(rows) <= first or not _width(rows):
        return None
    r = data.draw(st.integers(first, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, max(len(rows[r]), 1) - 1), label="column")
    if c >= len(rows[r]):
        rows[r] = list(rows[r]) + [None] * (c + 1 - len(rows[r]))
    return r, c


def shuffle_columns(data, rows):
    rows = _square(rows)
    order = data.draw(st.permutations(range(_width(rows))), label="column order")
    return [[r[j] for j in order] for r in rows]


def duplicate_column(data, rows):
    rows = _square(rows)
    if not _width(rows):
        return rows
    j = data.draw(st.integers(0, _width(rows) - 1), label="column")
    k = data.draw(st.integers(0, _width(rows)), label="copied to")
    return [[*r[:k], r[j], *r[k:]] for r in rows]


def drop_column(data, rows):
    rows = _square(rows)
    if not _width(rows):
        return rows
    j = data.draw(st.integers(0, _width(rows) - 1), label="column")
    return [r[:j] + r[j + 1 :] for r in rows]


def blank_header_cells(data, rows):
    """Merged header cells: the header has blank cells (a second header row may fill them)."""
    rows = _square(rows)
    if not rows or not _width(rows):
        return rows
    cols = data.draw(
        st.lists(st.integers(0, _width(rows) - 1), min_size=1, max_size=4, unique=True),
        label="blank header cells",
    )
    for j in cols:
        rows[0][j] = data.draw(st.sampled_from([None, "", " ", "\u3000"]), label="blank")
    if data.draw(st.booleans(), label="second header row"):
        second = [None] * _width(rows)
        for j in cols:
            second[j] = data.draw(st.sampled_from(["子题", "选项", "(其他)", "1"]), label="label")
        rows.insert(1, second)
    return rows


def blank_rows(data, rows):
    k = data.draw(st.integers(0, len(rows)), label="at row")
    blank = data.draw(st.sampled_from([None, "", " ", "\t"]), label="blank")
    n = data.draw(st.integers(1, 3), label="blank rows")
    return rows[:k] + [[blank] * _width(rows) for _ in range(n)] + rows[k:]


def huge_cell(data, rows):
    """A cell of 100,000 or 150,000 characters, in the header or in a row (maybe cut short)."""
    if not rows or not _width(rows):
        return rows
    in_header = data.draw(st.booleans(), label="in the header") or len(rows) < 2
    r = 0 if in_header else data.draw(st.integers(1, len(rows) - 1), label="row")
    rows[r] = list(rows[r]) + [None] * (_width(rows) - len(rows[r]))
    c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
    ch = data.draw(st.sampled_from(["x", "9", "测", " ", "😀", "┋", "〖", "1,"]), label="char")
    size = data.draw(st.sampled_from(HUGE), label="characters")
    rows[r][c] = (ch * size)[:size]
    if r and data.draw(st.booleans(), label="row cut short after it"):
        rows[r] = rows[r][: c + 1]
    return rows


def odd_cells(data, rows):
    for _ in range(data.draw(st.integers(1, 6), label="cells")):
        at = _cell_at(data, rows)
        if at:
            rows[at[0]][at[1]] = data.draw(odd_cell, label="value")
    return rows


def odd_header(data, rows):
    at = _cell_at(data, rows, first=0)
    if at and at[0] == 0:
        rows[0][at[1]] = data.draw(text_cell | st.sampled_from(["序号", "来自IP", "wave"]))
    return rows


def retype_cells(data, rows):
    for _ in range(data.draw(st.integers(1, 6), label="cells")):
        at = _cell_at(data, rows)
        if at:
            rows[at[0]][at[1]] = _retyped(rows[at[0]][at[1]])
    return rows


def odd_column(data, rows):
    """A whole column of dates, booleans, error values, numbers or texts."""
    rows = _square(rows)
    if len(rows) < 2 or not _width(rows):
        return rows
    j = data.draw(st.integers(0, _width(rows) - 1), label="column")
    kind = data.draw(st.sampled_from(sorted(COLUMN_KINDS)), label="kind")
    for r in rows[1:]:
        r[j] = data.draw(COLUMN_KINDS[kind], label=kind)
    return rows


def truncate_row(data, rows):
    if len(rows) < 2:
        return rows
    r = data.draw(st.integers(1, len(rows) - 1), label="row")
    rows[r] = rows[r][: data.draw(st.integers(0, max(len(rows[r]) - 1, 0)), label="cells kept")]
    return rows


def extend_row(data, rows):
    if len(rows) < 2:
        return rows
    r = data.draw(st.integers(1, len(rows) - 1), label="row")
    extra = data.draw(st.lists(odd_cell, min_size=1, max_size=3), label="extra cells")
    rows[r] = list(rows[r]) + extra
    return rows


def duplicate_first_cell(data, rows):
    """Duplicate 序号 (or respondent_id in the canonical file)."""
    if len(rows) < 3:
        return rows
    a, b = (data.draw(st.integers(1, len(rows) - 1), label="row") for _ in range(2))
    if rows[a] and rows[b]:
        rows[b][0] = rows[a][0]
    return rows


def duplicate_row(data, rows):
    if len(rows) < 2:
        return rows
    r = data.draw(st.integers(1, len(rows) - 1), label="row")
    k = data.draw(st.integers(1, len(rows)), label="copied to")
    return rows[:k] + [list(rows[r])] + rows[k:]


def keep_rows(data, rows):
    """Fewer rows: header only with 0 data rows, or nothing at all."""
    k = data.draw(st.integers(-1, 3), label="data rows kept (-1: none, not even a header)")
    return [] if k < 0 else rows[: k + 1]


CHANGES = {
    f.__name__: f
    for f in (
        shuffle_columns,
        duplicate_column,
        drop_column,
        blank_header_cells,
        blank_rows,
        huge_cell,
        odd_cells,
        odd_header,
        retype_cells,
        odd_column,
        truncate_row,
        extend_row,
        duplicate_first_cell,
        duplicate_row,
        keep_rows,
    )
}


def changed(data, start: tuple[tuple, ...]) -> list[list]:
    rows = [list(r) for r in start]
    n = data.draw(st.integers(1, 5), label="number of changes")
    for _ in range(n):
        name = data.draw(st.sampled_from(sorted(CHANGES)), label="change")
        event(name)
        rows = CHANGES[name](data, rows)
    return rows


# ------------------------------------------------------------------------------------------
# writing the files


def _xlsx_value(v):
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("", v)  # openpyxl cannot write them; Excel neither
    return v


def write_workbook(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append([_xlsx_value(v) for v in r])
    wb.save(path)
    return path


def _csv_field(v) -> str:
    text = "" if v is None else _as_text(v)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: list[list], eol: str = "\n") -> str:
    """The rows as CSV: fields with a delimiter, quote or line break are quoted."""
    return "".join(",".join(map(_csv_field, r)) + eol for r in rows)


def csv_variant(data) -> tuple[str, str, int]:
    """Line ending, encoding (or UTF-8 lines then GBK lines) and bytes cut off the end."""
    eol = data.draw(st.sampled_from(["\n", "\r\n", "\r"]), label="line ending")
    encoding = data.draw(
        st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-8 then gbk"]), label="encoding"
    )
    cut = data.draw(st.integers(0, 3), label="bytes cut off the end")
    return eol, encoding, cut


def csv_bytes(data, rows: list[list], eol: str, encoding: str, cut: int) -> bytes:
    if encoding == "utf-8 then gbk":
        k = data.draw(st.integers(0, len(rows)), label="first GBK line")
        out = csv_text(rows[:k], eol).encode("utf-8") + csv_text(rows[k:], eol).encode("gb18030")
    else:
        out = csv_text(rows, eol).encode(encoding)
    return out[: len(out) - cut] if cut else out


# ------------------------------------------------------------------------------------------
# the property


def accounted(path: Path, **kwargs) -> tuple[str, object]:
    """``load_survey`` ends in an IngestError naming the file, or in an accounted result:
    ``("error", problem)`` or ``("result", IngestResult)``."""
    try:
        res = load_survey(path, **kwargs)
    except IngestError as exc:
        assert str(exc).startswith(f"{path}: "), exc
        event("IngestError: " + exc.problem.split(" (")[0][:60])
        return "error", exc.problem
    check_invariant(res)
    assert res.data.index.is_unique
    rows = set(res.data.index) | set(res.rejects["source_row"])
    assert set(res.flags["source_row"]) <= rows, "a flag names a row that is not in the file"
    event(f"result: {res.log['accepted']} accepted, {res.log['rejected']} rejected")
    return "result", res


def assert_same_outcome(got: tuple[str, object], plain: tuple[str, object]) -> None:
    """The same rows in another encoding or with other line breaks read the same."""
    assert got[0] == plain[0], (got, plain)
    if got[0] == "error":
        assert got[1] == plain[1]
        return
    a, b = got[1], plain[1]
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.rejects, b.rejects)
    pd.testing.assert_frame_equal(a.issues, b.issues)


_counter = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _path(folder: Path, suffix: str) -> Path:
    return folder / f"case{next(_counter)}{suffix}"


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKBOOKS)
@fuzz_settings("workbook")
@given(data=st.data())
def test_county_download_is_accounted_for(folder, name, data):
    rows = changed(data, workbook_rows(name))
    path = write_workbook(_path(folder, ".xlsx"), rows)
    exclude = data.draw(st.lists(st.sampled_from(FLAGS), unique=True), label="exclude")
    start = data.draw(st.sampled_from([None, "2022-11-14", "2030-01-01"]), label="fieldwork")
    accounted(path, mapping=county_profile(), exclude=exclude, fieldwork_start=start, **COUNTY)


@pytest.mark.slow
@fuzz_settings("csv")
@given(data=st.data())
def test_canonical_csv_is_accounted_for(folder, data):
    rows = changed(data, csv_rows())
    eol, encoding, cut = csv_variant(data)
    path = _path(folder, ".csv")
    path.write_bytes(csv_bytes(data, rows, eol, encoding, cut))
    got = accounted(path, mapping=None)
    same_rows = encoding != "utf-8 then gbk" and not cut and csv_text(rows).strip()
    if (eol, encoding) != ("\n", "utf-8") and same_rows:  # (a BOM alone is not 0 bytes)
        plain = _path(folder, ".csv")
        plain.write_text(csv_text(rows), encoding="utf-8")
        assert_same_outcome(got, accounted(plain, mapping=None))


@fuzz_settings("missing")
@given(name=st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20))
def test_missing_path_is_file_not_found(folder, name):
    path = folder / "absent" / f"{name}.xlsx"
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_survey(path, mapping=county_profile(), **COUNTY)
