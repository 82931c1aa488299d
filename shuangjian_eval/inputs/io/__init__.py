"""Reading survey files into canonical data: :func:`load_survey`.

Readers for CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected), Excel .xlsx (including
survey-platform exports such as 问卷星), Stata .dta and SPSS .sav (with value labels) and
Parquet; mapping profiles from raw columns and answer texts to the codebook
(:mod:`shuangjian_eval.inputs.io.mapping`); direct identifiers dropped or pseudonymised
(:mod:`shuangjian_eval.inputs.identifiers`); every row checked (:mod:`shuangjian_eval.inputs.validate`).

The modules: ``readers`` (file type, encodings, one reader per format), ``mapping`` (profiles,
header matching), ``columns`` (raw cells of one column to canonical values, with the codebook
checks).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import codebook as _codebook
from .. import identifiers
from ..validate import IngestError, IngestLog, IngestResult, assemble
from .columns import ColumnInput
from .mapping import Profile, list_profiles, load_mapping, normalise_header
from .platform import Platform as _Platform
from .readers import FORMATS, RawTable, detect_format, read
from .submissions import FLAGS, check_exclude

__all__ = [
    "FLAGS",
    "FORMATS",
    "IngestError",
    "IngestResult",
    "list_profiles",
    "load_mapping",
    "load_survey",
    "load_table",
    "normalise_header",
]

_TOTALS_COLUMNS = 3


def load_survey(
    path: str | os.PathLike[str],
    mapping: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = None,
    *,
    sheet: str | int | None = None,
    salt: str | bytes | None = None,
    constants: Mapping[str, Any] | None = None,
    wave: int | None = None,
    county: str | None = None,
    exclude: str | Sequence[str] | None = None,
    fieldwork_start: str | dt.date | None = None,
) -> IngestResult:
    """Read, map, de-identify and validate one survey file.

    Parameters
    ----------
    path : str or path-like
        A .csv (.txt, .tsv), .xlsx, .xls, .dta, .sav or .parquet file. The type is detected from the
        suffix and the content; CSV encoding (UTF-8, UTF-8 with BOM, GBK/GB18030) is detected.
    mapping : str, path-like, dict or None
        A bundled profile name (see :func:`list_profiles`, e.g. ``"wenjuanxing-parent"``), the
        path of a profile YAML file, or a dict with the same keys. None: the file already uses
        canonical names.
    sheet : str or int, optional
        Worksheet name (or 0-based position) of an .xlsx file; default: the profile's sheet,
        else the first sheet.
    salt : str or bytes, optional
        Salt for respondent pseudonyms (HMAC-SHA256); default the environment variable
        ``SJE_ID_SALT``, else a random salt (pseudonyms then do not link across files; logged).
    constants : mapping, optional
        Values for variables the file lacks, added to the profile's (``{"wave": 2024}``).
    wave, county : optional
        The wave (survey year) and county of every row of a file that has no such column
        (a 问卷星 download is one wave of one county): the same as ``constants``, so one
        profile serves every wave's download.
    exclude : str or sequence of str, optional
        Quality flags whose submissions are rejected (rule ``excluded: <flag>``), beside the
        profile's ``exclude``: any of ``test``, ``speeder``, ``duplicate``, ``straightline``
        (:mod:`~shuangjian_eval.inputs.io.submissions`). Flags are computed for platform
        downloads (a profile with ``platform: wenjuanxing``) and returned in
        ``IngestResult.flags`` whether excluded or not.
    fieldwork_start : date or str, optional
        First day of fieldwork: earlier submissions are flagged ``test`` (default: the
        profile's ``fieldwork_start``).

    Returns
    -------
    IngestResult
        ``data`` (accepted rows, canonical dtypes, derived variables; index ``source_row``),
        ``rejects`` (one row per rejected row and problem) and ``log``.

    Raises
    ------
    IngestError
        For problems with the whole file: unreadable, empty, header only, unknown or mixed
        encoding, encrypted workbook, wrong sheet, merged header, missing required column,
        duplicate columns after mapping, duplicate respondents within a wave, a file without
        weights whose profile does not say ``unweighted: true``.
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> res = load_survey("data/examples/wenjuanxing-parent.xlsx", mapping="wenjuanxing-parent")
    >>> print(res.log.summary())  # doctest: +SKIP
    """
    path = Path(path)
    constants = dict(constants or {})
    for name, value in (("wave", wave), ("county", county)):
        if value is not None:
            if name in constants and constants[name] != value:
                raise IngestError(
                    path, f"{name} is given twice: {value!r} and constants {constants[name]!r}"
                )
            constants[name] = value
    start = fieldwork_start
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            raise IngestError(
                path, f"fieldwork_start must be a date such as 2022-11-14, not {start!r}"
            ) from None
    return _load(path, load_mapping(mapping) if path.exists() else None, sheet=sheet, salt=salt,
                 constants=constants, exclude=check_exclude(exclude),
                 fieldwork_start=start)  # fmt: skip


def load_table(
    path: str | os.PathLike[str],
    codebook: _codebook.Codebook,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = None,
    *,
    folder: str | None = None,
    sheet: str | int | None = None,
    salt: str | bytes | None = None,
    constants: Mapping[str, Any] | None = None,
) -> IngestResult:
    """Read, map, de-identify and validate one file of a table other than the survey (a
    supervision table): the same readers, profiles, identifier checks and row accounting as
    :func:`load_survey`, against the table's ``codebook``.

    Parameters
    ----------
    path : str or path-like
        A .csv, .xlsx, .xls, .dta, .sav or .parquet file.
    codebook : Codebook
        The table's codebook (:meth:`shuangjian_eval.inputs.codebook.Codebook.table`).
    mapping : str, path-like, dict or None
        A bundled profile of ``folder``, a YAML path, a dict, or None (canonical names).
    folder : str, optional
        The folder of the bundled profiles under ``mappings/``.
    sheet, salt, constants : optional
        As :func:`load_survey`.
    """
    path = Path(path)
    profile = load_mapping(mapping, codebook, folder) if path.exists() else None
    return _load(path, profile, sheet=sheet, salt=salt, constants=dict(constants or {}),
                 codebook=codebook)  # fmt: skip


def _load(
    path: Path,
    profile: Profile | None,
    *,
    sheet: str | int | None,
    salt: str | bytes | None,
    constants: dict[str, Any],
    exclude: tuple[str, ...] = (),
    fieldwork_start: dt.date | None = None,
    codebook: _codebook.Codebook | None = None,
) -> IngestResult:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IngestError(path, "is a directory, not a file", "Pass the path of one file.")
    kind = detect_format(path)
    if profile.format and _family(profile.format) != _family(kind):
        raise IngestError(
            path,
            f"the mapping profile {profile.name!r} is for {profile.format} files, but this is "
            f"a {kind} file",
            "Pick the profile made for this format (or none, if the file uses canonical names).",
        )
    raw = read(
        path,
        kind,
        sheet=sheet if sheet is not None else profile.sheet,
        header_rows=profile.header_rows,
        title_rows=profile.title_rows,
    )
    log = IngestLog(file=str(path), format=kind, mapping=profile.name)
    for key in ("encoding", "sheet", "blank_rows_skipped"):
        if raw.meta.get(key) is not None:
            log[key] = raw.meta[key]
    for w in raw.warnings:
        log.warn(w)
    start = profile.fieldwork_start if fieldwork_start is None else fieldwork_start
    excluded = tuple(dict.fromkeys((*profile.exclude, *exclude)))
    return _ingest(
        raw,
        profile,
        path,
        log,
        salt=salt,
        constants=constants,
        exclude=excluded,
        fieldwork_start=start,
        codebook=codebook,
    )


def _family(kind: str) -> str:
    """Formats one profile serves alike: a workbook is a workbook, .xlsx or legacy .xls."""
    return "excel" if kind in ("xlsx", "xls") else kind


def _ingest(
    raw: RawTable,
    profile: Profile,
    path: Path,
    log: IngestLog,
    *,
    salt: str | bytes | None,
    constants: Mapping[str, Any] | None,
    exclude: tuple[str, ...] = (),
    fieldwork_start: dt.date | None = None,
    codebook: _codebook.Codebook | None = None,
) -> IngestResult:
    from .mapping import plan

    found = {}
    for i, header in enumerate(raw.headers):
        reason = identifiers.identifier_reason(header, raw.sample(i))
        if reason:
            found[i] = reason
    site = _Platform(raw, profile, log) if profile.platform == "wenjuanxing" else None
    cp = plan(
        raw.headers,
        profile,
        identifiers=found,
        aliases=site.aliases if site else raw.aliases,
        constants=constants,
        source=str(path),
        codebook=codebook,
        provided=site.provided if site else (),
        taken=site.taken if site else None,
    )
    if site:
        site.choose_download(cp.columns)
    n = raw.n_rows
    inputs: list[tuple[int, ColumnInput]] = []
    for var, i in cp.columns.items():
        ci = ColumnInput(
            variable=var,
            raw_name=raw.headers[i],
            values=site.cells(i) if site else raw.columns[i],
            value_map=site.value_map(var) if site else profile.values.get(var, {}),
            missing=profile.missing + (site.missing if site else ()),
            labels=raw.labels.get(i),
            excel_dates=raw.excel_dates.get(i),
            mask_values=i in found,
        )
        if var == "respondent_id" and i in found:
            ci = _pseudonym_input(raw, i, salt, log)
            log.warn(
                f"column {raw.headers[i]!r} mapped to respondent_id holds identifiers "
                f"({found[i]}): replaced by pseudonyms"
            )
        inputs.append((i, ci))
    if cp.pseudonym_from is not None:
        inputs.append((cp.pseudonym_from, _pseudonym_input(raw, cp.pseudonym_from, salt, log)))
    last = len(raw.headers)
    if site:
        inputs += [(last, ci) for ci in site.choice_inputs()]
        if "respondent_id" in site.provided:
            inputs.append((last, site.submission_key(salt, log)))
    for var, value in cp.constants.items():
        ci = ColumnInput(variable=var, raw_name=f"(constant {var})", constant=value)
        inputs.append((last, ci))
    is_survey = codebook is None or "weight" in codebook
    if (
        is_survey
        and "weight" not in cp.columns
        and "weight" not in cp.constants
        and profile.unweighted
    ):
        ci = ColumnInput(variable="weight", raw_name="(unweighted)", constant=1.0)
        inputs.append((last, ci))
        log.warn(
            "no sampling weights: the profile says 'unweighted: true', so every row has "
            "weight 1.0; estimates describe the sample, not a population"
        )
    inputs.sort(key=lambda pair: pair[0])
    log["columns_mapped"] = {ci.variable: ci.raw_name for _, ci in inputs}
    log["constants"] = dict(cp.constants)
    log["dropped_identifier_columns"] = {raw.headers[i]: r for i, r in cp.dropped.items()}
    log["unmapped_columns"] = [
        raw.headers[i] or f"(blank header, column {i + 1})" for i in cp.unmapped
    ]
    if cp.recomputed:
        log["derived_columns_recomputed"] = [raw.headers[i] for i in cp.recomputed]
    for w in cp.warnings:
        log.warn(w)
    first = [
        (raw.headers[i], raw.columns[i])
        for i in range(min(_TOTALS_COLUMNS, len(raw.headers)))
        if i not in found
    ]
    flags, excluded = None, []
    if site:
        by_var = {ci.variable: ci for _, ci in inputs}
        flags = site.flags(by_var, fieldwork_start)
        excluded = _exclusions(flags, raw.source_row, exclude)
        log["flags"] = {str(k): int(v) for k, v in flags["flag"].value_counts().items()}
        log["excluded"] = list(exclude)
        kept = [f for f in log["flags"] if f not in exclude]
        if kept:
            log.warn(
                "flagged submissions kept in the data ("
                + ", ".join(f"{f} {log['flags'][f]:,}" for f in kept)
                + "): see IngestResult.flags; exclude them with exclude=[...] "
                "(sje ingest --exclude " + ",".join(kept) + ")"
            )
    result = assemble(
        [ci for _, ci in inputs],
        n_rows=n,
        source_row=raw.source_row,
        source=str(path),
        log=log,
        first_columns=first,
        malformed=_malformed_frame(raw, {*found, cp.pseudonym_from} - {None}),
        excluded=excluded,
        check_duplicates=site is None,
        codebook=codebook,
    )
    if flags is not None:
        result.flags = flags
    if raw.meta.get("attrs"):
        result.data.attrs.update(raw.meta["attrs"])
    keep = ("format", "mapping", "download", "rows_in", "accepted", "rejected", "reject_counts")
    keep += ("flags", "excluded", "cells_set_missing")
    record = {"file": path.name, **{k: log[k] for k in keep if log.get(k) not in (None, {}, [])}}
    result.data.attrs["ingest"] = [*result.data.attrs.get("ingest", []), record]
    return result


def _pseudonym_input(
    raw: RawTable, i: int, salt: str | bytes | None, log: IngestLog
) -> ColumnInput:
    key, source = identifiers.resolve_salt(salt)
    if source == "random":
        log.warn(
            "no salt given (salt= or SJE_ID_SALT): pseudonyms use a random salt and will not "
            "link across files"
        )
    col = raw.columns[i]
    values = (
        pd.Series(col.to_pylist(), dtype=object)
        if isinstance(col, (pa.Array, pa.ChunkedArray))
        else pd.Series(col)
    )
    log["pseudonymised"] = {"column": raw.headers[i], "salt_source": source}
    return ColumnInput(
        variable="respondent_id",
        raw_name=raw.headers[i],
        values=identifiers.pseudonymise(values, key),
        mask_values=True,
    )


def _malformed_frame(raw: RawTable, identifiers: set[int]) -> pd.DataFrame | None:
    """Rejects for rows the reader could not parse; identifier fields shown as ``***``."""
    if not raw.malformed:
        return None
    rows, values, messages = [], [], []
    for number, fields, expected in raw.malformed:
        extra = max(0, len(fields) - expected) if expected > 0 else 0
        hidden = {j + k for j in identifiers for k in range(extra + 1)}
        shown = ["***" if j in hidden else f for j, f in enumerate(fields)]
        rows.append(number)
        values.append(raw.delimiter.join(shown))
        if expected < 0:
            messages.append(
                "the file ends in the middle of this row (it is truncated): export it again"
            )
            continue
        what = "truncated line" if len(fields) < expected else "extra delimiters"
        messages.append(
            f"the row has {len(fields)} fields but the header has {expected} ({what}); "
            "fix the line in the file"
        )
    return pd.DataFrame(
        {"source_row": np.asarray(rows, dtype=np.int64), "value": values, "message": messages}
    )


def _exclusions(
    flags: pd.DataFrame, source_row: np.ndarray, exclude: tuple[str, ...]
) -> list[tuple[np.ndarray, str, list[str]]]:
    """Rows to reject for the flags the user excludes: (positions, rule, messages)."""
    out = []
    position = {int(r): k for k, r in enumerate(source_row)}
    for flag in exclude:
        hit = flags[flags["flag"] == flag].drop_duplicates("source_row")
        if len(hit):
            pos = np.array([position[int(r)] for r in hit["source_row"]], dtype=np.int64)
            out.append((pos, f"excluded: {flag}", [str(d) for d in hit["detail"]]))
    return out
