"""Languages, labels, numbers and units for readers, in Chinese and English.

The one owner of the report languages (:data:`LANGS`, :func:`check_lang`), of every shared
label (statistics, verdicts, regions, units, suppression marks) and of the rules by which
numbers are shown in tables and in sentences; every publication module imports it as ``fmt``.

Bilingual text has one form: a :data:`Text` entry, a ``{"zh": ..., "en": ...}`` dict, kept in
tables (a dict of entries) and read with :func:`label` (an entry of a table) or :func:`text`
(one entry). Chinese text uses full-width punctuation (，。：；（）and “”) next to Chinese
characters; numbers, code-like tokens and English inside it keep their own (``p < 0.001``,
``95%``). :func:`paren` and :func:`colon` give the bracket and colon of a language.

Used by :mod:`shuangjian_eval.publication.plots`, :mod:`shuangjian_eval.publication.tables`
and the other publication modules. Units are the codebook's unit strings (``"minutes per day"``,
``"CNY per year"``, ``"share of income"`` ...) plus ``"share"`` for a proportion; a share is
stored as a fraction (0.45) and shown as a percentage (45.0%), and a change in a share is
shown in percentage points (百分点).

>>> format_value(12345.6, unit="CNY per year", lang="zh")
'12,346 元'
>>> format_change(-0.123, unit="share", lang="zh")
'-12.3 个百分点'
>>> format_ci(23.41, 18.12, 28.66, unit="minutes per day")
'23.4 [18.1, 28.7]'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..base.languages import LANGS, check_lang
from ..inputs import codebook as _codebook
from ..inputs import regions as _regions
from . import suppression

__all__ = [
    "LANGS",
    "MISSING",
    "FAILURE_REASONS",
    "FLAG_LABELS",
    "NOTEBOOK_TITLES",
    "SUPERVISION_LABELS",
    "SUPERVISION_TEXT",
    "REGIONS",
    "REPORT_TEXT",
    "SIGNIFICANCE",
    "STAT_LABELS",
    "SUPPRESSED",
    "Text",
    "UNITS",
    "VERDICTS",
    "Unit",
    "axis_label",
    "category_label",
    "check_lang",
    "colon",
    "default_digits",
    "format_change",
    "format_ci",
    "failure_reason",
    "format_count",
    "format_number",
    "format_timestamp",
    "format_value",
    "is_share",
    "join_list",
    "in_language",
    "label",
    "paren",
    "region_label",
    "sentence_digits",
    "sentence_number",
    "sentence_unit",
    "stat_label",
    "text",
    "text_language",
    "unit_info",
    "variable_label",
    "variable_unit",
    "verdict_label",
]


#: One piece of reader-facing text in every language of :data:`LANGS`: ``{"zh": ..., "en": ...}``;
#: may hold ``str.format`` fields.
Text = Mapping[str, str]

#: Shown for a number that is missing (NaN / None).
MISSING = "–"


@dataclass(frozen=True)
class Unit:
    """How one unit is shown.

    Attributes
    ----------
    value : dict
        Suffix after a value, by language (``"元"``, ``"min"``); ``"%"`` for shares.
    axis : dict
        Unit in an axis or column label (``"分钟/天"``).
    change : dict
        Suffix after a change (``"个百分点"`` for shares, else as ``value``).
    change_axis : dict
        Unit in the label of an axis of changes (``"百分点"``).
    digits : int
        Default decimals (after scaling).
    scale : float
        Multiplier from stored to shown values (100 for shares).
    thousands : bool
        Whether to group thousands (not for years).
    word : dict
        Unit after a number in a sentence (``"分钟"``, ``"minutes"``; ``"个百分点"`` for a
        share, whose sentences are about changes); empty: the number stands alone.
    sentence_digits : int, optional
        Decimals in a sentence; ``None``: 0 when the largest magnitude of the sentence is 10 or
        more, else 1 (minutes); ``-1``: three significant digits (a unit without rules).
    """

    value: dict[str, str]
    axis: dict[str, str]
    change: dict[str, str]
    change_axis: dict[str, str]
    digits: int = 2
    scale: float = 1.0
    thousands: bool = True
    word: dict[str, str] | None = None
    sentence_digits: int | None = -1


def _u(value_zh, value_en, axis_zh, axis_en, digits, **kw) -> Unit:
    change = kw.pop("change", {"zh": value_zh, "en": value_en})
    change_axis = kw.pop("change_axis", {"zh": axis_zh, "en": axis_en})
    return Unit(
        value={"zh": value_zh, "en": value_en},
        axis={"zh": axis_zh, "en": axis_en},
        change=change,
        change_axis=change_axis,
        digits=digits,
        **kw,
    )


_PP = {"zh": "个百分点", "en": "percentage points"}


_SHARE = _u(
    "%",
    "%",
    "%",
    "%",
    1,
    scale=100.0,
    change=_PP,
    change_axis={"zh": "百分点", "en": "percentage points"},
    word=_PP,
    sentence_digits=1,
)
_MINUTES = {"word": {"zh": "分钟", "en": "minutes"}, "sentence_digits": None}
_HOURS = {"word": {"zh": "小时", "en": "hours"}, "sentence_digits": 1}

#: Display rules by unit string (codebook units and ``"share"``): digits in tables
#: (``digits``) and in sentences (``sentence_digits``: hours per day 2 in a table, 1 in a
#: sentence; minutes 1 in a table, whole minutes in a sentence about 10 minutes or more).
UNITS: dict[str, Unit] = {
    "minutes per day": _u("分钟", "min", "分钟/天", "minutes a day", 1, **_MINUTES),
    "minutes": _u("分钟", "min", "分钟", "minutes", 1, **_MINUTES),
    "hours per day": _u("小时", "h", "小时/天", "hours a day", 2, **_HOURS),
    "hours per week": _u("小时", "h", "小时/周", "hours a week", 1, **_HOURS),
    "CNY per year": _u(
        "元", "CNY", "元/年", "CNY a year", 0, word={"zh": "元", "en": "yuan"}, sentence_digits=0
    ),
    "CNY": _u("元", "CNY", "元", "CNY", 0),
    "scale score 1-5": _u(
        "分",
        "points",
        "1–5分",
        "score 1–5",
        2,
        word={"zh": "分", "en": "points"},
        sentence_digits=2,
    ),
    "year": _u("", "", "", "", 0, thousands=False),
    "share": _SHARE,
    "share of income": _SHARE,
    "proportion": _SHARE,
    "percent": _u("%", "%", "%", "%", 1, change=_PP),
}
_PLAIN = _u("", "", "", "", 2)

#: Labels of statistics and report furniture (the codebook holds variables only).
STAT_LABELS: dict[str, dict[str, str]] = {
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "estimate_ci": {"zh": "估计值 [{level}%置信区间]", "en": "Estimate [{level}% CI]"},
    "ci": {"zh": "{level}%置信区间", "en": "{level}% confidence interval"},
    "std_error": {"zh": "标准误", "en": "Standard error"},
    "ci_lower": {"zh": "{what}（95%置信区间下限）", "en": "{what}: lower 95% bound"},
    "ci_upper": {"zh": "{what}（95%置信区间上限）", "en": "{what}: upper 95% bound"},
    "p_value": {"zh": "p值", "en": "p-value"},
    "n": {"zh": "样本量", "en": "Respondents"},
    "significance": {"zh": "显著性", "en": "Significance"},
    "note": {"zh": "说明", "en": "Note"},
    "unit": {"zh": "单位", "en": "Unit"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "term": {"zh": "项", "en": "Term"},
    "category": {"zh": "类别", "en": "Category"},
    "change": {"zh": "变化", "en": "Change"},
    "change_from_baseline": {"zh": "相对基线的变化", "en": "Change from baseline"},
    "baseline": {"zh": "基线", "en": "Baseline"},
    "one_year": {"zh": "1年", "en": "1 year"},
    "three_year": {"zh": "3年", "en": "3 years"},
    "change_1y": {"zh": "1年变化", "en": "Change after 1 year"},
    "change_3y": {"zh": "3年变化", "en": "Change after 3 years"},
    "verdict_1y": {"zh": "1年评价", "en": "Verdict, 1 year"},
    "verdict_3y": {"zh": "3年评价", "en": "Verdict, 3 years"},
    "policy_date": {"zh": "《意见》印发", "en": "Policy issued"},
    "reference": {"zh": "参照期", "en": "Reference period"},
    "coefficient": {"zh": "相对参照期的差异", "en": "Difference from the reference period"},
    "period": {"zh": "时期", "en": "Period"},
    "before": {"zh": "政策前", "en": "Before the policy"},
    "after": {"zh": "政策后", "en": "After the policy"},
    "share_of_students": {"zh": "学生占比（%）", "en": "Share of students (%)"},
    "above_limit": {"zh": "超过标准", "en": "Above the limit"},
    "below_standard": {"zh": "未达标准", "en": "Below the standard"},
    "standard": {"zh": "标准", "en": "Standard"},
    "no_standard": {"zh": "无统一标准", "en": "No official standard"},
    "not_computed": {"zh": "无法计算", "en": "not computed"},
    "region": {"zh": "地区", "en": "Region"},
    "all": {"zh": "全体", "en": "All"},
}

#: Verdicts of the 1-year / 3-year target scorecard (``"inconclusive"``: the interval holds
#: values on both sides of the threshold, a fifth code of ``sje.targets``). The English labels
#: start a cell; :func:`verdict_label` with ``sentence=True`` gives them inside a sentence.
VERDICTS: dict[str, dict[str, str]] = {
    "remarkable": {"zh": "成效显著", "en": "Remarkable"},
    "effective": {"zh": "有效减轻", "en": "Effective"},
    "inconclusive": {"zh": "尚无定论", "en": "Inconclusive"},
    "not_met": {"zh": "未达到", "en": "Not met"},
    "insufficient": {"zh": "数据不足", "en": "Insufficient data"},
    "level_better": {"zh": "好于全国水平", "en": "Better than national"},
    "level_similar": {"zh": "与全国水平相当", "en": "Similar to national"},
    "level_worse": {"zh": "不及全国水平", "en": "Below national"},
    "no_baseline": {"zh": "无政策前基线", "en": "No baseline"},
}

#: Words for a Wald test of ``estimate = 0``.
SIGNIFICANCE: dict[bool, dict[str, str]] = {
    True: {"zh": "与零差异显著", "en": "different from zero"},
    False: {"zh": "与零无显著差异", "en": "not distinguishable from zero"},
}

#: Marks of a suppressed cell, by reason.
SUPPRESSED: dict[str, dict[str, str]] = {
    "n": {"zh": "样本不足", "en": "suppressed: too few respondents"},
    "psu": {
        "zh": "样本不足（抽样单位少于{min_psu}个）",
        "en": "suppressed: fewer than {min_psu} PSUs",
    },
    "flag": {"zh": "样本不足", "en": "suppressed: too few respondents"},
}

#: The region keyword of all the data together (``"all"``) and its label; any other region
#: is a county and is shown by its name.
REGIONS: dict[str, dict[str, str]] = {
    "all": {"zh": "全部地区", "en": "All regions"},
}

#: Quality flags of online submissions (``sje.io.submissions``), as a report names them.
FLAG_LABELS: dict[str, Text] = {
    "test": {"zh": "测试提交", "en": "test submissions"},
    "speeder": {"zh": "答题过快", "en": "speeders"},
    "duplicate": {"zh": "重复提交", "en": "double submissions"},
    "straightline": {"zh": "矩阵题同一答案到底", "en": "straight-lining"},
}

#: The report notebooks, in report order, and their titles (a run's pages and its index).
NOTEBOOK_TITLES: dict[str, Text] = {
    "90_policy_report": {"zh": "政策评估报告", "en": "Policy evaluation report"},
    "00_data_quality": {"zh": "数据质量", "en": "Data quality"},
    "10_homework_and_sleep": {"zh": "作业与睡眠", "en": "Homework and sleep"},
    "20_tutoring": {"zh": "校外培训", "en": "Off-campus tutoring"},
    "30_parental_anxiety": {"zh": "家长焦虑", "en": "Parental anxiety"},
    "40_causal_effects": {"zh": "因果效应", "en": "Causal effects"},
    "50_heterogeneity": {"zh": "群体差异", "en": "Heterogeneity"},
    "60_supervision": {"zh": "督导报表", "en": "Supervision returns"},
}

#: The supervision indicators (``sje.publication.supervision.INDICATORS``) as reports name them.
SUPERVISION_LABELS: dict[str, Text] = {
    "schools": {"zh": "报送学校数", "en": "Schools reporting"},
    "homework_publicity_share": {
        "zh": "建立作业校内公示制度的学校比例",
        "en": "Schools with homework publicity",
    },
    "homework_time_ok_share": {
        "zh": "作业时间控制达标的学校比例",
        "en": "Schools meeting the homework-time standard",
    },
    "no_parent_homework_share": {
        "zh": "不给家长布置或批改作业的学校比例",
        "en": "Schools setting no homework for parents",
    },
    "afterschool_offered_share": {
        "zh": "提供课后服务的学校比例",
        "en": "Schools offering after-school service",
    },
    "afterschool_time_ok_share": {
        "zh": "课后服务时间达标（“5+2”）的学校比例",
        "en": 'Schools meeting "5+2"',
    },
    "funding_mechanism_share": {
        "zh": "建立课后服务经费保障机制的学校比例",
        "en": "Schools with a service funding mechanism",
    },
    "afterschool_participation_rate": {
        "zh": "学生参加课后服务比例（学校报送）",
        "en": "Students taking part in after-school service (returns)",
    },
    "teacher_participation_rate": {
        "zh": "教师参与课后服务比例",
        "en": "Teachers taking part in after-school service",
    },
    "subject_institutions_baseline": {
        "zh": "基线学科类机构数（{category}）",
        "en": "Subject institutions at the baseline ({category})",
    },
    "subject_institutions_remaining": {
        "zh": "现存学科类机构数（{category}）",
        "en": "Subject institutions remaining ({category})",
    },
    "subject_institutions_cut": {
        "zh": "学科类机构压减数（{category}）",
        "en": "Subject institutions cut ({category})",
    },
    "subject_institutions_cut_share": {
        "zh": "学科类机构压减比例（{category}）",
        "en": "Subject institutions cut ({category}), share",
    },
    "guided_price_share": {
        "zh": "执行政府指导价的机构比例",
        "en": "Institutions following the guided price",
    },
    "model_contract_share": {
        "zh": "使用示范合同文本的机构比例",
        "en": "Institutions using the model contract",
    },
    "prepaid_custody_share": {
        "zh": "预收费纳入监管的机构比例",
        "en": "Institutions with prepaid fees under custody",
    },
    "cases": {"zh": "执法案件数", "en": "Enforcement cases"},
    "cases_per_10k_students": {
        "zh": "每万名学生执法案件数",
        "en": "Enforcement cases per 10,000 students",
    },
    "tipoffs_received": {"zh": "接到群众举报线索数", "en": "Tip-offs received"},
    "tipoffs_verified_share": {"zh": "举报线索查实比例", "en": "Tip-offs verified"},
    "tipoffs_closed_share": {"zh": "举报线索办结比例", "en": "Tip-offs closed"},
    "tipoffs_closed_in_time_share": {
        "zh": "{days}天内办结的比例",
        "en": "Closed within {days} days",
    },
    "tipoffs_median_days": {"zh": "办结天数（中位数）", "en": "Days to close (median)"},
    "all": {"zh": "线上和线下", "en": "online and offline"},
    "offline": {"zh": "线下", "en": "offline"},
    "online": {"zh": "线上", "en": "online"},
}
#: Words of the supervision section and notebook: headings, columns, the triangulation's
#: measures and flags, and its sentences.
SUPERVISION_TEXT: dict[str, Text] = {
    "indicator": {"zh": "指标", "en": "Indicator"},
    "national": {"zh": "全国数据", "en": "National figure"},
    "period": {"zh": "报告期", "en": "Reporting period"},
    "county": {"zh": "区县", "en": "County"},
    "school": {"zh": "学校", "en": "School"},
    "wave": {"zh": "调查年份", "en": "Survey wave"},
    "measure": {"zh": "内容", "en": "Measure"},
    "term": {"zh": "项", "en": "Term"},
    "term_did": {
        "zh": "执法较多的区县与其余区县：政策前后变化之差",
        "en": "More- against less-enforcement counties: difference in the change since the policy",
    },
    "term_wave": {
        "zh": "{wave}年与{ref}年相比，两类区县的差异之变",
        "en": "{wave} against {ref}: change in the difference between the two groups",
    },
    "points": {"zh": "百分点", "en": "percentage points"},
    "enforcement_one_county": {
        "zh": "本节比较执法强度不同的区县，一个区县的报告无法比较：见全部地区的报告。",
        "en": "This part compares counties with more and less enforcement, which one county's report cannot: see the report of the whole area.",
    },
    "reported": {"zh": "报表数", "en": "Returns"},
    "survey": {"zh": "调查估计（%） [95%置信区间]", "en": "Survey (%) [95% CI]"},
    "flag": {"zh": "对照结果", "en": "Comparison"},
    "m_afterschool_participation": {
        "zh": "学生参加课后服务比例",
        "en": "After-school participation",
    },
    "m_homework": {"zh": "作业时间达标", "en": "Homework within the standard"},
    "f_above": {"zh": "报表高于调查区间", "en": "returns above the survey's interval"},
    "f_below": {"zh": "报表低于调查区间", "en": "returns below the survey's interval"},
    "f_consistent": {"zh": "在调查区间内", "en": "within the survey's interval"},
    "f_insufficient": {"zh": "样本不足，不作比较", "en": "too few respondents to compare"},
    "no_data": {
        "zh": "没有督导报表数据：把规范化的督导报表（sje supervision ingest 或 sje supervision synth 写出的文件夹）放在调查数据旁的 supervision 文件夹，或用参数 supervision_path 指定。",
        "en": "No supervision returns: put the canonical returns (the folder sje supervision ingest or sje supervision synth writes) in a folder named supervision beside the survey data, or name it with the parameter supervision_path.",
    },
    "homework_sentence": {
        "zh": "{where}，{wave}年：学校报告{reported}的学校作业时间达标；家长和学生的回答显示{estimate}的学生书面作业在规定时间内（95%置信区间{lower}至{upper}）。两者口径不同（学校比例与学生比例），差距大时值得核实。",
        "en": "{where}, {wave}: schools report {reported} of schools meeting the homework-time standard; parents' and students' answers put the share of students within the limit at {estimate} (95% CI {lower} to {upper}). The two measure different things (schools, students); a wide gap is worth checking.",
    },
    "afterschool_sentence": {
        "zh": "{where}，{wave}年：学校报表中{reported}的学生参加课后服务；调查估计为{estimate}（95%置信区间{lower}至{upper}），{flag}。",
        "en": "{where}, {wave}: the returns have {reported} of students taking part in after-school service; the survey estimates {estimate} (95% CI {lower} to {upper}): {flag}.",
    },
    "only_flagged": {
        "zh": "{wave}年各区县中，报表与调查区间不一致的如下（其余{consistent}项在区间内或样本不足）：",
        "en": "{wave}: the counties whose returns fall outside the survey's interval ({consistent} other comparisons are within it or too small):",
    },
    "schools_flagged": {
        "zh": "{wave}年共比较{compared}所学校，其中{flagged}所学校报表中的课后服务参与比例高于本校学生调查的95%置信区间上限，建议核查：{schools}。",
        "en": "{wave}: of {compared} schools compared, {flagged} report after-school participation above the upper end of their own students' 95% interval, worth checking: {schools}.",
    },
    "synthetic_check": {
        "zh": "合成数据核对：预设的{planted}所虚报学校中有{hits}所被标出（至少一轮）；另有{false_alarms}所未虚报的学校被误标（共比较{units}所学校）。",
        "en": "Check on the synthetic data: {hits} of the {planted} planted over-reporting schools are flagged (in at least one wave); {false_alarms} honest schools are flagged too (of {units} compared).",
    },
    "tutoring_sentence": {
        "zh": "{where}，{wave}年：线下学科类机构较基线压减{cut}；调查显示仍有{subject}的学生参加学科类培训（95%置信区间{lower}至{upper}），{hidden}的学生参加隐形变异培训。",
        "en": "{where}, {wave}: offline subject institutions cut by {cut} since the baseline; the survey still finds {subject} of students in subject tutoring (95% CI {lower} to {upper}) and {hidden} in hidden tutoring.",
    },
    "sheet": {
        "zh": "半月报汇总表 {file}（报告期{period}）：读入{rows_in}行，接受{accepted}行，剔除{rejected}行（{reasons}）。",
        "en": "Half-monthly sheet {file} (period {period}): {rows_in} rows read, {accepted} accepted, {rejected} rejected ({reasons}).",
    },
    "national_note": {
        "zh": "全国数据：{figure}（{source}，{date}）。",
        "en": "National figure: {figure} ({source}, {date}).",
    },
}

#: Report furniture: table captions, the overall verdict sentence, the run's index page and
#: the footer of every page.
REPORT_TEXT: dict[str, Text] = {
    "table": {"zh": "表{number}\u3000{title}", "en": "Table {number}. {title}"},
    "scorecard_1y": {
        "zh": "1年目标“有效减轻”：{wave}年调查与政策前相比",
        "en": "1-year target, effective reduction: the {wave} survey against before the policy",
    },
    "scorecard_3y": {
        "zh": "3年目标“成效显著”：{wave}年调查与政策前相比",
        "en": "3-year target, remarkable results: the {wave} survey against before the policy",
    },
    "verdict_summary": {
        "zh": "{window}（{wave}年调查与政策前相比）：{n} 项指标中 {parts}。",
        "en": "{window} ({wave} survey against before the policy): of {n} indicators, {parts}.",
    },
    "verdict_met": {"zh": "{count} 项达到目标", "en": "{count} met the target"},
    "verdict_met_detail": {"zh": "（{detail}）", "en": " ({detail})"},
    "verdict_part": {"zh": "{count} 项{verdict}", "en": "{count} {verdict}"},
    "verdict_detail": {"zh": "{verdict} {count} 项", "en": "{count} {verdict}"},
    "verdict_part_list": {"zh": "，", "en": ", "},
    "window_1y": {"zh": "1年目标", "en": "1-year target"},
    "window_3y": {"zh": "3年目标", "en": "3-year target"},
    "window_name_1y": {"zh": "1年目标“有效减轻”", "en": "1-year target, effective reduction"},
    "window_name_3y": {"zh": "3年目标“成效显著”", "en": "3-year target, remarkable results"},
    "levels_summary": {
        "zh": "{wave}年调查的现状（没有政策前基线，1年、3年目标无法判断）：{n} 项指标中 {parts}。",
        "en": "The state in the {wave} survey (no pre-policy baseline, so the 1-year and 3-year "
        "targets cannot be judged): of {n} indicators, {parts}.",
    },
    "trend_summary": {
        "zh": "{first}年到{last}年的变化（政策实施后的走势）：{n} 项指标中 {parts}。",
        "en": "Change from {first} to {last} (the trend after the policy): of {n} indicators, {parts}.",
    },
    "trend_improved": {"zh": "{count} 项改善", "en": "{count} improved"},
    "trend_unclear": {
        "zh": "{count} 项没有可以确定的变化",
        "en": "{count} showed no change that can be told from none",
    },
    "trend_worsened": {"zh": "{count} 项变差", "en": "{count} worsened"},
    "levels_no_figure": {
        "zh": "{count} 项没有可比的全国数据",
        "en": "{count} have no comparable national figure",
    },
    "scorecard_levels": {
        "zh": "{wave}年调查的现状与全国数据（没有政策前基线）",
        "en": "The {wave} survey against the national figures (no pre-policy baseline)",
    },
    "levels_findings_note": {
        "zh": "以上为政策实施后的现状，不是与政策前的比较，不能说明政策的效果。",
        "en": "These describe the state after the policy, not a comparison with before it, and "
        "say nothing on their own of the policy's effect.",
    },
    "equity_no_column": {
        "zh": "数据中没有“{what}”，无法分组比较。",
        "en": "The data do not record {what}, so these groups cannot be compared.",
    },
    "waves_levels": {
        "zh": "调查年份为{waves}年，没有政策前基线",
        "en": "the surveys are of {waves}, with no pre-policy baseline",
    },
    "level_only": {"zh": "水平 {level}", "en": "level {level}"},
    "chart_change_by_income": {
        "zh": "按家庭收入五等份的变化",
        "en": "Change by household income quintile",
    },
    "chart_effect_by_income": {
        "zh": "各收入组的政策效应",
        "en": "Effect of the policy by income quintile",
    },
    "against_national": {"zh": "与全国比较", "en": "Against national"},
    "level_at": {"zh": "{wave}年水平", "en": "Level, {wave}"},
    "level_vs_national": {
        "zh": "水平 {level}（全国 {national}）",
        "en": "level {level} (national {national})",
    },
    "figure": {"zh": "图{number}\u3000{title}", "en": "Figure {number}. {title}"},
    "subsection": {"zh": "（{number}）{title}", "en": "{number}. {title}"},
    "not_met_lead": {"zh": "未达到目标的指标：", "en": "Targets not met: "},
    "level": {"zh": "{when}水平", "en": "Level, {when}"},
    "national_figure": {"zh": "全国数据", "en": "National figure"},
    "sheet_scorecard": {"zh": "目标完成情况", "en": "Scorecard"},
    "wave": {"zh": "调查年份", "en": "Survey year"},
    "synthetic_notice": {
        "zh": "注意：本报告使用合成演示数据，不描述任何真实地区、学校或个人。",
        "en": "Note: this report uses synthetic demonstration data; it describes no real place, "
        "school or person.",
    },
    "area_column": {"zh": "全部地区（对比）", "en": "Whole area (for comparison)"},
    "format_docx": {"zh": "Word版", "en": "Word"},
    "format_xlsx": {"zh": "Excel表", "en": "Excel"},
    "format_pdf": {"zh": "PDF版", "en": "PDF"},
    "index_title": {"zh": "双减政策评估报告", "en": "Double Reduction evaluation reports"},
    "index_subtitle": {
        "zh": "运行 {run_id}：{n} 份报告，失败 {failed} 份",
        "en": "Run {run_id}: {n} reports, {failed} failed",
    },
    "reports": {"zh": "报告", "en": "Reports"},
    "failed": {"zh": "失败", "en": "Failed"},
    "error_details": {"zh": "技术细节", "en": "Technical details"},
    "footer_hash": {"zh": "数据指纹", "en": "Data SHA-256"},
    "footer_version": {"zh": "版本", "en": "Version"},
    "footer_time": {"zh": "生成时间", "en": "Generated"},
    "beijing_time": {
        "zh": "{year}年{month}月{day}日 {hour:02d}:{minute:02d}（北京时间）",
        "en": "{day} {month_name} {year}, {hour:02d}:{minute:02d} Beijing time",
    },
}

#: Why a report of a run failed, in a few words (the exception itself goes to the manifest
#: and a details element); keys of :func:`failure_reason`.
FAILURE_REASONS: dict[str, Text] = {
    "timeout": {"zh": "运行超时", "en": "timed out"},
    "kernel": {"zh": "计算进程意外退出", "en": "the computing process stopped"},
    "interrupted": {"zh": "运行被中止，未完成", "en": "the run was stopped before it finished"},
    "data": {
        "zh": "数据无法读取或缺少所需变量",
        "en": "the data could not be read or lack a variable",
    },
    "error": {"zh": "计算出错", "en": "an error in the computation"},
}

_PUNCT: dict[str, dict[str, str]] = {
    "open": {"zh": "（", "en": " ("},
    "close": {"zh": "）", "en": ")"},
    "colon": {"zh": "：", "en": ": "},
    "list": {"zh": "、", "en": ", "},
}


def failure_reason(error: str | None, status: str = "failed") -> str:
    """The key of :data:`FAILURE_REASONS` for a failed job's status and error text."""
    words = (error or "").lower()
    if status == "interrupted":
        return "interrupted"
    if "timeout" in words or "timed out" in words:
        return "timeout"
    if "deadkernel" in words or "kernel died" in words or "worker died" in words:
        return "kernel"
    if any(w in words for w in ("filenotfound", "parquet", "keyerror", "no such file")):
        return "data"
    return "error"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def format_timestamp(moment: str | dt.datetime, lang: str = "zh") -> str:
    """A moment (ISO text or an aware datetime) in Beijing time, as a reader writes it:
    ``"2026年12月2日 13:41（北京时间）"`` / ``"2 December 2026, 13:41 Beijing time"``.

    >>> format_timestamp("2026-12-02T05:41:27+00:00")
    '2026年12月2日 13:41（北京时间）'
    """
    when = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    t = when.astimezone(_BEIJING)
    return text(REPORT_TEXT["beijing_time"], lang, year=t.year, month=t.month, day=t.day,
                hour=t.hour, minute=t.minute, month_name=_MONTHS[t.month - 1])  # fmt: skip


_CJK = re.compile("[\u3400-\u9fff\uf900-\uff60]")
_LATIN = re.compile("[A-Za-z]")
_HEADING = re.compile(r"^(#+\s+(?:\d+\.\s*)?)(.+?)\s+·\s+(.+)$")


def text_language(words: str) -> str | None:
    """ "zh" for Chinese text (more Chinese characters than half its Latin letters), "en" for
    text with Latin letters and no more Chinese than that, None for neither (numbers, marks)."""
    cjk, latin = len(_CJK.findall(words)), len(_LATIN.findall(words))
    if cjk and 2 * cjk >= latin:
        return "zh"
    return "en" if latin else None


def in_language(markdown: str, lang: str = "zh") -> str:
    """A bilingual Markdown cell (a paragraph in each language, headings ``"中文 · English"``)
    with only the paragraphs and heading parts of ``lang``; text in neither stays."""
    check_lang(lang)
    out = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = []
        for line in block.splitlines():
            m = _HEADING.match(line.strip())
            if m:
                zh_part, en_part = m.group(2), m.group(3)
                lines.append(m.group(1) + (zh_part if lang == "zh" else en_part))
            else:
                lines.append(line)
        kept = "\n".join(lines)
        if text_language(kept) in (None, lang) or _HEADING.match(block.strip()):
            out.append(kept)
    return "\n\n".join(out)


def text(entry: Text, lang: str = "zh", **fields: Any) -> str:
    """One :data:`Text` entry in ``lang``, its ``str.format`` fields filled from ``fields``."""
    check_lang(lang)
    words = entry[lang]
    return words.format(**fields) if fields else words


def label(table: Mapping[Any, Text], key: Any, lang: str = "zh", **fields: Any) -> str:
    """Entry ``key`` of a table of :data:`Text` entries in ``lang`` (the lookup of every label).

    >>> label(VERDICTS, "not_met", "zh")
    '未达到'
    """
    return text(table[key], lang, **fields)


def paren(inner: Any, lang: str = "zh") -> str:
    """``inner`` in brackets after a word: ``"（x）"`` in Chinese, ``" (x)"`` in English."""
    return f"{label(_PUNCT, 'open', lang)}{inner}{label(_PUNCT, 'close', lang)}"


def colon(lang: str = "zh") -> str:
    """The colon that introduces a list or an explanation: ``"："`` / ``": "``."""
    return label(_PUNCT, "colon", lang)


def join_list(items: Iterable[Any], lang: str = "zh") -> str:
    """Items as a list: ``"a、b"`` in Chinese, ``"a, b"`` in English."""
    return label(_PUNCT, "list", lang).join(map(str, items))


def _lower_first(words: str) -> str:
    """English words in mid-sentence: lower-case first letter, unless it starts an acronym."""
    return words if words[1:2].isupper() else words[:1].lower() + words[1:]


def stat_label(key: str, lang: str = "zh", **fields: Any) -> str:
    """Display label of a statistic or report element, e.g. ``stat_label("n", "zh")``."""
    return label(STAT_LABELS, key, lang, **fields)


def verdict_label(verdict: str, lang: str = "zh", *, sentence: bool = False) -> str:
    """Display label of a scorecard verdict (``"remarkable"`` -> ``"成效显著"``); an unknown
    code is shown as it is. ``sentence=True``: the English label inside a sentence
    (``"not met"`` rather than ``"Not met"``)."""
    check_lang(lang)
    if verdict not in VERDICTS:
        return str(verdict)
    words = label(VERDICTS, verdict, lang)
    return _lower_first(words) if sentence and lang == "en" else words


def region_label(region: str | None, lang: str = "zh", *, sentence: bool = False) -> str:
    """A region for readers: ``"全部地区"`` / ``"All regions"`` for the keyword ``"all"`` (and
    for no region), the county name otherwise (as given: escape it for Markdown yourself).
    ``sentence=True``: the English label inside a sentence (``"all regions"``)."""
    check_lang(lang)
    if region is None or region == "" or region == _regions.ALL:
        words = label(REGIONS, "all", lang)
        return _lower_first(words) if sentence and lang == "en" else words
    return str(region)


# ------------------------------------------------------------------------------ labels


def variable_label(name: str, lang: str = "zh") -> str:
    """Codebook label of a variable; the name itself when it is not in the codebook."""
    check_lang(lang)
    return _codebook.load().label(name, lang)


def category_label(variable: str | None, code: Any, lang: str = "zh") -> str:
    """Codebook label of a category (or bool) of ``variable``; years and others as text."""
    check_lang(lang)
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return MISSING
    cb = _codebook.load()
    if variable is not None and variable in cb:
        label = cb[variable].category_label(code, lang)
        if label != str(code):
            return label
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


def variable_unit(name: str) -> str | None:
    """Unit of a codebook variable: its codebook unit, ``"share"`` for a bool, else None."""
    cb = _codebook.load()
    if name not in cb:
        return None
    v = cb[name]
    if v.dtype == "bool":
        return "share"
    return v.unit


def unit_info(unit: str | None) -> Unit:
    """Display rules of ``unit``; unknown units are shown as given after the number."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or unit == "":
        return _PLAIN
    if unit in UNITS:
        return UNITS[unit]
    return _u(str(unit), str(unit), str(unit), str(unit), 2)


def is_share(unit: str | None) -> bool:
    """Whether values in ``unit`` are fractions shown as percentages."""
    return unit_info(unit).scale == 100.0


def default_digits(unit: str | None) -> int:
    """Decimals shown by default for ``unit`` (after scaling to percent for shares)."""
    return unit_info(unit).digits


def axis_label(
    label: str, unit: str | None = None, lang: str = "zh", *, change: bool = False
) -> str:
    """``label`` with its unit: ``"工作日书面作业时长(分钟/天)"`` / ``"Sleep (hours a day)"``.

    ``label`` may be a codebook variable name (its label is used) or any text. With
    ``change=True`` the unit of a change is used (百分点 for shares).
    """
    check_lang(lang)
    name = variable_label(label, lang)
    if unit is None and label in _codebook.load():
        unit = variable_unit(label)
    info = unit_info(unit)
    suffix = (info.change_axis if change else info.axis)[lang]
    if not suffix:
        return name
    return name + paren(suffix, lang)


# ------------------------------------------------------------------------------ numbers


def _missing(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def format_number(x: Any, digits: int = 1, *, sign: bool = False, thousands: bool = True) -> str:
    """Round ``x`` to ``digits`` decimals, with thousands separators; ``"–"`` when missing.

    A value that rounds to zero is shown without a sign ("0.0", not "-0.0"); ``sign=True``
    puts "+" before positive values. Negative values carry an ASCII hyphen-minus, which every
    font has.
    """
    if _missing(x):
        return MISSING
    value = float(x)
    if math.isinf(value):
        return ("-" if value < 0 else "+" if sign else "") + "∞"
    sep = "," if thousands else ""
    text = f"{abs(value):{sep}.{max(int(digits), 0)}f}"
    is_zero = float(text.replace(",", "")) == 0.0
    if is_zero:
        return text
    if value < 0:
        return "-" + text
    return ("+" + text) if sign else text


def format_count(n: Any, *, min_cell: int | None = None) -> str:
    """A count with thousands separators; ``"<min_cell"`` when below ``min_cell`` (suppressed)."""
    if _missing(n):
        return MISSING
    n = int(n)
    if min_cell is not None and n > 0 and suppression.is_small(n, min_cell=min_cell):
        return f"<{min_cell}"
    return f"{n:,}"


def _join(number: str, suffix: str, lang: str) -> str:
    if not suffix:
        return number
    if suffix == "%":
        return number + "%"
    return f"{number} {suffix}"


def format_value(
    x: Any, unit: str | None = None, lang: str = "zh", digits: int | None = None
) -> str:
    """A value with its unit for the reader.

    Parameters
    ----------
    x : float
        Value in the stored unit (a share as a fraction).
    unit : str, optional
        Codebook unit (``"CNY per year"``, ``"minutes per day"``, ``"share"`` ...).
    lang : {"zh", "en"}
    digits : int, optional
        Decimals after scaling; the unit's default when omitted.

    Examples
    --------
    >>> format_value(12345.6, unit="CNY per year", lang="zh")
    '12,346 元'
    >>> format_value(0.4567, unit="share", lang="en")
    '45.7%'
    """
    check_lang(lang)
    info = unit_info(unit)
    d = info.digits if digits is None else digits
    if _missing(x):
        return MISSING
    number = format_number(float(x) * info.scale, d, thousands=info.thousands)
    return _join(number, info.value[lang], lang)


def format_change(
    x: Any, unit: str | None = None, lang: str = "zh", digits: int | None = None
) -> str:
    """A signed change with its unit; a change in a share is in percentage points.

    Examples
    --------
    >>> format_change(-0.123, unit="share", lang="zh")
    '-12.3 个百分点'
    >>> format_change(5.04, unit="minutes per day", lang="en")
    '+5.0 min'
    """
    check_lang(lang)
    info = unit_info(unit)
    d = info.digits if digits is None else digits
    if _missing(x):
        return MISSING
    number = format_number(float(x) * info.scale, d, sign=True, thousands=info.thousands)
    return _join(number, info.change[lang], lang)


def format_ci(
    estimate: Any,
    lower: Any,
    upper: Any,
    *,
    unit: str | None = None,
    digits: int | None = None,
    sign: bool = False,
) -> str:
    """Estimate and interval as numbers: ``"23.4 [18.1, 28.7]"`` (shares in percent).

    The unit is left to a column or axis label; a missing bound gives the estimate alone.
    """
    info = unit_info(unit)
    d = info.digits if digits is None else digits

    def num(v: Any, signed: bool) -> str:
        if _missing(v):
            return MISSING
        return format_number(float(v) * info.scale, d, sign=signed, thousands=info.thousands)

    head = num(estimate, sign)
    if _missing(lower) or _missing(upper):
        return head
    return f"{head} [{num(lower, False)}, {num(upper, False)}]"


# ------------------------------------------------------------------------------ sentences


def sentence_digits(unit: str | None, ref: float | None = None) -> int | None:
    """Decimals of a number of ``unit`` in a sentence (``None``: three significant digits).

    ``ref`` is the largest magnitude of the sentence in stored units, so that its numbers
    share one precision (whole minutes from 10 minutes on, else one decimal).
    """
    info = unit_info(unit)
    if info.sentence_digits is None:
        big = abs(float(ref)) * info.scale if ref is not None else math.inf
        return 0 if big >= 10 else 1
    return None if info.sentence_digits < 0 else info.sentence_digits


def sentence_number(x: Any, unit: str | None = None, *, ref: float | None = None) -> str:
    """A magnitude (no sign) for a sentence, in display units (a share in percentage points),
    with :func:`sentence_digits` decimals; a unit without rules gets three significant digits.

    >>> sentence_number(-0.0345, "share"), sentence_number(7.84, "hours per day")
    ('3.5', '7.8')
    """
    if _missing(x):
        return MISSING
    info = unit_info(unit)
    v = abs(float(x)) * info.scale
    d = sentence_digits(unit, v / info.scale if ref is None else ref)
    if d is None:
        return f"{v:.3g}"
    return f"{v:,.{d}f}" if info.thousands else f"{v:.{d}f}"


def sentence_unit(unit: str | None, lang: str = "zh") -> str:
    """The word after a number of ``unit`` in a sentence (``"分钟"``, ``"percentage points"``);
    empty when the unit has none."""
    check_lang(lang)
    info = unit_info(unit) if unit in UNITS else None
    if info is None or info.word is None:
        return ""
    return info.word[lang]
