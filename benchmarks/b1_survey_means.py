"""B1: design-based domain means, 8 outcomes x 32 domains (wave x stage x urban).

Taylor-linearised standard errors for a stratified cluster sample with replacement (strata
``stratum``, PSUs ``school_id``, weights ``weight``; no FPC), each outcome's missing values left
out of its domains. Tools:

- ``ours``: ``SurveyDesign(df, "weight", strata="stratum", psu="school_id").mean(OUTCOMES,
  by=["wave", "stage", "urban"])``, on the pandas frame as read from Parquet (its dtypes:
  nullable booleans, categoricals);
- ``sketch``: :func:`one_pass_means`, the same 256 estimates and standard errors computed
  directly with numpy in one pass over the rows (a bincount of the weights and of the weighted
  values of each outcome to (PSU, domain) totals; the rest on those totals): no checks, no
  result table, no design effects; the limit ours is measured against (same run, same rows);
- ``svy``: ``svy.Sample(frame, svy.Design(stratum=, psu=, wgt=)).estimation.mean(OUTCOMES,
  by=..., drop_nulls=True)`` on a polars frame; outcomes cast to Float64 and categoricals to
  strings beforehand, outside the timing;
- ``samplics``: ``TaylorEstimator(PopParam.mean).estimate(y, samp_weight, stratum, psu,
  domain)`` once per outcome, on numpy arrays with integer stratum, PSU and domain codes
  prepared outside the timing. Rows whose outcome is missing go to a domain of their own
  (code -1, value 1, discarded): as in R's ``svyby(..., na.rm=TRUE)`` and ours, every PSU of
  the design still counts. samplics' own ``remove_nan=True`` drops those rows, and with them
  every school whose rows are all missing, which changes the SEs whenever that happens (at
  10,000 rows of the national design it does: 2.4e-3 relative); the extra domain costs
  samplics about 1/33 more work.

Each timed call includes building the design. Every tool gets one untimed warm-up call on the
rows of the first 20 strata (whole strata, so no single-PSU strata), which loads lazy imports
and compiled kernels. The worker writes the 256 estimates and SEs as a tidy table
(``variable, wave, stage, urban, estimate, std_error``) for the comparison in ``run.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import B1_COLUMNS, DOMAINS, OUTCOMES, peak_rss, read_pandas, timed

TOOLS = ("ours", "sketch", "svy", "samplics")
#: the same on every row: proportions of the 0/1 outcomes, and means on a design calibrated
#: (linear, GREG) to margins of stage, urban and gender
VARIANTS = ("ours-prop", "sketch-prop", "ours-cal", "sketch-cal")
BINARY = ("tutoring_subject", "afterschool_participation")
CAL_MARGINS = ("stage", "urban", "gender")
PEERS = {"svy": "svy", "samplics": "samplics"}  # tool -> module that must be installed
KEYS = ["variable", "wave", "stage", "urban"]


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Time ``tool`` on ``spec["files"]``; write its estimates to ``spec["out"]``."""
    runner = {"ours": _ours, "sketch": _sketch, "svy": _svy, "samplics": _samplics,
              "ours-prop": lambda files: _ours(files, proportions=True), "sketch-prop": _sketch_prop,
              "ours-cal": _ours_cal, "sketch-cal": _sketch_cal}[tool]  # fmt: skip
    call, warm, n_rows, normalise = runner(spec["files"])
    loaded = peak_rss()
    try:
        warm()
    except Exception as exc:  # a warm-up failure is reported by the timed call, if real
        print(f"warm-up failed: {exc!r}")
    times, result = timed(call, spec["repeats"])
    table = normalise(result)
    table.to_parquet(spec["out"], index=False)
    return {
        "rows": n_rows,
        "times": times,
        "estimates": len(table),
        "invalid": int(table["estimate"].isna().sum()),
        "peak_loaded": loaded,
    }


def _first_strata(codes: np.ndarray, k: int = 20) -> np.ndarray:
    return codes < k


# ------------------------------------------------------------------------------ ours
def _ours_table(res: Any) -> pd.DataFrame:
    """Our result as the tidy table of the comparison."""
    t = res.to_frame()
    bad = t.loc[~t["valid"].astype(bool), "reason"]
    if len(bad):
        print(f"ours: {len(bad)} invalid estimates, e.g. {bad.iloc[0]}")
    return _tidy(t["variable"], t["wave"], t["stage"], t["urban"], t["estimate"], t["std_error"])


def _sketch_table(res: pd.DataFrame) -> pd.DataFrame:
    """A sketch's table without the domains no row falls in."""
    return res[np.isfinite(res["estimate"])].reset_index(drop=True)


def _ours(files: list[str], proportions: bool = False) -> tuple[Any, Any, int, Any]:
    from shuangjian_eval.estimation.survey import SurveyDesign

    df = read_pandas(files, B1_COLUMNS)

    def run(frame: pd.DataFrame = df) -> Any:
        d = SurveyDesign(frame, "weight", strata="stratum", psu="school_id")
        if proportions:
            return d.proportion(list(BINARY), by=list(DOMAINS))
        return d.mean(list(OUTCOMES), by=list(DOMAINS))

    def warm() -> None:
        run(df[_first_strata(df["stratum"].cat.codes.to_numpy())])

    return run, warm, len(df), _ours_table


# ------------------------------------------------------------------------------ sketch
def one_pass_means(frame: pd.DataFrame, outcomes: tuple[str, ...] = OUTCOMES) -> pd.DataFrame:
    """Domain means and their Taylor SEs (with-replacement PSUs in strata) of every outcome,
    by wave x stage x urban, with numpy alone: the design's codes from the categoricals as
    read, (PSU, domain) pairs numbered with a lookup table, and per outcome two ``np.bincount``
    over the rows (observed weights, weighted values); the variance from those totals. Assumes
    what the benchmark data guarantee: every stratum has two or more PSUs, no missing design
    or domain value."""
    w = frame["weight"].to_numpy(dtype=float)
    layout = _layout(frame)
    n_strata, n_dom, n_h = layout["n_strata"], layout["n_dom"], layout["n_h"]
    hd = layout["psu_stratum"][layout["pair_psu"]] * n_dom + layout["pair_dom"]
    pair_dom = layout["pair_dom"]
    parts = []
    for var in outcomes:
        _, _, w_pair, wy_pair, w_dom, mean = _pair_sums(frame, var, w, layout)
        z = (wy_pair - mean[pair_dom] * w_pair) / w_dom[pair_dom]
        s1 = np.bincount(hd, weights=z, minlength=n_strata * n_dom).reshape(n_strata, n_dom)
        s2 = np.bincount(hd, weights=z * z, minlength=n_strata * n_dom).reshape(n_strata, n_dom)
        scale = (n_h / (n_h - 1))[:, None]
        var_dom = (scale * (s2 - s1 * s1 / n_h[:, None])).sum(axis=0)
        parts.append((var, mean, np.sqrt(var_dom)))
    return _tidy_parts(layout, parts)


def _layout(frame: pd.DataFrame) -> dict[str, Any]:
    """The sketches' design codes: PSU and domain of each row, (PSU, domain) pairs."""
    stratum = frame["stratum"].cat.codes.to_numpy().astype(np.int64)
    psu = frame["school_id"].cat.codes.to_numpy().astype(np.int64)
    n_psu = len(frame["school_id"].cat.categories)
    wave = frame["wave"].to_numpy(dtype=np.int64)
    waves = np.unique(wave[:: max(len(wave) // 10_000, 1)])  # the few waves, from a sample
    stages = frame["stage"].cat.categories
    stage_code = frame["stage"].cat.codes.to_numpy().astype(np.int64)
    urban = frame["urban"].to_numpy(dtype=np.int64)
    n_dom = len(waves) * len(stages) * 2
    dom = (np.searchsorted(waves, wave) * len(stages) + stage_code) * 2 + urban
    key = psu * n_dom + dom
    present = np.bincount(key, minlength=n_psu * n_dom) > 0
    pair_key = np.flatnonzero(present)
    psu_stratum = np.zeros(n_psu, np.int64)
    psu_stratum[psu] = stratum
    n_strata = int(psu_stratum.max()) + 1
    sampled = np.bincount(psu, minlength=n_psu) > 0
    return {
        "psu": psu,
        "n_psu": n_psu,
        "dom": dom,
        "n_dom": n_dom,
        "pair": (np.cumsum(present) - 1)[key],
        "n_pair": len(pair_key),
        "pair_psu": pair_key // n_dom,
        "pair_dom": pair_key % n_dom,
        "psu_stratum": psu_stratum,
        "n_strata": n_strata,
        "n_h": np.bincount(psu_stratum[sampled], minlength=n_strata).astype(float),
        "waves": waves,
        "stages": stages,
    }


def _pair_sums(frame: pd.DataFrame, var: str, w: np.ndarray, layout: dict[str, Any]) -> tuple:
    """An outcome's values, observed mask, (PSU, domain) sums of the observed weights and
    weighted values, domain weight sums and means."""
    column = frame[var]
    y = column.to_numpy() if column.dtype == float else column.to_numpy(float, na_value=np.nan)
    seen = ~np.isnan(y)
    w_seen = np.where(seen, w, 0.0)
    pair, n_pair, n_dom = layout["pair"], layout["n_pair"], layout["n_dom"]
    w_pair = np.bincount(pair, weights=w_seen, minlength=n_pair)
    wy_pair = np.bincount(pair, weights=w_seen * np.where(seen, y, 0.0), minlength=n_pair)
    w_dom = np.bincount(layout["pair_dom"], weights=w_pair, minlength=n_dom)
    mean = np.bincount(layout["pair_dom"], weights=wy_pair, minlength=n_dom) / w_dom
    return y, seen, w_pair, wy_pair, w_dom, mean


def _tidy_parts(layout: dict[str, Any], parts: list[tuple[str, Any, Any]]) -> pd.DataFrame:
    waves, stages = layout["waves"], layout["stages"]
    codes = np.arange(layout["n_dom"])
    return pd.concat(
        [
            _tidy(
                var,
                waves[codes // (2 * len(stages))],
                stages[codes // 2 % len(stages)],
                codes % 2 == 1,
                mean,
                se,
            )  # fmt: skip
            for var, mean, se in parts
        ],
        ignore_index=True,
    )


def _sketch(files: list[str]) -> tuple[Any, Any, int, Any]:
    df = read_pandas(files, B1_COLUMNS)

    def run(frame: pd.DataFrame = df) -> pd.DataFrame:
        return one_pass_means(frame)

    def warm() -> None:
        run(df[_first_strata(df["stratum"].cat.codes.to_numpy())])

    return run, warm, len(df), _sketch_table


# ------------------------------------------------------------------------------ variants
def _sketch_prop(files: list[str]) -> tuple[Any, Any, int, Any]:
    df = read_pandas(files, B1_COLUMNS)

    def run(frame: pd.DataFrame = df) -> pd.DataFrame:
        return one_pass_means(frame, BINARY)

    def warm() -> None:
        run(df[_first_strata(df["stratum"].cat.codes.to_numpy())])

    return run, warm, len(df), _sketch_table


def calibration_totals(frame: pd.DataFrame) -> dict[str, dict[Any, float]]:
    """Population totals of the margins: the weighted totals of the sample, with 4 % more
    girls and 3 % more rural students than the weights say (each margin summing to the same
    population size)."""
    w = frame["weight"].to_numpy(dtype=float)
    shift = {"gender": {"female": 1.04}, "urban": {False: 1.03}}
    totals = {}
    for col in CAL_MARGINS:
        t = pd.Series(w).groupby(frame[col].to_numpy()).sum()
        raised = t * pd.Series({k: shift.get(col, {}).get(k, 1.0) for k in t.index})
        totals[col] = (raised * t.sum() / raised.sum()).to_dict()
    return totals


def _ours_cal(files: list[str]) -> tuple[Any, Any, int, Any]:
    from shuangjian_eval.estimation.survey import SurveyDesign

    df = read_pandas(files, (*B1_COLUMNS, "gender"))
    totals = calibration_totals(df)

    def run(frame: pd.DataFrame = df, totals: dict = totals) -> Any:
        d = SurveyDesign(frame, "weight", strata="stratum", psu="school_id")
        return d.calibrate(totals).mean(list(OUTCOMES), by=list(DOMAINS))

    def warm() -> None:
        part = df[_first_strata(df["stratum"].cat.codes.to_numpy())]
        run(part, calibration_totals(part))

    return run, warm, len(df), _ours_table


def _sketch_cal(files: list[str]) -> tuple[Any, Any, int, Any]:
    df = read_pandas(files, (*B1_COLUMNS, "gender"))
    totals = calibration_totals(df)

    def run(frame: pd.DataFrame = df, totals: dict = totals) -> pd.DataFrame:
        return one_pass_calibrated_means(frame, totals)

    def warm() -> None:
        part = df[_first_strata(df["stratum"].cat.codes.to_numpy())]
        run(part, calibration_totals(part))

    return run, warm, len(df), _sketch_table


def one_pass_calibrated_means(
    frame: pd.DataFrame, totals: dict[str, dict[Any, float]]
) -> pd.DataFrame:
    """:func:`one_pass_means` on weights calibrated by linear (GREG) calibration to the
    categorical margins ``totals``, with the calibration-aware variance (Deville and Särndal:
    the influence values replaced by their residuals on the calibration variables, regressed
    with the weights before calibration, as R's ``calibrate()`` and ``svymean``): the
    regression's coefficients per domain from (domain, category) sums, the residuals' PSU
    totals as a dense PSU x domain array."""
    d = frame["weight"].to_numpy(dtype=float)
    codes, targets = [], []
    for col, spec in totals.items():
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats, code = values.cat.categories, values.cat.codes.to_numpy()
        else:  # boolean
            cats, code = pd.Index([False, True]), values.to_numpy(dtype=np.int64)
        codes.append(code.astype(np.int64))
        targets.append(np.array([spec.get(c, 0.0) for c in cats], dtype=float))
    sizes = [len(t) for t in targets]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    p = int(offsets[-1])
    gram = np.zeros((p, p))
    for a, ca in enumerate(codes):
        for b, cb in enumerate(codes):
            block = np.bincount(ca * sizes[b] + cb, weights=d, minlength=sizes[a] * sizes[b])
            gram[offsets[a] : offsets[a + 1], offsets[b] : offsets[b + 1]] = block.reshape(
                sizes[a], sizes[b]
            )
    k = np.linalg.pinv(gram, rcond=1e-11, hermitian=True)  # the margins share the intercept
    have = np.concatenate(
        [np.bincount(c, weights=d, minlength=m) for c, m in zip(codes, sizes, strict=True)]
    )
    lam = k @ (np.concatenate(targets) - have)
    g = 1.0 + sum(lam[offsets[m] : offsets[m + 1]][c] for m, c in enumerate(codes))
    w = d * g
    calibrated = frame.assign(weight=w)
    layout = _layout(calibrated)
    psu, n_psu, pair_psu, pair_dom, n_dom = (
        layout[k_] for k_ in ("psu", "n_psu", "pair_psu", "pair_dom", "n_dom")
    )
    # PSU totals of w x (n_psu x p)
    c_psu = np.zeros((n_psu, p))
    for m, c in enumerate(codes):
        c_psu[:, offsets[m] : offsets[m + 1]] = np.bincount(
            psu * sizes[m] + c, weights=w, minlength=n_psu * sizes[m]
        ).reshape(n_psu, sizes[m])
    order = np.argsort(layout["psu_stratum"], kind="stable")
    starts = np.searchsorted(layout["psu_stratum"][order], np.arange(layout["n_strata"]))
    n_h, dom = layout["n_h"], layout["dom"]
    parts = []
    for var in OUTCOMES:
        y, seen, w_pair, wy_pair, w_dom, mean = _pair_sums(calibrated, var, w, layout)
        z = (wy_pair - mean[pair_dom] * w_pair) / w_dom[pair_dom]
        u = np.zeros((n_psu, n_dom))
        u[pair_psu, pair_dom] = z
        # sum_{i in domain} d_i x_i z_i, per (domain, category): b_d = K that
        s = np.zeros((n_dom, p))
        dy, dseen = np.where(seen, d * y, 0.0), np.where(seen, d, 0.0)
        for m, c in enumerate(codes):
            key = dom * sizes[m] + c
            a_ = np.bincount(key, weights=dy, minlength=n_dom * sizes[m]).reshape(n_dom, -1)
            b_ = np.bincount(key, weights=dseen, minlength=n_dom * sizes[m]).reshape(n_dom, -1)
            s[:, offsets[m] : offsets[m + 1]] = (a_ - mean[:, None] * b_) / w_dom[:, None]
        e = u - c_psu @ (s @ k.T).T
        e = e[order]
        s1 = np.add.reduceat(e, starts, axis=0)
        s2 = np.add.reduceat(e * e, starts, axis=0)
        scale = (n_h / (n_h - 1))[:, None]
        var_dom = (scale * (s2 - s1 * s1 / n_h[:, None])).sum(axis=0)
        parts.append((var, mean, np.sqrt(var_dom)))
    return _tidy_parts(layout, parts)


# ------------------------------------------------------------------------------ svy
def _svy(files: list[str]) -> tuple[Any, Any, int, Any]:
    import polars as pl
    import svy

    frame = pl.read_parquet(files, columns=list(B1_COLUMNS))
    frame = frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c in OUTCOMES]
        + [pl.col(c).cast(pl.String) for c in ("stratum", "school_id", "stage")]
        + [pl.col("wave").cast(pl.Int64), pl.col("urban").cast(pl.Boolean)]
    )

    def run(f: pl.DataFrame = frame) -> Any:
        sample = svy.Sample(f, svy.Design(stratum="stratum", psu="school_id", wgt="weight"))
        return sample.estimation.mean(list(OUTCOMES), by=list(DOMAINS), drop_nulls=True)

    def warm() -> None:
        first = sorted(frame["stratum"].unique().to_list())[:20]
        run(frame.filter(pl.col("stratum").is_in(first)))

    def normalise(res: Any) -> pd.DataFrame:
        parts = []
        for var, est in zip(OUTCOMES, res, strict=True):
            p = est.to_polars().to_pandas()
            parts.append(_tidy(var, p["wave"], p["stage"], p["urban"], p["est"], p["se"]))
        return pd.concat(parts, ignore_index=True)

    return run, warm, frame.height, normalise


# ------------------------------------------------------------------------------ samplics
def _samplics(files: list[str]) -> tuple[Any, Any, int, Any]:
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    df = read_pandas(files, B1_COLUMNS)
    y = {v: df[v].to_numpy(dtype=float, na_value=np.nan) for v in OUTCOMES}
    w = df["weight"].to_numpy(dtype=float)
    stratum = df["stratum"].cat.codes.to_numpy().astype(np.int64)
    psu = df["school_id"].cat.codes.to_numpy().astype(np.int64)
    dom_frame = df[list(DOMAINS)].astype({"wave": "int64", "stage": "str", "urban": "bool"})
    domain, labels = pd.MultiIndex.from_frame(dom_frame).factorize(sort=True)
    domain = np.asarray(domain, np.int64)
    n = len(df)
    del df, dom_frame

    # missing outcome: outside every domain (R's svyby semantics), prepared outside the timing
    dom = {v: np.where(np.isnan(y[v]), -1, domain) for v in OUTCOMES}
    y = {v: np.nan_to_num(a, nan=1.0) for v, a in y.items()}  # 1: no zero mean (samplics cv)

    def run() -> dict[str, tuple[dict, dict]]:
        out = {}
        for v in OUTCOMES:
            est = TaylorEstimator(PopParam.mean)
            est.estimate(y=y[v], samp_weight=w, stratum=stratum, psu=psu, domain=dom[v])
            out[v] = (est.point_est, est.stderror)
        return out

    def warm() -> None:
        est = TaylorEstimator(PopParam.mean)
        rows = _first_strata(stratum)
        v = OUTCOMES[0]
        est.estimate(y=y[v][rows], samp_weight=w[rows], stratum=stratum[rows], psu=psu[rows],
                     domain=dom[v][rows])  # fmt: skip

    def normalise(res: dict[str, tuple[dict, dict]]) -> pd.DataFrame:
        parts = []
        for var, (point, se) in res.items():
            keys = sorted(k for k in point if int(k) >= 0)  # -1: rows with a missing value
            lab = [labels[int(k)] for k in keys]
            parts.append(
                _tidy(
                    var,
                    [x[0] for x in lab],
                    [x[1] for x in lab],
                    [x[2] for x in lab],
                    [point[k] for k in keys],
                    [se[k] for k in keys],
                )  # fmt: skip
            )
        return pd.concat(parts, ignore_index=True)

    return run, warm, n, normalise


# ------------------------------------------------------------------------------ tidy tables
def _tidy(variable: Any, wave: Any, stage: Any, urban: Any, est: Any, se: Any) -> pd.DataFrame:
    n = len(est)
    return pd.DataFrame(
        {
            "variable": np.broadcast_to(np.asarray(variable, dtype=object), n),
            "wave": np.asarray(pd.array(wave).astype("int64")),
            "stage": np.asarray(pd.Series(stage).astype(str), dtype=object),
            "urban": np.asarray(pd.array(urban).astype("bool")),
            "estimate": np.asarray(est, dtype=float),
            "std_error": np.asarray(se, dtype=float),
        }
    )


def compare(ours: pd.DataFrame, peer: pd.DataFrame) -> dict[str, Any]:
    """Max relative differences of estimates and SEs over the domains both tables have."""
    from ._common import rel_diff

    m = ours.merge(peer, on=KEYS, how="outer", suffixes=("", "_peer"), indicator=True)
    matched = m[m["_merge"] == "both"]
    return {
        "matched": len(matched),
        "only_ours": int((m["_merge"] == "left_only").sum()),
        "only_peer": int((m["_merge"] == "right_only").sum()),
        "estimate": rel_diff(matched["estimate_peer"], matched["estimate"]),
        "std_error": rel_diff(matched["std_error_peer"], matched["std_error"]),
    }
