"""Staggered adoption: Callaway and Sant'Anna (2021) group-time ATTs, ``staggered_did``.

Without covariates (unconditional parallel trends), ATT(g, t) is the difference in
differences of (weighted) means between cohort ``g`` and the comparison group from a base
period to period ``t``:

- post-treatment cells (``t >= g``): base ``g - 1 - anticipation`` (the last period before it);
- pre-treatment cells: the previous period (``base_period="varying"``, R ``did``'s default) or
  ``g - 1 - anticipation`` (``"universal"``; the base cell itself is reported as 0);
- comparison: never-treated units, or those not yet treated in both periods
  (``first treated > max(t, base) + anticipation``, other than ``g``).

Panel data (``panel=True``): differences within units of a balanced panel (units missing a
period are left out), as ``did::att_gt``. Repeated cross-sections (``panel=False``): four
cell means per ATT, as ``did::att_gt(panel = FALSE)``.

Standard errors come from the influence functions, summed within clusters (the unit by
default for a panel, the row for cross-sections) with no small-sample factor: as
``did::att_gt(bstrap = FALSE)``. Aggregations follow ``did::aggte`` including the influence
of the estimated cohort shares. All computations use cluster-level sums, so memory does not
grow with rows x cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...base.options import check_choice, check_columns, check_options
from ..results import EstimateResult, invalid_row
from ..weights import left_out_note, usable_weights
from ._fe import CELL_COLUMNS, factorize, smallest_cell, to_float

__all__ = ["AGGREGATIONS", "StaggeredResult", "staggered_did"]

AGGREGATIONS: tuple[str, ...] = ("simple", "group", "dynamic", "calendar")
_OPTIONS = ("unit", "control", "panel", "weights", "cluster", "anticipation", "base_period",
            "level")  # fmt: skip


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class StaggeredResult(EstimateResult):
    """Group-time ATTs, one row per (cohort, period) cell, and their influence functions.

    Table columns: ``term`` (``"ATT(g,t)"``), ``group``, ``time``, ``base_period``,
    ``event_time`` (t - g), ``post``, ``n_treated``, ``n_control``, ``n_min_cell`` and
    ``n_psu_min_cell`` (rows, or units of a panel, and clusters of the smallest of the cell's
    four cohort x period means, or of its two groups' differences in a panel; clusters are NaN
    without ``cluster=``; NaN for the reference cell of a universal base period) and the
    estimate columns (normal reference distribution, as R ``did``). ``pretrend_test`` is R's
    Wald pre-test of the pre-treatment cells (chi2). :meth:`aggregate` gives ``did::aggte``
    summaries.
    """

    pretrend_test: Any = None
    _if: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _share: dict[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the ATT(g, t) estimates (from the influence functions)."""
        v = self._if.T @ self._if
        return pd.DataFrame(v, index=self.terms, columns=self.terms)

    def aggregate(self, type: str = "group", *, level: float | None = None) -> EstimateResult:
        """Aggregate the ATT(g, t) as R ``did::aggte(type=...)`` (analytic standard errors).

        Parameters
        ----------
        type : {"simple", "group", "dynamic", "calendar"}
            ``"simple"``: post-treatment cells weighted by cohort size; ``"group"``: the mean
            over post periods for each cohort, overall weighted by cohort size; ``"dynamic"``:
            by event time ``e = t - g`` (cells weighted by cohort size), overall the mean over
            ``e >= 0``; ``"calendar"``: by period (post cells), overall the mean over periods.
        level : float, optional
            Confidence level (default: that of the ATT(g, t)).

        Returns
        -------
        EstimateResult
            First row ``"ATT"`` (the overall summary), then one row per group / event time /
            period with the label in column ``group`` / ``event_time`` / ``time``.
            ``n_min_cell`` and ``n_psu_min_cell`` are the smallest of those of the ATT(g, t)
            cells the row averages (the reference cell, 0 by construction, aside).
        """
        check_choice("type", type, AGGREGATIONS)
        lvl = self.level if level is None else level
        t = self.table
        if t["group"].isna().all():  # no ATT(g, t) cell at all: its reason
            why = "; ".join(sorted(set(t["reason"])))
            label = {"group": "group", "dynamic": "event_time", "calendar": "time"}.get(type)
            extra = {label: np.nan} if label else {}
            return EstimateResult.from_estimates(
                pd.DataFrame([invalid_row("ATT", why, **extra)]),
                method=f"staggered_did.aggregate[{type}]",
                options={**self.options, "type": type}, nobs=self.nobs, level=lvl,
            )  # fmt: skip
        att = t["estimate"].to_numpy(float)
        grp, tim = t["group"].to_numpy(float), t["time"].to_numpy(float)
        post = t["post"].to_numpy(bool)
        sh = self._share
        pg_cell = sh["pg"][np.searchsorted(sh["groups"], grp)]
        rows: list[tuple[str, Any, np.ndarray | None, float]] = []
        support: list[np.ndarray] = []  # the cells each row averages

        def combine(cells: np.ndarray, weights: np.ndarray, wif: bool) -> tuple[float, np.ndarray]:
            est = float(weights @ att[cells])
            inf = self._if[:, cells] @ weights
            if wif:
                inf = inf + self._wif(grp[cells], pg_cell[cells]) @ att[cells]
            return est, inf

        label = {"group": "group", "dynamic": "event_time", "calendar": "time"}.get(type)
        if type == "simple":
            cells = np.flatnonzero(post)
            est, inf = combine(cells, pg_cell[cells] / pg_cell[cells].sum(), True)
            rows.append(("ATT", None, inf, est))
            support.append(cells)
        else:
            if type == "group":
                keys = sh["groups"]
                members = [np.flatnonzero(post & (grp == g)) for g in keys]
                weights = [np.full(m.size, 1.0 / max(m.size, 1)) for m in members]
                use_wif = False
            elif type == "dynamic":
                keys = np.unique(tim - grp)
                members = [np.flatnonzero(tim - grp == e) for e in keys]
                weights = [pg_cell[m] / pg_cell[m].sum() for m in members]
                use_wif = True
            else:
                keys = np.unique(tim[tim >= grp.min()])
                members = [np.flatnonzero((tim == k) & post) for k in keys]
                weights = [pg_cell[m] / pg_cell[m].sum() for m in members]
                use_wif = True
            parts = [combine(m, w, use_wif) for m, w in zip(members, weights, strict=True)]
            ests = np.array([p[0] for p in parts])
            infs = np.column_stack([p[1] for p in parts])
            if type == "group":
                w_over = sh["pg"] / sh["pg"].sum()
                inf = infs @ w_over + self._wif(keys, sh["pg"]) @ ests
                overall = float(w_over @ ests)
            else:
                sel = keys >= 0 if type == "dynamic" else np.ones(keys.size, bool)
                overall = float(ests[sel].mean())
                inf = infs[:, sel].mean(axis=1)
            rows.append(("ATT", None, inf, overall))
            chosen = (
                members
                if type != "dynamic"
                else [m for m, s in zip(members, sel, strict=True) if s]
            )
            support.append(np.concatenate(chosen) if chosen else np.zeros(0, int))
            for k, e, i, m in zip(keys, ests, infs.T, members, strict=True):
                rows.append((f"{label}={_fmt(k)}", k, i, float(e)))
                support.append(m)
        records = []
        for term, key, inf, est in rows:
            rec: dict[str, Any] = {"term": term}
            if label:
                rec[label] = np.nan if key is None else key
            if inf is None or not np.isfinite(est):
                extra = {k: v for k, v in rec.items() if k != "term"}
                records.append(invalid_row(term, "ATT(g,t) cells not computable", **extra))
                continue
            rec.update(estimate=est, std_error=float(np.sqrt(inf @ inf)))
            records.append(rec)
        out = EstimateResult.from_estimates(
            pd.DataFrame(records),
            method=f"staggered_did.aggregate[{type}]",
            options={**self.options, "type": type},
            nobs=self.nobs,
            level=lvl,
        )
        if all(c in t for c in CELL_COLUMNS):
            for col in CELL_COLUMNS:
                sizes = t[col].to_numpy(float)
                out.table[col] = [_nanmin(sizes[m]) for m in support]
        return out

    def _wif(self, groups: np.ndarray, pg: np.ndarray) -> np.ndarray:
        """Cluster sums of the influence of the estimated shares (R ``did:::wif``), / n."""
        sh = self._share
        k = np.searchsorted(sh["groups"], groups)
        e = sh["w_cg"][:, k] / sh["w_tot"] - np.outer(sh["n_c"] / sh["n"], pg)
        s = pg.sum()
        return e / s - np.outer(e.sum(axis=1), pg / s**2)


def staggered_did(
    df: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    cohort: str,
    unit: str | None = None,
    control: str = "never_treated",
    panel: bool = True,
    weights: str | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    level: float = 0.95,
    **unknown: Any,
) -> StaggeredResult:
    """Callaway-Sant'Anna group-time average treatment effects ATT(g, t).

    Parameters
    ----------
    df : pandas.DataFrame
        Long data, one row per unit (panel) or respondent (cross-sections) and period.
    outcome, time : str
        Numeric outcome and period columns.
    cohort : str
        First treated period of the row's unit; 0 or NaN: never treated. Cohorts after the
        last period count as never treated; cohorts without a pre-period are left out.
    unit : str, optional
        Unit identifier; required for ``panel=True``.
    control : {"never_treated", "not_yet_treated"}
        Comparison group.
    panel : bool
        True: balanced panel of units (long differences within unit); False: repeated
        cross-sections (cohort means by period).
    weights : str, optional
        Sampling weights (in a panel, a unit's weight in its first period).
    cluster : str, optional
        Cluster of the influence functions (e.g. ``"school_id"``); default: the unit for a
        panel, each row for cross-sections. In a panel it must be constant within unit.
    anticipation : int
        Periods of anticipation: the base period is ``g - 1 - anticipation``.
    base_period : {"varying", "universal"}
        Base period of the pre-treatment cells, as R ``did``.
    level : float
        Confidence level.

    Returns
    -------
    StaggeredResult
        One row per ATT(g, t); cells without treated or comparison rows come back invalid.

    Raises
    ------
    ValueError
        Unknown option or bad value; a unit seen twice in a period; a cohort or cluster that
        varies within a unit.
    KeyError
        A named column is missing.
    """
    check_options("staggered_did", unknown, _OPTIONS)
    check_choice("control", control, ("never_treated", "not_yet_treated"))
    check_choice("base_period", base_period, ("varying", "universal"))
    check_choice("panel", panel, (True, False))
    if not isinstance(anticipation, int | np.integer) or anticipation < 0:
        raise ValueError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if panel and unit is None:
        raise ValueError("panel=True needs unit=; for repeated cross-sections use panel=False")
    check_columns(df, [outcome, time, cohort, unit, weights, cluster])
    options = {"outcome": outcome, "time": time, "cohort": cohort, "unit": unit,
               "control": control, "panel": panel, "weights": weights, "cluster": cluster,
               "anticipation": anticipation, "base_period": base_period}  # fmt: skip
    y, tv = to_float(df, outcome), to_float(df, time)
    g = to_float(df, cohort)
    g = np.where(np.isnan(g) | (g == 0), np.inf, g)
    w = to_float(df, weights) if weights else np.ones(len(df))
    cl = factorize(df, cluster) if cluster else None
    un = factorize(df, unit) if unit else None
    keep = ~(np.isnan(y) | np.isnan(tv))
    if cl is not None:
        keep &= cl.codes >= 0
    if un is not None:
        keep &= un.codes >= 0
    notes = [f"{int((~keep).sum())} row(s) with missing values left out"] if not keep.all() else []
    usable, left_out = usable_weights(w, str(weights), among=keep)
    keep &= usable
    if left_out:
        notes.append(left_out_note(left_out))
    periods = np.unique(tv[keep])
    late = keep & np.isfinite(g) & (g > periods.max())
    if late.any():
        notes.append(f"{int(late.sum())} row(s) first treated after the last period: never treated")
        g = np.where(late, np.inf, g)
    early = keep & (g <= periods.min() + anticipation)
    if early.any():
        notes.append(f"{int(early.sum())} row(s) already treated in the first period left out")
        keep &= ~early
    data = _panel(y, tv, g, w, un, cl, keep, periods, notes) if panel else \
        _cross_section(y, tv, g, w, cl, keep, periods)  # fmt: skip
    groups = np.unique(data["g"][np.isfinite(data["g"])])
    cells, infs = _cells(data, groups, periods, control, anticipation, base_period)
    table = pd.DataFrame(cells)
    if table.empty:
        why = "no treated cohort with a pre-period (every cohort treated from the first period)"
        table = pd.DataFrame([invalid_row("ATT", why, group=np.nan, time=np.nan,
                                          base_period=np.nan, event_time=np.nan, post=False,
                                          n_treated=0, n_control=0)])  # fmt: skip
        infs = [np.zeros(data["n_clusters"])]
    res = StaggeredResult.from_estimates(table, method="staggered_did", options=options,
                                         nobs=data["nobs"], level=level)  # fmt: skip
    res._if = np.column_stack(infs)
    n_c = np.bincount(data["c"], minlength=data["n_clusters"]).astype(float)
    k = np.searchsorted(groups, data["g"])
    fin = np.isfinite(data["g"])
    size = data["n_clusters"] * groups.size
    w_cg = np.bincount(data["c"][fin] * groups.size + k[fin], weights=data["w"][fin],
                       minlength=size).reshape(data["n_clusters"], groups.size)  # fmt: skip
    w_tot = float(data["w"].sum())
    res._share = {"groups": groups, "pg": w_cg.sum(axis=0) / w_tot, "w_cg": w_cg,
                  "w_tot": w_tot, "n_c": n_c, "n": float(data["w"].size)}  # fmt: skip
    res.pretrend_test = _pretest(res)
    res.notes = tuple(notes)
    res.left_out = left_out
    return res


def _panel(y, tv, g, w, un, cl, keep, periods, notes) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Balanced unit x period matrix of the outcome; per-unit cohort, weight and cluster."""
    u = un.codes[keep]
    ti = np.searchsorted(periods, tv[keep])
    n_units, n_t = un.n_levels, periods.size
    cell = u * n_t + ti
    counts = np.bincount(cell, minlength=n_units * n_t)
    if (counts > 1).any():
        raise ValueError("a unit appears more than once in a period; use panel=False")
    complete = counts.reshape(n_units, n_t).all(axis=1)
    present = counts.reshape(n_units, n_t).any(axis=1)
    if (present & ~complete).any():
        notes.append(
            f"{int((present & ~complete).sum())} unit(s) not seen in every period left out"
        )
    ymat = np.full(n_units * n_t, np.nan)
    ymat[cell] = y[keep]
    first = ti == 0
    gu, wu = np.full(n_units, np.nan), np.full(n_units, np.nan)
    gu[u[first]], wu[u[first]] = g[keep][first], w[keep][first]
    if not np.array_equal(gu[u], g[keep]) and (complete[u] & (gu[u] != g[keep])).any():
        raise ValueError("cohort varies within a unit")
    if cl is not None:
        cu = np.full(n_units, -1)
        cu[u] = cl.codes[keep]
        if (cu[u] != cl.codes[keep]).any():
            raise ValueError("cluster varies within a unit; it must be constant in a panel")
    else:
        cu = np.arange(n_units)
    sel = np.flatnonzero(complete)
    c_codes, c = np.unique(cu[sel], return_inverse=True)
    return {"panel": True, "y": ymat.reshape(n_units, n_t)[sel], "g": gu[sel], "w": wu[sel],
            "c": c, "n_clusters": c_codes.size, "nobs": int(sel.size * n_t),
            "clustered": cl is not None}  # fmt: skip


def _cross_section(y, tv, g, w, cl, keep, periods) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Rows as independent observations (clustered when ``cl`` given)."""
    n = int(keep.sum())
    if cl is not None:
        c_codes, c = np.unique(cl.codes[keep], return_inverse=True)
        n_clusters = c_codes.size
    else:
        c, n_clusters = np.arange(n), n
    return {"panel": False, "y": y[keep], "t": np.searchsorted(periods, tv[keep]), "g": g[keep],
            "w": w[keep], "c": c, "n_clusters": n_clusters, "nobs": n,
            "clustered": cl is not None}  # fmt: skip


def _cells(data, groups, periods, control, anticipation, base_period):  # type: ignore[no-untyped-def]
    """ATT(g, t) rows and the cluster sums of their influence functions."""
    rows, infs = [], []
    n_t = periods.size
    clusters = data["c"] if data["clustered"] else None
    first = 1 if base_period == "varying" else 0
    gg, w, c, nc = data["g"], data["w"], data["c"], data["n_clusters"]
    for grp in groups:
        before = np.flatnonzero(periods + anticipation < grp)
        if before.size == 0:
            continue
        for tc in range(first, n_t):
            post = bool(grp <= periods[tc])
            base = int(before[-1]) if post or base_period == "universal" else tc - 1
            label = {"term": f"ATT({_fmt(grp)},{_fmt(periods[tc])})", "group": grp,
                     "time": periods[tc], "base_period": periods[base],
                     "event_time": periods[tc] - grp, "post": post}  # fmt: skip
            if base == tc:
                rows.append({**label, "n_treated": 0, "n_control": 0, "n_min_cell": np.nan,
                             "n_psu_min_cell": np.nan, "estimate": 0.0, "std_error": 0.0,
                             "reason": ""})  # fmt: skip
                infs.append(np.zeros(nc))
                continue
            treat = gg == grp
            ctrl = np.isinf(gg)
            if control == "not_yet_treated":
                ctrl = ctrl | ((gg > periods[max(tc, base)] + anticipation) & ~treat)
            if data["panel"]:
                dy = data["y"][:, tc] - data["y"][:, base]
                parts = [(treat, dy, 1.0), (ctrl, dy, -1.0)]
            else:
                at_t, at_b = data["t"] == tc, data["t"] == base
                yv = data["y"]
                parts = [(treat & at_t, yv, 1.0), (treat & at_b, yv, -1.0),
                         (ctrl & at_t, yv, -1.0), (ctrl & at_b, yv, 1.0)]  # fmt: skip
            n_tr, n_co = int(parts[0][0].sum()), int(parts[-1][0].sum())
            n_min, psu_min = smallest_cell([m for m, _, _ in parts], clusters)
            sizes = {"n_min_cell": n_min, "n_psu_min_cell": psu_min}
            if any(not m.any() for m, _, _ in parts):
                why = "no treated rows" if not parts[0][0].any() else "no comparison rows"
                rows.append(invalid_row(label["term"], why, **{k: v for k, v in label.items()
                                        if k != "term"}, n_treated=n_tr, n_control=n_co, **sizes))  # fmt: skip
                infs.append(np.zeros(nc))
                continue
            est, inf = 0.0, np.zeros(nc)
            for mask, val, sign in parts:
                wm = np.where(mask, w, 0.0)
                tot = wm.sum()
                mean = float(wm @ np.where(mask, val, 0.0)) / tot
                est += sign * mean
                dev = np.where(mask, wm * (val - mean) / tot, 0.0)
                inf += sign * np.bincount(c, weights=dev, minlength=nc)
            rows.append({**label, "n_treated": n_tr, "n_control": n_co, **sizes, "estimate": est,
                         "std_error": float(np.sqrt(inf @ inf)), "reason": ""})  # fmt: skip
            infs.append(inf)
    for r in rows:
        r.setdefault("valid", not r.get("reason"))
    return rows, infs


def _pretest(res: StaggeredResult) -> Any:
    """R ``did``'s Wald pre-test: pre-treatment ATT(g, t) jointly zero, chi2."""
    from ._fe import WaldTest

    t = res.table
    pre = np.flatnonzero(~t["post"].to_numpy(bool) & t["valid"].to_numpy(bool)
                         & (t["std_error"].to_numpy(float) > 0))  # fmt: skip
    terms = tuple(t["term"].iloc[pre])
    if pre.size == 0:
        return WaldTest(np.nan, (0,), np.nan, (), "chi2", "no pre-treatment cells")
    b = t["estimate"].to_numpy(float)[pre]
    v = res._if[:, pre].T @ res._if[:, pre]
    if np.linalg.cond(v) > 1e12:
        return WaldTest(np.nan, (pre.size,), np.nan, terms, "chi2", "singular covariance matrix")
    stat = float(b @ np.linalg.solve(v, b))
    return WaldTest(stat, (pre.size,), float(stats.chi2.sf(stat, pre.size)), terms, "chi2")


def _nanmin(values: np.ndarray) -> float:
    """Smallest non-missing value (NaN when there is none)."""
    values = values[~np.isnan(values)]
    return float(values.min()) if values.size else np.nan


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
