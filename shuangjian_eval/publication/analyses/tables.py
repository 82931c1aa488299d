"""Tables for readers of the analysis results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...estimation import effects as _effects
from ...estimation.effects.heterogeneity import GroupedResult
from ...estimation.results import EstimateResult
from ...inputs import codebook as _codebook
from ...inputs import policy as _policy
from .. import formatting as fmt
from .. import suppression
from .. import tables as _tables
from ..plan import passes_unavailable
from ._common import _STATS, _pvalue, _t
from .estimates import suppressed_tests


@passes_unavailable
def changes(result: EstimateResult, *, wave: int | None = None) -> EstimateResult:
    """A change table of ``sje.targets`` (``displacement``, ``change_by_group``,
    ``spend_by_income``) as a change result by wave: the changes from the baseline only (no
    gaps or substitution ratios) of the windows with data, each as its wave; optionally one."""
    pol, t = _policy.load(), result.table
    if "window" in t:
        t = t.loc[t["quantity"] == "change"].drop(
            columns=["quantity", "baseline", "follow_up"], errors="ignore"
        )
        t.insert(
            1, "wave", t.pop("window").map({"1y": pol.one_year_wave, "3y": pol.three_year_wave})
        )
    t = t.loc[(t["n"] > 0) & (True if wave is None else t["wave"] == wave)]  # waves with data
    by = result.options.get("by")
    by = ["wave", *([by] if isinstance(by, str) else [b for b in by or [] if b != "wave"])]
    return EstimateResult(t.reset_index(drop=True), method="mean_diff", options={"by": by},
                          nobs=result.nobs, level=result.level)  # fmt: skip


@passes_unavailable
def table(
    result: Any, *, spread: str | None = "stage", lang: str = "zh", min_cell: int | None = None
) -> pd.DataFrame:
    """A report table (``sje.tables.report_table``) for readers (``min_cell`` None: the rule
    of ``suppression.rule_for("tables")``).

    With ``spread``, the groups of that column go across: one row per indicator (with its
    unit) and other domain such as the wave, one column per group, cells the estimate with its
    interval or the suppression mark. Without, the long report table with significance.
    """
    long = _tables.report_table(result, lang=lang, min_cell=min_cell, significance=spread is None)
    if long.empty:
        return pd.DataFrame(
            {
                fmt.stat_label("note", lang): [
                    "没有数据" if (fmt.check_lang(lang) == "zh") else "no data"
                ]
            }
        )
    cb = _codebook.load()
    names = {k: _t(k, lang) for k in ("income_quintile", "specification", "event_time")}
    if spread is None:
        return _drop_empty(long, lang).rename(columns=names)
    head, wave = fmt.variable_label(spread, lang), fmt.variable_label("wave", lang)
    est = next(c for c in long.columns if c.startswith(fmt.stat_label("estimate", lang)))
    ind, unit = fmt.stat_label("indicator", lang), fmt.stat_label("unit", lang)
    long[ind] = [i + fmt.paren(u, lang) if u else i
                 for i, u in zip(long[ind], long[unit], strict=True)]  # fmt: skip
    drop = {ind, head, est, unit, fmt.stat_label("n", lang), fmt.stat_label("note", lang)}
    rows = [ind, *(c for c in long.columns if c not in drop)]
    for c in [*rows, head]:  # order of appearance; waves in time order
        order = list(dict.fromkeys(long[c]))
        long[c] = pd.Categorical(long[c], sorted(order) if c == wave else order)
    wide = long.set_index([*rows, head])[est].unstack(head, fill_value=fmt.MISSING).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    if (
        spread in cb and cb[spread].dtype == "bool" and not cb[spread].true_label
    ):  # 是 -> 试点城市:是
        for b in (True, False):
            v = fmt.category_label(spread, b, lang)
            names[v] = f"{head}{fmt.colon(lang)}{v}"
    wide = wide.rename(columns=names)
    wide.attrs = dict(long.attrs)
    return wide


def _drop_empty(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    note = fmt.stat_label("note", lang)
    empty = note in frame and not frame[note].astype(bool).any()
    return frame.drop(columns=[note]) if empty else frame


@passes_unavailable
def effect_table(result: Any, *, lang: str = "zh", min_cell: int | None = None) -> pd.DataFrame:
    """A report table of event-study, placebo or aggregated staggered effects: one row per
    wave (or years since the policy took effect), without the reference period (0 by
    construction); the estimate with its interval and significance."""
    t = result.to_frame()
    t = t.loc[~(t["std_error"] == 0)].reset_index(drop=True)
    key = "event_time" if "event_time" in t else "wave"
    when = t["period"] if "period" in t else t.get(key, pd.Series(np.nan, t.index))
    name = _t(key, lang)
    t[name] = [
        ("总体" if (fmt.check_lang(lang) == "zh") else "Overall") if pd.isna(x) else str(int(x))
        for x in when
    ]
    t["variable"] = result.options.get("outcome", "")
    sizes = [c for c in ("n", "n_psu", "n_min_cell", "n_psu_min_cell") if c in t]  # suppression
    res = EstimateResult(t[["term", name, "variable", *(c for c in _STATS if c in t), *sizes]],
                         method="event_study", options={"by": [name]})  # fmt: skip
    out = table(res, spread=None, lang=lang, min_cell=min_cell)
    n = fmt.stat_label("n", lang)  # the smallest cell's count, not the coefficient's sample
    return out.drop(columns=[n]).__finalize__(out) if n in out else out


def reliability_table(results: Sequence[EstimateResult], *, lang: str = "zh") -> pd.DataFrame:
    """Cronbach's alpha (with its interval) and McDonald's omega, with the usual reading:
    good (>= 0.8), acceptable (0.7-0.8) or low (< 0.7)."""
    zh = fmt.check_lang(lang) == "zh"
    names = {"alpha": "Cronbach α", "std_alpha": "标准化 α" if zh else "Standardized α",
             "omega_total": "McDonald ω", "omega_model": "ω（模型）" if zh else "ω (model)"}  # fmt: skip
    words = ("良好", "可接受", "偏低", "") if zh else ("good", "acceptable", "low", "")
    rows = []
    for r in results:
        for _, t in r.table.iterrows():
            est = t["estimate"]
            rows.append({fmt.stat_label("indicator", lang): names.get(t["term"], t["term"]),
                         fmt.stat_label("estimate_ci", lang, level=f"{r.level * 100:g}"):
                             fmt.format_ci(est, t["ci_lower"], t["ci_upper"], digits=3),
                         fmt.stat_label("n", lang): fmt.format_count(t.get("n")),
                         "解读" if zh else "Reading":
                             words[3 if np.isnan(est) else 0 if est >= 0.8 else 1 if est >= 0.7 else 2]})  # fmt: skip
    return pd.DataFrame(rows)


def item_table(result: EstimateResult, *, lang: str = "zh") -> pd.DataFrame:
    """Items of ``sje.item_total``: label, mean, corrected item-total correlation with its
    interval, and alpha if the item were dropped."""
    zh = fmt.check_lang(lang) == "zh"
    rows = [{"题目" if zh else "Item": fmt.variable_label(t["term"], lang),
             "平均分（1–5）" if zh else "Mean (1–5)": fmt.format_number(t["mean"], 2),
             "校正的题总相关 [95%置信区间]" if zh else "Corrected item-total r [95% CI]":
                 fmt.format_ci(t["estimate"], t["ci_lower"], t["ci_upper"], digits=2),
             "删除该题后的 α" if zh else "Alpha if dropped": fmt.format_number(t["alpha_if_dropped"], 3)}
            for _, t in result.table.iterrows()]  # fmt: skip
    return pd.DataFrame(rows)


@passes_unavailable
def odds_ratio_table(models: dict[str, Any], *, lang: str = "zh") -> pd.DataFrame:
    """Odds ratios of :func:`ordinal_model` with intervals: a row per term, a column per
    outcome. Below 1: answers move towards the low end; an interval without 1 is significant."""
    out = pd.DataFrame()
    for outcome, res in models.items():
        t = res.table.set_index("term")
        t = t.loc[t["coef_type"] == "coefficient", ["estimate", "ci_lower", "ci_upper"]]
        out[fmt.variable_label(outcome, lang)] = [
            fmt.format_ci(*np.exp(r), digits=2) for r in t.to_numpy(float)
        ]
        terms = list(t.index)
    labels = []
    for term in terms:  # "income_quintile[Q2]" -> "收入五分位组 Q2(相对Q1)"
        base, _, level = term.partition("[")
        against = "（相对Q1）" if (fmt.check_lang(lang) == "zh") else " (against Q1)"
        labels.append(_t(base, lang) + (f" {level.rstrip(']')}{against}" if level else ""))
    out.insert(0, "项" if (fmt.check_lang(lang) == "zh") else "Term", labels)
    return out


@passes_unavailable
def equality_table(
    result: GroupedResult,
    *,
    lang: str = "zh",
    min_cell: int | None = None,
    min_psu: int | None = None,
) -> pd.DataFrame:
    """The test of equal effects across groups (:func:`heterogeneity`), one row per outcome.

    A test that uses a suppressed group (:func:`suppressed_tests`, with ``min_cell`` and
    ``min_psu``; None: ``suppression.rule_for()``) shows no statistic, no p-value and no
    conclusion: "不予公布" / "not published", and the note says that it uses a suppressed
    group (``suppression.DERIVED_REASON``)."""
    zh, rows = (fmt.check_lang(lang) == "zh"), []
    for _, t in suppressed_tests(result, min_cell=min_cell, min_psu=min_psu).iterrows():
        ok, hidden = bool(t["valid"]), bool(t["suppressed"])
        if hidden:
            rows.append({fmt.stat_label("indicator", lang): fmt.variable_label(t["variable"], lang),
                         "卡方统计量（自由度）" if zh else "Chi-square (df)": fmt.MISSING,
                         fmt.stat_label("p_value", lang): fmt.MISSING,
                         "结论" if zh else "Conclusion": _t("not_published", lang),
                         fmt.stat_label("note", lang): suppression.DERIVED_REASON[lang]})  # fmt: skip
            continue
        words = _t(
            "not_tested" if not ok else "differ" if t["p_value"] < 0.05 else "no_difference", lang
        )
        rows.append({fmt.stat_label("indicator", lang): fmt.variable_label(t["variable"], lang),
                     "卡方统计量（自由度）" if zh else "Chi-square (df)":
                         f"{t['statistic']:.2f} ({int(t['df'])})" if ok else fmt.MISSING,
                     fmt.stat_label("p_value", lang): _pvalue(t["p_value"]),
                     "结论" if zh else "Conclusion": words,
                     fmt.stat_label("note", lang):
                         str(t["reason"]) if not ok else _t("shared", lang) if t["note"] else ""})  # fmt: skip
    return _drop_empty(pd.DataFrame(rows), lang)


@passes_unavailable
def adjusted_table(result: EstimateResult, *, lang: str = "zh") -> pd.DataFrame:
    """The effects of several outcomes (:func:`did_table`) with p-values adjusted for multiple
    testing: Holm (family-wise error rate) and Benjamini-Hochberg (false discovery rate), and
    the conclusion under Holm."""
    zh = fmt.check_lang(lang) == "zh"
    out = table(result, spread=None, lang=lang).drop(columns=[fmt.stat_label("significance", lang)])
    holm, bh = (_effects.adjust_pvalues(result, method=m)["p_adjusted"] for m in ("holm", "fdr_bh"))
    out[fmt.stat_label("p_value", lang)] = result.table["p_value"].map(_pvalue)
    out["Holm校正p值" if zh else "Holm p"] = holm.map(_pvalue)
    out["BH校正p值" if zh else "BH p"] = bh.map(_pvalue)
    out["校正后结论（Holm）" if zh else "After adjustment (Holm)"] = [
        fmt.SIGNIFICANCE[bool(p < 0.05)][lang] if np.isfinite(p) else fmt.MISSING for p in holm
    ]
    return out
