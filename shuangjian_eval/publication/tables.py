"""Report tables: result objects turned into tables a policymaker can read.

A report table has one row per estimate and text cells only: domain and variable labels from
the codebook, the unit, the estimate with its confidence interval in brackets
(``"23.4 [18.1, 28.7]"``), whether it differs from zero in words, the number of respondents,
and a note. Cells from fewer than ``min_cell`` respondents (or fewer than ``min_psu`` sampled
schools, where the result says) are suppressed and marked, and so are effects whose smallest
supporting cell (``n_min_cell``, ``n_psu_min_cell``: a treated x period cell, say) is that
small; the rule and its defaults are those of :mod:`shuangjian_eval.suppression` (the
``suppression:`` block of ``policy.yaml``).
Statistics that could not be computed show their reason. :func:`to_html` renders a table with
every piece of text escaped.

>>> import pandas as pd
>>> from shuangjian_eval.estimation.results import EstimateResult
>>> r = EstimateResult(pd.DataFrame({"term": ["x"], "variable": ["homework_min_weekday"],
...     "estimate": [23.4], "std_error": [2.7], "statistic": [8.7], "p_value": [0.0],
...     "ci_lower": [18.1], "ci_upper": [28.7], "n": [120]}), method="mean")
>>> report_table(r, lang="zh").iloc[0]["估计值 [95%置信区间]"]
'23.4 [18.1, 28.7]'
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from . import formatting as fmt
from . import suppression
from .plan import passes_unavailable
from .targets.rules import WITHOUT_BASELINE

__all__ = ["LEVEL_METHODS", "report_table", "scorecard_table", "to_html", "to_styler"]

#: Methods whose estimates are levels (a mean is not "different from zero" in any useful
#: sense), so report tables leave out the significance column unless asked.
LEVEL_METHODS: frozenset[str] = frozenset({"mean", "total", "proportion", "quantile", "ratio"})
_CHANGE_METHODS = frozenset({"mean_diff", "did", "before_after", "event_study", "staggered_did"})

# columns of result tables that are not domains
_NOT_DOMAINS = frozenset(
    "term variable category denominator estimate std_error statistic p_value ci_lower ci_upper "
    "df n N deff valid reason mean_first mean_second q n_psu suppressed unit label_zh label_en "
    "level n_min_cell n_psu_min_cell".split()
)


def _frame_and_meta(result: Any) -> tuple[pd.DataFrame, str | None, dict[str, Any], float]:
    if isinstance(result, pd.DataFrame):
        return result.copy(), None, {}, 0.95
    to_frame = getattr(result, "to_frame", None)
    if not callable(to_frame):
        raise TypeError(
            f"report_table takes a result object or a DataFrame, got {type(result).__name__}"
        )
    return (
        to_frame(),
        getattr(result, "method", None),
        dict(getattr(result, "options", None) or {}),
        float(getattr(result, "level", 0.95)),
    )


def _digits_for(
    digits: int | Mapping[str, int] | None, variable: str | None, unit: str | None
) -> int:
    if isinstance(digits, Mapping):
        if variable in digits:
            return int(digits[variable])
        return fmt.default_digits(unit)
    return fmt.default_digits(unit) if digits is None else int(digits)


def _notes(
    lang: str,
    level: float,
    alpha: float,
    min_cell: int,
    min_psu: int,
    sig: bool,
    cells: bool = False,
) -> list[str]:
    pct = f"{level * 100:g}"
    notes = []
    if lang == "zh":
        notes.append(f"方括号内为{pct}%置信区间；份额以百分比表示，份额的变化以百分点表示。")
        if sig:
            notes.append(
                f"显著性：双侧检验估计值是否为零，p<{alpha:g}为“与零差异显著”，否则为“与零无显著差异”。"
            )
        notes.append(
            f"受访者少于{min_cell}人（或抽样单位少于{min_psu}个）的估计标为“样本不足”，不予公布。"
        )
        if cells:
            notes.append(
                f"效应估计所依据的最小单元（如处理组某一时期）受访者少于{min_cell}人或抽样单位少于"
                f"{min_psu}个的，同样标为“样本不足”。"
            )
    else:
        notes.append(
            f"Brackets hold the {pct}% confidence interval; shares are in percent and changes in "
            "shares in percentage points."
        )
        if sig:
            notes.append(
                f"Significance: two-sided test that the estimate is zero; p < {alpha:g} is "
                "'different from zero', otherwise 'not distinguishable from zero'."
            )
        notes.append(
            f"Estimates from fewer than {min_cell} respondents (or fewer than {min_psu} PSUs) are "
            "suppressed and not published."
        )
        if cells:
            notes.append(
                "So are effects whose smallest supporting cell (a treated group in one period, "
                f"say) has fewer than {min_cell} respondents or fewer than {min_psu} PSUs."
            )
    return notes


def report_table(
    result: Any,
    *,
    lang: str = "zh",
    min_cell: int | None = None,
    min_psu: int | None = None,
    digits: int | Mapping[str, int] | None = None,
    significance: bool | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """A report table of a result: labelled, rounded, with intervals, words and suppression.

    Parameters
    ----------
    result : EstimateResult or pandas.DataFrame
        Tidy result (``term, estimate, std_error, statistic, p_value, ci_lower, ci_upper``
        and any of ``variable``, ``category``, domain columns, ``n``, ``n_psu``,
        ``n_min_cell``, ``n_psu_min_cell``, ``valid``, ``reason``, ``suppressed``, ``unit``).
    lang : {"zh", "en"}
    min_cell : int, optional
        Estimates from fewer respondents (``n``) are suppressed: "样本不足" /
        "suppressed: too few respondents", and the count is shown as ``"<min_cell"``.
        None: the rule of ``suppression.rule_for("tables")``.
    min_psu : int, optional
        Estimates from fewer PSUs (``n_psu``, where the result has it) are suppressed.
        Effects whose smallest supporting cell has fewer than ``min_cell`` respondents
        (``n_min_cell``) or ``min_psu`` PSUs (``n_psu_min_cell``), as the results of
        ``sje.effects`` report them, are suppressed too: the note says "smallest cell"; the
        count column keeps the (larger) number of respondents of the whole estimate.
    digits : int or dict, optional
        Decimals (after scaling shares to percent); a dict by variable; by default per unit
        (minutes 1, hours 2, yuan 0, percent 1).
    significance : bool, optional
        Whether to add a column saying in words whether the estimate differs from zero (at
        the result's confidence level). Default: yes, except for levels (means, totals,
        proportions, quantiles, ratios).
    unit : str, optional
        Unit of every row, when neither a ``unit`` column nor the codebook gives one.

    Returns
    -------
    pandas.DataFrame
        Text cells with display headers in ``lang``; ``attrs["notes"]`` holds the footnotes
        and ``attrs["suppressed"]`` the positions of suppressed rows.
    """
    fmt.check_lang(lang)
    frame, method, options, level = _frame_and_meta(result)
    if "level" in frame.columns and frame["level"].notna().any():
        level = float(frame["level"].dropna().iloc[0])
    missing = [c for c in ("estimate", "ci_lower", "ci_upper") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"report_table needs columns {missing}; the result has {list(frame.columns)}"
        )
    frame = frame.reset_index(drop=True)
    if significance is None:
        significance = method not in LEVEL_METHODS and "p_value" in frame.columns
    change = method in _CHANGE_METHODS
    alpha = 1.0 - level
    by_option = options.get("by") or []
    by_option = [by_option] if isinstance(by_option, str) else list(by_option)
    by = [c for c in by_option if c in frame.columns]
    domains = by or [c for c in frame.columns if c not in _NOT_DOMAINS]
    show_term = "variable" not in frame.columns

    col_est = fmt.stat_label("estimate_ci", lang, level=f"{level * 100:g}")
    col_unit, col_n = fmt.stat_label("unit", lang), fmt.stat_label("n", lang)
    col_sig, col_note = fmt.stat_label("significance", lang), fmt.stat_label("note", lang)
    rule = suppression.rule_for()
    min_cell = rule.min_cell if min_cell is None else int(min_cell)
    min_psu = rule.min_psu if min_psu is None else int(min_psu)
    small_n_rows = suppression.small_cells(frame, min_cell=min_cell, n_psu=None)
    small_psu_rows = suppression.small_cells(frame, min_psu=min_psu, n=None)
    cell_n_rows = suppression.small_cells(frame, min_cell=min_cell, n="n_min_cell", n_psu=None)
    cell_psu_rows = suppression.small_cells(frame, min_psu=min_psu, n=None, n_psu="n_psu_min_cell")
    rows, suppressed_rows = [], []
    for pos, r in frame.iterrows():
        out: dict[str, str] = {}
        for d in domains:
            out[fmt.variable_label(d, lang)] = fmt.category_label(d, r[d], lang)
        variable = None if show_term else str(r["variable"])
        if show_term:
            out[fmt.stat_label("term", lang)] = str(r.get("term", ""))
        else:
            label = fmt.variable_label(variable, lang)
            cat = r.get("category") if "category" in frame.columns else None
            if cat is not None and not pd.isna(cat) and not isinstance(cat, bool | np.bool_):
                sep = ": " if lang == "en" else ":"
                label = f"{label}{sep}{fmt.category_label(variable, cat, lang)}"
            out[fmt.stat_label("indicator", lang)] = label
        row_unit = r.get("unit") if "unit" in frame.columns else None
        if row_unit is None or pd.isna(row_unit):
            row_unit = unit
        if row_unit is None and variable is not None:
            row_unit = fmt.variable_unit(variable)
        if row_unit is None and (method == "proportion" or "category" in frame.columns):
            row_unit = "share"
        info = fmt.unit_info(row_unit)
        out[col_unit] = (info.change_axis if change else info.axis)[lang]

        n = r.get("n") if "n" in frame.columns else None
        valid = bool(r.get("valid", True)) if "valid" in frame.columns else True
        small_n, small_psu = bool(small_n_rows[pos]), bool(small_psu_rows[pos])
        cell_n, cell_psu = bool(cell_n_rows[pos]), bool(cell_psu_rows[pos])
        reason = str(r.get("reason", "") or "") if "reason" in frame.columns else ""
        flagged = "suppressed" in frame.columns and _truthy(r["suppressed"])
        flagged |= reason.startswith("suppressed")  # how sje.targets marks its small cells
        note = ""
        sig_text = ""
        if not valid and not flagged:
            est_text = fmt.stat_label("not_computed", lang)
            note = (
                (f"无法计算：{reason}" if lang == "zh" else f"not computed: {reason}")
                if reason
                else ""
            )
        elif small_n or small_psu or cell_n or cell_psu or flagged:
            by_n, by_psu = small_n or (cell_n and not small_psu), small_psu or cell_psu
            key = "psu" if by_psu and not by_n else ("n" if by_n else "flag")
            est_text = fmt.SUPPRESSED[key][lang].format(min_psu=min_psu)
            if small_n:
                note = (
                    f"受访者少于{min_cell}人"
                    if lang == "zh"
                    else f"fewer than {min_cell} respondents"
                )
            elif small_psu:
                note = f"抽样单位少于{min_psu}个" if lang == "zh" else f"fewer than {min_psu} PSUs"
            elif cell_n:
                note = (f"最小单元受访者少于{min_cell}人" if lang == "zh"
                        else f"smallest cell has fewer than {min_cell} respondents")  # fmt: skip
            elif cell_psu:
                note = (f"最小单元抽样单位少于{min_psu}个" if lang == "zh"
                        else f"smallest cell has fewer than {min_psu} PSUs")  # fmt: skip
            suppressed_rows.append(pos)
        else:
            d = _digits_for(digits, variable, row_unit)
            est_text = fmt.format_ci(r["estimate"], r["ci_lower"], r["ci_upper"], unit=row_unit,
                                     digits=d, sign=change)  # fmt: skip
            p = r.get("p_value") if "p_value" in frame.columns else None
            if p is not None and not pd.isna(p):
                sig_text = fmt.SIGNIFICANCE[bool(float(p) < alpha)][lang]
        out[col_est] = est_text
        if significance:
            out[col_sig] = sig_text
        if n is not None or "n" in frame.columns:  # a flagged row's total may hold a small cell
            hide = flagged and not small_n
            out[col_n] = (
                fmt.SUPPRESSED["flag"][lang] if hide else fmt.format_count(n, min_cell=min_cell)
            )
        out[col_note] = note
        rows.append(out)
    table = pd.DataFrame(rows)
    cells = "n_min_cell" in frame.columns or "n_psu_min_cell" in frame.columns
    table.attrs["notes"] = _notes(lang, level, alpha, min_cell, min_psu, bool(significance), cells)
    table.attrs["suppressed"] = suppressed_rows
    table.attrs["lang"] = lang
    return table


def scorecard_table(
    frame_or_object: Any, *, lang: str = "zh", min_cell: int | None = None
) -> pd.DataFrame:
    """The target scorecard as a report table: baseline, changes with intervals, verdicts.

    Parameters
    ----------
    frame_or_object : scorecard object or pandas.DataFrame
        ``sje.scorecard(...)`` or its ``to_frame()`` (columns ``indicator, label_zh,
        label_en, unit, baseline[_ci_lower/_ci_upper], change_1y[...], change_3y[...],
        verdict_1y, verdict_3y, n, suppressed``).
    lang : {"zh", "en"}
    min_cell : int, optional
        Rows from fewer respondents are suppressed as well as those flagged ``suppressed``;
        a suppressed row's count shows as ``"<min_cell"`` or the suppression mark, never a number.
        None: the scorecard's rule (``suppression.rule_for("scorecard")``).

    Returns
    -------
    pandas.DataFrame
        Text cells; ``attrs["notes"]`` and ``attrs["suppressed"]`` as :func:`report_table`.
    """
    fmt.check_lang(lang)
    frame = (
        frame_or_object if isinstance(frame_or_object, pd.DataFrame) else frame_or_object.to_frame()
    )
    need = ["indicator", f"label_{lang}", "unit", "baseline", "change_1y", "change_3y",
            "verdict_1y", "verdict_3y"]  # fmt: skip
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"scorecard_table needs columns {missing}")
    frame = frame.reset_index(drop=True)
    rule = suppression.rule_for("scorecard")
    min_cell = rule.min_cell if min_cell is None else int(min_cell)
    ci = ci_header(lang)
    cols = {
        "indicator": fmt.stat_label("indicator", lang),
        "unit": fmt.stat_label("unit", lang),
        "baseline": f"{fmt.stat_label('baseline', lang)} {ci}",
        "change_1y": f"{fmt.stat_label('change_1y', lang)} {ci}",
        "verdict_1y": fmt.stat_label("verdict_1y", lang),
        "change_3y": f"{fmt.stat_label('change_3y', lang)} {ci}",
        "verdict_3y": fmt.stat_label("verdict_3y", lang),
        "n": fmt.stat_label("n", lang),
    }
    rows, suppressed_rows = [], []
    for pos, r in frame.iterrows():
        unit = None if pd.isna(r["unit"]) else str(r["unit"])
        info = fmt.unit_info(unit)
        n = r.get("n") if "n" in frame.columns else None
        hidden = "suppressed" in frame.columns and _truthy(r["suppressed"])
        hidden |= suppression.is_small(n, min_cell=min_cell)
        out = {cols["indicator"]: str(r[f"label_{lang}"]),
               cols["unit"]: f"{info.axis[lang]} / {info.change_axis[lang]}" if info.axis[lang] != info.change_axis[lang] else info.axis[lang]}  # fmt: skip
        mark = fmt.SUPPRESSED["n"][lang]
        for key in ("baseline", "change_1y", "verdict_1y", "change_3y", "verdict_3y"):
            if hidden:
                out[cols[key]] = mark
            elif key.startswith("verdict"):
                v = r[key]
                out[cols[key]] = "" if v is None or pd.isna(v) else fmt.verdict_label(str(v), lang)
            elif key != "baseline" and str(r[f"verdict_{key[-2:]}"]) in WITHOUT_BASELINE:
                out[cols[key]] = _level_vs_national(r, key[-2:], unit, lang)
            else:
                lo, hi = r.get(f"{key}_ci_lower"), r.get(f"{key}_ci_upper")
                out[cols[key]] = fmt.format_ci(r[key], lo, hi, unit=unit, sign=key != "baseline")
        if "n" in frame.columns:  # a suppressed row shows no count but "<min_cell"
            small = suppression.is_small(n, min_cell=min_cell) and float(n) > 0
            out[cols["n"]] = fmt.format_count(n, min_cell=min_cell) if small or not hidden else mark
        if hidden:
            suppressed_rows.append(pos)
        rows.append(out)
    table = pd.DataFrame(rows)
    table.attrs["notes"] = _notes(lang, 0.95, 0.05, min_cell, rule.min_psu, False)
    table.attrs["suppressed"] = suppressed_rows
    table.attrs["lang"] = lang
    table.attrs["keys"] = {label: key for key, label in cols.items() if label in table.columns}
    return table


def ci_header(lang: str) -> str:
    """The interval's part of a column header."""
    return "[95%置信区间]" if lang == "zh" else "[95% CI]"


#: The scorecard's columns in two tables, one per target window: the indicator in each, the
#: unit and the baseline with the 1-year table, the count with the 3-year one.
SCORECARD_PARTS: dict[str, tuple[str, ...]] = {
    "1y": ("indicator", "unit", "baseline", "change_1y", "verdict_1y"),
    "3y": ("indicator", "change_3y", "verdict_3y", "n"),
}


def scorecard_parts(display: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The report table of :func:`scorecard_table` split by target window
    (:data:`SCORECARD_PARTS`), so that each fits the width of a page; the attributes
    (notes, suppressed rows, column keys) kept."""
    keys = display.attrs["keys"]
    out = {}
    for window, wanted in SCORECARD_PARTS.items():
        part = display[[c for c in display.columns if keys.get(c) in wanted]].copy()
        part.attrs = dict(display.attrs)
        out[window] = part
    return out


def _level_vs_national(row: pd.Series, window: str, unit: str | None, lang: str) -> str:
    """The cell of an indicator without a baseline: its level at the window's wave with its
    interval, and the national figure it is set against (when it has one)."""
    period = "one_year" if window == "1y" else "three_year"
    level = fmt.format_ci(row[period], row.get(f"{period}_ci_lower"),
                          row.get(f"{period}_ci_upper"), unit=unit)  # fmt: skip
    if str(row.get(f"verdict_{window}")) == "no_baseline":
        return fmt.label(fmt.REPORT_TEXT, "level_only", lang, level=level)
    national = fmt.format_ci(row.get("official_value"), None, None, unit=unit)
    return fmt.label(fmt.REPORT_TEXT, "level_vs_national", lang, level=level, national=national)


def _truthy(value: Any) -> bool:
    return value is not None and not pd.isna(value) and bool(value)


def _is_mark(value: Any) -> bool:
    text = str(value)
    marks = {m[lang].split("(")[0] for m in fmt.SUPPRESSED.values() for lang in fmt.LANGS}
    marks |= {fmt.STAT_LABELS["not_computed"][lang] for lang in fmt.LANGS}
    marks |= set(suppression.COMPLEMENTARY_MARK.values())
    return any(text.startswith(m) for m in marks)


@passes_unavailable
def to_styler(table: pd.DataFrame, caption: str | None = None) -> Styler:
    """A pandas Styler of a report table that escapes every cell, header and the caption;
    suppressed and not-computed cells are set in grey italics (class ``sje-suppressed``)."""
    styler = table.style.format(escape="html", na_rep=fmt.MISSING)
    styler = styler.format_index(escape="html", axis=1).hide(axis="index")
    styler = styler.map(lambda v: "color: #555555; font-style: italic;" if _is_mark(v) else "")
    styler = styler.set_table_attributes('class="sje-report-table"')
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler


def to_html(table: pd.DataFrame, caption: str | None = None) -> str:
    """HTML of a report table with its footnotes; all text is escaped."""
    body = to_styler(table, caption).to_html()
    notes = "".join(
        f'<p class="sje-note">{html.escape(n)}</p>' for n in table.attrs.get("notes", [])
    )
    return f'<div class="sje-table">{body}{notes}</div>'
