"""Shared pieces of the survey package: column-name arguments and factorised domains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Names = str | Sequence[str]


@dataclass(frozen=True)
class _Domains:
    """Factorised domains of one ``by`` specification, with (PSU, domain) and (stratum, domain)
    groupings. Rows outside every domain carry code ``size`` / ``n_pd``."""

    columns: list[str]
    labels: pd.DataFrame  # one row per domain, in sorted order
    code: np.ndarray  # (n,) domain of each row, ``size`` when undefined
    inside: np.ndarray  # (n,) bool: row belongs to a domain
    size: int
    pd_id: np.ndarray  # (n,) (PSU, domain) combination of each row, ``n_pd`` when undefined
    n_pd: int
    pd_dom: np.ndarray  # (n_pd,)
    pd_hd: np.ndarray  # (n_pd,) (stratum, domain) combination of each (PSU, domain)
    hd_stratum: np.ndarray  # (n_hd,)
    hd_dom: np.ndarray  # (n_hd,)
    hd_m: np.ndarray  # (n_hd,) number of (PSU, domain) combinations in each
    texts: list[str]  # one per domain: "col=value, ..." (the part of a term after " | ")
    # the rows the passes read: all (``rows`` None; those outside every domain fall in the
    # extra bins ``n_pd`` and ``size``) or, when most rows are outside, only those inside
    rows: np.ndarray | None
    row_pd: np.ndarray  # pd_id of those rows
    row_code: np.ndarray  # code of those rows
    row_w: np.ndarray  # weight of those rows
    n_all: np.ndarray  # (n_pd,) rows in each (PSU, domain)
    w_all: np.ndarray  # (n_pd,) their weight sum


#: Codes spanning up to this many values (or the number of rows, if more) are compacted with a
#: lookup table, in one pass; wider ones are hashed (``pd.factorize``).
_DENSE_SPAN = 1 << 22


def compact_codes(code: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integer codes below ``span`` (-1: missing) renumbered 0, 1, ... in sorted
    order; returns the new codes (-1 kept) and the distinct old codes, sorted."""
    if span <= max(_DENSE_SPAN, len(code)):
        complete = len(code) == 0 or code.min() >= 0
        shifted = code if complete else code + 1
        counts = np.bincount(shifted, minlength=span + (not complete))
        present = (counts if complete else counts[1:]) > 0
        if present.all():  # already compact
            return code, np.arange(span, dtype=np.int64)
        lookup = np.cumsum(present) - 1
        lookup[~present] = -1
        if not complete:
            lookup = np.concatenate([[-1], lookup])
        return lookup[shifted], np.flatnonzero(present).astype(np.int64)
    ok = code >= 0
    new = np.full(len(code), -1, np.int64)
    found, uniq = pd.factorize(code[ok], sort=True)
    new[ok] = found
    return new, np.asarray(uniq, np.int64)


def factorize_sorted(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, sort=True)`` (codes as int64, -1 for a missing value; the
    observed values, sorted), without hashing for categoricals (sorted in category order, as
    pandas does), booleans and integers of a moderate range."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        code, found = compact_codes(codes, len(dtype.categories))
        return code, pd.Index(pd.Categorical.from_codes(found, dtype=dtype))
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        missing = values.isna().to_numpy() if values.hasnans else None
        raw = values.to_numpy(dtype=np.int64, na_value=0)
        seen = raw if missing is None else raw[~missing]
        if len(seen) == 0:
            return np.full(len(raw), -1, np.int64), pd.Index(values.iloc[:0].array)
        lo, hi = int(seen.min()), int(seen.max())
        if hi - lo < max(_DENSE_SPAN, len(raw)):
            if lo:
                raw = raw - lo
            if missing is not None:
                raw[missing] = -1
            code, found = compact_codes(raw, hi - lo + 1)
            uniq = found + lo
            if isinstance(dtype, np.dtype):
                return code, pd.Index(uniq.astype(dtype))
            return code, pd.Index(pd.array(uniq, dtype=dtype))
    code, uniq = pd.factorize(values, sort=True)
    return code.astype(np.int64), pd.Index(uniq)
