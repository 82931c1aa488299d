"""Estimates of the notebook sections: by wave, changes from the baseline, effects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...estimation import effects as _effects
from ...estimation.effects import small_clusters as _small
from ...estimation.effects.heterogeneity import GroupedResult
from ...estimation.results import TERM_COLUMNS, EstimateResult, invalid_row
from ...estimation.survey import SurveyDesign
from ...inputs import policy as _policy
from .. import formatting as fmt
from .. import suppression
from ..plan import is_post as _is_post
from ..quality import Text as Markdown
from ._common import _DESIGN, _SPECS, _t, _waves
from .groups import design_for


def _cell_sizes(
    df: pd.DataFrame, variable: str, keys: Sequence[str], psu: str | None = "school_id"
) -> dict[tuple[Any, ...], tuple[int, int]]:
    """(respondents, schools) with ``variable`` observed, per combination of ``keys``: the
    sizes that decide whether an estimate of a cell may be published."""
    rows = df.loc[df[variable].notna().to_numpy(bool)]
    ids = rows[psu] if psu is not None else pd.Series(np.arange(len(rows)), index=rows.index)
    g = ids.groupby([rows[k] for k in keys], observed=True).agg(["size", "nunique"])
    return {
        (k if isinstance(k, tuple) else (k,)): (int(n), int(m))
        for k, n, m in zip(g.index, g["size"], g["nunique"], strict=True)
    }


def _smallest(
    sizes: dict[tuple[Any, ...], tuple[int, int]], cells: Sequence[tuple[Any, ...]]
) -> tuple[int, int]:
    """(respondents, schools) of the smallest of ``cells``; an absent cell counts 0."""
    got = [sizes.get(c, (0, 0)) for c in cells]
    return min(n for n, _ in got), min(m for _, m in got)


def estimates_by(
    design: SurveyDesign, variables: Sequence[str], by: Sequence[str] = ("wave", "stage")
) -> EstimateResult:
    """Design-based means (numbers) and proportions (yes/no items) by domain, in one table;
    domains where a variable is undefined (the homework limit in senior grades) are left out.
    ``n_psu`` counts the schools (PSUs) of each estimate, for small-cell suppression."""
    if not variables:  # a section with none of the run's outcomes: an empty table
        empty = pd.DataFrame(columns=[*TERM_COLUMNS, "variable", *by, "n", "n_psu"])
        return EstimateResult(empty, method="mean", options={"by": list(by)}, nobs=design.nobs)
    shares = [v for v in variables if pd.api.types.is_bool_dtype(design.data[v])]
    calls = ((design.mean, [v for v in variables if v not in shares]), (design.proportion, shares))
    t = pd.concat([f(vs, by=list(by)).table for f, vs in calls if vs], ignore_index=True)
    t = t.loc[t["n"] > 0].sort_values(
        "variable", key=lambda s: s.map(list(variables).index), kind="stable"
    )
    sizes = {v: _cell_sizes(design.data, v, list(by), design.psu) for v in variables}
    t["n_psu"] = [
        sizes[v].get(tuple(k), (0, 0))[1]
        for v, *k in t[["variable", *by]].itertuples(index=False, name=None)
    ]
    return EstimateResult(
        t.reset_index(drop=True), method="mean", options={"by": list(by)}, nobs=design.nobs
    )


def change_from_baseline(
    df: pd.DataFrame,
    variables: Sequence[str],
    *,
    baseline_waves: Sequence[int],
    by: Sequence[str] = (),
) -> EstimateResult:
    """Change from the pooled baseline waves to each later post-policy wave, by domain:
    differences of design-based means linearised in one design (the same schools in both
    periods enter with their covariance). Before-after: a change, not an effect of the policy.
    Without a pre-policy baseline (plan ``change``), ``baseline_waves`` is the first
    post-policy wave and the change is the trend since then.

    ``n`` and ``n_psu`` are the respondents and schools of the smaller of the two periods (the
    cell that decides whether the change may be published), not of both together."""
    wave = df["wave"].astype("Int64")
    work = df.assign(_period=wave.astype(str).where(~wave.isin(baseline_waves), "baseline"))
    design = design_for(work)
    sizes = {v: _cell_sizes(work, v, ["_period", *by]) for v in variables}
    blocks = []
    last_ref = max(baseline_waves)
    for w in [w for w in _waves(df) if _is_post(w, _policy.load()) and w > last_ref]:
        t = design.mean_diff(
            list(variables), between=("_period", "baseline", str(w)), by=list(by) or None
        )
        blocks.append(t.table.assign(wave=w, term=f"{w}: " + t.table["term"]))
    t = pd.concat(blocks, ignore_index=True)
    t = t.loc[t["n"] > 0, ["term", "wave", *t.columns.drop(["term", "wave"])]].reset_index(
        drop=True
    )
    small = [
        _smallest(sizes[v], [("baseline", *k), (str(w), *k)])
        for v, w, *k in t[["variable", "wave", *by]].itertuples(index=False, name=None)
    ]
    t["n"] = [n for n, _ in small]
    t["n_psu"] = [m for _, m in small]
    options = {"by": ["wave", *by], "baseline_waves": tuple(baseline_waves)}
    return EstimateResult(t, method="mean_diff", options=options, nobs=len(df))


def inference_for(df: pd.DataFrame) -> dict[str, Any]:
    """The cluster-robust inference of the effect estimates for these data: schools are the
    clusters, and ``small_clusters.choose_inference`` picks CR1, CR2 or the wild bootstrap
    from the number of schools and of treated schools among the compared rows (``treated``
    known). The bootstrap draws are seeded, so a report is the same each time it is run."""
    rows = df.loc[df["treated"].notna().to_numpy(bool), ["treated", "school_id"]]
    schools = int(rows["school_id"].nunique())
    treated = int(rows.loc[rows["treated"].astype(float) == 1, "school_id"].nunique())
    choice = _small.choose_inference(schools, treated)
    if choice["inference"] == "wild":
        choice = {**choice, "bootstrap_reps": 9999, "seed": 20210724}
    return choice


def inference_note(df: pd.DataFrame, lang: str = "zh") -> Markdown:
    """One sentence for the methods note: how many schools and which intervals the effect
    estimates use (:func:`inference_for`)."""
    rows = df.loc[df["treated"].notna().to_numpy(bool), ["treated", "school_id"]]
    schools = int(rows["school_id"].nunique())
    treated = int(rows.loc[rows["treated"].astype(float) == 1, "school_id"].nunique())
    choice = inference_for(df)
    kind = "wild" if choice["inference"] == "wild" else choice["cov_type"]
    return Markdown(_t(f"inference_{kind}", lang, schools=schools, treated=treated,
                       few=_small.FEW_CLUSTERS, few_treated=_small.FEW_TREATED_CLUSTERS))  # fmt: skip


def did_table(df: pd.DataFrame, outcomes: Sequence[str], **options: Any) -> EstimateResult:
    """Difference-in-differences (``sje.did``, term ``treated:post``) of several outcomes, one
    row each, on the columns of :func:`comparison_groups`. ``options`` go to ``sje.did``; by
    default sampling weights, school and wave fixed effects, standard errors by school.
    ``n_min_cell`` and ``n_psu_min_cell``: respondents and schools of the smallest of the four
    treated x period cells (a row resting on a small cell is suppressed in report tables)."""
    kw, rows = {**_DESIGN, **inference_for(df), **options}, []
    for v in outcomes:
        r = _effects.did(df, outcome=v, treated="treated", post="post", **kw)
        row = r.table.set_index("term").loc["treated:post"]
        cells = {c: row[c] for c in ("n_min_cell", "n_psu_min_cell") if c in row}
        rows.append({"term": v, "variable": v, "n": r.nobs, "df": row["df"], **cells,
                     **{c: row[c] for c in ("estimate", "std_error", "valid", "reason")}})  # fmt: skip
    return EstimateResult.from_estimates(pd.DataFrame(rows), method="did", options=kw, nobs=len(df))


def event_study(df: pd.DataFrame, outcome: str, *, ref: int, **options: Any) -> Any:
    """``sje.event_study`` of ``treated`` by wave with weights, school and wave fixed effects
    and school clusters; ``options`` pass on (e.g. ``placebo_date``). ``n`` and ``n_psu`` of
    a wave's coefficient are the respondents and schools of its smallest cell (either group,
    that wave or the reference wave), for small-cell suppression."""
    kw = {**_DESIGN, **inference_for(df), **options}
    res = _effects.event_study(df, outcome=outcome, treated="treated", time="wave", ref=ref, **kw)
    if "period" in res.table:
        sizes = _cell_sizes(df, outcome, ["treated", "wave"])
        small = [
            _smallest(sizes, [(g, w) for g in (0, 1) for w in (t, ref)])
            if pd.notna(t) else (np.nan, np.nan)
            for t in res.table["period"]
        ]  # fmt: skip
        res.table["n"] = [n for n, _ in small]
        res.table["n_psu"] = [m for _, m in small]
    return res


def placebo(df: pd.DataFrame, outcome: str) -> Any:
    """The event study with a fake policy date, the last pre-policy wave, against the one
    before it (pre-policy waves only); invalid without two pre-policy waves."""
    pre = [w for w in _waves(df) if not _is_post(w, _policy.load())]
    if len(pre) < 2:
        row = invalid_row("placebo", "needs at least two pre-policy waves")
        return EstimateResult.from_estimates(pd.DataFrame([row]), method="event_study")
    return event_study(df, outcome, ref=pre[-1], placebo_date=pre[-1])


def staggered(df: pd.DataFrame, outcome: str, *, comparison: str = "grade") -> EstimateResult:
    """Callaway-Sant'Anna ATT(g, t) by cohort (first treated wave) aggregated by years since
    treatment: repeated cross-sections, weights, school clusters, universal base period (the
    year before treatment is the reference, 0). Comparison: senior grades (never treated), and
    for ``"pilot"`` not-yet-treated cities as well. When a cell cannot be estimated the result
    is invalid with the cells' reasons (``aggregate`` fails on such cells)."""
    control = "never_treated" if comparison == "grade" else "not_yet_treated"
    res = _effects.staggered_did(df, outcome=outcome, time="wave", cohort="cohort", panel=False,
                                 control=control, weights="weight", cluster="school_id",
                                 base_period="universal")  # fmt: skip
    bad = res.table.loc[~res.table["valid"], "reason"]
    if bad.empty:
        return res.aggregate("dynamic")
    reason = "ATT(g,t) cells not estimable: " + "; ".join(sorted(set(bad)))
    row = invalid_row("ATT", reason, event_time=np.nan)  # a period: its chart draws nothing
    return EstimateResult.from_estimates(
        pd.DataFrame([row]), method="staggered_did", options=res.options
    )


def robustness(df: pd.DataFrame, outcome: str, *, lang: str = "zh") -> EstimateResult:
    """The DID of one outcome under other specifications: the main one (weights, school and
    wave fixed effects, school clusters), with covariates (urban, income quintile), without
    fixed effects, and unweighted."""
    name, q = _t("specification", lang), df["income_quintile"]
    work = df.assign(urban_=pd.to_numeric(df["urban"]).astype(float),
                     **{k: (q == k).astype(float).where(q.notna()) for k in ("Q2", "Q3", "Q4", "Q5")})  # fmt: skip
    parts = [did_table(work, [outcome], **kw).table.assign(term=spec["en"],
                                                           **{name: fmt.text(spec, lang)})
             for spec, kw in _SPECS]  # fmt: skip
    return EstimateResult(
        pd.concat(parts, ignore_index=True), method="did", options={"by": [name]}, nobs=len(df)
    )


def ordinal_model(
    df: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    covariates: Sequence[str] = ("urban", "income_quintile"),
) -> dict[str, Any]:
    """Proportional-odds logit (``sje.ordinal_logit``) of each 1-5 item on ``treated``,
    ``post`` and ``treated_post`` (the policy effect) with covariates; sampling weights,
    clustered by school. The results by outcome."""
    cov = ["treated", "post", "treated_post", *covariates]
    return {v: _effects.ordinal_logit(df, outcome=v, covariates=cov, weights="weight", cluster="school_id")
            for v in outcomes}  # fmt: skip


def heterogeneity(
    df: pd.DataFrame,
    outcomes: Sequence[str],
    by: str,
    *,
    comparison: str = "grade",
    min_cell: int | None = None,
    min_psu: int | None = None,
) -> GroupedResult:
    """The DID of each outcome within each group of ``by`` (``sje.by_group``), with the tests
    of equal effects in ``equality_test``. By ``stage`` the groups are the compulsory stages;
    in the grade comparison each is compared with all senior grades (a shared comparison
    group: the equality test is then approximate).

    A test that uses a suppressed group (fewer than ``min_cell`` respondents or ``min_psu``
    PSUs in the group's estimate or its smallest cell; None: ``suppression.rule_for()``) is
    itself suppressed (:func:`suppressed_tests`): no statistic or p-value is kept."""
    work = df
    if by == "stage":
        stages = [s for s in _policy.load().stages if s != "senior"]
        if comparison == "grade":
            senior = df.loc[df["stage"] == "senior"]
            work = pd.concat(
                [pd.concat([df.loc[df["stage"] == s], senior]).assign(_s=s) for s in stages]
            )
            work["stage"] = pd.Categorical(work.pop("_s"), categories=stages)
        else:
            work = df.loc[df["stage"].isin(stages)]
            work = work.assign(stage=work["stage"].cat.remove_unused_categories())
    tables, tests = [], []
    for v in outcomes:
        g = _effects.by_group("did", work, group=by, term="treated:post", outcome=v,
                              treated="treated", post="post", **_DESIGN)  # fmt: skip
        tables.append(g.table.assign(variable=v, term=f"{v} | " + g.table["term"]))
        tests.append(g.equality_test.assign(variable=v))
    out = GroupedResult(
        pd.concat(tables, ignore_index=True), method="did", options={"by": [by]}, nobs=len(df)
    )
    out.equality_test = pd.concat(tests, ignore_index=True)
    out.equality_test = suppressed_tests(out, min_cell=min_cell, min_psu=min_psu)
    return out


def suppressed_tests(
    result: GroupedResult, *, min_cell: int | None = None, min_psu: int | None = None
) -> pd.DataFrame:
    """The ``equality_test`` of :func:`heterogeneity` under the derived-statistic rule.

    A test of equal effects uses every group's estimate of its outcome; when one of them is
    suppressed (``suppression.effect_cells`` of the outcome's rows of ``result.table``), the
    test is not published either (``suppression.derived``): ``statistic``, ``df`` and
    ``p_value`` become NaN, ``valid`` False, ``suppressed`` True and ``reason``
    ``suppression.DERIVED_REASON["en"]``. Other tests are kept, with ``suppressed`` False.
    """
    tests = result.equality_test.copy()
    groups = result.table
    hidden = suppression.effect_cells(groups, min_cell=min_cell, min_psu=min_psu)
    flags = []
    for _, t in tests.iterrows():
        rows = (groups["variable"] == t["variable"]).to_numpy(bool)
        uses = suppression.derived(hidden[rows])
        flags.append(not uses.publishable)
        if "suppressed" in t and bool(t["suppressed"]):
            flags[-1] = True
    flags_arr = np.asarray(flags, bool)
    tests["suppressed"] = flags_arr
    if flags_arr.any():
        for c in ("statistic", "df", "p_value"):
            if c in tests:
                tests[c] = tests[c].astype(float).where(~flags_arr, np.nan)
        tests.loc[flags_arr, "valid"] = False
        tests.loc[flags_arr, "reason"] = suppression.DERIVED_REASON["en"]
    return tests
