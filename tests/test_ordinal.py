"""Tests for shuangjian_eval.estimation.effects.ordinal.ordinal_logit (proportional-odds logit).

Sources of expected values (files in ``tests/data/stats``, provenance in its ``README.md``):

- [UCLA-R] the UCLA IDRE "Ordinal logistic regression | R data analysis examples" page, output of
  ``summary(polr(apply ~ pared + public + gpa, data = dat, Hess = TRUE))`` on ``ologit.dta``:
  pared 1.04769, public -0.05879, gpa 0.61594, cut points 2.2039 and 4.2994, standard errors
  0.2658, 0.2979, 0.2606, 0.7795, 0.8043, residual deviance 717.0249. polr's optimiser (BFGS)
  stops before the maximum, so these differ from the MLE in the 4th significant digit;
- [UCLA-Stata] the Stata ``ologit`` estimates of the same example as quoted in the task brief:
  pared 1.0477, public -0.0587, gpa 0.6157, cuts 2.2033 and 4.2988 (the converged MLE, which
  ordinal::clm reproduces digit for digit);
- [R] ``stats_make_reference.R`` run with R 4.2.2, MASS 7.3-58.2, ordinal 2022.11-16 and
  sandwich 3.0-2, output in ``stats_r_reference.csv`` (section names quoted below) and
  ``stats_r_reference_output.txt``;
- [MASS] the ``polr`` help-page example ``polr(Sat ~ Infl + Type + Cont, weights = Freq,
  data = housing)`` (Venables & Ripley 2002, *Modern Applied Statistics with S*, 4th ed., §7.3):
  InflMedium 0.5663937, InflHigh 1.2888191, TypeApartment -0.5723501, TypeAtrium -0.3661866,
  TypeTerrace -1.0910149, ContHigh 0.3602841, Low|Medium -0.4961353, Medium|High 0.6907083.
  Freq there is a frequency weight (a count of identical households), not a sampling weight;
- [SM] statsmodels ``OrderedModel(distr="logit")``, the same likelihood in another parameterisation;
- [TRUTH] data simulated here from a known proportional-odds model;
- [SVYOLR] R ``survey::svyolr`` on survey designs, from ``tests/data/survey/svyolr_reference.R``
  (R 4.2.2, survey 4.1-1): ``svyolr_reference.csv`` beside it, on the API samples
  (``tests/data/api*.csv``), their calibrated and raked designs (totals of
  ``tests/data/calibrate_totals.csv``) and ``tests/data/effects/fe_cluster_data.csv`` as a
  stratified cluster sample with fpc.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from shuangjian_eval.estimation.effects import ordinal_logit
from shuangjian_eval.estimation.effects.ordinal import OrdinalLogitResult
from shuangjian_eval.estimation.survey import SurveyDesign

DATA = Path(__file__).parent / "data"
STATS = DATA / "stats"
APPLY_LEVELS = ["unlikely", "somewhat likely", "very likely"]
CUTS = ["unlikely|somewhat likely", "somewhat likely|very likely"]
TERMS = ["pared", "public", "gpa", *CUTS]


def _ref(section: str) -> pd.Series:
    ref = pd.read_csv(STATS / "stats_r_reference.csv")
    return ref.loc[ref["section"] == section].set_index("term")["value"]


@pytest.fixture(scope="module")
def ologit() -> pd.DataFrame:
    df = pd.read_csv(STATS / "ologit.csv")
    i = np.arange(1, len(df) + 1)  # as in stats_make_reference.R
    return df.assign(w=1 + (i % 3) / 2, cl=(i - 1) // 10)


@pytest.fixture(scope="module")
def fit(ologit) -> OrdinalLogitResult:
    return ordinal_logit(
        ologit, outcome="apply", covariates=["pared", "public", "gpa"], levels=APPLY_LEVELS
    )


def _frame(res) -> pd.DataFrame:
    return res.to_frame().set_index("term")


# ------------------------------------------------------------------ reference values
def test_ucla_example_matches_the_converged_mle(fit):
    est = fit.estimate
    # [UCLA-Stata] as quoted: 1.0477, -0.0587, 0.6157, 2.2033, 4.2988 (4-5 significant digits)
    assert list(est.index) == TERMS
    quoted = [1.0477, -0.0587, 0.6157, 2.2033, 4.2988]
    for term, value in zip(TERMS, quoted, strict=True):
        assert est[term] == pytest.approx(value, abs=5e-5)
    # [R] section ologit_clm / ologit_clm_se: ordinal::clm, max gradient 1.6e-10
    clm, clm_se = _ref("ologit_clm"), _ref("ologit_clm_se")
    for term in TERMS:
        assert est[term] == pytest.approx(clm[term], rel=1e-6)
        assert fit.std_error[term] == pytest.approx(clm_se[term], rel=1e-5)
    assert fit.loglik == pytest.approx(clm["loglik"], rel=1e-9)  # -358.512436
    assert fit.nobs == 400


def test_ucla_published_polr_output_to_its_printed_precision(fit):
    # [UCLA-R] polr's printed values; its optimiser stops short of the maximum (the R file's
    # ologit_polr section has the same digits): coefficients within 3e-4, cut points 1e-3
    published = {"pared": 1.04769, "public": -0.05879, "gpa": 0.61594, CUTS[0]: 2.2039,
                 CUTS[1]: 4.2994}  # fmt: skip
    ses = {"pared": 0.2658, "public": 0.2979, "gpa": 0.2606, CUTS[0]: 0.7795, CUTS[1]: 0.8043}
    for term in TERMS:
        tol = 1e-3 if "|" in term else 3e-4
        assert fit.estimate[term] == pytest.approx(published[term], abs=tol)
        assert fit.std_error[term] == pytest.approx(ses[term], abs=5e-5)
    assert -2 * fit.loglik == pytest.approx(717.0249, abs=5e-4)  # residual deviance


def test_predicted_probabilities_match_clm(fit):
    new = pd.DataFrame({"pared": [0, 1], "public": [0, 0], "gpa": [3.0, 3.0]})
    probs = fit.predict_proba(new)
    assert list(probs.columns) == APPLY_LEVELS
    # [R] sections ologit_predict_pared0 / _pared1 (predict.clm type = "prob")
    for row, section in enumerate(["ologit_predict_pared0", "ologit_predict_pared1"]):
        ref = _ref(section)
        for lev in APPLY_LEVELS:
            assert probs.iloc[row][lev] == pytest.approx(ref[lev], rel=1e-6)
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_odds_ratios_are_exponentiated_coefficients_and_intervals(fit):
    orr = fit.odds_ratios()
    ci = fit.conf_int(0.95)
    assert list(orr.index) == ["pared", "public", "gpa"]
    assert orr.loc["pared", "odds_ratio"] == pytest.approx(np.exp(1.04766367), rel=1e-6)
    assert orr.loc["gpa", "ci_upper"] == pytest.approx(np.exp(ci.loc["gpa", "ci_upper"]))


def test_unweighted_fit_matches_statsmodels_ordered_model(ologit, fit):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    y = pd.Series(pd.Categorical(ologit["apply"], categories=APPLY_LEVELS, ordered=True))
    # Newton to 1e-12 (its default stops at 1e-8 on the parameters, coarser than rel 1e-7
    # on the smallest coefficient, public = -0.0587)
    sm = OrderedModel(y, ologit[["pared", "public", "gpa"]], distr="logit").fit(
        method="newton", tol=1e-12, maxiter=100, disp=False
    )
    assert sm.mle_retvals["converged"]
    # [SM] statsmodels: first cut, then log increments; natural scale is cut1 + exp(increment)
    cut1 = sm.params.iloc[3]
    cut2 = cut1 + np.exp(sm.params.iloc[4])
    assert fit.estimate[CUTS[0]] == pytest.approx(cut1, rel=1e-7)
    assert fit.estimate[CUTS[1]] == pytest.approx(cut2, rel=1e-7)
    for j, term in enumerate(["pared", "public", "gpa"]):
        assert fit.estimate[term] == pytest.approx(sm.params.iloc[j], rel=1e-7)
        # the coefficients' variance block does not depend on how the cuts are parameterised;
        # statsmodels' bse come from a finite-difference Hessian (about 1e-6 relative)
        assert fit.std_error[term] == pytest.approx(sm.bse.iloc[j], rel=5e-6)
    assert fit.loglik == pytest.approx(sm.llf, rel=1e-10)


def test_sampling_weights_and_clusters_match_the_r_sandwich(ologit):
    kw = {"outcome": "apply", "covariates": ["pared", "public", "gpa"], "levels": APPLY_LEVELS}
    robust = ordinal_logit(ologit, weights="w", **kw)
    cluster = ordinal_logit(ologit, weights="w", cluster="cl", **kw)
    plain_cluster = ordinal_logit(ologit, cluster="cl", **kw)
    assert robust.options["cov_type"] == "robust" and cluster.options["cov_type"] == "cluster"
    # [R] ologit_weighted: clm(weights = w) point estimates; ologit_weighted_robust_se:
    # V S'S V n/(n-1) with V = vcov(clm), S = sandwich::estfun(clm); ..._cluster_se: scores
    # summed by cluster, G/(G-1); ologit_unweighted_cluster_se: the same without weights
    point, rob, clu = (_ref(s) for s in ("ologit_weighted", "ologit_weighted_robust_se",
                                         "ologit_weighted_cluster_se"))  # fmt: skip
    plain = _ref("ologit_unweighted_cluster_se")
    for term in TERMS:
        assert robust.estimate[term] == pytest.approx(point[term], rel=1e-6)
        assert robust.std_error[term] == pytest.approx(rob[term], rel=1e-5)
        assert cluster.std_error[term] == pytest.approx(clu[term], rel=1e-5)
        assert plain_cluster.std_error[term] == pytest.approx(plain[term], rel=1e-5)
    # sampling weights keep the sample size: nobs is rows, not the weight sum (600)
    assert robust.nobs == 400


def test_weights_are_scale_free(ologit):
    kw = {"outcome": "apply", "covariates": ["pared", "gpa"], "levels": APPLY_LEVELS}
    a = ordinal_logit(ologit, weights="w", **kw)
    b = ordinal_logit(ologit.assign(w=ologit["w"] * 1234.5), weights="w", **kw)
    assert np.allclose(a.estimate, b.estimate, rtol=1e-9)
    assert np.allclose(a.std_error, b.std_error, rtol=1e-8)


def test_mass_housing_frequency_weights_give_the_published_polr_fit():
    housing = pd.read_csv(STATS / "housing.csv")
    for col, levels in {"Sat": ["Low", "Medium", "High"], "Infl": ["Low", "Medium", "High"],
                        "Type": ["Tower", "Apartment", "Atrium", "Terrace"],
                        "Cont": ["Low", "High"]}.items():  # fmt: skip
        housing[col] = pd.Categorical(housing[col], categories=levels, ordered=col == "Sat")
    kw = {"outcome": "Sat", "covariates": ["Infl", "Type", "Cont"]}
    weighted = ordinal_logit(housing, weights="Freq", **kw)
    # [MASS] published coefficients (7 significant digits)
    published = {"Infl[Medium]": 0.5663937, "Infl[High]": 1.2888191,
                 "Type[Apartment]": -0.5723501, "Type[Atrium]": -0.3661866,
                 "Type[Terrace]": -1.0910149, "Cont[High]": 0.3602841,
                 "Low|Medium": -0.4961353, "Medium|High": 0.6907083}  # fmt: skip
    for term, value in published.items():
        assert weighted.estimate[term] == pytest.approx(value, abs=2e-6)
    # frequency weights are counts: expanding the rows gives the model-based SEs of polr/clm
    # ([R] housing_clm_se); as sampling weights the 72 rows give different (sandwich) SEs
    expanded = housing.loc[housing.index.repeat(housing["Freq"])].reset_index(drop=True)
    freq = ordinal_logit(expanded, **kw)
    assert freq.nobs == 1681
    ref_se = _ref("housing_clm_se")
    r_names = {"Infl[Medium]": "InflMedium", "Infl[High]": "InflHigh",
               "Type[Apartment]": "TypeApartment", "Type[Atrium]": "TypeAtrium",
               "Type[Terrace]": "TypeTerrace", "Cont[High]": "ContHigh"}  # fmt: skip
    for term, r_term in r_names.items():
        assert freq.estimate[term] == pytest.approx(published[term], abs=2e-6)
        assert freq.std_error[term] == pytest.approx(ref_se[r_term], rel=1e-5)
    assert weighted.nobs == 72
    assert not np.allclose(weighted.std_error, freq.std_error, rtol=0.01)


# ------------------------------------------------------------------ known truth
def _simulate(rng, n, beta, cuts):
    x = np.column_stack([rng.binomial(1, 0.5, n), rng.normal(size=n)])
    latent = x @ beta + rng.logistic(size=n)
    y = np.searchsorted(cuts, latent) + 1  # 1..J: P(Y <= j) = F(cut_j - x'beta)
    return pd.DataFrame({"y": y, "treated": x[:, 0], "z": x[:, 1]})


def test_recovers_a_known_latent_shift():
    beta, cuts = np.array([-0.5, 0.8]), np.array([-1.0, 0.3, 1.5, 2.5])
    df = _simulate(np.random.default_rng(20210724), 3000, beta, cuts)
    res = ordinal_logit(df, outcome="y", covariates=["treated", "z"])
    # [TRUTH] within 2.5 standard errors of the generating values, signs right
    truth = dict(zip(["treated", "z", "1|2", "2|3", "3|4", "4|5"], [*beta, *cuts], strict=True))
    for term, value in truth.items():
        assert abs(res.estimate[term] - value) < 2.5 * res.std_error[term], term
    assert res.estimate["treated"] < 0
    assert res.std_error["treated"] == pytest.approx(0.07, rel=0.25)


@pytest.mark.slow
def test_interval_coverage_is_near_nominal():
    beta, cuts = np.array([0.6, -0.4]), np.array([-0.5, 1.0])
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(60):
        res = ordinal_logit(
            _simulate(rng, 300, beta, cuts), outcome="y", covariates=["treated", "z"]
        )
        ci = res.conf_int(0.90).loc["treated"]
        hits.append(ci["ci_lower"] <= 0.6 <= ci["ci_upper"])
    # [TRUTH] 90% intervals: 54 of 60 expected; binomial sd 2.3
    assert 47 <= sum(hits) <= 60


def test_predict_proba_matches_the_generating_model():
    beta, cuts = np.array([0.5, 0.0]), np.array([-1.0, 1.0])
    df = _simulate(np.random.default_rng(3), 20000, beta, cuts)
    res = ordinal_logit(df, outcome="y", covariates=["treated"])
    probs = res.predict_proba(pd.DataFrame({"treated": [0, 1]}))
    cum = expit(cuts[None, :] - np.array([[0.0], [0.5]]))
    true = np.diff(np.column_stack([np.zeros(2), cum, np.ones(2)]), axis=1)
    # [TRUTH] with n = 20000 the probabilities are within 0.02
    assert np.allclose(probs.to_numpy(), true, atol=0.02)


# ------------------------------------------------------------------ data handling
def test_missing_rows_are_dropped_listwise(ologit):
    df = ologit.copy()
    df.loc[:9, "gpa"] = np.nan
    df.loc[10:14, "apply"] = None
    res = ordinal_logit(df, outcome="apply", covariates=["pared", "gpa"], levels=APPLY_LEVELS)
    assert res.nobs == 385
    assert res.options["missing"] == "listwise"


def test_likert_codes_with_an_empty_level_get_an_invalid_row():
    rng = np.random.default_rng(1)
    df = _simulate(rng, 500, np.array([0.4, 0.4]), np.array([-1.0, 0.0, 1.0, 2.0]))
    df = df[df["y"] != 3]
    res = ordinal_logit(df, outcome="y", covariates=["treated"], levels=[1, 2, 3, 4, 5])
    frame = _frame(res)
    assert "2|4" in frame.index and "2|3" not in frame.index
    assert not frame.loc["level[3]", "valid"]
    assert "not identified" in frame.loc["level[3]", "reason"]
    assert res.levels == (1, 2, 4, 5)


def test_ordered_categorical_outcome_needs_no_levels(ologit):
    df = ologit.assign(apply=pd.Categorical(ologit["apply"], APPLY_LEVELS, ordered=True))
    res = ordinal_logit(df, outcome="apply", covariates="gpa")
    assert res.terms == ["gpa", *CUTS]


# ------------------------------------------------------------------ invalid results
def test_a_single_level_comes_back_invalid_with_its_reason(ologit):
    df = ologit.assign(apply="unlikely")
    res = ordinal_logit(df, outcome="apply", covariates=["gpa"], levels=APPLY_LEVELS)
    assert not res.table["valid"].any()
    assert "1 observed level" in res.table["reason"].iloc[0]
    with pytest.raises(ValueError, match="not estimated"):
        res.predict_proba(df)


def test_collinear_covariates_come_back_invalid(ologit):
    df = ologit.assign(gpa2=2 * ologit["gpa"])
    res = ordinal_logit(df, outcome="apply", covariates=["gpa", "gpa2"], levels=APPLY_LEVELS)
    assert not res.table["valid"].any()
    assert "collinear" in res.table["reason"].iloc[0]


def test_separation_comes_back_invalid():
    df = pd.DataFrame({"y": [1, 1, 1, 2, 2, 2, 3, 3, 3] * 4, "x": [0, 0, 0, 1, 1, 1, 2, 2, 2] * 4})
    res = ordinal_logit(df, outcome="y", covariates=["x"])
    assert not res.table["valid"].any()
    assert "separation" in res.table["reason"].iloc[0]


def test_quasi_complete_separation_comes_back_invalid():
    # every x = 1 respondent chose the top level, x = 0 respondents all three: the MLE of x's
    # coefficient is infinite (quasi-complete separation). Newton's method stopped near 27
    # with an SE over 100,000 and marked it valid; the fitted probabilities (numerically 1)
    # now say what it is
    df = pd.DataFrame({"y": [1, 2, 3, 1, 2, 3, 3, 3, 3, 3] * 4,
                       "x": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1] * 4})  # fmt: skip
    res = ordinal_logit(df, outcome="y", covariates=["x"])
    assert not res.table["valid"].any()
    assert "quasi-complete separation" in res.table["reason"].iloc[0]
    # one x = 1 respondent in the bottom level breaks the separation: a finite, valid fit
    df.loc[6, "y"] = 1
    ok = ordinal_logit(df, outcome="y", covariates=["x"])
    assert ok.table["valid"].all() and 0 < ok.estimate.loc["x"] < 10


# ------------------------------------------------------------------ design-based (R svyolr)
SVYOLR = pd.read_csv(DATA / "survey" / "svyolr_reference.csv", comment="#")
_DUMMIES = ("stype", "sch.wide", "wave_f")  # R's "stypeH" is ours "stype[H]"


def _ours(term: str) -> str:
    col = next((c for c in _DUMMIES if term.startswith(c) and term != c), None)
    return f"{col}[{term.removeprefix(col)}]" if col else term


def _api(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv")
    m, a = d["meals"], d["api00"]  # the outcomes of svyolr_reference.R
    return d.assign(mealcat=1 + (m > 25) + (m > 50) + (m > 75), api99h=d["api99"] / 100,
                    api3=1 + (a > 600) + (a > 750), api4=1 + (a > 550) + (a > 650) + (a > 750),
                    meals_hi=np.where(m > 50, "yes", "no"))  # fmt: skip


@pytest.fixture(scope="module")
def svy_cases() -> dict[str, tuple]:
    """Case of svyolr_reference.R -> (data, design, outcome, covariates)."""
    totals = pd.read_csv(DATA / "calibrate_totals.csv", keep_default_na=False)

    def margin(name: str) -> dict[str, float]:
        rows = totals[totals["margin"] == name]
        return dict(zip(rows["category"], rows["total"].astype(float), strict=True))

    cl, st = _api("apiclus1"), _api("apistrat")
    clus = SurveyDesign(cl, "pw", psu="dnum", fpc="fpc")
    strat = SurveyDesign(st, "pw", strata="stype", fpc="fpc")
    cal = clus.calibrate({"stype": margin("stype"), "api99": margin("api99")[""]})
    rake = strat.rake({"sch.wide": margin("sch.wide"), "meals_hi": margin("meals_hi")})
    fe = pd.read_csv(DATA / "effects" / "fe_cluster_data.csv")
    h = fe["homework_min_weekday"]
    fe = fe.assign(fpc=60, wave_f=fe["wave"].astype(str), hw4=1 + (h > 25) + (h > 50) + (h > 80))
    miss = fe.copy()  # the first school's outcome missing: its PSU leaves the fit and the df
    miss.loc[miss["school_id"] == miss["school_id"].min(), "hw4"] = np.nan
    syn = SurveyDesign(miss, "weight", strata="pilot", psu="school_id", fpc="fpc")
    syn_cal = SurveyDesign(fe, "weight", strata="pilot", psu="school_id", fpc="fpc").calibrate(
        {"wave": dict.fromkeys(range(2019, 2023), 5000.0)}
    )
    api_model = ("mealcat", ["ell", "api99h", "stype"])
    strat_model = ("api4", ["ell", "meals", "sch.wide"])
    syn_model = ("hw4", ["pilot", "wave_f", "log_income"])
    return {
        "clus": (cl, clus, *api_model),
        "clus_missing": (cl, clus, "api3", ["ell", "acs.k3"]),
        "strat": (st, strat, *strat_model),
        "cal": (cl, cal, *api_model),
        "rake": (st, rake, *strat_model),
        "syn": (miss, syn, *syn_model),
        "syn_cal": (fe, syn_cal, *syn_model),
    }


@pytest.mark.parametrize(
    ("case", "n_terms"),
    [("clus", 7), ("clus_missing", 4), ("strat", 6), ("cal", 7), ("rake", 6), ("syn", 8),
     ("syn_cal", 8)],
)  # fmt: skip
def test_design_equals_r_svyolr(svy_cases, case, n_terms):
    # [SVYOLR] case `case`: svyolr's zeta_k - x'beta is our theta_j - x'beta, term by term
    d, design, outcome, covariates = svy_cases[case]
    res = ordinal_logit(d, outcome=outcome, covariates=covariates, design=design)
    ref = SVYOLR[SVYOLR["case"] == case]
    assert len(ref) == n_terms
    got = _frame(res).loc[[_ours(t) for t in ref["term"]]]
    assert list(got["coef_type"]) == [
        "coefficient" if t == "coefficient" else "threshold" for t in ref["type"]
    ]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["std_error"], ref["se"], rtol=1e-6)
    assert (got["df"] == ref["df_residual"].to_numpy()).all()  # svyolr's df.residual
    assert res.nobs == ref["nobs"].iloc[0]
    assert res.options["cov_type"] == "design"
    # t on that df: the p-value and the interval
    t = got["estimate"] / got["std_error"]
    np.testing.assert_allclose(got["p_value"], 2 * stats.t.sf(np.abs(t), got["df"]), rtol=1e-10)
    half = stats.t.ppf(0.975, got["df"]) * got["std_error"]
    np.testing.assert_allclose(got["ci_upper"], got["estimate"] + half, rtol=1e-10)


def test_design_weights_are_used_and_the_variance_is_not_the_cluster_sandwich(svy_cases):
    d, design, outcome, covariates = svy_cases["cal"]
    plain = ordinal_logit(d, outcome=outcome, covariates=covariates, weights="pw",
                          cluster="dnum")  # fmt: skip
    cal = ordinal_logit(d, outcome=outcome, covariates=covariates, design=design)
    assert abs(cal.estimate["api99h"] / plain.estimate["api99h"] - 1) > 1e-3  # calibrated w
    clus = ordinal_logit(d, outcome=outcome, covariates=covariates, design=svy_cases["clus"][1])
    np.testing.assert_allclose(clus.estimate, plain.estimate, rtol=1e-9)  # the same weights
    assert abs(clus.std_error["api99h"] / plain.std_error["api99h"] - 1) > 1e-3  # fpc, (G-1)/G


def test_design_must_be_built_on_df_and_excludes_weights_and_cluster(svy_cases):
    d, design, outcome, covariates = svy_cases["clus"]
    kw = {"outcome": outcome, "covariates": covariates}
    for other in (d.copy(), d.iloc[:-1]):  # other rows, or the same rows in another frame
        with pytest.raises(ValueError, match="another DataFrame"):
            ordinal_logit(other, design=design, **kw)
    for extra in ({"weights": "pw"}, {"cluster": "dnum"}, {"cov_type": "robust"}):
        with pytest.raises(ValueError, match=f"{list(extra)[0]}.*must not be given"):
            ordinal_logit(d, design=design, **kw, **extra)
    with pytest.raises(ValueError, match="must be a SurveyDesign"):
        ordinal_logit(d, design="dnum", **kw)


def test_invalid_fits_with_a_design_keep_their_reasons():
    # separation, a single level, and (lonely_psu='fail') a stratum with one PSU
    df = pd.DataFrame({"y": [1, 1, 1, 2, 2, 2, 3, 3, 3] * 4, "x": [0, 0, 0, 1, 1, 1, 2, 2, 2] * 4,
                       "w": np.arange(36) % 4 + 1.0, "psu": np.arange(36) // 3,
                       "stratum": np.arange(36) // 12})  # fmt: skip
    design = SurveyDesign(df, "w", strata="stratum", psu="psu")
    res = ordinal_logit(df, outcome="y", covariates=["x"], design=design)
    assert not res.table["valid"].any()
    assert "separation" in res.table["reason"].iloc[0]
    one = df.assign(y=1)
    res = ordinal_logit(one, outcome="y", covariates=["x"], design=SurveyDesign(one, "w",
                        strata="stratum", psu="psu"))  # fmt: skip
    assert not res.table["valid"].any() and "1 observed level" in res.table["reason"].iloc[0]
    noisy = df.assign(x=np.sin(np.arange(36.0)), stratum=np.minimum(np.arange(36) // 3, 4))
    lonely = SurveyDesign(noisy, "w", strata="stratum", psu="psu")  # strata 0-3: one PSU each
    res = ordinal_logit(noisy, outcome="y", covariates=["x"], design=lonely)
    assert not res.table["valid"].any()
    assert "single PSU and lonely_psu='fail'" in res.table["reason"].iloc[0]
    ok = ordinal_logit(noisy, outcome="y", covariates=["x"],
                       design=SurveyDesign(noisy, "w", strata="stratum", psu="psu",
                                           lonely_psu="remove"))  # fmt: skip
    assert ok.table["valid"].all() and (ok.table["df"] == 12 - 5 - 1).all()  # PSUs - strata - 1


# ------------------------------------------------------------------ options
def test_unknown_option_lists_the_valid_ones(ologit):
    with pytest.raises(
        ValueError,
        match="valid options: .'outcome', 'covariates', 'levels'.*did you mean 'weights'",
    ):
        ordinal_logit(ologit, outcome="apply", covariates=["gpa"], weight="w")


def test_missing_column_raises_key_error_naming_it(ologit):
    with pytest.raises(KeyError, match="income"):
        ordinal_logit(ologit, outcome="apply", covariates=["income"], levels=APPLY_LEVELS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cov_type": "HC3"}, "cov_type must be one of"),
        ({"weights": "w", "cov_type": "nonrobust"}, "sampling weights"),
        ({"cov_type": "cluster"}, "needs cluster"),
        ({"levels": ["unlikely", "very likely"]}, "not in levels"),
        ({"levels": None}, "give levels"),
    ],
)
def test_bad_options_raise_value_errors(ologit, kwargs, message):
    kw = {"levels": APPLY_LEVELS, **kwargs}
    with pytest.raises(ValueError, match=message):
        ordinal_logit(ologit, outcome="apply", covariates=["gpa"], **kw)


def test_predict_proba_needs_the_covariates(fit):
    with pytest.raises(KeyError, match="gpa"):
        fit.predict_proba(pd.DataFrame({"pared": [1], "public": [0]}))
