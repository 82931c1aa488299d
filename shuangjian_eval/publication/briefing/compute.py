"""Computing the briefing of one region from canonical survey data.

:func:`compute` checks its inputs, prepares the data once (:class:`_Prepared`: derived
variables, compulsory grades, period of each wave; shared by the regions of a run) and
:func:`_compute` gathers the scorecard (the region a domain of the full design), the coverage
and verdict counts, the chart frames (design-based estimates by wave, a weighted histogram of
homework minutes) and the equity results. Cells with fewer than ``min_cell`` respondents or fewer
than ``min_psu`` schools are blanked here, before anything is stored or described.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...inputs import regions as _regions
from .. import formatting as fmt
from .. import suppression
from ..plan import Plan, choose_plan
from ._common import _VERDICT_ORDER, CHARTS
from .model import Briefing
from .text import _texts

_COMPULSORY_STAGES = ("primary_lower", "primary_upper", "junior")
# columns of the stored by-wave estimates (nothing else of a result table is kept)
_ESTIMATE_COLUMNS = ["wave", "stage", "variable", "estimate", "ci_lower", "ci_upper", "n",
                     "n_psu", "valid"]  # fmt: skip
_HIST_STEP = 10.0  # minutes: the width of a histogram bin of homework time


def compute(
    df: pd.DataFrame,
    *,
    region: str = _regions.ALL,
    policy: Any = None,
    min_cell: int | None = None,
    data_facts: Mapping[str, Any] | None = None,
    plan: str = "auto",
) -> Briefing:
    """Compute the briefing of one region.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical survey data of every region (one row per respondent per wave); the region is
        estimated as a domain of the full design, as in the scorecard.
    region : str
        A county in the data, or ``"all"``.
    policy : Policy, optional
        Standards and target waves (``policy.yaml`` when omitted).
    min_cell : int, optional
        Cells (indicator or group by period, chart point) with fewer respondents, or fewer
        than ``min_psu`` schools, are suppressed: blanked, never drawn or described; so is a
        gap or ratio that uses such a cell. None: the scorecard's rule
        (``suppression.rule_for("scorecard")``, from ``policy.yaml``).
    data_facts : dict, optional
        ``data_file``, ``data_sha256`` ... of the file the data came from (for the cache check
        and the methods note).
    plan : {"auto", "before_after", "change", "levels"}
        The analysis plan (:func:`~shuangjian_eval.publication.plan.choose_plan`): ``"auto"``
        from the data; another forces it, using only the waves it compares ("levels": the
        last post-policy wave; "change": the post-policy waves).

    Raises
    ------
    ValueError
        For a region that is not in the data (the message lists the valid regions), a bad
        ``min_cell``, or a plan the data cannot support.
    """
    from ...inputs import policy as _policy

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    _regions.check(region, _regions.counties(df))
    pol = policy or _policy.load()
    min_cell = suppression.min_cell_for(min_cell, "scorecard", pol)
    prep = _Prepared.of(df, pol, plan)
    # a county's report sets the whole area beside it, when the area is more than the county
    alone = len(_regions.counties(df)) < 2
    area = None if region == _regions.ALL or alone else area_scorecard(prep, int(min_cell))
    return _compute(prep, region, int(min_cell), dict(data_facts or {}), area=area)


def area_scorecard(prep: _Prepared, min_cell: int) -> pd.DataFrame:
    """The scorecard of all the data (the whole area), set beside each county's: computed once
    for the counties of a run."""
    from .. import targets as _targets

    return _targets.scorecard(
        prep.df, policy=prep.policy, region=_regions.ALL, min_cell=min_cell, lang="zh"
    ).to_frame()


@dataclass
class _Prepared:
    """The data with derived variables and period columns, shared by the regions of a run.

    A region is a domain of the full design. A stratum without a row of the region adds
    exactly nothing to any of its estimates or variances (each of its PSU totals is 0, and so
    is their spread), so :meth:`for_region` keeps only the rows of the strata that reach the
    region: the same numbers as from all rows (tested), at a fraction of the work. Whatever is
    defined over all rows (the income quintiles within each wave) is computed in :meth:`of`,
    before any such cut.
    """

    df: pd.DataFrame
    policy: Any
    compulsory: np.ndarray
    period: np.ndarray
    synthetic: bool
    region: str = _regions.ALL  # the region whose strata these rows are ("all": every row)
    plan: str = "auto"  # the plan parameter: "auto", or the plan forced

    @classmethod
    def of(cls, df: pd.DataFrame, pol: Any, plan: str = "auto") -> _Prepared:
        from ...inputs import codebook as _codebook
        from ..targets import income_quintile

        need = ["stage", "homework_within_limit", "sleep_meets_standard", "parent_anxiety",
                "tutoring_spend_share"]  # fmt: skip
        synthetic = "synth" in df.attrs
        df = _rows_of_plan(df, plan, pol)
        pol = _baseline_of_plan(df, pol)
        if any(c not in df.columns for c in need):
            df = _codebook.derive(df, pol)
        df = df.drop(columns=["respondent_id"], errors="ignore")  # never needed, never kept
        if "income_quintile" not in df.columns and "household_income" in df.columns:
            df = df.assign(income_quintile=income_quintile(df))  # over all rows of each wave
        grade = pd.to_numeric(df["grade"], errors="coerce").to_numpy(float, na_value=np.nan)
        lo, hi = pol.compulsory_grades
        compulsory = (grade >= lo) & (grade <= hi)
        wave = pd.to_numeric(df["wave"], errors="coerce").to_numpy(float, na_value=np.nan)
        period = np.full(len(df), None, dtype=object)
        period[np.isin(wave, pol.baseline_waves)] = "baseline"
        period[wave == pol.one_year_wave] = "one_year"
        period[wave == pol.three_year_wave] = "three_year"
        return cls(df, pol, compulsory, period, synthetic, plan=plan)

    def in_region(self, region: str) -> np.ndarray:
        if region == _regions.ALL:
            return np.ones(len(self.df), bool)
        return (self.df["county"] == region).to_numpy(bool, na_value=False)

    def for_region(self, region: str) -> _Prepared:
        """The rows of the strata that reach ``region`` (see the class notes)."""
        if region == _regions.ALL or region == self.region or "stratum" not in self.df.columns:
            return self
        return self.take(region, _strata_rows(self.df, [region])[region])

    def take(self, region: str, rows: np.ndarray) -> _Prepared:
        return dataclasses.replace(
            self, df=self.df.take(rows), compulsory=self.compulsory[rows],
            period=self.period[rows], region=region,
        )  # fmt: skip


def _plan(df: pd.DataFrame, pol: Any) -> Plan | None:
    """The analysis plan of ``df`` (:func:`choose_plan`), None when no wave is after the
    policy."""
    try:
        return choose_plan(df, policy=pol)
    except ValueError:
        return None


def _rows_of_plan(df: pd.DataFrame, plan: str, pol: Any) -> pd.DataFrame:
    """The rows of the waves a forced plan compares (all rows for ``"auto"``)."""
    if plan == "auto":
        return df
    # an unknown plan, or one the data cannot support: choose_plan's error
    chosen = choose_plan(df, plan=plan, policy=pol)
    keep = chosen.waves if chosen.has_baseline else chosen.post_waves
    out = df[df["wave"].isin(keep).to_numpy(bool, na_value=False)]
    out.attrs = dict(df.attrs)
    return out


def _baseline_of_plan(df: pd.DataFrame, pol: Any) -> Any:
    """``pol`` with the plan's baseline waves (every pre-policy wave of the data), so that the
    scorecard and the charts compare with the baseline the plan names."""
    from ...inputs import policy as _policy

    plan = _plan(df, pol)
    if (
        plan is None
        or not plan.has_baseline
        or list(plan.baseline_waves) == list(pol.baseline_waves)
    ):
        return pol
    raw = {
        **pol.raw,
        "targets": {**pol.raw["targets"], "baseline_waves": list(plan.baseline_waves)},
    }
    return _policy.Policy(raw=raw)


def _strata_rows(df: pd.DataFrame, regions: Sequence[str]) -> dict[str, np.ndarray]:
    """Row positions of the strata that reach each region, in their original order."""
    county, names = pd.factorize(df["county"])
    stratum, _ = pd.factorize(df["stratum"])
    order = np.argsort(stratum, kind="stable")
    bounds = np.searchsorted(stratum[order], np.arange(stratum.max() + 2))
    pairs = pd.DataFrame({"c": county, "h": stratum}).drop_duplicates()
    where = {str(name): i for i, name in enumerate(names)}
    out = {}
    for region in regions:
        strata = np.sort(pairs.loc[pairs["c"] == where[region], "h"].to_numpy())
        rows = [order[bounds[h] : bounds[h + 1]] for h in strata]
        out[region] = np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)
    return out


def _compute(
    prep: _Prepared,
    region: str,
    min_cell: int,
    facts: dict[str, Any],
    langs: Sequence[str] = fmt.LANGS,
    area: pd.DataFrame | None = None,
) -> Briefing:
    from ... import __version__
    from .. import targets as _targets

    prep = prep.for_region(region)
    pol, df = prep.policy, prep.df
    card = _targets.scorecard(df, policy=pol, region=region, min_cell=min_cell, lang="zh")
    vr = card.verdict_rules
    table = card.to_frame()
    member = prep.in_region(region)
    waves_present = sorted(int(w) for w in pd.unique(df.loc[member, "wave"].dropna()))
    window = (
        "3y" if pol.three_year_wave in waves_present
        else "1y" if pol.one_year_wave in waves_present else None
    )  # fmt: skip
    counts = {
        w: {v: int((table[f"verdict_{w}"] == v).sum()) for v in _VERDICT_ORDER}
        for w in ("1y", "3y")
    }
    sub = df[[c for c in ("wave", "school_id", "county") if c in df.columns]][member]
    by_wave = sub.groupby("wave", observed=True).size()
    plan = _plan(df[member], pol)
    if plan is not None and prep.plan != "auto":
        plan = dataclasses.replace(plan, forced=True)
    meta: dict[str, Any] = {
        "region": region,
        "waves": waves_present,
        "plan": None if plan is None else plan.to_dict(),
        "baseline_waves": [int(w) for w in pol.baseline_waves if w in waves_present],
        "one_year_wave": int(pol.one_year_wave),
        "three_year_wave": int(pol.three_year_wave),
        "window": window,
        "synthetic": prep.synthetic,
        "min_cell": min_cell,
        "min_psu": int(vr.min_psu),
        "respondents": int(member.sum()),
        "respondents_compulsory": int((member & prep.compulsory).sum()),
        "schools": int(sub["school_id"].nunique()),
        "counties": int(sub["county"].nunique()) if "county" in sub else 1,
        # a wave with fewer than min_cell respondents: None, its count is not kept
        "respondents_by_wave": {
            str(int(w)): None if suppression.is_small(n, min_cell=min_cell) else int(n)
            for w, n in by_wave.items()
        },
        "verdict_counts": counts,
        "trend_counts": _trend_counts(table),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        **{k: facts.get(k, "") for k in ("data_file", "data_sha256", "data_size", "data_mtime_ns")},
    }
    frames = _chart_frames(prep, region, min_cell, int(vr.min_psu))
    equity = _equity_results(prep, region, min_cell, int(vr.min_psu))
    meta["equity_missing"] = _equity_missing(df, plan)
    frames.update({k: r.to_frame() for k, r in equity.items()})
    if area is not None and region != _regions.ALL:
        frames["area_scorecard"] = area
    else:
        area = None
    text = {lang: _texts(card, table, equity, meta, vr, lang, area) for lang in langs}
    return Briefing(
        meta=meta,
        scorecard=table,
        frames=frames,
        text=text,
        verdict_rules=dataclasses.asdict(vr),
    )


def _trend_counts(table: pd.DataFrame) -> dict[str, int]:
    """Without a baseline, how many indicators improved, worsened or showed no change that can
    be told from zero between the 1-year and the 3-year wave (empty when none has that
    change)."""
    col = "change_1y_to_3y"
    if col not in table.columns or table[col].isna().all():
        return {}
    rows = table[table[col].notna()]
    sign = np.where(rows["direction"] == "decrease", -1.0, 1.0)
    lo, hi = sign * rows[f"{col}_ci_lower"], sign * rows[f"{col}_ci_upper"]
    low, high = np.minimum(lo, hi), np.maximum(lo, hi)
    return {"improved": int((low > 0).sum()), "unclear": int(((low <= 0) & (high >= 0)).sum()),
            "worsened": int((high < 0).sum())}  # fmt: skip


def _psu_counts(df: pd.DataFrame, rows: np.ndarray, keys: list[str]) -> pd.Series:
    return df[[*keys, "school_id"]][rows].groupby(keys, observed=True)["school_id"].nunique()


def _chart_frames(
    prep: _Prepared, region: str, min_cell: int, min_psu: int
) -> dict[str, pd.DataFrame]:
    """Design-based estimates by wave (region and compulsory grades a domain of the full
    design) and the homework histogram; suppressed cells blanked."""
    from ..design import standard_design

    df = prep.df
    dom = prep.in_region(region) & prep.compulsory
    work = df.assign(_domain=pd.array(np.where(dom, True, None), dtype="boolean"))
    design = standard_design(work)
    means = [
        s["variable"] for s in CHARTS.values() if s["kind"] == "mean" and not s.get("by_stage")
    ]
    shares = [s["variable"] for s in CHARTS.values() if s["kind"] == "share"]
    results = {}
    if means:
        results["wave"] = design.mean(means, by=["_domain", "wave"], df="design").table
    if shares:
        prop = design.proportion(shares, by=["_domain", "wave"], df="design").table
        results["share"] = prop[prop["category"].astype(bool)]
    staged = [s["variable"] for s in CHARTS.values() if s.get("by_stage")]
    if staged:
        results["stage"] = design.mean(staged, by=["_domain", "wave", "stage"], df="design").table
    frames: dict[str, pd.DataFrame] = {}
    for key, spec in CHARTS.items():
        var = spec["variable"]
        if spec["kind"] == "distribution":
            frames[f"chart:{key}"] = _homework_histogram(prep, dom, min_cell, min_psu, var)
            continue
        src = results[
            "stage" if spec.get("by_stage") else ("share" if spec["kind"] == "share" else "wave")
        ]
        t = src[(src["variable"] == var) & src["_domain"].fillna(False).astype(bool)].copy()
        keys = ["wave", "stage"] if spec.get("by_stage") else ["wave"]
        if spec.get("by_stage"):
            t = t[t["stage"].astype(str).isin(_COMPULSORY_STAGES)]
        seen = dom & df[var].notna().to_numpy()
        psu = _psu_counts(df, seen, keys)
        t["n_psu"] = [
            int(psu.get(k if len(keys) > 1 else k[0], 0)) for k in t[keys].itertuples(index=False)
        ]
        t = _blank_small(t, min_cell, min_psu)
        if "stage" not in t.columns:
            t["stage"] = None
        t["stage"] = (
            t["stage"]
            .astype(object)
            .where(t["stage"].notna(), None)
            .map(lambda s: None if s is None else str(s))
        )
        t["wave"] = t["wave"].astype(int)
        frames[f"chart:{key}"] = t[_ESTIMATE_COLUMNS].reset_index(drop=True)
    return frames


def _blank_small(t: pd.DataFrame, min_cell: int, min_psu: int) -> pd.DataFrame:
    small = suppression.small_cells(t.fillna({"n": 0}), min_cell=min_cell, min_psu=min_psu)
    t = t.copy()
    t["valid"] = t["valid"].astype(bool) & ~small
    for c in ("estimate", "ci_lower", "ci_upper"):
        t[c] = t[c].astype(float).where(t["valid"], np.nan)
    for c in ("n", "n_psu"):  # a suppressed cell's counts are not kept either
        t[c] = t[c].astype(float).where(~small, np.nan)
    return t


def _homework_histogram(
    prep: _Prepared, dom: np.ndarray, min_cell: int, min_psu: int, var: str = "homework_min_weekday"
) -> pd.DataFrame:
    """Weighted counts of homework minutes in 10-minute bins, by wave, stage and grade.

    A value in the bin ``(a - 10, a]`` is stored at the bin's middle ``a - 5`` and 0 at 0, so a
    value above a limit that is a multiple of 10 (0, 60, 90 minutes) stays above it; values
    above the weighted 99th percentile (at least 120 minutes) share the last bin. Only the last
    baseline wave and the last wave are kept (as ``plots.distribution_vs_standard`` compares),
    and a (wave, stage) cell with fewer than ``min_cell`` respondents or ``min_psu`` schools is
    left out.
    """
    df, pol = prep.df, prep.policy
    x = pd.to_numeric(df[var], errors="coerce").to_numpy(float, na_value=np.nan)
    w = pd.to_numeric(df["weight"], errors="coerce").to_numpy(float, na_value=np.nan)
    rows = dom & np.isfinite(x) & np.isfinite(w)
    waves = sorted(int(v) for v in pd.unique(df.loc[rows, "wave"].dropna()))
    base = [v for v in waves if v in set(pol.baseline_waves)]
    chosen = [base[-1], waves[-1]] if base and base[-1] != waves[-1] else waves[-1:]
    rows &= df["wave"].isin(chosen).to_numpy(bool, na_value=False)
    columns = ["wave", "stage", "grade", var, "weight"]
    if not rows.any():
        return pd.DataFrame(columns=columns)
    order = np.argsort(x[rows])
    cum = np.cumsum(w[rows][order])
    q99 = x[rows][order][np.searchsorted(cum, 0.99 * cum[-1])]
    cap = max(120.0, math.ceil(q99 / _HIST_STEP) * _HIST_STEP)
    binned = np.where(x <= 0, 0.0, np.ceil(x / _HIST_STEP) * _HIST_STEP - _HIST_STEP / 2)
    binned = np.minimum(binned, cap + _HIST_STEP / 2)
    part = pd.DataFrame({
        "wave": df["wave"].to_numpy()[rows].astype(int),
        "stage": df["stage"].astype(str).to_numpy()[rows],
        "grade": pd.to_numeric(df["grade"]).to_numpy()[rows].astype(int),
        var: binned[rows],
        "weight": w[rows],
        "school_id": _codes(df["school_id"])[rows],
    })  # fmt: skip
    size = part.groupby(["wave", "stage"]).agg(n=("weight", "size"), psu=("school_id", "nunique"))
    small = suppression.small_cells(size, min_cell=min_cell, min_psu=min_psu, n_psu="psu")
    ok = size[~small].index
    part = part[pd.MultiIndex.from_frame(part[["wave", "stage"]]).isin(ok)]
    part = part[part["stage"].isin(_COMPULSORY_STAGES)]
    out = part.groupby(["wave", "stage", "grade", var], as_index=False)["weight"].sum()
    return out[columns].reset_index(drop=True)


def _codes(labels: pd.Series) -> np.ndarray:
    """A number per distinct label, NaN for a missing one (which ``nunique`` leaves out, as it
    does the label); a categorical is factorized by its codes, no label becomes text."""
    codes = pd.factorize(labels)[0]
    return np.where(codes >= 0, codes, np.nan)


def _period_cells(
    prep: _Prepared, region: str, variables: Sequence[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """(respondents, schools) with an observed value, per variable and period, in the region's
    compulsory grades."""
    df = prep.df
    rows = prep.in_region(region) & prep.compulsory & pd.notna(prep.period)
    schools = _codes(df["school_id"])
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for var in variables:
        if var not in df.columns:
            continue
        seen = rows & df[var].notna().to_numpy()
        part = pd.DataFrame({"p": prep.period[seen], "s": schools[seen]})
        g = part.groupby("p")["s"].agg(["size", "nunique"])
        out[var] = {p: (int(r["size"]), int(r["nunique"])) for p, r in g.iterrows()}
    return out


def _equity_results(prep: _Prepared, region: str, min_cell: int, min_psu: int) -> dict[str, Any]:
    from .. import targets as _targets

    df, pol = prep.df, prep.policy
    disp = _targets.displacement(df, policy=pol, region=region, min_cell=min_cell)
    cells = _period_cells(prep, region, ["tutoring_subject", "tutoring_nonsubject",
                                          "tutoring_hidden", "teacher_referred_tutoring"])  # fmt: skip
    t = disp.table.copy()
    for i, r in t.iterrows():
        period = "one_year" if r["window"] == "1y" else "three_year"
        needs = [r["variable"]] + (
            ["tutoring_subject"] if r["quantity"] == "substitution_ratio" else []
        )
        uses = suppression.derived(
            suppression.is_small(
                *cells.get(v, {}).get(p, (0, 0)), min_cell=min_cell, min_psu=min_psu
            )
            for v in needs
            for p in ("baseline", period)
        )
        if not uses.publishable:
            t.loc[i, "valid"] = False
            t.loc[i, "reason"] = uses.reason["en"]
    for c in ("estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper"):
        t[c] = t[c].astype(float).where(t["valid"].astype(bool), np.nan)
    t["n"] = t["n"].astype(float).where(~_suppressed(t), np.nan)
    disp = dataclasses.replace(disp, table=t)
    out = {"displacement": disp}
    results = []
    for key, group, func in (("spend_by_income", "income", _targets.spend_by_income),
                             ("urban_rural", "urban", _targets.urban_rural_gaps)):  # fmt: skip
        if _GROUP_COLUMNS[group] in df.columns:  # a county survey may not ask
            results.append((key, func(df, policy=pol, region=region, min_cell=min_cell)))
    for key, res in results:
        t = res.table.copy()
        bad = ~t["valid"].astype(bool)
        for c in ("estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper",
                  "baseline", "follow_up"):  # fmt: skip
            if c in t.columns:
                t[c] = t[c].astype(float).where(~bad, np.nan)
        t["n"] = t["n"].astype(float).where(~_suppressed(t), np.nan)
        out[key] = dataclasses.replace(res, table=t)
    return out


#: The column each equity comparison groups by (a 问卷星 county survey may not have it).
_GROUP_COLUMNS = {"income": "household_income", "urban": "urban"}


def _equity_missing(df: pd.DataFrame, plan: Plan | None) -> dict[str, str]:
    """Why an equity comparison cannot be made, by its key in the equity section: "baseline"
    (they are changes since the baseline) or "column:<name>" (the data lack the groups)."""
    out = {}
    for key in ("hidden", "income", "urban"):
        column = _GROUP_COLUMNS.get(key)
        if column is not None and column not in df.columns:
            out[key] = f"column:{column}"
        elif plan is None or not plan.has_baseline:
            out[key] = "baseline"
    return out


def _suppressed(t: pd.DataFrame) -> pd.Series:
    """Rows suppressed for size (their counts are not kept)."""
    return t["reason"].astype(str).str.startswith("suppressed")
