"""问卷星 (wjx.cn) downloads: the platform's own columns, its two download modes, its headers.

A 问卷星 download ("下载答卷数据" as Excel) has, in this order:

- the platform's columns: ``序号`` (the submission number: not a person; it restarts at 1 in
  every download), ``提交答卷时间`` (text ``2022/11/14 19:03:05`` or an Excel date),
  ``所用时间`` (``136秒``, ``2分3秒``), ``来源`` / ``来源详情`` (channel), ``来自IP``
  (``1.2.3.4(省-市)``), optionally ``总分`` and ``用户ID``. They are recognised by name and never
  reach canonical data: the time, duration and IP become pseudonymous quality signals
  (:mod:`~shuangjian_eval.inputs.io.submissions`) and the IP is then dropped.
- one column per question, headed ``N、题干``. The two download modes differ in the cells:

  * 按选项文本 (``download: text``): answer texts; a multi-choice answer is its option texts
    joined by ``┋`` ("语文┋数学┋其他〖围棋〗"); a question skipped by logic is ``(跳过)``,
    an empty answer ``(空)``.
  * 按选项序号 (``download: numbers``): option numbers (1, 2, ...; a 是/否 question is 是=1,
    否=2); a multi-choice question is one 0/1 column per option headed ``N(选项)`` (or
    ``第N题(选项)``); ``-3`` is a question skipped by logic, ``-2`` an option not ranked.

  In both, the text typed into an option such as ``其他【请注明】`` follows the option in
  ``〖…〗``: it is read as the option, and the free text is counted, never kept (it can hold
  names or phone numbers).
- matrix questions as one column per sub-question: ``N(子题)``, or ``N、题干 (矩阵单选题)—子题``
  for the first sub-question and the bare sub-question text for the later ones. Every form is
  given the alias ``N(子题)``, which is what profiles name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from .columns import normalise_answer

__all__ = [
    "FIXED_COLUMNS",
    "JOIN",
    "NOT_RANKED",
    "SKIPPED",
    "SUBMISSION_YEARS",
    "TEXT_MISSING",
    "ChoiceColumn",
    "detect_download",
    "fixed_columns",
    "header_aliases",
    "is_export",
    "matrix_groups",
    "option_columns",
    "option_of",
    "parse_duration",
    "parse_times",
    "question_number",
    "read_choice",
    "split_free_text",
]

#: the platform's own columns, by header, and the signal each carries
FIXED_COLUMNS = {
    "序号": "submission",
    "提交答卷时间": "submitted",
    "所用时间": "duration",
    "来源": "channel",
    "来源详情": "channel_detail",
    "来自IP": "ip",
    "来源IP": "ip",
    "总分": "score",
    "用户ID": "user_id",
}
#: joins the options of a multi-choice answer in 按选项文本
JOIN = "┋"
#: 按选项序号 codes: a question skipped by logic, an option not ranked
SKIPPED, NOT_RANKED = -3, -2
#: 按选项文本 cells of a question skipped by logic and of an empty answer
TEXT_MISSING = ("(跳过)", "(空)")

_NUMBER = re.compile(r"^\s*(?:第\s*)?(\d+)\s*(?:题)?\s*(?:[、.．:：]|(?=[(（]))")
_OPTION = re.compile(r"^\s*(?:第\s*)?(\d+)\s*(?:题)?\s*[(（](.+)[)）]\s*$")
_MATRIX = re.compile(
    r"^\s*(\d+)\s*[、.．]\s*(.*?)\s*[(（]\s*(矩阵[^)）]*|量表题|表格[^)）]*)\s*[)）]\s*[—\-–－]+\s*(.+)$"
)
#: submission times are read in these years (from, to exclusive); others are unreadable
SUBMISSION_YEARS = (2000, 2100)
_MAX_TIME = 64  # characters: a longer cell is no time (and not worth parsing)
_DURATION = re.compile(r"^(?:(\d+)\s*小时)?\s*(?:(\d+)\s*分(?:钟)?)?\s*(?:(\d+)\s*秒)?$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def is_export(headers: Sequence[str]) -> bool:
    """Whether the headers are those of a 问卷星 download (序号 and 提交答卷时间 present)."""
    names = {_norm(h) for h in headers}
    return "序号" in names and "提交答卷时间" in names


def fixed_columns(headers: Sequence[str]) -> dict[int, str]:
    """Position -> signal of the platform's own columns (see :data:`FIXED_COLUMNS`)."""
    keys = {unicodedata.normalize("NFKC", k): v for k, v in FIXED_COLUMNS.items()}
    return {i: keys[_norm(h)] for i, h in enumerate(headers) if _norm(h) in keys}


def question_number(header: str) -> int | None:
    """The question number of a question header ("10、...", "第10题(...)", "10(...)")."""
    m = _NUMBER.match(unicodedata.normalize("NFKC", str(header)))
    return int(m.group(1)) if m else None


def option_of(header: str) -> tuple[int, str] | None:
    """(question number, option or sub-question) of a header ``N(…)`` or ``第N题(…)``."""
    m = _OPTION.match(unicodedata.normalize("NFKC", str(header)))
    return (int(m.group(1)), m.group(2).strip()) if m else None


def option_columns(headers: Sequence[str], number: int) -> list[tuple[int, str]]:
    """The (position, option text) of the 0/1 option columns of multi-choice question
    ``number`` in a 按选项序号 download: headers ``N(选项)`` or ``第N题(选项)``."""
    found = ((i, option_of(h)) for i, h in enumerate(headers))
    return [(i, o[1]) for i, o in found if o is not None and o[0] == number]


def header_aliases(headers: Sequence[str]) -> dict[int, list[str]]:
    """Other names of matrix and option headers, in the form profiles use: ``N(子题)``.

    ``"18、您是否同意 (矩阵单选题)—担心成绩"`` and the bare sub-question headers that follow it
    get ``"18(担心成绩)"``...; ``"第8题(没有参加)"`` gets ``"8(没有参加)"`` and the reverse.
    """
    out: dict[int, list[str]] = {}
    fixed = fixed_columns(headers)
    matrix: int | None = None
    for i, raw in enumerate(headers):
        h = unicodedata.normalize("NFKC", str(raw)).strip()
        m = _MATRIX.match(h)
        if m:
            matrix = int(m.group(1))
            out[i] = [f"{matrix}({m.group(4).strip()})"]
            continue
        opt = option_of(h)
        if opt:
            n, option = opt
            out[i] = [f"{n}({option})", f"第{n}题({option})"]
            matrix = None
            continue
        if question_number(h) is not None or i in fixed or not h:
            matrix = None
            continue
        if matrix is not None:  # a later sub-question of the matrix, as bare text
            out[i] = [f"{matrix}({h})"]
    return out


def matrix_groups(headers: Sequence[str], aliases: dict[int, list[str]]) -> dict[int, list[int]]:
    """Question number -> positions of its sub-question (or option) columns ``N(…)``."""
    groups: dict[int, list[int]] = {}
    for i, h in enumerate(headers):
        for name in (str(h), *aliases.get(i, [])):
            opt = option_of(name)
            if opt:
                groups.setdefault(opt[0], []).append(i)
                break
    return groups


def split_free_text(text: str) -> tuple[str, int]:
    """An answer without its typed-in texts ``〖…〗``, and how many there were."""
    # a scan, not the regex 〖(.*?)〗: that one retries from every unclosed 〖, which takes
    # minutes on a long cell of 〖 without 〗
    kept, found, pos = [], 0, 0
    while (start := text.find("〖", pos)) >= 0 and (end := text.find("〗", start + 1)) >= 0:
        kept.append(text[pos:start])
        found, pos = found + 1, end + 1
    return ("".join(kept) + text[pos:]).strip() if found else text, found


def parse_duration(values: pa.ChunkedArray | pa.Array | Sequence) -> np.ndarray:
    """Seconds of ``所用时间`` cells ("136秒", "2分3秒", "1小时2分", or plain seconds); NaN when
    blank or unreadable."""
    texts = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    out = np.full(len(texts), np.nan)
    cache: dict[str, float] = {}
    for k, t in enumerate(texts):
        if t is None:
            continue
        t = _norm(t)
        if t not in cache:
            cache[t] = _seconds(t)
        out[k] = cache[t]
    return out


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    m = _DURATION.match(text)
    if not m or not any(m.groups()):
        return np.nan
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return float(h * 3600 + mi * 60 + s)


def parse_times(values: pa.ChunkedArray | pa.Array | Sequence) -> np.ndarray:
    """``提交答卷时间`` cells as datetime64[s] (text "2022/11/14 19:03:05" or an Excel date read
    as "2022-11-14 19:03:05"); NaT when blank or unreadable, and outside the years
    :data:`SUBMISSION_YEARS` (a number such as ``-1`` or ``0`` typed into the column is read
    as the year -1 or 2000, not as a submission time)."""
    texts = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    s = pd.Series(
        [None if t is None or len(t) > _MAX_TIME else _norm(t).replace("/", "-") for t in texts],
        dtype=object,
    )
    times = np.array(pd.to_datetime(s, errors="coerce", format="mixed"), dtype="datetime64[s]")
    low, high = (np.datetime64(f"{y:04d}-01-01", "s") for y in SUBMISSION_YEARS)
    times[~np.isnat(times) & ((times < low) | (times >= high))] = np.datetime64("NaT")
    return times


def detect_download(cells: Sequence[pa.ChunkedArray | pa.Array]) -> str:
    """``"numbers"`` (按选项序号) when most of the given choice columns hold only whole
    numbers, else ``"text"`` (按选项文本). An open question or a typed-in 〖…〗 text in one
    column does not decide it."""
    numeric = textual = 0
    for col in cells:
        if col is None:
            continue
        seen = [
            split_free_text(_norm(t))[0]
            for t in pa.chunked_array([col]).unique().to_pylist()
            if t is not None and str(t).strip()
        ]
        seen = [t for t in seen if t]
        if not seen:
            continue
        if all(re.fullmatch(r"-?\d+", t) for t in seen):
            numeric += 1
        else:
            textual += 1
    return "numbers" if numeric > textual else "text"


@dataclass
class ChoiceColumn:
    """A variable read from a multi-choice question as a set of options."""

    values: np.ndarray  # 1.0 / 0.0 / NaN (not answered, skipped)
    raw_name: str  # the question header, for messages
    free_texts: int = 0  # answers with a typed-in text 〖…〗 (counted, never kept)
    unknown: dict[str, int] = field(default_factory=dict)  # option texts not in the profile


def read_choice(
    headers: Sequence[str],
    columns: Sequence[pa.ChunkedArray | pa.Array],
    *,
    question: int,
    text_column: int | None,
    any_of: Sequence[str],
    options: Sequence[str] = (),
    download: str,
) -> ChoiceColumn | None:
    """Read "any of these options chosen" from a multi-choice question, in either mode.

    Parameters
    ----------
    headers, columns
        The raw table.
    question : int
        The question number (finds the option columns of 按选项序号).
    text_column : int or None
        The single column of the question in 按选项文本, if found.
    any_of : sequence of str
        Options whose choice makes the variable true.
    options : sequence of str
        Every option of the question, when the profile lists them: other option texts are
        counted as unknown (the caller sets those answers missing).
    download : "text" or "numbers"

    Returns
    -------
    ChoiceColumn or None
        None when the question is not in the file.
    """
    want = {_key(o) for o in any_of}
    known = want | {_key(o) for o in options}
    if download == "numbers":
        cols = option_columns(headers, question)
        if not cols:
            return None
        n = len(columns[cols[0][0]])
        chosen = np.zeros(n, dtype=bool)
        answered = np.zeros(n, dtype=bool)
        free = 0
        unknown: dict[str, int] = {}
        for i, option in cols:
            texts = pa.chunked_array([columns[i]]).to_pylist()
            picked = np.zeros(n, dtype=bool)
            for k, t in enumerate(texts):
                if t is None:
                    continue
                body, typed = split_free_text(_norm(t))
                free += typed
                if body in ("", "1") and (typed or body == "1"):
                    picked[k] = True
                    answered[k] = True
                elif body == "0":
                    answered[k] = True
                elif body not in (str(SKIPPED), str(NOT_RANKED)):
                    picked[k] = answered[k] = True  # typed text in place of the 1
                    free += 1
            if _key(option) not in known and picked.any():
                unknown[option] = int(picked.sum())
            if _key(option) in want:
                chosen |= picked
        values = np.where(answered, chosen.astype(float), np.nan)
        return ChoiceColumn(values, f"{question}(…)", free, unknown if options else {})
    if text_column is None:
        return None
    texts = pa.chunked_array([columns[text_column]]).to_pylist()
    values = np.full(len(texts), np.nan)
    free = 0
    unknown = {}
    cache: dict[str, tuple[float, int, list[str]]] = {}
    for k, t in enumerate(texts):
        if t is None:
            continue
        t = _norm(t)
        if t not in cache:
            cache[t] = _text_answer(t, want, known, bool(options))
        value, typed, strange = cache[t]
        values[k] = value
        free += typed
        for s in strange:
            unknown[s] = unknown.get(s, 0) + 1
    return ChoiceColumn(values, str(headers[text_column]), free, unknown)


def _key(option: str) -> str:
    """Option text for comparison: as answers are compared (:func:`.columns.normalise_answer`),
    without 【请注明】-style notes."""
    return normalise_answer(re.sub(r"【[^】]*】|\[[^\]]*\]", "", str(option)))


def _text_answer(
    text: str, want: set[str], known: set[str], check: bool
) -> tuple[float, int, list[str]]:
    if text in TEXT_MISSING or not text:
        return np.nan, 0, []
    picked, typed = [], 0
    for part in text.split(JOIN):
        body, n = split_free_text(part)
        typed += n
        if body:
            picked.append(body)
    strange = [p for p in picked if check and _key(p) not in known]
    if strange:
        return np.nan, typed, strange
    return float(any(_key(p) in want for p in picked)), typed, []
