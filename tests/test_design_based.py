"""Design-based regression (``design=`` of did and event_study) against R survey::svyglm.

Source of every expected value: tests/data/survey/svyglm_reference.csv and
svyglm_calibrated_reference.csv, written by svyglm_reference.R and
svyglm_calibrated_reference.R beside them (R 4.2.2, survey 4.1-1); the calibration totals are
those of tests/data/calibrate_totals.csv (R's apipop tallies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.estimation.survey import SurveyDesign

DATA = Path(__file__).parent / "data"
REF = pd.concat([pd.read_csv(DATA / "survey" / f"svyglm{s}_reference.csv")
                 for s in ("", "_calibrated")])  # fmt: skip
_OURS = {"(Intercept)": "(intercept)", "treated_post": "treated:post",
         "es2019": "treated:wave=2019", "es2021": "treated:wave=2021",
         "es2022": "treated:wave=2022", "pilot": "treated", "pilot:post": "treated:post",
         "after": "after - before"}  # fmt: skip
TOTALS = pd.read_csv(DATA / "calibrate_totals.csv", keep_default_na=False)


def _margin(name: str) -> dict[str, float]:
    return {r.category: float(r.total) for r in TOTALS[TOTALS["margin"] == name].itertuples()}


def _api(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv")
    return d.assign(treated=(d["api99"] > 650).astype(int), post=(d["meals"] > 40).astype(int))


def _check(result, case: str, with_df: bool = True) -> int:  # type: ignore[no-untyped-def]
    t = result.to_frame().set_index("term")
    rows = REF[REF["case"] == case]
    for row in rows.itertuples():
        got = t.loc[_OURS.get(row.term, row.term)]
        assert got["estimate"] == pytest.approx(row.estimate, rel=1e-9)
        assert got["std_error"] == pytest.approx(row.se, rel=1e-8)
        if with_df:
            assert got["df"] == row.df_residual
            assert got["p_value"] == pytest.approx(row.p_value, rel=1e-6)
    return len(rows)


def test_stratified_design_with_fpc_equals_svyglm() -> None:
    d = _api("apistrat")
    design = SurveyDesign(d, "pw", strata="stype", fpc="fpc")
    r = sje.did(d, outcome="api00", treated="treated", post="post", covariates=("ell",),
                design=design)  # fmt: skip
    assert _check(r, "apistrat") == 5
    assert r.options["cov_type"] == "design"


def test_cluster_design_with_missing_covariate_equals_svyglm() -> None:
    d = _api("apiclus1")
    design = SurveyDesign(d, "pw", psu="dnum", fpc="fpc")
    r = sje.did(d, outcome="api00", treated="treated", post="post", covariates=("acs.k3",),
                design=design)  # fmt: skip
    assert r.nobs < len(d)  # acs.k3 is missing for some schools: the complete cases
    assert _check(r, "apiclus1") == 5


def test_two_way_fixed_effects_and_event_study_equal_svyglm() -> None:
    d = pd.read_csv(DATA / "effects" / "fe_cluster_data.csv")
    d["post"] = (d["wave"] >= 2021).astype(int)
    design = SurveyDesign(d, "weight", psu="school_id")
    r = sje.did(d, outcome="homework_min_weekday", treated="pilot", post="post",
                absorb=("school_id", "wave"), design=design)  # fmt: skip
    assert _check(r, "synthetic", with_df=False) == 1
    es = sje.event_study(d, outcome="homework_min_weekday", treated="pilot", time="wave",
                         ref=2020, design=design)  # fmt: skip
    assert _check(es, "event_study") == 3
    assert es.pretrend_test.df == (1, 22.0)


def test_calibrated_designs_equal_svyglm() -> None:
    # a calibrated design's weights are the calibrated ones, and its variance uses the
    # residuals of the calibration regression, as svyglm on calibrate() / rake()
    d = _api("apiclus1")
    cal = SurveyDesign(d, "pw", psu="dnum", fpc="fpc").calibrate(
        {"stype": _margin("stype"), "api99": _margin("api99")[""]}
    )
    for case, cov in (("did_cal_clus", "ell"), ("did_cal_clus_missing", "acs.k3")):
        r = sje.did(d, outcome="api00", treated="treated", post="post", covariates=(cov,),
                    design=cal)  # fmt: skip
        assert _check(r, case) == 5
    s = _api("apistrat")
    s["meals_hi"] = np.where(s["meals"] > 50, "yes", "no")
    raked = SurveyDesign(s, "pw", strata="stype", fpc="fpc").rake(
        {"sch.wide": _margin("sch.wide"), "meals_hi": _margin("meals_hi")}
    )
    r = sje.did(s, outcome="api00", treated="treated", post="post", covariates=("ell",),
                design=raked)  # fmt: skip
    assert _check(r, "did_rake_strat") == 5
    # the design's original weights give other standard errors: the test above can fail
    plain = sje.did(s, outcome="api00", treated="treated", post="post", covariates=("ell",),
                    design=SurveyDesign(s, "pw", strata="stype", fpc="fpc"))  # fmt: skip
    ref = REF.query("case == 'did_rake_strat' and term == 'treated:post'")["se"].iloc[0]
    assert abs(plain.std_error / ref - 1) > 1e-4


def test_before_after_and_did_with_a_psu_left_out_equal_svyglm() -> None:
    # the first school has no observed outcome: it leaves the fit and the residual df
    d = pd.read_csv(DATA / "effects" / "fe_cluster_data.csv")
    d.loc[d["school_id"] == d["school_id"].min(), "homework_min_weekday"] = np.nan
    d = d.assign(fpc=60, post=(d["wave"] >= 2021).astype(int))
    syn = SurveyDesign(d, "weight", strata="pilot", psu="school_id", fpc="fpc")
    designs = {"syn": syn, "syn_cal": syn.calibrate({"wave": dict.fromkeys(range(2019, 2023),
                                                                           5000.0)})}  # fmt: skip
    for name, design in designs.items():
        ba = sje.before_after(d, outcome="homework_min_weekday", period="wave", before=2019,
                              after=2022, design=design)  # fmt: skip
        assert _check(ba, f"ba_{name}") == 1
        assert ba.options["cov_type"] == "design"
        r = sje.did(d, outcome="homework_min_weekday", treated="pilot", post="post",
                    design=design)  # fmt: skip
        assert _check(r, f"did_{name}") == 4
    with pytest.raises(ValueError, match="must not be given"):
        sje.before_after(d, outcome="homework_min_weekday", period="wave", before=2019,
                         after=2022, design=syn, cov_type="CR2")  # fmt: skip


def test_design_option_checks() -> None:
    d = _api("apistrat")
    design = SurveyDesign(d, "pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match="must not be given"):
        sje.did(d, outcome="api00", treated="treated", post="post", weights="pw", design=design)
    with pytest.raises(ValueError, match="another DataFrame"):
        sje.did(d.copy(), outcome="api00", treated="treated", post="post", design=design)


def test_a_lonely_psu_under_fail_makes_the_fit_invalid_with_its_reason():
    """As the survey estimators and ordinal_logit(design=): lonely_psu="fail" with a stratum of
    one PSU gives no variance (before, did and event_study returned NaN SEs marked valid)."""
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"school": np.repeat(np.arange(12), 8), "wave": np.tile([2020, 2022], 48)})
    df["treated"] = (df["school"] % 2).astype(int)
    df["post"] = (df["wave"] == 2022).astype(int)
    df["y"] = rng.normal(size=len(df)) + 2.0 * df["treated"] * df["post"]
    df["w"] = 1.0 + df["school"] % 3
    df["stratum"] = np.minimum(df["school"] // 2, 5).where(df["school"] > 0, 99)  # 99: one PSU
    lonely = SurveyDesign(df, "w", strata="stratum", psu="school")
    res = sje.did(df, outcome="y", treated="treated", post="post", design=lonely)
    row = res.to_frame().set_index("term").loc["treated:post"]
    assert not row["valid"] and "lonely_psu='fail'" in row["reason"]
    es = sje.event_study(df, outcome="y", treated="treated", time="wave", ref=2020, design=lonely)
    t = es.to_frame()
    assert not t["valid"].any() and t["reason"].str.contains("lonely_psu='fail'").all()
    ok = SurveyDesign(df, "w", strata="stratum", psu="school", lonely_psu="remove")
    fine = sje.did(df, outcome="y", treated="treated", post="post", design=ok)
    assert fine.to_frame().set_index("term").loc["treated:post", "valid"]
