"""What schools report set beside what families report (triangulation), with the survey's
design-based uncertainty.

For each survey wave the returns of the period nearest its fieldwork
(:func:`shuangjian_eval.inputs.supervision.fieldwork_period`) are set beside the survey's
students of grades 1-9 of the same county (or school):

- after-school participation: the returns' students taking part over enrolment against the
  survey's share taking part;
- homework: the share of schools reporting the homework-time standard met against the survey's
  share of students whose weekday written homework is within the limit (two different
  measures: a school may meet the standard while some of its students do not; a large gap is
  a question to ask, not a finding);
- tutoring (counties): the share of subject institutions cut against the survey's shares still
  taking (and paying for) subject tutoring and taking hidden tutoring.

County estimates use the standard design of every report (:func:`..design.standard_design`,
counties as domains); school estimates the within-school design (:func:`..design.school_design`).
A reported figure above the upper end of the survey's interval is flagged ``above`` (the
returns claim more than the families' answers allow), below the lower end ``below``; a survey
estimate that rests on a small cell (the small-cell rule of ``policy.yaml``) or has no valid
interval (every student, or none, answering yes gives a share of 1 or 0 without a standard
error) gives ``insufficient``, never a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...base.options import check_options
from ...inputs import policy as _policy
from ...inputs.supervision import fieldwork_period
from .. import suppression
from ..design import school_design, standard_design

__all__ = ["FLAGS", "Triangulation", "score_flags", "triangulate"]

#: the flags of a comparison
FLAGS = ("above", "below", "consistent", "insufficient")
_MEASURES = {  # measure -> (survey variable, what the returns report)
    "afterschool_participation": ("afterschool_participation", "afterschool_participation_rate"),
    "homework": ("homework_within_limit", "homework_time_ok_share"),
}


@dataclass
class Triangulation:
    """County and school comparisons (tidy frames) and the level of their intervals."""

    counties: pd.DataFrame
    schools: pd.DataFrame
    tutoring: pd.DataFrame
    level: float

    def flagged(
        self, unit: str = "schools", measure: str = "afterschool_participation"
    ) -> pd.DataFrame:
        """The rows flagged ``above`` of one measure."""
        frame = getattr(self, unit)
        return frame[(frame["measure"] == measure) & (frame["flag"] == "above")]


def _reported(returns: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = returns.groupby(by, observed=True)
    ok = returns["homework_time_ok"].astype("boolean")
    out = pd.DataFrame({
        "afterschool_participation": g["students_afterschool"].sum() / g["enrolment"].sum(),
        "homework": ok.groupby([returns[c] for c in by], observed=True).mean().astype(float),
        "schools": g.size(),
    })  # fmt: skip
    return out.reset_index()


def _flag(frame: pd.DataFrame, min_cell: int, min_psu: int | None) -> pd.Series:
    small = suppression.small_cells(frame, min_cell=min_cell, min_psu=min_psu)
    bad = small | ~frame["valid"].astype(bool) | frame["ci_upper"].isna() | frame["reported"].isna()
    bad |= frame["ci_upper"] <= frame["ci_lower"]  # all or none answered yes: no interval
    flag = np.where(frame["reported"] > frame["ci_upper"], "above",
                    np.where(frame["reported"] < frame["ci_lower"], "below", "consistent"))  # fmt: skip
    return pd.Series(np.where(bad, "insufficient", flag), index=frame.index)


def triangulate(
    returns: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    registry: pd.DataFrame | None = None,
    level: float = 0.95,
    min_cell: int | None = None,
    **unknown: Any,
) -> Triangulation:
    """Set the school returns beside the survey, by county and by school, for every survey
    wave that has a return period (see the module docstring).

    Parameters
    ----------
    returns : DataFrame
        Canonical school returns.
    survey : DataFrame
        Canonical survey data (the standard design's columns, ``school_id`` as in the
        returns).
    registry : DataFrame, optional
        The institution registry: adds the tutoring comparison by county.
    level : float
        Confidence level of the survey's intervals.
    min_cell : int, optional
        Fewest respondents of a compared estimate (default: the small-cell rule of tables).

    Returns
    -------
    Triangulation
        ``counties`` and ``schools``: one row per unit, wave and measure with ``period``,
        ``reported``, the survey's ``estimate``, ``ci_lower``, ``ci_upper``, ``n``, ``gap``
        (reported minus estimate) and ``flag`` (:data:`FLAGS`); ``tutoring``: by county and
        wave, the share of subject institutions cut beside the survey's shares.
    """
    check_options("triangulate", unknown, ("registry", "level", "min_cell"))
    rule = suppression.rule_for("tables")
    min_cell = suppression.min_cell_for(min_cell)
    pol = _policy.load()
    lo, hi = pol.compulsory_grades
    grade = pd.to_numeric(survey["grade"], errors="coerce")
    svy = survey[(grade >= lo) & (grade <= hi)]
    periods = sorted(pd.to_datetime(returns["period"].unique()))
    matched = {}
    for wave in sorted(int(w) for w in svy["wave"].dropna().unique()):
        p = fieldwork_period(wave, periods)
        if p is not None:
            matched[wave] = p
    if not matched:
        raise ValueError(
            "no survey wave has a return period of its autumn term: the returns cover "
            f"{periods[0]:%Y-%m-%d} to {periods[-1]:%Y-%m-%d}, the survey waves "
            f"{sorted(svy['wave'].dropna().unique().tolist())}"
        )
    svy = svy[svy["wave"].isin(list(matched))]
    ret = returns[returns["period"].isin(list(matched.values()))]
    wave_of_period = {p: w for w, p in matched.items()}
    ret = ret.assign(wave=ret["period"].map(wave_of_period).astype("int64"))
    tables = {}
    for unit, key, design in (("counties", "county", standard_design(svy)),
                              ("schools", "school_id", school_design(svy))):  # fmt: skip
        reported = _reported(ret, [key, "wave"])
        parts = []
        for measure, (variable, _) in _MEASURES.items():
            est = design.proportion(variable, by=[key, "wave"], level=level).to_frame()
            est[key] = est[key].astype(str)
            est["wave"] = est["wave"].astype("int64")
            rep = reported[[key, "wave", measure, "schools"]].rename(columns={measure: "reported"})
            rep[key] = rep[key].astype(str)
            m = rep.merge(est, on=[key, "wave"], how="left")
            m["measure"] = measure
            m["period"] = m["wave"].map(matched)
            parts.append(m)
        frame = pd.concat(parts, ignore_index=True)
        frame["n"] = frame["n"].fillna(0)
        frame["valid"] = frame["valid"].fillna(False)
        frame["gap"] = frame["reported"] - frame["estimate"]
        frame["flag"] = _flag(frame, min_cell, rule.min_psu if unit == "counties" else None)
        keep = [key, "wave", "period", "measure", "reported", "estimate", "ci_lower", "ci_upper",
                "n", "gap", "flag", "schools", "reason"]  # fmt: skip
        tables[unit] = frame[keep].sort_values([key, "wave", "measure"], ignore_index=True)
    tutoring = _tutoring(svy, registry, matched, level) if registry is not None else pd.DataFrame()
    return Triangulation(tables["counties"], tables["schools"], tutoring, level)


def _tutoring(svy: pd.DataFrame, registry: pd.DataFrame, matched: dict[int, pd.Timestamp],
              level: float) -> pd.DataFrame:  # fmt: skip
    from .indicators import institution_indicators

    inst = institution_indicators(registry)
    cut = inst[(inst["indicator"] == "subject_institutions_cut_share")]
    cut = cut.pivot_table(
        index=["county", "period"], columns="category", values="value"
    ).reset_index()
    cut = cut.rename(columns={"offline": "cut_offline", "online": "cut_online"})
    d = standard_design(svy.assign(paying=(svy["tutoring_subject"] == True)  # noqa: E712
                                   & (svy["tutoring_spend_year"] > 0)))  # fmt: skip
    est = d.proportion(["tutoring_subject", "paying", "tutoring_hidden"], by=["county", "wave"],
                       level=level).to_frame()  # fmt: skip
    est["county"] = est["county"].astype(str)
    wide = est.pivot_table(index=["county", "wave"], columns="variable",
                           values=["estimate", "ci_lower", "ci_upper"])  # fmt: skip
    wide.columns = [f"{v}_{s}" for s, v in wide.columns]
    wide = wide.reset_index()
    wide["period"] = wide["wave"].map(matched)
    return wide.merge(cut, on=["county", "period"], how="left")


def score_flags(
    flags: pd.DataFrame, planted: list[str], *, key: str = "school_id"
) -> dict[str, int]:
    """How the flags ``above`` of one measure find the planted over-reporters of a synthetic
    truth: planted and flagged (hits), planted and not flagged (misses), flagged but not planted
    (false alarms), neither; counted over units x waves, and over units (flagged in any wave)."""
    f = flags.assign(planted=flags[key].astype(str).isin([str(p) for p in planted]),
                     hit=flags["flag"] == "above")  # fmt: skip
    f = f[f["flag"] != "insufficient"]
    units = f.groupby(key).agg(planted=("planted", "first"), hit=("hit", "any"))
    out = {}
    for name, frame in (("", f), ("units_", units)):
        out[f"{name}compared"] = len(frame)
        out[f"{name}planted"] = int(frame["planted"].sum())
        out[f"{name}hits"] = int((frame["planted"] & frame["hit"]).sum())
        out[f"{name}misses"] = int((frame["planted"] & ~frame["hit"]).sum())
        out[f"{name}false_alarms"] = int((~frame["planted"] & frame["hit"]).sum())
    return out
