"""Enforcement as treatment intensity: did the counties that enforced more see larger falls in
subject tutoring? A dose-response difference-in-differences on the survey's students, with the
county's enforcement from the cases register.

The dose of a county is its enforcement cases per 10,000 students a reporting period, over
the periods of the returns (:func:`.indicators.case_indicators`). The estimators of
:mod:`shuangjian_eval.estimation.effects` take a 0/1 treatment, so the dose enters as
``high_enforcement``: a county at or above the median dose. :func:`enforcement_did` fits

    tutoring_subject ~ high_enforcement x post + county + wave fixed effects

on students of grades 1-9 (survey weights, clusters = counties, the few-cluster inference the
reports choose: ``small_clusters.choose_inference``), and an event study of the same contrast
by wave against the last pre-policy wave, whose pre-policy coefficients test parallel trends.

Caveats (:data:`CAVEATS`, shown with the estimate): enforcement is not assigned at random
(counties with more tutoring to police may enforce more, or counties that enforce more may
differ in other ways, such as pilot-city status); cases are counted after the policy, so the
dose may respond to the falls it is meant to explain; a handful of counties gives few clusters
and wide intervals; and cases measure enforcement activity, not its quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...estimation.effects import did, event_study
from ...estimation.effects.small_clusters import choose_inference
from ...inputs import policy as _policy
from .. import formatting as fmt
from ..plan import is_post
from .indicators import case_indicators

__all__ = ["CAVEATS", "EnforcementDID", "enforcement_did", "enforcement_intensity"]

CAVEATS: dict[str, str] = {
    "zh": (
        "执法强度不是随机分配的：培训问题多的区县可能执法更多，执法多的区县也可能在其他方面不同（如是否试点城市）；"
        "案件在政策之后才有，执法强度可能反过来受培训下降的影响；区县数量少，聚类少，区间较宽；"
        "案件数反映执法活动的多少，不反映执法质量。上表结果是相关关系，不能单独说明执法的因果作用。"
    ),
    "en": (
        "Enforcement is not assigned at random: counties with more tutoring to police may enforce "
        "more, and counties that enforce more may differ in other ways (such as pilot-city "
        "status); cases exist only after the policy, so the dose may respond to the falls it is "
        "meant to explain; few counties give few clusters and wide intervals; and case counts "
        "measure enforcement activity, not its quality. The result is an association, not on "
        "its own evidence that enforcement caused the change."
    ),
}


def enforcement_intensity(cases: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Each county's cases per 10,000 students a period, and ``high_enforcement`` (at or above
    the median county)."""
    per = case_indicators(cases, returns, by=("county", "period"))
    per = per[(per["indicator"] == "cases_per_10k_students") & (per["category"] == "")]
    dose = (
        per.groupby("county", observed=True)["value"].mean().rename("cases_per_10k").reset_index()
    )
    dose["high_enforcement"] = (dose["cases_per_10k"] >= dose["cases_per_10k"].median()).astype(int)
    return dose


@dataclass
class EnforcementDID:
    """The dose of each county, the DID and the event study of high against low enforcement."""

    dose: pd.DataFrame
    did: Any
    event_study: Any
    inference: dict[str, Any]
    ref_wave: int = 0  # the event study's reference wave (the last before the policy)

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """The DID estimate and the event-study terms (percentage points of subject tutoring),
        each named in words."""
        rows = []
        for result in (self.did, self.event_study):
            for _, r in result.to_frame().iterrows():
                term = str(r["term"])
                if term == "treated:post" and result is self.did:
                    name = fmt.label(fmt.SUPERVISION_TEXT, "term_did", lang)
                elif term.startswith("treated:wave=") and result is self.event_study:
                    name = fmt.label(fmt.SUPERVISION_TEXT, "term_wave", lang).format(
                        wave=term.removeprefix("treated:wave="), ref=self.ref_wave
                    )
                else:
                    continue
                rows.append((name, r["estimate"], r["ci_lower"], r["ci_upper"]))
        word = fmt.stat_label("estimate_ci", lang, level=95)
        return pd.DataFrame(
            {
                fmt.label(fmt.SUPERVISION_TEXT, "term", lang): [r[0] for r in rows],
                f"{word}{fmt.paren(fmt.label(fmt.SUPERVISION_TEXT, 'points', lang), lang)}": [
                    fmt.format_ci(r[1], r[2], r[3], unit="share") for r in rows
                ],
            }
        )

    def caveats(self, lang: str = "zh") -> str:
        return CAVEATS[lang]


def enforcement_did(
    survey: pd.DataFrame,
    cases: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    outcome: str = "tutoring_subject",
    policy: _policy.Policy | None = None,
) -> EnforcementDID:
    """The dose-response DID and event study (see the module docstring)."""
    pol = policy or _policy.load()
    lo, hi = pol.compulsory_grades
    dose = enforcement_intensity(cases, returns)
    grade = pd.to_numeric(survey["grade"], errors="coerce")
    df = survey[(grade >= lo) & (grade <= hi)][["county", "wave", "weight", outcome]].copy()
    df["county"] = df["county"].astype(str)
    df = df.merge(dose[["county", "high_enforcement"]], on="county", how="inner")
    df[outcome] = df[outcome].astype("float64")
    df = df[df[outcome].notna()]
    waves = sorted(int(w) for w in df["wave"].unique())
    df["post"] = np.array([is_post(w, pol) for w in df["wave"]], dtype=int)
    pre = [w for w in waves if not is_post(w, pol)]
    if not pre:
        raise ValueError("the survey has no wave before the policy: a DID needs a baseline")
    df["wave"] = df["wave"].astype(int)
    n_high = int(dose["high_enforcement"].sum())
    if min(n_high, len(dose) - n_high) < 2:
        raise ValueError(
            f"{len(dose)} county(ies) with enforcement cases, {n_high} of them at or above the "
            "median: the comparison needs at least two counties with more enforcement and two "
            "with less (see the report of the whole area)"
        )
    inference = choose_inference(len(dose), n_high)
    result = did(df, outcome=outcome, treated="high_enforcement", post="post", weights="weight",
                 absorb=("county", "wave"), cluster="county", **inference)  # fmt: skip
    es = event_study(df, outcome=outcome, treated="high_enforcement", time="wave", ref=pre[-1],
                     weights="weight", absorb=("county", "wave"), cluster="county",
                     **inference)  # fmt: skip
    return EnforcementDID(dose, result, es, inference, ref_wave=pre[-1])
