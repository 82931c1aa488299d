"""Findings as sentences, zh and en, generated from result objects.

The sentences never say more than the numbers do:

- a change whose confidence interval includes zero is "not distinguishable from no change"
  (与政策前相比差异不显著), with its interval, never "fell" or "rose";
- causal wording ("the policy reduced ...", 政策使……) only for results of a causal design
  (:func:`is_causal`: difference-in-differences, event studies, staggered adoption), and only
  when asked for with ``causal=True``; a before-after comparison, such as every scorecard row,
  is described as change over time, and a request for causal wording on it falls back to
  descriptive wording with a warning;
- a suppressed cell (too few respondents or schools) is not described: the sentence says that
  the group is too small to report;
- every piece of text that comes from data (labels, group and region names) is escaped, so the
  sentences are safe to put into Markdown or HTML.
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
from . import suppression

__all__ = [
    "CAUSAL_METHODS",
    "describe_change",
    "describe_scorecard",
    "escape_markdown",
    "is_causal",
    "methods_note",
]

#: Estimator names (``EstimateResult.method``, or ``options["design"]``) of causal designs.
CAUSAL_METHODS = frozenset(
    {"did", "event_study", "staggered_did", "callaway_santanna", "ddd", "triple_difference",
     "synthetic_control", "regression_discontinuity"}
)  # fmt: skip

_UNIT_WORDS = {
    "minutes per day": ("分钟", "minutes"),
    "minutes": ("分钟", "minutes"),
    "CNY per year": ("元", "yuan"),
    "share": ("个百分点", "percentage points"),
    "share of income": ("个百分点", "percentage points"),
    "scale score 1-5": ("分", "points"),
    "hours per day": ("小时", "hours"),
    "hours per week": ("小时", "hours"),
}
_MINUS = "\u2212"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#])")


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")


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
def _scale(unit: str | None) -> float:
    return 100.0 if unit in ("share", "share of income") else 1.0


def _num(value: float, unit: str | None, ref: float | None = None) -> str:
    """A magnitude in display units (shares in percentage points), no sign. ``ref``: the
    largest magnitude of the sentence, so that its numbers share one precision."""
    v = abs(float(value)) * _scale(unit)
    big = abs(float(ref)) * _scale(unit) if ref is not None else v
    if unit == "CNY per year":
        return f"{v:,.0f}"
    if unit == "scale score 1-5":
        return f"{v:.2f}"
    if unit in ("share", "share of income", "hours per day", "hours per week"):
        return f"{v:.1f}"
    if unit in ("minutes per day", "minutes"):
        return f"{v:.0f}" if big >= 10 else f"{v:.1f}"
    return f"{v:.3g}"


def _signed(value: float, unit: str | None, factor: float = 1.0, ref: float | None = None) -> str:
    text = _num(value * factor, unit, ref) if factor != 1.0 else _num(value, unit, ref)
    if factor != 1.0 and unit is None:
        text = f"{abs(value) * factor:.0f}"
    if float(value) < 0 and text.strip("0.,") != "":
        return _MINUS + text
    return text


def _unit(unit: str | None, lang: str) -> str:
    words = _UNIT_WORDS.get(unit or "")
    return "" if words is None else words[0 if lang == "zh" else 1]


def _with_unit(text: str, unit: str | None, lang: str) -> str:
    word = _unit(unit, lang)
    return f"{text} {word}" if word else text


def _range(lo: float, hi: float, unit: str | None, lang: str, magnitude: bool,
           ref: float | None = None) -> str:  # fmt: skip
    """An interval: magnitudes joined by an en dash, or signed values joined by 至 / to."""
    ref = max(abs(lo), abs(hi), abs(ref or 0.0))
    if magnitude:
        a, b = sorted((abs(lo), abs(hi)))
        return _with_unit(f"{_num(a, unit, ref)}–{_num(b, unit, ref)}", unit, lang)
    join = " 至 " if lang == "zh" else " to "
    return _with_unit(f"{_signed(lo, unit, ref=ref)}{join}{_signed(hi, unit, ref=ref)}", unit, lang)


def _level_text(level: float, lang: str) -> str:
    pct = f"{100 * level:g}%"
    return f"{pct}置信区间" if lang == "zh" else f"{pct} CI"


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
    if lang == "zh":
        verb = ("下降" if down else "提高") if kind == "share" else ("减少" if down else "增加")
    else:
        verb = "fell" if down else "rose"
    return {
        "distinct": distinct,
        "down": down,
        "verb": verb,
        "avg": ("" if kind == "share" else "平均") if lang == "zh" else
               ("" if kind == "share" else " on average"),
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
    if not p["distinct"]:
        if lang == "zh":
            return f"差异不显著(变化 {p['signed']},{p['lv']}:{p['signed_range']})", False
        return (
            f"was not distinguishable from no change ({p['signed']}; {p['lv']}: "
            f"{p['signed_range']})",
            False,
        )
    if lang == "zh":
        return f"{p['avg']}{p['verb']} {p['amount']}({p['lv']}:{p['range']})", True
    return f"{p['verb']} by {p['amount']}{p['avg']} ({p['lv']}: {p['range']})", True


_VERDICT_CLAUSE = {
    ("1y", "effective"): ("达到“1年内有效减轻”目标", "meeting the 1-year target of an effective reduction"),
    ("1y", "not_met"): ("未达到“1年内有效减轻”目标", "short of the 1-year target of an effective reduction"),
    ("1y", "inconclusive"): (
        "尚不能判断是否达到“1年内有效减轻”目标",
        "too uncertain to say whether the 1-year target of an effective reduction was met",
    ),
    ("3y", "remarkable"): ("达到“3年内成效显著”目标", "meeting the 3-year target of remarkable results"),
    ("3y", "effective"): (
        "达到有效减轻的标准,但尚未显示达到“3年内成效显著”目标",
        "meeting the standard of an effective reduction, but not showing the 3-year target of "
        "remarkable results",
    ),
    ("3y", "not_met"): ("未达到“3年内成效显著”目标", "short of the 3-year target of remarkable results"),
    ("3y", "inconclusive"): (
        "尚不能判断是否达到“3年内成效显著”目标",
        "too uncertain to say whether the 3-year target of remarkable results was met",
    ),
}  # fmt: skip
_TARGET_NAME = {
    "1y": ("“1年内有效减轻”目标", "the 1-year target"),
    "3y": ("“3年内成效显著”目标", "the 3-year target"),
}


def _reason_text(reason: str, lang: str) -> str:
    code, _, detail = str(reason).partition(":")
    detail = escape_markdown(detail.strip())
    zh = lang == "zh"
    if code == "wave_missing":
        return f"数据中缺少{detail}年调查" if zh else f"the data have no {detail} survey"
    if code == "no_data":
        if detail == "baseline":
            return (
                "政策前没有此项数据(无基线)"
                if zh
                else "no data on it before the policy (no baseline)"
            )
        return "该时点没有此项数据" if zh else "no data on it at this time"
    if code == "zero_baseline_gap":
        return (
            "基线已处于无负担水平,无法设定相对门槛"
            if zh
            else "the baseline is already at the burden-free value, so no threshold can be set"
        )
    if code == "not_measured":
        return "数据中没有此项" if zh else "the item is not in the data"
    return "无法得到有效估计" if zh else "no valid estimate could be computed"


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
    when = f"{wave}年调查中," if zh else f"In the {wave} survey, "
    suppressed = [p for p in ("baseline", period) if bool(row.get(f"suppressed_{p}", False))]
    if suppressed or (bool(row.get("suppressed", False)) and f"suppressed_{period}" not in row):
        who = "政策前(基线)" if suppressed == ["baseline"] else ""
        if zh:
            return f"{when}{label}:{who}该组受访者过少,不予报告。"
        extra = " before the policy (baseline)" if suppressed == ["baseline"] else ""
        return f"{when}{label}: too few respondents in this group{extra} to report."
    verdict = row[f"verdict_{window}"]
    change = row[f"change_{window}"]
    if verdict == "insufficient" or not np.isfinite(change):
        why = _reason_text(row.get(f"reason_{window}", ""), lang)
        target = _TARGET_NAME[window][0 if zh else 1]
        if zh:
            return f"{when}{label}数据不足,无法判断是否达到{target}({why})。"
        return f"{when}{label}: insufficient data to judge {target} ({why})."
    kind = row.get("kind", "share" if row.get("unit") == "share" else "mean")
    clause, _ = _change_clause(
        change, row[f"change_{window}_ci_lower"], row[f"change_{window}_ci_upper"],
        row.get("unit"), kind, lang, level,
    )  # fmt: skip
    verdict_clause = _VERDICT_CLAUSE[(window, verdict)][0 if zh else 1]
    if zh:
        return f"{when}{label}较政策前{clause},{verdict_clause}。"
    return f"{when}{label} {clause} compared with before the policy, {verdict_clause}."


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
            text = f"收入第{value[1:]}五分位组" if lang == "zh" else f"income quintile {value[1:]}"
        elif col in cb:
            text = cb[col].category_label(value, lang)
        else:
            text = f"{col}={value}"
        parts.append(escape_markdown(text))
    return ("、" if lang == "zh" else ", ").join(parts)


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
        label = f"{label}({group})" if zh else f"{label} ({group})"
    elif named and var and not isinstance(window, str):  # several terms: name each
        label = f"{label}({term})" if zh else f"{label} ({term})"
    when = ""
    if isinstance(window, str) and window in ("1y", "3y"):
        pol = _policy.load()
        wave = pol.one_year_wave if window == "1y" else pol.three_year_wave
        when = f"{wave}年调查中," if zh else f"In the {wave} survey, "
    lead = label if zh or when else _cap(label)
    reason = str(row.get("reason", "") or "")
    n = row.get("n", np.nan)
    small = reason.startswith("suppressed") or (
        isinstance(n, int | float | np.integer | np.floating)
        and suppression.is_small(n, min_cell=min_cell)
    )
    if small:
        if zh:
            return f"{when}{lead}:该组样本过少,不予报告。"
        return f"{when}{lead}: too few respondents in this group to report."
    if not bool(row.get("valid", True)) or not np.isfinite(row.get("estimate", np.nan)):
        if zh:
            return f"{when}{lead}:无法得到有效估计。"
        why = f" ({escape_markdown(reason)})" if reason else ""
        return f"{when}{lead}: no valid estimate{why}."
    level = result.level if result is not None else 0.95
    unit, kind = _unit_kind(var)
    est, lo, hi = float(row["estimate"]), float(row["ci_lower"]), float(row["ci_upper"])
    quantity = row.get("quantity", "change")
    lv = _level_text(level, lang)
    distinct = not (lo <= 0 <= hi)
    if quantity == "substitution_ratio":
        per = f"{100 * est:.0f}"
        rng = f"{_signed(lo, None, 100)}{' 至 ' if zh else ' to '}{_signed(hi, None, 100)}"
        plain = escape_markdown(_codebook.load().label(var, lang)) if var else label
        if zh:
            tail = "" if distinct else ",与零差异不显著"
            return f"{when}学科类培训每减少100人,{plain}约增加 {per} 人({lv}:{rng}){tail}。"
        tail = "" if distinct else "; not distinguishable from zero"
        opening = "for" if when else "For"
        return (
            f"{when}{opening} every 100 fewer students in subject tutoring, about {per} more "
            f"took {_label_en(plain)} ({lv}: {rng}){tail}."
        )
    if quantity == "gap_change":
        ref = result.options.get("reference") if result is not None else None
        by = result.options.get("by") if result is not None else None
        ref_text = _group_text({by: ref}, result, lang) if by else ""
        plain = escape_markdown(_codebook.load().label(var, lang)) if var else label
        grp = _group_text(row, result, lang)
        ref = max(abs(est), abs(lo), abs(hi))
        rng = _range(lo, hi, unit, lang, magnitude=False, ref=ref)
        diff = _with_unit(_signed(est, unit, ref=ref), unit, lang)
        if zh:
            tail = "" if distinct else ",差异不显著"
            return f"{when}{grp}与{ref_text}相比,{plain}的变化相差 {diff}({lv}:{rng}){tail}。"
        tail = "" if distinct else "; not distinguishable from no difference"
        opening = "the" if when else "The"
        return (
            f"{when}{opening} change in {_label_en(plain)} differed by {diff} between "
            f"{_label_en(grp)} and {_label_en(ref_text)} ({lv}: {rng}){tail}."
        )
    pre = row.get("pre") is True or row.get("post") is False  # event-study leads, placebo
    if pre and is_causal(result):
        p = _change_parts(est, lo, hi, unit, kind, lang, level)
        if zh:
            if p["distinct"]:
                return (
                    f"政策实施前,{label}的组间差异为 {p['signed']}({p['lv']}:{p['signed_range']}),"
                    "平行趋势假设可能不成立。"
                )
            return (
                f"政策实施前,{label}的组间差异不显著(估计 {p['signed']},{p['lv']}:"
                f"{p['signed_range']}),与平行趋势假设一致。"
            )
        if p["distinct"]:
            return (
                f"Before the policy, the groups differed in {label} by {p['signed']} "
                f"({p['lv']}: {p['signed_range']}): parallel trends may not hold."
            )
        return (
            f"Before the policy, the groups' difference in {label} was not distinguishable from "
            f"zero (estimate {p['signed']}; {p['lv']}: {p['signed_range']}), consistent with "
            "parallel trends."
        )
    clause, distinct = _change_clause(est, lo, hi, unit, kind, lang, level)
    if causal:
        p = _change_parts(est, lo, hi, unit, kind, lang, level)
        if not distinct:
            if zh:
                return (
                    f"{when}未发现政策对{label}有可辨别的影响"
                    f"(估计 {p['signed']},{p['lv']}:{p['signed_range']})。"
                )
            return (
                f"{when}{'no' if when else 'No'} effect of the policy on {label} can be "
                f"distinguished from zero (estimate {p['signed']}; {p['lv']}: {p['signed_range']})."
            )
        if zh:
            return f"{when}政策使{label}{clause}。"
        verb = "reduced" if p["down"] else "raised"
        return (
            f"{when}{'the' if when else 'The'} policy {verb} {label} by {p['amount']}{p['avg']} "
            f"({p['lv']}: {p['range']})."
        )
    between = result.options.get("between") if result is not None else None
    if when:
        if zh:
            return f"{when}{label}较政策前{clause}。"
        return f"{when}{label} {clause} compared with before the policy."
    if isinstance(between, tuple | list) and len(between) == 3:
        col, a, b = (escape_markdown(x) for x in between)
        if col == "wave":
            if zh:
                return f"{b}年与{a}年相比,{label}{clause}。"
            return f"{lead} {clause} in {b} compared with {a}."
        if zh:
            return f"{col}={b} 与 {col}={a} 相比,{label}{clause}。"
        return f"{lead} {clause} ({col}={b} against {col}={a})."
    if zh:
        return f"{label}:{clause}。"
    return f"{lead}: {clause}."


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
    _check_lang(lang)
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

    lang = lang or card.lang
    _check_lang(lang)
    pol, zh = card.policy, lang == "zh"
    vr = card.verdict_rules
    base = ("、" if zh else ", ").join(map(str, pol.baseline_waves))
    where = escape_markdown(card.region) if card.region else ("全部地区" if zh else "all regions")
    lv = _level_text(vr.level, lang)
    if zh:
        out = [
            f"以下结果针对{where}义务教育阶段学生,以{base}年调查为政策前基线,"
            f"与{pol.one_year_wave}年(1年)和{pol.three_year_wave}年(3年)调查比较;"
            f"估计按抽样设计加权,括号内为{lv}。"
        ]
    else:
        out = [
            f"These results cover students in compulsory education in {where}, comparing the "
            f"{pol.one_year_wave} (1 year) and {pol.three_year_wave} (3 years) surveys with the "
            f"pre-policy baseline of the {base} surveys; estimates are weighted to the survey "
            f"design, with {lv}s in brackets."
        ]
    for _, row in card.table.iterrows():
        for window in ("1y", "3y"):
            out.append(_row_sentence(row, window, lang, vr.level, pol))
        figures = pol.official_figures(row["indicator"])
        if figures:
            f = figures[0]
            text, src = escape_markdown(f[lang]), escape_markdown(pol.cite(f["source"], lang))
            if zh:
                note = "" if f.get("comparable") else "该数据口径与本调查不同,仅作背景参考。"
                out.append(f"全国数据:{text}(来源:{src})。{note}")
            else:
                note = "" if f.get("comparable") else " It is measured differently; context only."
                out.append(f"National figure: {text} (source: {src}).{note}")
    if rules:
        out.extend(escape_markdown(line) for line in rules_text(lang, vr, pol).splitlines() if line)
    return [_line(t) for t in out]


def methods_note(
    lang: str = "zh",
    *,
    policy: _policy.Policy | None = None,
    rules: Any = None,
) -> str:
    """A short plain-language note on methods and data for a report.

    Names the design-based estimation (weights, strata, schools as clusters), what the
    intervals mean, the baseline and target waves, small-cell suppression, why a before-after
    change is not an effect (COVID school closures 2020-2022, questionnaire changes between
    waves, earlier burden-reduction rules), and the policy facts that are unverified.
    """
    from .targets import VerdictRules

    _check_lang(lang)
    pol = policy or _policy.load()
    vr = VerdictRules.from_policy(pol, rules)
    zh = lang == "zh"
    base = ("、" if zh else ", ").join(map(str, pol.baseline_waves))
    unverified = []
    for path, node in pol.with_status("unverified"):
        if path == "pilot_cities":
            unverified.append("试点城市名单" if zh else "the list of pilot cities")
        elif isinstance(node.get("rule"), Mapping):
            unverified.append(escape_markdown(node["rule"][lang]))
        else:
            unverified.append(escape_markdown(path))
    lv = f"{100 * vr.level:g}%"
    if zh:
        text = [
            "**方法说明**:所有估计均按抽样设计加权:每位受访者按其代表的学生人数加权(抽样权重),"
            "方差计算考虑分层和以学校为单位的整群抽样(泰勒线性化),"
            f"括号中的区间为{lv}置信区间,表示抽样误差的范围。",
            f"政策前基线为{base}年调查的合并估计,1年和3年时点分别为{pol.one_year_wave}年和"
            f"{pol.three_year_wave}年调查;两个时点调查了同一批学校,其相关性已计入变化的置信区间。",
            f"受访者少于{vr.min_cell}人或学校少于{vr.min_psu}所的单元不予报告。",
            "前后比较描述的是变化,不能单独说明变化由政策引起:同期还有2020—2022年新冠疫情期间的停课和"
            "线上教学、各轮问卷措辞和题目的变化,以及“双减”之前已有的减负规定(包括2021年春季教育部关于"
            "作业和睡眠管理的通知)。因果结论需要有对照组的设计(如以高中学生或非试点城市为对照的"
            "双重差分和事件研究),并检验政策前的平行趋势。",
            "官方全国数据来自其他调查或行政统计,口径与本调查不同,仅作参考。",
        ]
        if unverified:
            text.append("以下政策信息未能以原始文件核实:" + ";".join(unverified) + "。")
    else:
        text = [
            "**Methods**: all estimates are weighted to the survey design: each respondent "
            "stands for the number of students they represent, and the variance accounts for "
            "strata and for sampling schools as clusters (Taylor linearisation). The ranges in "
            f"brackets are {lv} confidence intervals: the margin of sampling error.",
            f"The pre-policy baseline pools the {base} surveys; the 1-year and 3-year marks are "
            f"the {pol.one_year_wave} and {pol.three_year_wave} surveys. The same schools were "
            "surveyed at both times, and the intervals of the changes allow for that.",
            f"Figures for fewer than {vr.min_cell} respondents or {vr.min_psu} schools are not "
            "published.",
            "A before-after change is not on its own an effect of the policy: over the same "
            "years schools closed and taught online during COVID-19 (2020-2022), questionnaires "
            "changed between waves, and earlier burden-reduction rules were already in force "
            "(including the Ministry of Education's spring-2021 notices on homework and sleep). "
            "Causal claims need a comparison group (for example senior-high students or "
            "non-pilot cities, in difference-in-differences and event studies) and a check of "
            "parallel pre-policy trends.",
            "Official national figures come from other surveys or administrative statistics, "
            "measured differently; they are context, not benchmarks.",
        ]
        if unverified:
            text.append(
                "Not verified against the primary documents: " + "; ".join(unverified) + "."
            )
    return "\n\n".join(text)
