"""Tests for shuangjian_eval.estimation.effects.heterogeneity: by_group, adjust_pvalues, quantile groups.

Sources of expected values:

- [R] ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")`` on a fixed vector, R 4.2.2, from
  ``tests/data/stats/stats_make_reference.R`` (sections ``p_raw``, ``p_holm``, ``p_bh`` of
  ``stats_r_reference.csv``);
- [FORMULA] the Wald test of equal independent estimates (Cochran's Q): for two groups
  ``(b1 - b2)^2 / (se1^2 + se2^2)`` on 1 degree of freedom;
- [TRUTH] data simulated here with known equal or unequal group effects, and the synthetic
  survey's own income-quintile cut points (``sje.synth.truth(df, form="nested")["income_quintile_cuts"]``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shuangjian_eval import synth
from shuangjian_eval.estimation.effects import adjust_pvalues, by_group, ordinal_logit
from shuangjian_eval.estimation.effects.heterogeneity import (
    _equality_test,
    weighted_quantile_groups,
)
from shuangjian_eval.estimation.results import EstimateResult
from shuangjian_eval.estimation.survey import SurveyDesign

STATS = Path(__file__).parent / "data" / "stats"


def _ref(section: str) -> pd.Series:
    ref = pd.read_csv(STATS / "stats_r_reference.csv")
    return ref.loc[ref["section"] == section].set_index("term")["value"]


def _mean_diff(df: pd.DataFrame, *, outcome: str, treated: str) -> EstimateResult:
    """A small two-sample difference in means (Welch SE), standing in for any estimator."""
    a, b = df.loc[df[treated] == 1, outcome], df.loc[df[treated] == 0, outcome]
    se = np.sqrt(a.var() / len(a) + b.var() / len(b))
    table = pd.DataFrame(
        {"term": ["treated"], "estimate": [a.mean() - b.mean()], "std_error": [se]}
    )
    return EstimateResult.from_estimates(table, method="mean_diff", nobs=len(df))


def _groups(rng, effects, n=400):
    parts = []
    for g, tau in enumerate(effects):
        t = rng.integers(0, 2, n)
        parts.append(pd.DataFrame({"g": g, "t": t, "y": tau * t + rng.normal(size=n)}))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ equality test
def test_two_group_wald_statistic_is_the_textbook_formula():
    df = _groups(np.random.default_rng(0), [0.2, 0.5])
    res = by_group(_mean_diff, df, group="g", outcome="y", treated="t")
    b, se = res.estimate.to_numpy(), res.std_error.to_numpy()
    test = res.equality_test.iloc[0]
    # [FORMULA] chi2(1) = (b1 - b2)^2 / (se1^2 + se2^2)
    q = (b[0] - b[1]) ** 2 / (se[0] ** 2 + se[1] ** 2)
    assert test["statistic"] == pytest.approx(q, rel=1e-12)
    assert test["df"] == 1
    assert test["p_value"] == pytest.approx(stats.chi2.sf(q, 1))
    assert res.terms == ["g=0", "g=1"]
    assert list(res.to_frame()["g"]) == [0, 1]


def test_equality_test_rejects_different_effects_and_keeps_equal_ones():
    rng = np.random.default_rng(42)
    # [TRUTH] effects 0, 0.4, 0.8 (SE about 0.07 each): rejected
    differ = by_group(_mean_diff, _groups(rng, [0.0, 0.4, 0.8]), group="g", outcome="y",
                      treated="t")  # fmt: skip
    assert differ.equality_test.loc[0, "df"] == 2
    assert differ.equality_test.loc[0, "p_value"] < 1e-6
    # [TRUTH] equal effects 0.3, 0.3, 0.3: not rejected
    equal = by_group(_mean_diff, _groups(rng, [0.3, 0.3, 0.3]), group="g", outcome="y",
                     treated="t")  # fmt: skip
    assert equal.equality_test.loc[0, "p_value"] > 0.05
    pooled = equal.equality_test.loc[0, "pooled_estimate"]
    assert min(equal.estimate) < pooled < max(equal.estimate)


@pytest.mark.slow
def test_equality_test_holds_its_size_with_unequal_standard_errors():
    rng = np.random.default_rng(9)
    se = np.array([0.05, 0.1, 0.2, 0.4])
    p_values = []
    for _ in range(1000):  # [TRUTH] equal effects, independent normal estimates
        table = pd.DataFrame({"estimate": 0.3 + se * rng.normal(size=4), "std_error": se,
                              "valid": True})  # fmt: skip
        p_values.append(_equality_test(table, shared=False).loc[0, "p_value"])
    rate = np.mean(np.asarray(p_values) < 0.05)
    assert 0.03 <= rate <= 0.07  # binomial sd 0.007 around 0.05


def test_by_group_runs_the_package_estimators():
    rng = np.random.default_rng(5)
    n = 1500
    urban = rng.integers(0, 2, n).astype(bool)
    treated = rng.integers(0, 2, n)
    beta = np.where(urban, -0.8, -0.2)  # a known larger latent shift in urban schools
    latent = beta * treated + rng.logistic(size=n)
    df = pd.DataFrame({"urban": urban, "treated": treated,
                       "anxiety": np.searchsorted([-1.0, 0.0, 1.0, 2.0], latent) + 1})  # fmt: skip
    res = by_group(ordinal_logit, df, group="urban", outcome="anxiety", covariates=["treated"],
                   term="treated")  # fmt: skip
    assert res.terms == ["urban=False", "urban=True"]
    assert res.estimate["urban=True"] < res.estimate["urban=False"] < 0
    assert res.equality_test.loc[0, "p_value"] < 0.01
    assert set(res.group_results) == {"urban=False", "urban=True"}
    # by name, and a survey-design estimator through a lambda
    named = by_group("ordinal_logit", df, group="urban", outcome="anxiety",
                     covariates=["treated"], term="treated")  # fmt: skip
    assert np.allclose(named.estimate, res.estimate)
    means = by_group(lambda d: SurveyDesign(d.assign(w=1.0), "w").mean("anxiety"), df,
                     group="urban")  # fmt: skip
    assert means.estimate["urban=True"] == pytest.approx(df.loc[urban, "anxiety"].mean())


def test_shared_clusters_make_the_test_approximate():
    rng = np.random.default_rng(8)
    df = _groups(rng, [0.2, 0.2])
    df["school"] = rng.integers(0, 20, len(df))  # every school in both groups
    df["own_school"] = df["g"] * 100 + df["school"]  # schools nested in groups
    kw = {"outcome": "y", "covariates": ["t"], "term": "t"}
    df["y"] = np.searchsorted([-0.5, 0.5], df["y"]) + 1
    shared = by_group(ordinal_logit, df, group="g", cluster="school", **kw)
    nested = by_group(ordinal_logit, df, group="g", cluster="own_school", **kw)
    assert "approximate" in shared.equality_test.loc[0, "note"]
    assert nested.equality_test.loc[0, "note"] == ""
    assert "equal effects: chi2(1)" in shared.summary()


def test_a_failing_group_is_an_invalid_row_and_all_failing_raises():
    rng = np.random.default_rng(2)
    df = _groups(rng, [0.2, 0.3, 0.4])
    df.loc[df["g"] == 2, "t"] = 1  # no comparison group: the estimator cannot run

    def strict(d, **kw):
        if d["t"].nunique() < 2:
            raise ValueError("needs treated and untreated rows")
        return _mean_diff(d, **kw)

    res = by_group(strict, df, group="g", outcome="y", treated="t")
    frame = res.to_frame().set_index("term")
    assert not frame.loc["g=2", "valid"]
    assert "needs treated and untreated" in frame.loc["g=2", "reason"]
    assert res.equality_test.loc[0, "n_groups"] == 2
    with pytest.raises(KeyError, match="nope"):
        by_group(ordinal_logit, df, group="g", outcome="nope", covariates=["t"])
    with pytest.raises(ValueError, match="choose one with term="):
        by_group(ordinal_logit, df.assign(y=np.sign(df["y"])), group="g", outcome="y",
                 covariates=["t"])  # fmt: skip
    with pytest.raises(KeyError, match="region"):
        by_group(_mean_diff, df, group="region", outcome="y", treated="t")
    with pytest.raises(ValueError, match="unknown estimator"):
        by_group("regress", df, group="g")


def test_fewer_than_two_valid_groups_is_not_tested():
    df = _groups(np.random.default_rng(3), [0.2])
    res = by_group(_mean_diff, df, group="g", outcome="y", treated="t")
    assert not res.equality_test.loc[0, "valid"]
    assert "at least 2 groups" in res.equality_test.loc[0, "reason"]


# ------------------------------------------------------------------ multiple testing
def test_holm_and_bh_match_r_p_adjust():
    p = _ref("p_raw")
    for method, section in (("holm", "p_holm"), ("fdr_bh", "p_bh")):
        out = adjust_pvalues(p, method=method)
        # [R] p.adjust, all 8 values to 1e-12
        assert np.allclose(out["p_adjusted"], _ref(section).to_numpy(), rtol=1e-12, atol=0)
        assert np.allclose(out["p_value"], p.to_numpy())
        assert list(out["name"]) == list(p.index)
    holm = adjust_pvalues(list(p), method="holm", alpha=0.05)
    assert list(holm["reject"]) == [False, True, False, False, False, False, False, True]


def test_adjust_a_family_of_results():
    rng = np.random.default_rng(4)
    results = {
        name: _mean_diff(_groups(rng, [tau]), outcome="y", treated="t")
        for name, tau in {"homework": 0.5, "sleep": 0.0, "anxiety": 0.2}.items()
    }
    results["broken"] = EstimateResult.from_estimates(
        pd.DataFrame(
            {
                "term": ["treated"],
                "estimate": [np.nan],
                "std_error": [np.nan],
                "valid": [False],
                "reason": ["empty domain"],
            }
        ),  # fmt: skip
        method="mean_diff",
    )
    out = adjust_pvalues(results, method="holm").set_index("name")
    raw = {k: float(v.p_value) for k, v in results.items() if k != "broken"}
    # [FORMULA] Holm with m = 3 valid members: sorted p times 3, 2, 1, cumulative max, cap 1
    order = sorted(raw, key=raw.get)
    expected = np.minimum(np.maximum.accumulate([raw[k] * (3 - i) for i, k in enumerate(order)]), 1)
    for k, value in zip(order, expected, strict=True):
        assert out.loc[k, "p_adjusted"] == pytest.approx(value)
    assert np.isnan(out.loc["broken", "p_adjusted"]) and not out.loc["broken", "reject"]
    assert out.loc["homework", "estimate"] == pytest.approx(results["homework"].estimate)


def test_adjust_options_are_validated():
    with pytest.raises(ValueError, match="method must be one of"):
        adjust_pvalues([0.1, 0.2], method="BH")
    with pytest.raises(ValueError, match=r"valid options: \['method', 'alpha', 'term'\]"):
        adjust_pvalues([0.1, 0.2], level=0.9)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.2])


# ------------------------------------------------------------------ quantile groups
def test_weighted_quintiles_by_hand():
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "w": [1, 1, 1, 1, 1, 1, 1, 1, 1, 11]})
    # [FORMULA] mid-rank percentiles (W_below + w/2) / 20: 0.025, 0.075, ..., 0.425, 0.725
    q = weighted_quantile_groups(df, "x", q=5, weights="w")
    assert list(q) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 4]
    unweighted = weighted_quantile_groups(df, "x", q=5)
    assert list(unweighted) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    ties = weighted_quantile_groups(pd.DataFrame({"x": [1, 1, 1, 1, 2]}), "x", q=2)
    assert list(ties) == [1, 1, 1, 1, 2]  # tied values share a group


def test_income_quintiles_follow_the_synthetic_truth():
    df = synth.generate(n_schools=40, students_per_school=20, seed=1)
    q = weighted_quantile_groups(df, "household_income", weights="weight", by="wave")
    # [TRUTH] population quintiles: each holds about a fifth of the weight in every wave
    share = (
        df.groupby(["wave", q], observed=True)["weight"].sum() / df.groupby("wave")["weight"].sum()
    )
    assert np.allclose(share.to_numpy(float), 0.2, atol=0.02)
    # and they agree with the generator's weighted cut points (rounded incomes aside)
    cuts = pd.DataFrame(synth.truth(df, form="nested")["income_quintile_cuts"]).set_index("wave")
    bounds = cuts.loc[df["wave"].to_numpy(int), ["q20", "q40", "q60", "q80"]].to_numpy()
    expected = 1 + (df["household_income"].to_numpy(float)[:, None] > bounds).sum(axis=1)
    assert np.mean(expected == q.to_numpy(int)) > 0.97
    assert q.name == "household_income_q5"
    assert len(q.attrs["lower_bounds"]["2019"]) == 5


def test_quantile_groups_leave_missing_rows_missing_and_validate():
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "w": [1.0, 1.0, 0.0, 2.0]})
    q = weighted_quantile_groups(df, "x", q=2, weights="w")
    assert q.isna().tolist() == [False, True, True, False]
    with pytest.raises(KeyError, match="income"):
        weighted_quantile_groups(df, "income")
    with pytest.raises(ValueError, match="q must be"):
        weighted_quantile_groups(df, "x", q=1)
    with pytest.raises(
        ValueError, match="valid options: .'q', 'weights', 'by'.; did you mean 'weights'"
    ):
        weighted_quantile_groups(df, "x", weight="w")


def test_a_group_whose_model_cannot_be_estimated_is_invalid():
    rng = np.random.default_rng(6)
    df = _groups(rng, [0.2, 0.3])
    df["y"] = np.searchsorted([-0.5, 0.5], df["y"]) + 1
    df.loc[df["g"] == 1, "y"] = 2  # one outcome level only: ordinal_logit returns invalid rows
    res = by_group(ordinal_logit, df, group="g", outcome="y", covariates=["t"], term="t")
    frame = res.to_frame().set_index("term")
    assert frame.loc["g=0", "valid"] and not frame.loc["g=1", "valid"]
    assert "observed level" in frame.loc["g=1", "reason"]
    assert not res.equality_test.loc[0, "valid"]
