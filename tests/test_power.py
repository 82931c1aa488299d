"""Tests for shuangjian_eval.estimation.effects.power: minimum detectable effects and schools needed.

Sources of expected values:

- [BLOOM] Bloom, H. S. (1995), "Minimum detectable effects: a simple way to report the
  statistical power of experimental designs", *Evaluation Review* 19(5), Table 1: multipliers
  2.80 (two-sided alpha .05, power .80), 3.24 (power .90) and 2.49 (one-sided, power .80) for
  large df; the Education Endowment Foundation guidance quotes the same 2.8 and 2.5;
- [R] ``tests/data/stats/stats_make_reference.R`` (R 4.2.2, pwr 1.3-0): the multipliers
  ``qt(.975, df) + qt(.8, df)`` (section ``bloom_multiplier``); ``power.t.test(n, power = .8,
  strict = TRUE)$delta`` (section ``power_t_test_strict``, both rejection regions, as here);
  ``power.t.test(..., alternative = "one.sided")`` (``power_t_test_one_sided``) and
  ``pwr.t.test(n, power = .8, alternative = "greater")$d`` (``pwr_t_test_one_sided``).
  ``pwr.t.test``'s two-sided default counts only the upper region (``pwr_t_test``): 0.5658580
  against 0.5658822 here for n = 50 per group;
- [REG] the power statement of AEA RCT Registry trial 18183 (30 clusters, ICC .05,
  power .8): MDE 0.327 for 21 per cluster (two-sided .05), 0.303 for 17 and 0.401 for 7
  (one-sided .05), computed with the exact noncentral t (WebPower, Zhang & Yuan 2018);
- [TRUTH] a simulated cluster-randomized survey analysed with a t-test on school means.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shuangjian_eval.estimation.effects import minimum_detectable_effect, schools_needed

STATS = Path(__file__).parent / "data" / "stats"


def _ref(section: str) -> pd.Series:
    ref = pd.read_csv(STATS / "stats_r_reference.csv")
    return ref.loc[ref["section"] == section].set_index("term")["value"]


def _mde(**kw) -> float:
    return float(minimum_detectable_effect(**kw).estimate["mde_sd"])


def _row(res, term: str) -> pd.Series:
    return res.to_frame().set_index("term").loc[term]


# ------------------------------------------------------------------ published values
def test_large_sample_multipliers_are_blooms():
    kw = {"n_schools": 100, "students_per_school": 1, "icc": 0.0, "df": math.inf}
    # [BLOOM] 2.80, 3.24, 2.49 (two printed digits)
    assert _row(minimum_detectable_effect(**kw), "mde")["multiplier"] == pytest.approx(
        2.80, abs=0.005
    )
    assert _row(minimum_detectable_effect(power=0.9, **kw), "mde")["multiplier"] == pytest.approx(
        3.24, abs=0.005
    )
    one = minimum_detectable_effect(alternative="one-sided", **kw)
    assert _row(one, "mde")["multiplier"] == pytest.approx(2.49, abs=0.005)


def test_multipliers_match_r_t_quantiles():
    # [R] qt(.975, df) + qt(.8, df): df 10 -> 3.0639, 20 -> 2.9462, ..., Inf -> 2.8016
    for term, value in _ref("bloom_multiplier").items():
        df = float(term[2:])
        n_schools = 100 if math.isinf(df) else int(df) + 2
        res = minimum_detectable_effect(
            n_schools=n_schools, students_per_school=10, icc=0.1, df=None if df < 1e9 else df
        )
        assert _row(res, "mde")["multiplier"] == pytest.approx(value, rel=1e-10)
        assert _row(res, "mde")["design_df"] == df


def test_exact_method_matches_r_power_t_test():
    # a two-sample t-test is the design with one student per school and no clustering:
    # n per group = n_schools / 2, df = n_schools - 2
    strict, one_sided = _ref("power_t_test_strict"), _ref("power_t_test_one_sided")
    kw = {"students_per_school": 1, "icc": 0.0, "method": "noncentral_t"}
    assert _mde(n_schools=100, **kw) == pytest.approx(strict["d_n50_per_group"], rel=1e-8)
    assert _mde(n_schools=24, **kw) == pytest.approx(strict["d_n12_per_group"], rel=1e-8)
    assert _mde(n_schools=24, alternative="one-sided", **kw) == pytest.approx(
        one_sided["d_n12_per_group"], rel=1e-8
    )
    # pwr.t.test (uniroot tolerance 1e-4): one-sided equal to 6 digits; its two-sided default
    # ignores the lower rejection region, equal to 4 digits only
    assert _mde(n_schools=24, alternative="one-sided", **kw) == pytest.approx(
        _ref("pwr_t_test_one_sided")["d_n12_per_group"], rel=1e-6
    )
    assert _mde(n_schools=100, **kw) == pytest.approx(
        _ref("pwr_t_test")["d_n50_per_group"], rel=1e-4
    )


def test_registered_trial_power_statement():
    kw = {"n_schools": 30, "icc": 0.05, "method": "noncentral_t"}
    # [REG] 0.327, 0.303, 0.401 (three printed digits)
    assert _mde(students_per_school=21, **kw) == pytest.approx(0.327, abs=5e-4)
    assert _mde(students_per_school=17, alternative="one-sided", **kw) == pytest.approx(
        0.303, abs=5e-4
    )
    assert _mde(students_per_school=7, alternative="one-sided", **kw) == pytest.approx(
        0.401, abs=5e-4
    )
    # Bloom's multiplier agrees to two digits on the same design
    assert _mde(n_schools=30, students_per_school=21, icc=0.05) == pytest.approx(0.327, abs=1e-3)


# ------------------------------------------------------------------ formula
def test_formula_in_outcome_units_and_sd_units():
    res = minimum_detectable_effect(n_schools=40, students_per_school=25, icc=0.1, sd=30.0)
    m = stats.t.ppf(0.975, 38) + stats.t.ppf(0.8, 38)
    # Bloom (2005): M sqrt(rho / (P(1-P) J) + (1 - rho) / (P(1-P) J n))
    se = math.sqrt(0.1 / (0.25 * 40) + 0.9 / (0.25 * 40 * 25))
    assert res.estimate["mde_sd"] == pytest.approx(m * se, rel=1e-12)
    assert res.estimate["mde"] == pytest.approx(30 * m * se, rel=1e-12)
    assert _row(res, "mde")["design_effect"] == pytest.approx(1 + 24 * 0.1)
    # the same design given by its design effect
    assert _mde(n_schools=40, students_per_school=25, deff=3.4) == pytest.approx(m * se, rel=1e-12)


def test_covariates_shares_and_one_sample_designs():
    base = {"n_schools": 40, "students_per_school": 25, "icc": 0.2, "df": math.inf}
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    with_r2 = _mde(r2=0.5, r2_school=0.7, **base)
    assert with_r2 == pytest.approx(
        z * math.sqrt(0.2 * 0.3 / (0.25 * 40) + 0.8 * 0.5 / (0.25 * 1000)), rel=1e-12
    )
    unbalanced = _mde(treated_share=0.2, **base)
    assert unbalanced == pytest.approx(_mde(**base) * math.sqrt(0.25 / 0.16), rel=1e-12)
    one = minimum_detectable_effect(two_sample=False, n_schools=40, students_per_school=25, icc=0.2)
    assert _row(one, "mde")["design_df"] == 39
    assert one.estimate["mde_sd"] == pytest.approx(
        (stats.t.ppf(0.975, 39) + stats.t.ppf(0.8, 39)) * math.sqrt(0.2 / 40 + 0.8 / 1000)
    )


def test_proportion_uses_the_binomial_sd():
    res = minimum_detectable_effect(n_schools=60, students_per_school=30, icc=0.08, p=0.4)
    assert res.estimate["mde"] == pytest.approx(res.estimate["mde_sd"] * math.sqrt(0.24))
    with pytest.raises(ValueError, match="not both"):
        minimum_detectable_effect(n_schools=60, students_per_school=30, icc=0.08, p=0.4, sd=2.0)


def test_schools_needed_inverts_the_mde():
    kw = {"students_per_school": 20, "icc": 0.15}
    res = schools_needed(mde=0.25, **kw)
    j = int(res.estimate["n_schools"])
    assert _mde(n_schools=j, **kw) <= 0.25 < _mde(n_schools=j - 1, **kw)
    assert res.estimate["n_students"] == 20 * j
    assert res.estimate["mde_achieved"] == pytest.approx(_mde(n_schools=j, **kw))
    # outcome units: 5 minutes of homework with sd 20 is 0.25 SD
    assert schools_needed(mde=5.0, sd=20.0, **kw).estimate["n_schools"] == j
    # a proportion: 5 points from a baseline of 40%
    prop = schools_needed(mde=0.05, p=0.4, students_per_school=30, icc=0.08)
    jp = int(prop.estimate["n_schools"])
    check = minimum_detectable_effect(n_schools=jp, students_per_school=30, icc=0.08, p=0.4)
    assert check.estimate["mde"] <= 0.05


# ------------------------------------------------------------------ simulation
@pytest.mark.slow
def test_mde_gives_the_stated_power_in_a_simulation():
    j, n, icc = 30, 20, 0.15
    mde = _mde(n_schools=j, students_per_school=n, icc=icc)
    rng = np.random.default_rng(2021)
    reps = 2000
    treated = np.repeat([0, 1], j // 2)
    school = rng.normal(0, math.sqrt(icc), (reps, j))
    student = rng.normal(0, math.sqrt(1 - icc), (reps, j, n)).mean(axis=2)
    means = school + student + mde * treated  # [TRUTH] school means of a clustered survey
    t, p = stats.ttest_ind(means[:, treated == 1], means[:, treated == 0], axis=1)
    power = np.mean(p < 0.05)
    # [TRUTH] 80% power by construction (Bloom's multiplier is a close approximation)
    assert power == pytest.approx(0.80, abs=0.03)  # Monte Carlo sd 0.009


# ------------------------------------------------------------------ options and invalid
def test_too_few_schools_is_invalid_not_an_error():
    res = minimum_detectable_effect(n_schools=2, students_per_school=20, icc=0.1)
    assert not res.table["valid"].any()
    assert "degrees of freedom" in res.table["reason"].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"icc": 0.1, "deff": 2.0}, "exactly one of icc= and deff="),
        ({}, "exactly one of icc= and deff="),
        ({"icc": 1.5}, "icc must be"),
        ({"icc": 0.1, "power": 80}, "power must be"),
        ({"icc": 0.1, "alternative": "less"}, "alternative must be one of"),
        ({"icc": 0.1, "method": "exact"}, "method must be one of"),
        ({"icc": 0.1, "clusters": 3}, r"valid options: \['n_schools', 'students_per_school'"),
    ],
)
def test_options_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        minimum_detectable_effect(n_schools=40, students_per_school=20, **kwargs)


def test_schools_needed_validates_its_options():
    with pytest.raises(
        ValueError, match="schools_needed.. got .*valid options: .'mde', 'students_per_school'"
    ):
        schools_needed(mde=0.2, students_per_school=20, icc=0.1, n_schools=3)
    with pytest.raises(ValueError, match="mde must be"):
        schools_needed(mde=-0.2, students_per_school=20, icc=0.1)
