"""Charts of the supervision returns: indicators over the reporting periods."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import formatting as fmt
from ._style import house_style, new_figure, series_style

__all__ = ["supervision_trends"]

#: the share indicators a trend chart draws by default: (indicator, category)
TREND_INDICATORS: tuple[tuple[str, str], ...] = (
    ("homework_time_ok_share", ""),
    ("afterschool_time_ok_share", ""),
    ("afterschool_participation_rate", ""),
    ("subject_institutions_cut_share", "offline"),
    ("subject_institutions_cut_share", "online"),
)


def _label(indicator: str, category: str, lang: str) -> str:
    words = fmt.SUPERVISION_LABELS[category][lang] if category else ""
    return fmt.label(fmt.SUPERVISION_LABELS, indicator, lang, category=words)


def supervision_trends(
    table: pd.DataFrame,
    *,
    series: Sequence[tuple[str, str]] = TREND_INDICATORS,
    lang: str = "zh",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Shares of the supervision indicators over the reporting periods, one line each.

    Parameters
    ----------
    table : DataFrame
        Tidy indicators of one region (``period``, ``indicator``, ``category``, ``value``;
        :func:`shuangjian_eval.publication.supervision.indicators` with ``by=("period",)``);
        a suppressed value (NaN) leaves a gap.
    series : sequence of (indicator, category)
        The lines.
    """
    fmt.check_lang(lang)
    with house_style():
        fig = None
        if ax is None:
            fig, ax = new_figure((7.5, 4.4))
        for j, (indicator, category) in enumerate(series):
            rows = table[(table["indicator"] == indicator) & (table["category"] == category)]
            if rows.empty:
                continue
            rows = rows.sort_values("period")
            st = series_style(j)
            ax.plot(pd.to_datetime(rows["period"]), rows["value"] * 100, color=st.color,
                    linestyle=st.linestyle, marker=st.marker, markerfacecolor=st.markerfacecolor,
                    label=_label(indicator, category, lang))  # fmt: skip
        ax.set_ylim(0, 102)
        ax.set_ylabel("%")
        ax.set_xlabel(fmt.label(fmt.SUPERVISION_TEXT, "period", lang))
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title(title or ("督导报表主要指标的变化" if lang == "zh"
                               else "Supervision indicators over the reporting periods"))  # fmt: skip
        if fig is not None:
            fig.autofmt_xdate()
        return fig if fig is not None else ax
