"""The standard design every report uses (``publication.design``).

Expected values: the lonely-PSU rule is the one the module declares (R survey's "adjust");
the synthetic data of ``sje.synth`` has strata of several schools, so one stratum is cut to
a single school here to make a lonely PSU.
"""

from __future__ import annotations

import numpy as np
import pytest

import shuangjian_eval as sje
from shuangjian_eval.publication import design


@pytest.fixture(scope="module")
def lonely():
    df = sje.synth.generate(n_counties=2, n_schools=12, students_per_school=10, seed=3)
    stratum = df["stratum"].iloc[0]
    first = df.loc[df["stratum"] == stratum, "school_id"].iloc[0]
    keep = (df["stratum"] != stratum) | (df["school_id"] == first)
    return df[keep.to_numpy()].reset_index(drop=True)


def test_one_rule_for_the_notebooks_and_the_scorecard(lonely):
    d = design.standard_design(lonely)
    assert (d.weight, d.strata, d.psu, d.lonely_psu) == ("weight", "stratum", "school_id",
                                                          "adjust")  # fmt: skip
    assert sje.analyses.design_for(lonely).lonely_psu == design.LONELY_PSU
    res = d.mean("sleep_hours")
    assert res.to_frame()["valid"].all() and np.isfinite(res.std_error)
    # under "fail" the same estimate would be invalid: the rule matters on these data
    fail = sje.SurveyDesign(lonely, "weight", strata="stratum", psu="school_id")
    assert not fail.mean("sleep_hours").to_frame()["valid"].any()


def test_scorecard_default_is_the_standard_design(lonely):
    quick = ["homework_within_limit"]
    default = sje.scorecard(lonely, indicators=quick).to_frame()
    explicit = sje.scorecard(lonely, indicators=quick,
                             design=design.standard_design(lonely)).to_frame()  # fmt: skip
    cols = ["baseline", "baseline_ci_lower", "change_1y_ci_lower", "n"]
    assert default[cols].equals(explicit[cols])
