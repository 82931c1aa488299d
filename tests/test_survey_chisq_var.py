"""Rao-Scott tests of independence (SurveyDesign.chisq) and design-based variances
(SurveyDesign.var) against R's survey package.

Source of every expected value: tests/data/survey/svychisq_reference.csv, written by
svychisq_reference.R, and tests/data/survey/svyvar_reference.csv, written by svyvar_reference.R
beside it (R 4.2.2, survey 4.1-1); the calibration totals are those of
tests/data/calibrate_totals.csv (R's apipop tallies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuangjian_eval.estimation.results import HypothesisTestResult
from shuangjian_eval.estimation.survey import SurveyDesign

DATA = Path(__file__).parent / "data"
TOTALS = pd.read_csv(DATA / "calibrate_totals.csv", keep_default_na=False)


def _margin(name: str) -> dict[str, float]:
    return {r.category: float(r.total) for r in TOTALS[TOTALS["margin"] == name].itertuples()}


def _api(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv")
    k3 = np.where(d["acs.k3"] > 20, "yes", "no").astype(object)
    k3[d["acs.k3"].isna().to_numpy()] = None
    return d.assign(
        meals_hi=np.where(d["meals"] > 50, "yes", "no"),
        ell_cat=np.where(d["ell"] <= 10, "low", np.where(d["ell"] <= 30, "mid", "high")),
        k3_big=k3,
    )  # as the R scripts derive them


@pytest.fixture(scope="module")
def designs() -> dict[str, SurveyDesign]:
    strat = SurveyDesign(_api("apistrat"), "pw", strata="stype", fpc="fpc")
    clus = SurveyDesign(_api("apiclus1"), "pw", psu="dnum", fpc="fpc")
    return {
        "strat": strat,
        "clus": clus,
        "cal": clus.calibrate({"stype": _margin("stype"), "api99": _margin("api99")[""]}),
        "rake": strat.rake({"sch.wide": _margin("sch.wide"), "meals_hi": _margin("meals_hi")}),
    }


def _domain(text: str) -> tuple[str | None, str | None]:
    return tuple(text.split("=")) if isinstance(text, str) and text else (None, None)  # type: ignore[return-value]


def test_chisq_equals_svychisq(designs: dict[str, SurveyDesign]) -> None:
    ref = pd.read_csv(DATA / "survey" / "svychisq_reference.csv")
    assert len(ref) == 20
    for r in ref.itertuples():
        by, value = _domain(r.domain)
        res = designs[r.design].chisq(r.rows, r.cols, statistic=r.statistic, by=by)
        assert isinstance(res, HypothesisTestResult)
        t = res.to_frame()
        got = (t[t[by] == value] if by else t).iloc[0]
        assert got["valid"], got["reason"]
        if r.statistic == "F":
            assert got["statistic"] == pytest.approx(r.value, rel=1e-10)
            assert got["ddf"] == pytest.approx(r.ddf, rel=1e-10)
            assert got["distribution"] == "F"
        else:  # R prints the uncorrected X^2; its p-value is of the corrected one
            assert got["pearson"] == pytest.approx(r.value, rel=1e-10)
            assert np.isnan(got["ddf"]) and got["distribution"] == "chi2"
        assert got["ndf"] == pytest.approx(r.ndf, rel=1e-10)
        assert got["p_value"] == pytest.approx(r.p_value, rel=1e-9)


def test_chisq_invalid_tests_say_why(designs: dict[str, SurveyDesign]) -> None:
    strat = designs["strat"]
    one = strat.chisq("sch.wide", "ell_cat", by="stype").to_frame()
    assert one["valid"].all() and len(one) == 3
    # within one stratum, stype has a single category
    t = strat.chisq("stype", "ell_cat", by="meals_hi")
    assert t.valid.all()
    same = strat.data.assign(level=strat.data["stype"])  # within a domain, one category
    lonely = SurveyDesign(same, "pw", strata="stype").chisq("level", "sch.wide", by="stype")
    assert not lonely.valid.any()
    assert lonely.to_frame()["reason"].str.contains("fewer than two categories").all()
    assert np.isnan(lonely.to_frame()["p_value"]).all()
    # the high schools of apiclus1 have no acs.k3: no row has both variables
    clus = designs["clus"].chisq("k3_big", "sch.wide", by="stype").to_frame().set_index("stype")
    assert not clus.loc["H", "valid"] and "fewer than two categories" in clus.loc["H", "reason"]
    assert clus.loc["E", "valid"]
    with pytest.raises(ValueError, match="statistic"):
        strat.chisq("sch.wide", "stype", statistic="Wald")
    with pytest.raises(ValueError, match="two different columns"):
        strat.chisq("stype", "stype")


def test_var_equals_svyvar(designs: dict[str, SurveyDesign]) -> None:
    ref = pd.read_csv(DATA / "survey" / "svyvar_reference.csv", keep_default_na=False)
    assert len(ref) == 28
    checked = 0
    for case, rows in ref.groupby("case", sort=False):
        by = "stype" if rows["domain"].iloc[0] else None
        names = list(dict.fromkeys(v for t in rows["term"] for v in t.split(",")))
        t = designs[rows["design"].iloc[0]].var(names, by=by).to_frame()
        for r in rows.itertuples():
            pair = r.term.split(",")
            a, b = sorted(pair, key=names.index) if len(pair) == 2 else pair * 2
            got = t[(t["variable"] == a) & (t["with"] == b)]
            if by:
                got = got[got["stype"] == r.domain.split("=")[1]]
            got = got.iloc[0]
            if r.estimate == 0 and r.se == 0:  # R's 0 for a domain without observed values
                assert not got["valid"] and "empty domain" in got["reason"], case
                continue
            assert got["estimate"] == pytest.approx(r.estimate, rel=1e-10), case
            assert got["std_error"] == pytest.approx(r.se, rel=1e-10), case
            checked += 1
    assert checked == 26


def test_var_of_a_single_row_is_invalid() -> None:
    d = pd.DataFrame({"y": [1.0, 2, 3, 5], "g": ["a", "a", "a", "b"], "w": [1.0, 2, 1, 1]})
    t = SurveyDesign(d, "w").var("y", by="g").to_frame().set_index("g")
    assert t.loc["a", "valid"] and not t.loc["b", "valid"]
    # n/(n-1) * weighted mean of squared deviations (the definition svyvar uses)
    mean = (1 + 4 + 3) / 4
    expected = 3 / 2 * ((1 - mean) ** 2 + 2 * (2 - mean) ** 2 + (3 - mean) ** 2) / 4
    assert t.loc["a", "estimate"] == pytest.approx(expected, rel=1e-12)
    assert t.loc["b", "reason"] == "a single row: no variance"
