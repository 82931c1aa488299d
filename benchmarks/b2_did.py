"""B2: difference-in-differences and event study with school and wave fixed effects, weighted
by the sampling weights, standard errors clustered by school (CR1).

The model: weekday homework minutes of pilot-city schools (``treated``, constant within school)
against the other cities' schools, post = waves from 2021 on:

- DID: ``y ~ treated_post | school_id + wave``;
- event study: ``y ~ treated x 1[wave = w]`` for every wave but 2020 ``| school_id + wave``.

Tools:

- ``ours``: ``sje.effects.did(df, outcome=, treated="pilot", post="post", weights="weight",
  absorb=("school_id", "wave"), cluster="school_id")`` and ``sje.effects.event_study(df,
  outcome=, treated="pilot", time="wave", ref=2020, ...)``;
- ``pyfixest``: ``pf.feols("y ~ treated_post | school_id + wave", vcov={"CRV1": "school_id"},
  weights="weight", fixef_rm="none")`` and ``"y ~ i(wave, pilot, ref=2020) | school_id +
  wave"``; ``fixef_rm="none"`` keeps singleton schools (pyfixest's default drops them, which
  changes N and G at the small sizes, not the coefficient), so both fit the same rows.
  Timed with pyfixest's default demeaner (alternating projections, Rust, ``fixef_tol=1e-6``);
  the agreement is also checked on an untimed refit with ``MapDemeaner(fixef_tol=1e-12)``,
  since at a few rows per school the default tolerance leaves SE differences near 1e-7;
- ``statsmodels`` (DID only): ``smf.wls("y ~ treated_post + C(school_id) + C(wave)",
  weights=).fit(cov_type="cluster", cov_kwds={"groups": school})``: one dummy per school.

Every tool gets the same prepared pandas frame (outcome float with NaN, ``pilot``, ``post``,
``treated_post`` int8, ``wave`` int64, ``school_id`` categorical, ``weight``), built outside
the timing; missing outcomes are left out by each tool (for statsmodels beforehand, with the
unused school categories, so that it has no all-zero dummy columns). One untimed warm-up fit
on 2% of the rows (at least 500) loads lazy imports and compiled kernels.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ._common import B2_COLUMNS, DID_OUTCOME, POLICY_WAVE, REF_WAVE, peak_rss, read_pandas, timed

TOOLS = ("ours", "pyfixest", "statsmodels")
PEERS = {"pyfixest": "pyfixest", "statsmodels": "statsmodels"}
Y = DID_OUTCOME


def frame(files: list[str]) -> pd.DataFrame:
    """The prepared analysis frame every tool gets."""
    df = read_pandas(files, B2_COLUMNS)
    return prepare_frame(df)


def prepare_frame(df: pd.DataFrame) -> pd.DataFrame:
    pilot = df["pilot_city"].to_numpy(dtype=bool)
    wave = df["wave"].to_numpy(dtype=np.int64)
    post = wave >= POLICY_WAVE
    return pd.DataFrame(
        {
            Y: df[Y].to_numpy(dtype=float, na_value=np.nan),
            "pilot": pilot.astype(np.int8),
            "post": post.astype(np.int8),
            "treated_post": (pilot & post).astype(np.int8),
            "wave": wave,
            "school_id": df["school_id"],
            "weight": df["weight"].to_numpy(dtype=float),
        }
    )


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    df = frame(spec["files"])
    loaded = peak_rss()
    fits = {"ours": _ours, "pyfixest": _pyfixest, "statsmodels": _statsmodels}[tool](df)
    warm = df.sample(n=min(len(df), max(500, len(df) // 50)), random_state=0)
    rows = len(df)
    if tool == "statsmodels":  # complete rows, used schools only: outside the timing
        df, warm = _complete(df), _complete(warm)
    for name, (fit, _) in fits.items():
        try:
            fit(warm)
        except Exception as exc:
            print(f"warm-up of {name} failed: {exc!r}")
    out: dict[str, Any] = {"rows": rows, "peak_loaded": loaded, "times": {}, "results": {}}
    for name, (fit, extract) in fits.items():
        times, res = timed(lambda fit=fit: fit(df), spec["repeats"])
        out["times"][name] = times
        out["results"][name] = extract(res)
    if tool == "pyfixest":  # untimed refits at a tight tolerance, for the agreement check
        tight = _pyfixest(df, tol=1e-12)
        out["tight"] = {name: extract(fit(df)) for name, (fit, extract) in tight.items()}
    return out


# ------------------------------------------------------------------------------ ours
def _ours(df: pd.DataFrame) -> dict[str, Any]:
    from shuangjian_eval.estimation.effects import did, event_study

    opts = {"weights": "weight", "absorb": ("school_id", "wave"), "cluster": "school_id"}

    def fit_did(d: pd.DataFrame) -> Any:
        return did(d, outcome=Y, treated="pilot", post="post", **opts)

    def fit_es(d: pd.DataFrame) -> Any:
        return event_study(d, outcome=Y, treated="pilot", time="wave", ref=REF_WAVE, **opts)

    def get_did(r: Any) -> dict[str, Any]:
        k = re.search(r"(\d+) clusters; K = (\d+)", " ".join(r.notes))
        return {
            "estimate": r.estimate,
            "std_error": r.std_error,
            "nobs": r.nobs,
            "n_clusters": int(k.group(1)) if k else None,
            "k": int(k.group(2)) if k else None,
        }

    def get_es(r: Any) -> dict[str, Any]:
        t = r.to_frame()
        return {
            str(int(p)): [e, s]
            for p, e, s in zip(r.table["period"], t["estimate"], t["std_error"], strict=True)
        }

    return {"did": (fit_did, get_did), "event_study": (fit_es, get_es)}


# ------------------------------------------------------------------------------ pyfixest
def _pyfixest(df: pd.DataFrame, tol: float | None = None) -> dict[str, Any]:
    import pyfixest as pf

    opts: dict[str, Any] = {"vcov": {"CRV1": "school_id"}, "weights": "weight", "fixef_rm": "none"}
    if tol is not None:
        opts["demeaner"] = pf.MapDemeaner(fixef_tol=tol)

    def fit_did(d: pd.DataFrame) -> Any:
        return pf.feols(f"{Y} ~ treated_post | school_id + wave", data=d, **opts)

    def fit_es(d: pd.DataFrame) -> Any:
        return pf.feols(f"{Y} ~ i(wave, pilot, ref={REF_WAVE}) | school_id + wave", data=d, **opts)

    def get_did(f: Any) -> dict[str, Any]:
        return {
            "estimate": float(f.coef()["treated_post"]),
            "std_error": float(f.se()["treated_post"]),
            "nobs": int(f._N),
        }

    def get_es(f: Any) -> dict[str, Any]:
        coef, se = f.coef(), f.se()
        out = {}
        for term in coef.index:
            m = re.search(r"(\d{4})", term)
            if m:
                out[m.group(1)] = [float(coef[term]), float(se[term])]
        return out

    return {"did": (fit_did, get_did), "event_study": (fit_es, get_es)}


# ------------------------------------------------------------------------------ statsmodels
def _statsmodels(df: pd.DataFrame) -> dict[str, Any]:
    import statsmodels.formula.api as smf

    seen: dict[str, int] = {}

    def fit_did(d: pd.DataFrame) -> Any:
        model = smf.wls(f"{Y} ~ treated_post + C(school_id) + C(wave)", data=d, weights=d["weight"])
        groups = d["school_id"].cat.codes.to_numpy()
        seen["clusters"] = len(d["school_id"].cat.categories)
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups})

    def get_did(r: Any) -> dict[str, Any]:
        return {
            "estimate": float(r.params["treated_post"]),
            "std_error": float(r.bse["treated_post"]),
            "nobs": int(r.nobs),
            "k": int(r.model.exog.shape[1]),
            "rank": int(round(r.df_model + r.k_constant)),
            "n_clusters": seen["clusters"],
        }

    return {"did": (fit_did, get_did)}


def _complete(df: pd.DataFrame) -> pd.DataFrame:
    d = df.dropna(subset=[Y])
    return d.assign(school_id=d["school_id"].cat.remove_unused_categories())
