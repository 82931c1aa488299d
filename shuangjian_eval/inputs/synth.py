"""Synthetic multi-wave school survey with known true policy effects (no real people).

A fictional population of schools (provinces > cities > counties, invented names prefixed
示例/样本) is sampled in two stages every wave: schools by systematic PPS within strata (county x
urban/rural, rural strata oversampled; the same schools every wave), then students by an equal take
across the grades a school has. Every random quantity is drawn once per row; each outcome is then
computed without the policy (Y0) and with it (Y1) from the same draws, and a row shows Y1 when it
is exposed (Y1 equals Y0 on the other rows). The truth travels with the data in
``df.attrs["synth"]``; read it with :func:`truth`.

Design notes
------------
- Weights: base weight ``1 / (pi_school * pi_student)``, then a non-response adjustment within
  school (the weighting class: sampled over responded base weights). In every stratum and wave the
  weights sum exactly to the stratum's enrollment in the frame (``truth(df, form="nested")["frame"]``).
- Timing: waves are fielded in November. Pilot cities are first exposed in the first wave fielded
  after the policy date (2021), other cities a year later (2022); the non-codebook column
  ``first_treated_wave`` holds the row's city cohort. Grades 1-9 are treated; grades 10-12 get
  ``senior_tutoring_share`` of the tutoring effects and none of the others.
- Truth: for any group, the weighted mean of the *realised* ``Y1 - Y0`` over its exposed rows
  (binary outcomes use common uniforms, so a row's effect is -1, 0 or 1), computed on the complete
  potential outcomes, before item non-response.
- Parallel trends: Y0 has common wave trends only as additive shifts of the mean (homework,
  sleep, after-school participation); the other outcomes have stationary Y0, so a DID of means
  recovers the ATT in expectation. ``pretrend`` breaks this on purpose (see :func:`generate`).
- ``policy_satisfaction`` is asked only in waves fielded after the policy date and
  ``afterschool_satisfaction`` only of participants (NA otherwise). Incomes are in constant yuan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import expit, gammainc, ndtr

from ..base.options import check_choice, check_options
from . import codebook as _codebook
from . import policy as _policy

__all__ = [
    "MALE_SHARE", "NOTICE", "OPTIONS", "SCHOOL_TYPES", "TrueEffects", "enrolment", "generate",
    "schools", "truth",
]  # fmt: skip

NOTICE = "synthetic data, no real people (合成数据,非真实个人)"
FIELDWORK_MONTH, FIELDWORK_DAY = 11, 15
OPTIONS = tuple(
    "n_schools students_per_school waves n_counties seed effects pretrend senior_tutoring_share"
    " substitution_rate panel_share item_missing_rate nonresponse simple_outcomes".split()
)
#: Synthetic truth of the outcomes without a model of their own (a new outcome of the codebook's
#: registry gets one row here): untreated ``mean`` and ``sd`` of a number (clipped to the
#: codebook's range) or untreated ``share`` of a yes/no item, and the nominal ``effect`` for a
#: compulsory-grade student exposed in the 1-year wave (scaled like the school-side effects:
#: pilot city, growth to the 3-year wave; none in senior grades). ``generate(simple_outcomes=)``
#: adds or replaces rows.
SIMPLE_OUTCOMES: dict[str, dict[str, float]] = {}

# school types primary, junior, senior, nine-year, complete secondary: grade range, type shares
# (urban, rural) and median enrollment per grade (urban, rural)
_TYPE_GRADES = np.array([[1, 6], [7, 9], [10, 12], [1, 9], [7, 12]])
_TYPE_SHARE = np.array([[0.50, 0.18, 0.14, 0.10, 0.08], [0.58, 0.18, 0.06, 0.16, 0.02]])
_PER_GRADE = np.array([[220, 60], [350, 150], [450, 250], [150, 50], [400, 200]])
_MALE_Z = 0.0753  # a student is male when a standard normal draw is below this
#: Share of boys among the students of the synthetic population (P(Z < 0.0753)).
MALE_SHARE = float(ndtr(_MALE_Z))
_FRAME_PER_SAMPLED, _RURAL_OVERSAMPLE = 5.0, 2.0  # frame schools per sampled school; rural x2
# Y0 by grade (index 0 unused): weekday homework minutes (weekend x1.5), school-night sleep hours
_HW_MEAN = np.array([np.nan, 35, 35, 40, 48, 56, 64, 90, 100, 110, 120, 125, 130])
_SLEEP_MEAN = 9.7 - 0.16 * (np.arange(13) - 1.0)
# common wave trends of Y0 per year since 2019: additive, the same for every group
_TREND = {"homework_min_weekday": 2.0, "homework_min_weekend": 3.0, "sleep": -0.03, "after": 0.01}
_GAMMA_SHAPE, _GAMMA_CAP = 4.0, 2.0  # homework draw: Gamma(4)/4 truncated at 2, rescaled to mean 1
_ZERO_HW = (0.10, 0.03, 0.60)  # share without homework: grades 1-2, 3-12, and 1-2 under the policy
_P_LO, _P_HI = 0.005, 0.995
_CUTS_ANXIETY, _CUTS_AFTER, _CUTS_POLICY = (
    [-1.3, -0.45, 0.35, 1.2],
    [-1.9, -1, 0, 1.1],
    [-1.6, -0.7, 0.3, 1.3],
)
_LOADINGS = np.array([0.80, 0.75, 0.70, 0.65, 0.60])  # one latent factor: alpha about 0.8
_STEMS = "甲乙丙丁戊己庚辛壬癸"


@dataclasses.dataclass(frozen=True)
class TrueEffects:
    """Nominal policy effects for a compulsory-grade student exposed in the 1-year wave.

    A row's effect is the nominal value times its modifiers (pilot city, stage, urban, income
    quintile, growth); the realised true effects (ATTs) are in :func:`truth`.

    Attributes
    ----------
    homework_min_weekday, homework_min_weekend : float
        Minutes a day (mean shift; grades 1-2 also move to 60 % with no written homework).
    sleep_hours : float
        Hours a school night.
    tutoring_subject, tutoring_nonsubject, teacher_referred_tutoring : float
        Change in the probability of taking part (additive, kept within 0.005-0.995).
    tutoring_hidden : float
        Direct change in the probability of hidden tutoring, on top of the substitution channel
        (``substitution_rate`` of those who stop subject tutoring move to hidden tutoring).
    tutoring_hours_week, tutoring_spend_year : float
        Relative change in subject-tutoring hours, and in its price per hour, for those who keep
        subject tutoring; the total effects on hours and spend also carry participation changes.
    afterschool_participation : float
        Change in the probability of taking part (capped at 0.98).
    afterschool_satisfaction, parent_anxiety, policy_satisfaction : float
        Shift of the latent variable in SD units (the truth reports scale points).
    pilot_multiplier, non_pilot_multiplier : float
        Scale every effect in pilot and in other cities (-25 min becomes -30 and -22).
    urban_multiplier, rural_multiplier, income_quintile_multipliers : float, tuple
        Scale the subject-tutoring effect (income quintiles weighted, within wave): largest in
        the middle-upper quintiles (40th-80th percentiles), small at the top.
    stage_multipliers : tuple
        Scale the homework effects in grades 1-2, 3-6 and 7-9.
    growth_three_year : float
        Effects grow linearly from x1 at the 1-year wave (2022) to this at the 3-year wave (2024).
    """

    homework_min_weekday: float = -25.0
    homework_min_weekend: float = -15.0
    sleep_hours: float = 0.3
    tutoring_subject: float = -0.20
    tutoring_nonsubject: float = 0.02
    tutoring_hidden: float = 0.0
    teacher_referred_tutoring: float = -0.03
    tutoring_hours_week: float = -0.20
    tutoring_spend_year: float = -0.30
    afterschool_participation: float = 0.40
    afterschool_satisfaction: float = 0.30
    parent_anxiety: float = -0.25
    policy_satisfaction: float = 0.60
    pilot_multiplier: float = 1.2
    non_pilot_multiplier: float = 0.88
    urban_multiplier: float = 1.15
    rural_multiplier: float = 0.80
    income_quintile_multipliers: tuple[float, ...] = (0.75, 0.95, 1.35, 1.35, 0.60)
    stage_multipliers: tuple[float, ...] = (0.6, 1.0, 1.2)
    growth_three_year: float = 1.3


def _resolve_effects(effects: TrueEffects | Mapping[str, Any] | None) -> TrueEffects:
    if effects is None or isinstance(effects, TrueEffects):
        eff = effects or TrueEffects()
    elif isinstance(effects, Mapping):
        valid = [f.name for f in dataclasses.fields(TrueEffects)]
        check_options("TrueEffects", set(effects) - set(valid), valid)
        eff = dataclasses.replace(TrueEffects(), **effects)
    else:
        raise ValueError("effects must be None, a TrueEffects or a dict of TrueEffects fields")
    _check(
        len(eff.income_quintile_multipliers) == 5 and len(eff.stage_multipliers) == 3,
        "income_quintile_multipliers needs 5 values and stage_multipliers 3",
    )
    return eff


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def _validate(o: dict[str, Any]) -> dict[str, Any]:
    for key in ("n_schools", "students_per_school", "n_counties", "seed"):
        _check(isinstance(o[key], int | np.integer), f"{key} must be an int")
    waves = tuple(int(w) for w in o["waves"])
    _check(len(waves) > 0 and all(2000 <= w <= 2100 for w in waves), "waves: years 2000-2100")
    _check(list(waves) == sorted(set(waves)), "waves must be strictly increasing")
    _check(o["n_counties"] >= 2, "n_counties must be at least 2")
    _check(o["n_schools"] >= 4 * o["n_counties"], "n_schools: at least 2 per stratum (4 a county)")
    _check(1 <= o["students_per_school"] <= 9999, "students_per_school must be 1 to 9999")
    _check(o["seed"] >= 0, "seed must be non-negative")
    for key in ("senior_tutoring_share", "substitution_rate", "panel_share"):
        _check(0.0 <= o[key] <= 1.0, f"{key} must be in [0, 1]")
    _check(0.0 <= o["item_missing_rate"] <= 0.5, "item_missing_rate must be in [0, 0.5]")
    _check(math.isfinite(o["pretrend"]), "pretrend must be finite")
    simple = {**SIMPLE_OUTCOMES, **dict(o["simple_outcomes"] or {})}
    cb = _codebook.load()
    for name, spec in simple.items():
        _check(
            name in cb.observed, f"simple_outcomes: {name!r} is not an observed codebook variable"
        )
        need = {"share", "effect"} if cb[name].dtype == "bool" else {"mean", "sd", "effect"}
        _check(set(spec) == need, f"simple_outcomes: {name!r} needs exactly {sorted(need)}")
    simple = {k: {f: float(x) for f, x in v.items()} for k, v in simple.items()}
    return {**o, "waves": waves, "nonresponse": bool(o["nonresponse"]), "simple_outcomes": simple}


def _allocate(total: int, size: np.ndarray, low: int, high: np.ndarray) -> np.ndarray:
    """Integer allocation proportional to ``size`` within [low, high], summing to ``total``."""
    ideal = total * size / size.sum()
    n = np.clip(np.round(ideal), low, high).astype(np.int64)
    while n.sum() != total:  # one stratum at a time; a few steps per stratum at most
        gap = ideal - n
        if n.sum() < total:
            n[np.argmax(np.where(n < high, gap, -np.inf))] += 1
        else:
            n[np.argmin(np.where(n > low, gap, np.inf))] -= 1
    return n


def _pps(rng: np.random.Generator, size: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS of ``n`` units, certainty units first; positions selected and their pi."""
    cert = np.zeros(size.size, dtype=bool)
    while True:  # take a unit with certainty when n_h * M_i / M_h >= 1, then recompute
        new = ~cert & (size >= size[~cert].sum() / (n - cert.sum()))
        if not new.any() or cert.sum() + new.sum() >= n:
            break
        cert |= new
    rest = np.flatnonzero(~cert)
    n_rest, m_rest = n - cert.sum(), size[rest].sum()
    points = (rng.random() + np.arange(n_rest)) * (m_rest / n_rest)
    chosen = rest[np.searchsorted(np.cumsum(size[rest]), points, side="right")]
    pi = np.ones(size.size)
    pi[rest] = n_rest * size[rest] / m_rest
    sel = np.concatenate([np.flatnonzero(cert), chosen])
    return sel, pi[sel]


def _frame_and_sample(o: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Fictional geography, a population frame of schools, and the PSU sample."""
    n_counties = o["n_counties"]
    n_cities = max(2, math.ceil(n_counties / 2))
    n_prov = math.ceil(n_cities / 3)
    city_of_county = np.arange(n_counties) * n_cities // n_counties
    prov_of_city = np.arange(n_cities) * n_prov // n_cities
    pilot = np.zeros(n_cities, dtype=bool)
    for p in range(n_prov):  # one pilot city per province
        pilot[rng.choice(np.flatnonzero(prov_of_city == p))] = True
    geo = {
        "province": [f"示例省{_STEMS[p] if p < 10 else p + 1}" for p in range(n_prov)],
        "city": [f"示例市{c + 1:02d}" for c in range(n_cities)],
        "county": [f"样本县{k + 1:03d}" for k in range(n_counties)],
        "city_of_county": city_of_county,
        "prov_of_city": prov_of_city,
        "pilot": pilot,
    }
    n_strata = 2 * n_counties  # stratum h = 2 * county + rural
    rural_h = np.arange(n_strata) % 2 == 1
    scale = _FRAME_PER_SAMPLED * o["n_schools"] / n_strata
    n_frame = np.maximum(12, np.round(scale * rng.uniform(0.7, 1.3, n_strata))).astype(np.int64)
    h = np.repeat(np.arange(n_strata), n_frame)
    rural = rural_h[h].astype(np.int64)
    stype = np.minimum((rng.random(h.size)[:, None] > _TYPE_SHARE.cumsum(axis=1)[rural]).sum(1), 4)
    n_grades = _TYPE_GRADES[stype, 1] - _TYPE_GRADES[stype, 0] + 1
    per_grade = _PER_GRADE[stype, rural] * np.exp(0.55 * rng.standard_normal(h.size))
    size = np.maximum(n_grades * 5, np.round(n_grades * per_grade)).astype(np.int64)
    enrol_h = np.bincount(h, weights=size, minlength=n_strata)
    oversample = np.where(rural_h, _RURAL_OVERSAMPLE, 1.0)
    n_h = _allocate(o["n_schools"], enrol_h * oversample, 2, n_frame // 2)
    starts = np.concatenate([[0], np.cumsum(n_frame)])
    sel, pi = [], []
    for s in range(n_strata):  # a loop over strata only
        pos, p = _pps(rng, size[starts[s] : starts[s + 1]], int(n_h[s]))
        sel.append(pos + starts[s])
        pi.append(p)
    order = np.argsort(np.concatenate(sel))
    school = np.concatenate(sel)[order]
    # fmt: off
    return {"geo": geo, "stratum_rural": rural_h, "n_frame": n_frame, "n_h": n_h,
            "enrol_h": enrol_h, "school": school, "pi": np.concatenate(pi)[order],
            "h": h[school], "type": stype[school], "size": size[school],
            "frame": (h, stype, size)}
    # fmt: on


def _waves(o: dict[str, Any], smp: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Students of every wave: new draws, panel followers, unit response and weights.

    A grade-cell (school x grade) of ``N`` students has a take of ``m``; every student in it has
    ``pi_student = m / N``, followers included (they fill the first slots of their new grade).
    A school with more grades than ``students_per_school`` instead gets a systematic sample of
    its students listed by grade, each with ``pi_student = students_per_school / M_i``.
    """
    lo, hi = _TYPE_GRADES[smp["type"], 0], _TYPE_GRADES[smp["type"], 1]
    n_g, n_s, sps, size = hi - lo + 1, lo.size, o["students_per_school"], smp["size"]
    cell_school = np.repeat(np.arange(n_s), n_g)
    cell_start = np.cumsum(n_g) - n_g
    pos = np.arange(cell_school.size) - cell_start[cell_school]
    cell_grade = lo[cell_school] + pos
    g = n_g[cell_school]
    cell_n = size[cell_school] // g + (pos < size[cell_school] % g)
    cell_m = np.minimum(sps // g + (pos < sps % g), cell_n)
    systematic, in_systematic = np.flatnonzero(n_g > sps), g > sps
    inv_pi_student = np.where(
        in_systematic, size[cell_school] / sps, cell_n / np.maximum(cell_m, 1)
    )
    base_cell = inv_pi_student / smp["pi"][cell_school]  # 1 / (pi_school * pi_student)
    urban = ~smp["stratum_rural"][smp["h"]]
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("cell", "person", "entry", "seq")}
    out.update(weight=[], wave=[])
    counts, prev = [], None
    for t, wave in enumerate(o["waves"]):
        if systematic.size:  # where the grades outnumber the take: systematic sample of students
            first = (np.cumsum(size) - size)[systematic]
            step = (size[systematic] / sps)[:, None]
            points = first[:, None] + (rng.random((systematic.size, 1)) + np.arange(sps)) * step
            hit = np.searchsorted(np.cumsum(cell_n), points.ravel(), side="right")
            cell_m[in_systematic] = 0
            np.add.at(cell_m, hit, 1)
        slot_cell = np.repeat(np.arange(cell_m.size), cell_m)
        slot_pos = np.arange(slot_cell.size) - np.repeat(np.cumsum(cell_m) - cell_m, cell_m)
        take = np.bincount(cell_school, weights=cell_m, minlength=n_s).astype(np.int64)
        slot_seq = np.arange(slot_cell.size) - (np.cumsum(take) - take)[cell_school[slot_cell]]
        n_follow = np.zeros(cell_m.size, dtype=np.int64)
        fol: dict[str, np.ndarray] = {}
        if prev is not None and o["panel_share"] > 0:
            s_prev = cell_school[prev["cell"]]
            grade = cell_grade[prev["cell"]] + (wave - o["waves"][t - 1])
            ok = (grade <= hi[s_prev]) & (rng.random(s_prev.size) < o["panel_share"])
            target = cell_start[s_prev] + grade - lo[s_prev]
            idx = np.flatnonzero(ok)[np.argsort(target[ok], kind="stable")]
            tgt = target[idx]
            rank = np.arange(tgt.size) - np.searchsorted(tgt, tgt)  # position within the cell
            idx = idx[rank < cell_m[tgt]]
            fol = {k: v[idx] for k, v in prev.items()}
            fol["cell"] = target[idx]
            n_follow = np.bincount(fol["cell"], minlength=cell_m.size)
        new = slot_pos >= n_follow[slot_cell]
        n_new = int(new.sum())
        # fmt: off
        draw = {"cell": slot_cell[new], "person": rng.standard_normal((n_new, 6), dtype=np.float32),
                "entry": np.full(n_new, wave), "seq": slot_seq[new]}
        # fmt: on
        rows = {k: np.concatenate([fol[k], v]) if fol else v for k, v in draw.items()}
        school = cell_school[rows["cell"]]
        p_resp = 0.75 + 0.10 * urban[school] + 0.10 * ndtr(rows["person"][:, 2])
        p_resp = p_resp if o["nonresponse"] else np.ones(school.size)
        resp = rng.random(school.size) < p_resp
        none = np.flatnonzero(np.bincount(school, weights=resp, minlength=n_s) == 0)
        by_school = np.argsort(school, kind="stable")  # a school never goes without respondents
        resp[by_school[np.searchsorted(school[by_school], none)]] = True
        base = base_cell[rows["cell"]]
        adj = np.bincount(school, base, n_s) / np.bincount(school[resp], base[resp], n_s)
        counts.append([wave, school.size, int(resp.sum()), float(p_resp.sum())])
        prev = {k: v[resp] for k, v in rows.items()}
        for k, v in prev.items():
            out[k].append(v)
        out["weight"].append((base * adj[school])[resp])
        out["wave"].append(np.full(int(resp.sum()), wave, dtype=np.int16))
    res = {k: np.concatenate(v) for k, v in out.items()}
    return {**res, "cell_school": cell_school, "cell_grade": cell_grade, "counts": counts}


def _cat(codes: np.ndarray, labels: Sequence[str], ordered: bool = False) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, np.int32), list(labels), ordered=ordered)


def _ordinal(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    return (np.searchsorted(cuts, latent) + 1).astype(np.int8)


def _weighted_pct(value: np.ndarray, group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mid-rank percentile (0-1) of ``value`` within ``group``."""
    order = np.lexsort((value, group))
    w, g = weight[order], group[order]
    tot = np.bincount(group, weights=weight)
    pct = np.empty(value.size)
    pct[order] = (np.cumsum(w) - (np.cumsum(tot) - tot)[g] - w / 2) / tot[g]
    return pct


def _intensity(
    wave: np.ndarray, pilot: np.ndarray, exposed: np.ndarray, eff: TrueEffects, pol: _policy.Policy
) -> np.ndarray:
    """Effect intensity: exposure x pilot x growth (1 at the 1-year wave to growth_three_year)."""
    growth = np.clip((wave - pol.one_year_wave) / (pol.three_year_wave - pol.one_year_wave), 0, 1)
    pm = exposed * np.where(pilot, eff.pilot_multiplier, eff.non_pilot_multiplier)
    return pm * (1 + (eff.growth_three_year - 1) * growth)


def _gamma_kappa() -> np.float64:
    """Mean of the homework draw's truncated Gamma(4)/4, which rescales it to mean 1 (a NumPy
    float64, so that the float32 draws divided by it are float64, as they always were)."""
    a = _GAMMA_SHAPE * _GAMMA_CAP
    return gammainc(_GAMMA_SHAPE + 1, a) + _GAMMA_CAP * (1 - gammainc(_GAMMA_SHAPE, a))


def _homework_means(
    name: str, ratio: float, grade: np.ndarray, stage: np.ndarray, school_effect: np.ndarray,
    effort: np.ndarray, years: np.ndarray, pre: np.ndarray, int_school: np.ndarray,
    eff: TrueEffects,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Homework without and with the policy: ((zero share, mean if any) Y0, (the same) Y1)."""
    hw_base = _HW_MEAN[grade] * np.exp(0.12 * np.clip(school_effect, -2.5, 2.5) + 0.2 * effort)
    z0 = np.where(grade <= 2, _ZERO_HW[0], _ZERO_HW[1])
    c0 = np.maximum(hw_base * ratio + _TREND[name] * years + pre, 1.0)
    d = getattr(eff, name) * np.append(eff.stage_multipliers, 0.0)[stage] * int_school
    z1 = np.where((grade <= 2) & (d < 0), _ZERO_HW[2], z0)
    c1 = np.maximum(c0 + d, 0.0)
    return (z0, c0), (z1, c1)


def _afterschool_p(
    urban: np.ndarray, stage: np.ndarray, school_effect: np.ndarray, years: np.ndarray,
    int_school: np.ndarray, eff: TrueEffects,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Probability of taking part in after-school service without and with the policy."""
    p0a = 0.2 + 0.5 * expit(
        0.4 * urban + np.array([0.3, 0.3, 0.0, -0.5])[stage] + 0.5 * school_effect
    )
    p0a = np.clip(p0a + _TREND["after"] * years, 0.02, 0.98)
    return p0a, np.clip(p0a + eff.afterschool_participation * int_school, _P_LO, 0.98)


def _outcomes(
    o: dict[str, Any], eff: TrueEffects, smp: dict[str, Any], st: dict[str, Any],
    rng: np.random.Generator, pol: _policy.Policy, start: int,
) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray | None]]]:  # fmt: skip
    """Observed data and per-row true effects ``Y1 - Y0`` (with the rows where each is defined)."""
    n = st["cell"].size
    school = st["cell_school"][st["cell"]]
    grade = st["cell_grade"][st["cell"]].astype(np.int64)
    wave = st["wave"].astype(np.int64)
    h = smp["h"][school]
    urban = ~smp["stratum_rural"][h]
    pilot = smp["geo"]["pilot"][smp["geo"]["city_of_county"][h // 2]]
    cohort = np.where(pilot, start, start + 1)
    exposed = wave >= cohort
    stage_of_grade = [pol.stages.index(s) if s else -1 for s in pol.stage_by_grade()]
    stage = np.array(stage_of_grade)[grade]  # 0-3: primary_lower, primary_upper, junior, senior
    comp = grade <= pol.raw["homework_limits"]["covers_grades"][1]
    ses, inc_e, anx_p = (st["person"][:, j] for j in (1, 2, 3))
    tut_p = 0.5 * st["person"][:, 4]  # the family's taste for tutoring
    effort = np.clip(st["person"][:, 5], -2.5, 2.5)
    re = rng.standard_normal((smp["school"].size, 5)).astype(np.float32)[school]  # school effects
    re[:, 2] *= 0.4  # on subject tutoring
    years = wave - 2019.0
    pre = o["pretrend"] * (wave - (start - 1)) * comp
    log_inc = 10.9 + 0.5 * urban + 0.3 * ses + 0.45 * inc_e
    income = np.round(np.exp(log_inc), -2)
    pct = _weighted_pct(log_inc, np.searchsorted(o["waves"], wave), st["weight"])
    q = np.minimum((pct * 5).astype(np.int64), 4)
    x = pct - 0.5
    pm = _intensity(wave, pilot, exposed, eff, pol)
    int_school = pm * comp
    int_tut = pm * np.where(comp, 1.0, o["senior_tutoring_share"])
    tut_mult = int_tut * np.asarray(eff.income_quintile_multipliers)[q]
    tut_mult = tut_mult * np.where(urban, eff.urban_multiplier, eff.rural_multiplier)
    # homework: zero-inflated truncated gamma with mean c0 (Y0) or c0 + effect (Y1)
    kappa = _gamma_kappa()
    u_zero = rng.random(n, dtype=np.float32)
    y: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, ratio in (("homework_min_weekday", 1.0), ("homework_min_weekend", 1.5)):
        gamma = rng.standard_gamma(_GAMMA_SHAPE, n, dtype=np.float32) / _GAMMA_SHAPE
        draw = np.minimum(gamma, _GAMMA_CAP) / kappa
        zc = _homework_means(
            name, ratio, grade, stage, re[:, 0], effort, years, pre, int_school, eff
        )
        top = _codebook.load()[name].max
        y[name] = tuple(np.minimum((u_zero >= z) * c / (1 - z) * draw, top) for z, c in zc)
    s0 = _SLEEP_MEAN[grade] + 0.2 * re[:, 1] + _TREND["sleep"] * years - pre / 60.0
    s0 = s0 + 0.65 * rng.standard_normal(n, dtype=np.float32) - 0.15 * effort
    y["sleep_hours"] = (np.clip(s0, 3, 14), np.clip(s0 + eff.sleep_hours * int_school, 3, 14))
    # tutoring: common uniforms, so a row's Y1 <= Y0 where the probability falls
    tg = np.array([-1.0, -0.6, -0.35, -0.25])[stage]  # stage terms of subject tutoring
    u = rng.random((n, 6), dtype=np.float32)
    p0 = {
        "tutoring_subject": 0.05 + 0.85 * expit(1.8 * x + 0.5 * urban + tg + re[:, 2] + tut_p),
        "tutoring_nonsubject": 0.05 + 0.8 * expit(2 * x + 0.4 * urban - 0.6 * ~comp + tut_p - 0.9),
        "tutoring_hidden": 0.01 + 0.12 * expit(2 * x + 0.3 * urban + tut_p - 1.0),
        "teacher_referred_tutoring": 0.03 + 0.06 * expit(0.1 + 0.3 * urban + tg),
    }  # fmt: skip
    for j, (name, p) in enumerate(p0.items()):
        d = getattr(eff, name) * (tut_mult if name == "tutoring_subject" else int_tut)
        y[name] = (u[:, j] < p, u[:, j] < np.clip(p + d, _P_LO, _P_HI))
    subj0, subj1 = y["tutoring_subject"]
    moved = subj0 & ~subj1 & (u[:, 4] < o["substitution_rate"])  # substitution channel
    y["tutoring_hidden"] = (y["tutoring_hidden"][0], y["tutoring_hidden"][1] | moved)
    z = rng.standard_normal((n, 4), dtype=np.float32)
    hrs = np.exp(np.log([3.0, 2.0, 2.5]) + np.array([0.5, 0.5, 0.6]) * z[:, :3])
    price = 30 * np.exp(0.5 * (log_inc - 11) + 0.5 * z[:, 3])  # the family's price level
    f_hours = np.maximum(1 + eff.tutoring_hours_week * int_tut, 0.1)
    f_price = np.maximum(1 + eff.tutoring_spend_year * int_tut, 0.1)
    hours, spend = [], []
    for k, (fh, fp) in enumerate(((1.0, 1.0), (f_hours, f_price))):
        sub, non, hid = (y[f"tutoring_{c}"][k] for c in ("subject", "nonsubject", "hidden"))
        week = sub * hrs[:, 0] * fh + non * hrs[:, 1] + hid * hrs[:, 2]
        hours.append(np.where(week > 0, np.clip(np.round(week * 2) / 2, 0.5, 60.0), 0.0))
        cny = price * (
            100 * sub * hrs[:, 0] * fh * fp + 80 * non * hrs[:, 1] + 200 * hid * hrs[:, 2]
        )
        spend.append(np.minimum(np.round(np.minimum(cny, 0.5 * income), -1), 1e6))
    y["tutoring_hours_week"], y["tutoring_spend_year"] = tuple(hours), tuple(spend)
    # after-school service; satisfaction and anxiety items from latent variables and cut points
    p0a, p1a = _afterschool_p(urban, stage, re[:, 3], years, int_school, eff)
    y["afterschool_participation"] = (u[:, 5] < p0a, u[:, 5] < p1a)
    lat = rng.standard_normal((n, 7), dtype=np.float32)
    for name, cuts, mean in (
        ("afterschool_satisfaction", _CUTS_AFTER, 0.2 + 0.3 * re[:, 4] + lat[:, 0]),
        ("policy_satisfaction", _CUTS_POLICY, -0.1 + 0.2 * urban + 0.3 * re[:, 4] + lat[:, 1]),
    ):
        shift = getattr(eff, name) * int_school
        y[name] = (_ordinal(mean, cuts), _ordinal(mean + shift, cuts))
    f0 = 0.25 * (stage == 2) + 0.35 * (stage == 3) + 0.15 * urban + 0.3 * x + 0.95 * anx_p
    f1 = f0 + eff.parent_anxiety * int_school
    items = [f"anxiety_{j + 1}" for j in range(5)]
    for j, item in enumerate(items):
        e = np.sqrt(1 - _LOADINGS[j] ** 2) * lat[:, 2 + j]
        y[item] = tuple(_ordinal(_LOADINGS[j] * f + e, _CUTS_ANXIETY) for f in (f0, f1))
    for j, (name, spec) in enumerate(o["simple_outcomes"].items()):  # one table, no own model
        draw = rng.standard_normal(n, dtype=np.float32) + 0.3 * re[:, j % 5]
        d = float(spec["effect"]) * int_school
        if "share" in spec:
            p0 = np.clip(float(spec["share"]) + 0.1 * draw, _P_LO, _P_HI)
            u1 = rng.random(n, dtype=np.float32)
            y[name] = (u1 < p0, u1 < np.clip(p0 + d, _P_LO, _P_HI))
        else:
            v = _codebook.load()[name]
            y0 = np.clip(float(spec["mean"]) + float(spec["sd"]) * draw, v.min, v.max)
            y[name] = (y0, np.clip(y0 + d, v.min, v.max))
    # per-row true effects
    diff = lambda name: y[name][1].astype(float) - y[name][0]  # noqa: E731
    te: dict[str, tuple[np.ndarray, Any]] = {k: (diff(k), None) for k in y if k not in items}
    lim, std = pol.homework_limit_by_grade()[grade], pol.sleep_hours_by_grade()[grade]
    (hw0, hw1), (sl0, sl1) = y["homework_min_weekday"], y["sleep_hours"]
    te["homework_within_limit"] = ((hw1 <= lim).astype(float) - (hw0 <= lim), comp)
    te["sleep_meets_standard"] = ((sl1 >= std).astype(float) - (sl0 >= std), None)
    te["tutoring_spend_share"] = (diff("tutoring_spend_year") / income, None)
    always = y["afterschool_participation"][0] & y["afterschool_participation"][1]
    te["afterschool_satisfaction"] = (diff("afterschool_satisfaction"), always)
    te["parent_anxiety"] = (sum(diff(i) for i in items) / len(items), None)
    te["parent_anxiety_latent"] = (f1 - f0, None)
    data = {k: v[1] for k, v in y.items()}  # Y1 equals Y0 on rows not exposed
    # fmt: off
    data.update(school=school, grade=grade, wave=wave, urban=urban, pilot=pilot, cohort=cohort,
                h=h, income=income, ses=ses, gender=st["person"][:, 0] < _MALE_Z, exposed=exposed,
                stage=stage, q=q, pct=pct)
    # fmt: on
    return data, te


def _att_records(
    te: dict[str, tuple[np.ndarray, np.ndarray | None]], d: dict[str, Any], weight: np.ndarray,
    waves: Sequence[int], start: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """True ATTs: weighted means of ``Y1 - Y0`` over exposed rows, by wave and group.

    Sums are taken once per outcome over fine cells (wave x pilot x urban x quintile x stage)
    and then added up into each grouping.
    """
    shape = (len(waves), 2, 2, 5, 4)
    rows = np.flatnonzero(d["exposed"])
    cols = (np.searchsorted(waves, d["wave"]), d["pilot"], d["urban"], d["q"], d["stage"])
    fine = np.ravel_multi_index(tuple(c[rows] for c in cols), shape)
    size = int(np.prod(shape))
    wv, pilot, urban, q, stage = np.unravel_index(np.arange(size), shape)
    comp = stage < 3
    dims = {  # by -> (group code of each fine cell, -1 outside the grouping; group labels)
        "overall": (np.where(comp, 0, -1), ["compulsory"]),
        "cohort": (np.where(comp, 1 - pilot, -1), [str(start), str(start + 1)]),
        "urban": (np.where(comp, urban, -1), ["rural", "urban"]),
        "income_quintile": (np.where(comp, q, -1), [f"Q{i}" for i in range(1, 6)]),
        "stage": (stage, list(_policy.load().stages)),
        "pilot_city": (np.where(comp, pilot, -1), ["non_pilot", "pilot"]),
    }
    w = weight[rows]
    out: dict[str, list[Any]] = {k: [] for k in ("outcome", "wave", "by", "group")}
    out.update(att=[], n=[], weight_sum=[])
    for outcome, (effect, defined) in te.items():
        key = fine if defined is None else np.where(defined[rows], fine, size)  # size: left out
        sums = [np.bincount(key, v, size + 1)[:size] for v in (w, w * effect[rows], None)]
        for by, (code, labels) in dims.items():
            cell = wv[code >= 0] * len(labels) + code[code >= 0]
            n_cells = len(waves) * len(labels)
            wsum, att, count = (np.bincount(cell, v[code >= 0], n_cells) for v in sums)
            k = np.flatnonzero(count)
            wave, group = np.asarray(waves)[k // len(labels)], np.asarray(labels)[k % len(labels)]
            new = (outcome, wave, by, group, att[k] / wsum[k], count[k].astype(int), wsum[k])
            for col, v in zip(out, new, strict=True):
                out[col].extend(np.broadcast_to(v, k.shape).tolist())
    return [dict(zip(out, rec, strict=True)) for rec in zip(*out.values(), strict=True)]


def _tables(
    o: dict[str, Any], smp: dict[str, Any], st: dict[str, Any], d: dict[str, Any],
    strata: list[str], post: np.ndarray, start: int, te: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The truth's tables, each a list of records."""
    geo, n_strata = smp["geo"], len(strata)
    county = np.arange(n_strata) // 2
    city = geo["city_of_county"][county]
    # fmt: off
    frame = pd.DataFrame({
        "stratum": strata, "province": np.asarray(geo["province"])[geo["prov_of_city"][city]],
        "city": np.asarray(geo["city"])[city], "county": np.asarray(geo["county"])[county],
        "urban": ~smp["stratum_rural"], "pilot_city": geo["pilot"][city],
        "n_schools_frame": smp["n_frame"], "n_schools_sampled": smp["n_h"],
        "enrollment": smp["enrol_h"]})
    # fmt: on
    wave_idx = np.searchsorted(o["waves"], d["wave"])
    names = ["wave", "n_sampled", "n_respondents", "expected_respondents"]
    waves = pd.DataFrame(st["counts"], columns=names).assign(
        weight_sum=np.bincount(wave_idx, weights=st["weight"], minlength=len(o["waves"])),
        population_enrollment=float(smp["enrol_h"].sum()),
        fieldwork_date=[dt.date(w, FIELDWORK_MONTH, FIELDWORK_DAY).isoformat() for w in o["waves"]],
        post_policy=post,
    )
    cuts = []
    for i, w in enumerate(o["waves"]):  # weighted quintile cut points of income, within wave
        sel = np.flatnonzero(wave_idx == i)
        sel = sel[np.argsort(d["pct"][sel])]
        qs = np.interp([0.2, 0.4, 0.6, 0.8], d["pct"][sel], d["income"][sel])
        cuts.append({"wave": int(w), **{f"q{20 * (k + 1)}": float(v) for k, v in enumerate(qs)}})
    return {
        "frame": frame.to_dict("records"),
        "waves": waves.to_dict("records"),
        "income_quintile_cuts": cuts,
        "att": _att_records(te, d, st["weight"], o["waves"], start),
    }


_DEFINITIONS = {
    "weight": "1/(pi_school*pi_student) times sampled/responded base weights within school; sums"
    " to the stratum's frame enrollment in every stratum and wave",
    "att": "weighted mean of the realised Y1 - Y0 over exposed rows (wave >= first_treated_wave)"
    " of the group, binary outcomes with common uniforms, on complete potential outcomes (before"
    " item non-response); by overall/cohort/urban/income_quintile/pilot_city: grades 1-9; by"
    " stage: all grades (senior partly treated, tutoring only)",
    "afterschool_satisfaction": "ATT among rows that take part with and without the policy",
    "parent_anxiety": "scale points (mean of the 5 items); parent_anxiety_latent in SD units",
    "income_quintile": "weighted quintiles of household_income within wave",
    "pretrend": "differential trend of Y0 for grades 1-9 per year, zero at the reference wave",
}


def generate(
    *,
    n_schools: int = 120,
    students_per_school: int = 40,
    waves: Sequence[int] = (2019, 2020, 2021, 2022, 2024),
    n_counties: int = 8,
    seed: int = 0,
    effects: TrueEffects | Mapping[str, Any] | None = None,
    pretrend: float = 0.0,
    senior_tutoring_share: float = 0.3,
    substitution_rate: float = 0.15,
    panel_share: float = 0.0,
    item_missing_rate: float = 0.02,
    nonresponse: bool = True,
    simple_outcomes: Mapping[str, Mapping[str, float]] | None = None,
    **unknown: Any,
) -> pd.DataFrame:
    """Generate a synthetic multi-wave school survey with known true policy effects.

    Parameters
    ----------
    n_schools : int
        Schools sampled (PSUs), allocated to the ``2 * n_counties`` strata (at least 2 each).
    students_per_school : int
        Students sampled per school and wave, an equal take across the school's grades (all of
        a grade when it is smaller; a systematic sample of the school's students listed by grade
        when there are fewer students than grades).
    waves : sequence of int
        Survey years, each fielded in November. Waves before the policy date are baseline.
    n_counties : int
        Counties, each with an urban and a rural stratum. Cities hold about two counties,
        provinces about three cities, with one pilot city per province.
    seed : int
        Seed of all randomness: the same seed gives an identical frame.
    effects : TrueEffects or dict, optional
        Nominal effects, or a dict overriding some :class:`TrueEffects` fields. The untreated
        outcomes do not depend on them (common random numbers).
    pretrend : float
        Differential linear trend in the untreated outcomes of grades 1-9, in weekday and weekend
        homework minutes a day per year (sleep moves by ``-pretrend / 60`` hours a year), zero at
        the last wave before the policy (2020) and continuing after it: a parallel-trends
        violation that a pre-trend test should detect and that biases a plain DID.
    senior_tutoring_share : float
        Share of the tutoring effects that grades 10-12 get (rules applied "by reference").
    substitution_rate : float
        Share of those who stop subject tutoring that move to hidden tutoring.
    panel_share : float
        Share of a wave's respondents followed to the next wave (same ``respondent_id``, grade
        plus the wave gap, same school; not past the school's top grade). Followers fill slots
        of their grade's take, so every student of a grade has the same weight.
    item_missing_rate : float
        Item non-response (NA, completely at random) in each outcome variable.
    nonresponse : bool
        Unit non-response with probability 0.05-0.25 by urban and income, adjusted in weights.
    simple_outcomes : dict, optional
        Rows to add to (or replace in) :data:`SIMPLE_OUTCOMES`: the synthetic truth of outcomes
        without a model of their own, e.g. ``{"screen_time_min": {"mean": 120, "sd": 40,
        "effect": -20}}`` for a variable of the codebook in force.

    Returns
    -------
    pandas.DataFrame
        Canonical data (codebook columns and dtypes, derived columns from
        :func:`shuangjian_eval.inputs.codebook.derive`), one row per respondent per wave, plus the
        codebook column ``first_treated_wave`` (the city's cohort: 2021 pilot, 2022 others).
        ``df.attrs["synth"]`` holds the truth; read it with :func:`truth`.

    Raises
    ------
    ValueError
        For an unknown option (the message lists the valid ones) or an invalid value.
    """
    check_options("generate", unknown, OPTIONS)
    o = _validate({k: v for k, v in locals().items() if k in OPTIONS})
    eff = _resolve_effects(effects)
    pol, cb = _policy.load(), _codebook.load()
    fieldwork = lambda w: dt.date(int(w), FIELDWORK_MONTH, FIELDWORK_DAY)  # noqa: E731
    start = pol.date.year + (fieldwork(pol.date.year) <= pol.date)  # first wave after the policy
    post = np.array([fieldwork(w) > pol.date for w in o["waves"]])
    rng_frame, rng_people, rng_outcome, rng_missing = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(4)
    )
    smp = _frame_and_sample(o, rng_frame)
    st = _waves(o, smp, rng_people)
    d, te = _outcomes(o, eff, smp, st, rng_outcome, pol, start)
    geo, n, county = smp["geo"], d["wave"].size, d["h"] // 2
    strata = [f"{c}-{u}" for c in geo["county"] for u in ("城镇", "农村")]
    codes = np.char.add("S", np.char.zfill((smp["school"] + 1).astype(str), 6))
    width = max(4, len(str(students_per_school)))
    seq = np.char.zfill(np.arange(1, students_per_school + 1).astype(str), width)
    ids = pc.binary_join_element_wise(
        pa.array(codes).take(pa.array(d["school"])),
        pa.array(st["entry"].astype(str)),
        pa.array(seq).take(pa.array(st["seq"])),
        "-",
    )
    cols: dict[str, Any] = {
        "respondent_id": pd.array(ids, dtype="string"),
        "wave": pd.array(d["wave"], dtype="Int16"),
        "province": _cat(geo["prov_of_city"][geo["city_of_county"][county]], geo["province"]),
        "city": _cat(geo["city_of_county"][county], geo["city"]),
        "county": _cat(county, geo["county"]),
        "school_id": _cat(d["school"], codes),
        "stratum": _cat(d["h"], strata),
        "weight": st["weight"],
        "pilot_city": pd.array(d["pilot"], dtype="boolean"),
        "urban": pd.array(d["urban"], dtype="boolean"),
        "grade": pd.array(d["grade"].astype(np.int8), dtype="Int8"),
        "gender": _cat(d["gender"].astype(np.int8), ["female", "male"]),
        "household_income": d["income"],
        "parent_education": _cat(
            np.searchsorted([-1.2, 0.1, 1.0, 2.1], d["ses"] + 0.8 * d["urban"]),
            cb["parent_education"].categories,
            ordered=True,
        ),
    }
    for name in cb.observed:  # outcomes, with item non-response completely at random
        if name in cols or name not in d:
            continue
        v, m = d[name], rng_missing.random(n, dtype=np.float32) < item_missing_rate
        if name == "afterschool_satisfaction":
            m |= ~d["afterschool_participation"]  # asked of participants only
        elif name == "policy_satisfaction":
            m |= ~post[np.searchsorted(o["waves"], d["wave"])]  # asked once the policy exists
        if v.dtype == bool:
            cols[name] = pd.arrays.BooleanArray(v, m)
        elif v.dtype == np.int8:
            cols[name] = pd.arrays.IntegerArray(v, m)
        else:
            cols[name] = np.where(m, np.nan, v)
    cols["first_treated_wave"] = pd.array(d["cohort"], dtype="Int16")
    df = _codebook.cast(_codebook.derive(pd.DataFrame(cols), pol, cb), cb)
    df = df[[c for c in cb.names if c in df.columns]]
    tables = _tables(o, smp, st, d, strata, post, start, te)
    df.attrs["synth"] = {
        "notice": NOTICE,
        "generator": "shuangjian_eval.inputs.synth",
        "version": 1,
        "seed": int(seed),
        "params": json.loads(json.dumps({**o, "effects": dataclasses.asdict(eff)})),
        "policy_date": pol.date.isoformat(),
        "fieldwork": {"month": FIELDWORK_MONTH, "day": FIELDWORK_DAY},
        "first_treated_wave": {"pilot": start, "non_pilot": start + 1},
        "pilot_cities": [c for c, p in zip(geo["city"], geo["pilot"], strict=True) if p],
        "pretrend_reference_wave": start - 1,
        "definitions": _DEFINITIONS,
        # the tables as JSON text: pandas deep-copies attrs on every operation, and hundreds of
        # records as Python objects would add milliseconds to each column access
        "tables_json": {k: json.dumps(v, ensure_ascii=False) for k, v in tables.items()},
    }
    return df


#: the columns of :func:`truth`'s frame, one row a true effect
TRUTH_COLUMNS = ("outcome", "wave", "by", "group", "att", "n", "weight_sum")
#: what :func:`truth` gives
TRUTH_FORMS = ("frame", "nested")


def truth(df: pd.DataFrame, *, form: str = "frame") -> pd.DataFrame | dict[str, Any]:
    """The truth that travels with a synthetic frame (``df.attrs["synth"]``).

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from :func:`generate`, or one read back from Parquet.
    form : "frame" or "nested"
        ``"frame"``: the true policy effects as a tidy frame, one row an effect
        (:data:`TRUTH_COLUMNS`: outcome, wave, ``by`` (overall, stage, cohort, urban,
        income_quintile, pilot_city), group, the true ATT, its rows and weight sum); its
        ``attrs`` hold the notice, the seed, the generator's parameters and the definitions.
        ``"nested"``: everything, as a dict: ``notice``, ``params``, ``seed``, ``definitions``,
        timing, and the tables, each a list of records: ``frame`` (strata with their
        population enrollment), ``waves`` (sample sizes, weight sums),
        ``income_quintile_cuts`` and ``att`` (the rows of the frame form).

    Raises
    ------
    ValueError
        When the frame carries no synthetic truth (real data, or attrs lost by an operation),
        or for another ``form``.
    """
    check_choice("form", form, TRUTH_FORMS)
    meta = getattr(df, "attrs", {}).get("synth")
    if not isinstance(meta, Mapping) or meta.get("notice") != NOTICE:
        raise ValueError(
            "this frame carries no synthetic truth (df.attrs['synth'] from "
            "sje.synth.generate): real survey data has none, and operations such as merge or "
            "concat may drop attrs (Parquet keeps them)"
        )
    out = json.loads(json.dumps({k: v for k, v in meta.items() if k != "tables_json"}))
    out.update({k: json.loads(v) for k, v in meta["tables_json"].items()})
    if form == "nested":
        return out
    effects = pd.DataFrame(out["att"], columns=list(TRUTH_COLUMNS))
    effects.attrs = {k: out[k] for k in ("notice", "seed", "params", "definitions")}
    return effects


def _frame_options(caller: str, options: dict[str, Any], **given: Any) -> dict[str, Any]:
    """:func:`generate`'s options checked, with its defaults, for a function that rebuilds its
    frame (the same options give the same schools)."""
    defaults = {
        k: v.default
        for k, v in inspect.signature(generate).parameters.items()
        if k in OPTIONS and v.default is not inspect.Parameter.empty
    }
    check_options(caller, options, OPTIONS)
    return _validate({**defaults, **options, **given})


def enrolment(
    *, n_schools: int = 120, n_counties: int = 8, seed: int = 0, **options: Any
) -> pd.DataFrame:
    """The enrolment of the synthetic population :func:`generate` samples from, as a county's
    教育事业统计 returns give it: students by county, urban/rural, grade and gender.

    The same options (``n_schools``, ``n_counties``, ``seed``; the others of :func:`generate`
    do not change the frame) give the frame of the data ``generate`` makes: every frame
    school's students split evenly over its grades, as ``generate`` does, and by gender in the
    population's proportion :data:`MALE_SHARE` (rounded to whole students). The counts by county
    and urban/rural sum to the survey's weights in every wave (``truth(df, form="nested")["frame"]``).

    Returns
    -------
    pandas.DataFrame
        ``county``, ``urban``, ``grade``, ``gender``, ``students`` (int), sorted.
    """
    o = _frame_options("enrolment", options, n_schools=n_schools, n_counties=n_counties,
                       seed=seed)  # fmt: skip
    rng_frame = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(4)[0]))
    smp = _frame_and_sample(o, rng_frame)
    h, stype, size = smp["frame"]
    lo, hi = _TYPE_GRADES[stype, 0], _TYPE_GRADES[stype, 1]
    n_g = hi - lo + 1
    school = np.repeat(np.arange(h.size), n_g)
    pos = np.arange(school.size) - np.repeat(np.cumsum(n_g) - n_g, n_g)
    grade = lo[school] + pos
    cell_n = size[school] // n_g[school] + (pos < size[school] % n_g[school])  # as _waves
    key = h[school] * 13 + grade
    counts = np.bincount(key, weights=cell_n, minlength=h.max() * 13 + 13)
    k = np.flatnonzero(counts)
    total = counts[k].astype(np.int64)
    male = np.round(total * MALE_SHARE).astype(np.int64)
    stratum, grade_k = k // 13, k % 13
    county = np.asarray(smp["geo"]["county"])[stratum // 2]
    urban = ~smp["stratum_rural"][stratum]
    out = pd.DataFrame(
        {
            "county": np.repeat(county, 2),
            "urban": np.repeat(urban, 2),
            "grade": np.repeat(grade_k, 2),
            "gender": np.tile(["female", "male"], len(k)),
            "students": np.column_stack([total - male, male]).ravel(),
        }
    )
    return out.sort_values(["county", "urban", "grade", "gender"], ignore_index=True)


#: the school types of the synthetic frame, by the grades they teach
SCHOOL_TYPES = ("primary", "junior", "senior", "nine_year", "complete_secondary")
_HERMITE_NODES = 40


def schools(
    *,
    n_schools: int = 120,
    n_counties: int = 8,
    seed: int = 0,
    waves: Sequence[int] = (2019, 2020, 2021, 2022, 2024),
    effects: TrueEffects | Mapping[str, Any] | None = None,
    pretrend: float = 0.0,
    **options: Any,
) -> pd.DataFrame:
    """The schools :func:`generate` samples (the same options give the same schools) and the
    truth of each school's whole student body in each wave, from the generator's own model.

    Returns
    -------
    pandas.DataFrame
        One row per sampled school and wave: ``school_id`` (as in the survey), ``county``,
        ``stratum``, ``urban``, ``pilot_city``, ``school_type`` (:data:`SCHOOL_TYPES`),
        ``enrolment`` (all grades), ``enrolment_compulsory`` (grades 1-9), ``exposed`` (the
        policy reached the school's city by the wave), and two expected shares among the
        school's students of grades 1-9 (NaN for a senior-only school):
        ``afterschool_rate`` (taking part in after-school service) and
        ``homework_within_limit_rate`` (weekday written homework within the grade's limit; the
        homework draw integrated over students' effort by Gauss-Hermite quadrature).
    """
    o = _frame_options("schools", options, n_schools=n_schools, n_counties=n_counties,
                       seed=seed, waves=waves, pretrend=pretrend)  # fmt: skip
    eff, pol = _resolve_effects(effects), _policy.load()
    seeds = np.random.SeedSequence(seed).spawn(4)
    smp = _frame_and_sample(o, np.random.Generator(np.random.PCG64(seeds[0])))
    n_s = smp["school"].size
    school_effect = np.random.Generator(np.random.PCG64(seeds[2])).standard_normal(
        (n_s, 5)).astype(np.float32)  # fmt: skip  # the first draw of generate's outcomes
    lo, hi, size = _TYPE_GRADES[smp["type"], 0], _TYPE_GRADES[smp["type"], 1], smp["size"]
    n_g = hi - lo + 1
    cell_school = np.repeat(np.arange(n_s), n_g)
    pos = np.arange(cell_school.size) - np.repeat(np.cumsum(n_g) - n_g, n_g)
    grade = (lo[cell_school] + pos).astype(np.int64)
    cell_n = size[cell_school] // n_g[cell_school] + (pos < size[cell_school] % n_g[cell_school])
    comp = grade <= pol.raw["homework_limits"]["covers_grades"][1]
    stage = np.array([pol.stages.index(s) if s else -1 for s in pol.stage_by_grade()])[grade]
    h = smp["h"][cell_school]
    urban = ~smp["stratum_rural"][h]
    pilot = smp["geo"]["pilot"][smp["geo"]["city_of_county"][h // 2]]
    fieldwork = dt.date(pol.date.year, FIELDWORK_MONTH, FIELDWORK_DAY)
    start = pol.date.year + (fieldwork <= pol.date)
    lim = pol.homework_limit_by_grade()[grade]
    nodes, node_w = np.polynomial.hermite_e.hermegauss(_HERMITE_NODES)
    node_w = node_w / node_w.sum()
    kappa = _gamma_kappa()
    weight_comp = np.bincount(cell_school, weights=cell_n * comp, minlength=n_s)
    rows = []
    for wave in o["waves"]:
        w = np.full(grade.size, wave)
        exposed = wave >= np.where(pilot, start, start + 1)
        int_school = _intensity(w, pilot, exposed, eff, pol) * comp
        years = np.full(grade.size, wave - 2019.0)
        pre = o["pretrend"] * (wave - (start - 1)) * comp
        _, p1 = _afterschool_p(urban, stage, school_effect[cell_school, 3], years, int_school, eff)
        within = np.zeros(grade.size)
        for e, wk in zip(np.clip(nodes, -2.5, 2.5), node_w, strict=True):
            _, (z1, c1) = _homework_means("homework_min_weekday", 1.0, grade, stage,
                                          school_effect[cell_school, 0], np.full(grade.size, e),
                                          years, pre, int_school, eff)  # fmt: skip
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(c1 > 0, lim * (1 - z1) / c1, np.inf) * kappa
            below = np.where(t >= _GAMMA_CAP, 1.0, gammainc(_GAMMA_SHAPE, _GAMMA_SHAPE * t))
            within += wk * np.where(comp, z1 + (1 - z1) * below, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            after = (
                np.bincount(cell_school, weights=cell_n * comp * p1, minlength=n_s) / weight_comp
            )
            hw = (
                np.bincount(cell_school, weights=cell_n * comp * within, minlength=n_s)
                / weight_comp
            )
        rows.append(pd.DataFrame({
            "school_id": np.char.add("S", np.char.zfill((smp["school"] + 1).astype(str), 6)),
            "wave": wave, "school_type": np.asarray(SCHOOL_TYPES)[smp["type"]],
            "county": np.asarray(smp["geo"]["county"])[smp["h"] // 2],
            "stratum": [f"{smp['geo']['county'][k // 2]}-{'农村' if r else '城镇'}"
                        for k, r in zip(smp["h"], smp["stratum_rural"][smp["h"]], strict=True)],
            "urban": ~smp["stratum_rural"][smp["h"]],
            "pilot_city": smp["geo"]["pilot"][smp["geo"]["city_of_county"][smp["h"] // 2]],
            "enrolment": size, "enrolment_compulsory": weight_comp.astype(np.int64),
            "exposed": np.bincount(cell_school, weights=exposed, minlength=n_s) > 0,
            "afterschool_rate": after, "homework_within_limit_rate": hw,
        }))  # fmt: skip
    return pd.concat(rows, ignore_index=True)
