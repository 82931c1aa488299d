"""Raw cells of one mapped column to canonical values, with the codebook's checks on the way.

Text cells are trimmed (blank is missing), looked up in the mapping profile's answer map first,
then parsed as numbers or looked up as built-in answer texts (the codebook's category codes and
zh/en labels, ``是``/``否``); typed answers to numeric questions ("1小时30分钟", "1.5万", "30-40")
are read by :mod:`~shuangjian_eval.inputs.io.answers` and counted by rule; Stata/SPSS codes are looked up directly or through their value labels. Missing codes
become NA. Then the codebook rules: whole numbers, min/max, known categories, Excel dates.
Everything runs on whole arrays; Python only loops over the *distinct* values that need a
lookup (answer texts, codes), never over rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import codebook as _codebook
from ..rejects import REJECT_COLUMNS, empty_rejects
from .answers import read_typed

__all__ = ["ColumnInput", "Rejects", "check_column", "date_of", "normalise_answer", "totals_rows"]

_OK, _MISSING, _BAD = 0, 1, 2
_Result = tuple[int, Any, str, str]  # (status, canonical value, rule, message)
_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_TOTALS_RE = (
    r"^[\s\x{3000}]*(?:合计|总计|小计|共计|总和|(?i:(?:grand\s+)?(?:sub)?totals?\b|sum\s*$))"
)
_BOOL_WORDS = {
    **dict.fromkeys(["true", "t", "yes", "y", "1", "是", "有"], True),
    **dict.fromkeys(["false", "f", "no", "n", "0", "否", "无", "没有"], False),
}
_MAX_KNOWN = 15
_TOTALS_PREFIXES = {  # byte length -> first UTF-8 bytes of a totals label (a filter only)
    1: pa.array([b" ", b"\t"], pa.binary()),
    2: pa.array(
        [
            (a + b).encode()
            for w in ("to", "gr", "su")
            for a in w[0] + w[0].upper()
            for b in w[1] + w[1].upper()
        ]
        + [ch.encode()[:2] for ch in "\u3000合总小共"],
        pa.binary(),
    ),
}


def normalise_answer(text: Any) -> str:
    """Key under which answer texts are compared: NFKC (full-width to half-width), no
    whitespace, case-folded. ``"　非常 焦虑 "`` and ``"非常焦虑"`` compare equal."""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"\s+", "", t)


@dataclass
class ColumnInput:
    """One mapped column on its way to a canonical variable.

    Attributes
    ----------
    variable : str
        Canonical name.
    raw_name : str
        The header the user knows (shown in rejects).
    values : pyarrow array, Series or ndarray, optional
        Raw cells: text (blank or null is missing) or numbers (NaN is missing).
    constant : Any
        Used instead of ``values`` for a profile constant such as ``wave: 2022``.
    value_map : mapping
        Answer text or code -> canonical value (``"高三": 12``, ``1: true``).
    missing : tuple
        Extra missing codes and texts (``-1``, ``"不知道"``), beside the codebook's.
    labels : mapping, optional
        Value labels of a Stata/SPSS column (code -> label); labels can be mapped like answers.
    excel_dates : ndarray of bool, optional
        Cells that were Excel dates.
    mask_values : bool
        Values identify people: never shown in rejects.
    """

    variable: str
    raw_name: str
    values: Any = None
    constant: Any = None
    value_map: Mapping[Any, Any] = field(default_factory=dict)
    missing: tuple[Any, ...] = ()
    labels: Mapping[Any, str] | None = None
    excel_dates: np.ndarray | None = None
    mask_values: bool = False


class Rejects:
    """Collects rejects column by column; one entry per (row, column) at most."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, str, str | None, list[str], str, list[str]]] = []
        #: (variable, rule) -> answers read by a typed-answer rule (kept, not rejected)
        self.notes: dict[tuple[str, str], int] = {}

    def note(self, variable: str, rule: str, count: int) -> None:
        """Count answers of ``variable`` read by ``rule`` ("range midpoint", ...)."""
        if count:
            self.notes[variable, rule] = self.notes.get((variable, rule), 0) + count

    def add(
        self,
        pos: np.ndarray,
        column: str,
        variable: str | None,
        values: list[str],
        rule: str,
        messages: list[str],
    ) -> None:
        if len(pos):
            self._parts.append(
                (np.asarray(pos, np.int64), column, variable, values, rule, messages)
            )

    def extend(self, other: Rejects) -> None:
        """Add the rejects (and notes) collected by ``other``, after these."""
        self._parts.extend(other._parts)
        for key, count in other.notes.items():
            self.notes[key] = self.notes.get(key, 0) + count

    def rows(self) -> np.ndarray:
        if not self._parts:
            return np.array([], dtype=np.int64)
        return np.unique(np.concatenate([p[0] for p in self._parts]))

    def frame(self, source_row: np.ndarray, malformed: pd.DataFrame | None) -> pd.DataFrame:
        """All rejects, sorted by row: columns :data:`~shuangjian_eval.inputs.validate.REJECT_COLUMNS`."""
        frames = []
        for pos, column, variable, values, rule, messages in self._parts:
            frames.append(
                pd.DataFrame(
                    {
                        "source_row": source_row[pos],
                        "column": column,
                        "variable": variable,
                        "value": list(values),
                        "rule": rule,
                        "message": list(messages),
                    }
                )
            )
        if malformed is not None and len(malformed):
            frames.append(malformed.assign(column=None, variable=None, rule="malformed row"))
        if not frames:
            return empty_rejects()
        out = pd.concat(frames, ignore_index=True)[REJECT_COLUMNS]
        out = out.sort_values("source_row", kind="stable", ignore_index=True)
        out["source_row"] = out["source_row"].astype("int64")
        for c in REJECT_COLUMNS[1:]:
            out[c] = out[c].astype("string")
        return out


def check_constant(var: _codebook.Variable, value: Any) -> Any:
    """One value (a profile constant such as ``wave: 2022``) through the checks of
    :func:`check_column`; returns the canonical value
    (:func:`shuangjian_eval.inputs.validate.check_value` by variable name).

    Raises
    ------
    ValueError
        When the value is not valid for the variable; the message says why.
    """
    if var.derived:
        raise ValueError(f"{var.name} is derived from other variables; it cannot be set")
    rejects = Rejects()
    ci = ColumnInput(variable=var.name, raw_name=var.name, values=pd.Series([value], dtype=object))
    series, _ = check_column(ci, var, 1, rejects, skip=np.zeros(1, dtype=bool))
    if len(rejects.rows()):
        msg = rejects.frame(np.array([1]), None)["message"].iloc[0]
        raise ValueError(f"{var.name}: {msg}")
    out = series.iloc[0]
    if pd.isna(out):
        raise ValueError(f"{var.name}: {value!r} is a missing-value code, not a value")
    return out.item() if hasattr(out, "item") else out


def _source(values: Any) -> tuple[pa.ChunkedArray | None, np.ndarray | None]:
    """Raw text (a chunked string array, untrimmed) or numbers (float, NaN missing)."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values], type=values.type)
    if isinstance(values, pa.ChunkedArray):
        t = values.type
        if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t):
            num = pc.cast(values, pa.float64()).to_numpy()
            return None, np.asarray(num, dtype=float)
        if pa.types.is_dictionary(t):
            values = values.cast(t.value_type)
        if not pa.types.is_string(values.type):
            values = values.cast(pa.string())
        return values, None
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return None, s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    text = pa.array(s.astype("string"), type=pa.string(), from_pandas=True)
    return pa.chunked_array([text], type=pa.string()), None


def _parse_numbers(raw: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of a text column (NaN where missing or not a plain number) and the present
    cells that are not plain numbers (answer texts, "12岁", padded or full-width digits)."""
    try:
        values = np.array(pc.cast(raw, pa.float64()).to_numpy(), dtype=float)  # writable copy
    except pa.ArrowInvalid:
        trimmed = pc.utf8_trim_whitespace(raw)
        ok = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER_RE), False)
        clean = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
        values = np.array(pc.cast(clean, pa.float64()).to_numpy(), dtype=float)
        present = pc.is_valid(raw).to_numpy()
        return values, present & ~ok.to_numpy()
    nan = np.isnan(values)
    if raw.null_count == len(raw) or not nan.any():
        return values, np.zeros(len(values), dtype=bool)
    return values, nan & pc.is_valid(raw).to_numpy()


def _encode(raw: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Distinct values and each row's index into them (-1 for null)."""
    enc = raw.dictionary_encode()
    if enc.num_chunks == 0:
        return [], np.empty(0, dtype=np.int64)
    words = max((c.dictionary for c in enc.chunks), key=len).to_pylist()
    indices = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
    return words, pc.fill_null(indices, -1).to_numpy().astype(np.int64)


def _number_of(text: str) -> float | None:
    t = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(_NUMBER_RE, t):
        x = float(t)
        return x if np.isfinite(x) else None
    return None


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)) and np.isfinite(x) and float(x).is_integer():
        return str(int(x))
    return str(x)


class _Resolver:
    """Resolves one distinct raw value (text or code) to a canonical value, missing, or a reject."""

    def __init__(self, ci: ColumnInput, var: _codebook.Variable) -> None:
        self.var = var
        self.kind = "number" if var.is_numeric else ("bool" if var.dtype == "bool" else var.dtype)
        self.text_map: dict[str, Any] = {}
        known: list[str] = []
        if var.dtype == "bool":
            self.text_map.update(_BOOL_WORDS)
            for lab, val in ((var.true_label, True), (var.false_label, False)):
                for t in (lab or {}).values():
                    self.text_map[normalise_answer(t)] = val
            known += ["是", "否", "true", "false", "1", "0"]
        elif var.categories:
            for code, labs in var.categories.items():
                for t in (code, *labs.values()):
                    self.text_map[normalise_answer(t)] = code
                known += [code, labs["zh"]]
        # the profile's answers come before the built-in words: a profile that codes
        # {0: true, 1: false} (YAML numbers) or {"1": true} overrides "1" = 是 and "0" = 否
        self.num_map: dict[float, Any] = {}
        self.profile_text: dict[str, Any] = {}
        profile_known = []
        for k, v in ci.value_map.items():
            if isinstance(k, str):
                self.profile_text[normalise_answer(k)] = v
                profile_known.append(k)
            else:
                self.num_map[float(k)] = v
                profile_known.append(_fmt(k))
        self.mapped = bool(profile_known)
        self.known = profile_known + [k for k in known if k not in profile_known]
        self.missing_texts = {normalise_answer(m) for m in ci.missing if isinstance(m, str)}
        self.missing_numbers = {
            float(m) for m in (*var.missing_codes, *ci.missing) if not isinstance(m, str)
        }
        self.labels = {float(k): str(v) for k, v in (ci.labels or {}).items()}

    def unknown(self, shown: str) -> _Result:
        if self.kind == "number" and not self.mapped:
            unit = f" ({self.var.unit})" if self.var.unit else ""
            return _BAD, None, "not a number", f"{shown!r} is not a number{unit}"
        listed = ", ".join(map(str, self.known[:_MAX_KNOWN]))
        more = ", ..." if len(self.known) > _MAX_KNOWN else ""
        return (
            _BAD,
            None,
            "unknown answer",
            f"{shown!r} is not a known answer for {self.var.name}; known answers: {listed}{more}",
        )

    def text(self, u: str) -> _Result:
        key = normalise_answer(u)
        if not key or key in self.missing_texts:
            return _MISSING, None, "", ""
        if key in self.profile_text:
            return _OK, self.profile_text[key], "", ""
        x = _number_of(u)
        if x is not None and (x in self.num_map or x in self.missing_numbers):
            return self.number(x)
        if key in self.text_map:
            return _OK, self.text_map[key], "", ""
        if x is not None:
            return self.number(x)
        if self.kind == "number":
            typed = read_typed(u, self.var.unit)  # "1小时30分钟", "1.5万", "30-40"
            if typed is not None:
                status, value, _, _ = self.number(typed[0])
                if status == _OK:
                    return _OK, value, typed[1], ""
        if self.kind in ("string", "category") and not self.var.categories:
            return _OK, u.strip(), "", ""
        return self.unknown(u)

    def number(self, x: float) -> _Result:
        if x in self.missing_numbers:
            return _MISSING, None, "", ""
        if x in self.num_map:
            return _OK, self.num_map[x], "", ""
        label = self.labels.get(x)
        if label is not None:
            key = normalise_answer(label)
            if key in self.missing_texts:
                return _MISSING, None, "", ""
            if key in self.profile_text:
                return _OK, self.profile_text[key], "", ""
            if key in self.text_map:
                return _OK, self.text_map[key], "", ""
        if self.kind == "number":
            return _OK, x, "", ""
        if self.kind == "bool" and x in (0.0, 1.0):
            return _OK, bool(x), "", ""
        if self.kind in ("string", "category") and not self.var.categories:
            return _OK, label if label is not None else _fmt(x), "", ""
        key = normalise_answer(_fmt(x))
        if key in self.profile_text:
            return _OK, self.profile_text[key], "", ""
        if key in self.text_map:
            return _OK, self.text_map[key], "", ""
        return self.unknown(_fmt(x) + (f" ({label})" if label else ""))


class _Flags:
    """Per-column reject bookkeeping: the first problem found in a cell wins."""

    def __init__(self, ci: ColumnInput, n: int, skip: np.ndarray, rejects: Rejects) -> None:
        self.ci, self.rejects = ci, rejects
        self.done = skip.copy()

    def add(self, mask: np.ndarray, shown: list[str], rule: str, messages: list[str]) -> None:
        pos = np.flatnonzero(mask & ~self.done)
        if not len(pos):
            return
        keep = ~self.done[mask]
        shown = [s for s, k in zip(shown, keep, strict=True) if k]
        messages = [m for m, k in zip(messages, keep, strict=True) if k]
        self.done[pos] = True
        self.rejects.add(pos, self.ci.raw_name, self.ci.variable, shown, rule, messages)

    @property
    def flagged(self) -> np.ndarray:
        return self.done

    @property
    def any(self) -> bool:
        return bool(self.done.any())


def _resolve_distinct(
    res: _Resolver, raw: pa.ChunkedArray | None, num: np.ndarray | None, mask: np.ndarray | None
) -> tuple[np.ndarray, list[_Result], list[str]]:
    """Resolve each distinct value (of the rows at ``mask``, default all): each row's index
    into the distinct values (-1 where null or not selected), the results, the shown texts."""
    n = len(raw) if raw is not None else len(num)
    sel = mask if mask is not None and not mask.all() else None
    if raw is not None:
        words, codes = _encode(raw if sel is None else raw.filter(pa.array(sel)))
        results = [res.text(u) for u in words]
        shown = words
    else:
        sub = num if sel is None else num[sel]
        ok = ~np.isnan(sub)
        uniq = np.unique(sub[ok])
        codes = np.full(len(sub), -1, dtype=np.int64)
        codes[ok] = np.searchsorted(uniq, sub[ok])
        results = [res.number(float(x)) for x in uniq]
        shown = [_fmt(float(x)) for x in uniq]
    if sel is None:
        return codes, results, shown
    idx = np.full(n, -1, dtype=np.int64)
    idx[sel] = codes
    return idx, results, shown


def _flag_bad(flags: _Flags, idx: np.ndarray, results: list[_Result], shown: list[str]) -> None:
    for i, r in enumerate(results):
        if r[0] == _BAD:
            m = idx == i
            count = int(m.sum())
            flags.add(m, [shown[i]] * count, r[2], [r[3]] * count)


def _check_numeric(
    ci: ColumnInput,
    var: _codebook.Variable,
    res: _Resolver,
    raw: pa.ChunkedArray | None,
    num: np.ndarray | None,
    n: int,
    flags: _Flags,
) -> pd.Series:
    if num is None:
        num, unresolved = _parse_numbers(raw)
    else:
        num, unresolved = num.copy(), np.zeros(n, dtype=bool)
    if res.num_map or res.labels:
        keys = np.array(sorted(set(res.num_map) | set(res.labels)), dtype=float)
        unresolved |= np.isin(num, keys)
    missing = np.isin(num, list(res.missing_numbers)) & ~unresolved
    if unresolved.any():
        idx, results, shown = _resolve_distinct(res, raw, num if raw is None else None, unresolved)
        values = np.array([r[1] if r[0] == _OK else np.nan for r in results] + [np.nan], float)
        num[unresolved] = values[idx[unresolved]]
        _flag_bad(flags, idx, results, shown)
        for i, r in enumerate(results):
            if r[0] == _OK and r[2]:  # read by a typed-answer rule: counted in the log
                flags.rejects.note(ci.variable, r[2], int((idx == i).sum()))
    if missing.any():
        num[missing] = np.nan
    present = ~np.isnan(num)
    shown = _shown(raw, num)
    bad = present & ~np.isfinite(num)
    if bad.any():
        flags.add(bad, shown(bad), "not a number", [f"{v!r} is not a number" for v in shown(bad)])
    if var.dtype.startswith("int"):
        frac = present & (num != np.floor(num))
        if frac.any():
            msgs = [
                f"{v} is not a whole number ({var.name} is a count or code)" for v in shown(frac)
            ]
            flags.add(frac, shown(frac), "not an integer", msgs)
    with np.errstate(invalid="ignore"):
        if var.min is not None:
            low = present & ((num <= var.min) if var.min_exclusive else (num < var.min))
            if low.any():
                word = "must be above" if var.min_exclusive else "is below the minimum"
                msgs = [f"{v} {word} {_fmt(var.min)} for {var.name}" for v in shown(low)]
                flags.add(low, shown(low), "out of range", msgs)
        if var.max is not None:
            high = present & (num > var.max)
            if high.any():
                msgs = [
                    f"{v} is above the maximum {_fmt(var.max)} for {var.name}" for v in shown(high)
                ]
                flags.add(high, shown(high), "out of range", msgs)
    if flags.any:
        num[flags.flagged] = np.nan
    if var.pandas_dtype.startswith("Int"):
        return pd.Series(pd.array(num, dtype=var.pandas_dtype))
    return pd.Series(num.astype(var.pandas_dtype, copy=False))


def _shown(
    raw: pa.ChunkedArray | None, num: np.ndarray | None
) -> Callable[[np.ndarray], list[str]]:
    def shown(mask: np.ndarray) -> list[str]:
        if raw is not None:
            return ["" if v is None else v for v in raw.filter(pa.array(mask)).to_pylist()]
        return [_fmt(float(x)) for x in num[mask]]

    return shown


def _check_choice(
    ci: ColumnInput,
    var: _codebook.Variable,
    res: _Resolver,
    raw: pa.ChunkedArray | None,
    num: np.ndarray | None,
    n: int,
    flags: _Flags,
) -> pd.Series:
    """bool, category and string targets."""
    if (
        raw is not None
        and var.dtype == "string"
        and not (res.text_map or res.profile_text or res.num_map)
    ):
        trimmed = pc.utf8_trim_whitespace(raw)
        missing = {""} | {m for m in ci.missing if isinstance(m, str)}
        missing |= {_fmt(x) for x in res.missing_numbers}
        drop = pc.is_in(trimmed, value_set=pa.array(sorted(missing), pa.string()))
        if flags.any:
            drop = pc.or_(drop, pa.array(flags.flagged))
        values = pc.if_else(drop, pa.scalar(None, pa.string()), trimmed)
        return pd.Series(pd.arrays.ArrowStringArray(values.combine_chunks()))
    idx, results, shown = _resolve_distinct(res, raw, num, None)
    _flag_bad(flags, idx, results, shown)
    ok = np.array([r[0] == _OK for r in results] + [False])
    good = ok[idx]
    if flags.any:
        good &= ~flags.flagged
    if var.dtype == "bool":
        truth = np.array([bool(r[1]) if r[0] == _OK else False for r in results] + [False])
        return pd.Series(pd.arrays.BooleanArray(truth[idx] & good, ~good))
    if var.categories:
        cats = list(var.categories)
        pos = np.array([cats.index(r[1]) if r[0] == _OK else -1 for r in results] + [-1])
        codes = np.where(good, pos[idx], -1)
        return pd.Series(pd.Categorical.from_codes(codes, categories=cats, ordered=var.ordered))
    canon = [str(r[1]) if r[0] == _OK else "" for r in results]
    words, inverse = np.unique(np.array(canon + [""], dtype=object), return_inverse=True)
    codes = np.where(good, inverse[idx], -1)
    if var.dtype == "string":
        values = np.array(words, dtype=object)[np.maximum(codes, 0)]
        values[codes < 0] = None
        return pd.Series(pd.array(values, dtype="string"))
    # drop the "" placeholder from the categories
    keep = np.array([w != "" for w in words])
    remap = np.cumsum(keep) - 1
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    cats = pd.Index([w for w in words if w != ""])
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats)))


def check_column(
    ci: ColumnInput,
    var: _codebook.Variable,
    n: int,
    rejects: Rejects,
    *,
    skip: np.ndarray,
) -> tuple[pd.Series, bool]:
    """Canonical values of one column (NA where missing or rejected) and whether it is all missing.

    Parameters
    ----------
    ci : ColumnInput
    var : Variable
        The codebook entry of ``ci.variable``.
    n : int
        Number of rows.
    rejects : Rejects
        Problems found are added here, one per cell at most.
    skip : ndarray of bool
        Rows already rejected as a whole (totals rows): not checked again.
    """
    if ci.values is None:
        value = check_constant(var, ci.constant)
        one = ColumnInput(var.name, var.name, values=pd.Series([value], dtype=object))
        single, _ = check_column(one, var, 1, Rejects(), skip=np.zeros(1, dtype=bool))
        return single.take(np.zeros(n, dtype=np.int64)).reset_index(drop=True), False
    raw, num = _source(ci.values)
    flags = _Flags(ci, n, skip, rejects)
    if var.dtype == "date":  # an Excel date cell is a date here
        out = _check_date(ci, var, raw, num, flags)
        na = out.isna().to_numpy()
        all_missing = bool(na.all()) and not (flags.flagged & ~skip).any()
        _check_required(var, na, raw, num, flags, all_missing)
        return out, all_missing
    res = _Resolver(ci, var)
    if ci.excel_dates is not None and ci.excel_dates.any():
        dates = np.asarray(ci.excel_dates, dtype=bool)
        shown = _shown(raw, num)(dates)
        msgs = [
            f"cell is an Excel date ({v}), not a value for {var.name}; the column was probably "
            "formatted as a date in Excel: format it as a number and export again"
            for v in shown
        ]
        flags.add(dates, shown, "Excel date", msgs)
    if var.is_numeric:
        out = _check_numeric(ci, var, res, raw, num, n, flags)
    else:
        out = _check_choice(ci, var, res, raw, num, n, flags)
    na = out.isna().to_numpy()
    all_missing = bool(na.all()) and not (flags.flagged & ~skip).any()
    _check_required(var, na, raw, num, flags, all_missing)
    return out, all_missing


def _check_required(
    var: _codebook.Variable, na: np.ndarray, raw: pa.ChunkedArray | None,
    num: np.ndarray | None, flags: _Flags, all_missing: bool,
) -> None:  # fmt: skip
    if var.required and not var.missing_codes and not all_missing:
        blank = na & ~flags.flagged
        if blank.any():
            shown = _shown(raw, num)(blank)
            msg = f"{var.name} is required and may not be blank or a missing code"
            flags.add(blank, shown, "missing required value", [msg] * len(shown))


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?(?:\.0+)?)?$"
)


def date_of(text: str) -> pd.Timestamp | None:
    """A day written as 2021-11-15, 2021/11/15, 2021.11.15 or 2021年11月15日 (an Excel date cell
    reads as 2021-11-15 00:00:00); None for anything else, or a day that does not exist."""
    m = _DATE_RE.match(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    try:
        return pd.Timestamp(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _check_date(
    ci: ColumnInput, var: _codebook.Variable, raw: pa.ChunkedArray | None,
    num: np.ndarray | None, flags: _Flags,
) -> pd.Series:  # fmt: skip
    """date targets: ISO and Chinese day formats, Excel date cells; anything else is rejected
    (rule ``not a date``)."""
    if raw is None:  # numbers are not days (an Excel serial number would be a guess)
        raw = pa.chunked_array(
            [pa.array([None if np.isnan(x) else _fmt(x) for x in num], pa.string())]
        )
    words, idx = _encode(raw)
    missing = {normalise_answer(m) for m in ci.missing if isinstance(m, str)}
    days: list[Any] = []
    for w in words:
        day = None if normalise_answer(w) in missing or not w.strip() else date_of(w)
        days.append(day)
        if day is None and w.strip() and normalise_answer(w) not in missing:
            m = idx == len(days) - 1
            count = int(m.sum())
            msg = f"{w!r} is not a date such as 2021-11-15 or 2021年11月15日 ({var.name})"
            flags.add(m, [w] * count, "not a date", [msg] * count)
    values = np.array([*days, None], dtype=object)[idx]
    out = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
    if flags.any:
        out[flags.flagged] = pd.NaT
    return out


def totals_rows(first_columns: Sequence[tuple[str, Any]], n: int, rejects: Rejects) -> np.ndarray:
    """Rows whose first columns say 合计/总计/小计/Total: rejected once as ``totals row``."""
    mask = np.zeros(n, dtype=bool)
    for name, values in first_columns:
        raw, _ = _source(values)
        if raw is None:
            continue
        # the regex only runs on rows whose first bytes could start a totals label
        data = raw.cast(pa.binary())
        cand = None
        for width, starts in _TOTALS_PREFIXES.items():
            hit_prefix = pc.is_in(pc.binary_slice(data, 0, width), value_set=starts)
            cand = hit_prefix if cand is None else pc.or_(cand, hit_prefix)
        cand = pc.fill_null(cand, False)
        if not pc.any(cand).as_py():
            continue
        hit = pc.match_substring_regex(raw.filter(cand), _TOTALS_RE)
        hit_rows = np.flatnonzero(cand.to_numpy())[pc.fill_null(hit, False).to_numpy()]
        hit = np.zeros(n, dtype=bool)
        hit[hit_rows] = True
        hit &= ~mask
        if hit.any():
            shown = raw.filter(pa.array(hit)).to_pylist()
            msgs = [
                f"looks like a totals row ({v.strip()!r} in column {name!r}); totals are not "
                "respondents: delete the row from the file"
                for v in shown
            ]
            rejects.add(np.flatnonzero(hit), name, None, shown, "totals row", msgs)
            mask |= hit
    return mask
