"""Reading supervision returns (督导) into their canonical tables: :func:`load_returns`.

The tables and their variables are the ``tables:`` of ``codebook.yaml``
(:meth:`~shuangjian_eval.inputs.codebook.Codebook.table`): school returns, the institution
registry, enforcement cases, complaints and tip-offs, and the half-monthly report's wide county
sheet. A file goes through the survey's readers (CSV in any of its encodings, .xlsx, .xls,
.dta, .sav, Parquet), mapping profiles (the bundled ones in ``mappings/supervision/``), the
identifier checks (a complainant's name or phone number column is dropped on ingest, never
kept) and the codebook's cell checks, and then two checks of the table:

- ``duplicate key``: rows that share the table's key (a school's return filed twice for one
  period) are all rejected, each naming the other rows, since which one is right cannot be told;
- ``inconsistent counts``: a count above the count it is part of (``at_most`` in the codebook:
  schools meeting the homework standard above the schools, tip-offs closed above those
  received, students taking part above the enrolment).

Every input row is accepted or rejected with its reason: ``rows_in == accepted + rejected``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ...base.options import check_choice
from .. import codebook as _codebook
from ..io import load_table
from ..io.mapping import Profile, list_profiles, load_mapping
from ..rejects import REJECT_COLUMNS
from ..validate import IngestError, IngestResult, validate

__all__ = ["PROFILE_FOLDER", "SHEET_PREFIX", "TABLES", "TRUTH_FILE", "SupervisionFolder", "load_folder", "load_half_monthly", "load_returns", "profiles", "table_codebook",
           "validate_returns"]  # fmt: skip

#: the supervision tables, in the order of ``codebook.yaml``
TABLES: tuple[str, ...] = ("school_returns", "institutions", "cases", "complaints", "half_monthly")
#: the folder of their bundled mapping profiles, under ``inputs/mappings/``
PROFILE_FOLDER = "supervision"
_MAX_LISTED = 5
#: file names of a supervision folder: ``<table>.parquet``, the half-monthly sheets
#: ``half-monthly-YYYY-MM-DD.xlsx`` (the period in the name), and a synthetic folder's truth
SHEET_PREFIX = "half-monthly-"
TRUTH_FILE = "truth.json"


@dataclass
class SupervisionFolder:
    """The tables of a supervision folder (:func:`load_folder`): the accepted rows of each
    table, the ingest result of each file, and the synthetic truth when the folder has one."""

    tables: dict[str, pd.DataFrame]
    results: dict[str, IngestResult]
    truth: dict[str, Any] | None = None

    @property
    def synthetic(self) -> bool:
        return self.truth is not None


def load_folder(folder: str | os.PathLike[str]) -> SupervisionFolder:
    """Read a supervision folder: each ``<table>.parquet`` of canonical rows (validated, every
    row accounted for) and each half-monthly sheet in the official layout (profile
    ``half-monthly``, the period from its file name), concatenated into ``half_monthly``.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist or holds none of these files.
    """
    base = Path(folder)
    if not base.is_dir():
        raise FileNotFoundError(f"{base}: no such folder of supervision returns")
    tables: dict[str, pd.DataFrame] = {}
    results: dict[str, IngestResult] = {}
    for table in TABLES:
        path = base / f"{table}.parquet"
        if path.is_file():
            res = validate_returns(pd.read_parquet(path), table, source=str(path))
            results[path.name] = res
            tables[table] = res.data.reset_index(drop=True)
    sheets = []
    for path in sorted(base.glob(f"{SHEET_PREFIX}*.xlsx")):
        day = path.stem.removeprefix(SHEET_PREFIX)
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise IngestError(path, f"the file name does not end in a period such as "
                              f"{SHEET_PREFIX}2021-11-15.xlsx") from None  # fmt: skip
        res = load_half_monthly(path, day)
        results[path.name] = res
        sheets.append(res.data.reset_index(drop=True))
    if sheets:
        tables["half_monthly"] = pd.concat(sheets, ignore_index=True)
    if not results:
        raise FileNotFoundError(
            f"{base}: no supervision files (<table>.parquet of {', '.join(TABLES)}, or "
            f"{SHEET_PREFIX}YYYY-MM-DD.xlsx)"
        )
    truth_file = base / TRUTH_FILE
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.is_file() else None
    return SupervisionFolder(tables, results, truth)


def table_codebook(table: str, codebook: _codebook.Codebook | None = None) -> _codebook.Codebook:
    """The codebook of one supervision table (its variables, key and labels)."""
    check_choice("table", table, TABLES)
    return (codebook or _codebook.load()).table(table)


def profiles(table: str | None = None) -> list[str]:
    """The bundled mapping profiles of the supervision tables (of one ``table``)."""
    names = list_profiles(PROFILE_FOLDER)
    if table is None:
        return names
    check_choice("table", table, TABLES)
    return [n for n in names if _bundled_table(n) == table]


@functools.lru_cache(maxsize=32)
def _bundled_table(name: str) -> str | None:
    """The ``table:`` of a bundled profile (None when ``name`` is not one)."""
    folder = resources.files("shuangjian_eval.inputs").joinpath("mappings", PROFILE_FOLDER)
    f = folder.joinpath(f"{name}.yaml")
    if not f.is_file():
        return None
    return (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("table")


@functools.lru_cache(maxsize=32)
def _bundled_profile(name: str, table: str) -> Profile:
    return load_mapping(name, table_codebook(table), PROFILE_FOLDER)


def load_returns(
    path: str | os.PathLike[str],
    table: str,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = None,
    *,
    sheet: str | int | None = None,
    constants: Mapping[str, Any] | None = None,
    salt: str | bytes | None = None,
) -> IngestResult:
    """Read, de-identify and validate one file of a supervision table.

    Parameters
    ----------
    path : str or path-like
        The file.
    table : str
        One of :data:`TABLES`.
    mapping : str, path-like, dict or None
        A bundled profile of ``mappings/supervision/`` (``"half-monthly"``,
        ``"school-returns-zh"``, ...), a YAML path, a dict, or None when the file uses the
        canonical names. A profile made for another table is refused.
    sheet : str or int, optional
        Worksheet of a workbook.
    constants : mapping, optional
        Values for variables the file lacks, e.g. ``{"period": "2021-11-15"}`` for a
        half-monthly sheet whose date is in its title.
    salt : str or bytes, optional
        Salt of pseudonyms, as :func:`shuangjian_eval.inputs.io.load_survey`.

    Returns
    -------
    IngestResult
        ``data`` (accepted rows, canonical dtypes, index ``source_row``), ``rejects``,
        ``issues`` and ``log`` (``rows_in == accepted + rejected``).

    Raises
    ------
    IngestError
        For a problem with the whole file (unreadable, a required column missing, a profile of
        another table); the message starts with the file.
    """
    cb = table_codebook(table)
    if os.path.exists(path):
        of = _bundled_table(mapping) if isinstance(mapping, str) else None
        if of == table:  # a bundled profile of this table: parsed once
            mapping = _bundled_profile(mapping, table)
        elif of is None:
            mapping = load_mapping(mapping, cb, PROFILE_FOLDER)
            of = mapping.table
        if of not in (None, table):
            raise IngestError(
                path,
                f"the mapping profile {getattr(mapping, 'name', mapping)!r} is for the table {of!r}, "
                f"not {table!r}",
                f"Pick a profile of {table!r}: {', '.join(profiles(table))}.",
            )
    res = load_table(path, cb, mapping, folder=PROFILE_FOLDER, sheet=sheet,
                     constants=constants, salt=salt)  # fmt: skip
    res.log["table"] = table
    return _check_table(res, cb)


def load_half_monthly(
    path: str | os.PathLike[str],
    period: str | dt.date,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = "half-monthly",
    *,
    sheet: str | int | None = None,
) -> IngestResult:
    """Read a half-monthly report's wide county sheet (one row per county, the official column
    headers under the report's title) for the period it reports (the date of its title)."""
    return load_returns(
        path, "half_monthly", mapping, sheet=sheet, constants={"period": str(period)}
    )


def validate_returns(df: pd.DataFrame, table: str, *, source: str = "<DataFrame>") -> IngestResult:
    """Validate a DataFrame of a supervision table that already uses canonical names (for
    example from :mod:`shuangjian_eval.inputs.supervision.synth`)."""
    cb = table_codebook(table)
    res = validate(df, source=source, codebook=cb)
    res.log["table"] = table
    return _check_table(res, cb)


def _check_table(res: IngestResult, cb: _codebook.Codebook) -> IngestResult:
    """The table's own checks on the accepted rows: duplicate keys, counts above their total."""
    data = res.data
    source = str(res.log.get("file"))
    found: list[dict[str, Any]] = []
    key = [k for k in cb.key if k in data.columns]
    if key and len(data):
        dup = data.duplicated(key, keep=False).to_numpy()
        if dup.any():
            groups = data[dup].groupby(key, sort=False, observed=True).groups
            for value, idx in groups.items():
                value = value if isinstance(value, tuple) else (value,)
                shown = ", ".join(f"{k}={_show(v)}" for k, v in zip(key, value, strict=True))
                others = [int(r) for r in idx]
                for r in others:
                    found.append({
                        "source_row": r, "column": "+".join(key), "variable": "+".join(key),
                        "value": shown, "rule": "duplicate key",
                        "message": f"{shown} is on rows {', '.join(map(str, others))}: one row per "
                        f"key ({', '.join(key)}); remove the rows that are wrong",
                    })  # fmt: skip
    columns = res.log.get("columns_mapped") or {}
    for var in cb:
        if var.at_most is None or var.name not in data.columns or var.at_most not in data.columns:
            continue
        part = pd.to_numeric(data[var.name], errors="coerce").to_numpy(float, na_value=np.nan)
        whole = pd.to_numeric(data[var.at_most], errors="coerce").to_numpy(float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero(part > whole)
        for k in over:
            found.append({
                "source_row": int(data.index[k]), "column": columns.get(var.name, var.name),
                "variable": var.name, "value": _show(part[k]), "rule": "inconsistent counts",
                "message": f"{var.name} {_show(part[k])} is above {var.at_most} "
                f"{_show(whole[k])} in the same row ({var.label['zh']} > "
                f"{cb[var.at_most].label['zh']}): correct one of the two",
            })  # fmt: skip
    if not found:
        return res
    extra = pd.DataFrame(found, columns=REJECT_COLUMNS)
    extra["source_row"] = extra["source_row"].astype("int64")
    for c in REJECT_COLUMNS[1:]:
        extra[c] = extra[c].astype("string")
    bad = set(extra["source_row"].tolist())
    rejects = pd.concat([res.rejects, extra], ignore_index=True)
    rejects = rejects.sort_values("source_row", kind="stable", ignore_index=True)
    res.data = data.loc[~data.index.isin(list(bad))]
    res.issues = res.issues[~res.issues["source_row"].isin(list(bad))].reset_index(drop=True)
    res.rejects = rejects
    n_rejected = int(rejects["source_row"].nunique())
    counts = rejects.drop_duplicates(["source_row", "rule"])["rule"].value_counts()
    res.log.update(accepted=len(res.data), rejected=n_rejected,
                   reject_counts={str(k): int(v) for k, v in counts.items()})  # fmt: skip
    if res.log["rows_in"] != len(res.data) + n_rejected:
        raise RuntimeError(f"internal error: {source}: rows do not add up after the table checks")
    return res


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and np.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)
