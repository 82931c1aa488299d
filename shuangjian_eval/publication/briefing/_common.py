"""Private names shared by the modules of :mod:`shuangjian_eval.publication.briefing`.

The regions a briefing knows, the key charts (:data:`CHARTS`), the verdicts in
report order and their badges, text escaping, and the cache file's layout: its format marks and
the JSON form of a DataFrame (written by ``Briefing.save``, read by ``load``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...inputs import codebook as _codebook
from .. import formatting as fmt

#: Version of the cache file layout; a cache of another version is refused by :func:`load`.
FORMAT_VERSION = 2
_FORMAT = "sje-briefing"


class _Charts(Mapping[str, dict[str, Any]]):
    """The key charts of the codebook's outcome registry (``charts:`` of each outcome), read at
    each use so that the codebook in force (``SJE_CODEBOOK``) is followed: by key, a dict of
    ``title``, ``variable``, ``kind``, ``by_stage`` and ``indicator``, in registry order."""

    def _specs(self) -> dict[str, dict[str, Any]]:
        return {k: dataclasses.asdict(c) for k, c in _codebook.load().charts().items()}

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._specs()[key]

    def __iter__(self):
        return iter(self._specs())

    def __len__(self) -> int:
        return len(self._specs())


#: Key charts: title, the estimate drawn (variable, kind, by stage) and the scorecard indicator
#: whose change the chart's reading describes; from the outcome registry of ``codebook.yaml``.
CHARTS: Mapping[str, dict[str, Any]] = _Charts()

_VERDICT_ORDER = (
    "remarkable", "effective", "not_met", "inconclusive", "level_better", "level_similar",
    "level_worse", "no_baseline", "insufficient",
)  # fmt: skip
#: CSS classes of ``templates/sje_report/report.css`` (``.sje-badge``) by verdict code.
BADGE_CLASS = {
    "remarkable": "remarkable",
    "effective": "met",
    "not_met": "not-met",
    "inconclusive": "inconclusive",
    "insufficient": "insufficient",
    "level_better": "met",
    "level_similar": "inconclusive",
    "level_worse": "not-met",
    "no_baseline": "insufficient",
}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#])")


def _md(text: Any) -> str:
    """Text from data made safe for Markdown and HTML (as ``narrative.escape_markdown``)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _badge(verdict: str, lang: str) -> str:
    label = html.escape(fmt.verdict_label(verdict, lang))
    return f'<span class="sje-badge {BADGE_CLASS.get(verdict, "insufficient")}">{label}</span>'


# ------------------------------------------------------------------------------ JSON
def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot store {type(value).__name__} in a briefing")


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    dtypes = {str(c): str(t) for c, t in frame.dtypes.items()}
    data = [[_clean(v) for v in row] for row in frame.astype(object).itertuples(index=False)]
    return {"columns": [str(c) for c in frame.columns], "dtypes": dtypes, "data": data}


class _LazyFrames(Mapping[str, pd.DataFrame]):
    """Frames of a loaded briefing, decoded when first used: a report shows stored text and
    charts and needs few of them (decoding all 20-odd cost more than showing the report)."""

    def __init__(self, docs: Mapping[str, Any]) -> None:
        self._docs, self._frames = dict(docs), {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        if key not in self._frames:
            self._frames[key] = _frame_from_json(self._docs[key])
        return self._frames[key]

    def __iter__(self):
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


def _frame_from_json(doc: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(doc["data"], columns=doc["columns"], dtype=object)
    for col, dtype in doc.get("dtypes", {}).items():
        if dtype.startswith(("float", "Float")):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        elif dtype.startswith(("int", "Int", "uint", "UInt")):
            values = pd.to_numeric(frame[col], errors="coerce")
            frame[col] = values.astype("int64" if values.notna().all() else "Int64")
        elif dtype == "bool" and frame[col].notna().all():
            frame[col] = frame[col].astype(bool)
        elif dtype in ("str", "string"):
            frame[col] = frame[col].astype(dtype)
    return frame
