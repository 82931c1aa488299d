"""Population margins for weights calibration: a county's enrolment table.

A county's 教育事业统计 returns give its enrolment: students by school (or township), grade and
gender. Read as a long table, one row per cell, it gives the population counts a convenience
sample (问卷星, no design weights) is calibrated to
(:meth:`shuangjian_eval.estimation.survey.SurveyDesign.rake`).

Layout (CSV in UTF-8, UTF-8 with BOM or GBK, or the first sheet of an xlsx), one header row:

=============  ==========================================  ====================================
column         values                                      header also accepted
=============  ==========================================  ====================================
``county``     the county as the survey's ``county``       县, 区县, 县区
``school_id``  optional: the school as the survey's        school, 学校, 学校代码
``urban``      optional: 城镇 / 农村 (or true / false)      城乡
``grade``      1-12                                        年级
``gender``     female / male (or 女 / 男)                   性别
``students``   a count, >= 0                               学生数, 在校生数, 人数
``wave``       optional: the survey wave (year) it is for  年份, 轮次
=============  ==========================================  ====================================

Any other column is kept as a margin of its own name (it must then be a column of the survey
data, e.g. ``township`` when the data carry one). Without ``wave`` the same counts serve
every wave. Cells may repeat (they are summed); a blank row is skipped. A value that cannot be
read stops with the file, row, column and value named.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COUNT", "LAYOUT", "MarginsError", "margins", "read_enrolment"]

COUNT = "students"
#: canonical name -> header texts accepted for it
LAYOUT: dict[str, tuple[str, ...]] = {
    "county": ("county", "县", "区县", "县区"),
    "school_id": ("school_id", "school", "学校", "学校代码"),
    "urban": ("urban", "城乡"),
    "grade": ("grade", "年级"),
    "gender": ("gender", "性别"),
    COUNT: (COUNT, "学生数", "在校生数", "人数"),
    "wave": ("wave", "年份", "轮次"),
}
_REQUIRED = ("county", "grade", "gender", COUNT)
_GENDER = {
    "female": "female",
    "male": "male",
    "女": "female",
    "男": "male",
    "f": "female",
    "m": "male",
}
_URBAN = {"城镇": True, "城区": True, "urban": True, "true": True, "1": True,
          "农村": False, "乡村": False, "rural": False, "false": False, "0": False}  # fmt: skip


class MarginsError(ValueError):
    """An enrolment table that cannot be read: the file, row, column and value named."""

    def __init__(self, path: Path, message: str, row: int | None = None, column: str | None = None):
        where = "" if row is None else f", row {row}"
        where += "" if column is None else f", column {column!r}"
        super().__init__(f"{path}{where}: {message}")


def read_enrolment(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an enrolment table (layout in the module notes) into canonical columns.

    Returns
    -------
    pandas.DataFrame
        ``county``, the optional columns present, ``grade`` (int), ``gender`` (female/male),
        ``students`` (float), with ``source_row`` (the row number in the file).
    """
    from .io.readers import IngestError, read_csv, read_xlsx

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such enrolment table")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise MarginsError(p, f"an enrolment table is .csv or .xlsx, not {suffix or 'no suffix'!r}")
    try:
        raw = read_csv(p) if suffix == ".csv" else read_xlsx(p)
    except IngestError as exc:
        raise MarginsError(p, str(exc)) from None
    if raw.malformed:
        row, fields, expected = raw.malformed[0]
        raise MarginsError(p, f"{len(fields)} fields where the header has {expected}", row)
    names = _canonical_headers(p, raw.headers)
    rows = np.asarray(raw.source_row)
    cells = {
        name: pd.Series(
            [None if v is None else str(v).strip() for v in _as_list(col)], dtype=object
        )
        for name, col in zip(names, raw.columns, strict=True)
    }
    frame = pd.DataFrame(cells)
    blank = frame.isna().all(axis=1) | (frame.fillna("") == "").all(axis=1)
    frame, rows = frame[~blank.to_numpy()].reset_index(drop=True), rows[~blank.to_numpy()]
    if frame.empty:
        raise MarginsError(p, "the table has no rows")
    out: dict[str, Any] = {}
    for name in frame.columns:
        values = frame[name].to_numpy(object)
        out[name] = _parse_column(p, name, values, rows)
    result = pd.DataFrame(out)
    result["source_row"] = rows
    return result


def _as_list(col: Any) -> list[Any]:
    return col.to_pylist() if hasattr(col, "to_pylist") else list(col)


def _canonical_headers(path: Path, headers: list[str]) -> list[str]:
    lookup = {alias.lower(): name for name, aliases in LAYOUT.items() for alias in aliases}
    names = []
    for h in headers:
        text = str(h).strip()
        if not text:
            raise MarginsError(path, "a column has no header", row=1)
        names.append(lookup.get(text.lower(), text))
    seen: set[str] = set()
    for h, name in zip(headers, names, strict=True):
        if name in seen:
            raise MarginsError(path, f"two columns are {name!r} (header {h!r})", row=1)
        seen.add(name)
    missing = [c for c in _REQUIRED if c not in seen]
    if missing:
        from ..base.options import did_you_mean

        raise MarginsError(
            path,
            f"missing column(s) {missing}; the layout is county, [school_id | urban | township], "
            f"grade, gender, students, [wave]; headers found: {headers}"
            + did_you_mean(headers, [a for c in missing for a in LAYOUT[c]]),
            row=1,
        )
    return names


def _parse_column(path: Path, name: str, values: np.ndarray, rows: np.ndarray) -> Any:
    def fail(i: int, why: str) -> None:
        raise MarginsError(path, f"{why}, got {values[i]!r}", int(rows[i]), name)

    for i, v in enumerate(values):
        if v is None or v == "":
            fail(i, "empty cell")
    if name in (COUNT, "grade", "wave"):
        nums = pd.to_numeric(pd.Series(values).str.replace(",", "", regex=False), errors="coerce")
        nums = nums.to_numpy(float)
        for i in np.flatnonzero(~np.isfinite(nums)):
            fail(int(i), "not a number")
        if name == COUNT:
            for i in np.flatnonzero(nums < 0):
                fail(int(i), "a count of students cannot be negative")
            return nums
        for i in np.flatnonzero(nums != np.round(nums)):
            fail(int(i), "not a whole number")
        if name == "grade":
            for i in np.flatnonzero((nums < 1) | (nums > 12)):
                fail(int(i), "grade must be 1-12")
        return nums.astype(np.int64)
    coded = {
        "gender": (_GENDER, "gender must be female/male (女/男)"),
        "urban": (_URBAN, "urban must be 城镇/农村 (true/false)"),
    }
    if name in coded:
        codes, why = coded[name]
        out = [codes.get(str(v).lower()) for v in values]
        for i, v in enumerate(out):
            if v is None:
                fail(i, why)
        return out
    return list(values)


def margins(
    table: pd.DataFrame, by: tuple[str, ...] = ("wave", "county")
) -> dict[tuple[Any, ...], dict[str, dict[Any, float]]]:
    """One-way margins of an enrolment table within each group of ``by``: for every group
    (the ``by`` columns the table has), ``{column: {category: students}}`` for each of its
    other columns. Cells with zero students are kept (a population category that has none)."""
    keys = [c for c in by if c in table.columns]
    cols = [c for c in table.columns if c not in (*keys, COUNT, "source_row")]
    groups = table.groupby(keys, sort=True) if keys else [((), table)]
    out: dict[tuple[Any, ...], dict[str, dict[Any, float]]] = {}
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        spec: dict[str, dict[Any, float]] = {}
        for c in cols:
            sums = part.groupby(c, sort=True)[COUNT].sum()
            spec[c] = {_plain(k): float(v) for k, v in sums.items()}
        out[tuple(_plain(k) for k in key)] = spec
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def drop_empty(spec: Mapping[str, Mapping[Any, float]]) -> dict[str, dict[Any, float]]:
    """The margins without their zero cells."""
    return {c: {k: v for k, v in m.items() if v > 0} for c, m in spec.items()}
