"""Tests of ``before_after``. Expected values: scipy's Welch and paired t tests (unweighted
special cases), statsmodels WLS with cluster-robust errors, ``SurveyDesign.mean_diff``
(design-based), and the known truth of ``sje.synth``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

import shuangjian_eval as sje
from shuangjian_eval.estimation.effects.before_after import before_after

HW = "homework_min_weekday"


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return sje.synth.generate(seed=2, n_schools=60, students_per_school=20, waves=(2020, 2022))


def test_unweighted_independent_equals_welch(survey):
    # scipy.stats.ttest_ind(equal_var=False): same difference, SE, df and p-value
    r = before_after(survey, outcome=HW, period="wave", before=2020, after=2022)
    a = survey.loc[survey.wave == 2020, HW].dropna()
    b = survey.loc[survey.wave == 2022, HW].dropna()
    welch = stats.ttest_ind(b, a, equal_var=False)
    assert r.estimate == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    assert r.table["df"].iloc[0] == pytest.approx(welch.df, rel=1e-10)
    assert r.p_value == pytest.approx(welch.pvalue, rel=1e-8)
    assert r.terms == ["after - before"] and r.nobs == len(a) + len(b)


def test_weighted_clustered_equals_wls_cr1(survey):
    # WLS of y on an "after" dummy with school-clustered errors: the coefficient is the
    # difference of weighted means; statsmodels' CR1 uses G/(G-1) (N-1)/(N-K), ours
    # (linearisation) G/(G-1): the SEs differ by sqrt((N-1)/(N-2)).
    d = survey.dropna(subset=[HW]).assign(after=lambda x: (x.wave == 2022).astype(int))
    d = d.assign(school=d["school_id"].astype(str))
    m = smf.wls(f"{HW} ~ after", data=d, weights=d["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["school"])[0]}
    )
    r = before_after(d, outcome=HW, period="wave", before=2020, after=2022, weights="weight",
                     cluster="school_id")  # fmt: skip
    n = len(d)
    assert r.estimate == pytest.approx(m.params["after"], rel=1e-10)
    assert r.std_error == pytest.approx(m.bse["after"] * np.sqrt((n - 2) / (n - 1)), rel=1e-10)
    assert r.table["df"].iloc[0] == d["school_id"].nunique() - 1


def test_paired_equals_paired_t():
    # scipy.stats.ttest_rel on a panel of students (sje.synth panel_share: followers keep
    # their respondent_id); units seen once are left out.
    df = sje.synth.generate(seed=3, n_schools=40, students_per_school=20, waves=(2020, 2021),
                            panel_share=0.6)  # fmt: skip
    r = before_after(df, outcome=HW, period="wave", before=2020, after=2021,
                     unit="respondent_id")  # fmt: skip
    wide = df.pivot_table(index="respondent_id", columns="wave", values=HW).dropna()
    t = stats.ttest_rel(wide[2021], wide[2020])
    assert r.table["n"].iloc[0] == len(wide) > 100
    assert r.estimate == pytest.approx((wide[2021] - wide[2020]).mean(), rel=1e-12)
    assert r.p_value == pytest.approx(t.pvalue, rel=1e-8)


def test_design_based_delegates_to_survey_design(survey):
    design = sje.SurveyDesign(survey, "weight", strata="stratum", psu="school_id")
    r = before_after(survey, outcome=HW, period="wave", before=2020, after=2022, design=design)
    ref = design.mean_diff(HW, between=("wave", 2020, 2022))
    assert r.terms == ["after - before"]
    assert r.estimate == ref.estimate and r.std_error == ref.std_error
    assert r.method == "before_after[design]"
    with pytest.raises(ValueError, match="must not be given"):
        before_after(survey, outcome=HW, period="wave", before=2020, after=2022, design=design,
                     weights="weight")  # fmt: skip


def test_known_truth_of_before_after_among_seniors(survey):
    # Seniors get no homework effect: their before/after change is the common Y0 trend,
    # 2 minutes a year in sje.synth (synth._TREND), so 4 minutes from 2020 to 2022.
    seniors = survey[survey["grade"] >= 10]
    r = before_after(seniors, outcome=HW, period="wave", before=2020, after=2022,
                     weights="weight", cluster="school_id")  # fmt: skip
    assert abs(r.estimate - 4.0) < 2 * r.std_error


def test_contracts(survey):
    args = {"outcome": HW, "period": "wave", "before": 2020}
    empty = before_after(survey, **args, after=2030)
    assert not empty.valid and "2030" in empty.table["reason"].iloc[0]
    with pytest.raises(ValueError, match="valid options"):
        before_after(survey, **args, after=2022, paired=True)
    with pytest.raises(KeyError, match="columns are"):
        before_after(survey, **args, after=2022, unit="student")
    assert sje.effects.before_after(survey, **args, after=2022).terms == ["after - before"]
