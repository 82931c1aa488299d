"""Tests for shuangjian_eval.estimation.survey.SurveyDesign.

Sources of expected values:

- [DOC] values printed in the R ``survey`` package's own documentation for the California API
  samples: the vignette "A survey analysis example" (``doc/survey.pdf`` of survey 4.1-1), and
  values quoted from the package examples and Lumley, *Complex Surveys* (2010), ch. 2;
- [R] the output of ``tests/data/survey_make_reference.R`` run with R 4.2.2 and survey 4.1-1,
  stored as ``tests/data/survey_r_reference_output.txt``; section numbers (``R §4``) refer to
  its ``## N`` headings;
- [TEXTBOOK] a slow, explicit-loop implementation of the with-replacement Taylor-linearisation
  variance with ultimate clusters (Cochran 1977, *Sampling Techniques*, ch. 11; Lumley 2010,
  ch. 2-3; the domain as a ratio estimator, Cochran ch. 6) written below,
  independently of the package;
- [TRUTH] synthetic populations whose true mean is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuangjian_eval.estimation.survey import SurveyDesign

DATA = Path(__file__).parent / "data"


def _api(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", dtype={"cds": str})


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return _api("apiclus1")


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return _api("apistrat")


@pytest.fixture(scope="module")
def dstrat(apistrat) -> SurveyDesign:
    # svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    return SurveyDesign(apistrat, "pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="module")
def dclus1(apiclus1) -> SurveyDesign:
    # svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    return SurveyDesign(apiclus1, "pw", psu="dnum", fpc="fpc")


def _rows(result) -> pd.DataFrame:
    return result.to_frame().set_index("term")


# ---------------------------------------------------------------- published values [DOC]
def test_published_stratified_mean_and_total(dstrat):
    mean, total = dstrat.mean("api00"), dstrat.total("enroll")
    # [DOC] svymean(~api00, dstrat): 662.29, SE 9.4089; svytotal(~enroll, dstrat): 3687178, 114642
    assert mean.estimate == pytest.approx(662.29, abs=0.005)
    assert mean.std_error == pytest.approx(9.4089, abs=5e-5)
    assert total.estimate == pytest.approx(3687178, abs=0.5)
    assert total.std_error == pytest.approx(114642, abs=0.5)


def test_published_cluster_mean_total_deff_ratio_median(dclus1):
    mean = dclus1.mean("api00")
    # [DOC] vignette: svymean(~api00, dclus1) 644.17, SE 23.542; DEff 9.3459 as quoted in the
    # brief, confirmed by R §2 (svymean(~api00, dclus1, deff=TRUE): 9.34587)
    assert mean.estimate == pytest.approx(644.17, abs=0.005)
    assert mean.std_error == pytest.approx(23.542, abs=5e-4)
    assert mean.to_frame()["deff"].iloc[0] == pytest.approx(9.3459, abs=5e-5)
    total = dclus1.total("enroll")
    # [DOC] vignette: svytotal(~enroll, dclus1): 3404940, SE 932235
    assert total.estimate == pytest.approx(3404940, abs=0.5)
    assert total.std_error == pytest.approx(932235, abs=0.5)
    # [DOC] vignette: svyratio(~api.stu, ~enroll, dclus1): 0.8497087, SE 0.008386297
    ratio = dclus1.ratio("api.stu", "enroll")
    assert ratio.estimate == pytest.approx(0.8497087, abs=5e-8)
    assert ratio.std_error == pytest.approx(0.008386297, abs=5e-10)
    # [DOC] svyquantile(~api00, dclus1, 0.5), R >= 4.1 default qrule "math": 652
    assert dclus1.quantile("api00").estimate == 652


def test_published_vignette_values(dclus1, apiclus1):
    # [DOC] vignette: svyquantile(~api00, dclus1, quantile=c(0.25,0.5,0.75), ci=TRUE)
    quart = dclus1.quantile("api00", q=[0.25, 0.5, 0.75]).to_frame()
    assert quart["estimate"].tolist() == [552, 652, 719]
    assert quart["ci_lower"].tolist() == [492, 561, 696]
    assert quart["ci_upper"].tolist() == [627, 714, 777]
    assert quart["std_error"].tolist() == pytest.approx([31.47166, 35.66788, 18.88300], abs=5e-6)
    # [DOC] vignette: svyby(~ell+meals, ~stype, design=dclus1, svymean)
    by = _rows(dclus1.mean(["ell", "meals"], by="stype"))
    expected = {
        "ell": {"E": (29.69444, 1.411617), "H": (15.0, 5.347065), "M": (22.68, 2.952862)},
        "meals": {"E": (53.09028, 7.070399), "H": (37.57143, 5.912262), "M": (43.08, 6.017110)},
    }
    for var, rows in expected.items():
        for stype, (est, se) in rows.items():
            assert by.loc[f"{var} | stype={stype}", "estimate"] == pytest.approx(est, abs=5e-6)
            assert by.loc[f"{var} | stype={stype}", "std_error"] == pytest.approx(se, rel=1e-6)
    # [DOC] vignette: svytotal(~stype, dclus1): E 4873.97 (1333.32), H 473.86 (158.70),
    # M 846.17 (167.55); here as totals of indicator columns
    flags = apiclus1.assign(**{f"is_{s}": apiclus1["stype"] == s for s in "EHM"})
    totals = SurveyDesign(flags, "pw", psu="dnum", fpc="fpc").total(["is_E", "is_H", "is_M"])
    assert totals.estimate.tolist() == pytest.approx([4873.97, 473.86, 846.17], abs=0.005)
    assert totals.std_error.tolist() == pytest.approx([1333.32, 158.70, 167.55], abs=0.005)
    # [DOC] vignette: svyratio(~api.stu, ~enroll, design=subset(dclus1, stype=="H"))
    # 0.8300683, SE 0.01472607: the same as the full-design domain estimate
    h = _rows(dclus1.ratio("api.stu", "enroll", by="stype")).loc["api.stu/enroll | stype=H"]
    assert h["estimate"] == pytest.approx(0.8300683, abs=5e-8)
    assert h["std_error"] == pytest.approx(0.01472607, abs=5e-9)


# ---------------------------------------------------------------- R output, full precision [R]
def test_r_stratified_design(dstrat):
    mean = _rows(dstrat.mean("api00"))
    # R §1: svymean(~api00, dstrat, deff=TRUE) 662.287363159 SE 9.408940803 DEff 1.20446
    assert mean.loc["api00", "estimate"] == pytest.approx(662.287363159, rel=1e-11)
    assert mean.loc["api00", "std_error"] == pytest.approx(9.408940803, rel=1e-9)
    assert mean.loc["api00", "deff"] == pytest.approx(1.20446, abs=5e-6)
    assert mean.loc["api00", "n"] == 200
    # R §1: deff="replace" 1.16557
    replace = dstrat.mean("api00", deff="replace").to_frame()["deff"].iloc[0]
    assert replace == pytest.approx(1.16557, abs=5e-6)
    total = _rows(dstrat.total("enroll"))
    # R §1: svytotal(~enroll, dstrat, deff=TRUE) 3687177.5324 SE 114641.7161 DEff 0.36202
    assert total.loc["enroll", "estimate"] == pytest.approx(3687177.5324, rel=1e-10)
    assert total.loc["enroll", "std_error"] == pytest.approx(114641.7161, rel=1e-9)
    assert total.loc["enroll", "deff"] == pytest.approx(0.36202, abs=5e-6)
    assert dstrat.design_df == 197  # R §2: degf(dstrat)


def test_r_cluster_design(dclus1):
    mean = _rows(dclus1.mean("api00"))
    # R §2: 644.16939891 SE 23.54224069 DEff 9.34587; deff="replace" 9.06975
    assert mean.loc["api00", "estimate"] == pytest.approx(644.16939891, rel=1e-10)
    assert mean.loc["api00", "std_error"] == pytest.approx(23.54224069, rel=1e-9)
    assert mean.loc["api00", "deff"] == pytest.approx(9.34587, abs=5e-6)
    replace = dclus1.mean("api00", deff="replace").to_frame()["deff"].iloc[0]
    assert replace == pytest.approx(9.06975, abs=5e-6)
    total = _rows(dclus1.total("enroll"))
    # R §2: 3404940.135 SE 932235.027 DEff 31.31066
    assert total.loc["enroll", "estimate"] == pytest.approx(3404940.135, abs=5e-4)
    assert total.loc["enroll", "std_error"] == pytest.approx(932235.027, rel=1e-9)
    assert total.loc["enroll", "deff"] == pytest.approx(31.31066, abs=5e-6)
    assert dclus1.design_df == 14  # R §2: degf(dclus1)


def test_r_confint_normal_and_design_df(dclus1):
    # R §2: confint(svymean(~api00, dclus1)) 598.027455032 690.311342782
    ci = dclus1.mean("api00").conf_int().loc["api00"]
    assert ci["ci_lower"] == pytest.approx(598.027455032, rel=1e-10)
    assert ci["ci_upper"] == pytest.approx(690.311342782, rel=1e-10)
    # R §2: confint(..., df=degf(dclus1)) 593.676314463 694.662483351
    res = dclus1.mean("api00", df="design")
    assert res.to_frame()["df"].iloc[0] == 14
    assert res.to_frame()["ci_lower"].iloc[0] == pytest.approx(593.676314463, rel=1e-10)
    assert res.conf_int().loc["api00", "ci_upper"] == pytest.approx(694.662483351, rel=1e-10)
    fixed = dclus1.mean("api00", df=14).to_frame()
    assert fixed["ci_upper"].iloc[0] == pytest.approx(694.662483351, rel=1e-10)


def test_r_simple_random_sample():
    # svydesign(id=~1, weights=~pw, data=apisrs, fpc=~fpc); R §3: 656.585 SE 9.249722039 DEff 1
    d = SurveyDesign(_api("apisrs"), "pw", fpc="fpc")
    row = d.mean("api00").to_frame().iloc[0]
    assert row["estimate"] == pytest.approx(656.585, rel=1e-12)
    assert row["std_error"] == pytest.approx(9.249722039, rel=1e-9)
    assert row["deff"] == pytest.approx(1.0, abs=1e-9)


def test_r_domain_means_and_totals(dclus1, dstrat):
    by = _rows(dclus1.mean("api00", by="stype"))
    # R §4: svyby(~api00, ~stype, dclus1, svymean, deff=TRUE)
    expected = {
        "E": (648.868055556, 22.3624088938, 6.58367352503),
        "H": (618.571428571, 38.0202493594, 2.22825931687),
        "M": (631.440000000, 31.6094652272, 2.16389972008),
    }
    for stype, (est, se, deff) in expected.items():
        row = by.loc[f"api00 | stype={stype}"]
        assert row["stype"] == stype
        assert row["estimate"] == pytest.approx(est, rel=1e-11)
        assert row["std_error"] == pytest.approx(se, rel=1e-10)
        assert row["deff"] == pytest.approx(deff, rel=1e-10)
    assert by["n"].tolist() == [144, 14, 25]
    totals = _rows(dclus1.total("enroll", by="stype"))
    # R §4: svyby(~enroll, ~stype, dclus1, svytotal, deff=TRUE)
    expected = {
        "E": (2109717.126835, 631349.386275, 125.03907530965),
        "H": (535594.869568, 226716.594706, 4.64581574186),
        "M": (759628.138126, 213635.484268, 13.01493170550),
    }
    for stype, (est, se, deff) in expected.items():
        row = totals.loc[f"enroll | stype={stype}"]
        assert row["estimate"] == pytest.approx(est, rel=1e-11)
        assert row["std_error"] == pytest.approx(se, rel=1e-10)
        assert row["deff"] == pytest.approx(deff, rel=1e-10)
    strat = _rows(dstrat.mean("api00", by="stype"))
    # R §4: svyby(~api00, ~stype, dstrat, svymean): E 674.43 12.3824797939, H 14.9371291854,
    # M 16.2147073082
    assert strat["estimate"].tolist() == pytest.approx([674.43, 625.82, 636.60], rel=1e-12)
    assert strat["std_error"].tolist() == pytest.approx(
        [12.3824797939, 14.9371291854, 16.2147073082], rel=1e-10
    )


def test_r_many_variables_many_domains_in_one_call(dclus1):
    res = dclus1.mean(["api00", "api99"], by=["stype", "sch.wide"])
    frame = res.to_frame()
    assert len(frame) == 12 and list(frame.columns[:4]) == ["term", "stype", "sch.wide", "variable"]
    rows = frame.set_index("term")
    # R §4: svyby(~api00 + api99, ~stype + sch.wide, dclus1, svymean)
    expected = {
        ("E", "No"): (596.333333333, 601.666666667, 43.4901028026, 47.2758202488),
        ("H", "No"): (659.333333333, 662.000000000, 27.0027533103, 29.2300280508),
        ("M", "No"): (606.375000000, 611.375000000, 41.1168635805, 41.1188589842),
        ("E", "Yes"): (653.643939394, 608.348484848, 20.3171960180, 21.5249320853),
        ("H", "Yes"): (607.454545455, 577.636363636, 43.7046815712, 46.5012498866),
        ("M", "Yes"): (643.235294118, 607.294117647, 42.1284963439, 42.5304589535),
    }
    for (stype, sw), (m00, m99, se00, se99) in expected.items():
        tag = f"stype={stype}, sch.wide={sw}"
        assert rows.loc[f"api00 | {tag}", "estimate"] == pytest.approx(m00, rel=1e-11)
        assert rows.loc[f"api99 | {tag}", "estimate"] == pytest.approx(m99, rel=1e-11)
        assert rows.loc[f"api00 | {tag}", "std_error"] == pytest.approx(se00, rel=1e-10)
        assert rows.loc[f"api99 | {tag}", "std_error"] == pytest.approx(se99, rel=1e-10)


def test_r_missing_values_and_empty_domain(dclus1):
    # acs.k3 is missing for all high and middle schools in apiclus1.
    # R §5: svymean(~acs.k3, dclus1, na.rm=TRUE, deff=TRUE) 20.0347222222 SE 0.5204886598 11.07958
    row = dclus1.mean("acs.k3").to_frame().iloc[0]
    assert row["estimate"] == pytest.approx(20.0347222222, rel=1e-11)
    assert row["std_error"] == pytest.approx(0.5204886598, rel=1e-9)
    assert row["deff"] == pytest.approx(11.07958, abs=5e-6)
    assert row["n"] == 144
    by = _rows(dclus1.mean("acs.k3", by="stype"))
    # R §5 prints 0 with SE 0 for the empty M domain; here it is an invalid row instead.
    assert by.loc["acs.k3 | stype=E", "std_error"] == pytest.approx(0.52048865979, rel=1e-10)
    for stype in ("H", "M"):
        row = by.loc[f"acs.k3 | stype={stype}"]
        assert not row["valid"] and "empty domain" in row["reason"]
        assert np.isnan(row["estimate"]) and row["n"] == 0
    propagated = dclus1.mean("acs.k3", na="propagate").to_frame().iloc[0]
    assert not propagated["valid"] and "39 missing" in propagated["reason"]


def test_r_ratios(dclus1):
    # R §6: svyratio(~api.stu, ~enroll, dclus1) 0.849708741724 SE 0.00838629716939
    res = dclus1.ratio("api.stu", "enroll")
    assert res.estimate == pytest.approx(0.849708741724, rel=1e-11)
    assert res.std_error == pytest.approx(0.00838629716939, rel=1e-10)
    by = _rows(dclus1.ratio("api.stu", "enroll", by="stype"))
    # R §6: svyby(~api.stu, ~stype, dclus1, svyratio, denominator=~enroll)
    assert by["estimate"].tolist() == pytest.approx(
        [0.853267234602, 0.830068250758, 0.853673751281], rel=1e-11
    )
    assert by["std_error"].tolist() == pytest.approx(
        [0.0125336085965, 0.0147260732433, 0.0111420286696], rel=1e-10
    )
    assert set(by["denominator"]) == {"enroll"}


def test_r_proportions_logit_ci(dclus1, apiclus1):
    res = _rows(dclus1.proportion("sch.wide"))
    # R §7: svyciprop(~I(sch.wide == "Yes"), dclus1, method="logit") 0.87431694 [0.82379889,
    # 0.9119]; svymean gives SE 0.02036
    yes = res.loc["sch.wide=Yes"]
    assert yes["estimate"] == pytest.approx(0.87431694, abs=5e-9)
    assert yes["std_error"] == pytest.approx(0.02036, abs=5e-6)
    assert yes["ci_lower"] == pytest.approx(0.82379889, abs=5e-9)
    assert yes["ci_upper"] == pytest.approx(0.9119, abs=5e-5)
    assert yes["df"] == 14  # svyciprop uses df = degf(design)
    assert res.loc["sch.wide=No", "estimate"] == pytest.approx(1 - yes["estimate"])
    # R §7: level = 0.9: [0.83387593, 0.90602]
    ci90 = dclus1.proportion("sch.wide").conf_int(0.9).loc["sch.wide=Yes"]
    assert ci90["ci_lower"] == pytest.approx(0.83387593, abs=5e-9)
    assert ci90["ci_upper"] == pytest.approx(0.90602, abs=5e-6)
    # R §7: svyby(~I(sch.wide == "Yes"), ~stype, dclus1, svyciprop, vartype=c("se", "ci"))
    data = apiclus1.assign(met_target=apiclus1["sch.wide"] == "Yes")
    d = SurveyDesign(data, "pw", psu="dnum", fpc="fpc")
    by = d.proportion("met_target", by="stype").to_frame()
    assert by["term"].tolist() == [f"met_target | stype={s}" for s in "EHM"]
    assert by["estimate"].tolist() == pytest.approx([0.916666666667, 0.785714285714, 0.68])
    assert by["std_error"].tolist() == pytest.approx(
        [0.0209842789525, 0.0914619099888, 0.1095022483980], rel=1e-10
    )
    assert by["ci_lower"].tolist() == pytest.approx(
        [0.859206537056, 0.503687967866, 0.412455444697], rel=1e-10
    )
    assert by["ci_upper"].tolist() == pytest.approx(
        [0.951986801472, 0.929812572365, 0.865456261651], rel=1e-10
    )
    assert by["df"].tolist() == [14, 7, 11]  # R §7: degf(subset(dclus1, stype == "M")) = 11


def test_r_categorical_proportions(dclus1):
    res = dclus1.proportion("stype").to_frame()
    # R §7: svymean(~stype, dclus1): E 0.78688524590 (0.04634), H 0.07650273224 (0.02681),
    # M 0.13661202186 (0.02965)
    assert res["category"].tolist() == ["E", "H", "M"]
    assert res["estimate"].tolist() == pytest.approx([0.78688524590, 0.07650273224, 0.13661202186])
    assert res["std_error"].tolist() == pytest.approx([0.04634, 0.02681, 0.02965], abs=5e-6)
    assert res["estimate"].sum() == pytest.approx(1.0)


def test_r_quantiles_woodruff(dclus1, dstrat):
    # R §8: svyquantile(~api00, dclus1, 0.5, ci=TRUE): 652 [561, 714] SE 35.6678826995
    row = dclus1.quantile("api00").to_frame().iloc[0]
    assert (row["estimate"], row["ci_lower"], row["ci_upper"]) == (652, 561, 714)
    assert row["std_error"] == pytest.approx(35.6678826995, rel=1e-10)
    assert np.isnan(row["p_value"])
    # R §8: svyquantile(~api00, dstrat, c(0.25, 0.5, 0.75), ci=TRUE)
    quart = dstrat.quantile("api00", q=[0.25, 0.5, 0.75]).to_frame()
    assert quart["estimate"].tolist() == [565, 668, 756]
    assert quart["ci_lower"].tolist() == [535, 642, 726]
    assert quart["ci_upper"].tolist() == [597, 694, 778]
    assert quart["std_error"].tolist() == pytest.approx(
        [15.7194511320, 13.1840557882, 13.1840557882], rel=1e-10
    )
    # R §8: qrule="school", quantiles 0.1 and 0.9
    school = dclus1.quantile("api00", q=[0.1, 0.9], rule="school").to_frame()
    assert school["estimate"].tolist() == [502, 781]
    assert school["ci_lower"].tolist() == [461, 745]
    assert school["ci_upper"].tolist() == [529, 836]
    # R §8: alpha=0.1: 652 [585, 709] SE 35.2010692159, both as level=0.9 and conf_int(0.9)
    r90 = dclus1.quantile("api00", level=0.9)
    assert r90.std_error == pytest.approx(35.2010692159, rel=1e-10)
    ci90 = dclus1.quantile("api00").conf_int(0.9).iloc[0]
    assert (ci90["ci_lower"], ci90["ci_upper"]) == (585, 709)


def test_r_quantiles_in_domains(dclus1):
    # R §8: svyquantile on subset(dclus1, stype == "E") and "M": 652 [561, 717] SE 36.3672529485;
    # 642 [528, 720] SE 43.6168320172
    by = _rows(dclus1.quantile("api00", by="stype"))
    e, m = by.loc["api00@q0.5 | stype=E"], by.loc["api00@q0.5 | stype=M"]
    assert (e["estimate"], e["ci_lower"], e["ci_upper"]) == (652, 561, 717)
    assert e["std_error"] == pytest.approx(36.3672529485, rel=1e-10)
    assert (m["estimate"], m["ci_lower"], m["ci_upper"]) == (642, 528, 720)
    assert m["std_error"] == pytest.approx(43.6168320172, rel=1e-10)


def test_r_difference_of_domain_means_with_shared_psus(dclus1):
    # R §9: b <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE);
    # svycontrast(b, c(E=-1, M=1)) -17.42805556 SE 14.33739; c(E=-1, H=1) -30.29662698 SE 30.02761
    em = dclus1.mean_diff("api00", between=("stype", "E", "M")).to_frame().iloc[0]
    assert em["estimate"] == pytest.approx(-17.42805556, abs=5e-9)
    assert em["std_error"] == pytest.approx(14.33739, abs=5e-6)
    assert em["mean_first"] == pytest.approx(648.868055556)
    assert em["mean_second"] == pytest.approx(631.44)
    assert em["term"] == "api00: stype=M - stype=E" and em["n"] == 169
    eh = dclus1.mean_diff("api00", between=("stype", "E", "H"))
    assert eh.estimate == pytest.approx(-30.29662698, abs=5e-9)
    assert eh.std_error == pytest.approx(30.02761, abs=5e-6)
    # R §9 vcov: var(E) 500.077331535 + var(M) 999.158291952 - 2 cov 646.837432380
    assert em["std_error"] ** 2 == pytest.approx(500.077331535 + 999.158291952 - 2 * 646.837432380)
    # Positive covariance within districts: much smaller than the independent-samples SE.
    se = dclus1.mean("api00", by="stype").std_error
    independent = np.hypot(se["api00 | stype=E"], se["api00 | stype=M"])
    assert em["std_error"] < 0.5 * independent


@pytest.fixture(scope="module")
def lonely_data(apiclus1) -> pd.DataFrame:
    # R §10: stratum A = district 135 only (a single PSU), B = dnum < 500, C = the rest.
    lone = np.where(apiclus1["dnum"] == 135, "A", np.where(apiclus1["dnum"] < 500, "B", "C"))
    return apiclus1.assign(lone=lone)


@pytest.mark.parametrize(
    ("rule", "se_mean", "se_total", "se_by"),
    [  # R §10, options(survey.lonely.psu=rule); svyby SEs for E, H, M
        ("remove", 23.3211, 893499.5958, (21.9657797568, 39.7643300663, 30.2963289805)),
        ("certainty", 23.3211, 893499.5958, (21.9657797568, 39.7643300663, 30.2963289805)),
        # adjust: the lonely PSU centred at the mean of all PSU totals, R survey >= 4.4
        # (tests/data/survey/lonely_adjust_reference.R; survey 4.1-1 centred it at zero,
        # 1028306.131 for the total: R §10); means are unchanged (their influence sums to 0)
        ("adjust", 23.55522, 936943.3154, (22.1835341694, 39.7643300663, 30.2963289805)),
        ("average", 28.5624, 1094309.048, (26.9024761033, 39.7643300663, 30.2963289805)),
    ],
)
def test_r_lonely_psu_rules(lonely_data, rule, se_mean, se_total, se_by):
    d = SurveyDesign(lonely_data, "pw", strata="lone", psu="dnum", lonely_psu=rule)
    assert d.lonely_strata == ["A"]
    assert d.mean("api00").std_error == pytest.approx(se_mean, abs=5e-5)
    assert d.total("enroll").std_error == pytest.approx(se_total, abs=5e-4)
    by = d.mean("api00", by="stype")
    assert by.std_error.tolist() == pytest.approx(list(se_by), rel=1e-10)
    assert by.to_frame()["valid"].all()


def test_lonely_psu_adjust_centres_at_the_mean_of_all_psu_totals(lonely_data):
    # source: tests/data/survey/lonely_adjust_reference.csv (R survey 4.1-1 pieces combined
    # by the survey >= 4.4 rule, see its script); the domain total of stype E reaches the
    # lonely stratum, every PSU of the design counting in the mean of the PSU totals
    ref = pd.read_csv(DATA / "survey" / "lonely_adjust_reference.csv").set_index(
        ["statistic", "rule"]
    )
    d = SurveyDesign(lonely_data, "pw", strata="lone", psu="dnum", lonely_psu="adjust")
    got = {
        "mean api00": d.mean("api00").std_error,
        "total enroll": d.total("enroll").std_error,
        "total enroll stype=E": d.total("enroll", by="stype").std_error.iloc[0],
    }
    for stat, se in got.items():
        assert se == pytest.approx(ref.loc[(stat, "adjust"), "se"], rel=1e-10)
    assert got["total enroll"] < ref.loc[("total enroll", "old_adjust"), "se"]


def test_r_lonely_psu_fail_marks_only_domains_reaching_the_stratum(lonely_data):
    d = SurveyDesign(lonely_data, "pw", strata="lone", psu="dnum")  # lonely_psu="fail"
    whole = d.mean("api00").to_frame().iloc[0]  # R §10: error "Stratum (A) has only one PSU"
    assert not whole["valid"] and np.isnan(whole["estimate"]) and np.isnan(whole["std_error"])
    assert whole["reason"] == "stratum 'A' has a single PSU and lonely_psu='fail'"
    assert whole["n"] == 183
    by = _rows(d.mean("api00", by="stype"))
    assert not by.loc["api00 | stype=E", "valid"]  # district 135 has elementary schools only
    # R §10: svymean(~api00, subset(dl, stype == "H")) 618.5714286 SE 39.76433; M: 30.29633
    assert by.loc["api00 | stype=H", "std_error"] == pytest.approx(39.76433, abs=5e-6)
    assert by.loc["api00 | stype=M", "std_error"] == pytest.approx(30.29633, abs=5e-6)


def test_r_fpc_as_sampling_fraction_and_no_fpc(apistrat, apiclus1):
    frac = apistrat.groupby("stype")["pw"].transform("size") / apistrat["fpc"]
    d = SurveyDesign(apistrat.assign(frac=frac), "pw", strata="stype", fpc="frac")
    assert d.mean("api00").std_error == pytest.approx(9.40894, abs=5e-6)  # R §11
    nofpc = SurveyDesign(apiclus1, "pw", psu="dnum")
    row = nofpc.mean("api00").to_frame().iloc[0]
    # R §12: svymean(~api00, svydesign(id=~dnum, weights=~pw), deff=TRUE) SE 23.77901072, 9.5348
    assert row["std_error"] == pytest.approx(23.77901072, rel=1e-9)
    assert row["deff"] == pytest.approx(9.5348, abs=5e-5)
    assert nofpc.mean("api00", by="stype").std_error.tolist() == pytest.approx(
        [22.5873130662, 38.4026282327, 31.9273692890], rel=1e-10
    )


# ---------------------------------------------------------------- textbook formulas [TEXTBOOK]
def _synthetic(seed: int = 1) -> pd.DataFrame:
    """Stratified two-stage sample: 4 strata, 3-6 PSUs each, 4-12 rows per PSU, unequal
    weights; domain "v" is absent from stratum 3 and from the first PSU of stratum 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(4):
        for g in range(int(rng.integers(3, 7))):
            effect = rng.normal(scale=2.0)
            for _ in range(int(rng.integers(4, 13))):
                none = h == 3 or (h == 0 and g == 0)
                dom = "u" if none else str(rng.choice(["u", "v"], p=[0.6, 0.4]))
                rows.append(
                    {
                        "stratum": h,
                        "psu": f"s{h}p{g}",
                        "w": rng.uniform(1, 9),
                        "y": 10 + h + effect + rng.normal(),
                        "dom": dom,
                        "npsu_pop": 10 + 3 * h,
                    }
                )
    return pd.DataFrame(rows)


def _textbook_domain_mean(
    df: pd.DataFrame, in_domain: np.ndarray, fpc: bool
) -> tuple[float, float]:
    """Domain ratio mean and its with-replacement linearisation variance, with explicit loops
    over strata, PSUs and rows: v = sum_h (1 - f_h) n_h / (n_h - 1) sum_g (z_hg - zbar_h)^2 with
    z_hg the PSU total of w_i d_i (y_i - mean) / N_d (Cochran 1977, ch. 6 and 11; Lumley 2010,
    ch. 2-3)."""
    w, y = df["w"].to_numpy(), df["y"].to_numpy()
    num = sum(w[i] * y[i] for i in range(len(df)) if in_domain[i])
    den = sum(w[i] for i in range(len(df)) if in_domain[i])
    est = num / den
    var = 0.0
    for h in sorted(df["stratum"].unique()):
        psus = sorted(df.loc[df["stratum"] == h, "psu"].unique())
        n_h = len(psus)
        z = []
        for g in psus:
            idx = np.flatnonzero((df["psu"] == g).to_numpy())
            z.append(sum(w[i] * (y[i] - est) / den for i in idx if in_domain[i]))
        zbar = sum(z) / n_h
        f = n_h / df.loc[df["stratum"] == h, "npsu_pop"].iloc[0] if fpc else 0.0
        var += (1 - f) * n_h / (n_h - 1) * sum((zg - zbar) ** 2 for zg in z)
    return est, var**0.5


@pytest.mark.parametrize("fpc", [None, "npsu_pop"])
def test_textbook_domain_means_use_the_full_design(fpc):
    df = _synthetic()
    d = SurveyDesign(df, "w", strata="stratum", psu="psu", fpc=fpc)
    res = _rows(d.mean("y", by="dom"))
    for dom in ("u", "v"):
        est, se = _textbook_domain_mean(df, (df["dom"] == dom).to_numpy(), fpc is not None)
        assert res.loc[f"y | dom={dom}", "estimate"] == pytest.approx(est, rel=1e-12)
        assert res.loc[f"y | dom={dom}", "std_error"] == pytest.approx(se, rel=1e-10)
    est, se = _textbook_domain_mean(df, np.ones(len(df), bool), fpc is not None)
    assert d.mean("y").std_error == pytest.approx(se, rel=1e-10)
    # Naive subsetting drops the PSU of stratum 0 without domain members, so that stratum's
    # PSU totals are centred on a different mean over fewer PSUs: a different (wrong) SE.
    # (A stratum with no members at all contributes zero either way.)
    sub = df[df["dom"] == "v"]
    naive = SurveyDesign(sub, "w", strata="stratum", psu="psu").mean("y").std_error
    assert naive != pytest.approx(res.loc["y | dom=v", "std_error"], rel=1e-3)


def test_textbook_mean_difference_with_shared_psus():
    df = _synthetic(seed=2)
    d = SurveyDesign(df, "w", strata="stratum", psu="psu")
    res = d.mean_diff("y", between=("dom", "u", "v")).to_frame().iloc[0]
    # Explicit loops: PSU totals of z_i = w_i [v_i (y_i - m_v) / N_v - u_i (y_i - m_u) / N_u]
    w, y, dom = df["w"].to_numpy(), df["y"].to_numpy(), df["dom"].to_numpy()
    means, sizes = {}, {}
    for lab in ("u", "v"):
        sizes[lab] = sum(w[i] for i in range(len(df)) if dom[i] == lab)
        means[lab] = sum(w[i] * y[i] for i in range(len(df)) if dom[i] == lab) / sizes[lab]
    var = 0.0
    for h in sorted(df["stratum"].unique()):
        psus = sorted(df.loc[df["stratum"] == h, "psu"].unique())
        z = []
        for g in psus:
            total = 0.0
            for i in np.flatnonzero((df["psu"] == g).to_numpy()):
                sign = 1.0 if dom[i] == "v" else -1.0
                total += sign * w[i] * (y[i] - means[dom[i]]) / sizes[dom[i]]
            z.append(total)
        zbar = sum(z) / len(z)
        var += len(z) / (len(z) - 1) * sum((zg - zbar) ** 2 for zg in z)
    assert res["estimate"] == pytest.approx(means["v"] - means["u"], rel=1e-12)
    assert res["std_error"] == pytest.approx(var**0.5, rel=1e-10)


def test_mean_diff_by_domain_and_waves_sharing_schools():
    # Same schools observed in two waves; school effects persist: the paired SE is smaller.
    rng = np.random.default_rng(7)
    schools = np.repeat(np.arange(60), 20)
    effect = rng.normal(scale=3.0, size=60)[schools]
    rows = []
    for wave, shift in ((2019, 0.0), (2022, -1.0)):
        rows.append(
            pd.DataFrame(
                {
                    "school_id": schools,
                    "stratum": schools % 6,
                    "wave": wave,
                    "urban": np.where(schools % 2 == 0, "urban", "rural"),
                    "weight": rng.uniform(1, 3, schools.size),
                    "y": 50 + effect + shift + rng.normal(size=schools.size),
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    d = SurveyDesign(df, "weight", strata="stratum", psu="school_id")
    diff = d.mean_diff("y", between=("wave", 2019, 2022), by="urban").to_frame()
    means = _rows(d.mean("y", by=["urban", "wave"]))
    for area in ("rural", "urban"):
        row = diff.set_index("urban").loc[area]
        m19, m22 = (means.loc[f"y | urban={area}, wave={wv}"] for wv in (2019, 2022))
        assert row["estimate"] == pytest.approx(m22["estimate"] - m19["estimate"])
        assert row["std_error"] < 0.5 * np.hypot(m19["std_error"], m22["std_error"])
        assert row["valid"]


# ---------------------------------------------------------------- known truth [TRUTH]
def _population(rng: np.random.Generator) -> pd.DataFrame:
    """400 schools of 20-59 pupils in 8 strata; school effects make pupils correlated."""
    n_schools = 400
    school_effect = rng.normal(scale=4.0, size=n_schools)
    sizes = rng.integers(20, 60, n_schools)
    school = np.repeat(np.arange(n_schools), sizes)
    return pd.DataFrame(
        {
            "school_id": school,
            "stratum": school % 8,
            "y": 60
            + school_effect[school]
            + 3 * (school % 8)
            + rng.normal(scale=5, size=school.size),
        }
    )


def _sampler(pop: pd.DataFrame):
    """Stratified two-stage sample: 6 schools per stratum by SRS without replacement, then 10
    pupils per school; weight = (schools in stratum / 6) * (pupils in school / 10)."""
    pupils = {s: g["y"].to_numpy() for s, g in pop.groupby("school_id")}
    by_stratum = {h: np.unique(g["school_id"]) for h, g in pop.groupby("stratum")}

    def draw(rng: np.random.Generator) -> pd.DataFrame:
        ys, schools, strata, weights = [], [], [], []
        for h, ids in by_stratum.items():
            for s in rng.choice(ids, 6, replace=False):
                ys.append(rng.choice(pupils[s], 10, replace=False))
                schools.append(np.full(10, s))
                strata.append(np.full(10, h))
                weights.append(np.full(10, len(ids) / 6 * len(pupils[s]) / 10))
        return pd.DataFrame(
            {
                "y": np.concatenate(ys),
                "school_id": np.concatenate(schools),
                "stratum": np.concatenate(strata),
                "weight": np.concatenate(weights),
            }
        )

    return draw


@pytest.mark.slow
def test_known_truth_mean_and_ci_coverage():
    rng = np.random.default_rng(2021)
    pop = _population(rng)
    truth = pop["y"].mean()
    draw = _sampler(pop)
    hits, estimates, reps = 0, [], 300
    for _ in range(reps):
        sample = draw(rng)
        res = SurveyDesign(sample, "weight", strata="stratum", psu="school_id").mean("y")
        row = res.to_frame().iloc[0]
        estimates.append(row["estimate"])
        hits += row["ci_lower"] <= truth <= row["ci_upper"]
    # Unbiased up to simulation error (SE of the mean of 300 estimates is about 0.04).
    assert np.mean(estimates) == pytest.approx(truth, abs=0.2)
    # 95% CIs: the binomial 99.9% range for 300 replicates is about [0.91, 0.985].
    assert 0.91 <= hits / reps <= 0.985


def test_known_truth_single_sample_close():
    rng = np.random.default_rng(5)
    pop = _population(rng)
    sample = _sampler(pop)(rng)
    res = SurveyDesign(sample, "weight", strata="stratum", psu="school_id").mean("y")
    assert abs(res.estimate - pop["y"].mean()) < 4 * res.std_error
    assert res.nobs == len(sample) == 480
    # Known truth for the total: the population size is estimated without error here,
    # because weights reproduce school counts exactly within strata in expectation only.
    assert res.to_frame()["N"].iloc[0] == pytest.approx(sample["weight"].sum())


# ---------------------------------------------------------------- behaviour
def test_weights_are_not_frequency_weights(dclus1, apiclus1):
    doubled = SurveyDesign(apiclus1.assign(pw=2 * apiclus1["pw"]), "pw", psu="dnum", fpc="fpc")
    a, b = dclus1.mean("api00", by="stype").to_frame(), doubled.mean("api00", by="stype")
    b = b.to_frame()
    assert b["estimate"].tolist() == pytest.approx(a["estimate"].tolist(), rel=1e-13)
    assert b["std_error"].tolist() == pytest.approx(a["std_error"].tolist(), rel=1e-12)
    assert b["n"].tolist() == a["n"].tolist() == [144, 14, 25]
    assert b["N"].tolist() == pytest.approx((2 * a["N"]).tolist())
    assert doubled.total("enroll").estimate == pytest.approx(2 * dclus1.total("enroll").estimate)


def test_input_data_is_not_modified(apiclus1):
    before = apiclus1.copy()
    d = SurveyDesign(apiclus1, "pw", psu="dnum", fpc="fpc")
    d.mean(["api00", "acs.k3"], by="stype")
    d.quantile("api00", by="stype")
    d.proportion("sch.wide")
    pd.testing.assert_frame_equal(apiclus1, before)


def test_each_row_its_own_psu_and_single_stratum():
    df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 7.0], "w": [1.0, 1.0, 1.0, 1.0]})
    res = SurveyDesign(df, "w").mean("y")
    # [TEXTBOOK] SRS with replacement: se = s / sqrt(n) with s the sample SD (n - 1)
    assert res.estimate == pytest.approx(3.5)
    assert res.std_error == pytest.approx(np.std([1, 2, 4, 7], ddof=1) / 2)
    assert SurveyDesign(df, "w").design_df == 3


def test_nullable_and_boolean_columns():
    df = pd.DataFrame(
        {
            "y": pd.array([1, 2, None, 4], dtype="Int64"),
            "flag": pd.array([True, False, None, True], dtype="boolean"),
            "w": [1.0, 2.0, 1.0, 1.0],
        }
    )
    d = SurveyDesign(df, "w")
    assert d.mean("y").estimate == pytest.approx((1 + 4 + 4) / 4)
    prop = d.proportion("flag").to_frame().iloc[0]
    assert prop["estimate"] == pytest.approx(2 / 4) and prop["n"] == 3
    assert prop["category"] is True or prop["category"] == True  # noqa: E712


def test_categorical_by_and_proportion_of_zero_one_variable():
    df = pd.DataFrame(
        {
            "wave": pd.Categorical([2022, 2019, 2019, 2022, 2019], categories=[2019, 2022]),
            "tutoring": [1, 0, 1, 1, 0],
            "w": [1.0, 1, 1, 1, 1],
        }
    )
    res = SurveyDesign(df, "w").proportion("tutoring", by="wave").to_frame()
    assert res["term"].tolist() == ["tutoring | wave=2019", "tutoring | wave=2022"]
    assert res["estimate"].tolist() == pytest.approx([1 / 3, 1.0])
    assert res["ci_lower"].iloc[1] == res["ci_upper"].iloc[1] == 1.0


def test_result_carries_options_and_nobs(dclus1):
    res = dclus1.mean("acs.k3", by="stype", level=0.9)
    assert res.method == "mean" and res.level == 0.9
    assert res.options["by"] == ["stype"] and res.options["psu"] == "dnum"
    assert res.options["lonely_psu"] == "fail"
    assert res.nobs == 144
    assert "acs.k3 | stype=E" in res.summary()
    assert "&lt;" not in res._repr_html_() and "<table>" in res._repr_html_()


# ---------------------------------------------------------------- validation
def test_unknown_options_and_bad_values_raise_value_error(dclus1, apiclus1):
    with pytest.raises(ValueError, match=r"unknown option.*'bye'.*valid options.*'by'"):
        dclus1.mean("api00", bye="stype")
    with pytest.raises(ValueError, match=r"lonely_psu must be one of \['fail', 'remove'"):
        SurveyDesign(apiclus1, "pw", psu="dnum", lonely_psu="drop")
    with pytest.raises(ValueError, match="unknown option"):
        SurveyDesign(apiclus1, "pw", cluster="dnum")
    with pytest.raises(ValueError, match="df must be one of"):
        dclus1.mean("api00", df="satterthwaite")
    with pytest.raises(ValueError, match="level"):
        dclus1.mean("api00", level=95)
    with pytest.raises(ValueError, match=r"deff must be one of \['srswor', 'replace'\]"):
        dclus1.mean("api00", deff=True)
    with pytest.raises(ValueError, match=r"rule must be one of \['math', 'school'\]"):
        dclus1.quantile("api00", rule="hf7")
    with pytest.raises(ValueError, match="na must be one of"):
        dclus1.mean("api00", na="omit")
    with pytest.raises(ValueError, match="q must be in"):
        dclus1.quantile("api00", q=50)
    with pytest.raises(ValueError, match="numeric or boolean"):
        dclus1.mean("sch.wide")
    with pytest.raises(ValueError, match="between"):
        dclus1.mean_diff("api00", between=("stype", "E"))


def test_missing_columns_raise_key_error_naming_them(dclus1, apiclus1):
    with pytest.raises(KeyError, match=r"data lack column\(s\) \['api01'\]; did you mean 'api00'"):
        dclus1.mean("api01")
    with pytest.raises(KeyError, match="'district'"):
        dclus1.mean("api00", by="district")
    with pytest.raises(KeyError, match="'weights'"):
        SurveyDesign(apiclus1, "weights")


def test_bad_weights_name_count_and_first_row(apiclus1):
    bad = apiclus1.copy()
    bad.index = [f"r{i}" for i in range(len(bad))]
    bad.loc[["r5", "r9"], "pw"] = [0.0, np.nan]
    bad.loc["r7", "pw"] = -1.0
    with pytest.raises(ValueError, match=r"3 row\(s\).*first at row index 'r5'"):
        SurveyDesign(bad, "pw", psu="dnum")


def test_bad_design_columns(apiclus1, apistrat):
    with pytest.raises(ValueError, match=r"missing value.*row index 3"):
        SurveyDesign(
            apiclus1.assign(dnum=apiclus1["dnum"].where(apiclus1.index != 3)), "pw", psu="dnum"
        )
    with pytest.raises(ValueError, match="varies within stratum"):
        SurveyDesign(apistrat.assign(fpc=np.arange(200) + 1000), "pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match="more than 100% sampling"):
        SurveyDesign(apistrat.assign(fpc=10), "pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match="all >= 1"):
        mixed = np.where(apistrat["stype"] == "E", 0.5, 100)
        SurveyDesign(apistrat.assign(fpc=mixed), "pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match="reserved"):
        SurveyDesign(apistrat.assign(estimate=1), "pw").mean("api00", by="estimate")


def test_vectorised_pass_scales():
    # 200k rows, 8 outcomes, 32 domains, 700 PSUs in 80 strata: one call, well under a second
    # on the development machine; the bound here only guards against accidental row loops.
    import time

    rng = np.random.default_rng(3)
    n = 200_000
    psu = rng.integers(0, 700, n)
    df = pd.DataFrame(
        {
            "psu": psu,
            "stratum": psu % 80,
            "w": rng.uniform(1, 4, n),
            "wave": rng.integers(0, 4, n),
            "stage": rng.integers(0, 8, n),
        }
    )
    for k in range(8):
        df[f"y{k}"] = rng.normal(size=n)
    d = SurveyDesign(df, "w", strata="stratum", psu="psu")
    start = time.perf_counter()
    res = d.mean([f"y{k}" for k in range(8)], by=["wave", "stage"])
    assert time.perf_counter() - start < 5.0
    assert len(res.to_frame()) == 256 and res.to_frame()["valid"].all()


def test_unobserved_category_and_one_row_quantile_are_invalid_with_reasons(apistrat):
    # a category nobody chose (declared in the Categorical) is 0 with SE 0 in R svymean: here
    # it is invalid with its reason; a quantile of a one-row domain has no Woodruff SE
    d = apistrat.assign(level=pd.Categorical(np.where(apistrat["api00"] > 650, "high", "low"),
                                             categories=["high", "low", "none"]))  # fmt: skip
    design = SurveyDesign(d, "pw", strata="stype")
    t = design.proportion("level").to_frame().set_index("category")
    assert t.loc[["high", "low"], "valid"].all()
    assert (
        not t.loc["none", "valid"] and "'none' of 'level' not observed" in t.loc["none", "reason"]
    )
    one = d.assign(g=np.where(np.arange(len(d)) == 0, "alone", "rest"))
    q = SurveyDesign(one, "pw", strata="stype").quantile("api00", by="g").to_frame()
    q = q.set_index("g")
    assert not q.loc["alone", "valid"] and "one row" in q.loc["alone", "reason"]
    assert q.loc["rest", "valid"]


def test_reasons_print_values_not_numpy_reprs(apiclus1):
    d = apiclus1.assign(lone=np.where(apiclus1["dnum"] == 135, 413, 1))
    reason = SurveyDesign(d, "pw", strata="lone", psu="dnum").mean("api00").to_frame()["reason"]
    assert reason.iloc[0] == "stratum 413 has a single PSU and lonely_psu='fail'"


def test_unused_categories_of_by_are_kept_on_request(apistrat):
    # R svyby drops unused factor levels (drop.empty.groups=TRUE); "keep" lists them invalid
    d = apistrat.assign(kind=pd.Categorical(apistrat["stype"], categories=["E", "H", "M", "K"]))
    design = SurveyDesign(d, "pw", strata="stype", fpc="fpc")
    dropped = design.mean("api00", by="kind").to_frame()
    kept = design.mean("api00", by="kind", empty_domains="keep").to_frame()
    assert list(dropped["kind"]) == ["E", "H", "M"]
    assert list(kept["kind"]) == ["E", "H", "M", "K"]
    for col in ("estimate", "std_error", "n"):
        assert kept[col].iloc[:3].tolist() == dropped[col].tolist()
    last = kept.iloc[3]
    assert not last["valid"] and last["reason"] == "empty domain: no rows where kind=K"
    q = design.quantile("api00", by="kind", empty_domains="keep")
    assert q.conf_int(0.9).loc["api00@q0.5 | kind=K"].isna().all()
    with pytest.raises(ValueError, match="empty_domains"):
        design.mean("api00", by="kind", empty_domains="all")
