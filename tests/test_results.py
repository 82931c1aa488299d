"""Tests for shuangjian_eval.estimation.results: the result object shared by all estimators.

Expected values are computed from the normal and t distributions (scipy.stats), the
textbook Wald interval estimate +- q * se, and its logit-scale version (the interval R's
``svyciprop(method="logit")`` reports).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shuangjian_eval.estimation.results import (
    TERM_COLUMNS,
    EstimateResult,
    critical_value,
    invalid_row,
    wald_inference,
)


def _two_terms(**kwargs) -> EstimateResult:
    table = pd.DataFrame(
        {"term": ["a", "b"], "estimate": [1.0, -2.0], "std_error": [0.5, 1.0], **kwargs}
    )
    return EstimateResult.from_estimates(table, method="demo", options={"by": ["wave"]}, nobs=10)


def test_to_frame_has_the_tidy_columns_in_order():
    frame = _two_terms().to_frame()
    assert list(frame.columns[: len(TERM_COLUMNS)]) == list(TERM_COLUMNS)
    assert {"valid", "reason"} <= set(frame.columns)
    assert frame["valid"].all()


def test_label_columns_sit_between_term_and_estimate():
    table = pd.DataFrame(
        {"term": ["x"], "n": [5], "variable": ["y"], "estimate": [1.0], "std_error": [1.0]}
    )
    frame = EstimateResult.from_estimates(table, method="demo").to_frame()
    assert list(frame.columns)[:3] == ["term", "variable", "estimate"]
    assert list(frame.columns)[-3:] == ["n", "valid", "reason"]


def test_normal_wald_inference_matches_scipy():
    # Source: Wald statistic z = est / se, p = 2 * (1 - Phi(|z|)), CI est +- z_{0.975} se.
    res = _two_terms()
    z975 = stats.norm.ppf(0.975)
    frame = res.to_frame().set_index("term")
    assert frame.loc["a", "statistic"] == pytest.approx(2.0)
    assert frame.loc["a", "p_value"] == pytest.approx(2 * stats.norm.sf(2.0))
    assert frame.loc["b", "ci_lower"] == pytest.approx(-2.0 - z975)
    assert frame.loc["b", "ci_upper"] == pytest.approx(-2.0 + z975)


def test_t_reference_distribution_uses_df_column():
    res = _two_terms(df=[4.0, np.nan])  # NaN df: normal
    ci = res.conf_int(0.9)
    assert ci.loc["a", "ci_upper"] == pytest.approx(1.0 + 0.5 * stats.t.ppf(0.95, 4))
    assert ci.loc["b", "ci_upper"] == pytest.approx(-2.0 + stats.norm.ppf(0.95))
    assert res.to_frame().loc[0, "p_value"] == pytest.approx(2 * stats.t.sf(2.0, 4))


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_conf_int_at_other_levels(level):
    res = _two_terms()
    q = stats.norm.ppf(0.5 + level / 2)
    ci = res.conf_int(level)
    assert list(ci.columns) == ["ci_lower", "ci_upper"]
    assert ci.loc["a", "ci_lower"] == pytest.approx(1.0 - 0.5 * q)
    assert ci.loc["a", "ci_upper"] == pytest.approx(1.0 + 0.5 * q)
    # the stored table keeps the level it was computed at
    assert res.to_frame().loc[0, "ci_upper"] == pytest.approx(1.0 + 0.5 * stats.norm.ppf(0.975))


def test_logit_interval_is_asymmetric_and_inside_unit_interval():
    # Source: logit CI expit(logit(p) +- q se / (p (1 - p))), as R's svyciprop(method="logit").
    p, se = 0.9, 0.05
    table = pd.DataFrame({"term": ["p"], "estimate": [p], "std_error": [se]})
    res = EstimateResult.from_estimates(table, method="proportion", ci_transform="logit")
    eta, half = math.log(p / (1 - p)), stats.norm.ppf(0.975) * se / (p * (1 - p))
    ci = res.conf_int()
    assert ci.loc["p", "ci_lower"] == pytest.approx(1 / (1 + math.exp(-(eta - half))))
    assert ci.loc["p", "ci_upper"] == pytest.approx(1 / (1 + math.exp(-(eta + half))))
    assert ci.loc["p", "ci_upper"] < 1
    assert p - ci.loc["p", "ci_lower"] > ci.loc["p", "ci_upper"] - p


def test_logit_interval_degenerate_at_zero_and_one():
    out = wald_inference([0.0, 1.0], [0.0, 0.0], transform="logit")
    assert list(out["ci_lower"]) == [0.0, 1.0]
    assert list(out["ci_upper"]) == [0.0, 1.0]


def test_scalar_for_one_term_series_for_many():
    one = EstimateResult.from_estimates(
        pd.DataFrame({"term": ["x"], "estimate": [3.0], "std_error": [1.0]}), method="m"
    )
    assert isinstance(one.estimate, float) and one.estimate == 3.0
    assert isinstance(one.std_error, float)
    assert isinstance(one.p_value, float)
    many = _two_terms()
    assert isinstance(many.estimate, pd.Series)
    assert list(many.estimate.index) == ["a", "b"]
    assert many.std_error["b"] == 1.0
    assert many.p_value["a"] == pytest.approx(2 * stats.norm.sf(2.0))
    assert many.nobs == 10 and many.terms == ["a", "b"]


def test_invalid_row_is_nan_and_explained():
    bad = invalid_row("c", "stratum 'A' has a single PSU and lonely_psu='fail'", n=3)
    assert bad["valid"] is False and np.isnan(bad["estimate"]) and bad["n"] == 3
    table = pd.DataFrame(
        [
            {"term": "a", "estimate": 1.0, "std_error": 0.5, "valid": True, "reason": ""},
            bad,
        ]
    )
    res = EstimateResult.from_estimates(table, method="demo")
    frame = res.to_frame()
    assert frame["valid"].tolist() == [True, False]
    assert frame.loc[1, ["estimate", "ci_lower", "p_value"]].isna().all()
    assert np.isnan(res.conf_int().loc["c", "ci_lower"])
    assert not res.valid["c"]
    text = res.summary()
    assert "single PSU" in text and "invalid: 1" in text


def test_invalid_rows_never_show_numbers_even_if_given():
    table = pd.DataFrame(
        {"term": ["a"], "estimate": [5.0], "std_error": [1.0], "valid": [False], "reason": ["x"]}
    )
    res = EstimateResult.from_estimates(table, method="demo")
    assert np.isnan(res.estimate)


def test_summary_names_method_options_nobs_and_terms():
    text = _two_terms().summary()
    assert "demo" in text and "nobs: 10" in text and "by=['wave']" in text
    lines = text.splitlines()
    assert any(line.strip().startswith("a ") for line in lines)
    assert any(line.strip().startswith("b ") for line in lines)
    assert "reason" not in text  # all valid: no validity columns shown
    assert repr(_two_terms()) == text


def test_repr_html_escapes_all_text():
    table = pd.DataFrame(
        {"term": ["<script>alert(1)</script>"], "estimate": [1.0], "std_error": [1.0]}
    )
    res = EstimateResult.from_estimates(table, method="m<b>", options={"by": "<img src=x>"}, nobs=1)
    out = res._repr_html_()
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<img" not in out and "m&lt;b&gt;" in out
    assert out.count("<tr>") == 2  # header and one term
    assert "<table>" in out


def test_validation_errors():
    with pytest.raises(ValueError, match="lacks columns"):
        EstimateResult(table=pd.DataFrame({"term": ["a"]}), method="m")
    dup = pd.DataFrame({"term": ["a", "a"], "estimate": [1.0, 2.0], "std_error": [1.0, 1.0]})
    with pytest.raises(ValueError, match="unique"):
        EstimateResult.from_estimates(dup, method="m")
    with pytest.raises(ValueError, match="level"):
        _two_terms().conf_int(1.5)
    with pytest.raises(ValueError, match="transform"):
        wald_inference([1.0], [1.0], transform="probit")


def test_critical_value_scalar_and_vector():
    assert critical_value(0.95) == pytest.approx(stats.norm.ppf(0.975))
    assert critical_value(0.95, 14) == pytest.approx(stats.t.ppf(0.975, 14))
    vec = critical_value(0.95, np.array([np.inf, 14.0, np.nan]))
    assert vec[0] == pytest.approx(stats.norm.ppf(0.975))
    assert vec[1] == pytest.approx(stats.t.ppf(0.975, 14))
    assert vec[2] == pytest.approx(stats.norm.ppf(0.975))


def test_ci_function_overrides_wald_interval():
    table = pd.DataFrame({"term": ["q"], "estimate": [5.0], "std_error": [1.0]})
    res = EstimateResult.from_estimates(table, method="quantile")
    res.ci_function = lambda level: (np.array([level]), np.array([10.0]))
    assert res.conf_int(0.8).loc["q", "ci_lower"] == pytest.approx(0.8)


def test_printouts_have_no_empty_columns_or_lines():
    """A normal-reference result printed a ``df`` column of NaN, a regression printed its
    dataclass fields, and an empty note an empty ``note:`` line: the printout is the summary,
    without columns missing in every row and without empty notes."""
    import shuangjian_eval as sje
    from shuangjian_eval.estimation.effects._fe import RegressionResult

    df = sje.synth.generate(n_schools=16, students_per_school=8, n_counties=2, seed=2)
    mean = sje.SurveyDesign(df, weight="weight", strata="stratum", psu="school_id").mean(
        "sleep_hours", by="wave"
    )
    assert "df" in mean.to_frame() and mean.to_frame()["df"].isna().all()  # kept in the data
    header = repr(mean).splitlines()[4].split()
    assert "df" not in header and "NaN" not in repr(mean)
    df["treated"], df["post"] = df["grade"] <= 9, df["wave"] >= 2021
    fit = sje.did(df, outcome="sleep_hours", treated="treated", post="post")
    assert isinstance(fit, RegressionResult)
    assert repr(fit) == str(fit) == fit.summary() and repr(fit).startswith("RegressionResult: did")
    noted = dataclasses.replace(fit, notes=("", "  ", "rows left out"))
    lines = noted.summary().splitlines()
    assert [line for line in lines if line.startswith("note:")] == ["note: rows left out"]
