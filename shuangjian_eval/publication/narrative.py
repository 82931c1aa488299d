"""Findings as sentences, zh and en, generated from result objects.

The sentences never say more than the numbers do:

- a change whose confidence interval includes zero is "not distinguishable from no change"
  （较政策前没有可以确定的变化）, with its interval, never "fell" or "rose";
- causal wording ("the policy reduced ...", 政策使……) only for results of a causal design
  (:func:`is_causal`: difference-in-differences, event studies, staggered adoption), and only
  when asked for with ``causal=True``; a before-after comparison, such as every scorecard row,
  is described as change over time, and a request for causal wording on it falls back to
  descriptive wording with a warning;
- a suppressed cell (too few respondents or schools) is not described: the sentence says that
  the group is too small to report;
- every piece of text that comes from data (labels, group and region names) is escaped, so the
  sentences are safe to put into Markdown or HTML.

Numbers follow the sentence rules of :mod:`~shuangjian_eval.publication.formatting`
(:func:`~shuangjian_eval.publication.formatting.sentence_number`: minutes whole from 10 up,
hours and shares with one decimal, yuan whole); the words are entries of :data:`_TEXT`.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..estimation.results import EstimateResult
from ..inputs import codebook as _codebook
from ..inputs import policy as _policy
from . import formatting as fmt
from . import suppression
from .targets.rules import WITHOUT_BASELINE

__all__ = [
    "CAUSAL_METHODS",
    "describe_change",
    "describe_robustness",
    "describe_scorecard",
    "glossary",
    "escape_markdown",
    "is_causal",
    "methods_note",
]

#: Estimator names (``EstimateResult.method``, or ``options["design"]``) of causal designs.
CAUSAL_METHODS = frozenset(
    {"did", "event_study", "staggered_did", "callaway_santanna", "ddd", "triple_difference",
     "synthetic_control", "regression_discontinuity"}
)  # fmt: skip

_MINUS = "\u2212"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#])")

# The sentences' words (fmt.Text entries, read with fmt.label); fields are filled by the caller.
_TEXT: dict[str, fmt.Text] = {
    "robust_close": {
        "zh": "{n} 种设定下的估计在 {lo} 至 {hi} 之间，与主设定的 {main} 相差不超过 {pct}%，方向一致：结论不依赖某一种设定。",
        "en": "Under {n} specifications the estimates range from {lo} to {hi}, within {pct}% of "
        "the main specification's {main} and all in one direction: the conclusion does not hang "
        "on one choice.",
    },
    "robust_apart": {
        "zh": "{n} 种设定下的估计在 {lo} 至 {hi} 之间，与主设定的 {main} 最多相差 {pct}%（{spec}）：结论对设定较敏感，需谨慎解读。",
        "en": "Under {n} specifications the estimates range from {lo} to {hi}, up to {pct}% away "
        "from the main specification's {main} ({spec}): the conclusion depends on the "
        "specification; read it with care.",
    },
    "robust_sign": {
        "zh": "{n} 种设定下的估计在 {lo} 至 {hi} 之间，方向不一致（{spec}与主设定的 {main} 方向相反）：结论取决于设定，不能据此下结论。",
        "en": "Under {n} specifications the estimates range from {lo} to {hi} and disagree in "
        "direction ({spec} against the main specification's {main}): the conclusion depends on "
        "the specification and cannot be drawn from these data.",
    },
    "robust_none": {
        "zh": "可报告的设定不足两种，无法检验稳健性。",
        "en": "Fewer than two specifications can be reported; robustness cannot be checked.",
    },
    "to": {"zh": " 至 ", "en": " to "},
    "ci": {"zh": "{pct}置信区间", "en": "{pct} CI"},
    "fell": {"zh": "减少", "en": "fell"},
    "rose": {"zh": "增加", "en": "rose"},
    "share_fell": {"zh": "下降", "en": "fell"},
    "share_rose": {"zh": "提高", "en": "rose"},
    "on_average": {"zh": "平均", "en": " on average"},
    "not_distinct": {
        "zh": "没有可以确定的变化（变化 {signed}，{lv}：{signed_range}）",
        "en": "was not distinguishable from no change ({signed}; {lv}: {signed_range})",
    },
    "distinct": {
        "zh": "{avg}{verb} {amount}（{lv}：{range}）",
        "en": "{verb} by {amount}{avg} ({lv}: {range})",
    },
    "when": {"zh": "{wave}年调查中，", "en": "In the {wave} survey, "},
    "row_small": {
        "zh": "{when}{label}：{who}该组受访者过少，不予报告。",
        "en": "{when}{label}: too few respondents in this group{who} to report.",
    },
    "row_small_baseline": {"zh": "政策前（基线）", "en": " before the policy (baseline)"},
    "row_insufficient": {
        "zh": "{when}{label}数据不足，无法判断是否达到{target}（{why}）。",
        "en": "{when}{label}: insufficient data to judge {target} ({why}).",
    },
    "methods_plan": {
        "zh": "**方法说明**：{what}{design}括号中的区间为{lv}置信区间，表示抽样误差的范围。",
        "en": "**Methods**: {what} {design} The ranges in brackets are {lv} confidence "
        "intervals: the margin of sampling error.",
    },
    "row_since": {
        "zh": "{when}{label}为{level}{national}；较{first}年{clause}，这是政策实施后的走势，"
        "没有政策前基线，不能说明政策的效果。",
        "en": "{when}{label} stood at {level}{national}; since {first} it {clause}: the trend "
        "after the policy, which without a pre-policy baseline says nothing of its effect.",
    },
    "row_level": {
        "zh": "{when}{label}为{level}{national}；没有政策前基线，无法判断变化。",
        "en": "{when}{label} stood at {level}{national}; with no pre-policy baseline, the change "
        "cannot be judged.",
    },
    "row_national": {
        "zh": "，全国数据为{national}（{verdict}）",
        "en": " (national figure {national}: {verdict})",
    },
    "row": {
        "zh": "{when}{label}较政策前{clause}，{verdict}。",
        "en": "{when}{label} {clause} compared with before the policy, {verdict}.",
    },
    "wave_missing": {"zh": "数据中缺少{detail}年调查", "en": "the data have no {detail} survey"},
    "no_baseline": {
        "zh": "政策前没有此项数据（无基线）",
        "en": "no data on it before the policy (no baseline)",
    },
    "no_data": {"zh": "该时点没有此项数据", "en": "no data on it at this time"},
    "zero_baseline_gap": {
        "zh": "基线已处于无负担水平，无法设定相对门槛",
        "en": "the baseline is already at the burden-free value, so no threshold can be set",
    },
    "not_measured": {"zh": "数据中没有此项", "en": "the item is not in the data"},
    "no_estimate": {"zh": "无法得到有效估计", "en": "no valid estimate could be computed"},
    "quintile": {"zh": "收入第{q}个五分之一的家庭", "en": "the families in income fifth {q}"},
    "quintile_1": {"zh": "收入最低的五分之一家庭", "en": "the lowest-income fifth of families"},
    "quintile_5": {"zh": "收入最高的五分之一家庭", "en": "the highest-income fifth of families"},
    "small": {
        "zh": "{when}{lead}：该组样本过少，不予报告。",
        "en": "{when}{lead}: too few respondents in this group to report.",
    },
    "invalid": {
        "zh": "{when}{lead}：无法得到有效估计。",
        "en": "{when}{lead}: no valid estimate{why}.",
    },
    "substitution": {
        "zh": "{when}学科类培训每减少100人，{plain}约增加 {per} 人（{lv}：{rng}）{tail}。",
        "en": "{when}{opening} every 100 fewer students in subject tutoring, about {per} more "
        "took {plain} ({lv}: {rng}){tail}.",
    },
    "substitution_zero": {
        "zh": "，这一数字可能只是抽样误差，不能确定确有转移",
        "en": "; this may be sampling error alone, so no shift is established",
    },
    "gap_change": {
        "zh": "{when}{grp}与{ref}相比，{plain}的变化相差 {diff}（{lv}：{rng}）{tail}。",
        "en": "{when}{opening} change in {plain} differed by {diff} between {grp} and {ref} "
        "({lv}: {rng}){tail}.",
    },
    "gap_change_zero": {
        "zh": "，这一差别可能只是抽样误差",
        "en": "; the difference may be sampling error alone",
    },
    "pre_distinct": {
        "zh": "政策实施前，{label}的组间差异为 {signed}（{lv}：{signed_range}），"
        "平行趋势假设可能不成立。",
        "en": "Before the policy, the groups differed in {label} by {signed} "
        "({lv}: {signed_range}): parallel trends may not hold.",
    },
    "pre_parallel": {
        "zh": "政策实施前，{label}的组间差异不显著（估计 {signed}，{lv}：{signed_range}），"
        "与平行趋势假设一致。",
        "en": "Before the policy, the groups' difference in {label} was not distinguishable from "
        "zero (estimate {signed}; {lv}: {signed_range}), consistent with parallel trends.",
    },
    "no_effect": {
        "zh": "{when}未发现政策对{label}有可辨别的影响（估计 {signed}，{lv}：{signed_range}）。",
        "en": "{when}{no} effect of the policy on {label} can be distinguished from zero "
        "(estimate {signed}; {lv}: {signed_range}).",
    },
    "effect": {
        "zh": "{when}政策使{label}{clause}。",
        "en": "{when}{the} policy {verb} {label} by {amount}{avg} ({lv}: {range}).",
    },
    "reduced": {"zh": "减少", "en": "reduced"},
    "raised": {"zh": "增加", "en": "raised"},
    "change_at": {
        "zh": "{when}{label}较政策前{clause}。",
        "en": "{when}{label} {clause} compared with before the policy.",
    },
    "between_waves": {
        "zh": "{b}年与{a}年相比，{label}{clause}。",
        "en": "{lead} {clause} in {b} compared with {a}.",
    },
    "between": {
        "zh": "{col}={b} 与 {col}={a} 相比，{label}{clause}。",
        "en": "{lead} {clause} ({col}={b} against {col}={a}).",
    },
    "plain": {"zh": "{label}：{clause}。", "en": "{lead}: {clause}."},
    "scope": {
        "zh": "以下结果针对{where}义务教育阶段学生，以{base}年调查为政策前基线，"
        "与{y1}年（1年）和{y3}年（3年）调查比较；估计按抽样设计加权，括号内为{lv}。",
        "en": "These results cover students in compulsory education in {where}, comparing the "
        "{y1} (1 year) and {y3} (3 years) surveys with the pre-policy baseline of the {base} "
        "surveys; estimates are weighted to the survey design, with {lv}s in brackets.",
    },
    "national": {
        "zh": "全国数据：{text}（来源：{src}）。{note}",
        "en": "National figure: {text} (source: {src}).{note}",
    },
    "not_comparable": {
        "zh": "该数据口径与本调查不同，仅作背景参考。",
        "en": " It is measured differently; context only.",
    },
    "pilot_cities": {"zh": "试点城市名单", "en": "the list of pilot cities"},
    "unverified": {
        "zh": "以下政策信息未能以原始文件核实：{items}。",
        "en": "Not verified against the primary documents: {items}.",
    },
    "unverified_sep": {"zh": "；", "en": "; "},
}


def escape_markdown(text: Any, *, start: bool = False) -> str:
    """Text made safe for Markdown and HTML: ``&``, ``<``, ``>`` as HTML entities and
    Markdown's inline markers (backslash, backtick, ``* _ [ ] { } | ~ #``) backslash-escaped.

    With ``start=True`` (text that begins a line) a leading block marker is neutralised too:
    ``- ``, ``+ ``, ``> `` or ``1. `` would otherwise start a list or a quote.
    """
    s = _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return _line(s) if start else s


def _line(sentence: str) -> str:
    """A finished sentence: neutralise a block marker at its start (its parts are escaped)."""
    s = re.sub(r"^(\s*)([-+*])(\s)", r"\1\\\2\3", sentence)
    return re.sub(r"^(\s*\d{1,9})([.)])(\s|$)", r"\1\\\2\3", s)


def is_causal(result: Any) -> bool:
    """Whether a result comes from a causal design (DID, event study, staggered adoption).

    A result says so with an attribute or option ``causal`` (True/False), or by its ``method``
    (or ``options["design"]``) being one of :data:`CAUSAL_METHODS`. Scorecard rows and
    before-after comparisons are not causal.
    """
    flag = getattr(result, "causal", None)
    if isinstance(flag, bool):
        return flag
    options = getattr(result, "options", None) or {}
    if isinstance(options.get("causal"), bool):
        return bool(options["causal"])
    return getattr(result, "method", None) in CAUSAL_METHODS or options.get("design") in (
        CAUSAL_METHODS
    )


# ------------------------------------------------------------------------------ numbers
def _t(key: str, lang: str, **fields: Any) -> str:
    return fmt.label(_TEXT, key, lang, **fields)


def _num(value: float, unit: str | None, ref: float | None = None) -> str:
    """A magnitude in display units (shares in percentage points), no sign, by the sentence
    rules of :func:`fmt.sentence_number`. ``ref``: the largest magnitude of the sentence, so
    that its numbers share one precision."""
    return fmt.sentence_number(value, unit, ref=ref)


def _signed(value: float, unit: str | None, factor: float = 1.0, ref: float | None = None) -> str:
    text = _num(value * factor, unit, ref) if factor != 1.0 else _num(value, unit, ref)
    if factor != 1.0 and unit is None:
        text = f"{abs(value) * factor:.0f}"
    if float(value) < 0 and text.strip("0.,") != "":
        return _MINUS + text
    return text


def _with_unit(text: str, unit: str | None, lang: str) -> str:
    word = fmt.sentence_unit(unit, lang)
    return f"{text} {word}" if word else text


def _range(lo: float, hi: float, unit: str | None, lang: str, magnitude: bool,
           ref: float | None = None) -> str:  # fmt: skip
    """An interval: magnitudes joined by an en dash, or signed values joined by 至 / to."""
    ref = max(abs(lo), abs(hi), abs(ref or 0.0))
    if magnitude:
        a, b = sorted((abs(lo), abs(hi)))
        return _with_unit(f"{_num(a, unit, ref)}–{_num(b, unit, ref)}", unit, lang)
    join = _t("to", lang)
    return _with_unit(f"{_signed(lo, unit, ref=ref)}{join}{_signed(hi, unit, ref=ref)}", unit, lang)


def _level_with_interval(row: Mapping[str, Any], period: str, unit: str | None, lang: str,
                         level: float) -> str:  # fmt: skip
    """A level and its interval for a sentence: "72.1%（95%置信区间 63.8%–79.2%）"."""
    value = fmt.format_value(row[period], unit, lang)
    lo, hi = row.get(f"{period}_ci_lower"), row.get(f"{period}_ci_upper")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return value
    bounds = f"{fmt.format_value(lo, unit, lang)}–{fmt.format_value(hi, unit, lang)}"
    return value + fmt.paren(f"{_level_text(level, lang)} {bounds}", lang)


def _level_text(level: float, lang: str) -> str:
    return _t("ci", lang, pct=f"{100 * level:g}%")


def _label_en(label: str) -> str:
    """A label in mid-sentence: lower-case first letter, unless it starts an acronym."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _change_parts(est: float, lo: float, hi: float, unit: str | None, kind: str, lang: str,
                  level: float) -> dict[str, Any]:  # fmt: skip
    """Pieces of a change sentence; ``distinct`` is False when the interval includes zero."""
    distinct = bool(np.isfinite(lo) and np.isfinite(hi) and not (lo <= 0 <= hi))
    down = est < 0
    ref = float(np.nanmax(np.abs([est, lo, hi])))
    verb = ("share_" if kind == "share" else "") + ("fell" if down else "rose")
    return {
        "distinct": distinct,
        "down": down,
        "verb": _t(verb, lang),
        "avg": "" if kind == "share" else _t("on_average", lang),
        "amount": _with_unit(_num(est, unit, ref), unit, lang),
        "range": _range(lo, hi, unit, lang, magnitude=True, ref=ref),
        "signed": _with_unit(_signed(est, unit, ref=ref), unit, lang),
        "signed_range": _range(lo, hi, unit, lang, magnitude=False, ref=ref),
        "lv": _level_text(level, lang),
    }  # fmt: skip


def _change_clause(est: float, lo: float, hi: float, unit: str | None, kind: str, lang: str,
                   level: float) -> tuple[str, bool]:  # fmt: skip
    """The change part of a sentence, and whether the change is distinguishable from zero."""
    p = _change_parts(est, lo, hi, unit, kind, lang, level)
    return _t("distinct" if p["distinct"] else "not_distinct", lang, **p), p["distinct"]


_VERDICT_CLAUSE: dict[tuple[str, str], fmt.Text] = {
    ("1y", "effective"): {"zh": "达到“1年内有效减轻”目标", "en": "meeting the 1-year target of an effective reduction"},
    ("1y", "not_met"): {"zh": "未达到“1年内有效减轻”目标", "en": "short of the 1-year target of an effective reduction"},
    ("1y", "inconclusive"): {
        "zh": "尚不能判断是否达到“1年内有效减轻”目标",
        "en": "too uncertain to say whether the 1-year target of an effective reduction was met",
    },
    ("3y", "remarkable"): {"zh": "达到“3年内成效显著”目标", "en": "meeting the 3-year target of remarkable results"},
    ("3y", "effective"): {
        "zh": "达到有效减轻的标准，但尚未显示达到“3年内成效显著”目标",
        "en": "meeting the standard of an effective reduction, but not showing the 3-year target of "
        "remarkable results",
    },
    ("3y", "not_met"): {"zh": "未达到“3年内成效显著”目标", "en": "short of the 3-year target of remarkable results"},
    ("3y", "inconclusive"): {
        "zh": "尚不能判断是否达到“3年内成效显著”目标",
        "en": "too uncertain to say whether the 3-year target of remarkable results was met",
    },
}  # fmt: skip
_TARGET_NAME: dict[str, fmt.Text] = {
    "1y": {"zh": "“1年内有效减轻”目标", "en": "the 1-year target"},
    "3y": {"zh": "“3年内成效显著”目标", "en": "the 3-year target"},
}


def _reason_text(reason: str, lang: str) -> str:
    code, _, detail = str(reason).partition(":")
    detail = escape_markdown(detail.strip())
    if code == "wave_missing":
        return _t("wave_missing", lang, detail=detail)
    if code == "no_data":
        return _t("no_baseline" if detail == "baseline" else "no_data", lang)
    if code in ("zero_baseline_gap", "not_measured"):
        return _t(code, lang)
    return _t("no_estimate", lang)


# ------------------------------------------------------------------------------ scorecard rows
def _is_scorecard_row(obj: Any) -> bool:
    return isinstance(obj, Mapping | pd.Series) and "indicator" in obj and "verdict_1y" in obj


def _row_sentence(row: Mapping[str, Any], window: str, lang: str, level: float,
                  policy: _policy.Policy) -> str:  # fmt: skip
    zh = lang == "zh"
    label = escape_markdown(row[f"label_{lang}"] if f"label_{lang}" in row else row["indicator"])
    label = label if zh else _label_en(label)
    wave = policy.one_year_wave if window == "1y" else policy.three_year_wave
    period = "one_year" if window == "1y" else "three_year"
    when = _t("when", lang, wave=wave)
    suppressed = [p for p in ("baseline", period) if bool(row.get(f"suppressed_{p}", False))]
    if suppressed or (bool(row.get("suppressed", False)) and f"suppressed_{period}" not in row):
        who = _t("row_small_baseline", lang) if suppressed == ["baseline"] else ""
        return _t("row_small", lang, when=when, label=label, who=who)
    verdict = row[f"verdict_{window}"]
    change = row[f"change_{window}"]
    if verdict in WITHOUT_BASELINE:
        unit = row.get("unit")
        value = _level_with_interval(row, period, unit, lang, level)
        national = ""
        if verdict != "no_baseline":
            national = _t("row_national", lang, verdict=fmt.verdict_label(verdict, lang, sentence=True),
                          national=fmt.format_value(row.get("official_value"), unit, lang))  # fmt: skip
        since = row.get("change_1y_to_3y", np.nan)
        if window == "3y" and since is not None and np.isfinite(since):
            kind = row.get("kind", "share" if unit == "share" else "mean")
            clause, _ = _change_clause(since, row["change_1y_to_3y_ci_lower"],
                                       row["change_1y_to_3y_ci_upper"], unit, kind, lang, level)  # fmt: skip
            return _t("row_since", lang, when=when, label=label, level=value, national=national,
                      clause=clause, first=policy.one_year_wave)  # fmt: skip
        return _t("row_level", lang, when=when, label=label, level=value, national=national)
    if verdict == "insufficient" or not np.isfinite(change):
        why = _reason_text(row.get(f"reason_{window}", ""), lang)
        target = fmt.label(_TARGET_NAME, window, lang)
        return _t("row_insufficient", lang, when=when, label=label, target=target, why=why)
    kind = row.get("kind", "share" if row.get("unit") == "share" else "mean")
    clause, _ = _change_clause(
        change, row[f"change_{window}_ci_lower"], row[f"change_{window}_ci_upper"],
        row.get("unit"), kind, lang, level,
    )  # fmt: skip
    verdict_clause = fmt.label(_VERDICT_CLAUSE, (window, verdict), lang)
    return _t("row", lang, when=when, label=label, clause=clause, verdict=verdict_clause)


# ------------------------------------------------------------------------------ result rows
def _variable_of(row: Mapping[str, Any], result: EstimateResult | None) -> str | None:
    var = row.get("variable")
    if isinstance(var, str):
        return var
    opts = result.options if result is not None else {}
    out = opts.get("outcome")
    return out if isinstance(out, str) else None


def _unit_kind(var: str | None) -> tuple[str | None, str]:
    cb = _codebook.load()
    if var is None or var not in cb:
        return None, "mean"
    v = cb[var]
    return ("share", "share") if v.dtype == "bool" else (v.unit, "mean")


def _group_text(row: Mapping[str, Any], result: EstimateResult | None, lang: str) -> str:
    if result is None:
        return ""
    by = result.options.get("by")
    cols = [by] if isinstance(by, str) else list(by or [])
    cb, parts = _codebook.load(), []
    for col in cols:
        if col not in row:
            continue
        value = row[col]
        if col == "income_quintile" and isinstance(value, str) and value[:1] == "Q":
            key = f"quintile_{value[1:]}"
            text = _t(key, lang) if key in _TEXT else _t("quintile", lang, q=value[1:])
        elif col in cb:
            text = cb[col].category_label(value, lang)
        else:
            text = f"{col}={value}"
        parts.append(escape_markdown(text))
    return fmt.join_list(parts, lang)


def _result_sentence(row: Mapping[str, Any], result: EstimateResult | None, lang: str,
                     causal: bool, min_cell: int, named: bool = False) -> str:  # fmt: skip
    zh = lang == "zh"
    var = _variable_of(row, result)
    label = escape_markdown(_codebook.load().label(var, lang) if var else row.get("term", ""))
    label = label if zh else _label_en(label)
    group = _group_text(row, result, lang)
    window = row.get("window")
    term = escape_markdown(row.get("term", ""))
    if group:
        label = label + fmt.paren(group, lang)
    elif named and var and not isinstance(window, str):  # several terms: name each
        label = label + fmt.paren(term, lang)
    when = ""
    if isinstance(window, str) and window in ("1y", "3y"):
        pol = _policy.load()
        wave = pol.one_year_wave if window == "1y" else pol.three_year_wave
        when = _t("when", lang, wave=wave)
    lead = label if zh or when else _cap(label)
    reason = str(row.get("reason", "") or "")
    n = row.get("n", np.nan)
    small = reason.startswith("suppressed") or (
        isinstance(n, int | float | np.integer | np.floating)
        and suppression.is_small(n, min_cell=min_cell)
    )
    if small:
        return _t("small", lang, when=when, lead=lead)
    if not bool(row.get("valid", True)) or not np.isfinite(row.get("estimate", np.nan)):
        why = f" ({escape_markdown(reason)})" if reason and not zh else ""
        return _t("invalid", lang, when=when, lead=lead, why=why)
    level = result.level if result is not None else 0.95
    unit, kind = _unit_kind(var)
    est, lo, hi = float(row["estimate"]), float(row["ci_lower"]), float(row["ci_upper"])
    quantity = row.get("quantity", "change")
    lv = _level_text(level, lang)
    distinct = not (lo <= 0 <= hi)
    if quantity == "substitution_ratio":
        per = f"{100 * est:.0f}"
        rng = f"{_signed(lo, None, 100)}{_t('to', lang)}{_signed(hi, None, 100)}"
        plain = escape_markdown(_codebook.load().label(var, lang)) if var else label
        tail = "" if distinct else _t("substitution_zero", lang)
        return _t(
            "substitution", lang, when=when, opening="for" if when else "For", per=per, lv=lv,
            plain=plain if zh else _label_en(plain), rng=rng, tail=tail,
        )  # fmt: skip
    if quantity == "gap_change":
        ref = result.options.get("reference") if result is not None else None
        by = result.options.get("by") if result is not None else None
        ref_text = _group_text({by: ref}, result, lang) if by else ""
        plain = escape_markdown(_codebook.load().label(var, lang)) if var else label
        grp = _group_text(row, result, lang)
        ref = max(abs(est), abs(lo), abs(hi))
        rng = _range(lo, hi, unit, lang, magnitude=False, ref=ref)
        diff = _with_unit(_signed(est, unit, ref=ref), unit, lang)
        tail = "" if distinct else _t("gap_change_zero", lang)
        mid = (lambda x: x) if zh else _label_en
        return _t(
            "gap_change", lang, when=when, opening="the" if when else "The", plain=mid(plain),
            diff=diff, grp=mid(grp), ref=mid(ref_text), lv=lv, rng=rng, tail=tail,
        )  # fmt: skip
    pre = row.get("pre") is True or row.get("post") is False  # event-study leads, placebo
    if pre and is_causal(result):
        p = _change_parts(est, lo, hi, unit, kind, lang, level)
        return _t("pre_distinct" if p["distinct"] else "pre_parallel", lang, label=label, **p)
    clause, distinct = _change_clause(est, lo, hi, unit, kind, lang, level)
    if causal:
        p = _change_parts(est, lo, hi, unit, kind, lang, level)
        if not distinct:
            return _t("no_effect", lang, when=when, no="no" if when else "No", label=label, **p)
        p["verb"] = _t("reduced" if p["down"] else "raised", lang)
        return _t(
            "effect", lang, when=when, the="the" if when else "The", label=label, clause=clause,
            **p,
        )  # fmt: skip
    between = result.options.get("between") if result is not None else None
    if when:
        return _t("change_at", lang, when=when, label=label, clause=clause)
    if isinstance(between, tuple | list) and len(between) == 3:
        col, a, b = (escape_markdown(x) for x in between)
        key = "between_waves" if col == "wave" else "between"
        return _t(key, lang, col=col, a=a, b=b, label=label, lead=lead, clause=clause)
    return _t("plain", lang, label=label, lead=lead, clause=clause)


def describe_change(
    row_or_result: Any,
    lang: str = "zh",
    causal: bool = False,
    *,
    window: str | None = None,
    level: float | None = None,
    min_cell: int | None = None,
    policy: _policy.Policy | None = None,
) -> str:
    """One or a few sentences describing a change or an effect.

    Parameters
    ----------
    row_or_result : scorecard row, EstimateResult, or a row of a result table
        A row of :meth:`Scorecard.to_frame` (a Series or dict); an
        :class:`~shuangjian_eval.estimation.results.EstimateResult` (every term is described); or one row
        of a result's table.
    lang : {"zh", "en"}
    causal : bool
        Ask for causal wording ("the policy reduced ..."). Granted only for results of a causal
        design (:func:`is_causal`); otherwise the wording stays descriptive and a
        ``UserWarning`` says why.
    window : {"1y", "3y"}, optional
        For a scorecard row: one window; both when omitted.
    level : float, optional
        Confidence level named in the text for a scorecard row (0.95 by default; a result
        carries its own).
    min_cell : int, optional
        A result row with fewer respondents is not described; None: the scorecard's rule
        (``suppression.rule_for("scorecard")``, from ``policy.yaml``).
    policy : Policy, optional
        For the target waves and defaults.

    Returns
    -------
    str
        Markdown-safe text.
    """
    fmt.check_lang(lang)
    pol = policy or _policy.load()
    min_cell = suppression.min_cell_for(min_cell, "scorecard", pol)
    join = "" if lang == "zh" else " "
    if _is_scorecard_row(row_or_result):
        if causal:
            warnings.warn(
                "a scorecard row is a before-after comparison, not a causal design: "
                "descriptive wording used",
                UserWarning,
                stacklevel=2,
            )
        lv = float(level if level is not None else pol.verdict_rules["level"])
        windows = [window] if window else ["1y", "3y"]
        for w in windows:
            if w not in ("1y", "3y"):
                raise ValueError(f"window must be '1y' or '3y', got {w!r}")
        return join.join(_line(_row_sentence(row_or_result, w, lang, lv, pol)) for w in windows)
    if isinstance(row_or_result, EstimateResult):
        result, rows = row_or_result, [r for _, r in row_or_result.table.iterrows()]
        focus = getattr(result, "focus", None)  # e.g. "treated:post" of a DID regression
        if isinstance(focus, str) and focus in result.terms:
            rows = [r for r in rows if r["term"] == focus]
    elif isinstance(row_or_result, Mapping | pd.Series) and "estimate" in row_or_result:
        result, rows = None, [row_or_result]
    else:
        raise TypeError(
            "describe_change needs a scorecard row, an EstimateResult or a row of a result "
            f"table; got {type(row_or_result).__name__}"
        )
    use_causal = bool(causal)
    if causal and (result is None or not is_causal(result)):
        warnings.warn(
            "causal wording needs a result of a causal design (difference-in-differences, "
            "event study); this one is descriptive, so descriptive wording is used",
            UserWarning,
            stacklevel=2,
        )
        use_causal = False
    named = len(rows) > 1
    return join.join(
        _line(_result_sentence(r, result, lang, use_causal, min_cell, named=named)) for r in rows
    )


#: Largest departure from the main specification, relative to its estimate, still called close.
ROBUST_TOLERANCE = 0.25


def describe_robustness(
    result: Any, lang: str = "zh", *, min_cell: int | None = None, spec_column: str | None = None
) -> str:
    """One sentence on a robustness table (``analyses.robustness``): the range of the estimates
    across specifications and how far the others stand from the main one (the first row).

    Close (every estimate in the main one's direction and within :data:`ROBUST_TOLERANCE`
    of it), apart, or of opposite signs; rows that are invalid or from fewer than ``min_cell``
    respondents are not described.
    """
    fmt.check_lang(lang)
    t = result.table
    spec_column = spec_column or (result.options.get("by") or ["term"])[0]
    rule = suppression.rule_for("scorecard")
    min_cell = rule.min_cell if min_cell is None else int(min_cell)
    counts = t["n_min_cell"] if "n_min_cell" in t.columns else t.get("n")
    keep = t["valid"].fillna(False).astype(bool) & t["estimate"].notna()
    if counts is not None:
        keep &= ~counts.map(lambda n: suppression.is_small(n, min_cell=min_cell))
    rows = t[keep.to_numpy(bool)].reset_index(drop=True)
    if len(rows) < 2 or not keep.iloc[0]:
        return _t("robust_none", lang)
    var = str(rows["variable"].iloc[0]) if "variable" in rows.columns else None
    unit, _ = _unit_kind(var)
    est = rows["estimate"].astype(float)
    main = float(est.iloc[0])
    ref = None
    fields = {
        "n": len(rows),
        "lo": _with_unit(_signed(est.min(), unit, ref=ref), unit, lang),
        "hi": _with_unit(_signed(est.max(), unit, ref=ref), unit, lang),
        "main": _with_unit(_signed(main, unit, ref=ref), unit, lang),
    }
    away = (est - main).abs() / abs(main) if main else (est - main).abs() * np.inf
    far = int(away.iloc[1:].idxmax())
    spec = escape_markdown(rows[spec_column].iloc[far])
    opposite = (np.sign(est) != np.sign(main)) & (est != 0)
    if opposite.any():
        spec = escape_markdown(rows[spec_column][opposite].iloc[0])
        return _t("robust_sign", lang, spec=spec, **fields)
    pct = max(1, round(100 * float(away.max())))  # "within 1%" rather than "within 0%"
    if float(away.max()) <= ROBUST_TOLERANCE:
        return _t("robust_close", lang, pct=pct, **fields)
    return _t("robust_apart", lang, pct=pct, spec=spec, **fields)


#: Terms a report uses, explained in its glossary (:func:`glossary`), in report order.
GLOSSARY: tuple[tuple[fmt.Text, fmt.Text], ...] = (
    ({"zh": "置信区间", "en": "Confidence interval"},
     {"zh": "方括号中的范围。调查只问了部分学生，估计值有抽样误差；真实值有95%的把握落在这个范围内。",
      "en": "The range in square brackets. A survey asks only some students, so an estimate has "
            "sampling error; the true value lies in the range with 95% confidence."}),
    ({"zh": "基线", "en": "Baseline"},
     {"zh": "政策前（2021年以前）各轮调查合并的水平，用来衡量政策后的变化。",
      "en": "The level of the surveys before the policy (before 2021) pooled, against which "
            "change is measured."}),
    ({"zh": "百分点", "en": "Percentage point"},
     {"zh": "两个百分比之差，例如从40%降到30%是下降10个百分点。",
      "en": "The difference of two percentages: from 40% to 30% is a fall of 10 points."}),
    ({"zh": "收入最低（最高）的五分之一家庭", "en": "Lowest (highest) income fifth"},
     {"zh": "把受访家庭按收入从低到高排成五等份，最低（最高）的一份。",
      "en": "The families surveyed ranked by income and cut into five equal parts: the lowest "
            "(highest) part."}),
    ({"zh": "可能只是抽样误差", "en": "May be sampling error alone"},
     {"zh": "置信区间包含零：数据不能排除“没有变化”或“没有差别”。",
      "en": "The confidence interval includes zero: the data cannot rule out no change or no "
            "difference."}),
    ({"zh": "抽样权重", "en": "Sampling weight"},
     {"zh": "每位受访者代表的学生人数，使估计反映全体学生而非只反映受访者。",
      "en": "The number of students a respondent stands for, so that estimates describe all "
            "students, not only those surveyed."}),
    ({"zh": "样本不足", "en": "Too few respondents"},
     {"zh": "受访者或学校太少，结果不可靠且可能识别个人，因此不予公布。",
      "en": "Too few respondents or schools: the figure would be unreliable and could identify "
            "people, so it is not published."}),
    ({"zh": "无基线指标", "en": "Indicator without a baseline"},
     {"zh": "政策后才开始调查的指标（如对双减政策的满意度），只能把当前水平与全国数据比较。",
      "en": "An indicator first asked after the policy (such as satisfaction with it): its "
            "level can only be set against the national figure."}),
)  # fmt: skip


def glossary(lang: str = "zh") -> list[tuple[str, str]]:
    """The report's terms and their plain-language explanations (:data:`GLOSSARY`)."""
    fmt.check_lang(lang)
    return [(fmt.text(term, lang), fmt.text(words, lang)) for term, words in GLOSSARY]


def describe_scorecard(card: Any, lang: str | None = None, *, rules: bool = True) -> list[str]:
    """The scorecard in sentences: scope, each indicator at 1 and 3 years with the official
    figure beside it, then (``rules=True``) the verdict rules.

    Parameters
    ----------
    card : Scorecard
        From :func:`shuangjian_eval.publication.targets.scorecard`.
    lang : {"zh", "en"}, optional
        The scorecard's language when omitted.

    Returns
    -------
    list of str
        Markdown-safe sentences (one per list item).
    """
    from .targets import rules_text

    lang = fmt.check_lang(lang or card.lang)
    pol = card.policy
    vr = card.verdict_rules
    base = fmt.join_list(pol.baseline_waves, lang)
    where = escape_markdown(fmt.region_label(card.region, lang, sentence=True))
    lv = _level_text(vr.level, lang)
    out = [
        _t("scope", lang, where=where, base=base, y1=pol.one_year_wave, y3=pol.three_year_wave,
           lv=lv)
    ]  # fmt: skip
    for _, row in card.table.iterrows():
        for window in ("1y", "3y"):
            out.append(_row_sentence(row, window, lang, vr.level, pol))
        figures = pol.official_figures(row["indicator"])
        if figures:
            f = figures[0]
            text, src = escape_markdown(f[lang]), escape_markdown(pol.cite(f["source"], lang))
            note = "" if f.get("comparable") else _t("not_comparable", lang)
            out.append(_t("national", lang, text=text, src=src, note=note))
    if rules:
        out.extend(escape_markdown(line) for line in rules_text(lang, vr, pol).splitlines() if line)
    return [_line(t) for t in out]


def methods_note(
    lang: str = "zh",
    *,
    policy: _policy.Policy | None = None,
    rules: Any = None,
    plan: Any = None,
) -> str:
    """A short plain-language note on methods and data for a report.

    With the report's analysis plan (:class:`~shuangjian_eval.publication.plan.Plan`) other
    than a weighted survey before and after the policy, its first two paragraphs say what the
    plan says instead: the waves there are, the weights and clusters used.

    Names the design-based estimation (weights, strata, schools as clusters), what the
    intervals mean, the baseline and target waves, small-cell suppression, why a before-after
    change is not an effect (COVID school closures 2020-2022, questionnaire changes between
    waves, earlier burden-reduction rules), and the policy facts that are unverified.
    """
    from .targets import VerdictRules

    fmt.check_lang(lang)
    pol = policy or _policy.load()
    vr = VerdictRules.from_policy(pol, rules)
    unverified = []
    for path, node in pol.with_status("unverified"):
        if path == "pilot_cities":
            unverified.append(_t("pilot_cities", lang))
        elif isinstance(node.get("rule"), Mapping):
            unverified.append(escape_markdown(node["rule"][lang]))
        else:
            unverified.append(escape_markdown(path))
    fields = {
        "lv": f"{100 * vr.level:g}%", "base": fmt.join_list(pol.baseline_waves, lang),
        "y1": pol.one_year_wave, "y3": pol.three_year_wave, "min_cell": vr.min_cell,
        "min_psu": vr.min_psu,
    }  # fmt: skip
    text = [fmt.text(paragraph, lang, **fields) for paragraph in _METHODS]
    if plan is not None and (plan.kind != "before_after" or plan.weights != "design"):
        text[:2] = [_t("methods_plan", lang, what=plan.what(lang), design=plan.design(lang),
                       lv=fields["lv"])]  # fmt: skip
    if unverified:
        items = _t("unverified_sep", lang).join(unverified)
        text.append(_t("unverified", lang, items=items))
    return "\n\n".join(text)


# The paragraphs of :func:`methods_note` (fmt.Text entries; fields: lv, base, y1, y3, min_cell,
# min_psu).
_METHODS: tuple[fmt.Text, ...] = (
    {
        "zh": "**方法说明**：所有估计均按抽样设计加权：每位受访者按其代表的学生人数加权（抽样权重），"
        "误差范围的计算考虑了分层和按学校抽样，"
        "括号中的区间为{lv}置信区间，表示抽样误差的范围。",
        "en": "**Methods**: all estimates are weighted to the survey design: each respondent "
        "stands for the number of students they represent, and the variance accounts for "
        "strata and for sampling whole schools. The ranges in "
        "brackets are {lv} confidence intervals: the margin of sampling error.",
    },
    {
        "zh": "政策前基线为{base}年调查的合并估计，1年和3年时点分别为{y1}年和{y3}年调查；"
        "两个时点调查了同一批学校，其相关性已计入变化的置信区间。",
        "en": "The pre-policy baseline pools the {base} surveys; the 1-year and 3-year marks are "
        "the {y1} and {y3} surveys. The same schools were surveyed at both times, and the "
        "intervals of the changes allow for that.",
    },
    {
        "zh": "受访者少于{min_cell}人或学校少于{min_psu}所的单元不予报告。",
        "en": "Figures for fewer than {min_cell} respondents or {min_psu} schools are not published.",
    },
    {
        "zh": "前后比较描述的是变化，不能单独说明变化由政策引起：同期还有2020—2022年新冠疫情期间的停课和"
        "线上教学、各轮问卷措辞和题目的变化，以及“双减”之前已有的减负规定（包括2021年春季教育部关于"
        "作业和睡眠管理的通知）。因果结论需要有对照组的设计（如以高中学生或非试点城市为对照的"
        "双重差分和事件研究），并检验政策前的平行趋势。",
        "en": "A before-after change is not on its own an effect of the policy: over the same "
        "years schools closed and taught online during COVID-19 (2020-2022), questionnaires "
        "changed between waves, and earlier burden-reduction rules were already in force "
        "(including the Ministry of Education's spring-2021 notices on homework and sleep). "
        "Causal claims need a comparison group (for example senior-high students or "
        "non-pilot cities, in difference-in-differences and event studies) and a check of "
        "parallel pre-policy trends.",
    },
    {
        "zh": "官方全国数据来自其他调查或行政统计，口径与本调查不同，仅作参考。",
        "en": "Official national figures come from other surveys or administrative statistics, "
        "measured differently; they are context, not benchmarks.",
    },
)
