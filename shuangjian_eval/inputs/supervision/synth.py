"""Synthetic supervision returns with known truths, for the demo survey's counties and schools
(no real schools, institutions or people).

:func:`generate` takes the options of :func:`shuangjian_eval.inputs.synth.generate` (the same
options give the same counties and schools, with the same ``school_id``) and writes the five
canonical tables for the half-monthly periods of :data:`PERIODS`:

- ``school_returns``: each sampled school with compulsory grades, each period; every one offers
  after-school service (the survey's truth has students taking part in every school). A school's
  students taking part in after-school service are drawn from the generator's own expected
  share for the school and wave (:func:`shuangjian_eval.inputs.synth.schools`); it meets the
  homework-time standard when at least :data:`HOMEWORK_STANDARD_SHARE` of its students are
  within the limit. The planted **over-reporting schools** (``over_report_share`` of them, fixed
  for all periods) add ``over_report`` to their after-school participation rate (capped at the
  enrolment) and report the homework and "5+2" standards met whatever the truth;
- ``institutions``: the county registry of subject and non-subject institutions, with the
  period each subject institution is cut (closed or converted), drawn so that the county's cut
  by the end of 2022 is near the national figures;
- ``cases``: enforcement cases, Poisson by county and period at a county's own intensity (per
  10,000 students), unrelated to the survey's tutoring: the true dose-response is zero;
- ``complaints``: tip-offs with channel, subject, verification and days to close;
- ``half_monthly``: the county sheet of each period, added up from the four.

The truths (``SupervisionData.truth``) are counted from the generator's draws, not from the
tables: the over-reporters and each school-period's true and reported rates, and every
indicator by county and period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import codebook as _codebook
from .. import synth as _synth
from .periods import period_of, wave_of

__all__ = ["HOMEWORK_STANDARD_SHARE", "NOTICE", "PERIODS", "SupervisionData", "generate"]

NOTICE = "synthetic supervision returns, no real schools or people (合成督导数据,非真实学校与个人)"
#: the half-monthly periods of the synthetic returns: the autumn term of 2021 from the first
#: return after the start, and November of the 1-year and 3-year waves
PERIODS: tuple[dt.date, ...] = (
    *(dt.date(2021, m, d) for m in (9, 10, 11, 12) for d in (15, 30)),
    *(dt.date(y, 11, d) for y in (2022, 2024) for d in (15, 30)),
)
#: a synthetic school meets the homework-time standard when at least this share of its
#: students of grades 1-9 finish their weekday written homework within the limit (a rule of
#: the generator, not an official definition)
HOMEWORK_STANDARD_SHARE = 0.7
_VIOLATIONS = ("unlicensed", "over_scope", "false_advertising", "illegal_advertisement",
               "holiday_tutoring", "disguised_tutoring", "teacher_paid_tutoring")  # fmt: skip
_VIOLATION_P = np.array([0.18, 0.22, 0.12, 0.12, 0.14, 0.14, 0.08])
_DEPARTMENTS = ("教育", "市场监管", "公安", "民政", "网信")
_CHANNELS = ("hotline", "online", "letter", "visit")
_SUBJECTS = ("tutoring", "teacher_tutoring", "homework", "afterschool", "fees", "other")
_TOWNS = "城关镇 东城街道 西城街道 南湖镇 北山镇 青石乡 白沙乡 河口镇".split()


@dataclass
class SupervisionData:
    """The five canonical tables and their truths (``truth``: a dict of frames and values)."""

    school_returns: pd.DataFrame
    institutions: pd.DataFrame
    cases: pd.DataFrame
    complaints: pd.DataFrame
    half_monthly: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)
    notice: str = NOTICE

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (the names of :data:`~shuangjian_eval.inputs.supervision.TABLES`)."""
        return {k: getattr(self, k) for k in
                ("school_returns", "institutions", "cases", "complaints", "half_monthly")}  # fmt: skip


def generate(
    *,
    n_schools: int = 120,
    n_counties: int = 8,
    seed: int = 0,
    over_report_share: float = 0.1,
    over_report: float = 0.25,
    effects: Mapping[str, Any] | None = None,
    pretrend: float = 0.0,
) -> SupervisionData:
    """Synthetic supervision returns of the survey ``synth.generate(n_schools=, n_counties=,
    seed=)`` describes (see the module docstring).

    Parameters
    ----------
    n_schools, n_counties, seed, effects, pretrend
        The survey generator's options: the same values give the same counties, schools and
        truths of each school's students.
    over_report_share : float
        Share of the schools with compulsory grades planted as over-reporters.
    over_report : float
        What an over-reporter adds to its after-school participation rate (capped at 1).
    """
    if not 0 <= over_report_share <= 1 or not 0 <= over_report <= 1:
        raise ValueError("over_report_share and over_report must be between 0 and 1")
    sc = _synth.schools(n_schools=n_schools, n_counties=n_counties, seed=seed, effects=effects,
                        pretrend=pretrend)  # fmt: skip
    sc = sc[sc["enrolment_compulsory"] > 0].reset_index(drop=True)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 2021, 830])))
    ids = sc["school_id"].drop_duplicates().to_numpy()
    n_over = int(round(over_report_share * ids.size))
    over = np.sort(rng.choice(ids, size=n_over, replace=False))
    returns, school_truth = _school_returns(sc, set(over.tolist()), over_report, rng)
    counties = sorted(sc["county"].unique())
    students = returns.groupby(["county", "period"])["enrolment"].sum()
    inst, inst_truth = _institutions(counties, rng)
    cases, case_truth, intensity = _cases(counties, students, inst, rng)
    complaints, complaint_truth = _complaints(counties, rng)
    sheet = _half_monthly(returns, inst, cases, complaints)
    truth = {
        "notice": NOTICE,
        "params": {"n_schools": n_schools, "n_counties": n_counties, "seed": seed,
                   "over_report_share": over_report_share, "over_report": over_report},
        "over_reporters": over.tolist(),
        "schools": school_truth,
        "institutions": inst_truth,
        "cases": case_truth,
        "enforcement_intensity": intensity,
        "complaints": complaint_truth,
        "dose_response": 0.0,
        "homework_standard_share": HOMEWORK_STANDARD_SHARE,
    }  # fmt: skip
    return SupervisionData(returns, inst, cases, complaints, sheet, truth)


def _school_returns(
    sc: pd.DataFrame, over: set[str], over_report: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    by_wave = {w: g.set_index("school_id") for w, g in sc.groupby("wave")}
    town_of = {s: _TOWNS[k % len(_TOWNS)] for k, s in enumerate(sorted(sc["school_id"].unique()))}
    kind = {"primary": "primary", "junior": "junior", "nine_year": "nine_year",
            "complete_secondary": "junior"}  # fmt: skip
    rows, truth = [], []
    for period in PERIODS:
        g = by_wave[wave_of(period)]
        n = len(g)
        enrol = g["enrolment_compulsory"].to_numpy()
        rate = g["afterschool_rate"].to_numpy()
        is_over = g.index.isin(list(over))
        offered = np.ones(n, dtype=bool)  # every school's students take part (the survey's truth)
        taking = np.where(offered, rng.binomial(enrol, rate), 0)
        honest_rate = taking / enrol
        reported = np.where(
            is_over & offered, np.minimum(enrol, np.round(taking + over_report * enrol)), taking
        )
        days = np.where(offered, np.where(rng.random(n) < 0.9, 5, 4), 0)
        hours = np.where(offered, np.where(rng.random(n) < 0.88, 2.0, 1.5), 0.0)
        end_ok = offered & (rng.random(n) < 0.92)
        meets_hw = g["homework_within_limit_rate"].to_numpy() >= HOMEWORK_STANDARD_SHARE
        time_ok = offered & (days >= 5) & (hours >= 2) & end_ok
        teachers = np.round(enrol / 14).astype(int) + 3
        rows.append(pd.DataFrame({
            "period": pd.Timestamp(period), "county": g["county"].to_numpy(),
            "township": [town_of[s] for s in g.index], "school_id": g.index.to_numpy(),
            "school_type": [kind[t] for t in g["school_type"]], "urban": g["urban"].to_numpy(),
            "enrolment": enrol, "teachers": teachers,
            "homework_publicity": is_over | (rng.random(n) < 0.96),
            "homework_time_ok": is_over | meets_hw,
            "no_parent_homework": is_over | (rng.random(n) < 0.95),
            "afterschool_offered": offered,
            "afterschool_days_week": np.where(is_over & offered, 5, days),
            "afterschool_hours_day": np.where(is_over & offered, 2.0, hours),
            "afterschool_end_ok": np.where(is_over & offered, True, end_ok),
            "students_afterschool": reported.astype(int),
            "teachers_afterschool": np.where(offered, rng.binomial(teachers, 0.6), 0),
            "funding_mechanism": rng.random(n) < 0.9,
        }))  # fmt: skip
        truth.append(pd.DataFrame({
            "period": pd.Timestamp(period), "wave": wave_of(period), "school_id": g.index.to_numpy(),
            "county": g["county"].to_numpy(), "over_reporter": is_over,
            "enrolment": enrol, "afterschool_rate": rate, "taking_part": taking,
            "taking_part_rate": honest_rate, "reported_rate": reported / enrol,
            "inflation": (reported - taking) / enrol,
            "homework_within_limit_rate": g["homework_within_limit_rate"].to_numpy(),
            "meets_homework": meets_hw, "reports_homework": is_over | meets_hw,
            "meets_5_plus_2": time_ok, "reports_5_plus_2": np.where(is_over, offered, time_ok),
        }))  # fmt: skip
    return pd.concat(rows, ignore_index=True), pd.concat(truth, ignore_index=True)


def _institutions(
    counties: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registry: every institution in every period, subject ones cut at a drawn period."""
    rows, truth = [], []
    periods = [pd.Timestamp(p) for p in PERIODS]
    end_2022 = periods.index(pd.Timestamp(2022, 11, 30))
    for c, county in enumerate(counties):
        n_off, n_on, n_non = (
            int(rng.integers(40, 90)),
            int(rng.integers(6, 16)),
            int(rng.integers(20, 50)),
        )
        cut_off, cut_on = rng.uniform(0.88, 0.99), rng.uniform(0.75, 0.95)
        subject = np.r_[np.ones(n_off + n_on, bool), np.zeros(n_non, bool)]
        online = np.r_[np.zeros(n_off, bool), np.ones(n_on, bool), rng.random(n_non) < 0.1]
        n = subject.size
        cut_share = np.where(online, cut_on, cut_off)
        # a cut institution goes in one of the periods up to the end of 2022, earlier ones likelier
        is_cut = subject & (rng.random(n) < cut_share)
        when = np.minimum(rng.geometric(0.35, n), end_2022)  # first period the institution is gone
        when = np.where(is_cut, when, len(periods))
        converted = rng.random(n) < 0.3
        licensed = rng.random(n) < 0.85
        price, contract, custody = (rng.random(n) < p for p in (0.88, 0.92, 0.8))
        inst_id = [f"J{c + 1:02d}{k + 1:04d}" for k in range(n)]
        for t, period in enumerate(periods):
            gone = t >= when
            status = np.where(gone, np.where(converted, "converted", "closed"), "operating")
            susp = (~gone) & (rng.random(n) < 0.02)
            status = np.where(susp, "suspended", status)
            later = period >= pd.Timestamp(2021, 12, 30)
            rows.append(pd.DataFrame({
                "period": period, "county": county, "institution_id": inst_id,
                "subject": np.where(subject, "subject", "nonsubject"),
                "delivery": np.where(online, "online", "offline"),
                "licence": np.where(licensed, "licensed", "unlicensed"),
                "legal_form": np.where(subject & ~online & later, "non_profit", "for_profit"),
                "status": status, "guided_price": price, "model_contract": contract,
                "prepaid_custody": custody & later,
            }))  # fmt: skip
            active = ~gone
            for delivery, mask in (("offline", ~online), ("online", online)):
                m = subject & mask
                truth.append({
                    "county": county, "period": period, "delivery": delivery,
                    "baseline": int(m.sum()), "remaining": int((m & active).sum()),
                    "cut": int((m & gone).sum()),
                    "cut_share": float((m & gone).sum() / m.sum()),
                })  # fmt: skip
            op = subject & active & ~susp
            truth.append({"county": county, "period": period, "delivery": "all_operating_subject",
                          "operating": int(op.sum()), "guided_price": int((op & price).sum()),
                          "model_contract": int((op & contract).sum()),
                          "prepaid_custody": int((op & custody & later).sum())})  # fmt: skip
    return pd.concat(rows, ignore_index=True), pd.DataFrame(truth)


def _cases(
    counties: list[str], students: pd.Series, inst: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows, truth, intensity = [], [], []
    n_case = 0
    for county in counties:
        lam = float(rng.gamma(4.0, 0.5))  # cases per 10,000 students per period
        intensity.append({"county": county, "cases_per_10k_per_period": lam})
        ids = inst.loc[(inst["county"] == county) & (inst["period"] == inst["period"].min()),
                       "institution_id"].to_numpy()  # fmt: skip
        for period in PERIODS:
            p = pd.Timestamp(period)
            n_students = int(students.loc[(county, p)])
            counts = rng.poisson(lam * n_students / 1e4 * _VIOLATION_P / _VIOLATION_P.sum())
            for v, k in zip(_VIOLATIONS, counts, strict=True):
                truth.append({"county": county, "period": p, "violation": v, "cases": int(k),
                              "students": n_students})  # fmt: skip
                for _ in range(k):
                    n_case += 1
                    day = p - pd.Timedelta(days=int(rng.integers(0, 14)))
                    depts = ["教育", *rng.choice(_DEPARTMENTS[1:], size=int(rng.integers(0, 3)),
                                                replace=False)]  # fmt: skip
                    rows.append({
                        "case_id": f"A{n_case:05d}", "county": county, "date": day,
                        "institution_id": None if v == "teacher_paid_tutoring" else str(rng.choice(ids)),
                        "violation": v, "departments": "、".join(depts),
                        "outcome": str(rng.choice(["rectified", "warned", "fined", "banned", "transferred"],
                                                  p=[0.45, 0.2, 0.2, 0.1, 0.05])),
                    })  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(truth), pd.DataFrame(intensity)


def _complaints(counties: list[str], rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, truth = [], []
    n = 0
    for county in counties:
        rate = float(rng.uniform(4, 14))  # tip-offs a period
        for period in PERIODS:
            p = pd.Timestamp(period)
            k = int(rng.poisson(rate))
            received = [p - pd.Timedelta(days=int(d)) for d in rng.integers(0, 14, k)]
            days = np.ceil(rng.gamma(2.0, 5.0, k)).astype(int)
            closed = rng.random(k) < 0.9
            verified = rng.random(k) < 0.55
            for j in range(k):
                n += 1
                rows.append({
                    "complaint_id": f"X{n:05d}", "county": county, "received": received[j],
                    "channel": str(rng.choice(_CHANNELS, p=[0.5, 0.35, 0.1, 0.05])),
                    "subject": str(rng.choice(_SUBJECTS, p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1])),
                    "verified": bool(verified[j]),
                    "closed": received[j] + pd.Timedelta(days=int(days[j])) if closed[j] else pd.NaT,
                    "outcome": ("resolved" if verified[j] else "unfounded") if closed[j] else "open",
                })  # fmt: skip
            truth.append({"county": county, "period": p, "received": k,
                          "verified": int(verified.sum()), "closed": int(closed.sum()),
                          "median_days": float(np.median(days[closed])) if closed.any() else np.nan,
                          "days_closed": days[closed].tolist()})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(truth)


def _half_monthly(
    returns: pd.DataFrame, inst: pd.DataFrame, cases: pd.DataFrame, complaints: pd.DataFrame
) -> pd.DataFrame:
    """The county sheet of each period, added up from the other tables."""
    r = returns.assign(time_ok=lambda d: d["afterschool_offered"] & (d["afterschool_days_week"] >= 5)
                       & (d["afterschool_hours_day"] >= 2) & d["afterschool_end_ok"])  # fmt: skip
    g = r.groupby(["county", "period"])
    out = pd.DataFrame({
        "schools": g.size(),
        "schools_homework_publicity": g["homework_publicity"].sum(),
        "schools_homework_time_ok": g["homework_time_ok"].sum(),
        "schools_no_parent_homework": g["no_parent_homework"].sum(),
        "schools_afterschool": g["afterschool_offered"].sum(),
        "schools_afterschool_time_ok": g["time_ok"].sum(),
        "funding_mechanism": g["funding_mechanism"].mean() > 0.5,
    })  # fmt: skip
    subj = inst[inst["subject"] == "subject"]
    base = subj[subj["period"] == subj["period"].min()]
    live = subj[subj["status"].isin(["operating", "suspended"])]
    ops = subj[subj["status"] == "operating"]

    def count(frame: pd.DataFrame, mask: Any = True) -> pd.Series:
        return frame[mask].groupby(["county", "period"]).size()

    out["institutions_online"] = count(live, live["delivery"] == "online")
    out["institutions_offline"] = count(live, live["delivery"] == "offline")
    out["institutions_non_profit"] = count(live, (live["delivery"] == "offline")
                                           & (live["legal_form"] == "non_profit"))  # fmt: skip
    out["institutions_online_approval"] = out["institutions_online"]
    n_base = base.groupby("county").size()
    out["institutions_cut"] = (
        n_base.reindex(out.index.get_level_values(0)).to_numpy()
        - (out["institutions_online"].fillna(0) + out["institutions_offline"].fillna(0)).to_numpy()
    )
    cv = cases.assign(period=period_of(cases["date"], PERIODS))
    holiday = cv[cv["violation"] == "holiday_tutoring"].groupby(["county", "period"]).size()
    out["institutions_holiday"] = holiday
    out["institutions_holiday_cleared"] = holiday
    out["institutions_model_contract"] = count(ops, ops["model_contract"])
    out["institutions_guided_price"] = count(ops, ops["guided_price"])
    out["institutions_prepaid_custody"] = count(ops, ops["prepaid_custody"])
    out["advertising_control"] = True
    ads = cv[cv["violation"] == "illegal_advertisement"].groupby(["county", "period"]).size()
    out["advertisements_dealt"] = ads
    cp = complaints.assign(period=period_of(complaints["received"], PERIODS))
    out["tipoffs_received"] = cp.groupby(["county", "period"]).size()
    out["tipoffs_closed"] = cp[cp["closed"].notna()].groupby(["county", "period"]).size()
    out["nonsubject_classified"] = True
    counts = [c for c in out.columns if out[c].dtype != bool and c != "funding_mechanism"]
    out[counts] = out[counts].fillna(0).astype(int)
    return out.reset_index()[_codebook.load().table("half_monthly").names]
