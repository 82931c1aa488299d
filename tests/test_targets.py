"""The 1-year / 3-year scorecard, its verdict rules, displacement and equity.

Expected values name their source: the verdict rules in policy.yaml (``targets.verdict``:
10 % / 25 % of the baseline gap to the burden-free value, 95 % intervals, 30 respondents and
2 schools a cell), or the known truth of synthetic data (``sje.synth.truth(df)``: true ATTs;
the synth module documents that the untreated tutoring outcomes are stationary, so for them
the before-after change estimates the ATT, while homework has a common upward trend of
``sje.synth._TREND`` minutes a year). Scenario seeds were checked over 10-12 seeds each while
developing (remarkable 10/10, effective 10/10, not met 10/10 at this size, inconclusive 11/12:
a wide interval straddles the threshold only with high probability, so that test also asserts
the interval property that makes the verdict).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import targets
from shuangjian_eval.publication.targets import Indicator, VerdictRules, classify, window_verdict

POL = sje.policy.load()
RULES = VerdictRules.from_policy(POL)
QUICK = ["homework_min_weekday", "tutoring_subject"]


def _truth(df, outcome, wave, by="overall", group=None):
    att = sje.synth.truth(df)
    sel = (att.outcome == outcome) & (att.wave == wave) & (att.by == by)
    if group is not None:
        sel &= att.group == group
    return float(att.loc[sel, "att"].iloc[0])


def _truth_verdict(relative_improvement_1y, relative_improvement_3y):
    """The verdict the truth implies under policy.yaml's thresholds (no sampling error)."""

    def level(r, t):
        return r >= t

    v1 = "effective" if level(relative_improvement_1y, RULES.effective) else "not_met"
    if level(relative_improvement_3y, RULES.remarkable):
        v3 = "remarkable"
    elif level(relative_improvement_3y, RULES.effective):
        v3 = "effective"
    else:
        v3 = "not_met"
    return v1, v3


@pytest.fixture(scope="module")
def default_df():
    return sje.synth.generate(seed=1, n_schools=120, students_per_school=40)


@pytest.fixture(scope="module")
def default_card(default_df):
    return targets.scorecard(default_df, lang="en")


# ------------------------------------------------------------------------------ the contract


def test_frame_has_exactly_the_contract_columns_first(default_card):
    frame = default_card.to_frame()
    assert tuple(frame.columns[: len(targets.CONTRACT_COLUMNS)]) == targets.CONTRACT_COLUMNS
    assert targets.CONTRACT_COLUMNS[0] == "indicator" and targets.CONTRACT_COLUMNS[-1] == (
        "official_source"
    )
    assert len(targets.CONTRACT_COLUMNS) == 26
    assert set(frame["verdict_1y"]) | set(frame["verdict_3y"]) <= set(targets.VERDICTS)
    assert frame["indicator"].is_unique
    ids = set(frame["indicator"])
    for stage in ("primary_lower", "primary_upper", "junior"):  # limits by stage (opinions)
        assert f"homework_within_limit_{stage}" in ids
    assert set(frame["direction"]) == {"decrease", "increase"}


def test_repr_summary_and_rules(default_card):
    text = default_card.summary()
    assert "Verdict rules" in text and "10%" in text and "25%" in text
    assert default_card.rules == targets.rules_text("en", default_card.verdict_rules)
    html_text = default_card._repr_html_()
    assert html_text.startswith('<div class="sje-scorecard">') and "Verdict rules" in html_text


def test_html_escapes_labels(default_df):
    evil = Indicator(
        "evil", "tutoring_subject", "share", "decrease", 0.0, "share",
        {"zh": "<script>x</script>", "en": "<script>x</script>"},
    )  # fmt: skip
    card = targets.scorecard(default_df, indicators=[evil], lang="en")
    assert "<script>" not in card._repr_html_()
    assert "&lt;script&gt;" in card._repr_html_()


# ------------------------------------------------------------------------------ verdict logic


@pytest.mark.parametrize(
    "g, lo, hi, t, rule, expected",
    [
        # rules of policy.yaml targets.verdict, met_rule "estimate"
        (0.30, 0.20, 0.40, 0.10, "estimate", "met"),  # significant, beyond the threshold
        (0.12, 0.05, 0.19, 0.10, "estimate", "met"),  # estimate reaches it, CI excludes 0
        (0.12, -0.01, 0.25, 0.10, "estimate", "inconclusive"),  # CI includes 0 and threshold
        (0.05, 0.02, 0.08, 0.10, "estimate", "not_met"),  # significant but too small
        (0.00, -0.03, 0.03, 0.10, "estimate", "not_met"),  # no change, precisely
        (-0.2, -0.3, -0.1, 0.10, "estimate", "not_met"),  # worse
        (0.08, 0.02, 0.14, 0.10, "estimate", "inconclusive"),  # CI straddles the threshold
        # met_rule "lower_bound": the whole interval must clear the threshold
        (0.12, 0.05, 0.19, 0.10, "lower_bound", "inconclusive"),
        (0.30, 0.20, 0.40, 0.10, "lower_bound", "met"),
    ],
)
def test_classify(g, lo, hi, t, rule, expected):
    assert classify(g, lo, hi, t, rule) == expected


@pytest.mark.parametrize(
    "window, g, lo, hi, expected",
    [
        ("1y", 0.30, 0.20, 0.40, "effective"),  # a 1-year verdict is never "remarkable"
        ("3y", 0.30, 0.26, 0.34, "remarkable"),
        ("3y", 0.18, 0.14, 0.22, "effective"),  # meets 10 %, not 25 %
        ("3y", 0.22, 0.15, 0.29, "effective"),  # 25 % undecided, 10 % met: at least effective
        ("3y", 0.05, 0.02, 0.08, "not_met"),
        ("3y", 0.06, -0.02, 0.14, "not_met"),  # cannot reach 25 % (the 3-year target)
        ("3y", 0.10, -0.05, 0.30, "inconclusive"),
    ],
)
def test_window_verdict(window, g, lo, hi, expected):
    assert window_verdict(window, g, lo, hi, 0.10, 0.25) == expected


def test_thresholds_are_relative_to_the_burden_free_value():
    ind = {i.id: i for i in targets.default_indicators()}
    # minutes: 10 % of 60 minutes (ideal 0)
    assert RULES.threshold(ind["homework_min_weekday"], 60.0, "1y") == pytest.approx(6.0)
    # a share that should rise: 10 % of the shortfall from 100 %
    assert RULES.threshold(ind["homework_within_limit"], 0.46, "1y") == pytest.approx(0.054)
    assert RULES.threshold(ind["homework_within_limit"], 0.46, "3y") == pytest.approx(0.135)
    # anxiety scale: distance from 1, its lowest value
    assert RULES.threshold(ind["parent_anxiety"], 3.0, "1y") == pytest.approx(0.2)
    points = VerdictRules.from_policy(POL, {"share_scale": "points"})
    assert points.threshold(ind["tutoring_subject"], 0.4, "3y") == pytest.approx(0.10)
    assert points.threshold(ind["homework_min_weekday"], 60.0, "3y") == pytest.approx(15.0)
    assert np.isnan(RULES.threshold(ind["tutoring_subject"], 0.0, "1y"))


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="unknown verdict rule"):
        VerdictRules.from_policy(POL, {"effectiv": 0.1})
    with pytest.raises(ValueError, match="met_rule"):
        VerdictRules.from_policy(POL, {"met_rule": "vibes"})
    with pytest.raises(ValueError, match="3-year"):
        VerdictRules.from_policy(POL, {"remarkable": 0.05})


# ------------------------------------------------------------------------------ verdicts on data


@pytest.fixture(scope="module")
def remarkable_df():
    return sje.synth.generate(seed=0, n_schools=100, effects={"homework_min_weekday": -45.0})


def test_large_homework_effect_is_remarkable(remarkable_df):
    df = remarkable_df
    row = targets.scorecard(df, indicators=QUICK).to_frame().set_index("indicator")
    hw = row.loc["homework_min_weekday"]
    # truth: ATT plus the common Y0 trend (2 minutes a year from the pooled baseline, 2019.5)
    trend = sje.synth._TREND["homework_min_weekday"]
    true_1y = _truth(df, "homework_min_weekday", 2022) + trend * (2022 - 2019.5)
    true_3y = _truth(df, "homework_min_weekday", 2024) + trend * (2024 - 2019.5)
    expected = _truth_verdict(-true_1y / hw["baseline"], -true_3y / hw["baseline"])
    assert expected == ("effective", "remarkable")
    assert -true_3y / hw["baseline"] > 2 * RULES.remarkable  # far from the threshold
    assert (hw["verdict_1y"], hw["verdict_3y"]) == expected
    assert hw["change_3y_ci_upper"] < -RULES.remarkable * hw["baseline"]


@pytest.fixture(scope="module")
def effective_df():
    # subject tutoring about 18 % below its baseline at both marks (no growth): between the
    # 10 % and the 25 % thresholds
    return sje.synth.generate(
        seed=0, n_schools=100, effects={"tutoring_subject": -0.065, "growth_three_year": 1.0}
    )


def test_moderate_effect_is_effective_not_remarkable(effective_df):
    df = effective_df
    row = targets.scorecard(df, indicators=QUICK).to_frame().set_index("indicator")
    tut = row.loc["tutoring_subject"]
    rel_1y = -_truth(df, "tutoring_subject", 2022) / tut["baseline"]
    rel_3y = -_truth(df, "tutoring_subject", 2024) / tut["baseline"]
    assert 0.14 < rel_1y < 0.22 and 0.14 < rel_3y < 0.22  # the scenario sits between thresholds
    assert (tut["verdict_1y"], tut["verdict_3y"]) == _truth_verdict(rel_1y, rel_3y)
    assert (tut["verdict_1y"], tut["verdict_3y"]) == ("effective", "effective")


@pytest.fixture(scope="module")
def null_df():
    return sje.synth.generate(
        seed=2, n_schools=200, students_per_school=50,
        effects={"tutoring_subject": 0.0, "homework_min_weekday": 0.0},
    )  # fmt: skip


def test_zero_effect_is_not_met(null_df):
    row = targets.scorecard(null_df, indicators=QUICK).to_frame().set_index("indicator")
    tut = row.loc["tutoring_subject"]
    assert _truth(null_df, "tutoring_subject", 2022) == 0.0  # truth: no effect
    # the interval is narrow enough to rule out a 10 % fall: not met rather than inconclusive
    assert -tut["change_1y_ci_lower"] < tut["threshold_1y"]
    assert (tut["verdict_1y"], tut["verdict_3y"]) == ("not_met", "not_met")
    # homework without an effect rises with the common trend: a change for the worse
    hw = row.loc["homework_min_weekday"]
    assert hw["change_1y_ci_lower"] > 0
    assert (hw["verdict_1y"], hw["verdict_3y"]) == ("not_met", "not_met")


def test_wide_interval_is_inconclusive():
    # one small county: the interval holds both "no change" and the 10 % threshold
    df = sje.synth.generate(
        seed=0, n_schools=48, students_per_school=12, n_counties=6,
        effects={"tutoring_subject": -0.02},
    )  # fmt: skip
    county = df["county"].cat.categories[0]
    row = targets.scorecard(df, indicators=["tutoring_subject"], region=county).to_frame().iloc[0]
    g_lo, g_hi = -row["change_1y_ci_upper"], -row["change_1y_ci_lower"]
    assert g_lo < 0 < row["threshold_1y"] < g_hi
    assert row["verdict_1y"] == "inconclusive"
    assert not row["suppressed"]


def test_missing_wave_is_insufficient(default_df):
    df = default_df[default_df["wave"] != 2024]
    row = targets.scorecard(df, indicators=QUICK).to_frame().set_index("indicator")
    assert (row["verdict_3y"] == "insufficient").all()
    assert (row["reason_3y"] == "wave_missing: 2024").all()
    assert row["three_year"].isna().all() and row["change_3y"].isna().all()
    assert (row["verdict_1y"] != "insufficient").all()  # the 1-year mark is still judged
    no_base = targets.scorecard(default_df[default_df["wave"] >= 2021], indicators=QUICK)
    assert (no_base.to_frame()["reason_1y"] == "wave_missing: 2019, 2020").all()


def test_too_few_respondents_are_suppressed_and_insufficient(default_df):
    card = targets.scorecard(default_df, indicators=QUICK, min_cell=10**6)
    frame = card.to_frame()
    assert frame["suppressed"].all()
    assert (frame[["verdict_1y", "verdict_3y"]] == "insufficient").all().all()
    assert (frame["reason_1y"] == "suppressed").all()
    numbers = [c for c in targets.CONTRACT_COLUMNS if c.startswith(("baseline", "one_", "three_"))]
    assert frame[numbers].isna().all().all()  # nothing of a suppressed cell is published
    assert card.verdict_rules.min_cell == 10**6


def test_too_few_schools_are_suppressed(default_df):
    card = targets.scorecard(default_df, indicators=QUICK, rules={"min_psu": 10**4})
    assert card.to_frame()["suppressed"].all()


def test_policy_satisfaction_has_no_baseline(default_card):
    # codebook: policy_satisfaction is not asked before the policy
    row = default_card.to_frame().set_index("indicator").loc["policy_satisfied"]
    assert row["reason_1y"] == "no_data: baseline"
    assert np.isfinite(row["one_year"])  # the level after the policy is still reported
    # judged as a level against the national figure (85 % satisfied, policy.yaml) instead
    assert row["official_value"] == 0.85
    for window, period in (("1y", "one_year"), ("3y", "three_year")):
        lo, hi = row[f"{period}_ci_lower"], row[f"{period}_ci_upper"]
        expected = "level_better" if lo > 0.85 else "level_worse" if hi < 0.85 else "level_similar"
        assert row[f"verdict_{window}"] == expected


def test_level_verdict_follows_the_good_direction():
    assert targets.level_verdict(+1, 0.90, 0.95, 0.85) == "level_better"
    assert targets.level_verdict(+1, 0.70, 0.80, 0.85) == "level_worse"
    assert targets.level_verdict(+1, 0.80, 0.90, 0.85) == "level_similar"
    assert targets.level_verdict(-1, 0.10, 0.12, 0.165) == "level_better"  # lower is better
    assert targets.level_verdict(-1, 0.20, 0.25, 0.165) == "level_worse"


def test_direction_is_declared_per_indicator(default_df, default_card):
    frame = default_card.to_frame().set_index("indicator")
    # after-school participation should rise; truth ATT about 0.4, far beyond 25 % of the
    # shortfall from 100 %
    after = frame.loc["afterschool_participation"]
    assert _truth(default_df, "afterschool_participation", 2024) > 2 * after["threshold_3y"]
    assert after["direction"] == "increase" and after["verdict_3y"] == "remarkable"
    # hidden tutoring should fall; the truth is a rise (substitution): not met
    hidden = frame.loc["tutoring_hidden"]
    assert _truth(default_df, "tutoring_hidden", 2022) > 0
    assert hidden["change_1y_ci_lower"] > 0
    assert (hidden["verdict_1y"], hidden["verdict_3y"]) == ("not_met", "not_met")


def test_rules_can_be_overridden(default_df):
    # subject tutoring fell by about 48 % of its baseline: short of a 60 % threshold
    strict = targets.scorecard(
        default_df, indicators=["tutoring_subject"], rules={"effective": 0.6, "remarkable": 0.9}
    )
    assert strict.to_frame().iloc[0]["verdict_1y"] == "not_met"
    assert "之差的60%（1年）或90%（3年）" in strict.rules  # default lang zh


# ------------------------------------------------------------------------------ estimates


def _with_period(df):
    period = np.select(
        [df["wave"].isin([2019, 2020]), df["wave"] == 2022, df["wave"] == 2024],
        ["baseline", "one_year", "three_year"],
        None,
    ).astype(object)
    period[~(df["grade"] <= 9).to_numpy(bool)] = None
    return df.assign(period=period)


def test_estimates_are_design_based_with_shared_psus(default_df, default_card):
    # source: SurveyDesign.mean / mean_diff (verified against R survey in tests/test_survey.py)
    d = sje.SurveyDesign(_with_period(default_df), "weight", strata="stratum", psu="school_id")
    row = default_card.to_frame().set_index("indicator").loc["homework_min_weekday"]
    base = d.mean("homework_min_weekday", by="period", df="design").table.set_index("period")
    assert row["baseline"] == pytest.approx(base.loc["baseline", "estimate"])
    assert row["baseline_ci_upper"] == pytest.approx(base.loc["baseline", "ci_upper"])
    diff = d.mean_diff(
        "homework_min_weekday", between=("period", "baseline", "three_year"), df="design"
    ).table.iloc[0]
    assert row["change_3y"] == pytest.approx(diff["estimate"])
    assert row["change_3y_ci_lower"] == pytest.approx(diff["ci_lower"])
    assert row["n_baseline"] == base.loc["baseline", "n"]
    assert row["n"] == row["n_baseline"] + row["n_one_year"] + row["n_three_year"]


def test_region_is_a_domain_and_matches_the_subset_when_strata_nest(default_df):
    # the demo's strata are county x urban/rural: a county domain equals the county subset
    county = default_df["county"].cat.categories[2]
    dom = targets.scorecard(default_df, indicators=QUICK, region=county).to_frame()
    sub = targets.scorecard(default_df[default_df["county"] == county], indicators=QUICK)
    cols = ["baseline", "change_1y", "change_1y_ci_lower", "change_3y_ci_upper", "n"]
    pd.testing.assert_frame_equal(dom[cols], sub.to_frame()[cols])
    assert not np.allclose(dom["baseline"], targets.scorecard(default_df, indicators=QUICK)
                           .to_frame()["baseline"])  # fmt: skip
    with pytest.raises(ValueError, match="not in the data"):
        targets.scorecard(default_df, region="不存在县")


def test_official_figure_beside_the_estimate(default_card):
    frame = default_card.to_frame().set_index("indicator")
    hw = frame.loc["homework_within_limit"]
    # MoE press release 2021-12-21: 46 % before, over 90 % after
    assert "46%" in hw["official_figure"] and hw["official_value"] == 0.90
    assert "Ministry of Education" in hw["official_source"] and hw["official_comparable"]
    assert np.isnan(frame.loc["sleep_meets_standard", "official_value"])  # context only
    assert frame.loc["parent_anxiety", "official_figure"] == ""


def test_design_settings_are_used(default_df):
    # a design's settings (here lonely_psu) carry over; with no lonely strata they agree
    design = sje.SurveyDesign(
        default_df, "weight", strata="stratum", psu="school_id", lonely_psu="adjust"
    )
    got = targets.scorecard(None, design=design, indicators=QUICK).to_frame()
    ref = targets.scorecard(default_df, indicators=QUICK).to_frame()
    pd.testing.assert_frame_equal(got[["baseline", "change_1y_ci_lower"]],
                                  ref[["baseline", "change_1y_ci_lower"]])  # fmt: skip
    no_strata = sje.SurveyDesign(default_df, "weight", psu="school_id")
    wider = targets.scorecard(default_df, design=no_strata, indicators=QUICK).to_frame()
    assert not np.allclose(wider["change_1y_ci_lower"], ref["change_1y_ci_lower"])


def test_lang_is_checked(default_df):
    with pytest.raises(ValueError, match="lang"):
        targets.scorecard(default_df, lang="fr")
    with pytest.raises(ValueError, match="unknown indicator"):
        targets.scorecard(default_df, indicators=["homework"])


# ------------------------------------------------------------------------------ displacement, equity


def test_contrast_variance_reproduces_mean_diff(default_df):
    # the linearised contrast behind gap changes and ratios gives mean_diff's numbers exactly
    got = targets.change_by_group(default_df, "tutoring_subject", "urban").to_frame()
    d = sje.SurveyDesign(_with_period(default_df), "weight", strata="stratum", psu="school_id")
    ref = d.mean_diff(
        "tutoring_subject", between=("period", "baseline", "one_year"), by="urban", df="design"
    ).table
    mine = got[got["window"] == "1y"].sort_values("urban")
    ref = ref.sort_values("urban")
    np.testing.assert_allclose(mine["estimate"], ref["estimate"], rtol=1e-10)
    np.testing.assert_allclose(mine["std_error"], ref["std_error"], rtol=1e-10)
    np.testing.assert_array_equal(mine["df"], ref["df"])


def test_urban_rural_gap_change_recovers_the_truth(default_df):
    res = targets.urban_rural_gaps(default_df, variables=["tutoring_subject"]).to_frame()
    gap = res[(res["quantity"] == "gap_change") & (res["window"] == "1y")].iloc[0]
    truth = _truth(default_df, "tutoring_subject", 2022, "urban", "urban") - _truth(
        default_df, "tutoring_subject", 2022, "urban", "rural"
    )
    assert abs(gap["estimate"] - truth) < 3.5 * gap["std_error"]


def test_spend_by_income_quintile_recovers_the_truth(default_df):
    # truth: ATT by weighted income quintile within wave (synth); Y0 of tutoring is stationary
    q = targets.income_quintile(default_df)
    shares = default_df.groupby([default_df["wave"], q])["weight"].sum()
    shares = shares / shares.groupby(level=0).transform("sum")
    assert np.allclose(shares, 0.2, atol=0.01)  # each quintile a fifth of the weighted wave
    res = targets.spend_by_income(default_df, variables=["tutoring_subject"]).to_frame()
    change = res[(res["quantity"] == "change") & (res["window"] == "1y")]
    for _, r in change.iterrows():
        truth = _truth(
            default_df, "tutoring_subject", 2022, "income_quintile", r["income_quintile"]
        )
        assert abs(r["estimate"] - truth) < 3.5 * r["std_error"], r["income_quintile"]
    assert set(res.loc[res["quantity"] == "gap_change", "income_quintile"]) == {
        "Q2",
        "Q3",
        "Q4",
        "Q5",
    }


def test_displacement_recovers_substitution(default_df):
    res = targets.displacement(default_df).to_frame().set_index("term")
    hidden = res.loc["tutoring_hidden: change 1y"]
    assert abs(hidden["estimate"] - _truth(default_df, "tutoring_hidden", 2022)) < (
        3.5 * hidden["std_error"]
    )
    ratio = res.loc["substitution tutoring_hidden 1y"]
    true_ratio = _truth(default_df, "tutoring_hidden", 2022) / -_truth(
        default_df, "tutoring_subject", 2022
    )
    assert ratio["valid"] and abs(ratio["estimate"] - true_ratio) < 3.5 * ratio["std_error"]


def test_substitution_ratio_needs_a_fall_in_subject_tutoring(null_df):
    res = targets.displacement(null_df).to_frame()
    ratios = res[res["quantity"] == "substitution_ratio"]
    assert not ratios["valid"].any()
    assert (ratios["reason"] == "subject tutoring did not fall significantly").all()


def test_small_groups_are_suppressed_in_equity_results(default_df):
    res = targets.urban_rural_gaps(default_df, variables=["tutoring_subject"], min_cell=10**6)
    frame = res.to_frame()
    assert not frame["valid"].any() and frame["reason"].str.startswith("suppressed").all()
