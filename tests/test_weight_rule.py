"""One rule for sampling weights in every estimator (shuangjian_eval/estimation/weights.py):
negative or infinite weights are an error; rows with a missing or zero weight are left out
and counted in ``result.left_out``; SurveyDesign refuses them, counting them.

Expected values: the same estimator on the data without those rows (a zero-weight row adds
nothing to any estimating equation, so the estimates must be equal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.estimation.effects.ordinal import ordinal_logit
from shuangjian_eval.estimation.effects.scales import cronbach_alpha

DATA = Path(__file__).parent / "data" / "effects"
Y = "homework_min_weekday"


@pytest.fixture()
def marked() -> tuple[pd.DataFrame, np.ndarray]:
    d = pd.read_csv(DATA / "fe_cluster_data.csv")
    d["post"] = (d["wave"] >= 2021).astype(int)
    d["y5"] = pd.cut(d[Y], 5, labels=False) + 1
    d["item2"] = d["y5"].sample(frac=1, random_state=1).to_numpy()
    d["weight"] = d["weight"].astype(float)
    d.loc[d.index[:7], "weight"] = np.nan
    d.loc[d.index[7:12], "weight"] = 0.0
    clean = np.ones(len(d), bool)
    clean[:12] = False
    return d, clean


def _same(a: float, b: float) -> None:
    assert a == pytest.approx(b, rel=1e-10)


def test_regressions_leave_out_and_count(marked) -> None:
    d, clean = marked
    kw = dict(outcome=Y, treated="pilot", post="post", weights="weight", cluster="school_id")
    r, ref = sje.did(d, **kw), sje.did(d[clean], **kw)
    assert r.left_out == {"missing weight": 7, "zero weight": 5}
    assert "7 row(s) with a missing weight and 5 row(s) with a zero weight left out" in r.notes
    assert r.nobs == ref.nobs == int(clean.sum())
    _same(r.estimate, ref.estimate)
    _same(r.std_error, ref.std_error)
    es = sje.event_study(d, outcome=Y, treated="pilot", time="wave", ref=2020, weights="weight",
                         cluster="school_id")  # fmt: skip
    assert es.left_out == {"missing weight": 7, "zero weight": 5}
    ba = sje.before_after(d, outcome=Y, period="wave", before=2019, after=2022, weights="weight")
    ba_ref = sje.before_after(d[clean], outcome=Y, period="wave", before=2019, after=2022,
                              weights="weight")  # fmt: skip
    assert sum(ba.left_out.values()) == 12 - int((~d["wave"].isin([2019, 2022])[:12]).sum())
    _same(float(ba.estimate), float(ba_ref.estimate))


def test_ordinal_and_scales_count_what_they_leave_out(marked) -> None:
    d, clean = marked
    r = ordinal_logit(d, outcome="y5", covariates=["pilot"], weights="weight")
    ref = ordinal_logit(d[clean], outcome="y5", covariates=["pilot"], weights="weight")
    assert r.left_out == {"missing weight": 7, "zero weight": 5}
    _same(float(r.estimate.loc["pilot"]), float(ref.estimate.loc["pilot"]))
    a = cronbach_alpha(d, items=["y5", "item2"], weights="weight")
    assert a.left_out == {"missing weight": 7, "zero weight": 5}


def test_bad_weights_are_errors_everywhere(marked) -> None:
    d, _ = marked
    d.loc[d.index[20], "weight"] = -1.0
    with pytest.raises(ValueError, match="finite and non-negative: 1 row"):
        sje.did(d, outcome=Y, treated="pilot", post="post", weights="weight")
    with pytest.raises(ValueError, match="finite and non-negative"):
        ordinal_logit(d, outcome="y5", covariates=["pilot"], weights="weight")
    with pytest.raises(ValueError, match="finite and non-negative"):
        cronbach_alpha(d, items=["y5", "item2"], weights="weight")
    d.loc[d.index[20], "weight"] = np.inf
    with pytest.raises(ValueError, match="finite and non-negative"):
        sje.before_after(d, outcome=Y, period="wave", before=2019, after=2022, weights="weight")


def test_survey_design_refuses_and_counts(marked) -> None:
    d, _ = marked
    with pytest.raises(ValueError, match="12 row"):
        sje.SurveyDesign(d, weight="weight", psu="school_id")
