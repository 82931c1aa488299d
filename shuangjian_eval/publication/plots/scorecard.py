"""The 1-year / 3-year target scorecard as a dot-and-interval chart with verdicts."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ...inputs import policy as _policy
from .. import formatting as fmt
from . import _data
from ._style import PALETTE, add_note, house_style, new_figure

__all__ = ["SCORECARD_COLUMNS", "VERDICT_STYLE", "scorecard"]

#: Columns of ``sje.scorecard(...).to_frame()`` that the chart reads.
SCORECARD_COLUMNS: tuple[str, ...] = (
    "indicator", "label_zh", "label_en", "unit",
    "baseline", "baseline_ci_lower", "baseline_ci_upper",
    "change_1y", "change_1y_ci_lower", "change_1y_ci_upper",
    "change_3y", "change_3y_ci_lower", "change_3y_ci_upper",
    "verdict_1y", "verdict_3y", "suppressed",
)  # fmt: skip

HORIZONS: dict[str, dict[str, Any]] = {
    "1y": {"key": "one_year", "offset": -0.18, "marker": "o", "filled": False, "ls": "--", "color": PALETTE[0]},
    "3y": {"key": "three_year", "offset": 0.18, "marker": "s", "filled": True, "ls": "-", "color": PALETTE[1]},
}  # fmt: skip

#: Verdict badges: a symbol and a box style per verdict, readable in black and white.
VERDICT_STYLE: dict[str, dict[str, Any]] = {
    "remarkable": {"symbol": "★★", "color": "white", "box": {"fc": "#1a1a1a", "ec": "#1a1a1a", "lw": 1.0}},
    "effective": {"symbol": "★", "color": "#1a1a1a", "box": {"fc": "white", "ec": "#1a1a1a", "lw": 1.2}},
    "inconclusive": {"symbol": "◐", "color": "#1a1a1a", "box": {"fc": "#eeeeee", "ec": "#777777", "lw": 0.8, "ls": ":"}},
    "not_met": {"symbol": "×", "color": "#1a1a1a", "box": {"fc": "white", "ec": "#1a1a1a", "lw": 1.0, "ls": "--"}},
    "insufficient": {"symbol": "○", "color": "#555555", "box": None},
    "level_better": {"symbol": "▲", "color": "#1a1a1a", "box": {"fc": "white", "ec": "#1a1a1a", "lw": 1.2}},
    "level_similar": {"symbol": "≈", "color": "#1a1a1a", "box": {"fc": "#eeeeee", "ec": "#777777", "lw": 0.8, "ls": ":"}},
    "level_worse": {"symbol": "▼", "color": "#1a1a1a", "box": {"fc": "white", "ec": "#1a1a1a", "lw": 1.0, "ls": "--"}},
    "no_baseline": {"symbol": "–", "color": "#555555", "box": None},
}  # fmt: skip


_ZONE = "#dcefdc"  # the target zone: improvement beyond the threshold
#: Words of the chart: each panel's axis (the unit of the change), the target zone's legend.
_AXIS_TEXT: dict[str, fmt.Text] = {
    "unit": {"zh": "相对基线的变化（{unit}）", "en": "Change from baseline ({unit})"},
    "zone": {
        "zh": "绿色区域：改善方向上超过评价门槛",
        "en": "Green: improvement beyond the verdict threshold",
    },
}


def _verdict_text(verdict: Any, lang: str) -> tuple[str, dict[str, Any]] | None:
    if verdict is None or (isinstance(verdict, float) and np.isnan(verdict)):
        return None
    v = str(verdict)
    style = VERDICT_STYLE.get(v, {"symbol": "", "color": "#555555", "box": None})
    return f"{style['symbol']} {fmt.verdict_label(v, lang)}".strip(), style


def _wrap_label(text: str, lang: str) -> str:
    """Break a long indicator label over lines (at brackets for zh, at spaces for en)."""
    limit = 15 if lang == "zh" else 30
    if len(text) <= limit:
        return text
    if lang == "zh":
        parts = text.split("(", 1)
        if len(parts) == 2:
            parts[1:] = [p for p in ("(" + parts[1]).replace(",", ",\n").split("\n") if p]
        lines = [p[i : i + limit] for p in parts for i in range(0, len(p), limit)]
        return "\n".join(lines)
    if lang == "en":
        return "\n".join(textwrap.wrap(text, limit))
    return "\n".join(text[i : i + limit] for i in range(0, len(text), limit))


def _waves_text(lang: str) -> str:
    pol = _policy.load()
    base = ("、" if lang == "zh" else ", ").join(str(w) for w in pol.baseline_waves)
    if lang == "zh":
        return f"基线：{base}年；1年：{pol.one_year_wave}年；3年：{pol.three_year_wave}年"
    return f"Baseline: {base}; 1 year: {pol.one_year_wave}; 3 years: {pol.three_year_wave}"


def _improvement_side(row: pd.Series) -> float:
    """+1 when an increase is an improvement, -1 when a decrease is, 0 when not known."""
    direction = row.get("direction")
    return {"increase": 1.0, "decrease": -1.0}.get(str(direction), 0.0)


def _draw_rows(ax: Axes, frame: pd.DataFrame, suppressed: pd.Series, horizons: list[str],
               lang: str) -> None:  # fmt: skip
    """The rows of one unit on a common scale in that unit (ticks and the unit below), each
    with its target zone: the side of improvement beyond the verdict threshold, shaded."""
    text_tf = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    ax.axvline(0.0, color="#111111", linewidth=1.0, zorder=1)
    unit = None if pd.isna(frame["unit"].iloc[0]) else str(frame["unit"].iloc[0])
    info = fmt.unit_info(unit)
    labels, extent = [], [0.0]
    for j, (i, row) in enumerate(frame.iterrows()):
        label = _wrap_label(str(row[f"label_{lang}"]), lang)
        if "baseline" in frame.columns and not suppressed[i] and pd.notna(row["baseline"]):
            base = fmt.format_value(row["baseline"], unit, lang)
            label += f"\n{fmt.stat_label('baseline', lang)} {base}"
        labels.append(label)
        if suppressed[i]:
            ax.add_patch(Rectangle((0.02, j - 0.36), 0.96, 0.72, transform=text_tf,
                                   facecolor="white", edgecolor="#888888", hatch="////",
                                   linewidth=0.6, zorder=1))  # fmt: skip
            ax.text(0.5, j, fmt.SUPPRESSED["n"][lang], transform=text_tf, ha="center",
                    va="center", fontsize=9, style="italic", color="#222222", zorder=4,
                    bbox={"boxstyle": "square,pad=0.35", "fc": "white", "ec": "none"})  # fmt: skip
            ax.text(1.04, j, fmt.SUPPRESSED["n"][lang], transform=text_tf, ha="left",
                    va="center", fontsize=9, style="italic", color="#333333")  # fmt: skip
            continue
        side = _improvement_side(row)
        for h in horizons:
            spec = HORIZONS[h]
            y = j + spec["offset"]
            est, lo, hi = (float(row[f"change_{h}{s}"]) for s in ("", "_ci_lower", "_ci_upper"))
            extent += [abs(v) * info.scale for v in (est, lo, hi) if np.isfinite(v)]
            threshold = float(row.get(f"threshold_{h}", np.nan))
            if side and np.isfinite(threshold):
                at = side * threshold * info.scale
                extent.append(abs(at) * 1.15)
                ax.fill_betweenx([y - 0.17, y + 0.17], at, side * 1e9, color=_ZONE,
                                 linewidth=0, zorder=0)  # fmt: skip
                ax.plot([at, at], [y - 0.17, y + 0.17], color=spec["color"], linewidth=1.2,
                        linestyle=":", zorder=2)  # fmt: skip
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo * info.scale, hi * info.scale], [y, y], color=spec["color"],
                        linestyle=spec["ls"], linewidth=1.6, zorder=2)  # fmt: skip
            if np.isfinite(est):
                ax.plot([est * info.scale], [y], marker=spec["marker"], linestyle="none",
                        color=spec["color"], markersize=7.5, markeredgewidth=1.4,
                        markerfacecolor=spec["color"] if spec["filled"] else "white",
                        zorder=3)  # fmt: skip
            horizon = fmt.stat_label(spec["key"], lang)
            value = fmt.format_change(est, unit, lang)
            if np.isfinite(lo) and np.isfinite(hi):
                digits = fmt.default_digits(unit)
                lo_t = fmt.format_number(lo * info.scale, digits, thousands=info.thousands)
                hi_t = fmt.format_number(hi * info.scale, digits, thousands=info.thousands)
                value += f" [{lo_t}, {hi_t}]"
            ax.text(1.04, y, f"{horizon}  {value}", transform=text_tf, ha="left",
                    va="center", fontsize=9)  # fmt: skip
            badge = _verdict_text(row[f"verdict_{h}"], lang)
            if badge is not None:
                text, style = badge
                box = (
                    None if style["box"] is None else {"boxstyle": "round,pad=0.25", **style["box"]}
                )
                ax.text(2.02, y, text, transform=text_tf, ha="left", va="center",
                        fontsize=9, color=style["color"], bbox=box)  # fmt: skip
    k = len(frame)
    ax.set_yticks(range(k), labels)
    ax.set_ylim(k - 0.45, -0.55)
    reach = max(extent) * 1.08 or 1.0
    ax.set_xlim(-reach, reach)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_xlabel(fmt.label(_AXIS_TEXT, "unit", lang, unit=info.change_axis[lang]), fontsize=9)
    ax.grid(False)
    for i in range(1, k):
        ax.axhline(i - 0.5, color="#e3e3e3", linewidth=0.6, zorder=0)


def scorecard(
    frame_or_object: Any,
    *,
    lang: str = "zh",
    horizons: Sequence[str] = ("1y", "3y"),
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Target scorecard: change from baseline per indicator, its interval and the verdicts.

    Each indicator is a row: the 1-year change (hollow circle, dashed interval) and the
    3-year change (filled square, solid interval). Indicators of one unit share a panel with
    one scale, its ticks and the unit below it; each row's target zone (the side of
    improvement beyond the verdict threshold, from the columns ``direction`` and
    ``threshold_1y`` / ``threshold_3y`` when present) is shaded and the threshold marked with a
    dotted line. The values with their units and the verdict badges stand to the right.
    Suppressed indicators are named and marked, without numbers.

    Parameters
    ----------
    frame_or_object : scorecard object or pandas.DataFrame
        ``sje.scorecard(...)`` or its ``to_frame()``: columns :data:`SCORECARD_COLUMNS`
        (verdicts ``"remarkable"``, ``"effective"``, ``"not_met"``, ``"insufficient"``).
    lang : {"zh", "en"}
    horizons : sequence of {"1y", "3y"}
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into these axes (leave room on their right for values and verdicts).

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
    """
    fmt.check_lang(lang)
    horizons = list(horizons)
    bad = [h for h in horizons if h not in HORIZONS]
    if bad or not horizons:
        raise ValueError(f"horizons must be among {list(HORIZONS)}, got {horizons}")
    frame = _data.as_frame(frame_or_object, "scorecard")
    need = ["indicator", f"label_{lang}", "unit"]
    for h in horizons:
        need += [f"change_{h}", f"change_{h}_ci_lower", f"change_{h}_ci_upper", f"verdict_{h}"]
    _data.require(frame, need, "scorecard")
    frame = frame.reset_index(drop=True)
    suppressed = (
        frame["suppressed"].fillna(False).astype(bool)
        if "suppressed" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    with house_style():
        fig = None
        k = len(frame)
        units = [None if pd.isna(u) else str(u) for u in frame["unit"]]
        groups = list(dict.fromkeys(units))  # one panel per unit, rows in registry order
        if ax is None:
            gap = 0.8  # inches between panels: the tick labels and the unit of the one above
            height = 2.25 + 0.8 * k + gap * (len(groups) - 1)
            rows_per = [units.count(u) for u in groups]
            fig, axes = new_figure(
                (10.0, height), nrows=len(groups), squeeze=False,
                gridspec_kw={"height_ratios": rows_per,
                             "hspace": gap / (0.8 * k / len(groups))},
            )  # fmt: skip
            axes = list(axes[:, 0])
            fig.subplots_adjust(left=0.23, right=0.53, top=1 - 1.0 / height, bottom=1.2 / height)
        else:
            axes, groups = [ax], [None]
        for panel, group in zip(axes, groups, strict=True):
            rows = frame if len(groups) == 1 else frame[[u == group for u in units]]
            _draw_rows(panel, rows, suppressed, horizons, lang)
        ax = axes[0]
        head_tf = transforms.blended_transform_factory(ax.transAxes, ax.transAxes)
        ci = "[95%置信区间]" if lang == "zh" else "[95% CI]"
        ax.text(1.04, 1.01, fmt.stat_label("change_from_baseline", lang) + " " + ci,
                transform=head_tf, ha="left", va="bottom", fontsize=9, color="#333333")  # fmt: skip
        ax.text(2.02, 1.01, "评价" if lang == "zh" else "Verdict", transform=head_tf,
                ha="left", va="bottom", fontsize=9, color="#333333")  # fmt: skip
        handles = []
        pol = _policy.load()
        for h in horizons:
            spec = HORIZONS[h]
            wave = pol.one_year_wave if h == "1y" else pol.three_year_wave
            when = f"（{wave}年）" if lang == "zh" else f" ({wave})"
            handles.append(Line2D([], [], color=spec["color"], linestyle=spec["ls"], marker=spec["marker"],
                                  markerfacecolor=spec["color"] if spec["filled"] else "white",
                                  label=fmt.stat_label(spec["key"], lang) + when))  # fmt: skip
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles),
                  borderaxespad=0.2, handlelength=3.0)  # fmt: skip
        if title is None:
            name = pol.raw["policy"]["name"][lang]
            title = (
                f"“{name}”目标进展：相对基线的变化"
                if lang == "zh"
                else f"{name} targets: change from baseline"
            )
        ax.set_title(title, loc="left", x=-0.3 if fig is not None else 0.0, pad=26)
        if fig is None:
            return ax
        legend_v = "  ".join(
            f"{VERDICT_STYLE[v]['symbol']} {fmt.verdict_label(v, lang)}" for v in VERDICT_STYLE
        )
        if lang == "zh":
            note = f"注：{_waves_text(lang)}。评价：{legend_v}。份额的变化以百分点计。"
        else:
            note = f"Note: {_waves_text(lang)}. Verdicts: {legend_v}. Changes in shares are in percentage points."
        note += " " + fmt.label(_AXIS_TEXT, "zone", lang) + ("。" if lang == "zh" else ".")
        add_note(fig, note)
        return fig
