"""Region-by-indicator grid of change or compliance, with values in the cells."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import formatting as fmt
from .. import suppression
from ..plan import passes_unavailable
from . import _data
from ._style import add_note, house_style, new_figure

__all__ = ["region_heatmap"]

_CHANGE_METHODS = frozenset({"mean_diff", "did", "before_after", "event_study", "staggered_did"})
_SUPPRESSED_HATCH = "////"


def _is_change(value: str, obj: Any, data: pd.DataFrame) -> bool:
    if value.startswith("change") or getattr(obj, "method", None) in _CHANGE_METHODS:
        return True
    return value == "estimate" and {"mean_first", "mean_second"} <= set(data.columns)


def _between_text(obj: Any, lang: str) -> str:
    """``(2024年相对2019年)`` for a ``mean_diff`` between waves, else empty."""
    between = (getattr(obj, "options", None) or {}).get("between")
    if not between or len(between) != 3:
        return ""
    col, first, second = between
    a, b = (fmt.category_label(col, v, lang) for v in (first, second))
    if col == "wave":
        return f"（{b}年相对{a}年）" if lang == "zh" else f" ({b} vs {a})"
    return f"（{b}相对{a}）" if lang == "zh" else f" ({b} vs {a})"


def _wrap_label(text: str, lang: str) -> str:
    width = 11 if lang == "zh" else 18
    if lang == "zh":
        return "\n".join(text[i : i + width] for i in range(0, len(text), width))
    return "\n".join(textwrap.wrap(text, width)) or text


@passes_unavailable
def region_heatmap(
    frame: Any,
    value: str = "change_3y",
    *,
    region: str = "county",
    indicator: str | None = None,
    lang: str = "zh",
    change: bool | None = None,
    scale: str | None = None,
    min_cell: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """A grid of regions (rows) by indicators (columns), each cell coloured and annotated.

    Parameters
    ----------
    frame : pandas.DataFrame or result object
        Long table, one row per region and indicator: ``region``, ``indicator`` (or
        ``variable``), ``value``; optional ``label_zh`` / ``label_en`` (else codebook labels),
        ``unit`` (else the codebook unit), ``suppressed``, ``n``, ``valid``. For example
        ``SurveyDesign.mean_diff([...], between=("wave", 2019, 2024), by="county")`` or a
        regional scorecard frame.
    value : str
        Column to show: a change (``change_3y``, ``estimate`` of a difference) or a level such
        as a compliance share.
    region : str
        Region column (rows).
    indicator : str, optional
        Indicator column; ``"indicator"`` or ``"variable"``, whichever the frame has.
    lang : {"zh", "en"}
    change : bool, optional
        Whether values are changes (signed, 百分点 for shares, diverging colours); inferred
        from ``value`` and the result's method when omitted.
    scale : {"common", "column"}, optional
        Colour scale shared by all cells, or one per indicator (needed when units differ; the
        default then). With one scale a colour bar is drawn.
    min_cell : int, optional
        Cells from fewer respondents (``n``), or from fewer PSUs (``n_psu``, where known) than
        the rule's ``min_psu``, are suppressed: hatched and marked, no value (None: the rule of
        ``suppression.rule_for()``; 0: no threshold on respondents).
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
    """
    fmt.check_lang(lang)
    data = _data.as_frame(frame, "region_heatmap")
    if indicator is None:
        indicator = "indicator" if "indicator" in data.columns else "variable"
    _data.require(data, [region, indicator, value], "region_heatmap")
    if data.duplicated([region, indicator]).any():
        dup = data.loc[data.duplicated([region, indicator]), [region, indicator]].iloc[0].tolist()
        raise ValueError(f"region_heatmap needs one row per region and indicator; {dup} repeats")
    change = _is_change(value, frame, data) if change is None else change
    regions = _data.levels(data, region)
    indicators = list(dict.fromkeys(data[indicator]))
    data = data.set_index([region, indicator])

    def cell(r: Any, i: Any, col: str, default: Any = None) -> Any:
        if col not in data.columns or (r, i) not in data.index:
            return default
        return data.at[(r, i), col]

    units: dict[Any, str | None] = {}
    labels: dict[Any, str] = {}
    for i in indicators:
        first = data.xs(i, level=indicator).iloc[0]
        u = first.get("unit") if "unit" in data.columns else None
        units[i] = fmt.variable_unit(str(i)) if u is None or pd.isna(u) else str(u)
        lab = first.get(f"label_{lang}") if f"label_{lang}" in data.columns else None
        labels[i] = fmt.variable_label(str(i), lang) if lab is None or pd.isna(lab) else str(lab)
    if scale is None:
        scale = "common" if len(set(units.values())) == 1 else "column"
    if scale not in ("common", "column"):
        raise ValueError(f"scale must be 'common' or 'column', got {scale!r}")

    nr, nc = len(regions), len(indicators)
    values = np.full((nr, nc), np.nan)
    hidden = np.zeros((nr, nc), bool)
    for a, r in enumerate(regions):
        for b, i in enumerate(indicators):
            if (r, i) not in data.index:
                continue
            v = pd.to_numeric(pd.Series([cell(r, i, value)]), errors="coerce").iloc[0]
            valid = cell(r, i, "valid", True)
            n = cell(r, i, "n")
            small = suppression.is_small(n, cell(r, i, "n_psu"), min_cell=min_cell)
            flagged = bool(cell(r, i, "suppressed", False) or False)
            hidden[a, b] = small or flagged
            if bool(valid) and not hidden[a, b]:
                values[a, b] = float(v)
    # colour scale: in units shown (percent for shares)
    shown = values * np.array([fmt.unit_info(units[i]).scale for i in indicators])
    with np.errstate(invalid="ignore"):
        if scale == "column":
            top = np.nanmax(np.abs(shown), axis=0) if np.isfinite(shown).any() else np.ones(nc)
            top = np.where(np.isfinite(top) & (top > 0), top, 1.0)
            normed = shown / top
            vmin, vmax = (-1.0, 1.0) if change or np.nanmin(shown, initial=0) < 0 else (0.0, 1.0)
        else:
            normed = shown
            finite = shown[np.isfinite(shown)]
            if change or (finite.size and finite.min() < 0):
                m = float(np.abs(finite).max()) if finite.size else 1.0
                vmin, vmax = -m or -1.0, m or 1.0
            else:
                vmin, vmax = 0.0, float(finite.max()) if finite.size else 1.0
    diverging = vmin < 0
    cmap = mcolors.LinearSegmentedColormap.from_list(
        "sje_div" if diverging else "sje_seq",
        ["#3b5b85", "#f7f7f7", "#a8553a"] if diverging else ["#f7f7f7", "#3b5b85"],
    )
    norm = mcolors.Normalize(vmin=vmin, vmax=vmax)

    with house_style():
        fig = None
        if ax is None:
            fig, ax = new_figure((2.4 + 1.45 * nc, 1.9 + 0.5 * nr))
        image = ax.imshow(np.ma.masked_invalid(normed), cmap=cmap, norm=norm, aspect="auto")
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for a in range(nr):
            for b, i in enumerate(indicators):
                if hidden[a, b]:
                    ax.add_patch(Rectangle((b - 0.5, a - 0.5), 1, 1, facecolor="white",
                                           edgecolor="#777777", hatch=_SUPPRESSED_HATCH,
                                           linewidth=0.0, zorder=2))  # fmt: skip
                    mark = "样本不足" if lang == "zh" else "suppressed"
                    ax.text(b, a, mark, ha="center", va="center", fontsize=8.5, style="italic",
                            color="#222222", zorder=3,
                            bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"})  # fmt: skip
                    continue
                v = values[a, b]
                if not np.isfinite(v):
                    ax.text(
                        b, a, fmt.MISSING, ha="center", va="center", fontsize=9, color="#555555"
                    )
                    continue
                text = (fmt.format_change if change else fmt.format_value)(v, units[i], lang)
                level = abs(norm(normed[a, b]) - (0.5 if diverging else 0.0)) * (
                    2 if diverging else 1
                )
                ax.text(b, a, text, ha="center", va="center", fontsize=8.5,
                        color="white" if level > 0.6 else "#111111", zorder=3)  # fmt: skip
        ax.xaxis.tick_top()
        ax.set_xticks(range(nc), [_wrap_label(labels[i], lang) for i in indicators])
        ax.set_yticks(range(nr), [fmt.category_label(region, r, lang) for r in regions])
        ax.set_xticks(np.arange(-0.5, nc, 1.0), minor=True)
        ax.set_yticks(np.arange(-0.5, nr, 1.0), minor=True)
        ax.grid(True, which="minor", color="white", linewidth=2.0)
        ax.tick_params(which="both", length=0)
        if scale == "common":
            bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
            unit = units[indicators[0]]
            bar.set_label(fmt.axis_label(fmt.stat_label("change" if change else "estimate", lang),
                                         unit, lang, change=change))  # fmt: skip
            bar.outline.set_visible(False)
        if title is None:
            what = (fmt.STAT_LABELS.get(value, {}).get(lang) if value != "estimate" else None) or (
                fmt.stat_label("change", lang) if change else fmt.stat_label("estimate", lang)
            )
            where = fmt.variable_label(region, lang)
            between = _between_text(frame, lang)
            if lang == "zh":
                title = f"各{where}指标{what}{between}"
            else:
                title = f"{what} by {where.lower()} and indicator{between}"
        ax.set_title(title)
        if fig is None:
            return ax
        parts = []
        if scale == "column":
            parts.append("颜色按各指标分别标度，数值见格内" if lang == "zh"
                         else "colours are scaled within each indicator; values are in the cells")  # fmt: skip
        if hidden.any():
            parts.append("斜线格为样本不足、不予公布的单元" if lang == "zh"
                         else "hatched cells are suppressed (too few respondents)")  # fmt: skip
        if change:
            parts.append(
                "份额的变化以百分点计"
                if lang == "zh"
                else "changes in shares are in percentage points"
            )
        if parts:
            note = (
                ("注：" + ";".join(parts) + "。")
                if lang == "zh"
                else ("Note: " + "; ".join(parts) + ".")
            )
            lines = add_note(fig, note)
        else:
            lines = 0
        fig.tight_layout(rect=(0, (0.2 + 0.16 * lines) / fig.get_figheight() if lines else 0, 1, 1))
        return fig
