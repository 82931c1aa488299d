"""Inference with few clusters: CR2 + Satterthwaite df against R clubSandwich, the restricted
wild cluster bootstrap against the PyPI package wildboottest, and the one- and few-cluster
cases of the regression estimators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.estimation.effects import small_clusters

DATA = Path(__file__).parent / "data" / "effects"
Y = "homework_min_weekday"


@pytest.fixture(scope="module")
def fe_data() -> pd.DataFrame:
    d = pd.read_csv(DATA / "fe_cluster_data.csv")
    d["post"] = (d["wave"] >= 2021).astype(int)
    return d


def _subset(d: pd.DataFrame, which: str) -> pd.DataFrame:
    if which == "all":
        return d
    return d[d["school_id"].isin(sorted(d["school_id"].unique())[:10])]


# ---------------------------------------------------------------------------- CR2
_ABSORB = {"school+wave": ("school_id", "wave"), "wave": ("wave",), "none": ()}
_TERMS = {"treated_post": "treated:post", "pilot": "treated", "post": "post", "log_income":
          "log_income", "after": "after - before"}  # fmt: skip


def test_cr2_equals_clubsandwich(fe_data: pd.DataFrame) -> None:
    # source: R clubSandwich 0.5.8, vcovCR(type = "CR2") + coef_test(test = "Satterthwaite")
    # on lm() with school and wave dummies (tests/data/effects/cr2_reference.R)
    ref = pd.read_csv(DATA / "cr2_reference.csv")
    assert len(ref) == 64
    checked = 0
    for (subset, fe, weighted, cov), rows in ref.groupby(["subset", "fe", "weighted", "covariate"]):
        d = _subset(fe_data, subset)
        w = "weight" if weighted else None
        if fe == "before_after":
            r = sje.before_after(d, outcome=Y, period="wave", before=2019, after=2022, weights=w,
                                 cluster="school_id", cov_type="CR2")  # fmt: skip
        else:
            r = sje.did(d, outcome=Y, treated="pilot", post="post", weights=w,
                        covariates=("log_income",) if cov else (), absorb=_ABSORB[fe],
                        cluster="school_id", cov_type="CR2")  # fmt: skip
        t = r.to_frame().set_index("term")
        for row in rows.itertuples():
            got = t.loc[_TERMS[row.term]]
            assert got["estimate"] == pytest.approx(row.estimate, rel=1e-9)
            assert got["std_error"] == pytest.approx(row.se_cr2, rel=1e-8)
            assert got["df"] == pytest.approx(row.df_satterthwaite, rel=1e-8)
            assert got["p_value"] == pytest.approx(row.p_satterthwaite, rel=1e-7)
            checked += 1
    assert checked == 64


def test_cr2_needs_the_full_hat_matrix(fe_data: pd.DataFrame) -> None:
    # the within-transformed design alone (no dummies in H) gives another SE: the reference
    # value (clubSandwich, cr2_reference.csv) must not be met by that shortcut
    ref = pd.read_csv(DATA / "cr2_reference.csv").query(
        "subset == 'all' and fe == 'school+wave' and weighted and not covariate"
        " and term == 'treated_post'"
    )
    r = sje.did(fe_data, outcome=Y, treated="pilot", post="post", weights="weight",
                absorb=("school_id", "wave"), cluster="school_id", cov_type="CR2")  # fmt: skip
    fit_parts = _parts(fe_data)
    shortcut = _cr2_within_only(fit_parts)
    assert r.std_error == pytest.approx(float(ref["se_cr2"].iloc[0]), rel=1e-8)
    assert abs(shortcut - r.std_error) / r.std_error > 1e-3


def _parts(d: pd.DataFrame):  # type: ignore[no-untyped-def]
    from shuangjian_eval.estimation.effects._fe import factorize, fit_wls

    fit = fit_wls(
        d[Y].to_numpy(float), [d["treated_post"].to_numpy(float)], ["tp"],
        weights=d["weight"].to_numpy(float),
        absorb=[factorize(d, "school_id"), factorize(d, "wave")],
        cluster=factorize(d, "school_id"), cov_type="cluster",
    )  # fmt: skip
    return fit.parts


def _cr2_within_only(parts) -> float:  # type: ignore[no-untyped-def]
    x, e, r, w = parts.x, parts.resid, parts.bread, parts.weights
    meat = 0.0
    for g in range(parts.cluster.n_levels):
        i = parts.cluster.codes == g
        h = x[i] @ r @ (x[i] * w[i, None]).T
        gm = np.eye(i.sum()) - h - h.T + (x[i] @ r @ (x * (w * w)[:, None]).T @ x @ r @ x[i].T)
        vals, vecs = np.linalg.eigh((gm + gm.T) / 2)
        adj = (vecs / np.sqrt(vals)) @ vecs.T
        s = ((adj @ (w[i, None] * x[i] @ r)).T @ e[i]).item()
        meat += s * s
    return float(np.sqrt(meat))


def test_cr2_joint_test_equals_clubsandwich_htz(fe_data: pd.DataFrame) -> None:
    # source: R clubSandwich 0.5.8, Wald_test(lm, constrain_zero(...), vcov = "CR2",
    # test = "HTZ") of an event study with reference wave 2019
    # (tests/data/effects/cr2_wald_reference.R); R's p-value is NA where nu - q + 1 <= 0
    ref = pd.read_csv(DATA / "cr2_wald_reference.csv")
    assert len(ref) == 24
    fits = {}
    for r in ref.itertuples():
        key = (r.subset, r.fe, r.weighted)
        if key not in fits:
            fits[key] = sje.event_study(
                _subset(fe_data, r.subset), outcome=Y, treated="pilot", time="wave", ref=2019,
                start=2022, cluster="school_id", cov_type="CR2",
                weights="weight" if r.weighted else None,
                absorb=("school_id", "wave") if r.fe == "school+wave" else (),
            )  # fmt: skip
        es = fits[key]
        terms = [f"treated:wave={t[2:]}" for t in r.terms.split("+")]
        test = es.wald_test(terms)
        assert test.method == "HTZ" and test.df[0] == len(terms)
        assert test.df[1] == pytest.approx(r.df_denom, rel=1e-10)
        if np.isnan(r.p_val):
            assert np.isnan(test.p_value) and "too few clusters" in test.reason
            continue
        assert test.statistic == pytest.approx(r.Fstat, rel=1e-10)
        assert test.p_value == pytest.approx(r.p_val, rel=1e-10)
        if len(terms) == 2:  # the leads of a policy starting in 2022: the pre-trend test
            assert es.pretrend_test == test
    # one constraint: the HTZ test is the square of the Satterthwaite t test of coef_test
    es = fits[("all", "none", True)]
    one = es.wald_test(["treated:wave=2020"])
    row = es.to_frame().set_index("term").loc["treated:wave=2020"]
    assert one.df[1] == pytest.approx(row["df"], rel=1e-10)
    assert one.p_value == pytest.approx(row["p_value"], rel=1e-10)


# ---------------------------------------------------------------------------- wild bootstrap
def test_wild_enumerated_equals_wildboottest(fe_data: pd.DataFrame) -> None:
    # source: the PyPI package wildboottest 0.3.2, WildboottestCL WCR11 on 10 schools, all
    # 2^10 sign vectors (tests/data/effects/wild_reference.py)
    ref = pd.read_csv(DATA / "wild_reference.csv").query("case == 'first10_none'")
    d = _subset(fe_data, "first10")
    r = sje.did(d, outcome=Y, treated="pilot", post="post", cluster="school_id",
                inference="wild", bootstrap_weights="rademacher", seed=1)  # fmt: skip
    test = r.bootstrap["treated:post"]
    assert test.enumerated and test.reps == 1024 == len(ref)
    assert test.statistic == pytest.approx(float(ref["t"].iloc[0]), rel=1e-10)
    np.testing.assert_allclose(np.sort(test.t_boot), np.sort(ref["t_boot"]), rtol=0, atol=1e-10)
    # p: |t*| strictly above |t|; the two exact ties (+-1 signs) not counted
    assert r.p_value == pytest.approx(float(ref["p_strict"].iloc[0]), abs=1e-12)
    at_or_above = int((np.abs(ref["t_boot"]) >= abs(ref["t"].iloc[0]) * (1 - 1e-9)).sum())
    assert round(r.p_value * 1024) == at_or_above - 2
    # exact: the same for every seed
    again = sje.did(d, outcome=Y, treated="pilot", post="post", cluster="school_id",
                    inference="wild", bootstrap_weights="rademacher", seed=99)  # fmt: skip
    assert again.p_value == r.p_value


def test_wild_draws_equal_wildboottest_with_fixed_effects(fe_data: pd.DataFrame) -> None:
    # source: wildboottest 0.3.2 given the sign draws default_rng(7).choice([-1, 1], (30, 999))
    # on the school + wave dummy regression (tests/data/effects/wild_reference.py); ours
    # absorbs the fixed effects and draws the same signs with seed=7
    ref = pd.read_csv(DATA / "wild_reference.csv").query("case == 'all_twoway'")
    r = sje.did(fe_data, outcome=Y, treated="pilot", post="post", absorb=("school_id", "wave"),
                cluster="school_id", inference="wild", bootstrap_reps=999, seed=7)  # fmt: skip
    test = r.bootstrap["treated:post"]
    assert not test.enumerated and test.weights == "rademacher"
    np.testing.assert_allclose(test.t_boot, ref["t_boot"], rtol=1e-9, atol=1e-9)
    assert test.statistic == pytest.approx(float(ref["t"].iloc[0]), rel=1e-10)


def test_wild_interval_inverts_the_test(fe_data: pd.DataFrame) -> None:
    # the interval's ends are where the p-value of beta = beta_0 crosses 5 %: refit with the
    # outcome shifted by beta_0 * treated_post, whose p-value tests beta_0 (an independent path)
    d = _subset(fe_data, "all").copy()
    kw = dict(treated="pilot", post="post", absorb=("school_id", "wave"), cluster="school_id",
              inference="wild", bootstrap_reps=999, seed=3)  # fmt: skip
    r = sje.did(d, outcome=Y, **kw)
    lo, hi = r.conf_int().loc["treated:post"]
    assert lo < r.estimate < hi
    span = hi - lo
    for b0, inside in ((lo + 0.01 * span, True), (lo - 0.01 * span, False),
                       (hi - 0.01 * span, True), (hi + 0.01 * span, False)):  # fmt: skip
        d["y0"] = d[Y] - b0 * d["treated_post"]
        p = sje.did(d, outcome="y0", **kw).p_value
        assert (p > 0.05) == inside, (b0, p)
    lo90, hi90 = r.conf_int(0.90).loc["treated:post"]
    assert lo < lo90 < hi90 < hi


def test_webb_weights_below_twelve_clusters(fe_data: pd.DataFrame) -> None:
    d = _subset(fe_data, "first10")
    r = sje.did(d, outcome=Y, treated="pilot", post="post", cluster="school_id",
                inference="wild", bootstrap_reps=999, seed=5)  # fmt: skip
    test = r.bootstrap["treated:post"]
    assert test.weights == "webb" and not test.enumerated and test.reps == 999
    # six-point weights give (many) more distinct |t*| than the 2^9 of Rademacher
    assert np.unique(np.round(np.abs(test.t_boot), 10)).size > 512


def test_event_study_and_before_after_small_cluster_options(fe_data: pd.DataFrame) -> None:
    # with two periods, the event study's one coefficient is the DID's: same CR2 SE and df
    d = fe_data[fe_data["wave"].isin([2020, 2021])]
    kw = dict(weights="weight", absorb=("school_id", "wave"), cluster="school_id")
    did_r = sje.did(d, outcome=Y, treated="pilot", post="post", cov_type="CR2", **kw)
    es = sje.event_study(d, outcome=Y, treated="pilot", time="wave", ref=2020, cov_type="CR2",
                         **kw)  # fmt: skip
    row = es.to_frame().iloc[0]
    assert row["std_error"] == pytest.approx(did_r.std_error, rel=1e-10)
    assert row["df"] == pytest.approx(did_r.to_frame().set_index("term").loc["treated:post", "df"])
    es_w = sje.event_study(d, outcome=Y, treated="pilot", time="wave", ref=2020,
                           inference="wild", seed=2, bootstrap_reps=999, **kw)  # fmt: skip
    did_w = sje.did(d, outcome=Y, treated="pilot", post="post", inference="wild", seed=2,
                    bootstrap_reps=999, **kw)  # fmt: skip
    assert es_w.to_frame()["p_value"].iloc[0] == pytest.approx(did_w.p_value)
    ba = sje.before_after(fe_data, outcome=Y, period="wave", before=2019, after=2022,
                          cluster="school_id", inference="wild", seed=1, bootstrap_reps=999)  # fmt: skip
    assert 0 <= float(ba.p_value) < 0.01


def test_option_checks(fe_data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="needs cluster"):
        sje.did(fe_data, outcome=Y, treated="pilot", post="post", cov_type="CR2")
    with pytest.raises(ValueError, match="needs cluster"):
        sje.did(fe_data, outcome=Y, treated="pilot", post="post", inference="wild")
    with pytest.raises(ValueError, match="inference"):
        sje.did(fe_data, outcome=Y, treated="pilot", post="post", cluster="school_id",
                inference="bootstrap")  # fmt: skip
    with pytest.raises(ValueError, match="bootstrap_reps"):
        sje.did(fe_data, outcome=Y, treated="pilot", post="post", cluster="school_id",
                inference="wild", bootstrap_reps=10)  # fmt: skip


# ---------------------------------------------------------------------------- one, few clusters
def test_one_cluster_is_invalid_with_its_reason(fe_data: pd.DataFrame) -> None:
    one = fe_data[fe_data["school_id"] == fe_data["school_id"].iloc[0]].copy()
    one["pilot"] = (np.arange(len(one)) % 2).astype(int)
    school = one["school_id"].iloc[0]
    r = sje.did(one, outcome=Y, treated="pilot", post="post", cluster="school_id")
    assert not r.valid and "one cluster" in r.to_frame()["reason"].iloc[0]
    assert f"school_id = {school}" in r.to_frame()["reason"].iloc[0]
    es = sje.event_study(one, outcome=Y, treated="pilot", time="wave", ref=2020,
                         cluster="school_id")  # fmt: skip
    assert not es.to_frame()["valid"].any()
    assert "one cluster" in es.to_frame()["reason"].iloc[0]


def test_few_clusters_warn(fe_data: pd.DataFrame) -> None:
    two = fe_data[fe_data["school_id"].isin(sorted(fe_data["school_id"].unique())[:2])].copy()
    two["pilot"] = (two["school_id"] == two["school_id"].iloc[0]).astype(int)
    r = sje.did(two, outcome=Y, treated="pilot", post="post", cluster="school_id")
    assert any("only 2 clusters" in n for n in r.notes)
    many = sje.did(fe_data, outcome=Y, treated="pilot", post="post", cluster="school_id")
    assert any("only 30 clusters" in n for n in many.notes)


def test_choose_inference_thresholds() -> None:
    choose = small_clusters.choose_inference
    assert choose(8, 4) == {"cov_type": "CR2", "inference": "analytic"}  # 4 treated
    assert choose(8) == {"cov_type": "CR2", "inference": "analytic"}
    assert choose(15, 7) == {"cov_type": "cluster", "inference": "wild"}
    assert choose(30, 15)["inference"] == "wild"
    assert choose(120, 3)["cov_type"] == "CR2"  # few treated clusters, however many in all
    assert choose(120, 115)["cov_type"] == "CR2"  # few untreated
    assert choose(120, 40) == {"cov_type": "cluster", "inference": "analytic"}


def test_reports_choose_their_inference() -> None:
    # a county study of 16 schools, 3 of them senior (the comparison): CR2, said in words;
    # the national-size demo of 120 schools keeps CR1
    from shuangjian_eval import analyses

    small = analyses.comparison_groups(
        sje.synth.generate(n_schools=16, n_counties=2, students_per_school=20,
                           waves=(2019, 2020, 2022), seed=3), "grade",
    )  # fmt: skip
    assert analyses.inference_for(small) == {"cov_type": "CR2", "inference": "analytic"}
    t = analyses.did_table(small, [Y])
    assert t.options["cov_type"] == "CR2" and t.to_frame()["df"].iloc[0] < 15
    note = str(analyses.inference_note(small, "en"))
    assert "16 schools (13 treated)" in note and "CR2" in note
    assert "CR2" in str(analyses.inference_note(small, "zh"))
    wild = small.assign(treated=small["school_id"].cat.codes.isin(range(0, 16, 2)).astype(int))
    assert analyses.inference_for(wild)["inference"] == "wild"
    r = analyses.did_table(wild, [Y])
    assert r.options["inference"] == "wild" and r.to_frame()["valid"].all()
