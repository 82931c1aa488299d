"""Report tables and number formatting.

Expected values come from known inputs built here (estimates, intervals, p-values and counts
typed into the test frames), from the examples in the brief (``12,346 元``, ``-12.3 个百分点``,
``23.4 [18.1, 28.7]``), from ``codebook.yaml`` labels, and, for the end-to-end check, from the
result object itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import formatting as fmt
from shuangjian_eval import tables
from shuangjian_eval.estimation.results import EstimateResult

CB = sje.codebook.load()
EST = {"zh": "估计值 [95%置信区间]", "en": "Estimate [95% CI]"}


def result(rows: list[dict], method: str = "mean_diff", **kwargs) -> EstimateResult:
    """An EstimateResult from typed-in rows (inference columns given, not recomputed)."""
    base = {"std_error": 1.0, "statistic": 1.0, "p_value": 0.5}
    table = pd.DataFrame([{**base, **r} for r in rows])
    return EstimateResult(table, method=method, **kwargs)


# ------------------------------------------------------------------------------ formatting


def test_values_and_changes_in_the_readers_units():
    # the examples of the brief
    assert fmt.format_value(12345.6, unit="CNY per year", lang="zh") == "12,346 元"
    assert fmt.format_change(-0.123, unit="share", lang="zh") == "-12.3 个百分点"
    assert fmt.format_value(12345.6, unit="CNY per year", lang="en") == "12,346 CNY"
    assert fmt.format_change(-0.123, unit="share", lang="en") == "-12.3 percentage points"
    assert fmt.format_value(0.4567, unit="share", lang="zh") == "45.7%"
    assert fmt.format_value(0.4567, unit="share of income", lang="en") == "45.7%"
    assert fmt.format_value(62.25, unit="minutes per day", lang="zh") == "62.2 分钟"  # half-even
    assert fmt.format_value(62.26, unit="minutes per day", lang="en") == "62.3 min"
    assert fmt.format_value(9.254, unit="hours per day", lang="zh") == "9.25 小时"
    assert fmt.format_change(5.04, unit="minutes per day", lang="zh") == "+5.0 分钟"
    assert fmt.format_change(-1234.4, unit="CNY per year", lang="zh") == "-1,234 元"
    assert fmt.format_value(2024, unit="year") == "2024"  # no thousands separator in a year
    assert fmt.format_value(1234567.0) == "1,234,567.00"


def test_no_minus_zero_and_missing_values():
    assert fmt.format_change(-0.0004, unit="share", lang="zh") == "0.0 个百分点"
    assert fmt.format_number(-0.04, 1) == "0.0"
    assert fmt.format_value(np.nan, unit="share") == fmt.MISSING
    assert fmt.format_value(None, unit="share") == fmt.MISSING
    assert fmt.format_ci(23.4, np.nan, 28.7, unit="minutes per day") == "23.4"
    assert fmt.format_ci(23.41, 18.12, 28.66, unit="minutes per day") == "23.4 [18.1, 28.7]"
    assert fmt.format_ci(23.41, 18.12, 28.66) == "23.41 [18.12, 28.66]"  # no unit: 2 decimals


def test_axis_labels_come_from_the_codebook():
    assert fmt.axis_label("homework_min_weekday", lang="zh") == "工作日书面作业时长（分钟/天）"
    assert fmt.axis_label("tutoring_subject", lang="en") == "Subject tutoring (%)"
    assert (
        fmt.axis_label("tutoring_subject", lang="zh", change=True) == "参加学科类校外培训（百分点）"
    )
    assert fmt.axis_label("tutoring_spend_year", lang="en") == "Tutoring spend a year (CNY a year)"
    assert fmt.category_label("stage", "junior", "zh") == CB["stage"].category_label("junior", "zh")
    assert fmt.category_label("urban", False, "zh") == "农村"
    assert fmt.verdict_label("remarkable", "zh") == "成效显著"
    with pytest.raises(ValueError, match="lang"):
        fmt.format_value(1.0, lang="fr")


# ------------------------------------------------------------------------------ report tables


def test_estimates_with_intervals_in_brackets():
    r = result(
        [
            {"term": "a", "variable": "homework_min_weekday", "estimate": 23.41,
             "ci_lower": 18.12, "ci_upper": 28.66, "p_value": 0.001, "n": 120},
            {"term": "b", "variable": "tutoring_subject", "estimate": -0.1234,
             "ci_lower": -0.2001, "ci_upper": -0.0467, "p_value": 0.002, "n": 300},
            {"term": "c", "variable": "tutoring_spend_year", "estimate": -12345.6,
             "ci_lower": -14500.2, "ci_upper": -10190.0, "p_value": 0.0, "n": 300},
        ]
    )  # fmt: skip
    zh = tables.report_table(r, lang="zh")
    assert list(zh[EST["zh"]]) == [
        "+23.4 [18.1, 28.7]",  # a change: signed
        "-12.3 [-20.0, -4.7]",  # a share: in percentage points
        "-12,346 [-14,500, -10,190]",  # yuan: no decimals, thousands separated
    ]
    assert list(zh["单位"]) == ["分钟/天", "百分点", "元/年"]
    assert list(zh["指标"]) == [
        CB.label(v, "zh")
        for v in ("homework_min_weekday", "tutoring_subject", "tutoring_spend_year")
    ]
    assert list(zh["样本量"]) == ["120", "300", "300"]
    en = tables.report_table(r, lang="en", digits=2)
    assert en[EST["en"]].iloc[0] == "+23.41 [18.12, 28.66]"
    assert list(en["Unit"]) == ["minutes a day", "percentage points", "CNY a year"]


def test_levels_are_unsigned_and_shares_in_percent(tmp_path):
    r = result(
        [
            {"term": "x", "variable": "homework_min_weekday", "estimate": 23.4,
             "ci_lower": 18.1, "ci_upper": 28.7, "n": 50},
            {"term": "y", "variable": "homework_within_limit", "estimate": 0.456,
             "ci_lower": 0.401, "ci_upper": 0.512, "n": 50},
        ],
        method="mean",
    )  # fmt: skip
    t = tables.report_table(r, lang="zh")
    assert list(t[EST["zh"]]) == ["23.4 [18.1, 28.7]", "45.6 [40.1, 51.2]"]
    assert list(t["单位"]) == ["分钟/天", "%"]
    assert "显著性" not in t.columns  # a mean is not tested against zero unless asked
    assert "显著性" in tables.report_table(r, lang="zh", significance=True).columns


def test_significance_in_words_at_the_results_level():
    rows = [
        {"term": "a", "variable": "sleep_hours", "estimate": 0.3, "ci_lower": 0.1, "ci_upper": 0.5, "p_value": 0.003},
        {"term": "b", "variable": "sleep_hours", "estimate": 0.1, "ci_lower": -0.1, "ci_upper": 0.3, "p_value": 0.31},
        {"term": "c", "variable": "sleep_hours", "estimate": 0.2, "ci_lower": -0.01, "ci_upper": 0.41, "p_value": 0.07},
    ]  # fmt: skip
    zh = tables.report_table(result(rows), lang="zh")
    assert list(zh["显著性"]) == ["与零差异显著", "与零无显著差异", "与零无显著差异"]
    en = tables.report_table(result(rows), lang="en")
    assert list(en["Significance"]) == [
        "different from zero",
        "not distinguishable from zero",
        "not distinguishable from zero",
    ]
    # at a 90% level p = 0.07 is below alpha = 0.10
    at90 = tables.report_table(result(rows, level=0.9), lang="zh")
    assert list(at90["显著性"]) == ["与零差异显著", "与零无显著差异", "与零差异显著"]
    assert "估计值 [90%置信区间]" in at90.columns
    assert any("p<0.1" in n for n in at90.attrs["notes"])


def test_small_cells_are_suppressed_and_marked():
    rows = [
        {"term": "a", "variable": "sleep_hours", "estimate": 9.1, "ci_lower": 8.9, "ci_upper": 9.3, "n": 9, "p_value": 0.0},
        {"term": "b", "variable": "sleep_hours", "estimate": 9.2, "ci_lower": 9.0, "ci_upper": 9.4, "n": 10, "p_value": 0.0},
        {"term": "c", "variable": "sleep_hours", "estimate": 9.3, "ci_lower": 9.1, "ci_upper": 9.5, "n": 80, "n_psu": 1, "p_value": 0.0},
    ]  # fmt: skip
    zh = tables.report_table(result(rows), lang="zh", min_cell=10)
    assert list(zh[EST["zh"]]) == ["样本不足", "+9.20 [9.00, 9.40]", "样本不足（抽样单位少于2个）"]
    assert list(zh["样本量"]) == ["<10", "10", "80"]  # the count of a small cell is not shown
    assert list(zh["显著性"]) == ["", "与零差异显著", ""]
    assert zh["说明"].iloc[0] == "受访者少于10人"
    assert zh.attrs["suppressed"] == [0, 2]
    en = tables.report_table(result(rows), lang="en", min_cell=10)
    assert en[EST["en"]].iloc[0] == "suppressed: too few respondents"
    assert en[EST["en"]].iloc[2] == "suppressed: fewer than 2 PSUs"
    # a larger threshold suppresses the second row too
    assert (
        tables.report_table(result(rows), lang="zh", min_cell=11)[EST["zh"]].iloc[1] == "样本不足"
    )


def test_invalid_statistics_show_their_reason():
    rows = [
        {"term": "a", "variable": "sleep_hours", "estimate": np.nan, "ci_lower": np.nan,
         "ci_upper": np.nan, "n": 0, "valid": False, "reason": "empty domain"},
    ]  # fmt: skip
    zh = tables.report_table(result(rows), lang="zh")
    assert zh[EST["zh"]].iloc[0] == "无法计算"
    assert zh["说明"].iloc[0] == "无法计算：empty domain"
    en = tables.report_table(result(rows), lang="en")
    assert en[EST["en"]].iloc[0] == "not computed"
    assert en["Note"].iloc[0] == "not computed: empty domain"


def test_html_escapes_every_piece_of_text():
    evil = "<script>alert('x')</script>"
    rows = [
        {"term": evil, "estimate": 1.0, "ci_lower": 0.5, "ci_upper": 1.5, "county": evil, "n": 40},
        {"term": "t2", "estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "county": "ok",
         "n": 40, "valid": False, "reason": evil},
    ]  # fmt: skip
    frame = pd.DataFrame(rows).assign(std_error=0.2, statistic=5.0, p_value=0.0)
    t = tables.report_table(frame, lang="zh")
    t = t.rename(columns={"项": evil})  # a header with markup
    page = tables.to_html(t, caption=evil)
    assert "<script" not in page
    assert page.count("&lt;script&gt;") == 5  # term, county, reason, header, caption
    assert "<td" in page and "无法计算" in page
    styled = tables.to_styler(t).to_html()
    assert "<script" not in styled


def test_domains_and_categories_are_labelled_from_the_codebook():
    df = sje.synth.generate(n_schools=16, n_counties=4, students_per_school=20, seed=1)
    design = sje.SurveyDesign(df, "weight", strata="stratum", psu="school_id")
    r = design.mean(["homework_min_weekday"], by=["wave", "stage"])
    t = tables.report_table(r, lang="zh")
    frame = r.to_frame()
    assert list(t.columns[:3]) == [CB.label("wave", "zh"), CB.label("stage", "zh"), "指标"]
    assert len(t) == len(frame)
    assert list(t["学段"][:4]) == [CB["stage"].category_label(c, "zh") for c in frame["stage"][:4]]
    first = frame.iloc[0]
    expected = f"{first['estimate']:.1f} [{first['ci_lower']:.1f}, {first['ci_upper']:.1f}]"
    assert t[EST["zh"]].iloc[0] == expected  # the result's own numbers, rounded
    p = design.proportion("stage", by="wave")
    tp = tables.report_table(p, lang="en")
    assert tp["Indicator"].iloc[0] == "School stage: Primary grades 1-2"
    assert set(tp["Unit"]) == {"%"}


def scorecard_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["homework_min_weekday", "tutoring_subject", "parent_anxiety"],
            "label_zh": ["工作日书面作业时长", "参加学科类校外培训", "家长教育焦虑<b>"],
            "label_en": ["Weekday written homework", "Subject tutoring", "Parental anxiety"],
            "unit": ["minutes per day", "share", "scale score 1-5"],
            "baseline": [72.4, 0.48, 3.4],
            "baseline_ci_lower": [70.0, 0.45, 3.3],
            "baseline_ci_upper": [75.0, 0.51, 3.5],
            "change_1y": [-12.3, -0.21, -0.1],
            "change_1y_ci_lower": [-15.1, -0.25, -0.2],
            "change_1y_ci_upper": [-9.5, -0.17, 0.0],
            "change_3y": [-20.1, -0.30, -0.2],
            "change_3y_ci_lower": [-23.0, -0.34, -0.3],
            "change_3y_ci_upper": [-17.2, -0.26, -0.1],
            "verdict_1y": ["effective", "inconclusive", "insufficient"],
            "verdict_3y": ["remarkable", "not_met", "insufficient"],
            "n": [2000, 2000, 8],
            "suppressed": [False, False, True],
        }
    )


def test_scorecard_table():
    t = tables.scorecard_table(scorecard_frame(), lang="zh")
    row = t.iloc[0]
    assert row["基线 [95%置信区间]"] == "72.4 [70.0, 75.0]"
    assert row["1年变化 [95%置信区间]"] == "-12.3 [-15.1, -9.5]"
    assert row["1年评价"] == "有效减轻" and row["3年评价"] == "成效显著"
    assert t.iloc[1]["3年变化 [95%置信区间]"] == "-30.0 [-34.0, -26.0]"
    assert t.iloc[1]["单位"] == "% / 百分点"
    assert t.iloc[1]["1年评价"] == "尚无定论" and t.iloc[1]["3年评价"] == "未达到"
    assert set(t.iloc[2].drop(["指标", "单位", "样本量"])) == {"样本不足"}
    # 8 respondents: below the scorecard's rule of policy.yaml (suppression.overrides, 30)
    assert t.iloc[2]["样本量"] == "<30"
    assert (
        tables.scorecard_table(scorecard_frame(), lang="zh", min_cell=10).iloc[2]["样本量"] == "<10"
    )
    assert t.attrs["suppressed"] == [2]
    en = tables.scorecard_table(scorecard_frame(), lang="en")
    assert en.iloc[0]["Verdict, 3 years"] == "Remarkable"
    assert "&lt;b&gt;" in tables.to_html(t)
