"""The :class:`Briefing` of one region and the objects a report notebook shows.

A :class:`Briefing` holds summaries only (the scorecard, chart frames, equity results) and every
sentence of the report, already computed (:mod:`.compute`, :mod:`.text`); its methods turn these
into :class:`Markdown`, :class:`HTML` (every piece of text from data escaped) or a
:class:`Chart` (a PNG rendered by :mod:`shuangjian_eval.publication.plots`, or stored by
:meth:`Briefing.render`), and :meth:`Briefing.save` writes it to one JSON file.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ...base.files import atomic_write
from ...inputs import regions as _regions
from .. import formatting as fmt
from ._common import (
    _FORMAT,
    _VERDICT_ORDER,
    CHARTS,
    FORMAT_VERSION,
    _badge,
    _frame_to_json,
    _json_default,
    _md,
)
from .text import has_baseline, reported_windows, summary_lines

#: Report sections and their headings.
SECTIONS: dict[str, dict[str, str]] = {
    "summary": {"zh": "一、结论摘要", "en": "1. Summary"},
    "scorecard": {"zh": "二、目标完成情况", "en": "2. Progress against the targets"},
    "charts": {"zh": "三、主要指标的变化", "en": "3. Key indicators over time"},
    "equity": {"zh": "四、隐形培训与公平", "en": "4. Hidden tutoring and equity"},
    "supervision": {
        "zh": "五、督导报表与家庭调查对照",
        "en": "5. Supervision returns beside the survey",
    },
    "methods": {"zh": "六、方法与数据说明", "en": "6. Methods and data"},
    "glossary": {"zh": "七、名词解释", "en": "7. Glossary"},
}
#: The sections of the Word document, which is made from the briefing alone (the survey's
#: estimates): the supervision section, read from the returns beside the survey, is the HTML
#: report's only.
DOCUMENT_SECTIONS: tuple[str, ...] = tuple(k for k in SECTIONS if k != "supervision")
_SYNTH_NOTICE = fmt.REPORT_TEXT["synthetic_notice"]
_SCORECARD_TITLE = {
    "zh": "目标完成情况：各项指标相对政策前基线的变化及评价",
    "en": "Progress against the targets: each indicator's change from the pre-policy baseline, "
    "with its verdict",
}
_DPI = 150  # charts are drawn at 1.5 times the 100 dpi at which they are shown
_PAD_INCHES = 0.1  # white margin around a chart's PNG
_PNG_LEVEL = 3  # deflate level of the PNGs


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

    def _repr_png_(self) -> tuple[bytes, dict[str, Any]]:
        return self.png, {"width": self.width} | ({"alt": self.title} if self.title else {})

    def __repr__(self) -> str:
        return f"Chart({self.title!r}, width={self.width})"


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# ------------------------------------------------------------------------------ the briefing
@dataclass(eq=False)
class Briefing:
    """Everything the policy report shows for one region (see :mod:`shuangjian_eval.publication.briefing`).

    Attributes
    ----------
    meta : dict
        ``region``, ``waves``, ``baseline_waves``, ``one_year_wave``, ``three_year_wave``,
        ``window`` (the latest target window with data, "3y" or "1y"), ``synthetic``,
        ``data_sha256``, ``data_file``, ``min_cell``, ``min_psu``, coverage counts
        (``respondents``, ``respondents_compulsory``, ``schools``, ``counties``,
        ``respondents_by_wave``, None for a wave below ``min_cell``), ``verdict_counts``
        ({"1y": {code: count}, "3y": ...}), ``created``, ``version``.
    scorecard : pandas.DataFrame
        The scorecard table (:data:`shuangjian_eval.publication.targets.CONTRACT_COLUMNS` and more);
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
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
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
        return atomic_write(path, payload)

    def _text(self, lang: str) -> dict[str, Any]:
        """The sentences in ``lang``; a briefing precomputed for a report run holds only the
        run's language."""
        fmt.check_lang(lang)
        if lang not in self.text:
            held = ", ".join(sorted(self.text)) or "none"
            raise ValueError(
                f"this briefing of {self.region!r} holds the report's text in {held}, not "
                f"{lang!r}: it was precomputed for a run in another language; compute it again "
                f"(briefing.compute, or precompute with langs=({lang!r},))"
            )
        return self.text[lang]

    # ---- sections
    def heading(self, section: str, lang: str = "zh") -> Markdown:
        """The Markdown heading of a report section (:data:`SECTIONS`)."""
        fmt.check_lang(lang)
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}")
        return Markdown(f"## {SECTIONS[section][lang]}")

    def _where(self, lang: str) -> str:
        return fmt.region_label(self.region, lang, sentence=True)

    def _waves_text(self, lang: str) -> str:
        m = self.meta
        if not has_baseline(m):
            return fmt.label(fmt.REPORT_TEXT, "waves_levels", lang,
                             waves=fmt.join_list(m["waves"], lang))  # fmt: skip
        base = ("、" if lang == "zh" else ", ").join(map(str, m["baseline_waves"]))
        if lang == "zh":
            return (
                f"政策前基线为{base}年调查，“1年”为{m['one_year_wave']}年调查，"
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
        fmt.check_lang(lang)
        zh = lang == "zh"
        where = html.escape(self._where(lang))
        n_ind = len(self.scorecard)
        scope = (
            f"范围：{where}义务教育阶段学生；{self._waves_text(lang)}。共评估 {n_ind} 项指标。"
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
        plan = self._text(lang).get("plan") or {}
        if plan.get("warning"):
            parts.append(
                '<p class="sje-warning" style="margin: 0 0 .4rem; color: #8a4b00;"><b>⚠ '
                f"{html.escape(plan['warning'])}</b></p>"
            )
        if plan.get("what"):
            label = "分析方案：" if zh else "Analysis plan: "
            parts.append(
                f'<p class="sje-plan" style="margin: 0 0 .4rem;"><b>{label}</b>'
                f"{html.escape(plan['what'])}</p>"
            )
        windows = reported_windows(self.meta)
        for k, sentence in enumerate(self.summary_lines(lang)):
            parts.append(f'<p class="sje-verdict-summary">{html.escape(sentence)}</p>')
            if k < len(windows):  # a sentence on a target window: its verdicts as badges
                counts = self.verdict_counts(windows[k])
                badges = " ".join(
                    f"{_badge(v, lang)} {counts[v]}" for v in _VERDICT_ORDER if counts.get(v)
                )
                parts.append(f'<p class="sje-verdicts" style="margin: 0 0 .4rem;">{badges}</p>')
        missed = self._not_met_names(lang)
        if missed:
            label = "未达到目标的指标：" if zh else "Targets not met: "
            parts.append(f'<p style="margin: .35rem 0 0;"><b>{label}</b>{html.escape(missed)}</p>')
        parts.append(f'<p class="sje-note" style="margin: .35rem 0 0;">{scope}</p>')
        parts.append("</div>")
        return HTML("".join(parts))

    def summary_lines(self, lang: str = "zh") -> list[str]:
        """The report's overall sentences (:func:`.text.summary_lines`): the verdicts of each
        target window, or, without a baseline, the levels and the trend."""
        fmt.check_lang(lang)
        counts = {w: self.verdict_counts(w) for w in ("1y", "3y")}
        return summary_lines(counts, self.meta, lang)

    def not_met_names(self, lang: str = "zh") -> str:
        """The indicators that did not meet a target, each with the target window(s)."""
        return self._not_met_names(lang)

    def _not_met_names(self, lang: str) -> str:
        t = self.scorecard
        out = []
        for _, r in t.iterrows():
            windows = [w for w in ("1y", "3y") if r[f"verdict_{w}"] == "not_met"]
            if not windows:
                continue
            when = fmt.join_list(
                (fmt.stat_label("one_year" if w == "1y" else "three_year", lang) for w in windows),
                lang,
            )
            out.append(r[f"label_{lang}"] + fmt.paren(when, lang))
        return ("、" if lang == "zh" else "; ").join(out)

    def key_findings(self, lang: str = "zh") -> Markdown:
        """The main findings in a few plain sentences (a Markdown list)."""
        fmt.check_lang(lang)
        return Markdown("\n".join(f"- {s}" for s in self._text(lang)["findings"]))

    def scorecard_chart(self, lang: str = "zh") -> Chart | Markdown:
        """The scorecard as a chart (:func:`shuangjian_eval.publication.plots.scorecard`), as
        :meth:`chart`; nothing without a baseline (there are no changes to draw: the table
        shows the levels)."""
        if not has_baseline(self.meta):
            return Markdown("")
        return self.chart("scorecard", lang)

    def scorecard_table(self, lang: str = "zh") -> HTML:
        """The scorecard as a table with verdict badges and its footnotes."""
        fmt.check_lang(lang)
        return HTML(self._text(lang)["scorecard_html"])

    def rules(self, lang: str = "zh") -> HTML:
        """The verdict rules in plain language (:func:`shuangjian_eval.publication.targets.rules_text`)."""
        fmt.check_lang(lang)
        lines = [line for line in self._text(lang)["rules"].splitlines() if line.strip()]
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
        fmt.check_lang(lang)
        spec = _chart_spec(key)
        return Markdown(f"### {spec['title'][lang]}\n\n{self._text(lang)['readings'][key]}")

    def figure(self, key: str, lang: str = "zh"):
        """A matplotlib Figure drawn by :mod:`shuangjian_eval.publication.plots` from the stored summaries:
        ``"scorecard"`` or a key chart (:data:`CHARTS`); None when every cell of it is
        suppressed or empty."""
        from .. import plots

        fmt.check_lang(lang)
        if key == "scorecard":
            return plots.scorecard(self.scorecard, lang=lang)
        spec = _chart_spec(key)
        frame = self.frames.get(f"chart:{key}")
        if frame is None or frame.empty or not _usable(frame).any():
            return None
        if spec["kind"] == "distribution":
            waves = sorted(int(w) for w in pd.unique(frame["wave"]))
            return plots.distribution_vs_standard(  # rows are bins; small cells left out
                frame, spec["variable"], by="stage", weights="weight", waves=waves, lang=lang,
                min_cell=0,
            )  # fmt: skip
        group = "stage" if spec.get("by_stage") else None
        if group:  # a stage suppressed in every wave is left out of the legend too
            shown = frame.loc[_usable(frame), group].unique()
            frame = frame[frame[group].isin(shown)]
        return plots.estimates_by_wave(
            frame, group=group, variable=spec["variable"], lang=lang, min_cell=self.meta["min_cell"]
        )

    def render(self, langs: Sequence[str] = ("zh",), dpi: int = _DPI) -> Briefing:
        """Render the scorecard chart and the key charts to PNG for ``langs`` and keep them
        (saved with the briefing), so that :meth:`chart` shows them without drawing."""
        import base64

        for lang in langs:
            fmt.check_lang(lang)
            out = self.images.setdefault(lang, {})
            for key in ("scorecard", *CHARTS):
                png = self._png(key, lang, dpi)
                out[key] = "" if png is None else base64.b64encode(png).decode()
            self.images[lang] = out | {"_dpi": str(dpi)}
        return self

    def _png(self, key: str, lang: str, dpi: int) -> bytes | None:
        """A chart (as :meth:`figure`) drawn to PNG at ``dpi``; None when :meth:`figure` is."""
        from ..plots._style import raster_dpi, titles_unobstructed

        with raster_dpi(dpi):  # built at the dpi it is drawn at: laid out and drawn once
            fig = self.figure(key, lang)
        if fig is None:
            return None
        png = _to_png(fig, dpi)
        if not titles_unobstructed(fig):  # a title may have to stand higher: measured this time
            png = _to_png(self.figure(key, lang), dpi)
        return png

    def chart(self, key: str, lang: str = "zh") -> Chart | Markdown:
        """A chart for the report: ``"scorecard"`` or a key chart (:data:`CHARTS`).

        The rendering stored by :meth:`render` when there is one (a precomputed cache),
        else drawn now (:meth:`figure`); a note instead when every cell of the chart is
        suppressed or empty.
        """
        import base64

        fmt.check_lang(lang)
        if key != "scorecard":
            _chart_spec(key)
        stored = self.images.get(lang, {})
        if key in stored:
            png, dpi = base64.b64decode(stored[key]), int(stored.get("_dpi", _DPI))
        else:
            png, dpi = self._png(key, lang, _DPI) or b"", _DPI
        if not png:
            return Markdown(
                "*该地区此项受访者过少或无数据，不予绘图。*"
                if lang == "zh"
                else "*Too few respondents or no data in this region to draw this chart.*"
            )
        title = _SCORECARD_TITLE[lang] if key == "scorecard" else CHARTS[key]["title"][lang]
        return Chart(png, round(_png_size(png)[0] * 100 / dpi), title)

    def equity(self, lang: str = "zh") -> Markdown:
        """Hidden tutoring, income groups and urban/rural schools, in brief (a Markdown list)."""
        fmt.check_lang(lang)
        t = self._text(lang)["equity"]
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

    def glossary(self, lang: str = "zh") -> HTML:
        """The terms of the report in plain words (:func:`shuangjian_eval.publication.narrative.glossary`)."""
        from .. import narrative

        items = "".join(
            f"<dt>{html.escape(term)}</dt><dd>{html.escape(words)}</dd>"
            for term, words in narrative.glossary(lang)
        )
        return HTML(f'<dl class="sje-glossary">{items}</dl>')

    def coverage(self, lang: str = "zh") -> Markdown:
        """What the data cover: region, respondents, schools, waves; synthetic or not."""
        fmt.check_lang(lang)
        m, zh = self.meta, lang == "zh"
        waves = m["waves"]
        span = f"{waves[0]}–{waves[-1]}" if waves else "–"
        min_cell = int(m["min_cell"])
        by_wave = ("、" if zh else ", ").join(
            (f"{w}年 " if zh else f"{w}: ")
            + (f"<{min_cell}" if n is None else fmt.format_count(n, min_cell=min_cell))
            for w, n in m["respondents_by_wave"].items()
        )
        where = _md(self._where(lang))
        if self.region == _regions.ALL:
            where += f"（{m['counties']} 个区县）" if zh else f" ({m['counties']} counties)"
        if zh:
            text = (
                f"**数据范围**：{where}，{m['schools']:,} 所学校，"
                f"{len(waves)} 轮调查（{span}），共 {m['respondents']:,} 名受访学生，其中义务教育阶段 "
                f"{m['respondents_compulsory']:,} 名（目标评估只用义务教育阶段学生）。各轮受访人数：{by_wave}。"
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
                f"数据文件：{_md(m['data_file'])}" if zh else f" Data file: {_md(m['data_file'])}"
            )
            if m.get("data_sha256"):
                text += (
                    f"（数据指纹 {m['data_sha256'][:16]}）。"
                    if zh
                    else f" (SHA-256 {m['data_sha256'][:16]})."
                )
            else:
                text += "。" if zh else "."
        if self.synthetic:
            text += "\n\n**" + _SYNTH_NOTICE[lang] + "**"
        return Markdown(text)

    def methods(self, lang: str = "zh") -> Markdown:
        """A short note on methods (:func:`shuangjian_eval.publication.narrative.methods_note`) and the
        data's coverage."""
        fmt.check_lang(lang)
        return Markdown(self._text(lang)["methods"] + "\n\n" + self.coverage(lang))


def _to_png(fig: Any, dpi: int) -> bytes:
    """The figure as PNG at ``dpi`` on white, cropped to what is drawn and 0.1 inch around it
    (as ``savefig(..., bbox_inches="tight")``), drawn once.

    The crop is found from the pixels; a figure drawn up to its edge (something may stick
    out of it) is saved by ``savefig``, which widens the canvas instead.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        return _savefig_png(fig, dpi)
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    fig.set_facecolor("white")
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    ink = rgba.view(np.uint32)[..., 0] != np.uint32(0xFFFFFFFF)  # not opaque white
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    at_edge = ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any()
    if at_edge or not rows.size:
        return _savefig_png(fig, dpi)
    pad = round(_PAD_INCHES * dpi)
    top, left = max(rows[0] - pad, 0), max(cols[0] - pad, 0)
    return _encode_png(rgba[top : rows[-1] + 1 + pad, left : cols[-1] + 1 + pad, :3], dpi)


def _savefig_png(fig: Any, dpi: int) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=_PAD_INCHES,
                facecolor="white")  # fmt: skip
    return buf.getvalue()


def _encode_png(rgb: Any, dpi: int) -> bytes:
    """An 8-bit RGB PNG of an array of shape (height, width, 3), its dpi recorded.

    Rows are stored unfiltered: charts are mostly flat colour, which deflate packs as well
    as the filtered rows of a general encoder, in a fraction of the time.
    """
    import struct
    import zlib

    import numpy as np

    height, width, _ = rgb.shape
    raw = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter type 0, then pixels
    pixels = raw[:, 1:].reshape(height, width, 3)  # a view of raw
    for channel in range(3):  # faster than one copy of all three from a strided array
        pixels[..., channel] = rgb[..., channel]

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    per_metre = round(dpi / 0.0254)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(raw, _PNG_LEVEL)),
            chunk(b"IEND", b""),
        ]
    )


def _chart_spec(key: str) -> dict[str, Any]:
    if key not in CHARTS:
        raise ValueError(f"unknown chart {key!r}; charts: {', '.join(CHARTS)}")
    return CHARTS[key]


def _usable(frame: pd.DataFrame) -> pd.Series:
    if "estimate" in frame.columns:
        return frame["valid"].fillna(False).astype(bool) & frame["estimate"].notna()
    return frame["weight"].notna()
