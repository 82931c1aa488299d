"""Codebook and policy: every canonical variable is described, derived variables follow the rules.

Expected values come from the standards in the 2021 opinions (homework limits by grade) and the
Ministry of Education's 2021 sleep notice (10/9/8 hours), as recorded in policy.yaml.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje

# The canonical variables listed in DESIGN.md's data model.
DESIGN_VARIABLES = """
respondent_id wave province city county school_id stratum weight pilot_city urban grade stage
gender household_income parent_education homework_min_weekday homework_min_weekend
homework_within_limit sleep_hours sleep_meets_standard tutoring_subject tutoring_nonsubject
tutoring_hours_week tutoring_spend_year tutoring_hidden teacher_referred_tutoring
tutoring_spend_share afterschool_participation afterschool_satisfaction anxiety_1
parent_anxiety policy_satisfaction
""".split()


@pytest.fixture(scope="module")
def cb():
    return sje.codebook.load()


def test_every_design_variable_is_in_the_codebook(cb):
    missing = [v for v in DESIGN_VARIABLES if v not in cb]
    assert not missing


def test_every_variable_is_fully_described(cb):
    for v in cb:
        assert v.dtype in sje.codebook.PANDAS_DTYPES, v.name
        assert v.label["zh"] and v.label["en"], v.name
        assert v.description, v.name
        if v.is_numeric and not v.derived:
            assert v.min is not None, f"{v.name} has no lower bound"
            # a weight has no natural upper bound; every other measure does
            assert v.max is not None or v.name == "weight", f"{v.name} has no upper bound"
        if v.categories:
            for code, lab in v.categories.items():
                assert lab["zh"] and lab["en"], (v.name, code)


def test_derived_names_are_exactly_the_rules(cb):
    assert set(cb.derived) == {
        "stage",
        "homework_within_limit",
        "sleep_meets_standard",
        "parent_anxiety",
        "tutoring_spend_share",
    }
    for v in cb:
        if v.derived:
            assert v.derived in sje.codebook.RULES


def test_unknown_variable_error_lists_known(cb):
    with pytest.raises(KeyError, match="homework_min_weekday"):
        cb["hw1"]


def _frame(**cols):
    return pd.DataFrame(cols)


def test_stage_from_grade_follows_policy_bands():
    df = _frame(grade=[1, 2, 3, 6, 7, 9, 10, 12, None])
    out = sje.codebook.derive(df)
    assert out["stage"].astype(object).tolist() == [
        "primary_lower", "primary_lower", "primary_upper", "primary_upper",
        "junior", "junior", "senior", "senior", np.nan,
    ]  # fmt: skip


def test_homework_within_limit_by_grade():
    # opinions 2021: grades 1-2 no written homework; 3-6 <= 60 min; 7-9 <= 90 min; 10-12 not covered
    df = _frame(
        grade=[1, 2, 3, 3, 7, 7, 10, 5],
        homework_min_weekday=[0, 15, 60, 61, 90, 91, 300, np.nan],
    )
    got = sje.codebook.derive(df)["homework_within_limit"]
    assert str(got.dtype) == "boolean"
    assert got.tolist() == [True, False, True, False, True, False, pd.NA, pd.NA]


def test_sleep_meets_standard_by_stage():
    # MoE sleep notice 2021: primary 10 h, junior 9 h, senior 8 h
    df = _frame(grade=[4, 4, 8, 8, 11, 11], sleep_hours=[10, 9.9, 9, 8.9, 8, 7.5])
    got = sje.codebook.derive(df)["sleep_meets_standard"].tolist()
    assert got == [True, False, True, False, True, False]


def test_parent_anxiety_needs_80_percent_of_items(cb):
    items = {c: [1, 1, 1] for c in cb.anxiety_items}
    items["anxiety_5"] = [5, np.nan, np.nan]  # row 0: all 5; row 1: 4 of 5; row 2: 3 of 5
    items["anxiety_4"] = [1, 1, np.nan]
    got = sje.codebook.derive(pd.DataFrame(items))["parent_anxiety"]
    assert got[0] == pytest.approx(9 / 5)
    assert got[1] == pytest.approx(1.0)
    assert np.isnan(got[2])


def test_tutoring_spend_share_is_na_without_income():
    df = _frame(
        tutoring_spend_year=[5000.0, 1000.0, 200.0], household_income=[100000.0, 0.0, np.nan]
    )
    got = sje.codebook.derive(df)["tutoring_spend_share"]
    assert got[0] == pytest.approx(0.05)
    assert np.isnan(got[1]) and np.isnan(got[2])


def test_derive_replaces_a_hand_typed_derived_column():
    df = _frame(grade=[3], homework_min_weekday=[120.0], homework_within_limit=[True])
    assert sje.codebook.derive(df)["homework_within_limit"].tolist() == [False]


def test_derive_leaves_out_rules_without_sources():
    out = sje.codebook.derive(_frame(sleep_hours=[9.0]))
    assert "sleep_meets_standard" not in out and "stage" not in out


def test_cast_gives_codebook_categories_in_order(cb):
    df = _frame(gender=["male", "female"], grade=[3, 4])
    out = sje.codebook.cast(df)
    assert list(out["gender"].cat.categories) == list(cb["gender"].categories)
    assert str(out["grade"].dtype) == "Int8"


def test_labels_in_both_languages(cb):
    assert cb.label("homework_min_weekday", "zh") == "工作日书面作业时长"
    assert cb.label("homework_min_weekday", "en") == "Weekday written homework"
    assert cb["urban"].category_label(False, "zh") == "农村"
    with pytest.raises(ValueError, match="lang"):
        cb.label("wave", "fr")


# ---------------------------------------------------------------------------- policy


def test_policy_standards_match_the_documents():
    pol = sje.policy.load()
    assert str(pol.date) == "2021-07-24"  # opinions of 24 July 2021
    limits = pol.homework_limit_by_grade()
    assert limits[1] == 0 and limits[2] == 0 and limits[3] == 60 and limits[9] == 90
    assert np.isnan(limits[10])
    sleep = pol.sleep_hours_by_grade()
    assert (sleep[1], sleep[7], sleep[12]) == (10, 9, 8)
    assert pol.baseline_waves == [2019, 2020]
    assert (pol.one_year_wave, pol.three_year_wave) == (2022, 2024)


def test_every_policy_section_names_a_known_source():
    pol = sje.policy.load()
    raw, sources = pol.raw, pol.sources

    def walk(node, path):
        if isinstance(node, dict):
            src = node.get("source")
            if isinstance(src, str) and src in sources or isinstance(src, str) and " " in src:
                pass
            elif src is not None:
                raise AssertionError(f"{path}: unknown source {src!r}")
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    sections = [k for k in raw if k not in ("version", "sources")]
    for key in sections:
        node = raw[key]
        has = (
            isinstance(node, dict)
            and "source" in node
            or isinstance(node, dict)
            and all("source" in v for v in node.values() if isinstance(v, dict))
            or isinstance(node, list)
            and all("source" in item for item in node)
        )
        assert has, f"policy.yaml section {key!r} has no source"
        walk(node, key)


def test_pilot_cities_are_marked_unverified():
    # policy-facts.md: the pilot list comes from secondary sources and must be shown as such
    assert sje.policy.load().raw["pilot_cities"]["status"] == "unverified"
