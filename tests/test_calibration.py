"""Weights calibration (SurveyDesign.calibrate / rake) against R's survey package.

Expected values: ``tests/data/calibrate_reference.csv`` (estimates and standard errors) and
``tests/data/calibrate_weights.csv`` (calibrated weights, row by row), both written by
``tests/data/calibrate_reference.R`` with R 4.2.2 and survey 4.1-1; the population totals the
cases calibrate to are R's ``apipop`` tallies in ``tests/data/calibrate_totals.csv``. Each
case of the CSV names the R call in its ``call`` column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuangjian_eval.estimation.survey import SurveyDesign
from shuangjian_eval.estimation.survey.calibration import CalibrationError, weight_diagnostics

DATA = Path(__file__).parent / "data"
REFERENCE = pd.read_csv(DATA / "calibrate_reference.csv")
WEIGHTS = pd.read_csv(DATA / "calibrate_weights.csv")
TOTALS = pd.read_csv(DATA / "calibrate_totals.csv", keep_default_na=False)


def _margin(name: str) -> dict[str, float]:
    rows = TOTALS[TOTALS["margin"] == name]
    return {r.category: float(r.total) for r in rows.itertuples()}


API99 = float(TOTALS.loc[TOTALS["margin"] == "api99", "total"].iloc[0])


def _api(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / f"{name}.csv", dtype={"cds": str})
    return df.assign(meals_hi=np.where(df["meals"] > 50, "yes", "no"))  # as the R script


@pytest.fixture(scope="module")
def designs() -> dict[str, SurveyDesign]:
    # svydesign(id=~dnum, weights=~pw, fpc=~fpc); (id=~1, strata=~stype, weights=~pw,
    # fpc=~fpc); svydesign(id=~1, data=apisrs) without weights
    return {
        "clus": SurveyDesign(_api("apiclus1"), "pw", psu="dnum", fpc="fpc"),
        "strat": SurveyDesign(_api("apistrat"), "pw", strata="stype", fpc="fpc"),
        "srs": SurveyDesign(_api("apisrs"), None),
    }


CASES = {
    # case of calibrate_reference.R: (design, method, arguments)
    "clus_linear": ("clus", "calibrate", {"totals": {"stype": "stype", "api99": None}}),
    "clus_raking": (
        "clus",
        "calibrate",
        {"totals": {"stype": "stype", "meals_hi": "meals_hi"}, "method": "raking"},
    ),
    "clus_logit": (
        "clus",
        "calibrate",
        {"totals": {"stype": "stype", "api99": None}, "method": "logit", "bounds": (0.7, 1.7)},
    ),
    "clus_truncated": (
        "clus",
        "calibrate",
        {"totals": {"stype": "stype", "api99": None}, "method": "linear", "bounds": (0.7, 1.7)},
    ),
    "clus_rake": ("clus", "rake", {"margins": {"stype": "stype", "meals_hi": "meals_hi"}}),
    "strat_linear": ("strat", "calibrate", {"totals": {"sch.wide": "sch.wide", "api99": None}}),
    "strat_numeric_only": ("strat", "calibrate", {"totals": {"api99": None}}),
    "strat_rake": ("strat", "rake", {"margins": {"sch.wide": "sch.wide", "meals_hi": "meals_hi"}}),
    "srs_noweights_linear": ("srs", "calibrate", {"totals": {"stype": "stype"}}),
}


def _calibrated(designs: dict[str, SurveyDesign], case: str) -> SurveyDesign:
    which, how, args = CASES[case]
    args = dict(args)
    key = "totals" if how == "calibrate" else "margins"
    args[key] = {c: (API99 if m is None else _margin(m)) for c, m in args[key].items()}
    return getattr(designs[which], how)(**args)


def _ours(d: SurveyDesign) -> pd.DataFrame:
    """The statistics of calibrate_reference.R, in its order."""
    parts = [
        d.mean("api00"),
        d.total("api00"),
        d.total("enroll"),
        d.mean("acs.k3"),  # NA for high schools: na.rm=TRUE
        d.proportion("sch.wide"),
        d.mean("api00", by="sch.wide"),
        d.total("api00", by="stype"),
        d.mean("acs.k3", by="sch.wide"),
        d.mean_diff("api00", ("sch.wide", "No", "Yes")),  # R: svyglm(api00 ~ sch.wide)
        d.quantile("api00", 0.5),
    ]
    return pd.concat([p.table for p in parts], ignore_index=True)


@pytest.mark.parametrize("case", list(CASES))
def test_weights_match_r(designs, case):
    expected = WEIGHTS.loc[WEIGHTS["case"] == case, "weight"].to_numpy()
    got = _calibrated(designs, case).weights.to_numpy()
    # R stops at epsilon 1e-12 (calibrate) or 1e-13 (rake); ours at tol 1e-10
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_standard_errors_match_r(designs, case):
    ref = REFERENCE[REFERENCE["case"] == case].reset_index(drop=True)
    ours = _ours(_calibrated(designs, case))
    assert len(ours) == len(ref) == 15
    assert ours["valid"].all()
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-9)
    # a calibrated margin's proportions have SE 0 (R: rounding, ~1e-16)
    se, se_r = ours["std_error"].to_numpy(), ref["std_error"].to_numpy()
    allowed = 1e-8 * se_r + 1e-12 * ref["estimate"].abs().to_numpy()
    assert np.all(np.abs(se - se_r) <= allowed), np.abs(se - se_r) / se_r


def test_calibration_changes_the_standard_errors(designs):
    """Treating calibrated weights as fixed is wrong: R's SE of the calibrated mean (3.44,
    calibrate_reference.csv, clus_linear) is far below that of the same weights in an
    uncalibrated design."""
    d = _calibrated(designs, "clus_linear")
    fixed = SurveyDesign(d.data.assign(w_cal=d.weights), "w_cal", psu="dnum", fpc="fpc")
    ref = REFERENCE.query("case == 'clus_linear' and call == 'svymean(~api00)'")
    assert d.mean("api00").std_error == pytest.approx(ref["std_error"].iloc[0], rel=1e-8)
    assert fixed.mean("api00").std_error > 3 * d.mean("api00").std_error


def test_rake_and_raking_calibration_agree_on_weights(designs):
    """IPF run to convergence and Newton raking solve the same equations (R: clus_rake and
    clus_raking have the same weights in calibrate_weights.csv)."""
    a = _calibrated(designs, "clus_rake").weights
    b = _calibrated(designs, "clus_raking").weights
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_equal_weights_when_weight_is_none(designs):
    d = designs["srs"]
    assert (d.weights == 1).all() and d.weights.index.equals(d.data.index)
    # svymean(~api00, svydesign(id=~1, data=apisrs)) is the plain mean
    assert d.mean("api00").estimate == pytest.approx(d.data["api00"].mean())


def test_diagnostics(designs):
    d = _calibrated(designs, "clus_truncated")
    cal = d.calibration
    assert cal.method == "linear" and cal.bounds == (0.7, 1.7)
    after = cal.weights_after
    g = d.weights.to_numpy() / designs["clus"].weights.to_numpy()
    assert 0.7 - 1e-12 <= after["g_min"] == pytest.approx(g.min())
    assert after["g_max"] <= 1.7 + 1e-12
    w = d.weights.to_numpy()
    assert after["kish_n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert after["deff_weighting"] == pytest.approx(1 + np.var(w) / np.mean(w) ** 2)
    m = cal.margins
    assert list(m.columns) == ["margin", "category", "population", "before", "after"]
    np.testing.assert_allclose(m["after"], m["population"], rtol=1e-9)
    assert set(cal.summary().index) >= {"kish_n_eff", "deff_weighting", "min", "max", "g_min"}
    assert d.mean("api00").options["calibration"] == "linear"


def test_weight_diagnostics_known_values():
    # weights 1, 1, 2, 2: Kish n_eff = 36 / 10, deff = 4 * 10 / 36
    out = weight_diagnostics([1.0, 1.0, 2.0, 2.0])
    assert out["kish_n_eff"] == pytest.approx(3.6)
    assert out["deff_weighting"] == pytest.approx(10 / 9)


# ------------------------------------------------------------------ errors
@pytest.fixture()
def small() -> SurveyDesign:
    df = pd.DataFrame(
        {"grade": [1, 1, 2, 2, 3, 3], "gender": ["f", "m", "f", "m", "f", "m"], "y": range(6)}
    )
    return SurveyDesign(df, None)


def test_population_category_without_respondents(small):
    with pytest.raises(
        CalibrationError, match=r"margin 'grade': population category 4 .*no respondents"
    ):
        small.calibrate({"grade": {1: 10, 2: 10, 3: 10, 4: 10}})


def test_respondent_category_without_population_count(small):
    with pytest.raises(CalibrationError, match=r"margin 'grade': category 3 \(2 respondent"):
        small.rake({"grade": {1: 10, 2: 10}})


def test_margins_disagree_on_population_size(small):
    with pytest.raises(CalibrationError, match=r"'grade' sums to 30.*'gender' to 31"):
        small.rake({"grade": {1: 10, 2: 10, 3: 10}, "gender": {"f": 15, "m": 16}})


def test_not_converged_names_the_margin(small):
    with pytest.raises(CalibrationError, match=r"did not converge .* margin 'grade'"):
        small.calibrate({"grade": {1: 10, 2: 10, 3: 100}}, method="logit", bounds=(0.5, 2))


def test_unknown_column_did_you_mean(small):
    with pytest.raises(KeyError, match="did you mean 'grade'"):
        small.rake({"grde": {1: 10, 2: 10, 3: 10}})


def test_bad_options(small):
    with pytest.raises(ValueError, match="did you mean 'raking'"):
        small.calibrate({"grade": {1: 1, 2: 1, 3: 1}}, method="rakng")
    with pytest.raises(ValueError, match="needs bounds"):
        small.calibrate({"grade": {1: 1, 2: 1, 3: 1}}, method="logit")
    with pytest.raises(ValueError, match="lo < 1 < hi"):
        small.calibrate({"grade": {1: 1, 2: 1, 3: 1}}, bounds=(1.2, 2))
    with pytest.raises(ValueError, match="non-negative number"):
        small.rake({"grade": {1: 1, 2: "x", 3: 1}})
    with pytest.raises(ValueError, match="unknown option"):
        small.rake({"grade": {1: 1, 2: 1, 3: 1}}, maxit=3)
    d = small.rake({"grade": {1: 1, 2: 1, 3: 1}})
    with pytest.raises(ValueError, match="already calibrated"):
        d.rake({"gender": {"f": 1.5, "m": 1.5}})


def test_rake_stops_at_max_iter():
    """Two associated margins need many sweeps: one sweep leaves the first margin off."""
    df = pd.DataFrame({"a": list("xxxyyz"), "b": list("pqpqpq")})
    d = SurveyDesign(df, None)
    margins = {"a": {"x": 50, "y": 30, "z": 20}, "b": {"p": 60, "q": 40}}
    with pytest.raises(CalibrationError, match=r"rake calibration did not converge in 1 "):
        d.rake(margins, max_iter=1)
    raked = d.rake(margins)
    assert raked.calibration.iterations > 1
    np.testing.assert_allclose(raked.calibration.margins["after"], [50, 30, 20, 60, 40])
