"""The policy briefing of one region: computed once, cached, rendered fast for readers.

:func:`compute` gathers everything the policy report (``notebooks/90_policy_report``) shows for
one region: the 1-year / 3-year scorecard (the region a domain of the full design, as
:func:`shuangjian_eval.targets.scorecard` does), small summary frames for the key charts (design-based
estimates by wave, a weighted histogram of homework minutes against the national limits), the
displacement and equity results, the data's coverage, the verdict counts of the headline, and
every sentence of the report in Chinese and English. No respondent-level row and no respondent
id is kept; cells with fewer than ``min_n`` respondents or fewer than 2 schools are blanked
before anything is stored, so nothing from a suppressed cell can be shown or described.

A :class:`Briefing` saves to one JSON file (:meth:`Briefing.save`, written atomically) and loads
back without the estimation stack (:func:`load`), so a report notebook with a cache only draws:
the report runner calls :func:`precompute` once per run (reading the data once for all regions)
and hands each notebook its ``cache_path``; :func:`load_or_compute` uses it, or computes.

Display helpers return objects that a notebook shows as Markdown or HTML (every piece of text
from data escaped) or matplotlib Figures from :mod:`shuangjian_eval.plots`.

>>> import shuangjian_eval as sje                                          # doctest: +SKIP
>>> b = sje.briefing.load_or_compute("data/demo/survey.parquet", region="样本县001")  # doctest: +SKIP
>>> b.headline("zh")                                                      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import formatting as fmt

__all__ = [
    "CHARTS",
    "FORMAT_VERSION",
    "SECTIONS",
    "Briefing",
    "HTML",
    "Markdown",
    "compute",
    "load",
    "load_or_compute",
    "precompute",
]

#: Version of the cache file layout; a cache of another version is refused by :func:`load`.
FORMAT_VERSION = 1
_FORMAT = "sje-briefing"
ALL_REGIONS = "all"
_LANGS = ("zh", "en")

#: Report sections and their headings.
SECTIONS: dict[str, dict[str, str]] = {
    "summary": {"zh": "一、结论摘要", "en": "1. Summary"},
    "scorecard": {"zh": "二、目标完成情况", "en": "2. Progress against the targets"},
    "charts": {"zh": "三、主要指标的变化", "en": "3. Key indicators over time"},
    "equity": {"zh": "四、隐形培训与公平", "en": "4. Hidden tutoring and equity"},
    "methods": {"zh": "五、方法与数据说明", "en": "5. Methods and data"},
}

#: Key charts: title, the estimate drawn (variable, kind, by stage) and the scorecard indicator
#: whose change the chart's reading describes.
CHARTS: dict[str, dict[str, Any]] = {
    "homework_minutes": {"title": {"zh": "作业时长", "en": "Homework time"},
                         "variable": "homework_min_weekday", "kind": "mean", "by_stage": True,
                         "indicator": "homework_min_weekday"},
    "homework_standard": {"title": {"zh": "作业时长与国家标准", "en": "Homework against the national limits"},
                          "variable": "homework_min_weekday", "kind": "distribution",
                          "indicator": "homework_within_limit"},
    "tutoring_subject": {"title": {"zh": "学科类校外培训", "en": "Subject tutoring"},
                         "variable": "tutoring_subject", "kind": "share",
                         "indicator": "tutoring_subject"},
    "tutoring_spend": {"title": {"zh": "校外培训支出", "en": "Spending on tutoring"},
                       "variable": "tutoring_spend_year", "kind": "mean",
                       "indicator": "tutoring_spend_year"},
    "sleep": {"title": {"zh": "睡眠", "en": "Sleep"}, "variable": "sleep_meets_standard",
              "kind": "share", "indicator": "sleep_meets_standard"},
    "afterschool": {"title": {"zh": "课后服务", "en": "After-school services"},
                    "variable": "afterschool_participation", "kind": "share",
                    "indicator": "afterschool_participation"},
    "anxiety": {"title": {"zh": "家长焦虑", "en": "Parental anxiety"}, "variable": "parent_anxiety",
                "kind": "mean", "indicator": "parent_anxiety"},
}  # fmt: skip

_COMPULSORY_STAGES = ("primary_lower", "primary_upper", "junior")
_VERDICT_ORDER = ("remarkable", "effective", "not_met", "inconclusive", "insufficient")
#: CSS classes of ``templates/sje_report/report.css`` (``.sje-badge``) by verdict code.
BADGE_CLASS = {
    "remarkable": "remarkable",
    "effective": "met",
    "not_met": "not-met",
    "inconclusive": "inconclusive",
    "insufficient": "insufficient",
}
_REGION_ALL = {"zh": "全部地区", "en": "all regions"}
_SYNTH_NOTICE = {
    "zh": "注意:本报告使用合成演示数据,不描述任何真实地区、学校或个人。",
    "en": "Note: this report uses synthetic demonstration data; it describes no real place, "
    "school or person.",
}
# columns of the stored by-wave estimates (nothing else of a result table is kept)
_ESTIMATE_COLUMNS = ["wave", "stage", "variable", "estimate", "ci_lower", "ci_upper", "n",
                     "n_psu", "valid"]  # fmt: skip
_HIST_STEP = 10.0  # minutes: the width of a histogram bin of homework time
_DPI = 150  # charts are drawn at 1.5 times the 100 dpi at which they are shown


# ------------------------------------------------------------------------------ display objects
class Markdown(str):
    """Text that a notebook shows as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return str(self)


class HTML(str):
    """An HTML fragment that a notebook shows as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return re.sub(r"<[^>]+>", "", str(self))


class Chart:
    """A chart rendered to PNG, shown in a notebook at its natural size (``width`` in CSS
    pixels; the image holds ``dpi / 100`` times as many, so it stays sharp when zoomed or
    printed)."""

    def __init__(self, png: bytes, width: int, title: str = "") -> None:
        self.png, self.width, self.title = png, int(width), title

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        return self.png, {"width": self.width}

    def __repr__(self) -> str:
        return f"Chart({self.title!r}, width={self.width})"


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#])")


def _md(text: Any) -> str:
    """Text from data made safe for Markdown and HTML (as ``narrative.escape_markdown``)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lang


# ------------------------------------------------------------------------------ the briefing
@dataclass(eq=False)
class Briefing:
    """Everything the policy report shows for one region (see the module notes).

    Attributes
    ----------
    meta : dict
        ``region``, ``waves``, ``baseline_waves``, ``one_year_wave``, ``three_year_wave``,
        ``window`` (the latest target window with data, "3y" or "1y"), ``synthetic``,
        ``data_sha256``, ``data_file``, ``min_n``, ``min_psu``, coverage counts
        (``respondents``, ``respondents_compulsory``, ``schools``, ``counties``,
        ``respondents_by_wave``), ``verdict_counts`` ({"1y": {code: count}, "3y": ...}),
        ``created``, ``version``.
    scorecard : pandas.DataFrame
        The scorecard table (:data:`shuangjian_eval.targets.CONTRACT_COLUMNS` and more);
        suppressed cells are blank.
    frames : dict of DataFrame
        Chart data (``"chart:<key>"``) and equity results (``"displacement"``,
        ``"spend_by_income"``, ``"urban_rural"``): summaries only, suppressed cells blank.
    text : dict
        By language: the sentences of the report (``findings``, ``readings``, ``equity``),
        ``rules``, ``methods`` and ``scorecard_html``.
    verdict_rules : dict
        The verdict rules the scorecard followed.
    images : dict
        By language: the charts rendered by :meth:`render` (base64 PNG by chart key, ``""``
        for a chart with nothing to draw); :meth:`chart` shows these without drawing.
    """

    meta: dict[str, Any]
    scorecard: pd.DataFrame
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    text: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdict_rules: dict[str, Any] = field(default_factory=dict)
    images: dict[str, dict[str, str]] = field(default_factory=dict)

    # ---- metadata
    @property
    def region(self) -> str:
        return str(self.meta["region"])

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    def verdict_counts(self, window: str = "1y") -> dict[str, int]:
        """How many scorecard indicators got each verdict at ``window`` ("1y" or "3y")."""
        if window not in ("1y", "3y"):
            raise ValueError(f"window must be '1y' or '3y', got {window!r}")
        return dict(self.meta["verdict_counts"][window])

    def __repr__(self) -> str:
        m = self.meta
        return (
            f"Briefing(region={m['region']!r}, waves={m['waves']}, respondents={m['respondents']}, "
            f"synthetic={m['synthetic']}, 1y={m['verdict_counts']['1y']}, "
            f"3y={m['verdict_counts']['3y']})"
        )

    # ---- cache
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the briefing to one JSON file, atomically (a temporary file, then a rename)."""
        path = Path(path)
        doc = {
            "format": _FORMAT,
            "version": FORMAT_VERSION,
            "meta": self.meta,
            "verdict_rules": self.verdict_rules,
            "text": self.text,
            "images": self.images,
            "frames": {"scorecard": _frame_to_json(self.scorecard)}
            | {k: _frame_to_json(v) for k, v in self.frames.items()},
        }
        payload = json.dumps(doc, ensure_ascii=False, allow_nan=False, default=_json_default)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    # ---- sections
    def heading(self, section: str, lang: str = "zh") -> Markdown:
        """The Markdown heading of a report section (:data:`SECTIONS`)."""
        _check_lang(lang)
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}")
        return Markdown(f"## {SECTIONS[section][lang]}")

    def _where(self, lang: str) -> str:
        return _REGION_ALL[lang] if self.region == ALL_REGIONS else self.region

    def _waves_text(self, lang: str) -> str:
        m = self.meta
        base = ("、" if lang == "zh" else ", ").join(map(str, m["baseline_waves"]))
        if lang == "zh":
            return (
                f"政策前基线为{base}年调查,“1年”为{m['one_year_wave']}年调查,"
                f"“3年”为{m['three_year_wave']}年调查"
            )
        return (
            f"the pre-policy baseline is the {base} surveys, the 1-year mark the "
            f"{m['one_year_wave']} survey and the 3-year mark the {m['three_year_wave']} survey"
        )

    def headline(self, lang: str = "zh") -> HTML:
        """A short box with the overall verdicts at 1 and 3 years, as verdict badges.

        The counts are those of the scorecard (:meth:`verdict_counts`); the indicators that
        did not meet a target are named.
        """
        _check_lang(lang)
        zh, m = lang == "zh", self.meta
        where = html.escape(self._where(lang))
        n_ind = len(self.scorecard)
        scope = (
            f"范围:{where}义务教育阶段学生;{self._waves_text(lang)}。共评估 {n_ind} 项指标。"
            if zh
            else f"Scope: students in compulsory education, {where}; {self._waves_text(lang)}. "
            f"{n_ind} indicators are assessed."
        )
        parts = [
            '<div class="sje-headline" style="border-left: 4px solid #1a5fb4; '
            'background: #f6f8fa; padding: .7rem 1.1rem; margin: .6rem 0 1rem;">'
        ]
        if self.synthetic:
            parts.append(
                f'<p style="margin: 0 0 .4rem;"><b>{html.escape(_SYNTH_NOTICE[lang])}</b></p>'
            )
        for window in ("1y", "3y"):
            wave = m["one_year_wave" if window == "1y" else "three_year_wave"]
            if zh:
                name = "1年目标:有效减轻" if window == "1y" else "3年目标:成效显著"
                lead = f"<b>{name}</b>({wave}年调查与政策前相比):"
            else:
                name = (
                    "1-year target: effective reduction"
                    if window == "1y"
                    else "3-year target: remarkable results"
                )
                lead = f"<b>{name}</b> ({wave} survey against before the policy): "
            counts = self.verdict_counts(window)
            items = [
                f"{_badge(v, lang)} {counts[v]} {'项' if zh else ''}".rstrip()
                for v in _VERDICT_ORDER
                if counts.get(v, 0)
            ]
            joined = ("、" if zh else ", ").join(items)
            parts.append(
                f'<p style="margin: .25rem 0; font-size: 1.08rem;">{lead}{joined}{"。" if zh else "."}</p>'
            )
        missed = self._not_met_names(lang)
        if missed:
            label = "未达到目标的指标:" if zh else "Targets not met: "
            parts.append(f'<p style="margin: .35rem 0 0;"><b>{label}</b>{html.escape(missed)}</p>')
        parts.append(f'<p class="sje-note" style="margin: .35rem 0 0;">{scope}</p>')
        parts.append("</div>")
        return HTML("".join(parts))

    def _not_met_names(self, lang: str) -> str:
        t = self.scorecard
        out = []
        for _, r in t.iterrows():
            windows = [w for w in ("1y", "3y") if r[f"verdict_{w}"] == "not_met"]
            if not windows:
                continue
            when = ("、" if lang == "zh" else ", ").join(
                {"zh": {"1y": "1年", "3y": "3年"}, "en": {"1y": "1 year", "3y": "3 years"}}[lang][w]
                for w in windows
            )
            out.append(
                f"{r[f'label_{lang}']}({when})" if lang == "zh" else f"{r['label_en']} ({when})"
            )
        return ("、" if lang == "zh" else "; ").join(out)

    def key_findings(self, lang: str = "zh") -> Markdown:
        """The main findings in a few plain sentences (a Markdown list)."""
        _check_lang(lang)
        return Markdown("\n".join(f"- {s}" for s in self.text[lang]["findings"]))

    def scorecard_chart(self, lang: str = "zh") -> Chart | Markdown:
        """The scorecard as a chart (:func:`shuangjian_eval.plots.scorecard`), as :meth:`chart`."""
        return self.chart("scorecard", lang)

    def scorecard_table(self, lang: str = "zh") -> HTML:
        """The scorecard as a table with verdict badges and its footnotes."""
        _check_lang(lang)
        return HTML(self.text[lang]["scorecard_html"])

    def rules(self, lang: str = "zh") -> HTML:
        """The verdict rules in plain language (:func:`shuangjian_eval.targets.rules_text`)."""
        _check_lang(lang)
        lines = [line for line in self.text[lang]["rules"].splitlines() if line.strip()]
        head, body = lines[0], lines[1:]
        items = "".join(f'<p style="margin: .15rem 0;">{html.escape(x)}</p>' for x in body)
        return HTML(
            f'<div class="sje-rules sje-note"><p style="margin: .8rem 0 .2rem;"><b>'
            f"{html.escape(head)}</b></p>{items}</div>"
        )

    def chart_keys(self) -> list[str]:
        """Keys of the key charts (:data:`CHARTS`), in report order."""
        return list(CHARTS)

    def reading(self, key: str, lang: str = "zh") -> Markdown:
        """A chart's subheading and its one-sentence reading in plain language."""
        _check_lang(lang)
        spec = _chart_spec(key)
        return Markdown(f"### {spec['title'][lang]}\n\n{self.text[lang]['readings'][key]}")

    def figure(self, key: str, lang: str = "zh"):
        """A matplotlib Figure drawn by :mod:`shuangjian_eval.plots` from the stored summaries:
        ``"scorecard"`` or a key chart (:data:`CHARTS`); None when every cell of it is
        suppressed or empty."""
        from . import plots

        _check_lang(lang)
        if key == "scorecard":
            return plots.scorecard(self.scorecard, lang=lang)
        spec = _chart_spec(key)
        frame = self.frames.get(f"chart:{key}")
        if frame is None or frame.empty or not _usable(frame).any():
            return None
        if spec["kind"] == "distribution":
            waves = sorted(int(w) for w in pd.unique(frame["wave"]))
            return plots.distribution_vs_standard(
                frame, spec["variable"], by="stage", weights="weight", waves=waves, lang=lang
            )
        group = "stage" if spec.get("by_stage") else None
        if group:  # a stage suppressed in every wave is left out of the legend too
            shown = frame.loc[_usable(frame), group].unique()
            frame = frame[frame[group].isin(shown)]
        return plots.estimates_by_wave(
            frame, group=group, variable=spec["variable"], lang=lang, min_n=self.meta["min_n"]
        )

    def render(self, langs: Sequence[str] = ("zh",), dpi: int = _DPI) -> Briefing:
        """Render the scorecard chart and the key charts to PNG for ``langs`` and keep them
        (saved with the briefing), so that :meth:`chart` shows them without drawing."""
        import base64

        for lang in langs:
            _check_lang(lang)
            out = self.images.setdefault(lang, {})
            for key in ("scorecard", *CHARTS):
                fig = self.figure(key, lang)
                out[key] = "" if fig is None else base64.b64encode(_to_png(fig, dpi)).decode()
            self.images[lang] = out | {"_dpi": str(dpi)}
        return self

    def chart(self, key: str, lang: str = "zh") -> Chart | Markdown:
        """A chart for the report: ``"scorecard"`` or a key chart (:data:`CHARTS`).

        The rendering stored by :meth:`render` when there is one (a precomputed cache),
        else drawn now (:meth:`figure`); a note instead when every cell of the chart is
        suppressed or empty.
        """
        import base64

        _check_lang(lang)
        if key != "scorecard":
            _chart_spec(key)
        stored = self.images.get(lang, {})
        if key in stored:
            png, dpi = base64.b64decode(stored[key]), int(stored.get("_dpi", _DPI))
        else:
            fig = self.figure(key, lang)
            png, dpi = (b"", _DPI) if fig is None else (_to_png(fig, _DPI), _DPI)
        if not png:
            return Markdown(
                "*该地区此项受访者过少或无数据,不予绘图。*"
                if lang == "zh"
                else "*Too few respondents or no data in this region to draw this chart.*"
            )
        title = "scorecard" if key == "scorecard" else CHARTS[key]["title"][lang]
        return Chart(png, round(_png_size(png)[0] * 100 / dpi), title)

    def equity(self, lang: str = "zh") -> Markdown:
        """Hidden tutoring, income groups and urban/rural schools, in brief (a Markdown list)."""
        _check_lang(lang)
        t = self.text[lang]["equity"]
        names = {
            "hidden": ("隐形培训", "Hidden tutoring"),
            "income": ("不同收入家庭", "Income groups"),
            "urban": ("城乡", "Urban and rural schools"),
        }
        out = []
        for key in ("hidden", "income", "urban"):
            if t.get(key):
                name = names[key][0 if lang == "zh" else 1]
                sep = ":" if lang == "zh" else ": "
                out.append(f"- **{name}**{sep}" + ("" if lang == "zh" else " ").join(t[key]))
        return Markdown("\n".join(out))

    def coverage(self, lang: str = "zh") -> Markdown:
        """What the data cover: region, respondents, schools, waves; synthetic or not."""
        _check_lang(lang)
        m, zh = self.meta, lang == "zh"
        waves = m["waves"]
        span = f"{waves[0]}–{waves[-1]}" if waves else "–"
        min_n = int(m["min_n"])
        by_wave = ("、" if zh else ", ").join(
            (f"{w}年 " if zh else f"{w}: ") + fmt.format_count(n, min_n=min_n)
            for w, n in m["respondents_by_wave"].items()
        )
        where = _md(self._where(lang))
        if self.region == ALL_REGIONS:
            where += f"({m['counties']} 个区县)" if zh else f" ({m['counties']} counties)"
        if zh:
            text = (
                f"**数据范围**:{where},{m['schools']:,} 所学校,"
                f"{len(waves)} 轮调查({span}),共 {m['respondents']:,} 名受访学生,其中义务教育阶段 "
                f"{m['respondents_compulsory']:,} 名(目标评估只用义务教育阶段学生)。各轮受访人数:{by_wave}。"
            )
        else:
            text = (
                f"**Coverage**: {where}, {m['schools']:,} schools, "
                f"{len(waves)} survey waves ({span}), {m['respondents']:,} students surveyed, of "
                f"whom {m['respondents_compulsory']:,} in compulsory education (the targets are "
                f"assessed on them). Respondents by wave: {by_wave}."
            )
        if m.get("data_file"):
            text += (
                f"数据文件:{_md(m['data_file'])}" if zh else f" Data file: {_md(m['data_file'])}"
            )
            if m.get("data_sha256"):
                text += (
                    f"(数据指纹 {m['data_sha256'][:16]})。"
                    if zh
                    else f" (SHA-256 {m['data_sha256'][:16]})."
                )
            else:
                text += "。" if zh else "."
        if self.synthetic:
            text += "\n\n**" + _SYNTH_NOTICE[lang] + "**"
        return Markdown(text)

    def methods(self, lang: str = "zh") -> Markdown:
        """A short note on methods (:func:`shuangjian_eval.narrative.methods_note`) and the
        data's coverage."""
        _check_lang(lang)
        return Markdown(self.text[lang]["methods"] + "\n\n" + self.coverage(lang))


def _to_png(fig: Any, dpi: int) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _badge(verdict: str, lang: str) -> str:
    label = html.escape(fmt.verdict_label(verdict, lang))
    return f'<span class="sje-badge {BADGE_CLASS.get(verdict, "insufficient")}">{label}</span>'


def _chart_spec(key: str) -> dict[str, Any]:
    if key not in CHARTS:
        raise ValueError(f"unknown chart {key!r}; charts: {', '.join(CHARTS)}")
    return CHARTS[key]


def _usable(frame: pd.DataFrame) -> pd.Series:
    if "estimate" in frame.columns:
        return frame["valid"].fillna(False).astype(bool) & frame["estimate"].notna()
    return frame["weight"].notna()


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


def load(path: str | os.PathLike[str]) -> Briefing:
    """Read a briefing written by :meth:`Briefing.save`.

    Raises
    ------
    ValueError
        When the file is not a briefing, or of another format version.
    """
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a briefing file (written by Briefing.save)")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} is a briefing of format version {doc.get('version')}; this version of "
            f"shuangjian_eval reads version {FORMAT_VERSION}: compute it again (precompute)"
        )
    frames = {k: _frame_from_json(v) for k, v in doc["frames"].items()}
    return Briefing(
        meta=doc["meta"],
        scorecard=frames.pop("scorecard"),
        frames=frames,
        text=doc["text"],
        verdict_rules=doc.get("verdict_rules", {}),
        images=doc.get("images", {}),
    )


# ------------------------------------------------------------------------------ computing
def _read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read canonical survey Parquet (every row: a region is a domain of the full design)."""
    return pd.read_parquet(path)


def _file_facts(path: str | os.PathLike[str]) -> dict[str, Any]:
    from .pipeline import data_hash

    st = os.stat(path)
    return {
        "data_file": Path(path).name,
        "data_sha256": data_hash(path),
        "data_size": st.st_size,
        "data_mtime_ns": st.st_mtime_ns,
    }


def _check_region(df: pd.DataFrame, region: str) -> None:
    if not isinstance(region, str) or not region:
        raise ValueError(f"region must be a county name or {ALL_REGIONS!r}, got {region!r}")
    if region == ALL_REGIONS:
        return
    if "county" not in df.columns:
        raise ValueError(f"region {region!r} needs a 'county' column in the data")
    counties = sorted(str(c) for c in pd.unique(df["county"].dropna()))
    if region not in counties:
        raise ValueError(
            f"region {region!r} is not in the data; valid regions: {ALL_REGIONS}, "
            + ", ".join(counties)
        )


def compute(
    df: pd.DataFrame,
    *,
    region: str = ALL_REGIONS,
    policy: Any = None,
    min_n: int = 30,
    data_facts: Mapping[str, Any] | None = None,
) -> Briefing:
    """Compute the briefing of one region.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical survey data of every region (one row per respondent per wave); the region is
        estimated as a domain of the full design, as in the scorecard.
    region : str
        A county in the data, or ``"all"``.
    policy : Policy, optional
        Standards and target waves (``policy.yaml`` when omitted).
    min_n : int
        Cells (indicator or group by period, chart point) with fewer respondents, or fewer
        than ``min_psu`` (2) schools, are suppressed: blanked, never drawn or described.
    data_facts : dict, optional
        ``data_file``, ``data_sha256`` ... of the file the data came from (for the cache check
        and the methods note).

    Raises
    ------
    ValueError
        For a region that is not in the data (the message lists the valid regions) or a bad
        ``min_n``.
    """
    from . import policy as _policy

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n must be a positive integer, got {min_n!r}")
    _check_region(df, region)
    pol = policy or _policy.load()
    return _compute(_Prepared.of(df, pol), region, int(min_n), dict(data_facts or {}))


@dataclass
class _Prepared:
    """The data with derived variables and period columns, shared by the regions of a run."""

    df: pd.DataFrame
    policy: Any
    compulsory: np.ndarray
    period: np.ndarray
    synthetic: bool

    @classmethod
    def of(cls, df: pd.DataFrame, pol: Any) -> _Prepared:
        from . import codebook as _codebook

        need = ["stage", "homework_within_limit", "sleep_meets_standard", "parent_anxiety",
                "tutoring_spend_share"]  # fmt: skip
        synthetic = "synth" in df.attrs
        if any(c not in df.columns for c in need):
            df = _codebook.derive(df, pol)
        df = df.drop(columns=["respondent_id"], errors="ignore")  # never needed, never kept
        grade = pd.to_numeric(df["grade"], errors="coerce").to_numpy(float, na_value=np.nan)
        lo, hi = pol.compulsory_grades
        compulsory = (grade >= lo) & (grade <= hi)
        wave = pd.to_numeric(df["wave"], errors="coerce").to_numpy(float, na_value=np.nan)
        period = np.full(len(df), None, dtype=object)
        period[np.isin(wave, pol.baseline_waves)] = "baseline"
        period[wave == pol.one_year_wave] = "one_year"
        period[wave == pol.three_year_wave] = "three_year"
        return cls(df, pol, compulsory, period, synthetic)

    def in_region(self, region: str) -> np.ndarray:
        if region == ALL_REGIONS:
            return np.ones(len(self.df), bool)
        return (self.df["county"] == region).to_numpy(bool, na_value=False)


def _compute(prep: _Prepared, region: str, min_n: int, facts: dict[str, Any]) -> Briefing:
    from . import __version__
    from . import targets as _targets

    pol, df = prep.policy, prep.df
    card = _targets.scorecard(df, policy=pol, region=region, min_n=min_n, lang="zh")
    vr = card.verdict_rules
    table = card.to_frame()
    member = prep.in_region(region)
    waves_present = sorted(int(w) for w in pd.unique(df.loc[member, "wave"].dropna()))
    window = (
        "3y" if pol.three_year_wave in waves_present
        else "1y" if pol.one_year_wave in waves_present else None
    )  # fmt: skip
    counts = {
        w: {v: int((table[f"verdict_{w}"] == v).sum()) for v in _VERDICT_ORDER}
        for w in ("1y", "3y")
    }
    sub = df.loc[member]
    by_wave = sub.groupby("wave", observed=True).size()
    meta: dict[str, Any] = {
        "region": region,
        "waves": waves_present,
        "baseline_waves": [int(w) for w in pol.baseline_waves],
        "one_year_wave": int(pol.one_year_wave),
        "three_year_wave": int(pol.three_year_wave),
        "window": window,
        "synthetic": prep.synthetic,
        "min_n": min_n,
        "min_psu": int(vr.min_psu),
        "respondents": int(member.sum()),
        "respondents_compulsory": int((member & prep.compulsory).sum()),
        "schools": int(sub["school_id"].nunique()),
        "counties": int(sub["county"].nunique()) if "county" in sub else 1,
        "respondents_by_wave": {str(int(w)): int(n) for w, n in by_wave.items()},
        "verdict_counts": counts,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        **{k: facts.get(k, "") for k in ("data_file", "data_sha256", "data_size", "data_mtime_ns")},
    }
    frames = _chart_frames(prep, region, min_n, int(vr.min_psu))
    equity = _equity_results(prep, region, min_n, int(vr.min_psu))
    frames.update({k: r.to_frame() for k, r in equity.items()})
    text = {lang: _texts(card, table, equity, meta, vr, lang) for lang in _LANGS}
    return Briefing(
        meta=meta,
        scorecard=table,
        frames=frames,
        text=text,
        verdict_rules=dataclasses.asdict(vr),
    )


def _psu_counts(df: pd.DataFrame, rows: np.ndarray, keys: list[str]) -> pd.Series:
    return df.loc[rows].groupby(keys, observed=True)["school_id"].nunique()


def _chart_frames(
    prep: _Prepared, region: str, min_n: int, min_psu: int
) -> dict[str, pd.DataFrame]:
    """Design-based estimates by wave (region and compulsory grades a domain of the full
    design) and the homework histogram; suppressed cells blanked."""
    from .survey import SurveyDesign

    df = prep.df
    dom = prep.in_region(region) & prep.compulsory
    work = df.assign(_domain=pd.array(np.where(dom, True, None), dtype="boolean"))
    design = SurveyDesign(work, "weight", strata="stratum", psu="school_id")
    means = [
        s["variable"] for s in CHARTS.values() if s["kind"] == "mean" and not s.get("by_stage")
    ]
    shares = [s["variable"] for s in CHARTS.values() if s["kind"] == "share"]
    results = {}
    if means:
        results["wave"] = design.mean(means, by=["_domain", "wave"], df="design").table
    if shares:
        prop = design.proportion(shares, by=["_domain", "wave"], df="design").table
        results["share"] = prop[prop["category"].astype(bool)]
    staged = [s["variable"] for s in CHARTS.values() if s.get("by_stage")]
    if staged:
        results["stage"] = design.mean(staged, by=["_domain", "wave", "stage"], df="design").table
    frames: dict[str, pd.DataFrame] = {}
    for key, spec in CHARTS.items():
        var = spec["variable"]
        if spec["kind"] == "distribution":
            frames[f"chart:{key}"] = _homework_histogram(prep, dom, min_n, min_psu)
            continue
        src = results[
            "stage" if spec.get("by_stage") else ("share" if spec["kind"] == "share" else "wave")
        ]
        t = src[(src["variable"] == var) & src["_domain"].fillna(False).astype(bool)].copy()
        keys = ["wave", "stage"] if spec.get("by_stage") else ["wave"]
        if spec.get("by_stage"):
            t = t[t["stage"].astype(str).isin(_COMPULSORY_STAGES)]
        seen = dom & df[var].notna().to_numpy()
        psu = _psu_counts(df, seen, keys)
        t["n_psu"] = [
            int(psu.get(k if len(keys) > 1 else k[0], 0)) for k in t[keys].itertuples(index=False)
        ]
        t = _blank_small(t, min_n, min_psu)
        if "stage" not in t.columns:
            t["stage"] = None
        t["stage"] = (
            t["stage"]
            .astype(object)
            .where(t["stage"].notna(), None)
            .map(lambda s: None if s is None else str(s))
        )
        t["wave"] = t["wave"].astype(int)
        frames[f"chart:{key}"] = t[_ESTIMATE_COLUMNS].reset_index(drop=True)
    return frames


def _blank_small(t: pd.DataFrame, min_n: int, min_psu: int) -> pd.DataFrame:
    small = (t["n"].fillna(0) < min_n) | (t["n_psu"] < min_psu)
    t = t.copy()
    t["valid"] = t["valid"].astype(bool) & ~small
    for c in ("estimate", "ci_lower", "ci_upper"):
        t[c] = t[c].astype(float).where(t["valid"], np.nan)
    return t


def _homework_histogram(prep: _Prepared, dom: np.ndarray, min_n: int, min_psu: int) -> pd.DataFrame:
    """Weighted counts of homework minutes in 10-minute bins, by wave, stage and grade.

    A value in the bin ``(a - 10, a]`` is stored at the bin's middle ``a - 5`` and 0 at 0, so a
    value above a limit that is a multiple of 10 (0, 60, 90 minutes) stays above it; values
    above the weighted 99th percentile (at least 120 minutes) share the last bin. Only the last
    baseline wave and the last wave are kept (as ``plots.distribution_vs_standard`` compares),
    and a (wave, stage) cell with fewer than ``min_n`` respondents or ``min_psu`` schools is
    left out.
    """
    df, pol = prep.df, prep.policy
    var = "homework_min_weekday"
    x = pd.to_numeric(df[var], errors="coerce").to_numpy(float, na_value=np.nan)
    w = pd.to_numeric(df["weight"], errors="coerce").to_numpy(float, na_value=np.nan)
    rows = dom & np.isfinite(x) & np.isfinite(w)
    waves = sorted(int(v) for v in pd.unique(df.loc[rows, "wave"].dropna()))
    base = [v for v in waves if v in set(pol.baseline_waves)]
    chosen = [base[-1], waves[-1]] if base and base[-1] != waves[-1] else waves[-1:]
    rows &= df["wave"].isin(chosen).to_numpy(bool, na_value=False)
    columns = ["wave", "stage", "grade", var, "weight"]
    if not rows.any():
        return pd.DataFrame(columns=columns)
    order = np.argsort(x[rows])
    cum = np.cumsum(w[rows][order])
    q99 = x[rows][order][np.searchsorted(cum, 0.99 * cum[-1])]
    cap = max(120.0, math.ceil(q99 / _HIST_STEP) * _HIST_STEP)
    binned = np.where(x <= 0, 0.0, np.ceil(x / _HIST_STEP) * _HIST_STEP - _HIST_STEP / 2)
    binned = np.minimum(binned, cap + _HIST_STEP / 2)
    part = pd.DataFrame({
        "wave": df["wave"].to_numpy()[rows].astype(int),
        "stage": df["stage"].astype(str).to_numpy()[rows],
        "grade": pd.to_numeric(df["grade"]).to_numpy()[rows].astype(int),
        var: binned[rows],
        "weight": w[rows],
        "school_id": df["school_id"].astype(str).to_numpy()[rows],
    })  # fmt: skip
    size = part.groupby(["wave", "stage"]).agg(n=("weight", "size"), psu=("school_id", "nunique"))
    ok = size[(size["n"] >= min_n) & (size["psu"] >= min_psu)].index
    part = part[pd.MultiIndex.from_frame(part[["wave", "stage"]]).isin(ok)]
    part = part[part["stage"].isin(_COMPULSORY_STAGES)]
    out = part.groupby(["wave", "stage", "grade", var], as_index=False)["weight"].sum()
    return out[columns].reset_index(drop=True)


def _period_cells(
    prep: _Prepared, region: str, variables: Sequence[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """(respondents, schools) with an observed value, per variable and period, in the region's
    compulsory grades."""
    df = prep.df
    rows = prep.in_region(region) & prep.compulsory & pd.notna(prep.period)
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for var in variables:
        if var not in df.columns:
            continue
        seen = rows & df[var].notna().to_numpy()
        part = pd.DataFrame({"p": prep.period[seen], "s": df["school_id"].to_numpy()[seen]})
        g = part.groupby("p")["s"].agg(["size", "nunique"])
        out[var] = {p: (int(r["size"]), int(r["nunique"])) for p, r in g.iterrows()}
    return out


def _equity_results(prep: _Prepared, region: str, min_n: int, min_psu: int) -> dict[str, Any]:
    from . import targets as _targets

    df, pol = prep.df, prep.policy
    disp = _targets.displacement(df, policy=pol, region=region)
    cells = _period_cells(prep, region, ["tutoring_subject", "tutoring_nonsubject",
                                          "tutoring_hidden", "teacher_referred_tutoring"])  # fmt: skip
    t = disp.table.copy()
    for i, r in t.iterrows():
        period = "one_year" if r["window"] == "1y" else "three_year"
        needs = [r["variable"]] + (
            ["tutoring_subject"] if r["quantity"] == "substitution_ratio" else []
        )
        small = any(
            cells.get(v, {}).get(p, (0, 0))[0] < min_n
            or cells.get(v, {}).get(p, (0, 0))[1] < min_psu
            for v in needs
            for p in ("baseline", period)
        )
        if small:
            t.loc[i, "valid"] = False
            t.loc[i, "reason"] = (
                f"suppressed: fewer than {min_n} respondents or {min_psu} schools in a cell"
            )
    for c in ("estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper"):
        t[c] = t[c].astype(float).where(t["valid"].astype(bool), np.nan)
    disp = dataclasses.replace(disp, table=t)
    out = {"displacement": disp}
    income = _targets.spend_by_income(df, policy=pol, region=region, min_n=min_n)
    urban = _targets.urban_rural_gaps(df, policy=pol, region=region, min_n=min_n)
    for key, res in (("spend_by_income", income), ("urban_rural", urban)):
        t = res.table.copy()
        bad = ~t["valid"].astype(bool)
        for c in ("estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper",
                  "baseline", "follow_up"):  # fmt: skip
            if c in t.columns:
                t[c] = t[c].astype(float).where(~bad, np.nan)
        out[key] = dataclasses.replace(res, table=t)
    return out


# ------------------------------------------------------------------------------ sentences
def _texts(card: Any, table: pd.DataFrame, equity: dict[str, Any], meta: dict[str, Any],
           vr: Any, lang: str) -> dict[str, Any]:  # fmt: skip
    """Every sentence of the report in one language (computed with the data, so a cached
    briefing is shown without the estimation stack)."""
    from . import narrative, tables
    from . import policy as _policy
    from .targets import rules_text

    pol = card.policy or _policy.load()
    window = meta["window"]
    rows = {r["indicator"]: r for _, r in table.iterrows()}
    readings = {}
    for key, spec in CHARTS.items():
        row = rows.get(spec["indicator"])
        if row is None or window is None:
            readings[key] = (
                "数据中没有可比较的调查轮次。"
                if lang == "zh"
                else "The data have no survey to compare."
            )
            continue
        sentence = narrative.describe_change(row, lang, window=window, level=vr.level, policy=pol)
        readings[key] = _levels(row, window, meta, lang) + sentence
    return {
        "findings": _findings(table, meta, lang),
        "readings": readings,
        "equity": _equity_sentences(equity, window, lang, min_n=meta["min_n"]),
        "rules": rules_text(lang, vr, pol),
        "methods": narrative.methods_note(lang, policy=pol, rules=vr),
        "scorecard_html": _scorecard_html(
            tables.scorecard_table(table, lang=lang, min_n=meta["min_n"]), table, lang
        ),  # fmt: skip
    }


def _levels(row: pd.Series, window: str, meta: dict[str, Any], lang: str) -> str:
    """ "Before the policy X; in <wave> Y. " from a scorecard row, when both are published."""
    period = "one_year" if window == "1y" else "three_year"
    base, now = row["baseline"], row[period]
    if bool(row.get("suppressed", False)) or pd.isna(base) or pd.isna(now):
        return ""
    unit = row["unit"]
    wave = meta["one_year_wave" if window == "1y" else "three_year_wave"]
    a, b = fmt.format_value(base, unit, lang), fmt.format_value(now, unit, lang)
    if lang == "zh":
        return f"政策前为 {a},{wave}年为 {b}。"
    return f"Before the policy: {a}; in {wave}: {b}. "


def _findings(table: pd.DataFrame, meta: dict[str, Any], lang: str) -> list[str]:
    """One sentence per verdict at the latest target window, naming the indicators."""
    zh = lang == "zh"
    window = meta["window"]
    if window is None:
        return [
            "数据中没有政策后的调查轮次,无法评估目标。"
            if zh
            else "The data have no survey after the policy; the targets cannot be assessed."
        ]
    wave = meta["one_year_wave" if window == "1y" else "three_year_wave"]
    lead = {
        "zh": {
            "remarkable": "达到“3年内成效显著”目标",
            "effective": "达到“有效减轻”标准" if window == "3y" else "达到“1年内有效减轻”目标",
            "not_met": "未达到目标(可以确定)",
            "inconclusive": "尚无定论(数据不能判断是否达到)",
            "insufficient": "数据不足,无法判断",
        },
        "en": {
            "remarkable": "met the 3-year target of remarkable results",
            "effective": "met the standard of an effective reduction"
            if window == "3y"
            else "met the 1-year target of an effective reduction",
            "not_met": "fell short of the target (the data rule it out)",
            "inconclusive": "were inconclusive (the data cannot tell)",
            "insufficient": "had insufficient data to judge",
        },
    }[lang]
    out = []
    for v in _VERDICT_ORDER:
        names = [
            _md(r[f"label_{lang}"]) for _, r in table.iterrows() if r[f"verdict_{window}"] == v
        ]
        if not names:
            continue
        if zh:
            out.append(f"{wave}年,{len(names)} 项指标{lead[v]}:{'、'.join(names)}。")
        else:
            noun = "indicator" if len(names) == 1 else "indicators"
            verb = lead[v].replace("were ", "was ") if len(names) == 1 else lead[v]
            out.append(f"In {wave}, {len(names)} {noun} {verb}: {'; '.join(names)}.")
    out.append(
        "以上均为政策前后的比较,描述的是变化,不能单独证明变化由政策引起(见第五部分)。"
        if zh
        else "All of these compare before and after the policy: they describe change and do not "
        "on their own show that the policy caused it (see section 5)."
    )
    return out


#: What the equity section describes: result, then (variable, quantity, group) of each row.
_EQUITY_ROWS: dict[str, tuple[str, str | None, list[tuple[str, str, Any]]]] = {
    "hidden": ("displacement", None, [("tutoring_hidden", "change", None),
                                      ("tutoring_hidden", "substitution_ratio", None)]),
    "income": ("spend_by_income", "income_quintile",
               [("tutoring_spend_year", "change", "Q1"), ("tutoring_spend_year", "change", "Q5"),
                ("tutoring_spend_year", "gap_change", "Q5")]),
    "urban": ("urban_rural", "urban", [("homework_min_weekday", "gap_change", True),
                                       ("tutoring_subject", "gap_change", True)]),
}  # fmt: skip
_EQUITY_SMALL = {
    "hidden": ("该地区受访者过少,不予报告。", "Too few respondents in this region to report."),
    "income": ("各收入组受访者过少,不予分组报告。", "Too few respondents in the income groups to report."),
    "urban": ("城镇或农村学校的受访者过少,不予分组报告。",
              "Too few respondents in urban or rural schools to report."),
}  # fmt: skip


def _equity_sentences(
    equity: dict[str, Any], window: str | None, lang: str, min_n: int
) -> dict[str, list[str]]:
    """Sentences on the rows of :data:`_EQUITY_ROWS` at ``window``: valid rows only; a group
    whose rows are all suppressed gets one sentence saying so."""
    from . import narrative

    if window is None:
        return {}
    out: dict[str, list[str]] = {}
    for name, (key, by, wanted) in _EQUITY_ROWS.items():
        result = equity[key]
        t = result.table
        sentences, small = [], False
        for variable, quantity, group in wanted:
            mask = (t["window"] == window) & (t["variable"] == variable)
            mask &= t["quantity"] == quantity
            if by is not None:
                mask &= t[by] == group
            rows = t[mask.to_numpy(bool)]
            small |= rows["reason"].astype(str).str.startswith("suppressed").any()
            rows = rows[rows["valid"].astype(bool)]
            if not rows.empty:
                part = dataclasses.replace(result, table=rows.reset_index(drop=True))
                sentences.append(narrative.describe_change(part, lang, min_n=min_n))
        if not sentences and small:
            sentences = [_EQUITY_SMALL[name][0 if lang == "zh" else 1]]
        out[name] = sentences
    return out


def _scorecard_html(display: pd.DataFrame, table: pd.DataFrame, lang: str) -> str:
    """The scorecard table as HTML: every cell escaped, verdict cells as badges, numbers kept
    on one line."""
    verdict_cols = {fmt.stat_label("verdict_1y", lang): "verdict_1y",
                    fmt.stat_label("verdict_3y", lang): "verdict_3y"}  # fmt: skip
    hidden = set(display.attrs.get("suppressed", []))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in display.columns)
    body = []
    for pos, rec in enumerate(display.itertuples(index=False, name=None)):
        cells = [f"<td>{html.escape(str(rec[0]))}</td>"]
        for col, value in zip(display.columns[1:], rec[1:], strict=True):
            text = html.escape(str(value))
            if col in verdict_cols and pos not in hidden and value:
                text = _badge(str(table.iloc[pos][verdict_cols[col]]), lang)
            css = ' class="sje-suppressed"' if pos in hidden else ""
            cells.append(f'<td{css} style="white-space: nowrap;">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    notes = "".join(
        f'<p class="sje-note">{html.escape(n)}</p>' for n in display.attrs.get("notes", [])
    )
    return (
        '<div class="sje-table"><table class="sje-report-table" style="font-size: .85rem;">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}</div>"
    )


# ------------------------------------------------------------------------------ caching
def load_or_compute(
    data_path: str | os.PathLike[str],
    *,
    region: str = ALL_REGIONS,
    cache_path: str | os.PathLike[str] = "",
    min_n: int = 30,
) -> Briefing:
    """The briefing of ``region``: from ``cache_path`` when given and present, else computed.

    Computing reads the whole data file (the region is a domain of the full design, so a
    cached and a computed briefing agree). A cache must be of the same region and ``min_n``,
    and of the same data when ``data_path`` exists (checked by size and modification time,
    and by SHA-256 only when these differ); otherwise a ValueError says what differs.
    """
    if cache_path and Path(cache_path).exists():
        b = load(cache_path)
        if b.region != region:
            raise ValueError(f"cache {cache_path} is for region {b.region!r}, not {region!r}")
        if int(b.meta["min_n"]) != int(min_n):
            raise ValueError(
                f"cache {cache_path} suppresses cells below {b.meta['min_n']} respondents, "
                f"this report asks for {min_n}: precompute with min_n={min_n}"
            )
        _check_same_data(b, data_path, cache_path)
        return b
    if not Path(data_path).exists():
        raise FileNotFoundError(
            f"data file {data_path} does not exist; run 'sje synth' or 'sje ingest'"
        )
    df = _read_data(data_path)
    return compute(df, region=region, min_n=min_n, data_facts=_file_facts(data_path))


def _check_same_data(b: Briefing, data_path: Any, cache_path: Any) -> None:
    m = b.meta
    if not data_path or not Path(data_path).exists() or not m.get("data_sha256"):
        return
    st = os.stat(data_path)
    if st.st_size == m.get("data_size") and st.st_mtime_ns == m.get("data_mtime_ns"):
        return
    from .pipeline import data_hash

    if data_hash(data_path) != m["data_sha256"]:
        raise ValueError(
            f"cache {cache_path} was computed from other data than {data_path} "
            f"(SHA-256 {m['data_sha256'][:16]}...): precompute it again"
        )


def cache_file(cache_dir: str | os.PathLike[str], region: str) -> Path:
    """Where :func:`precompute` writes the briefing of ``region``: a readable name and a short
    hash of the region (two names with the same readable form stay apart)."""
    from .pipeline import region_slug

    digest = hashlib.sha1(region.encode("utf-8")).hexdigest()[:8]
    return Path(cache_dir) / f"{region_slug(region)}.{digest}.briefing.json"


def precompute(
    data_path: str | os.PathLike[str],
    regions: str | Sequence[str],
    cache_dir: str | os.PathLike[str],
    *,
    min_n: int = 30,
    langs: Sequence[str] = ("zh",),
    workers: int = 1,
    policy: Any = None,
) -> dict[str, Path]:
    """Compute, render and save the briefings of many regions, reading the data once.

    Parameters
    ----------
    data_path : path
        Canonical survey Parquet.
    regions : str or sequence of str
        Region names, ``"all"``, or ``"each"`` (every county); a comma-separated string is
        split.
    cache_dir : path
        Folder for the files (created); one file per region (:func:`cache_file`).
    min_n : int
        As :func:`compute` (the notebooks' ``min_cell`` must be the same).
    langs : sequence of {"zh", "en"}
        Languages whose charts are rendered into the cache (the run's report language), so
        that a report notebook only shows them; ``()`` leaves the drawing to the notebooks.
    workers : int
        Worker processes (each receives the data once); 1 computes here.

    Returns
    -------
    dict
        Region -> path of its briefing, to pass to each notebook as ``cache_path``.

    Raises
    ------
    ValueError
        Before anything is written, for a region that is not in the data or a bad option.
    """
    from . import policy as _policy

    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    for lang in langs:
        _check_lang(lang)
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n must be a positive integer, got {min_n!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    df = _read_data(data_path)
    counties = (
        sorted(str(c) for c in pd.unique(df["county"].dropna())) if "county" in df.columns else []
    )
    chosen: list[str] = []
    for r in regions:
        chosen.extend(counties if r == "each" else [r])
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise ValueError("no regions given; valid regions: all, each, " + ", ".join(counties))
    for r in chosen:
        _check_region(df, r)
    job = {
        "prep": _Prepared.of(df, policy or _policy.load()),
        "min_n": int(min_n),
        "facts": _file_facts(data_path),
        "cache_dir": str(cache_dir),
        "langs": tuple(langs),
    }
    del df
    workers = min(workers, len(chosen))
    if workers == 1:
        _WORKER.update(job)
        try:
            return {r: _precompute_one(r)[1] for r in chosen}
        finally:
            _WORKER.clear()
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold threads (Arrow's), which fork does not copy safely
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_init_worker,
        initargs=(job,),
    ) as pool:
        done = dict(pool.map(_precompute_one, chosen))
    return {r: done[r] for r in chosen}


_WORKER: dict[str, Any] = {}


def _init_worker(job: dict[str, Any]) -> None:
    _WORKER.update(job)


def _precompute_one(region: str) -> tuple[str, Path]:
    w = _WORKER
    b = _compute(w["prep"], region, w["min_n"], w["facts"]).render(w["langs"])
    return region, b.save(cache_file(w["cache_dir"], region))
