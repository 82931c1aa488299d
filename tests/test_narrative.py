"""Findings as sentences: zh and en, never overstating.

Expected wording follows the rules stated in the issue and in shuangjian_eval.publication.narrative: a
change whose interval includes zero is "not distinguishable from no change" (没有可以确定的变化);
causal words only for causal designs; suppressed cells are not described. Numbers in the
expected sentences are the inputs of each test (hand-made scorecard rows and results), rounded
as the module documents (minutes: whole numbers from 10 up; shares: percentage points, 1
decimal).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import narrative, targets
from shuangjian_eval.estimation.results import EstimateResult


def _row(**over):
    """A scorecard row (the contract columns and the extras the narrative reads)."""
    row = {
        "indicator": "homework_min_weekday",
        "label_zh": "工作日书面作业时长",
        "label_en": "Weekday written homework",
        "unit": "minutes per day",
        "direction": "decrease",
        "kind": "mean",
        "baseline": 60.0,
        "one_year": 37.0,
        "three_year": 30.0,
        "change_1y": -23.0,
        "change_1y_ci_lower": -28.0,
        "change_1y_ci_upper": -18.0,
        "change_3y": -30.0,
        "change_3y_ci_lower": -35.0,
        "change_3y_ci_upper": -25.0,
        "verdict_1y": "effective",
        "verdict_3y": "remarkable",
        "reason_1y": "",
        "reason_3y": "",
        "n": 900,
        "suppressed": False,
        "suppressed_baseline": False,
        "suppressed_one_year": False,
        "suppressed_three_year": False,
    }
    row.update(over)
    return row


# ------------------------------------------------------------------------------ scorecard rows


def test_significant_change_zh_matches_the_issue_example():
    # issue: "工作日书面作业时长较政策前平均减少 23 分钟(95%置信区间:18–28 分钟),
    # 达到'1年内有效减轻'目标。"
    got = narrative.describe_change(_row(), "zh", window="1y")
    assert got == (
        "2022年调查中，工作日书面作业时长较政策前平均减少 23 分钟（95%置信区间：18–28 分钟），"
        "达到“1年内有效减轻”目标。"
    )


def test_significant_change_en():
    got = narrative.describe_change(_row(), "en", window="3y")
    assert got == (
        "In the 2024 survey, weekday written homework fell by 30 minutes on average "
        "(95% CI: 25–35 minutes) compared with before the policy, meeting the 3-year target of "
        "remarkable results."
    )


def test_both_windows_by_default():
    zh = narrative.describe_change(_row(), "zh")
    assert zh.count("。") == 2 and "2022年" in zh and "2024年" in zh


def test_non_significant_change_is_not_described_as_a_change():
    row = _row(change_1y=-2.0, change_1y_ci_lower=-6.0, change_1y_ci_upper=2.0,
               verdict_1y="not_met")  # fmt: skip
    zh = narrative.describe_change(row, "zh", window="1y")
    # one precision a sentence: the largest magnitude (6 minutes) is below 10, so 1 decimal
    assert "没有可以确定的变化（变化 −2.0 分钟，95%置信区间：−6.0 至 2.0 分钟）" in zh
    assert "减少" not in zh and "未达到“1年内有效减轻”目标" in zh
    en = narrative.describe_change(row, "en", window="1y")
    assert "not distinguishable from no change (−2.0 minutes; 95% CI: −6.0 to 2.0 minutes)" in en
    assert "fell" not in en and "rose" not in en


def test_inconclusive_says_the_data_cannot_tell():
    row = _row(change_1y=-5.0, change_1y_ci_lower=-12.0, change_1y_ci_upper=1.0,
               verdict_1y="inconclusive")  # fmt: skip
    assert "尚不能判断是否达到" in narrative.describe_change(row, "zh", window="1y")
    assert "too uncertain to say" in narrative.describe_change(row, "en", window="1y")


def test_shares_in_percentage_points():
    row = _row(
        indicator="tutoring_subject", label_zh="参加学科类校外培训", label_en="Subject tutoring",
        unit="share", kind="share", direction="decrease",
        change_1y=-0.203, change_1y_ci_lower=-0.221, change_1y_ci_upper=-0.186,
    )  # fmt: skip
    zh = narrative.describe_change(row, "zh", window="1y")
    assert "下降 20.3 个百分点（95%置信区间：18.6–22.1 个百分点）" in zh
    en = narrative.describe_change(row, "en", window="1y")
    assert "subject tutoring fell by 20.3 percentage points (95% CI: 18.6–22.1" in en


def test_suppressed_cells_are_not_described():
    row = _row(suppressed=True, suppressed_one_year=True, one_year=np.nan, change_1y=np.nan,
               change_1y_ci_lower=np.nan, change_1y_ci_upper=np.nan, verdict_1y="insufficient",
               reason_1y="suppressed")  # fmt: skip
    zh = narrative.describe_change(row, "zh", window="1y")
    assert zh == "2022年调查中，工作日书面作业时长：该组受访者过少，不予报告。"
    en = narrative.describe_change(row, "en", window="1y")
    assert (
        en
        == "In the 2022 survey, weekday written homework: too few respondents in this group to report."
    )
    assert not re.search(r"\d+ (分钟|minutes)", zh + en)  # no number of the cell
    base = _row(suppressed=True, suppressed_baseline=True)
    assert "政策前（基线）该组受访者过少" in narrative.describe_change(base, "zh", window="3y")


def test_insufficient_data_names_the_reason():
    row = _row(three_year=np.nan, change_3y=np.nan, change_3y_ci_lower=np.nan,
               change_3y_ci_upper=np.nan, verdict_3y="insufficient",
               reason_3y="wave_missing: 2024")  # fmt: skip
    zh = narrative.describe_change(row, "zh", window="3y")
    assert "数据不足" in zh and "数据中缺少2024年调查" in zh
    en = narrative.describe_change(row, "en", window="3y")
    assert "insufficient data" in en and "the data have no 2024 survey" in en


def test_scorecard_rows_are_never_causal():
    with pytest.warns(UserWarning, match="not a causal design"):
        zh = narrative.describe_change(_row(), "zh", causal=True, window="1y")
    assert "政策使" not in zh and "较政策前" in zh


# ------------------------------------------------------------------------------ results


def _result(method, estimate, lower, upper, variable="homework_min_weekday", **options):
    table = pd.DataFrame({"term": ["effect"], "variable": [variable], "estimate": [estimate],
                          "std_error": [(upper - lower) / (2 * 1.959963985)]})  # fmt: skip
    return EstimateResult.from_estimates(table, method=method, options=options)


def test_causal_wording_only_for_causal_designs():
    did = _result("did", -20.0, -25.0, -15.0)
    assert narrative.is_causal(did)
    zh = narrative.describe_change(did, "zh", causal=True)
    assert zh == "政策使工作日书面作业时长平均减少 20 分钟（95%置信区间：15–25 分钟）。"
    en = narrative.describe_change(did, "en", causal=True)
    assert en == (
        "The policy reduced weekday written homework by 20 minutes on average "
        "(95% CI: 15–25 minutes)."
    )
    # the same numbers from a before-after comparison: descriptive wording, with a warning
    ba = _result("mean_diff", -20.0, -25.0, -15.0, between=("wave", 2019, 2022))
    assert not narrative.is_causal(ba)
    with pytest.warns(UserWarning, match="causal design"):
        zh = narrative.describe_change(ba, "zh", causal=True)
    assert "政策使" not in zh and zh.startswith(
        "2022年与2019年相比，工作日书面作业时长平均减少 20 分钟"
    )
    with pytest.warns(UserWarning):
        en = narrative.describe_change(ba, "en", causal=True)
    assert "The policy" not in en and "in 2022 compared with 2019" in en
    # a causal design without the request stays descriptive
    assert "政策使" not in narrative.describe_change(did, "zh")


def test_did_describes_its_focus_term_only():
    # effects.did returns treated, post and treated:post, with res.focus = "treated:post"
    table = pd.DataFrame({"term": ["treated", "post", "treated:post"],
                          "estimate": [5.0, 3.0, -20.0], "std_error": [1.0, 1.0, 2.5]})  # fmt: skip
    did = EstimateResult.from_estimates(
        table, method="did", options={"outcome": "homework_min_weekday"}
    )
    did.focus = "treated:post"
    en = narrative.describe_change(did, "en", causal=True)
    assert en.startswith("The policy reduced weekday written homework by 20 minutes")
    assert en.count(".") == 1 and "by 5 minutes" not in en and "by 3 minutes" not in en


def test_event_study_leads_are_checks_not_effects():
    # effects.event_study marks pre-policy terms with pre=True (placebo / parallel trends)
    table = pd.DataFrame({"term": ["treated:wave=2019", "treated:wave=2022"], "pre": [True, False],
                          "estimate": [0.5, -18.0], "std_error": [1.0, 2.0]})  # fmt: skip
    es = EstimateResult.from_estimates(table, method="event_study",
                                       options={"outcome": "homework_min_weekday"})  # fmt: skip
    zh = narrative.describe_change(es, "zh", causal=True)
    first, second = zh.split("。")[:2]
    assert "政策实施前" in first and "与平行趋势假设一致" in first and "政策使" not in first
    assert second.startswith("政策使工作日书面作业时长（treated:wave=2022）平均减少 18 分钟")
    lead = table.assign(estimate=[6.0, -18.0])
    es2 = EstimateResult.from_estimates(lead, method="event_study",
                                        options={"outcome": "homework_min_weekday"})  # fmt: skip
    assert "parallel trends may not hold" in narrative.describe_change(es2, "en", causal=True)


def test_causal_null_result_is_no_detectable_effect():
    did = _result("event_study", 1.0, -3.0, 5.0)
    zh = narrative.describe_change(did, "zh", causal=True)
    assert (
        zh.startswith("未发现政策对工作日书面作业时长有可辨别的影响") and "−3.0 至 5.0 分钟" in zh
    )
    en = narrative.describe_change(did, "en", causal=True)
    assert en.startswith("No effect of the policy on weekday written homework can be distinguished")


def test_causal_flag_on_a_result():
    flagged = _result("custom_estimator", -1.0, -2.0, -0.5, causal=True)
    assert narrative.is_causal(flagged)
    assert not narrative.is_causal(_result("did", -1.0, -2.0, -0.5, causal=False))


def test_small_and_invalid_result_rows():
    table = pd.DataFrame({"term": ["a", "b"], "variable": ["tutoring_subject"] * 2,
                          "estimate": [-0.1, np.nan], "std_error": [0.02, np.nan],
                          "n": [12, 500], "valid": [True, False],
                          "reason": ["", "empty domain"]})  # fmt: skip
    res = EstimateResult.from_estimates(table, method="mean_diff")
    zh = narrative.describe_change(res, "zh")
    assert "该组样本过少，不予报告" in zh and "无法得到有效估计" in zh and "10.0" not in zh
    en = narrative.describe_change(res, "en")
    assert "too few respondents" in en and "no valid estimate (empty domain)" in en


def test_result_sentences_on_synthetic_data():
    df = sje.synth.generate(seed=3, n_schools=48, students_per_school=20, n_counties=4)
    for lang in ("zh", "en"):
        gaps = narrative.describe_change(
            targets.urban_rural_gaps(df, variables=["tutoring_subject"]), lang
        )
        assert ("城镇与农村相比" if lang == "zh" else "between urban and rural") in gaps
        disp = narrative.describe_change(targets.displacement(df), lang)
        assert ("学科类培训每减少100人" if lang == "zh" else "every 100 fewer students") in disp


# ------------------------------------------------------------------------------ the whole card


@pytest.fixture(scope="module")
def card():
    df = sje.synth.generate(seed=1, n_schools=60, students_per_school=30)
    county = df["county"].cat.categories[1]
    return targets.scorecard(df, region=county)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_describe_scorecard(card, lang):
    sentences = narrative.describe_scorecard(card, lang)
    n_ind = len(card.table)
    figures = sum(bool(card.policy.official_figures(i)) for i in card.table["indicator"])
    rules = len(targets.rules_text(lang).splitlines())
    assert len(sentences) == 1 + 2 * n_ind + figures + rules
    text = "\n".join(sentences)
    assert ("46%" in text) and ("教育部" in text if lang == "zh" else "Ministry" in text)
    small = "该组受访者过少，不予报告" if lang == "zh" else "too few respondents"
    assert small in text  # the county's grade 1-2 cells are below 30 respondents
    # no sentence starts a Markdown list or holds raw HTML
    for s in sentences:
        assert not re.match(r"\s*([-+*]\s|\d+[.)]\s)", s), s
        assert "<" not in s and ">" not in s


def test_sentences_are_markdown_safe():
    row = _row(label_zh="作业<b>*时长*</b>_[x](y)", label_en="Home|work <i>_x_</i>")
    zh = narrative.describe_change(row, "zh", window="1y")
    assert "<b>" not in zh and "\\*时长\\*" in zh and "\\[x\\]" in zh and "&lt;b&gt;" in zh
    en = narrative.describe_change(row, "en", window="1y")
    assert "Home\\|work" in en or "home\\|work" in en
    assert narrative.escape_markdown("1. item", start=True) == "1\\. item"
    assert narrative.escape_markdown("83.5%") == "83.5%"


def test_lang_is_checked():
    with pytest.raises(ValueError, match="lang"):
        narrative.describe_change(_row(), "fr")
    with pytest.raises(TypeError, match="scorecard row"):
        narrative.describe_change(3.0, "zh")


# ------------------------------------------------------------------------------ methods note


@pytest.mark.parametrize(
    "lang, words",
    [
        ("zh", ["抽样设计", "权重", "置信区间", "新冠疫情", "问卷", "减负规定", "试点城市名单"]),
        ("en", ["survey design", "weighted", "confidence intervals", "COVID-19",
                "questionnaires changed", "earlier burden-reduction rules", "pilot cities"]),
    ],
)  # fmt: skip
def test_methods_note_names_design_and_confounders(lang, words):
    note = narrative.methods_note(lang)
    for w in words:
        assert w in note, w
    assert "2020" in note and "2022" in note  # COVID closures 2020-2022
    assert "30" in note  # small-cell rule of policy.yaml


def test_no_warning_for_plain_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        narrative.describe_change(_row(), "en")
        narrative.methods_note("en")


def _robustness(estimates, n=500):
    specs = ["主设定", "加入协变量", "不含固定效应", "不加权"][: len(estimates)]
    table = pd.DataFrame(
        {
            "term": specs,
            "variable": "homework_min_weekday",
            "n_min_cell": n,
            "estimate": estimates,
            "ci_lower": [e - 5 for e in estimates],
            "ci_upper": [e + 5 for e in estimates],
            "std_error": 2.5,
            "statistic": [e / 2.5 for e in estimates],
            "p_value": 0.001,
            "valid": True,
            "reason": "",
            "设定": specs,
        }
    )
    return EstimateResult(table, method="did", options={"by": ["设定"]}, nobs=n)


def test_robustness_sentence_follows_the_numbers():
    close = narrative.describe_robustness(_robustness([-30.0, -29.0, -31.0, -28.5]), "zh")
    assert "不依赖某一种设定" in close and "相差不超过 5%" in close
    apart = narrative.describe_robustness(_robustness([-30.0, -29.0, -15.0, -28.5]), "zh")
    assert "较敏感" in apart and "50%" in apart and "不含固定效应" in apart
    sign = narrative.describe_robustness(_robustness([-30.0, -29.0, 4.0, -28.5]), "en")
    assert "disagree in direction" in sign and "不含固定效应" in sign
    # too few respondents: nothing to compare, and no number of theirs is written
    small = narrative.describe_robustness(_robustness([-30.0, -12.0], n=10), "zh", min_cell=30)
    assert small == narrative._TEXT["robust_none"]["zh"] and "12" not in small
