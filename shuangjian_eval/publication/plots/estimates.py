"""Estimates over time: by survey wave, trend lines, event-study coefficients."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import formatting as fmt
from ..plan import passes_unavailable
from . import _data
from ._style import add_note, house_style, new_figure, series_style, tight_layout_once

__all__ = ["estimates_by_wave", "event_study", "trend"]


def _prepared(
    result: Any, variable: str | None, time: str, group: str | None, min_cell: int | None, what: str
) -> tuple[pd.DataFrame, str | None, pd.DataFrame]:
    """(all rows of the variable, its name, the rows fit to draw)."""
    frame = _data.as_frame(result, what)
    frame, variable = _data.select_variable(frame, variable)
    _data.require(frame, [time, "estimate", "ci_lower", "ci_upper"], what)
    if group is not None:
        _data.require(frame, [group], what)
    for c in ("estimate", "ci_lower", "ci_upper"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    keep = frame.loc[_data.usable_rows(frame, min_cell)]
    return frame, variable, keep


def _groups(frame: pd.DataFrame, group: str | None, lang: str) -> list[tuple[Any, str]]:
    if group is None:
        return [(None, "")]
    return [(g, fmt.category_label(group, g, lang)) for g in _data.levels(frame, group)]


def _rows_of(frame: pd.DataFrame, group: str | None, code: Any) -> pd.DataFrame:
    return frame if group is None else frame.loc[frame[group] == code]


def _scale_and_label(variable: str | None, unit: str | None, lang: str, change: bool = False):
    unit = unit if unit is not None else (fmt.variable_unit(variable) if variable else None)
    scale = fmt.unit_info(unit).scale
    name = variable if variable else fmt.stat_label("estimate", lang)
    if change and variable:
        label = fmt.axis_label(fmt.stat_label("coefficient", lang), unit, lang, change=True)
    elif change:
        label = fmt.stat_label("coefficient", lang)
    else:
        label = fmt.axis_label(name, unit, lang)
    return unit, scale, label


def _finish(fig: Figure | None, ax: Axes, note: str | None) -> Figure | Axes:
    if fig is None:
        return ax
    lines = add_note(fig, note) if note else 0
    bottom = (0.15 + 0.16 * lines) / fig.get_figheight() if lines else 0.0
    tight_layout_once(fig, ax, rect=(0, bottom, 1, 1))
    return fig


def _level(result: Any) -> str:
    """Confidence level of a result as a percentage (95 for a DataFrame without one)."""
    return f"{float(getattr(result, 'level', 0.95)) * 100:g}"


def _ci_note(lang: str, what: str, level: str) -> str:
    if lang == "zh":
        return f"注：{what}为{level}%置信区间；样本不足或无法计算的估计未画出。"
    return f"Note: {what} are {level}% confidence intervals; estimates from too few respondents or that could not be computed are not drawn."


def estimates_by_wave(
    result: Any,
    group: str | None = None,
    *,
    variable: str | None = None,
    time: str = "wave",
    lang: str = "zh",
    policy_date: dt.date | str | None = None,
    fieldwork_month: int = 11,
    unit: str | None = None,
    min_cell: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Estimates with confidence intervals by survey wave, before and after the policy, per group.

    Waves sit side by side; each group's estimates are dots with interval bars, offset so
    groups do not overlap, each group with its own marker. Waves fielded before the policy
    date are shaded and labelled "before the policy".

    Parameters
    ----------
    result : EstimateResult or pandas.DataFrame
        E.g. ``SurveyDesign.mean(..., by=["wave", "stage"])``: columns ``time``,
        ``estimate``, ``ci_lower``, ``ci_upper``, optional ``group``, ``variable``, ``n``,
        ``valid``.
    group : str, optional
        Domain column drawn as separate series (categories labelled from the codebook).
    variable : str, optional
        Which variable, when the result holds several.
    time : str
        Wave column (years).
    lang : {"zh", "en"}
    policy_date : date or str, optional
        Policy date (``policy.yaml`` when omitted); a wave is "after" when its fieldwork
        (``fieldwork_month`` of the wave's year, autumn term by the codebook) falls after it.
    fieldwork_month : int
        Month in which waves are fielded.
    unit : str, optional
        Unit of the estimates (the codebook unit of ``variable`` when omitted); shares are
        drawn in percent.
    min_cell : int, optional
        Estimates from fewer respondents, or fewer PSUs than the rule's ``min_psu``, are not
        drawn (None: the rule of ``suppression.rule_for()``; 0: no threshold on respondents).
    title : str, optional
        Chart title (a default from the codebook label when omitted).
    ax : matplotlib Axes, optional
        Draw into these axes and return them; otherwise a new Figure is returned.

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
    """
    fmt.check_lang(lang)
    with house_style():
        frame, variable, keep = _prepared(
            result, variable, time, group, min_cell, "estimates_by_wave"
        )
        fig = None
        if ax is None:
            fig, ax = new_figure((7.5, 4.6))
        unit, scale, ylabel = _scale_and_label(variable, unit, lang)
        waves = _data.levels(frame, time)
        pos = {w: i for i, w in enumerate(waves)}
        groups = _groups(frame, group, lang)
        k = len(groups)
        step = min(0.7 / k, 0.2)
        for j, (code, label) in enumerate(groups):
            rows = _rows_of(keep, group, code)
            st = series_style(j)
            x = np.array([pos[w] for w in rows[time]], dtype=float) + (j - (k - 1) / 2) * step
            est = rows["estimate"].to_numpy() * scale
            err = np.vstack(
                [
                    est - rows["ci_lower"].to_numpy() * scale,
                    rows["ci_upper"].to_numpy() * scale - est,
                ]
            )
            ax.errorbar(
                x,
                est,
                yerr=np.where(np.isfinite(err), err, 0.0),
                fmt=st.marker,
                linestyle="none",
                color=st.color,
                markerfacecolor=st.markerfacecolor,
                markeredgecolor=st.color,
                elinewidth=1.3,
                label=label if group is not None else None,
                zorder=3,
            )
        ax.set_xticks(range(len(waves)), [fmt.category_label(time, w, lang) for w in waves])
        ax.set_xlim(-0.6, len(waves) - 0.4)
        ax.set_xlabel(fmt.variable_label(time, lang))
        ax.set_ylabel(ylabel)
        _mark_before_after(ax, waves, _data.parse_date(policy_date), fieldwork_month, lang)
        if group is not None:
            ax.legend(
                title=fmt.variable_label(group, lang),
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                borderaxespad=0.0,
            )
        if title is None:
            name = (
                fmt.variable_label(variable, lang) if variable else fmt.stat_label("estimate", lang)
            )
            title = f"{name}：各轮调查估计值" if lang == "zh" else f"{name} by survey wave"
        ax.set_title(title)
        return _finish(fig, ax, _ci_note(lang, "竖线" if lang == "zh" else "bars", _level(result)))


def _mark_before_after(
    ax: Axes, waves: list[Any], policy_date: dt.date, month: int, lang: str
) -> None:
    """Shade the waves fielded before the policy date and label both sides."""
    if not waves or not all(_data.is_year(w) for w in waves):
        return
    after = [_data.wave_date(w, month) > policy_date for w in waves]
    if not any(after) or all(after):
        return
    first_after = after.index(True)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.1 * (high - low))  # headroom for the labels
    boundary = first_after - 0.5
    ax.axvspan(-0.6, boundary, color="#eeeeee", zorder=0, linewidth=0)
    ax.axvline(boundary, color="#333333", linestyle="--", linewidth=1.0, zorder=1)
    trans = ax.get_xaxis_transform()
    ax.text(boundary - 0.08, 0.98, fmt.stat_label("before", lang), transform=trans,
            ha="right", va="top", fontsize=9, color="#333333")  # fmt: skip
    ax.text(boundary + 0.08, 0.98, fmt.stat_label("after", lang), transform=trans,
            ha="left", va="top", fontsize=9, color="#333333")  # fmt: skip


def trend(
    result: Any,
    group: str | None = None,
    *,
    variable: str | None = None,
    time: str = "wave",
    policy_date: dt.date | str | None = None,
    fieldwork_month: int = 11,
    lang: str = "zh",
    unit: str | None = None,
    min_cell: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Trend lines by group with confidence bands, on a calendar axis with the policy date.

    Each wave is placed at its fieldwork month (``fieldwork_month`` of the wave's year), so a
    wave fielded after the policy date sits to the right of the policy line.

    Parameters
    ----------
    result : EstimateResult or pandas.DataFrame
        As for :func:`estimates_by_wave`.
    group : str, optional
        Domain column drawn as separate lines.
    policy_date : date or str, optional
        The vertical line; the date in ``policy.yaml`` when omitted.
    Other parameters
        As for :func:`estimates_by_wave`.

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
    """
    fmt.check_lang(lang)
    with house_style():
        frame, variable, keep = _prepared(result, variable, time, group, min_cell, "trend")
        fig = None
        if ax is None:
            fig, ax = new_figure((7.5, 4.6))
        unit, scale, ylabel = _scale_and_label(variable, unit, lang)
        waves = _data.levels(frame, time)
        if not all(_data.is_year(w) for w in waves):
            raise ValueError(f"trend needs waves given as years in {time!r}, got {waves}")
        offset = (fieldwork_month - 0.5) / 12.0
        for j, (code, label) in enumerate(_groups(frame, group, lang)):
            rows = _rows_of(keep, group, code).sort_values(time)
            st = series_style(j)
            x = rows[time].astype(float).to_numpy() + offset
            est = rows["estimate"].to_numpy() * scale
            ax.fill_between(
                x,
                rows["ci_lower"].to_numpy() * scale,
                rows["ci_upper"].to_numpy() * scale,
                color=st.color,
                alpha=0.13,
                linewidth=0,
                zorder=1,
            )
            ax.plot(
                x,
                est,
                color=st.color,
                linestyle=st.linestyle,
                marker=st.marker,
                markerfacecolor=st.markerfacecolor,
                label=label
                if group is not None
                else (fmt.variable_label(variable, lang) if variable else None),
                zorder=3,
            )
        day = _data.parse_date(policy_date)
        xp = _data.fractional_year(day)
        ax.axvline(xp, color="#111111", linestyle=(0, (5, 3)), linewidth=1.1, zorder=2)
        ax.text(
            xp,
            0.99,
            f" {fmt.stat_label('policy_date', lang)} {day.isoformat()}",
            transform=ax.get_xaxis_transform(),
            ha="left",
            va="top",
            fontsize=9,
        )
        ticks = [float(w) + offset for w in waves]
        ax.set_xticks(ticks, [str(int(float(w))) for w in waves])
        ax.set_xlim(min(ticks + [xp]) - 0.5, max(ticks + [xp]) + 0.5)
        ax.set_xlabel(fmt.variable_label(time, lang))
        ax.set_ylabel(ylabel)
        if group is not None:
            ax.legend(
                title=fmt.variable_label(group, lang),
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                borderaxespad=0.0,
            )
        if title is None:
            name = (
                fmt.variable_label(variable, lang) if variable else fmt.stat_label("estimate", lang)
            )
            title = f"{name}的变化趋势" if lang == "zh" else f"{name}: trend"
        ax.set_title(title)
        return _finish(fig, ax, _ci_note(lang, "阴影" if lang == "zh" else "bands", _level(result)))


@passes_unavailable
def event_study(
    result: Any,
    *,
    ref: Any = None,
    period: str = "period",
    variable: str | None = None,
    lang: str = "zh",
    unit: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    min_cell: int | None = None,
) -> Figure | Axes:
    """Event-study coefficients with intervals, the reference period and a zero line.

    Parameters
    ----------
    result : EstimateResult or pandas.DataFrame
        One row per period: columns ``period`` (or a ``term`` such as ``"wave_2019"``, whose
        last integer is the period), ``estimate``, ``ci_lower``, ``ci_upper``.
    ref : int, optional
        The reference period, whose coefficient is zero by construction; taken from the
        result's options (``ref``) when omitted. Drawn as a hollow marker at zero (added when
        the result has no row for it).
    period : str
        Period column.
    variable : str, optional
        Outcome, for the axis unit (a share's coefficients are drawn in percentage points).
    lang : {"zh", "en"}
    unit : str, optional
        Unit of the outcome when ``variable`` is not a codebook variable.
    title : str, optional
    ax : matplotlib Axes, optional
    min_cell : int, optional
        Where the result counts its cells (``n``, ``n_psu``), coefficients from fewer
        respondents or fewer schools than the rule's ``min_psu`` are not drawn (None: the rule
        of ``suppression.rule_for()``; 0: no threshold on respondents).

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
    """
    fmt.check_lang(lang)
    with house_style():
        options = getattr(result, "options", None) or {}
        frame = _data.as_frame(result, "event_study")
        if "variable" in frame.columns:
            frame, picked = _data.select_variable(frame, variable)
            variable = variable or picked
        variable = variable or options.get("outcome")
        _data.require(frame, ["estimate", "ci_lower", "ci_upper"], "event_study")
        if period not in frame.columns:
            _data.require(frame, ["term"], "event_study (no period column)")
            frame[period] = [_data.period_from_term(t) for t in frame["term"]]
        frame[period] = pd.to_numeric(frame[period], errors="raise").astype(float)
        for c in ("estimate", "ci_lower", "ci_upper"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
        if ref is None:
            ref = options.get("ref")
        ref = None if ref is None else float(ref)
        if "valid" in frame.columns:
            frame = frame.loc[frame["valid"].fillna(False).astype(bool) | (frame[period] == ref)]
        suppressed = False
        if {"n", "n_psu"} & set(frame.columns):  # small cells: not drawn
            keep = _data.usable_rows(frame, min_cell) | (frame[period] == ref)
            suppressed = not keep.all()
            frame = frame.loc[keep]
        frame = frame.sort_values(period)
        unit, scale, ylabel = _scale_and_label(variable, unit, lang, change=True)
        fig = None
        if ax is None:
            fig, ax = new_figure((7.5, 4.6))
        ax.axhline(0.0, color="#111111", linewidth=0.9, zorder=1)
        est = frame.loc[frame[period] != ref] if ref is not None else frame
        if ref is None:
            series = [(np.ones(len(est), bool), "all")]
        else:
            pre = (est[period] < ref).to_numpy()
            series = [(pre, "pre"), (~pre, "post")]
        for j, (mask, key) in enumerate(series):
            rows = est.loc[np.asarray(mask)]
            if rows.empty:
                continue
            st = series_style(j)
            y = rows["estimate"].to_numpy() * scale
            err = np.vstack(
                [y - rows["ci_lower"].to_numpy() * scale, rows["ci_upper"].to_numpy() * scale - y]
            )
            ax.errorbar(
                rows[period].to_numpy(),
                y,
                yerr=np.where(np.isfinite(err), err, 0.0),
                fmt=st.marker,
                linestyle="none",
                color=st.color,
                markerfacecolor=st.markerfacecolor,
                markeredgecolor=st.color,
                elinewidth=1.3,
                label=_es_label(key, lang),
                zorder=3,
            )
        periods = sorted(set(frame[period]) | ({ref} if ref is not None else set()))
        if ref is not None:
            ax.plot([ref], [0.0], marker="D", linestyle="none", markersize=7,
                    markerfacecolor="white", markeredgecolor="#111111", markeredgewidth=1.4,
                    label=_es_label("ref", lang), zorder=4)  # fmt: skip
            later = [p for p in periods if p > ref]
            if later:
                ax.axvline((ref + later[0]) / 2, color="#555555", linestyle=":", linewidth=1.0)
        years = all(_data.is_year(p) for p in periods)
        ax.set_xticks(
            periods, [str(int(p)) if float(p).is_integer() else f"{p:g}" for p in periods]
        )
        if years:
            ax.set_xlabel(fmt.variable_label("wave", lang))
        else:
            ax.set_xlabel("相对政策实施的时期" if lang == "zh" else "Period relative to the policy")
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")
        if title is None:
            name = fmt.variable_label(variable, lang) if variable else ""
            if lang == "zh":
                title = f"事件研究：{name}" if name else "事件研究"
            else:
                title = f"Event study: {name}" if name else "Event study"
        ax.set_title(title)
        if lang == "zh":
            note = f"注：竖线为{_level(result)}%置信区间；参照期系数设为0，其余各期为相对参照期的差异。"
            note += "样本不足的估计未画出。" if suppressed else ""
        else:
            note = f"Note: bars are {_level(result)}% confidence intervals; the reference period is set to 0 and other periods are differences from it."
            note += " Estimates from too few respondents are not drawn." if suppressed else ""
        return _finish(fig, ax, note)


def _es_label(key: str, lang: str) -> str:
    labels = {
        "pre": {"zh": "政策前各期", "en": "Periods before the policy"},
        "post": {"zh": "政策后各期", "en": "Periods after the policy"},
        "ref": {"zh": "参照期（设为0）", "en": "Reference period (set to 0)"},
        "all": {"zh": "各期系数", "en": "Coefficients"},
    }
    return labels[key][lang]
