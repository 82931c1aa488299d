"""Synthetic survey generator: canonical form, sampling design, and recovery of its known truths.

Every expected value comes from the known truth of the synthetic design: the frame totals and the
true ATTs stored in ``df.attrs["synth"]``, the construction of the weights (they sum to the
frame's enrollment), parallel trends built into the untreated outcomes, and the one-factor model
of the anxiety items. Sizes are small so the file runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import synth

CB = sje.codebook.load()
TRUTH_WAVES = (2019, 2020, 2021, 2022, 2024)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return synth.generate(n_schools=160, students_per_school=40, waves=TRUTH_WAVES, seed=0)


def true_att(df: pd.DataFrame, outcome: str, wave: int, by: str = "overall", group=None) -> float:
    recs = [
        r
        for r in synth.truth(df, form="nested")["att"]
        if r["outcome"] == outcome
        and r["wave"] == wave
        and r["by"] == by
        and (group is None or r["group"] == group)
    ]
    assert len(recs) == 1, (outcome, wave, by, group)
    return recs[0]["att"]


def assert_same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Values, dtypes and categories equal (faster than assert_frame_equal on categoricals)."""
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.equals(b.dtypes)
    assert a.equals(b)


def did_with_cluster_bootstrap(
    df: pd.DataFrame, outcome: str, pre: int, post: int, reps: int = 400
) -> tuple[float, float]:
    """2x2 difference in weighted means, grades 1-9 minus 10-12, and its school-bootstrap SE."""
    y = df[outcome].to_numpy(dtype=float, na_value=np.nan)
    wave = df["wave"].to_numpy(dtype=int)
    comp = df["grade"].to_numpy(dtype=int) <= 9
    cell = np.select(
        [
            comp & (wave == post),
            comp & (wave == pre),
            ~comp & (wave == post),
            ~comp & (wave == pre),
        ],
        [0, 1, 2, 3],
        -1,
    )
    keep = (cell >= 0) & np.isfinite(y)
    school = df["school_id"].cat.codes.to_numpy().astype(np.int64)[keep]
    n_schools = int(school.max()) + 1
    key = school * 4 + cell[keep]
    w = df["weight"].to_numpy()[keep]
    sw = np.bincount(key, w, n_schools * 4).reshape(n_schools, 4)
    swy = np.bincount(key, w * y[keep], n_schools * 4).reshape(n_schools, 4)

    def contrast(m: np.ndarray) -> np.ndarray:
        return (m[..., 0] - m[..., 1]) - (m[..., 2] - m[..., 3])

    estimate = contrast(swy.sum(0) / sw.sum(0))
    draws = np.random.default_rng(1).multinomial(n_schools, np.full(n_schools, 1 / n_schools), reps)
    boot = contrast((draws @ swy) / (draws @ sw))
    return float(estimate), float(boot.std(ddof=1))


# --------------------------------------------------------------------------- canonical form


def test_columns_and_dtypes_are_the_codebook(survey):
    assert list(survey.columns) == CB.names
    for v in CB:
        assert str(survey[v.name].dtype) == v.pandas_dtype, v.name
        if v.categories:
            assert list(survey[v.name].cat.categories) == list(v.categories), v.name


def test_values_are_in_their_valid_ranges(survey):
    for v in CB:
        s = survey[v.name].dropna()
        if v.min is not None:
            assert (s > v.min).all() if v.min_exclusive else (s >= v.min).all(), v.name
        if v.max is not None:
            assert (s <= v.max).all(), v.name
    design = ["respondent_id", "wave", "county", "school_id", "stratum", "weight", "grade"]
    assert (
        not survey[design + ["household_income", "gender", "parent_education"]].isna().any().any()
    )
    assert survey["respondent_id"].str.fullmatch(r"S\d{6}-\d{4}-\d{4}").all()
    assert not survey.duplicated(["respondent_id", "wave"]).any()
    assert survey["province"].str.startswith("示例").all()
    assert survey["county"].str.startswith("样本").all()


def test_derived_columns_are_computed_by_the_codebook_rules(survey):
    again = sje.codebook.cast(sje.codebook.derive(survey))
    for name in CB.derived:
        pd.testing.assert_series_equal(survey[name], again[name], check_names=True)


def test_item_nonresponse_is_near_the_requested_rate(survey):
    share = survey["homework_min_weekday"].isna().mean()
    assert 0.01 < share < 0.03  # item_missing_rate=0.02 by default


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_identical_frame_and_truth():
    a = synth.generate(n_schools=40, students_per_school=12, n_counties=4, seed=5)
    b = synth.generate(n_schools=40, students_per_school=12, n_counties=4, seed=5)
    assert_same_frame(a, b)
    assert synth.truth(a, form="nested") == synth.truth(b, form="nested")


def test_different_seeds_give_different_frames():
    a = synth.generate(n_schools=40, students_per_school=12, n_counties=4, seed=5)
    b = synth.generate(n_schools=40, students_per_school=12, n_counties=4, seed=6)
    assert not a["homework_min_weekday"].equals(b["homework_min_weekday"])
    assert synth.truth(a, form="nested")["att"] != synth.truth(b, form="nested")["att"]


# --------------------------------------------------------------------------- sampling design


def test_weights_sum_to_the_frame_enrollment_in_every_stratum_and_wave(survey):
    frame = pd.DataFrame(synth.truth(survey, form="nested")["frame"]).set_index("stratum")[
        "enrollment"
    ]
    totals = survey.groupby(["stratum", "wave"], observed=True)["weight"].sum().unstack()
    assert set(totals.index) == set(frame.index)
    assert totals.shape[1] == len(TRUTH_WAVES)
    expected = np.broadcast_to(frame.loc[totals.index].to_numpy()[:, None], totals.shape)
    np.testing.assert_allclose(totals.to_numpy(), expected, rtol=1e-9)


def test_weights_stay_exact_when_the_take_is_smaller_than_the_grades():
    # 5 students cannot cover 6-12 grades: those schools get a systematic sample of students
    df = synth.generate(n_schools=40, students_per_school=5, n_counties=4, panel_share=0.5)
    frame = pd.DataFrame(synth.truth(df, form="nested")["frame"]).set_index("stratum")["enrollment"]
    totals = df.groupby(["stratum", "wave"], observed=True)["weight"].sum().unstack()
    expected = np.broadcast_to(frame.loc[totals.index].to_numpy()[:, None], totals.shape)
    np.testing.assert_allclose(totals.to_numpy(), expected, rtol=1e-9)
    assert df["grade"].nunique() == 12


def test_weights_are_positive_and_vary_with_rural_strata_oversampled(survey):
    w = survey["weight"]
    assert (w > 0).all()
    assert w.std() / w.mean() > 0.1
    mean_by_area = w.groupby(survey["urban"]).mean()
    assert mean_by_area[False] < mean_by_area[True]  # rural oversampled: smaller weights


def test_respondents_per_wave_match_the_sample_and_response_rate(survey):
    for row in synth.truth(survey, form="nested")["waves"]:
        n = (survey["wave"] == row["wave"]).sum()
        assert n == row["n_respondents"]
        assert row["n_sampled"] <= 160 * 40
        assert row["n_sampled"] >= 0.97 * 160 * 40  # small grades are taken whole
        expected = row["expected_respondents"]
        assert 0.75 * row["n_sampled"] <= expected <= 0.95 * row["n_sampled"]
        assert abs(n - expected) < 4 * np.sqrt(0.25 * row["n_sampled"])


def test_same_schools_every_wave_and_cohorts_by_pilot_city(survey):
    schools = survey.groupby("wave")["school_id"].agg(lambda s: frozenset(s.unique()))
    assert schools.nunique() == 1
    pilot = survey["pilot_city"].to_numpy(dtype=bool)
    assert (survey["first_treated_wave"].to_numpy()[pilot] == 2021).all()
    assert (survey["first_treated_wave"].to_numpy()[~pilot] == 2022).all()
    assert survey.loc[survey["wave"] < 2021, "policy_satisfaction"].isna().all()


def test_panel_followers_keep_their_id_school_and_move_up_by_the_wave_gap():
    df = synth.generate(n_schools=40, students_per_school=30, n_counties=4, panel_share=0.5)
    a, b = (df[df["wave"] == w].set_index("respondent_id") for w in (2022, 2024))
    both = a.index.intersection(b.index)
    assert len(both) > 0.2 * len(a)
    assert (b.loc[both, "grade"] == a.loc[both, "grade"] + 2).all()
    for col in ("school_id", "gender", "parent_education", "household_income"):
        assert (b.loc[both, col] == a.loc[both, col]).all(), col


# --------------------------------------------------------------------------- known truths


def test_did_of_weighted_means_recovers_the_true_att_for_homework(survey):
    estimate, se = did_with_cluster_bootstrap(survey, "homework_min_weekday", 2020, 2022)
    truth = true_att(survey, "homework_min_weekday", 2022)
    assert abs(estimate - truth) < 2 * se
    assert truth == pytest.approx(-25, abs=3)  # TrueEffects default, modifiers average about 1


def test_pretrend_is_detected_and_absent_by_default(survey):
    tilted = synth.generate(
        n_schools=160, students_per_school=40, waves=(2019, 2020), seed=0, pretrend=20.0
    )
    estimate, se = did_with_cluster_bootstrap(tilted, "homework_min_weekday", 2019, 2020)
    assert estimate > 3 * se  # +20 minutes from 2019 to 2020 for grades 1-9 only
    assert estimate == pytest.approx(20, abs=3 * se)
    flat, se0 = did_with_cluster_bootstrap(survey, "homework_min_weekday", 2019, 2020)
    assert abs(flat) < 3 * se0


def test_anxiety_items_are_reliable(survey):
    items = survey[list(CB.anxiety_items)].dropna().to_numpy(dtype=float)
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(1).var(ddof=1))
    assert 0.7 < alpha < 0.9  # loadings 0.6-0.8 on one factor


def test_spend_is_zero_without_tutoring_and_right_skewed(survey):
    kinds = survey[["tutoring_subject", "tutoring_nonsubject", "tutoring_hidden"]]
    none = kinds.notna().all(axis=1) & ~kinds.fillna(True).any(axis=1)
    spend = survey["tutoring_spend_year"]
    assert none.sum() > 1000
    assert (spend[none].dropna() == 0).all()
    assert (survey.loc[none, "tutoring_hours_week"].dropna() == 0).all()
    paid = spend[spend > 0]
    assert paid.mean() > 1.2 * paid.median()


def test_hidden_tutoring_rises_through_substitution(survey):
    comp = survey["grade"] <= 9
    share = survey[comp].groupby("wave")["tutoring_hidden"].mean()
    assert share[2022] > share[2020] + 0.01
    hidden = true_att(survey, "tutoring_hidden", 2022)
    subject = true_att(survey, "tutoring_subject", 2022)
    # TrueEffects.tutoring_hidden is 0: all of it is substitution, 0.15 of those who stop
    assert 0.5 * 0.15 * -subject < hidden < 1.5 * 0.15 * -subject
    none = synth.generate(n_schools=40, students_per_school=12, n_counties=4, substitution_rate=0)
    assert true_att(none, "tutoring_hidden", 2022) == 0


def test_true_effects_follow_the_published_patterns(survey):
    q = {g: true_att(survey, "tutoring_subject", 2022, "income_quintile", g) for g in ("Q3", "Q5")}
    assert q["Q3"] < q["Q5"] < 0  # falls concentrated in the middle (Wei & Kang 2024)
    pilot = true_att(survey, "homework_min_weekday", 2022, "pilot_city", "pilot")
    other = true_att(survey, "homework_min_weekday", 2022, "pilot_city", "non_pilot")
    assert pilot < other < 0
    assert true_att(survey, "homework_min_weekday", 2022, "stage", "senior") == 0
    assert true_att(survey, "tutoring_subject", 2022, "stage", "senior") < 0  # partly treated
    assert true_att(survey, "tutoring_nonsubject", 2022) >= 0
    assert true_att(survey, "homework_min_weekday", 2024) < true_att(
        survey, "homework_min_weekday", 2022
    )  # grows 1.3x by the 3-year mark
    cohorts = {
        r["group"]
        for r in synth.truth(survey, form="nested")["att"]
        if r["by"] == "cohort" and r["wave"] == 2021
    }
    assert cohorts == {"2021"}  # only pilot cities are exposed in 2021


def test_zero_effects_leave_untreated_outcomes_unchanged(survey):
    zero = {f: 0.0 for f in ("homework_min_weekday", "homework_min_weekend", "sleep_hours",
                              "tutoring_subject", "tutoring_nonsubject", "tutoring_hidden",
                              "teacher_referred_tutoring", "tutoring_hours_week",
                              "tutoring_spend_year", "afterschool_participation",
                              "afterschool_satisfaction", "parent_anxiety", "policy_satisfaction")}  # fmt: skip
    null = synth.generate(n_schools=160, students_per_school=40, waves=TRUTH_WAVES, effects=zero)
    assert all(r["att"] == 0 for r in synth.truth(null, form="nested")["att"])
    pre = (survey["wave"] < survey["first_treated_wave"]).to_numpy()
    assert_same_frame(null[pre], survey[pre])  # common random numbers
    assert not null.loc[~pre, "homework_min_weekday"].equals(
        survey.loc[~pre, "homework_min_weekday"]
    )


def test_truth_survives_a_parquet_round_trip(survey, tmp_path):
    path = tmp_path / "synth.parquet"
    survey.to_parquet(path)
    back = pd.read_parquet(path)
    assert_same_frame(back, survey)
    assert synth.truth(back, form="nested") == synth.truth(survey, form="nested")
    assert synth.truth(back, form="nested")["notice"] == synth.NOTICE


def test_truth_refuses_a_frame_without_synthetic_truth(survey):
    with pytest.raises(ValueError, match="no synthetic truth"):
        synth.truth(pd.DataFrame({"wave": [2022], "weight": [1.0]}))
    stripped = survey.head().copy()
    stripped.attrs.clear()
    with pytest.raises(ValueError, match="no synthetic truth"):
        synth.truth(stripped, form="nested")


# --------------------------------------------------------------------------- options


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"'n_school'.*valid options: \['n_schools', 'students_per_school'.*did you mean 'n_schools'",
    ):
        synth.generate(n_school=10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"effects": {"homework": -1}},
            r"TrueEffects\(\) got unknown option\(s\) \[.homework.\]; valid options: \[.homework_min_weekday",
        ),
        ({"panel_share": 1.5}, "panel_share"),
        ({"waves": (2022, 2020)}, "increasing"),
        ({"n_schools": 5}, "at least 2 per stratum"),
    ],
)
def test_bad_values_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synth.generate(**kwargs)


def test_truth_is_a_tidy_frame_of_the_true_effects(survey):
    """The default form: one row a true effect (the records of the nested form's ``att``), the
    run's notice, seed and parameters in ``attrs``; a small frame, not the nested dict."""
    effects = synth.truth(survey)
    nested = synth.truth(survey, form="nested")
    assert isinstance(effects, pd.DataFrame)
    assert list(effects.columns) == list(synth.TRUTH_COLUMNS)
    assert effects.to_dict("records") == nested["att"]
    assert effects.attrs["seed"] == nested["seed"] and effects.attrs["notice"] == synth.NOTICE
    assert {"overall", "stage", "cohort"} <= set(effects["by"])
    with pytest.raises(ValueError, match=r"form must be one of \['frame', 'nested'\]"):
        synth.truth(survey, form="dict")
