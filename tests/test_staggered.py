"""Tests of ``staggered_did`` (Callaway-Sant'Anna ATT(g, t) and ``did::aggte`` aggregations).

Reference data: ``tests/data/effects/mpdta.csv``, the ``mpdta`` example of the R ``did``
package (see tests/data/effects/README.md). Expected values:

- the R ``did`` README / "Getting started" output (``summary(att_gt(yname = "lemp",
  gname = "first.treat", idname = "countyreal", tname = "year", xformla = ~1, data = mpdta,
  est_method = "reg"))``): ATT(g, t) printed to 4 decimals, pre-test p-value 0.16812,
  ``aggte(type = "dynamic")`` overall -0.0772, ``aggte(type = "group")`` overall -0.031 and
  group effects -0.0797, -0.0229, -0.0261 (its standard errors are bootstrap draws: not used);
- R ``did`` 2.3.0 with ``bstrap = FALSE`` (analytic influence-function SEs) as recorded in
  the StatsPAI reference-parity tests (R 4.5.2): ATT(g, t) to 8 decimals, and overall
  estimate and SE of the four ``aggte`` types to 10 decimals (simple -0.0399512752 /
  0.0120340128, ...);
- F. Rios-Avila's ``jwdid`` (Stata) notes on mpdta: with not-yet-treated controls the
  first cell equals the CS one, -.0193724; with never-treated controls ATT(2004,2007) is
  -.1008114 (in 2007 the never treated are the only not-yet-treated units);
- the known truth of ``sje.synth``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.estimation.effects.staggered import staggered_did

DATA = Path(__file__).parent / "data" / "effects"

# R did README (published, 4 decimals): ATT(g, t) with never-treated controls
README_ATT = {
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}  # fmt: skip
# R did 2.3.0, bstrap = FALSE (StatsPAI reference-parity record): 8 decimals
R_ATT = {
    (2004, 2004): -0.01050325, (2004, 2005): -0.07042316, (2004, 2006): -0.13725874,
    (2004, 2007): -0.10081136, (2006, 2004): 0.00652011, (2006, 2005): -0.00275082,
    (2006, 2006): -0.00459461, (2006, 2007): -0.04122447, (2007, 2004): 0.03050666,
    (2007, 2005): -0.00272589, (2007, 2006): -0.03108712, (2007, 2007): -0.02605441,
}  # fmt: skip
R_AGGTE = {  # (overall estimate, analytic SE)
    "simple": (-0.0399512752, 0.0120340128),
    "group": (-0.0310182822, 0.0124460593),
    "calendar": (-0.0417004321, 0.0159718519),
    "dynamic": (-0.0772398215, 0.0199649891),
}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


@pytest.fixture(scope="module")
def cs(mpdta):
    return staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year",
                         cohort="first.treat")  # fmt: skip


def test_att_gt_match_r_did(cs):
    tab = cs.to_frame()
    got = {(int(g), int(t)): a for g, t, a in zip(tab.group, tab.time, tab.estimate, strict=True)}
    assert set(got) == set(README_ATT)
    for key, value in README_ATT.items():
        assert round(got[key], 4) == value, key
    for key, value in R_ATT.items():
        assert got[key] == pytest.approx(value, abs=5e-9), key
    assert cs.nobs == 2500
    assert tab.set_index("term").loc["ATT(2007,2004)", "n_treated"] == 131  # counties
    assert tab.set_index("term").loc["ATT(2007,2004)", "base_period"] == 2003  # varying


def test_pretest_matches_r_did(cs):
    # README: "P-value for pre-test of parallel trends assumption: 0.16812" (5 pre cells)
    assert round(cs.pretrend_test.p_value, 5) == 0.16812
    assert cs.pretrend_test.df == (5,) and cs.pretrend_test.distribution == "chi2"


@pytest.mark.parametrize("kind", sorted(R_AGGTE))
def test_aggregations_match_r_did(cs, kind):
    est, se = R_AGGTE[kind]
    agg = cs.aggregate(kind)
    assert agg.table["term"].iloc[0] == "ATT"
    assert agg.table["estimate"].iloc[0] == pytest.approx(est, abs=1e-10)
    assert agg.table["std_error"].iloc[0] == pytest.approx(se, rel=1e-8)


def test_aggregation_details_match_readme(cs):
    # README: aggte(type="group") group effects and aggte(type="dynamic") event-time effects
    group = cs.aggregate("group").to_frame().set_index("term")["estimate"].round(4)
    assert group[["group=2004", "group=2006", "group=2007"]].tolist() == [-0.0797, -0.0229,
                                                                           -0.0261]  # fmt: skip
    assert round(cs.aggregate("group").table["estimate"].iloc[0], 3) == -0.031
    dyn = cs.aggregate("dynamic").to_frame().set_index("term")["estimate"].round(4)
    expected = [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008]
    assert dyn[[f"event_time={e}" for e in range(-3, 4)]].tolist() == expected
    assert round(dyn["ATT"], 4) == -0.0772


def test_not_yet_treated_matches_jwdid(mpdta):
    # jwdid (Stata) never/not-yet output on mpdta; the not-yet-treated CS ATT(2004,2004) equals
    # the saturated ETWFE coefficient -.0193724; ATT(2004,2007) has no not-yet-treated
    # comparison left but the never treated: equal to the never-treated value -0.1008114.
    ny = staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year",
                       cohort="first.treat", control="not_yet_treated")  # fmt: skip
    tab = ny.to_frame().set_index("term")["estimate"]
    assert round(tab["ATT(2004,2004)"], 7) == -0.0193724
    assert round(tab["ATT(2004,2007)"], 7) == -0.1008114


def test_repeated_cross_sections_on_a_balanced_panel(mpdta):
    # Without covariates, cohort-mean differences equal the within-unit differences, so
    # panel=False gives the R panel estimates; clustering the row influence functions by
    # county reproduces the panel (unit) SEs exactly.
    rc = staggered_did(mpdta, outcome="lemp", time="year", cohort="first.treat", panel=False,
                       cluster="countyreal")  # fmt: skip
    got = rc.to_frame().set_index("term")["estimate"]
    assert got["ATT(2004,2006)"] == pytest.approx(R_ATT[(2004, 2006)], abs=5e-9)
    agg = rc.aggregate("simple")
    assert agg.estimate == pytest.approx(R_AGGTE["simple"][0], abs=1e-10)
    assert agg.std_error == pytest.approx(R_AGGTE["simple"][1], rel=1e-8)
    rows = staggered_did(mpdta, outcome="lemp", time="year", cohort="first.treat", panel=False)
    assert rows.aggregate("simple").std_error > 5 * agg.std_error  # rows as independent draws


def test_universal_base_period(mpdta):
    # did::att_gt(base_period = "universal"): pre cells are long differences from g - 1 and
    # the g - 1 cell is reported as 0; post cells are unchanged.
    un = staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year",
                       cohort="first.treat", base_period="universal")  # fmt: skip
    tab = un.to_frame().set_index("term")
    assert tab.loc["ATT(2007,2006)", "estimate"] == 0.0
    assert tab.loc["ATT(2007,2007)", "estimate"] == pytest.approx(R_ATT[(2007, 2007)], abs=5e-9)
    # long difference 2004 -> 2006 = sum of the varying-base short differences
    assert tab.loc["ATT(2007,2004)", "estimate"] == pytest.approx(
        -(R_ATT[(2007, 2005)] + R_ATT[(2007, 2006)]), abs=1e-8
    )


def test_synthetic_cohorts_recover_truth():
    # sje.synth: pilot cities first treated 2021, the others 2022; seniors (grades 10-12) get
    # no homework effect and serve as never treated. Repeated cross-sections of students,
    # clustered by school. Truth: by="cohort" ATTs. Seed 2 (see tests/test_did.py).
    df = sje.synth.generate(seed=2)
    df["cohort"] = np.where(df["grade"] <= 9, df["first_treated_wave"], 0)
    r = staggered_did(df, outcome="homework_min_weekday", time="wave", cohort="cohort",
                      panel=False, weights="weight", cluster="school_id")  # fmt: skip
    truth = sje.synth.truth(df)
    truth = truth[(truth.outcome == "homework_min_weekday") & (truth.by == "cohort")]
    tab = r.to_frame().set_index("term")
    for g, t, att in zip(truth.group.astype(int), truth.wave, truth.att, strict=True):
        est, se = tab.loc[f"ATT({g},{t})", ["estimate", "std_error"]]
        assert abs(est - att) < 2 * se, (g, t)
    assert abs(tab.loc["ATT(2022,2021)", "estimate"]) < 2 * tab.loc["ATT(2022,2021)", "std_error"]
    assert r.pretrend_test.p_value > 0.05


def test_contracts(mpdta):
    args = {"outcome": "lemp", "time": "year", "cohort": "first.treat"}
    with pytest.raises(ValueError, match="valid options"):
        staggered_did(mpdta, **args, unit="countyreal", est_method="dr")
    with pytest.raises(ValueError, match="control must be one of"):
        staggered_did(mpdta, **args, unit="countyreal", control="never")
    with pytest.raises(ValueError, match="needs unit="):
        staggered_did(mpdta, **args)
    with pytest.raises(
        KeyError, match=r"data lack column\(s\) \[.county.\]; did you mean .countyreal."
    ):
        staggered_did(mpdta, **args, unit="county")
    with pytest.raises(ValueError, match="type must be one of"):
        staggered_did(mpdta, **args, unit="countyreal").aggregate("event")
    # no never-treated units: never-treated comparisons are invalid rows, not exceptions
    treated_only = mpdta[mpdta["first.treat"] > 0]
    r = staggered_did(treated_only, **args, unit="countyreal")
    assert not r.table["valid"].any()
    assert set(r.table["reason"]) == {"no comparison rows"}


def test_aggregate_with_an_invalid_cell_marks_it_instead_of_raising():
    # one county's data, not-yet-treated controls: some ATT(g,t) cells have no control group
    df = sje.synth.generate(n_schools=40, students_per_school=10, n_counties=4, seed=4)
    county = df["county"].cat.categories[0]
    one = df[df["county"] == county]
    res = sje.staggered_did(
        one,
        outcome="homework_min_weekday",
        time="wave",
        cohort="first_treated_wave",
        panel=False,
        control="not_yet_treated",
        weights="weight",
        cluster="school_id",
    )
    agg = res.aggregate("dynamic").to_frame()
    # a county holds one cohort, so no not-yet-treated controls exist: every cell is invalid
    assert len(agg) >= 1 and not agg["valid"].any()
    assert agg["reason"].str.contains("not computable").all()


def test_every_cohort_treated_in_the_first_period_is_invalid_not_an_error() -> None:
    # mpdta with every treated county's cohort moved to 2003, the first year: no cohort has a
    # pre-period, so there is no ATT(g, t) to estimate (the result once raised KeyError 'post')
    d = pd.read_csv(DATA / "mpdta.csv")
    d.loc[d["first.treat"] != 0, "first.treat"] = 2003
    for panel in (True, False):
        r = sje.staggered_did(d, outcome="lemp", unit="countyreal", time="year",
                              cohort="first.treat", panel=panel)  # fmt: skip
        assert not r.to_frame()["valid"].any()
        assert "every cohort treated from the first period" in r.to_frame()["reason"].iloc[0]
        assert r.pretrend_test.reason
        for how in ("simple", "group", "dynamic", "calendar"):
            agg = r.aggregate(how)
            assert not agg.valid and "first period" in agg.to_frame()["reason"].iloc[0]
