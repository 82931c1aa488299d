"""Online-survey quality: submissions flagged, never silently dropped.

An online questionnaire sent through schools collects more than parents' answers: the bureau's
own test submissions before launch, parents who click through in seconds, the same parent
submitting twice, and answers that tick one column down a whole matrix. Each is a *flag* on the
submission (``IngestResult.flags``: one row per flag, ``source_row``, ``flag``, ``detail``); the
user decides what to exclude (``load_survey(..., exclude=["test", "duplicate"])``,
``sje ingest --exclude test,duplicate``), and excluded rows are rejects with the rule
``excluded: <flag>``, so rows in = accepted + rejected still holds.

The flags:

- ``test``: submitted before the fieldwork start date (a profile's ``fieldwork_start`` or
  ``fieldwork_start=``), or an answer that is the word 测试 / test;
- ``speeder``: a completion time under :data:`SPEEDER_FRACTION` of the median completion time
  of the file (a common threshold in online-survey methodology: the fastest responses that read
  no question);
- ``duplicate``: the same respondent key as an earlier submission in the same wave, or the same
  device (IP) with identical answers within :data:`DUPLICATE_MINUTES` minutes of an earlier
  submission; the earlier one is kept;
- ``straightline``: every sub-question of a matrix of at least :data:`MIN_MATRIX_ITEMS` items
  given the same answer.

IP addresses are only compared, never written: a detail names the earlier row, not the device.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...base.options import check_choice
from ..rejects import FLAG_COLUMNS, empty_flags

__all__ = [
    "DUPLICATE_MINUTES",
    "FLAGS",
    "MIN_MATRIX_ITEMS",
    "SPEEDER_FRACTION",
    "Signals",
    "check_exclude",
    "empty_flags",
    "flag_submissions",
]

FLAGS = ("test", "speeder", "duplicate", "straightline")
SPEEDER_FRACTION = 0.3
DUPLICATE_MINUTES = 10
MIN_MATRIX_ITEMS = 4
_TEST_WORDS = {"测试", "test", "测试测试", "ceshi", "测试数据"}


def check_exclude(exclude: str | Sequence[str] | None) -> tuple[str, ...]:
    """The flags to exclude, checked (a comma-separated string or a list)."""
    if exclude is None:
        return ()
    names = [e.strip() for e in exclude.split(",")] if isinstance(exclude, str) else exclude
    names = tuple(n for n in names if n)
    for name in names:
        check_choice("exclude", name, FLAGS)
    return names


@dataclass
class Signals:
    """What the platform recorded of each submission, aligned with the rows.

    Attributes
    ----------
    source_row : ndarray of int
    submitted : ndarray of datetime64, optional
    duration : ndarray of float (seconds), optional
    device : ndarray of object (IP without location), optional
    answers : list of arrays
        Raw answer cells of every question column (for identical-answer and test checks).
    matrices : mapping of int to list of arrays
        Question number -> the raw cells of its sub-questions.
    respondent : Series, optional
        Respondent keys (pseudonyms) from the questionnaire, when it asks for one.
    wave : Series, optional
    """

    source_row: np.ndarray
    submitted: np.ndarray | None = None
    duration: np.ndarray | None = None
    device: np.ndarray | None = None
    answers: list[np.ndarray] = field(default_factory=list)
    matrices: Mapping[int, list[np.ndarray]] = field(default_factory=dict)
    respondent: pd.Series | None = None
    wave: pd.Series | None = None


def flag_submissions(s: Signals, *, fieldwork_start: pd.Timestamp | None = None) -> pd.DataFrame:
    """The quality flags of each submission (see the module docstring)."""
    n = len(s.source_row)
    rows: list[tuple[int, str, str]] = []

    def add(mask: np.ndarray, flag: str, details: Sequence[str]) -> None:
        for k, d in zip(np.flatnonzero(mask), details, strict=True):
            rows.append((int(s.source_row[k]), flag, d))

    answer_key = _answer_keys(s.answers, n)
    # test submissions
    test = np.zeros(n, dtype=bool)
    details = [""] * n
    if fieldwork_start is not None and s.submitted is not None:
        start = np.datetime64(pd.Timestamp(fieldwork_start).to_datetime64(), "s")
        early = ~np.isnat(s.submitted) & (s.submitted < start)
        for k in np.flatnonzero(early):
            details[k] = (
                f"submitted {str(s.submitted[k])[:16].replace('T', ' ')}, before the fieldwork "
                f"start {pd.Timestamp(fieldwork_start):%Y-%m-%d}"
            )
        test |= early
    for col in s.answers:
        words = np.array(
            [v is not None and str(v).strip().casefold() in _TEST_WORDS for v in col], dtype=bool
        )
        for k in np.flatnonzero(words & ~test):
            details[k] = f"an answer is {str(col[k]).strip()!r}"
        test |= words
    add(test, "test", [details[k] for k in np.flatnonzero(test)])
    # speeders
    if s.duration is not None and np.isfinite(s.duration).sum() >= 10:
        median = float(np.nanmedian(s.duration))
        fast = np.isfinite(s.duration) & (s.duration < SPEEDER_FRACTION * median)
        add(
            fast,
            "speeder",
            [
                f"{s.duration[k]:.0f} s, under {SPEEDER_FRACTION:.0%} of the median {median:.0f} s"
                for k in np.flatnonzero(fast)
            ],
        )
    # duplicates: same respondent key in a wave, or same device + identical answers
    order = np.argsort(s.submitted, kind="stable") if s.submitted is not None else np.arange(n)
    dup_detail: dict[int, str] = {}
    if s.respondent is not None:
        key = s.respondent.astype("string").fillna("").to_numpy(dtype=object)
        wave = (
            s.wave.astype("string").fillna("").to_numpy(dtype=object)
            if s.wave is not None
            else np.full(n, "", dtype=object)
        )
        first: dict[tuple, int] = {}
        for k in order:
            if not key[k]:
                continue
            if (key[k], wave[k]) in first:
                dup_detail[k] = (
                    f"same respondent as row {s.source_row[first[key[k], wave[k]]]} "
                    "(an earlier submission)"
                )
            else:
                first[key[k], wave[k]] = k
    if s.device is not None and s.submitted is not None:
        last: dict[tuple, int] = {}
        window = np.timedelta64(DUPLICATE_MINUTES * 60, "s")
        for k in order:
            if s.device[k] is None or np.isnat(s.submitted[k]):
                continue
            group = (s.device[k], answer_key[k])
            j = last.get(group)
            if j is not None and s.submitted[k] - s.submitted[j] <= window and k not in dup_detail:
                gap = int((s.submitted[k] - s.submitted[j]) / np.timedelta64(1, "s"))
                dup_detail[k] = (
                    f"same device and identical answers as row {s.source_row[j]}, {gap} s earlier"
                )
            last[group] = k
    dup = np.zeros(n, dtype=bool)
    dup[list(dup_detail)] = True
    add(dup, "duplicate", [dup_detail[k] for k in np.flatnonzero(dup)])
    # straight-lining
    for number, items in sorted(s.matrices.items()):
        if len(items) < MIN_MATRIX_ITEMS:
            continue
        cells = np.array([[_text(v) for v in col] for col in items], dtype=object)
        same = np.all(cells == cells[0], axis=0) & np.array([bool(v) for v in cells[0]])
        add(
            same,
            "straightline",
            [
                f"all {len(items)} items of question {number} answered {cells[0][k]!r}"
                for k in np.flatnonzero(same)
            ],
        )
    if not rows:
        return empty_flags()
    out = pd.DataFrame(rows, columns=FLAG_COLUMNS)
    out = out.sort_values(["source_row", "flag"], kind="stable", ignore_index=True)
    return out.astype({"source_row": "int64", "flag": "string", "detail": "string"})


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _answer_keys(answers: list[np.ndarray], n: int) -> np.ndarray:
    """A digest of each row's answers (identical answers give the same digest)."""
    keys = np.empty(n, dtype=object)
    for k in range(n):
        h = hashlib.blake2b(digest_size=16)
        for col in answers:
            h.update(_text(col[k]).encode())
            h.update(b"\x1f")
        keys[k] = h.digest()
    return keys
