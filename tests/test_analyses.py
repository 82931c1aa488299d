"""Analysis recipes of the notebooks: parameter checks, comparison groups, effect tables.

Expected values come from ``policy.yaml`` (compulsory grades 1-9, policy date 2021-07-24, target
waves) and from the truth that travels with the synthetic data (``sje.synth.truth``: pilot
cities, first treated waves, which waves were fielded after the policy, true effects).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import analyses

PARAMS = {
    "region": "all",
    "waves": [],
    "baseline_waves": [2019, 2020],
    "comparison": "grade",
    "outcomes": [],
    "lang": "zh",
    "min_cell": 10,
}


@pytest.fixture(scope="module")
def df():
    return sje.synth.generate(n_schools=80, students_per_school=30, n_counties=4, seed=3)


@pytest.fixture(scope="module")
def truth(df):
    return sje.synth.truth(df, form="nested")


def check(df, **changes):
    return analyses.check_parameters(df, **{**PARAMS, **changes}, notebook="causal_effects")


# ------------------------------------------------------------------------------ parameters
def test_defaults_resolve_to_the_data_and_the_notebook(df, truth):
    p = check(df)
    post = [w["wave"] for w in truth["waves"] if w["post_policy"]]
    assert p.waves == (2019, 2020, 2021, 2022, 2024)
    assert p.post_waves == tuple(post) == (2021, 2022, 2024)
    # the registry's defaults for the notebook (codebook.yaml, outcomes: notebooks)
    assert p.outcomes == analyses.default_outcomes("causal_effects") == (
        "homework_min_weekday", "sleep_hours", "tutoring_subject", "tutoring_spend_year",
        "parent_anxiety",
    )  # fmt: skip
    assert p.reference_wave == 2020 and p.last_wave == 2024
    assert p.policy.baseline_waves == [2019, 2020]
    assert "合成演示数据" in p._repr_markdown_()


def test_baseline_waves_reach_the_policy_for_the_scorecard(df):
    p = check(df, baseline_waves=[2020])
    assert p.policy.baseline_waves == [2020]
    assert sje.policy.load().baseline_waves == [2019, 2020]  # the bundled policy is untouched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"waves": [2019, 2023]}, "wave 2023 is not in the data; valid values: 2019, 2020, 2021, 2022, 2024"),
        ({"baseline_waves": [2019, 2022]}, "was fielded after the policy date (2021-07-24); valid values: 2019, 2020"),
        ({"waves": [2020, 2022], "baseline_waves": [2019]}, "baseline wave 2019 is not among the waves used; valid values: 2020, 2022"),
        ({"waves": [2019, 2020]}, "no wave fielded after the policy date"),
        ({"comparison": "cities"}, "comparison 'cities' is not a comparison design; valid values: grade, pilot"),
        ({"outcomes": ["homework_minutes"]}, "outcome 'homework_minutes' is not in the data; valid values: "),
        ({"outcomes": ["weight"]}, "outcome 'weight' is not allowed here"),
        ({"outcomes": ["policy_satisfaction"]}, "outcome 'policy_satisfaction' is not allowed here"),
        ({"lang": "fr"}, "lang 'fr' is not a report language; valid values: zh, en"),
        ({"waves": "2019"}, "waves must be a list"),
        ({"min_cell": 0}, "min_cell must be a whole number"),
    ],
)  # fmt: skip
def test_bad_parameters_stop_with_the_valid_values(df, change, message):
    with pytest.raises(ValueError) as err:
        check(df, **change)
    assert message in str(err.value)


def test_unknown_region_lists_the_counties(df):
    counties = sorted(map(str, df["county"].unique()))
    with pytest.raises(ValueError, match="region '样本县999' is not in the data") as err:
        check(df, region="样本县999")
    assert str(err.value).endswith("valid regions: all, " + ", ".join(counties))


def test_unknown_outcome_lists_the_allowed_outcomes(df):
    with pytest.raises(ValueError) as err:
        check(df, outcomes=["sleep"])
    valid = str(err.value).split("valid values: ")[1].split(", ")
    assert {"homework_min_weekday", "sleep_hours", "tutoring_subject", "parent_anxiety"} <= set(
        valid
    )
    assert "policy_satisfaction" not in valid  # not asked before the policy: no baseline
    assert "weight" not in valid and "wave" not in valid


def test_rating_items_only_for_the_ordinal_notebook(df):
    p = analyses.check_parameters(df, **PARAMS, notebook="parental_anxiety")
    # the registry's defaults (codebook.yaml); policy_satisfaction is asked after the policy
    # only (synth), so it has no baseline and is shown as levels, not in the ordinal model
    assert p.outcomes == ("parent_anxiety", "afterschool_satisfaction", "policy_satisfaction",
                          "anxiety_1")  # fmt: skip
    assert p.pick(kind="rating", scale_item=True, compared=True) == ("anxiety_1",)
    assert p.pick(kind="rating", scale_item=False) == (
        "afterschool_satisfaction", "policy_satisfaction",
    )  # fmt: skip
    with pytest.raises(ValueError, match="'sleep_hours' is not allowed here") as err:
        changed = {**PARAMS, "outcomes": ["sleep_hours"]}
        analyses.check_parameters(df, **changed, notebook="parental_anxiety")
    valid = str(err.value).split("valid values: ")[1].split(", ")
    # the 1-5 ratings of the codebook and the scale score computed from the anxiety items
    assert valid == [
        "afterschool_satisfaction", *(f"anxiety_{i}" for i in range(1, 6)), "parent_anxiety",
        "policy_satisfaction",
    ]  # fmt: skip


def test_one_county_under_the_pilot_design_is_noted_not_refused(df):
    county = str(df["county"].iloc[0])
    p = check(df[df["county"] == county], region=county, comparison="pilot")
    assert any("只有一个比较组" in n for n in p.notes)
    assert any("二手来源" in n for n in p.notes)  # policy.yaml: pilot list unverified


# ------------------------------------------------------------------------------ groups
def test_grade_design_follows_policy_yaml(df, truth):
    g = analyses.comparison_groups(df, "grade")
    lo, hi = sje.policy.load().compulsory_grades
    assert (lo, hi) == (1, 9)
    expected = df["grade"].between(lo, hi).astype(int)
    assert (g["treated"] == expected).all()
    post_waves = {w["wave"] for w in truth["waves"] if w["post_policy"]}
    assert (g["post"] == df["wave"].isin(post_waves).astype(int)).all()
    assert (g["treated_post"] == expected * g["post"]).all()
    # cohort: the synthetic truth's first treated wave in grades 1-9, never treated (0) above
    first = df["city"].astype(str).isin(truth["pilot_cities"]).map(
        {True: truth["first_treated_wave"]["pilot"], False: truth["first_treated_wave"]["non_pilot"]}
    )  # fmt: skip
    assert np.array_equal(g["cohort"], np.where(expected == 1, first, 0))


def test_pilot_design_uses_the_pilot_cities(df, truth):
    g = analyses.comparison_groups(df, "pilot")
    compulsory = df["grade"] <= 9
    pilot = df["city"].astype(str).isin(truth["pilot_cities"])
    assert (g.loc[compulsory, "treated"] == pilot[compulsory].astype(int)).all()
    assert g.loc[~compulsory, "treated"].isna().all()  # senior grades are not compared
    assert set(g["treated"].dropna()) == {0, 1}


def test_waves_outside_the_baseline_are_neither_pre_nor_post(df):
    g = analyses.comparison_groups(df, "grade", baseline_waves=[2020])
    assert g.loc[df["wave"] == 2019, "post"].isna().all()
    assert (g.loc[df["wave"] == 2020, "post"] == 0).all()


def test_income_quintiles_are_weighted_fifths(df):
    g = analyses.comparison_groups(df, "grade")
    shares = (
        g.groupby(["wave", "income_quintile"])["weight"].sum() / g.groupby("wave")["weight"].sum()
    )
    assert np.allclose(shares, 0.2, atol=0.02)


# ------------------------------------------------------------------------------ estimates
@pytest.fixture(scope="module")
def grouped(df):
    return analyses.comparison_groups(df, "grade")


def test_did_covers_the_synthetic_truth(grouped, truth):
    res = analyses.did_table(grouped, ["homework_min_weekday"])
    att = pd.DataFrame(truth["att"])
    att = att[(att["outcome"] == "homework_min_weekday") & (att["by"] == "overall")]
    true = float(np.average(att["att"], weights=att["weight_sum"]))
    row = res.table.iloc[0]
    assert row["valid"] and row["ci_lower"] < true < row["ci_upper"]
    assert res.method == "did" and res.options["absorb"] == ("school_id", "wave")


def test_change_from_baseline_compares_each_post_wave_with_the_pooled_baseline(grouped):
    res = analyses.change_from_baseline(grouped, ["sleep_hours"], baseline_waves=[2019, 2020])
    d = sje.SurveyDesign(grouped.assign(p=grouped["wave"].isin([2019, 2020])), "weight",
                         strata="stratum", psu="school_id")  # fmt: skip
    before = d.mean("sleep_hours", by="p").table.set_index("p").loc[True, "estimate"]
    after = d.mean("sleep_hours", by="wave").table.set_index("wave")["estimate"]
    assert list(res.table["wave"]) == [2021, 2022, 2024]
    assert np.allclose(res.table["estimate"], after.loc[[2021, 2022, 2024]] - before)


def test_staggered_is_invalid_not_an_error_without_comparison_cells(grouped):
    one_cohort = grouped[grouped["grade"] <= 9]  # no never-treated rows
    res = analyses.staggered(one_cohort, "homework_min_weekday", comparison="grade")
    assert not res.table["valid"].any() and "not estimable" in res.table["reason"].iloc[0]


def test_stage_heterogeneity_compares_each_compulsory_stage(grouped):
    res = analyses.heterogeneity(grouped, ["homework_min_weekday"], "stage")
    assert list(res.table["stage"]) == ["primary_lower", "primary_upper", "junior"]
    assert res.table["valid"].all()
    assert res.equality_test["note"].iloc[0]  # the senior comparison group is shared


def test_tables_and_sentences_for_readers(grouped):
    d = analyses.design_for(grouped)
    wide = analyses.table(analyses.estimates_by(d, ["homework_within_limit"]), lang="en")
    assert list(wide.columns[:2]) == ["Indicator", "Survey wave"]
    assert "Senior secondary" not in wide.columns  # the limit does not cover senior grades
    effects = analyses.did_table(grouped, ["sleep_hours", "tutoring_subject"])
    text = analyses.findings(effects, lang="zh", causal=True)
    assert text.count("\n- ") == 1 and text.startswith("- 政策使")
    adjusted = analyses.adjusted_table(effects, lang="en")
    assert {"Holm p", "BH p"} <= set(adjusted.columns)


def test_did_table_suppresses_an_effect_resting_on_a_small_cell(grouped):
    """Known truth of the constructed data: keep only 4 treated respondents (one school) in the
    post-policy waves; the DID's treated x post cell then has 4 respondents, and the published
    table must show no number for it, while the full data's row is published."""
    treated_post = grouped.index[(grouped["treated"] == 1) & (grouped["post"] == 1)]
    one_school = grouped.loc[treated_post, "school_id"].iloc[0]
    keep = treated_post[grouped.loc[treated_post, "school_id"] == one_school][:4]
    small = grouped.drop(treated_post.difference(keep))
    res = analyses.did_table(small, ["homework_min_weekday"])
    assert res.table["n_min_cell"].iloc[0] == 4 and res.table["n_psu_min_cell"].iloc[0] == 1
    shown = analyses.table(res, spread=None, lang="en").to_string()
    assert "suppressed" in shown.lower() or "too few" in shown.lower()
    estimate = f"{res.table['estimate'].iloc[0]:.1f}"
    assert estimate not in shown
    full = analyses.did_table(grouped, ["homework_min_weekday"])
    full = analyses.table(full, spread=None, lang="en")
    assert "suppressed" not in full.to_string().lower()
