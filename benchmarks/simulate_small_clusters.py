"""Coverage of DID intervals with few clusters: CR1, CR2 and the wild cluster bootstrap.

Each replication draws a survey of ``G`` schools, half of them treated, two waves: school
``g`` has ``n_g`` respondents a wave (log-normal, 15 to about 300: unequal clusters, as a
county's schools are), outcome ``y = a_g + b_gt + effect * treated_g * post_t + e`` with a
school effect ``a_g``, a school x wave shock ``b_gt ~ N(0, 4^2)`` (what makes the errors of a
school's respondents correlated within a wave, and what a DID does not difference away), the
effect -10 (the truth) and noise whose spread differs by school; sampling weights vary within
school. The DID, weighted and clustered by school, is
``y ~ 1 + treated + post + treated:post``. Intervals, 95 %:

- ``CR1``: CR1 standard error, ``t(G - 1)`` (the default);
- ``CR2``: Bell-McCaffrey standard error, Satterthwaite df (``cov_type="CR2"``);
- ``wild``: restricted wild cluster bootstrap, test inversion (``inference="wild"``, 999
  draws; Webb weights below 12 schools);
- ``auto``: what the reports use for that number of schools
  (``small_clusters.choose_inference``: CR2 with fewer than 6 treated or untreated schools,
  else the wild bootstrap below 50 schools).

Run: ``.venv/bin/python benchmarks/simulate_small_clusters.py --reps 1000 --seed0 20000``
(two worker processes; a few minutes). The figures of the last run are in
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from shuangjian_eval.estimation.effects.did import did
from shuangjian_eval.estimation.effects.small_clusters import choose_inference

HW = "homework_min_weekday"
TRUTH = -10.0
SIZES = (8, 15, 30)
METHODS = {
    "CR1": {},
    "CR2": {"cov_type": "CR2"},
    "wild": {"inference": "wild", "bootstrap_reps": 999},
}


def survey(seed: int, n_schools: int) -> pd.DataFrame:
    """One replication's data (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sizes = np.clip(np.round(np.exp(rng.normal(np.log(60), 0.8, n_schools))), 15, None)
    sizes = sizes.astype(int)
    treated_school = np.zeros(n_schools, int)
    treated_school[rng.permutation(n_schools)[: n_schools // 2]] = 1
    school_effect = rng.normal(0, 10, n_schools)
    spread = rng.uniform(5, 25, n_schools)
    frames = []
    for post in (0, 1):
        school = np.repeat(np.arange(n_schools), sizes)
        shock = rng.normal(0, 4, n_schools)
        d = treated_school[school]
        y = (school_effect[school] + shock[school] + TRUTH * d * post
             + rng.normal(0, 1, school.size) * spread[school])  # fmt: skip
        frames.append(pd.DataFrame({"school_id": school, "treated": d, "post": post, HW: 60 + y,
                                    "weight": rng.uniform(50, 150, school.size)}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def replicate(seed: int, n_schools: int) -> list[dict[str, Any]]:
    """One replication: is the truth inside each method's 95 % interval?"""
    df = survey(seed, n_schools)
    truth = TRUTH
    kw = dict(outcome=HW, treated="treated", post="post", weights="weight",
              cluster="school_id", seed=seed)  # fmt: skip
    out = []
    results = {}
    for name, opts in METHODS.items():
        r = did(df, **kw, **opts)
        results[name] = r
    treated_schools = df.loc[df["treated"] == 1, "school_id"].nunique()
    auto = choose_inference(df["school_id"].nunique(), treated_schools)
    results["auto"] = results["wild" if auto["inference"] == "wild" else
                              "CR2" if auto["cov_type"] == "CR2" else "CR1"]  # fmt: skip
    for name, r in results.items():
        lo, hi = r.conf_int().loc["treated:post"]
        out.append({"schools": n_schools, "method": name, "covered": bool(lo <= truth <= hi),
                    "width": hi - lo, "valid": bool(r.valid)})  # fmt: skip
    return out


def _run(args: tuple[int, int]) -> list[dict[str, Any]]:
    return replicate(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed0", type=int, default=5000)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    a = parser.parse_args()
    start = time.perf_counter()
    sizes = [int(s) for s in a.sizes.split(",")]
    jobs = [(a.seed0 + i, g) for g in sizes for i in range(a.reps)]
    with ProcessPoolExecutor(a.workers) as pool:
        rows = pd.DataFrame([r for res in pool.map(_run, jobs, chunksize=4) for r in res])
    table = rows.pivot_table(index="schools", columns="method", values="covered", aggfunc="mean")
    width = rows.pivot_table(index="schools", columns="method", values="width", aggfunc="median")
    print(f"{a.reps} replications per size, {time.perf_counter() - start:.0f} s")
    mc_se = 100 * np.sqrt(0.95 * 0.05 / a.reps)
    print(f"coverage of the true effect by 95 % intervals (Monte Carlo SE {mc_se:.1f} points):")
    print(table[["CR1", "CR2", "wild", "auto"]].round(3).to_string())
    print("median interval width:")
    print(width[["CR1", "CR2", "wild", "auto"]].round(2).to_string())
    print(f"invalid results: {int((~rows['valid']).sum())}")


if __name__ == "__main__":
    main()
