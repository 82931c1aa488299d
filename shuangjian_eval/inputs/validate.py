"""Checks against the codebook: every input row is either accepted or rejected with a reason.

:class:`IngestResult` holds the accepted rows in canonical dtypes with the derived variables
computed, one reject row per (input row, problem), and a log. The readers in
:mod:`shuangjian_eval.inputs.io` hand each mapped column over as a :class:`ColumnInput`; the checks run
column by column on whole arrays (no Python loop over rows, only over distinct unresolved values),
so that a file of millions of rows validates in about the time it takes to read it.

The rules (``rule`` in both frames): ``malformed row`` (wrong number of fields), ``totals row``
(合计/总计/Total in the first columns), ``not a number``, ``not an integer``, ``out of range``
(codebook min/max), ``unknown answer`` (not a category or a mapped answer text), ``Excel date``
(a date cell in a numeric column) and ``missing required value`` (a blank key). A problem in a
key variable (the codebook's required ones: respondent, wave, county, school, grade, weight)
or in the row itself rejects the row (``IngestResult.rejects``); a problem in any other answer
sets that one answer missing and is logged cell by cell (``IngestResult.issues``), so a
respondent is not lost for one unreadable answer. Whole-file problems raise one
:class:`IngestError`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import codebook as _codebook
from . import identifiers
from . import policy as _policy
from .rejects import REJECT_COLUMNS, empty_flags, empty_rejects

if TYPE_CHECKING:
    from .io.columns import ColumnInput

__all__ = [
    "REJECT_COLUMNS",
    "RULES",
    "IngestError",
    "IngestLog",
    "IngestResult",
    "assemble",
    "check_value",
    "validate",
]

RULES = (
    "malformed row",
    "totals row",
    "not a number",
    "not an integer",
    "out of range",
    "unknown answer",
    "Excel date",
    "missing required value",
    "not a date",
    "duplicate key",
    "inconsistent counts",
)
#: columns of ``IngestResult.rejects``: ``column`` is the raw header the user knows,
#: ``variable`` the canonical name it maps to
_MAX_LISTED = 5
#: share of a column's answers that, when unreadable, earns the column a warning in the log
_UNREADABLE_SHARE = 0.2


class IngestError(ValueError):
    """A problem with a whole input file; the message names the file, the problem and the fix.

    Parameters
    ----------
    source : str
        The file (or ``"<DataFrame>"``).
    problem : str
        What is wrong.
    action : str
        What to do about it.
    """

    def __init__(self, source: str, problem: str, action: str = "") -> None:
        self.source = str(source)
        self.problem = problem
        self.action = action
        super().__init__(f"{source}: {problem}." + (f" {action}" if action else ""))


class IngestLog(dict):
    """What happened on ingest, as a dict (for machines) with :meth:`summary` (for people)."""

    def summary(self) -> str:
        """Plain-text account of the ingest: file, format, counts, dropped columns, warnings."""
        g = self.get
        fmt = g("format", "?")
        details = [f"encoding {g('encoding')}" if g("encoding") else ""]
        details.append(f"sheet {g('sheet')!r}" if g("sheet") else "")
        details.append(f"mapping {g('mapping')}")
        lines = [
            f"File: {g('file')}",
            f"Format: {fmt} ({', '.join(d for d in details if d)})",
            f"Rows: {g('rows_in', 0):,} in, {g('accepted', 0):,} accepted, "
            f"{g('rejected', 0):,} rejected",
        ]
        if g("reject_counts"):
            lines.append(
                "Rejects by rule: "
                + ", ".join(f"{k} {v:,}" for k, v in g("reject_counts", {}).items())
            )
        if g("download"):
            lines.append(f"问卷星 download: {g('download')}")
        if g("free_texts_dropped"):
            lines.append(
                _counted(
                    "Typed-in option texts 〖…〗 dropped (never kept)", g("free_texts_dropped")
                )
            )
        if g("submission_key"):
            lines.append(f"Respondent key: {g('submission_key')}")
        if g("flags"):
            excluded = set(g("excluded") or ())
            lines.append(
                "Flagged submissions: "
                + ", ".join(
                    f"{k} {v:,}" + (" (excluded)" if k in excluded else " (kept)")
                    for k, v in g("flags").items()
                )
            )
        if g("cells_set_missing"):
            lines.append(
                _counted("Answers set missing (unreadable, row kept)", g("cells_set_missing"))
            )
        if g("answers_converted"):
            lines.append(
                "Typed answers read: "
                + "; ".join(
                    f"{var} (" + ", ".join(f"{rule} {n:,}" for rule, n in rules.items()) + ")"
                    for var, rules in g("answers_converted").items()
                )
            )
        if g("blank_rows_skipped"):
            lines.append(f"Blank rows skipped: {g('blank_rows_skipped'):,}")
        if g("constants"):
            lines.append(
                "Constants: " + ", ".join(f"{k} = {v}" for k, v in g("constants", {}).items())
            )
        dropped = g("dropped_identifier_columns") or {}
        if dropped:
            lines.append(
                "Identifier columns dropped: " + "; ".join(f"{k} ({v})" for k, v in dropped.items())
            )
        if g("pseudonymised"):
            p = g("pseudonymised")
            lines.append(
                f"Pseudonymised: {p['column']} -> respondent_id (HMAC-SHA256, salt from "
                f"{p['salt_source']})"
            )
        if g("derived_columns_recomputed"):
            lines.append(
                "Derived columns in the file ignored (recomputed): "
                + ", ".join(g("derived_columns_recomputed"))
            )
        if g("unmapped_columns"):
            lines.append("Unmapped columns ignored: " + ", ".join(g("unmapped_columns")))
        for w in g("warnings", []):
            lines.append(f"Warning: {w}")
        return "\n".join(lines)

    def warn(self, message: str) -> None:
        """Add a warning."""
        self.setdefault("warnings", []).append(message)


@dataclass
class IngestResult:
    """Accepted rows, rejects and the log of one ingest.

    Attributes
    ----------
    data : DataFrame
        Accepted rows, codebook columns in canonical dtypes, derived variables computed; the
        index (``source_row``) is each row's position in the file as a user would count it.
    rejects : DataFrame
        One row per (rejected input row, problem), columns :data:`REJECT_COLUMNS`. A row is
        rejected only when a key the analysis cannot do without (a required variable:
        respondent, wave, county, school, grade, weight) cannot be read, or the row itself is
        malformed or a totals row.
    issues : DataFrame
        One row per answer of an accepted row that could not be read and was set missing
        (same columns): an out-of-range or unreadable answer to one question loses that
        answer, not the respondent. ``log["cells_set_missing"]`` counts them per variable.
    log : IngestLog
        ``rows_in == accepted + rejected`` (distinct rejected rows) always holds.
    flags : DataFrame
        Quality flags of online submissions (``source_row``, ``flag``, ``detail``), whether
        the rows were excluded or kept (:mod:`~shuangjian_eval.inputs.io.submissions`).
    """

    data: pd.DataFrame
    rejects: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=empty_rejects)
    log: IngestLog = field(default_factory=IngestLog)
    flags: pd.DataFrame = field(default_factory=empty_flags)

    def summary(self) -> str:
        """The log's summary text."""
        return self.log.summary()

    def __repr__(self) -> str:
        g = self.log.get
        return (
            f"IngestResult(file={g('file')!r}, rows_in={g('rows_in')}, "
            f"accepted={g('accepted')}, rejected={g('rejected')})"
        )


def _counted(what: str, counts: dict[str, int]) -> str:
    """ "what: 12 (a 6, b 6)": a total and its parts."""
    parts = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    return f"{what}: {sum(counts.values()):,} ({parts})"


def _listing(items: list[str], limit: int = _MAX_LISTED) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _string_hash(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each string, vectorised over strings of equal length (a filter only:
    equal hashes are then compared exactly)."""
    arr = pa.array(values.array) if len(values) else pa.array([], pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    wide = pa.types.is_large_string(arr.type)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
    )
    lengths = np.diff(offsets)
    out = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    mult = np.uint64(0x100000001B3)
    for length in np.unique(lengths):
        if length == 0:
            continue
        rows = np.flatnonzero(lengths == length)
        width = -(-int(length) // 8) * 8
        if len(rows) == len(lengths):  # all the same length: one block, no gather
            block = np.zeros((len(rows), width), dtype=np.uint8)
            block[:, :length] = data[offsets[0] : offsets[-1]].reshape(len(rows), int(length))
            h = out
            for word in block.view(np.uint64).T:
                h = (h ^ word) * mult
            out = h
            break
        for lo in range(0, len(rows), 1 << 17):
            part = rows[lo : lo + (1 << 17)]
            block = np.zeros((len(part), width), dtype=np.uint8)
            block[:, :length] = data[offsets[part][:, None] + np.arange(length)]
            h = out[part]
            for word in block.view(np.uint64).T:
                h = (h ^ word) * mult
            out[part] = h
    out ^= out >> np.uint64(33)
    out *= np.uint64(0xFF51AFD7ED558CCD)
    out ^= out >> np.uint64(33)
    return out


def _check_duplicates(
    ids: pd.Series, waves: pd.Series, source_row: np.ndarray, skip: np.ndarray, source: str
) -> None:
    keep = ~skip & ids.notna().to_numpy() & waves.notna().to_numpy()
    if not keep.any():
        return
    ids, waves, rows = ids[keep], waves[keep], source_row[keep]
    wave_num = waves.to_numpy(dtype=np.int64, na_value=0).astype(np.uint64)
    key = _string_hash(ids.astype("string")) ^ (wave_num * np.uint64(0xBF58476D1CE4E5B9))
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        return
    cand = pd.Series(key.view(np.int64)).duplicated(keep=False).to_numpy()
    frame = pd.DataFrame(
        {"id": ids[cand].to_numpy(), "wave": waves[cand].to_numpy(), "row": rows[cand]}
    )
    dup = frame.duplicated(["id", "wave"], keep=False).to_numpy()
    if not dup.any():
        return
    groups = frame[dup].groupby(["id", "wave"], sort=False)["row"]
    parts = []
    for (rid, wave), found in list(groups)[:_MAX_LISTED]:
        parts.append(
            f"respondent {rid!s} in wave {int(wave)} on rows {', '.join(map(str, found.tolist()))}"
        )
    n = groups.ngroups
    raise IngestError(
        source,
        f"duplicate respondents within a wave ({n} respondent-wave pairs appear more than once): "
        + "; ".join(parts)
        + (f"; and {n - _MAX_LISTED} more" if n > _MAX_LISTED else ""),
        "Each respondent may appear once per wave: remove double submissions, or check that "
        "respondent_id and wave are mapped to the right columns.",
    )


def assemble(
    inputs: list[ColumnInput],
    *,
    n_rows: int,
    source_row: np.ndarray,
    source: str,
    log: IngestLog,
    first_columns: list[tuple[str, pa.Array]] = (),
    malformed: pd.DataFrame | None = None,
    codebook: _codebook.Codebook | None = None,
    policy: _policy.Policy | None = None,
    excluded: list[tuple[np.ndarray, str, list[str]]] = (),
    check_duplicates: bool = True,
) -> IngestResult:
    """Check mapped columns against the codebook and build the :class:`IngestResult`.

    Parameters
    ----------
    inputs : list of ColumnInput
        One per canonical variable present (raw values, answer map, missing codes).
    n_rows : int
        Number of parsed data rows (``len`` of every input).
    source_row : ndarray of int
        The row number a user would see for each parsed row.
    source : str
        The file, for messages.
    log : IngestLog
        Log started by the reader; counts and warnings are added.
    first_columns : list of (str, pyarrow.Array)
        Raw text of the first columns of the file, to find totals rows.
    malformed : DataFrame, optional
        Rows the reader could not parse (``source_row``, ``value``, ``message``); each is a
        reject with rule ``malformed row`` and counts in ``rows_in``.
    codebook, policy : optional
        Defaults to the bundled ones.
    excluded : list of (positions, rule, messages)
        Rows the user excluded (flagged submissions): rejected with that rule.
    check_duplicates : bool
        Refuse a file with duplicate respondents within a wave (False when the platform's
        quality flags report them instead).

    Returns
    -------
    IngestResult
    """
    from .io.columns import Rejects, check_column, totals_rows

    cb = codebook or _codebook.load()
    source_row = np.asarray(source_row, dtype=np.int64)
    if len(source_row) != n_rows:
        raise RuntimeError("internal error: source_row does not match the number of rows")
    rejects = Rejects()
    totals = totals_rows(first_columns, n_rows, rejects)
    for pos, rule, messages in excluded:
        rejects.add(pos, "(submission)", None, [""] * len(pos), rule, messages)
    by_name = {ci.variable: ci for ci in inputs}
    columns: dict[str, pd.Series] = {}

    def checked(ci: Any) -> tuple[pd.Series, bool, Rejects]:
        found = Rejects()  # one per column, gathered below in column order
        values, all_missing = check_column(ci, cb[ci.variable], n_rows, found, skip=totals)
        return values, all_missing, found

    # columns are checked side by side: the work is NumPy's and Arrow's, which let go of the GIL
    with ThreadPoolExecutor(max_workers=min(len(inputs), os.cpu_count() or 1) or 1) as pool:
        checked_columns = list(pool.map(checked, inputs))
    cells = Rejects()  # answers that could not be read: set missing, the row is kept
    for ci, (values, all_missing, found) in zip(inputs, checked_columns, strict=True):
        var = cb[ci.variable]
        (rejects if var.required else cells).extend(found)
        if all_missing and n_rows:
            what = f"column {ci.raw_name!r} (mapped to {var.name})"
            if var.required:
                raise IngestError(
                    source,
                    f"{what} is required but every value is missing",
                    "Check that the right column is mapped, or fill it in.",
                )
            log.warn(f"{what} is all missing")
        columns[ci.variable] = values
    if check_duplicates and "respondent_id" in columns and "wave" in columns:
        _check_duplicates(columns["respondent_id"], columns["wave"], source_row, totals, source)
    bad_rows = rejects.rows()
    accepted = np.ones(n_rows, dtype=bool)
    accepted[bad_rows] = False
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_rows))
    if not accepted.all():
        frame = frame.loc[accepted]
    frame.index = pd.Index(source_row[accepted], name="source_row")
    frame = _codebook.derive(frame, policy, cb)
    frame = frame[[v for v in cb.names if v in frame.columns]]
    _check_dtypes(frame, cb)
    rej = rejects.frame(source_row, malformed)
    rej = _mask_identifier_values(rej, by_name)
    issues = cells.frame(source_row, None)
    issues = _mask_identifier_values(
        issues[issues["source_row"].isin(frame.index)].reset_index(drop=True), by_name
    )
    set_missing = issues["variable"].value_counts()
    set_missing = {str(k): int(v) for k, v in set_missing.items()}
    for var_name, count in set_missing.items():
        ci = by_name[var_name]
        answered = int(columns[var_name].notna().sum()) + count
        if answered and count / answered >= _UNREADABLE_SHARE:
            rules = issues.loc[issues["variable"] == var_name, "rule"].value_counts()
            log.warn(
                f"column {ci.raw_name!r} (mapped to {var_name}): {count:,} of {answered:,} "
                f"answers could not be read and were set missing ("
                + ", ".join(f"{k} {v:,}" for k, v in rules.items())
                + "): check the mapping profile's answers for this column"
            )
    rows_in = n_rows + (0 if malformed is None else len(malformed))
    n_rejected = int(rej["source_row"].nunique())
    if rows_in != len(frame) + n_rejected:
        raise RuntimeError(
            f"internal error: rows_in {rows_in} != accepted {len(frame)} + rejected {n_rejected}"
        )
    counts = rej.drop_duplicates(["source_row", "rule"])["rule"].value_counts()
    log.update(
        rows_in=rows_in,
        accepted=len(frame),
        rejected=n_rejected,
        reject_counts={str(k): int(v) for k, v in counts.items()},
        cells_set_missing=set_missing,
        answers_converted=_converted(cells.notes, rejects.notes),
        derived=[v for v in cb.derived if v in frame.columns],
    )
    return IngestResult(data=frame, rejects=rej, issues=issues, log=log)


def _converted(*notes: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    """Typed answers read by a rule, per variable and rule ("range midpoint": 12)."""
    out: dict[str, dict[str, int]] = {}
    for part in notes:
        for (variable, rule), count in part.items():
            out.setdefault(variable, {})[rule] = out.get(variable, {}).get(rule, 0) + count
    return out


def _mask_identifier_values(rej: pd.DataFrame, by_name: dict[str, ColumnInput]) -> pd.DataFrame:
    if rej.empty:
        return rej
    masked = {ci.variable for ci in by_name.values() if ci.mask_values}
    value, message = rej["value"].astype("string"), rej["message"].astype("string")
    if masked:
        hide = rej["variable"].isin(list(masked)).fillna(False).to_numpy()
        for k in np.flatnonzero(hide):
            if pd.notna(value.iloc[k]) and value.iloc[k]:
                message.iloc[k] = message.iloc[k].replace(value.iloc[k], "***")
        value = value.mask(hide, "***")
    rej["value"] = identifiers.mask_identifiers(value)
    rej["message"] = identifiers.mask_identifiers(message)
    return rej


def _check_dtypes(frame: pd.DataFrame, cb: _codebook.Codebook) -> None:
    want = _codebook.cast(frame.head(0), cb).dtypes
    for col, dtype in frame.dtypes.items():
        if str(dtype) != str(want[col]):
            raise RuntimeError(f"internal error: {col} has dtype {dtype}, canonical {want[col]}")


def validate(
    df: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    codebook: _codebook.Codebook | None = None,
) -> IngestResult:
    """Validate a DataFrame that already uses canonical names (for example from ``synth``).

    Codebook columns are checked and cast; other columns are ignored (listed in the log);
    derived columns are recomputed. Row numbers in the rejects are 1-based positions.

    Parameters
    ----------
    df : DataFrame
        Canonical-named data, any dtypes (text is parsed as on ingest).
    source : str
        Name used in messages.
    codebook : Codebook, optional

    Returns
    -------
    IngestResult

    Raises
    ------
    IngestError
        When a required column is missing or entirely blank, or a respondent appears twice in
        a wave.
    """
    from .io.columns import ColumnInput

    cb = codebook or _codebook.load()
    log = IngestLog(file=source, format="DataFrame", mapping="canonical")
    if len(df) == 0:
        raise IngestError(source, "no data rows", "Nothing to validate.")
    missing = [v for v in cb.required if v not in df.columns]
    if missing:
        raise IngestError(
            source, f"missing required columns: {', '.join(missing)}", "Add them to the data."
        )
    inputs = [
        ColumnInput(variable=c, raw_name=c, values=df[c])
        for c in df.columns
        if c in cb and not cb[c].derived
    ]
    ignored = [str(c) for c in df.columns if c not in cb]
    if ignored:
        log["unmapped_columns"] = ignored
    recomputed = [str(c) for c in df.columns if c in cb and cb[c].derived]
    if recomputed:
        log["derived_columns_recomputed"] = recomputed
    n = len(df)
    return assemble(
        inputs,
        n_rows=n,
        source_row=np.arange(1, n + 1),
        source=source,
        log=log,
        codebook=cb,
    )


def check_value(variable: str, value: Any, codebook: _codebook.Codebook | None = None) -> Any:
    """Check one value (a profile constant such as ``wave: 2022``) against the codebook.

    Parameters
    ----------
    variable : str
        Canonical name.
    value : Any
        The value as written (a number, a category code or label, true/false).

    Returns
    -------
    The canonical value.

    Raises
    ------
    ValueError
        When the value is not valid for the variable; the message says why.
    """
    from .io.columns import check_constant

    return check_constant((codebook or _codebook.load())[variable], value)
