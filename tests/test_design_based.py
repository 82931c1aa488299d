"""Design-based regression (``design=`` of did and event_study) against R survey::svyglm.

Source of every expected value: tests/data/survey/svyglm_reference.csv, written by
svyglm_reference.R beside it (R 4.2.2, survey 4.1-1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.estimation.survey import SurveyDesign

DATA = Path(__file__).parent / "data"
REF = pd.read_csv(DATA / "survey" / "svyglm_reference.csv")
_OURS = {"(Intercept)": "(intercept)", "treated_post": "treated:post",
         "es2019": "treated:wave=2019", "es2021": "treated:wave=2021",
         "es2022": "treated:wave=2022"}  # fmt: skip


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


def test_design_option_checks() -> None:
    d = _api("apistrat")
    design = SurveyDesign(d, "pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match="must not be given"):
        sje.did(d, outcome="api00", treated="treated", post="post", weights="pw", design=design)
    with pytest.raises(ValueError, match="another DataFrame"):
        sje.did(d.copy(), outcome="api00", treated="treated", post="post", design=design)
