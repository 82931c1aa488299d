"""Verdict rules of the Double Reduction scorecard: codes, thresholds and their wording.

Verdict rules
-------------
Defaults in ``policy.yaml`` (``targets.verdict``), overridable by argument; :func:`rules_text`
prints them in zh or en and every :class:`Scorecard` carries that text.

- Change: estimate at the window's wave minus the pooled-baseline estimate, with a
  design-based interval (:meth:`SurveyDesign.mean_diff`: one design, so schools surveyed in
  both periods enter with their covariance). Improvement ``g = s * change``, with ``s = -1``
  for an indicator whose good direction is "decrease" and ``+1`` for "increase"; ``[gL, gU]``
  its interval.
- Threshold ``T``: ``rate * |baseline - ideal|``, with ``rate`` 0.10 (1 year) or 0.25 (3 years)
  and ``ideal`` the indicator's burden-free value (0 minutes, 0 yuan, 0 % taking tutoring, 100 %
  within the homework limit, 1 on the 1-5 anxiety scale). For burdens measured from zero this
  is the "10 % of baseline" rule; for a share that should rise it is 10 % of the shortfall, so
  a target is always reachable. With ``share_scale="points"``, shares use fixed percentage
  points instead (0.05 and 0.10).
- ``classify(T)``: "met" when ``gL > 0`` and ``g >= T`` (``met_rule="estimate"``; with
  ``"lower_bound"``: when ``gL >= T``); "not_met" when ``gU < T`` (the data rule out reaching
  the threshold: no change, too small a change, or a change for the worse); otherwise
  "inconclusive" (the interval holds values on both sides of the threshold).
- 1-year verdict: ``classify(T_1y)`` "met" -> ``"effective"``, "not_met" -> ``"not_met"``,
  else ``"inconclusive"``.
- 3-year verdict: ``classify(T_3y)`` "met" -> ``"remarkable"``; else ``classify(T_1y)`` "met"
  -> ``"effective"`` (the 1-year standard holds at 3 years, remarkable results are not shown);
  else ``classify(T_3y)`` "not_met" -> ``"not_met"``; else ``"inconclusive"``.
- ``"insufficient"`` before any of this when the data cannot be used: a wave missing, the
  indicator not observed, a cell with fewer than ``min_cell`` respondents or ``min_psu`` schools (the scorecard's
  rule, ``suppression.rule_for("scorecard")``: 30 and 2 in ``policy.yaml``)
  (suppressed: its numbers are blanked, never published), an invalid estimate, or a baseline
  at the burden-free value (no relative threshold).

- With no baseline (the baseline waves are not in the data, or the indicator was not asked
  in them) but a level that can be published: against the indicator's comparable national
  figure, ``"level_better"``, ``"level_similar"`` or ``"level_worse"``
  (:func:`level_verdict`), and ``"no_baseline"`` when there is no such figure: the report shows
  the level, and no target can be judged.

``"inconclusive"`` is a fifth code beside the four of the contract (``"remarkable"``,
``"effective"``, ``"not_met"``, ``"insufficient"``): the data are usable but cannot tell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ...inputs import policy as _policy
from .. import formatting as fmt
from .. import suppression

if TYPE_CHECKING:
    from .indicators import Indicator

__all__ = [
    "PERIODS",
    "LEVEL_VERDICTS",
    "VERDICTS",
    "VERDICT_LABELS",
    "VerdictRules",
    "classify",
    "rules_text",
    "level_verdict",
    "window_verdict",
]

#: Verdict codes; the first four are the contract, "inconclusive" is documented above.
VERDICTS: tuple[str, ...] = (
    "remarkable", "effective", "not_met", "inconclusive", "insufficient",
    "level_better", "level_similar", "level_worse", "no_baseline",
)  # fmt: skip

#: Verdicts of a level against its national figure, for an indicator with no pre-policy
#: baseline (asked only after the policy) but a comparable official figure (see
#: :func:`level_verdict`).
LEVEL_VERDICTS: tuple[str, ...] = ("level_better", "level_similar", "level_worse")
#: Verdicts of an indicator without a baseline whose level is published: the level against
#: its national figure, or ``"no_baseline"`` when it has none.
WITHOUT_BASELINE: tuple[str, ...] = (*LEVEL_VERDICTS, "no_baseline")

#: Verdict labels by language and code, as they read inside a sentence ("not met"): derived
#: from the one table, :data:`shuangjian_eval.publication.formatting.VERDICTS`.
VERDICT_LABELS: dict[str, dict[str, str]] = {
    lang: {code: fmt.verdict_label(code, lang, sentence=True) for code in VERDICTS}
    for lang in fmt.LANGS
}

PERIODS: tuple[str, ...] = ("baseline", "one_year", "three_year")


# ------------------------------------------------------------------------------ verdict rules
@dataclass(frozen=True)
class VerdictRules:
    """Thresholds and data rules of the verdicts (defaults: ``policy.yaml`` ``targets.verdict``,
    and for the cell sizes the scorecard's rule of ``suppression:``).

    Attributes
    ----------
    level : float
        Confidence level of every interval (0.95).
    effective, remarkable : float
        Share of the baseline gap to the burden-free value that the improvement must reach at
        1 year (0.10) and at 3 years (0.25).
    share_scale : {"relative", "points"}
        Shares use the relative rule, or fixed percentage points (``effective_points``,
        ``remarkable_points``, as proportions: 0.05 is 5 points).
    met_rule : {"estimate", "lower_bound"}
        "estimate": the interval excludes no improvement and the estimate reaches the threshold;
        "lower_bound": the interval's lower end reaches the threshold (stricter).
    min_cell, min_psu : int
        A cell (indicator x period) with fewer respondents or schools is suppressed (default:
        ``suppression.rule_for("scorecard")``).
    """

    level: float = 0.95
    effective: float = 0.10
    remarkable: float = 0.25
    share_scale: str = "relative"
    effective_points: float = 0.05
    remarkable_points: float = 0.10
    met_rule: str = "estimate"
    min_cell: int = dataclasses.field(
        default_factory=lambda: suppression.rule_for("scorecard").min_cell
    )
    min_psu: int = dataclasses.field(
        default_factory=lambda: suppression.rule_for("scorecard").min_psu
    )

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        for name in ("effective", "remarkable", "effective_points", "remarkable_points"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.remarkable < self.effective or self.remarkable_points < self.effective_points:
            raise ValueError("the 3-year (remarkable) threshold must not be below the 1-year one")
        if self.share_scale not in ("relative", "points"):
            raise ValueError(
                f"share_scale must be 'relative' or 'points', got {self.share_scale!r}"
            )
        if self.met_rule not in ("estimate", "lower_bound"):
            raise ValueError(f"met_rule must be 'estimate' or 'lower_bound', got {self.met_rule!r}")
        suppression.CellRule(int(self.min_cell), int(self.min_psu))  # checks both

    @classmethod
    def from_policy(
        cls,
        policy: _policy.Policy | None = None,
        overrides: VerdictRules | Mapping[str, Any] | None = None,
    ) -> VerdictRules:
        """Rules from ``policy.yaml`` (``targets.verdict``, and the scorecard's rule of
        ``suppression:``), with ``overrides`` (a mapping of fields, or a full set)."""
        if isinstance(overrides, VerdictRules):
            return overrides
        names = [f.name for f in dataclasses.fields(cls)]
        pol = policy or _policy.load()
        base = {k: v for k, v in pol.verdict_rules.items() if k in names}
        base.update(dataclasses.asdict(suppression.rule_for("scorecard", pol)))
        extra = dict(overrides or {})
        bad = sorted(set(extra) - set(names))
        if bad:
            raise ValueError(f"unknown verdict rule(s) {bad}; valid: {', '.join(names)}")
        return cls(**{**base, **extra})

    def threshold(self, indicator: Indicator, baseline: float, window: str) -> float:
        """Improvement the indicator must reach at ``window`` ("1y" or "3y"), in its units.

        NaN when it cannot be set: a relative rule with the baseline at the burden-free value.
        """
        rate = self.effective if window == "1y" else self.remarkable
        if indicator.kind == "share" and self.share_scale == "points":
            return self.effective_points if window == "1y" else self.remarkable_points
        gap = abs(float(baseline) - indicator.ideal)
        return rate * gap if gap > 1e-12 else np.nan


def classify(
    improvement: float, lower: float, upper: float, threshold: float, met_rule: str = "estimate"
) -> str:
    """Whether an improvement reached a threshold: "met", "not_met" or "inconclusive".

    Parameters
    ----------
    improvement, lower, upper : float
        Improvement (change times the good direction's sign) and its interval.
    threshold : float
        Positive threshold in the same units.
    met_rule : {"estimate", "lower_bound"}
        See :class:`VerdictRules`.
    """
    g, lo, hi = float(improvement), float(min(lower, upper)), float(max(lower, upper))
    met = lo >= threshold if met_rule == "lower_bound" else (lo > 0 and g >= threshold)
    if met:
        return "met"
    return "not_met" if hi < threshold else "inconclusive"


def level_verdict(sign: float, lower: float, upper: float, national: float) -> str:
    """A level without a baseline against its national figure: "level_better" when the
    interval lies wholly on the good side of it (``sign`` +1: higher is better, -1: lower),
    "level_worse" when wholly on the other side, else "level_similar"."""
    lo, hi = sign * float(lower), sign * float(upper)
    lo, hi, ref = min(lo, hi), max(lo, hi), sign * float(national)
    if lo > ref:
        return "level_better"
    return "level_worse" if hi < ref else "level_similar"


def window_verdict(
    window: str,
    improvement: float,
    lower: float,
    upper: float,
    t_effective: float,
    t_remarkable: float,
    met_rule: str = "estimate",
) -> str:
    """Verdict code of one window ("1y" or "3y") from the improvement and its interval."""
    c1 = classify(improvement, lower, upper, t_effective, met_rule)
    if window == "1y":
        return {"met": "effective", "not_met": "not_met"}.get(c1, "inconclusive")
    c3 = classify(improvement, lower, upper, t_remarkable, met_rule)
    if c3 == "met":
        return "remarkable"
    if c1 == "met":
        return "effective"
    return "not_met" if c3 == "not_met" else "inconclusive"


def rules_text(
    lang: str = "zh",
    rules: VerdictRules | Mapping[str, Any] | None = None,
    policy: _policy.Policy | None = None,
) -> str:
    """The verdict rules in plain language, one rule a line.

    Parameters
    ----------
    lang : {"zh", "en"}
    rules : VerdictRules or dict, optional
        The rules (or overrides of ``policy.yaml``'s); the policy's defaults when omitted.
    policy : Policy, optional
        For the waves and defaults.
    """
    fmt.check_lang(lang)
    pol = policy or _policy.load()
    vr = VerdictRules.from_policy(pol, rules)
    lv, e, r = f"{100 * vr.level:g}", f"{100 * vr.effective:g}", f"{100 * vr.remarkable:g}"
    ep, rp = f"{100 * vr.effective_points:g}", f"{100 * vr.remarkable_points:g}"
    y1, y3 = pol.one_year_wave, pol.three_year_wave
    if lang == "zh":
        base = "、".join(map(str, pol.baseline_waves))
        met = (
            "置信区间下限达到{t}门槛"
            if vr.met_rule == "lower_bound"
            else "改善的置信区间完全位于改善一侧（不含“无变化”），且改善估计值达到{t}门槛"
        )
        points = (
            f"比例类指标改用固定百分点：1年{ep}个百分点，3年{rp}个百分点。"
            if vr.share_scale == "points"
            else ""
        )
        lines = [
            f"判定规则（{lv}%置信区间）：",
            f"1. 比较：{base}年调查合并为政策前基线，{y1}年调查为“1年”时点，{y3}年调查为“3年”时点；"
            "变化 = 时点估计值 − 基线估计值。估计按抽样设计（权重、分层、以学校为初级抽样单元）计算，"
            "两个时点共用学校的相关性已计入。",
            "2. 改善方向：作业时长、学科类培训参与与支出、隐形变异培训、家长焦虑以下降为改善；"
            "作业达标、睡眠达标、课后服务参与和满意度以上升为改善。",
            f"3. 门槛：改善幅度须达到基线与“无负担值”之差的{e}%（1年）或{r}%（3年）；无负担值为 0"
            "（时长、支出、参与率）、100%（达标率、课后服务参与率、满意率）或 1 分（焦虑量表最低分）。"
            + points,
            f"4. 有效减轻：1年时{met.format(t='1年')}。",
            f"5. 成效显著：3年时{met.format(t='3年')}。3年时未显示成效显著、但达到1年门槛的，记为“有效减轻”。",
            "6. 未达到：改善的置信区间上限低于该时点的门槛，即可以确定未达到目标（包括无变化或变差）。",
            "7. 尚无定论：置信区间同时包含达到与未达到门槛的数值，数据无法判断。",
            f"8. 数据不足：缺少所需调查轮次或该项未调查、任一时点受访者少于{vr.min_cell}人或学校少于"
            f"{vr.min_psu}所（此类数据不予报告），或估计无效。",
            "9. 无基线的指标（政策后才调查，如对双减政策的满意度）：该时点的水平与全国数据比较，"
            "置信区间完全高于（或低于）全国数据记为“好于（或不及）全国水平”，否则记为“与全国水平相当”。",
            "前后比较只描述变化，不能单独证明变化由政策引起。",
        ]
    else:
        base = ", ".join(map(str, pol.baseline_waves))
        met = (
            "the lower end of the interval reaches the {t} threshold"
            if vr.met_rule == "lower_bound"
            else "the interval of the improvement lies wholly on the side of improvement "
            "(it excludes no change) and the estimated improvement reaches the {t} threshold"
        )
        points = (
            f" Shares use fixed percentage points instead: {ep} points at 1 year, {rp} at 3 years."
            if vr.share_scale == "points"
            else ""
        )
        lines = [
            f"Verdict rules ({lv}% confidence intervals):",
            f"1. Comparison: the {base} surveys pooled are the pre-policy baseline; the {y1} survey "
            f"is the 1-year mark and the {y3} survey the 3-year mark; change = estimate at the mark "
            "minus the baseline estimate. Estimates follow the survey design (weights, strata, "
            "schools as primary sampling units), counting schools surveyed at both times once.",
            "2. Good direction: homework time, subject tutoring and its spend, hidden tutoring and "
            "parental anxiety should fall; homework within the limit, sleep meeting the standard, "
            "after-school participation and satisfaction should rise.",
            f"3. Thresholds: the improvement must reach {e}% (1 year) or {r}% (3 years) of the "
            "baseline's distance from the burden-free value: 0 (time, spend, participation), 100% "
            "(compliance, after-school participation, satisfaction) or 1 (the lowest anxiety score)."
            + points,
            f"4. Effective (有效减轻): at 1 year, {met.format(t='1-year')}.",
            f"5. Remarkable (成效显著): at 3 years, {met.format(t='3-year')}. A 3-year change that "
            "does not show remarkable results but meets the 1-year threshold is rated effective.",
            "6. Not met: the upper end of the interval is below the threshold, so the target was "
            "not reached (including no change or a change for the worse).",
            "7. Inconclusive: the interval holds values both above and below the threshold; the "
            "data cannot tell.",
            f"8. Insufficient data: a survey wave is missing or the item was not asked, a period "
            f"has fewer than {vr.min_cell} respondents or {vr.min_psu} schools (such figures are not "
            "published), or the estimate is invalid.",
            "9. Indicators without a baseline (asked only after the policy, such as satisfaction "
            "with the policy): the level at the mark is set against the national figure; an "
            "interval wholly on the better (or worse) side is rated better than (or below) the "
            "national level, otherwise similar to it.",
            "A before-after comparison describes change; on its own it does not show that the "
            "policy caused it.",
        ]
    return "\n".join(lines)
