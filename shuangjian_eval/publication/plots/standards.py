"""A distribution against its official standard (homework limits, sleep hours)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ...inputs import codebook as _codebook
from ...inputs import policy as _policy
from .. import formatting as fmt
from .. import suppression
from . import _data
from ._style import PALETTE, add_note, house_style, new_figure

__all__ = ["Standard", "distribution_vs_standard", "standard_for"]


@dataclass(frozen=True)
class Standard:
    """An official standard of a variable, by grade (index 0-12; NaN: none)."""

    variable: str
    kind: str  # "max": at most the value (homework); "min": at least (sleep)
    by_grade: np.ndarray
    source: str

    def limits_for_grades(self, grades: Sequence[Any]) -> list[float]:
        g = pd.to_numeric(pd.Series(list(grades)), errors="coerce").dropna().astype(int)
        g = g[(g >= 0) & (g < len(self.by_grade))]
        values = self.by_grade[g.to_numpy()]
        return sorted({float(v) for v in values if np.isfinite(v)})

    def limits_for_stage(self, stage: Any, policy: _policy.Policy) -> list[float]:
        grades = [g for g, s in enumerate(policy.stage_by_grade()) if s == stage]
        return self.limits_for_grades(grades)

    def breaches(self, values: np.ndarray, limits: np.ndarray) -> np.ndarray:
        """True where a value is on the wrong side of its limit."""
        return values > limits if self.kind == "max" else values < limits


def standard_for(variable: str, policy: _policy.Policy | None = None) -> Standard:
    """The official standard of ``variable``: the ``standard`` of its entry in the codebook's
    outcome registry, read from ``policy.yaml`` (a limit for an outcome to decrease, a minimum
    for one to increase).

    Raises
    ------
    ValueError
        When the variable has no official standard (the message lists those that do).
    """
    pol, cb = policy or _policy.load(), _codebook.load()
    o = cb.outcomes.get(variable)
    if o is None or o.standard is None or not cb[variable].is_numeric:
        having = [o.name for o in cb.outcomes.values() if o.standard and cb[o.name].is_numeric]
        raise ValueError(
            f"{variable!r} has no official standard in policy.yaml; variables with one: {having}"
        )
    kind = "max" if o.direction == "decrease" else "min"
    source = pol.raw[o.standard]["source"]
    return Standard(variable, kind, pol.standard_by_grade(o.standard), source)


def _weighted_hist(x: np.ndarray, w: np.ndarray, edges: np.ndarray) -> np.ndarray:
    clipped = np.clip(x, edges[0], np.nextafter(edges[-1], edges[0]))
    counts, _ = np.histogram(clipped, bins=edges, weights=w)
    total = w.sum()
    return counts / total * 100.0 if total > 0 else counts


def _edges(x: np.ndarray, w: np.ndarray, variable: str, limits: list[float]) -> np.ndarray:
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.linspace(0.0, 1.0, 11)
    lo, hi = np.quantile(finite, [0.002, 0.995])
    hi = max(hi, *limits) if limits else hi
    unit = fmt.variable_unit(variable)
    if unit == "minutes per day":
        step = 10.0
        return np.arange(0.0, np.ceil((hi + 1e-9) / step) * step + step, step)
    if unit == "hours per day":
        step = 0.25
        lo = min(lo, *limits) if limits else lo
        return np.arange(np.floor(lo), np.ceil(hi) + step, step)
    return np.linspace(lo, hi, 31)


def _default_waves(df: pd.DataFrame, policy: _policy.Policy) -> list[Any]:
    waves = sorted(pd.unique(df["wave"].dropna()))
    if not waves:
        return []
    base = [w for w in waves if int(w) in set(policy.baseline_waves)]
    chosen = [base[-1], waves[-1]] if base and base[-1] != waves[-1] else [waves[-1]]
    return chosen


def _limit_text(limit: float, std: Standard, lang: str) -> str:
    unit = fmt.variable_unit(std.variable)
    value = fmt.format_value(limit, unit, lang, digits=0)
    if std.kind == "max":
        if limit == 0:
            return "标准：不布置书面作业" if lang == "zh" else "Standard: no written homework"
        return f"标准 ≤{value}" if lang == "zh" else f"Limit ≤{value}"
    return f"标准 ≥{value}" if lang == "zh" else f"Standard ≥{value}"


def distribution_vs_standard(
    df: pd.DataFrame,
    variable: str = "homework_min_weekday",
    by: str | None = "stage",
    weights: str | None = "weight",
    *,
    waves: Sequence[Any] | None = None,
    lang: str = "zh",
    policy: _policy.Policy | None = None,
    title: str | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    min_cell: int | None = None,
) -> Figure | Axes | Sequence[Axes]:
    """Weighted distribution of a variable against its official standard, per group.

    One panel per group of ``by``; in each, the weighted share of students in each bin for
    each wave compared, the standard drawn as a vertical line at its value from
    ``policy.yaml`` (homework: 60 minutes in grades 3-6, 90 in grades 7-9, none written in
    grades 1-2; sleep: 10, 9 and 8 hours), and the weighted share of students on the wrong
    side of their grade's standard.

    Parameters
    ----------
    df : pandas.DataFrame
        Respondent-level data with ``variable``, ``grade`` (for each student's standard;
        without it the group's standards are used), ``by``, ``weights`` and ``wave``.
    variable : str
        A variable with an official standard.
    by : str, optional
        Panels by this column (``"stage"`` gives each stage its own standard); None: one panel
        with every standard that applies to the data.
    weights : str, optional
        Sampling weights (None: unweighted).
    waves : sequence, optional
        Waves to compare; default the last baseline wave of ``policy.yaml`` and the last wave
        in the data. Without a ``wave`` column, all rows.
    lang : {"zh", "en"}
    policy : Policy, optional
        Standards (``policy.load()`` when omitted).
    title : str, optional
    ax : Axes or sequence of Axes, optional
        One Axes per panel; returned as given. Otherwise a new Figure is returned.
    min_cell : int, optional
        A group's wave with fewer respondents, or fewer schools (``school_id``, where the data
        have it) than the rule's ``min_psu``, is suppressed: not drawn, and its share marked
        "样本不足" / "suppressed" (None: the rule of ``suppression.rule_for()``; 0: no
        threshold, for rows that are not respondents, such as the bins of a histogram).

    Returns
    -------
    matplotlib.figure.Figure, or the Axes passed in
    """
    fmt.check_lang(lang)
    pol = policy or _policy.load()
    rule = suppression.rule_for(policy=pol)
    min_cell = rule.min_cell if min_cell is None else int(min_cell)
    std = standard_for(variable, pol)
    _data.require(df, [variable], "distribution_vs_standard")
    for col in (by, weights):
        if col is not None:
            _data.require(df, [col], "distribution_vs_standard")
    with house_style():
        x_all = pd.to_numeric(df[variable], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        w_all = (
            np.ones(len(df))
            if weights is None
            else pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        )
        grade = (
            pd.to_numeric(df["grade"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            if "grade" in df.columns
            else None
        )
        has_wave = "wave" in df.columns
        chosen = (
            list(waves) if waves is not None else (_default_waves(df, pol) if has_wave else [None])
        )
        groups = [None] if by is None else _data.levels(df, by)
        all_limits = (
            std.limits_for_grades(pd.unique(df["grade"].dropna()))
            if grade is not None
            else sorted({float(v) for v in std.by_grade if np.isfinite(v)})
        )
        edges = _edges(x_all, w_all, variable, all_limits)
        unit = fmt.variable_unit(variable)

        fig = None
        height = 1.75 + 1.9 * len(groups)
        if ax is None:
            fig, axes = new_figure((7.8, height), nrows=len(groups), sharex=True, squeeze=False)
            axes = list(axes[:, 0])
        else:
            axes = [ax] if isinstance(ax, Axes) else list(ax)
            if len(axes) != len(groups):
                raise ValueError(f"ax: {len(groups)} panels to draw, {len(axes)} Axes given")
        pad = (edges[1] - edges[0]) * 0.6
        suppressed = False
        for panel, code in zip(axes, groups, strict=True):
            if by is None:
                in_group = np.ones(len(df), bool)
            else:
                in_group = (df[by] == code).to_numpy(dtype=bool, na_value=False)
            if by == "stage":
                limits = std.limits_for_stage(code, pol)
            elif grade is not None:
                limits = std.limits_for_grades(pd.unique(df.loc[in_group, "grade"].dropna()))
            else:
                limits = all_limits
            shares = []
            for i, wave in enumerate(chosen):
                rows = in_group & np.isfinite(x_all) & np.isfinite(w_all)
                if wave is not None:
                    rows &= (df["wave"] == wave).to_numpy(dtype=bool, na_value=False)
                if _too_small(df, rows, min_cell):
                    shares.append((wave, None))
                    suppressed = True
                    continue
                hist = _weighted_hist(x_all[rows], w_all[rows], edges)
                style = _wave_style(i, len(chosen))
                if style["fill"]:
                    panel.stairs(hist, edges, fill=True, facecolor=style["facecolor"],
                                 edgecolor=style["edgecolor"], hatch=style["hatch"],
                                 linewidth=0.6, zorder=1)  # fmt: skip
                else:
                    panel.stairs(hist, edges, color=style["color"], linestyle=style["linestyle"],
                                 linewidth=1.8, zorder=2)  # fmt: skip
                shares.append((wave, _breach_share(std, x_all, w_all, grade, rows, limits)))
            panel.set_xlim(edges[0] - pad, edges[-1])
            span = edges[-1] - edges[0] + pad
            for limit in limits:
                panel.axvline(
                    limit, color="#111111", linestyle=(0, (5, 2)), linewidth=1.5, zorder=3
                )
                right = (limit - edges[0] + pad) / span < 0.7
                panel.text(limit, 0.96, (" " if right else "") + _limit_text(limit, std, lang) + ("" if right else " "),
                           transform=panel.get_xaxis_transform(), ha="left" if right else "right",
                           va="top", fontsize=8.5,
                           bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})  # fmt: skip
            label = (
                fmt.stat_label("all", lang) if code is None else fmt.category_label(by, code, lang)
            )
            panel.set_title(label, fontsize=10.5, loc="left", pad=4)
            panel.set_title(_breach_text(std, shares, limits, lang), fontsize=9, loc="right", pad=4)
            panel.set_ylabel("%")
        axes[-1].set_xlabel(fmt.axis_label(variable, unit, lang))
        if fig is None:
            return ax
        handles = _legend_handles(chosen, lang)
        fig.legend(handles=handles, loc="upper left", ncol=len(handles),
                   bbox_to_anchor=(0.005, 1 - 0.4 / height))  # fmt: skip
        if title is None:
            name = fmt.variable_label(variable, lang)
            title = (
                f"{name}的分布与国家标准"
                if lang == "zh"
                else f"{name}: distribution against the official standard"
            )
        fig.suptitle(title, x=0.01, ha="left", y=1 - 0.1 / height, va="top", fontsize=12.5)
        source = pol.sources.get(std.source, {}).get(lang, std.source)
        if lang == "zh":
            note = f"注：纵轴为各区间学生占比（加权，%），超出坐标范围的值计入最后一个区间。标准来源：{source}。"
            if suppressed:
                note += (
                    f"受访者少于{min_cell}人或学校少于{rule.min_psu}所的分布未画出（样本不足）。"
                )
        else:
            note = f"Note: vertical axis is the weighted share of students in each bin (%); values beyond the axis count in the last bin. Standard: {source}."
            if suppressed:
                note += f" Distributions of fewer than {min_cell} respondents or {rule.min_psu} schools are not drawn (suppressed)."
        add_note(fig, note)
        fig.subplots_adjust(left=0.08, right=0.98, top=1 - 1.0 / height, bottom=1.15 / height,
                            hspace=0.42)  # fmt: skip
        return fig


def _too_small(df: pd.DataFrame, rows: np.ndarray, min_cell: int) -> bool:
    """Whether the respondents of ``rows`` are too few to publish their distribution (0: never;
    the schools are counted where ``df`` has ``school_id``)."""
    if not min_cell:
        return False
    schools = df.loc[rows, "school_id"].nunique() if "school_id" in df.columns else None
    return suppression.is_small(int(rows.sum()), schools, min_cell=min_cell)


def _wave_style(i: int, k: int) -> dict[str, Any]:
    """First of several waves: hatched grey area; later ones (or a single one): lines."""
    if i == 0 and k > 1:
        return {"fill": True, "facecolor": "#d4d4d4", "edgecolor": "#8a8a8a", "hatch": "///"}
    styles = ("-", "--", ":")
    return {"fill": False, "color": PALETTE[0], "linestyle": styles[(i - (k > 1)) % 3]}


def _breach_share(
    std: Standard,
    x: np.ndarray,
    w: np.ndarray,
    grade: np.ndarray | None,
    rows: np.ndarray,
    limits: list[float],
) -> float:
    """Weighted share of ``rows`` on the wrong side of each student's own standard (by grade;
    the group's single standard when grades are unknown); NaN when none applies."""
    if grade is not None:
        g = np.where(np.isfinite(grade), grade, 0).astype(int)
        limit = np.where(np.isfinite(grade), std.by_grade[np.clip(g, 0, 12)], np.nan)
    elif len(limits) == 1:
        limit = np.full(len(x), limits[0])
    else:
        return float("nan")
    ok = rows & np.isfinite(limit)
    if not ok.any() or w[ok].sum() <= 0:
        return float("nan")
    return float((w[ok] * std.breaches(x[ok], limit[ok])).sum() / w[ok].sum())


def _breach_text(
    std: Standard, shares: list[tuple[Any, float | None]], limits: list[float], lang: str
) -> str:
    if not limits:
        return fmt.stat_label("no_standard", lang)
    known = [(w, s) for w, s in shares if s is None or np.isfinite(s)]  # None: suppressed
    if not known:
        return ""
    key = "above_limit" if std.kind == "max" else "below_standard"

    def value(s: float | None) -> str:
        return fmt.SUPPRESSED["n"][lang] if s is None else fmt.format_value(s, "share", lang)

    if lang == "zh":
        parts = [("" if w is None else f"{int(w)}年 ") + value(s) for w, s in known]
        return f"{fmt.stat_label(key, lang)}:" + " → ".join(parts)
    parts = [value(s) + ("" if w is None else f" ({int(w)})") for w, s in known]
    return f"{fmt.stat_label(key, lang)}: " + " → ".join(parts)


def _legend_handles(waves: list[Any], lang: str) -> list[Any]:
    handles: list[Any] = []
    for i, wave in enumerate(waves):
        if wave is None:
            label = fmt.stat_label("all", lang)
        else:
            label = f"{int(wave)}年" if lang == "zh" else str(int(wave))
        style = _wave_style(i, len(waves))
        if style["fill"]:
            handles.append(Patch(facecolor=style["facecolor"], edgecolor=style["edgecolor"],
                                 hatch=style["hatch"], label=label))  # fmt: skip
        else:
            handles.append(Line2D([], [], color=style["color"], linestyle=style["linestyle"],
                                  linewidth=1.8, label=label))  # fmt: skip
    handles.append(Line2D([], [], color="#111111", linestyle=(0, (5, 2)), linewidth=1.5,
                          label=fmt.stat_label("standard", lang)))  # fmt: skip
    return handles
