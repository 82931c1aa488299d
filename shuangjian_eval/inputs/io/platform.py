"""One 问卷星 download on its way through ingest: what the platform's layout adds to a profile.

:class:`Platform` is built from the raw table and the profile (``platform: wenjuanxing``)
before the columns are matched, and asked along the way by :func:`~shuangjian_eval.inputs.io.
load_survey`: the header aliases of matrix and option columns, the platform's own columns (not
survey variables), the download mode, the answer cells without typed-in texts, the variables
read from multi-choice questions, a pseudonymous key per submission when the questionnaire asks
for none, and the quality flags of each submission. The layout itself is described in
:mod:`~shuangjian_eval.inputs.io.wenjuanxing`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import identifiers
from ..validate import IngestError, IngestLog
from . import wenjuanxing as wjx
from .columns import ColumnInput
from .mapping import Profile, find_columns
from .readers import RawTable
from .submissions import MIN_MATRIX_ITEMS, Signals, flag_submissions

__all__ = ["Platform"]

_FREE_TEXT = r"〖[^〗]*〗"


class Platform:
    """What a 问卷星 download adds to the profile (see the module docstring)."""

    def __init__(self, raw: RawTable, profile: Profile, log: IngestLog) -> None:
        self.raw, self.profile, self.log = raw, profile, log
        aliases = {i: list(a) for i, a in raw.aliases.items()}
        for i, extra in wjx.header_aliases(raw.headers).items():
            aliases.setdefault(i, []).extend(extra)
        self.aliases = aliases
        self.fixed = wjx.fixed_columns(raw.headers)
        self.taken: dict[int, str] = {i: f"问卷星 {sig}" for i, sig in self.fixed.items()}
        self.choices: dict[str, tuple[str, list[int]]] = {}  # variable -> (mode, columns)
        for var, choice in profile.choices.items():
            number = wjx.question_number(choice.question)
            text = [
                i
                for i in find_columns((choice.question,), raw.headers, aliases)
                if i not in self.fixed and wjx.option_of(raw.headers[i]) is None
            ]
            options = wjx.option_columns(raw.headers, number) if number is not None else []
            if len(text) == 1:
                self.choices[var] = ("text", text)
            elif options:
                self.choices[var] = ("numbers", [i for i, _ in options])
            else:
                raise IngestError(
                    self.source,
                    f"choices: {var}: the question {choice.question!r} is not in the file "
                    "(neither one column of answer texts nor option columns "
                    f"'{number}(选项)')",
                    "Check the question text and number in the profile.",
                )
            for i in self.choices[var][1]:
                self.taken[i] = f"question for {var}"
        self.provided = set(profile.choices)
        has_key = "respondent_id" in profile.columns or profile.respondent_id_from
        if not has_key and "submission" in self.fixed.values():
            self.provided.add("respondent_id")
        self.download = profile.download
        self.free_texts: dict[str, int] = {}

    @property
    def source(self) -> str:
        return str(self.log.get("file"))

    # ---- the download mode and the cells of mapped columns

    def choose_download(self, mapped: Mapping[str, int]) -> None:
        """Decide 按选项文本 or 按选项序号 (when the profile says ``auto``), from the cells of
        the mapped questions that have answer texts."""
        if self.download == "auto":
            cells = [
                self.raw.columns[i]
                for var, i in mapped.items()
                if self.profile.values.get(var) and i not in self.fixed
            ]
            self.download = wjx.detect_download(cells)
        self.log["download"] = {"text": "按选项文本", "numbers": "按选项序号"}[self.download]

    @property
    def missing(self) -> tuple[Any, ...]:
        """Missing answers the platform writes: ``(跳过)``, ``(空)``; -3 and -2 by number."""
        codes = (wjx.SKIPPED, wjx.NOT_RANKED) if self.download == "numbers" else ()
        return (*wjx.TEXT_MISSING, *codes)

    def value_map(self, var: str) -> dict[Any, Any]:
        """The profile's answer map; in 按选项序号 a 是/否 question is 是=1, 否=2 by default."""
        mapping = dict(self.profile.values.get(var, {}))
        if self.download == "numbers" and not mapping:
            from .. import codebook as _codebook

            if _codebook.load()[var].dtype == "bool":
                self.log.setdefault("yes_no_by_number", []).append(var)
                mapping = {1: True, 2: False}
        return mapping

    def cells(self, i: int) -> pa.ChunkedArray:
        """The cells of column ``i`` without typed-in texts 〖…〗 (counted, never kept)."""
        col = self.raw.columns[i]
        if not isinstance(col, (pa.Array, pa.ChunkedArray)) or not pa.types.is_string(col.type):
            return col
        has = pc.fill_null(pc.match_substring_regex(col, _FREE_TEXT), False)
        count = int(pc.sum(has).as_py() or 0)
        if not count:
            return col
        self.free_texts[self.raw.headers[i]] = count
        self._log_free_texts()
        return pc.utf8_trim_whitespace(pc.replace_substring_regex(col, _FREE_TEXT, ""))

    def _log_free_texts(self) -> None:
        self.log["free_texts_dropped"] = dict(self.free_texts)

    # ---- variables the platform provides

    def choice_inputs(self) -> list[ColumnInput]:
        """One true/false column per multi-choice variable of the profile."""
        out = []
        for var, (mode, cols) in self.choices.items():
            choice = self.profile.choices[var]
            read = wjx.read_choice(
                self.raw.headers,
                self.raw.columns,
                question=wjx.question_number(choice.question) or 0,
                text_column=cols[0] if mode == "text" else None,
                any_of=choice.any_of,
                options=choice.options,
                download=mode,
            )
            if read.free_texts:
                self.free_texts[read.raw_name] = read.free_texts
                self._log_free_texts()
            if read.unknown:
                listed = ", ".join(f"{k!r} ({v})" for k, v in read.unknown.items())
                self.log.warn(
                    f"{var}: options not listed in the profile, answers set missing: {listed}"
                )
            out.append(
                ColumnInput(
                    variable=var,
                    raw_name=read.raw_name,
                    values=pd.Series(read.values, dtype="float64"),
                )
            )
        return out

    @functools.cached_property
    def signals(self) -> dict[str, Any]:
        """The platform's columns read once, normalised so that both download modes of one
        submission give the same values: submission number, time (datetime64), duration
        (seconds), device (the IP without its location); None where the column is absent."""
        col = {sig: self.raw.columns[i] for i, sig in self.fixed.items()}
        texts = {sig: col[sig].to_pylist() for sig in ("submission", "ip") if sig in col}
        return {
            "submission": texts.get("submission"),
            "submitted": wjx.parse_times(col["submitted"]) if "submitted" in col else None,
            "duration": wjx.parse_duration(col["duration"]) if "duration" in col else None,
            "device": None
            if "ip" not in col
            else np.array(
                [None if v is None else str(v).split("(")[0].strip() for v in texts["ip"]],
                dtype=object,
            ),
        }

    def submission_key(self, salt: str | bytes | None, log: IngestLog) -> ColumnInput:
        """A pseudonymous key per submission (the questionnaire asks for no respondent key):
        the salted hash of the submission number, time, duration and device, so that two
        downloads pasted together (序号 restarting at 1) are still different submissions."""
        n, sig = self.raw.n_rows, self.signals
        parts = [
            [str(v) for v in sig["submission"]] if sig["submission"] is not None else [""] * n,
            [str(v) for v in sig["submitted"]] if sig["submitted"] is not None else [""] * n,
            [f"{v:g}" for v in sig["duration"]] if sig["duration"] is not None else [""] * n,
            [str(v) for v in sig["device"]] if sig["device"] is not None else [""] * n,
        ]
        text = pd.Series(["问卷星|" + "|".join(p) for p in zip(*parts, strict=True)], dtype=object)
        key, source = identifiers.resolve_salt(salt)
        log["submission_key"] = (
            "no respondent key in the questionnaire: each submission has its own pseudonymous "
            f"key (序号, time, duration and device, salted from {source})"
        )
        return ColumnInput(
            variable="respondent_id",
            raw_name="(问卷星 submission)",
            values=identifiers.pseudonymise(text, key),
            mask_values=True,
        )

    # ---- quality flags

    def flags(self, inputs: Mapping[str, ColumnInput], start: dt.date | None) -> pd.DataFrame:
        """The quality flags of every submission."""
        questions = [i for i in range(len(self.raw.headers)) if i not in self.fixed]
        answers = [np.array(self.raw.columns[i].to_pylist(), dtype=object) for i in questions]
        taken = {i for _, cols in self.choices.values() for i in cols}
        matrices = {
            number: [np.array(self.raw.columns[i].to_pylist(), dtype=object) for i in cols]
            for number, cols in wjx.matrix_groups(self.raw.headers, self.aliases).items()
            if len(cols) >= MIN_MATRIX_ITEMS and not set(cols) & taken
        }
        rid = inputs.get("respondent_id")
        respondent = None
        if rid is not None and rid.raw_name != "(问卷星 submission)" and rid.values is not None:
            respondent = pd.Series(rid.values).reset_index(drop=True)
        wave = inputs.get("wave")
        wave_values = None
        if wave is not None:
            wave_values = (
                pd.Series([wave.constant] * self.raw.n_rows)
                if wave.values is None
                else pd.Series(pa.chunked_array([wave.values]).to_pylist())
                if isinstance(wave.values, (pa.Array, pa.ChunkedArray))
                else pd.Series(wave.values)
            )
        signals = Signals(
            source_row=self.raw.source_row,
            submitted=self.signals["submitted"],
            duration=self.signals["duration"],
            device=self.signals["device"],
            answers=answers,
            matrices=matrices,
            respondent=respondent,
            wave=wave_values,
        )
        return flag_submissions(signals, fieldwork_start=start)
