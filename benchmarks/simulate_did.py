"""Monte Carlo check of the DID, event-study and staggered estimators on ``sje.synth`` data.

Each replication draws a synthetic survey (a new seed: a new frame, sample and outcomes) and
compares the estimates of weekday homework minutes with that replication's known truth
(``sje.synth.truth``, the realised ATT):

- ``did_2x2``: grades 1-9 vs seniors (no homework effect), 2020 vs 2022, sampling weights,
  clustered by school; truth: ATT of all grade 1-9 rows in 2022;
- ``did_fe``: pilot vs other cities, grades 1-9, 2020 vs 2021, school + wave fixed effects,
  weights, clustered by school; truth: the pilot cohort's 2021 ATT;
- ``es_2022`` / ``es_2024``: event study, grades 1-9 vs seniors, reference 2020, weights,
  clustered by school; truths: ATT of grade 1-9 rows in 2022 / 2024; ``es_2019``: the lead
  (truth 0);
- ``cs_2021_2021`` / ``cs_2022_2022``: Callaway-Sant'Anna ATT(g, t) for repeated
  cross-sections (``panel=False``), cohort = first treated wave for grades 1-9, seniors never
  treated, clustered by school; truths: the cohort ATTs.

It prints bias, the mean standard error against the standard deviation of the estimates, and
the coverage of 95% intervals of the realised ATT (``coverage_95``) and of the mean truth over
the replications, which stands for the population ATT (``coverage_pop``), then the rejection rate of the event study's joint pre-trend
test (leads 2018 and 2019) at 5% without and with an injected differential pre-trend.

Run: ``.venv/bin/python benchmarks/simulate_did.py --reps 200`` (two worker processes).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

import shuangjian_eval as sje
from shuangjian_eval.estimation.effects.did import did
from shuangjian_eval.estimation.effects.event_study import event_study
from shuangjian_eval.estimation.effects.staggered import staggered_did

HW = "homework_min_weekday"
WAVES = (2018, 2019, 2020, 2021, 2022, 2024)


def _truth(df: pd.DataFrame) -> pd.DataFrame:
    att = sje.synth.truth(df)
    return att[att["outcome"] == HW].set_index(["by", "group", "wave"])["att"]


def _row(name: str, est: float, se: float, dfree: float, truth: float) -> dict[str, Any]:
    from shuangjian_eval.estimation.results import critical_value

    q = critical_value(0.95, dfree)
    return {"target": name, "estimate": est, "std_error": se, "truth": truth, "q": q,
            "covered": abs(est - truth) <= q * se}  # fmt: skip


def replicate(seed: int, n_schools: int, pretrend: float) -> tuple[list[dict], dict]:
    """One replication: estimates vs truth, and pre-trend test p-values."""
    out: list[dict[str, Any]] = []
    df = sje.synth.generate(seed=seed, n_schools=n_schools, waves=WAVES)
    df["compulsory"] = (df["grade"] <= 9).astype(int)
    truth = _truth(df)
    d = df[df["wave"].isin([2020, 2022])].assign(post=lambda x: (x["wave"] == 2022).astype(int))
    r = did(d, outcome=HW, treated="compulsory", post="post", weights="weight", cluster="school_id")
    df_t = float(r.table["df"].iloc[-1])
    out.append(_row("did_2x2", r.estimate, r.std_error, df_t, truth["overall", "compulsory", 2022]))
    d = df[df["wave"].isin([2020, 2021]) & (df["grade"] <= 9)]
    d = d.assign(pilot=d["pilot_city"].astype(int), post=(d["wave"] == 2021).astype(int))
    r = did(d, outcome=HW, treated="pilot", post="post", weights="weight",
            absorb=("school_id", "wave"), cluster="school_id")  # fmt: skip
    df_t = float(r.table["df"].iloc[-1])
    out.append(_row("did_fe", r.estimate, r.std_error, df_t, truth["cohort", "2021", 2021]))
    es = event_study(df, outcome=HW, treated="compulsory", time="wave", ref=2020,
                     weights="weight", cluster="school_id")  # fmt: skip
    tab = es.to_frame().set_index("term")
    for wave, target in ((2019, 0.0), (2022, None), (2024, None)):
        est, se, dfree = tab.loc[f"treated:wave={wave}", ["estimate", "std_error", "df"]]
        tv = truth["overall", "compulsory", wave] if target is None else target
        out.append(_row(f"es_{wave}", est, se, dfree, tv))
    cs_df = df.assign(cohort=np.where(df["compulsory"] == 1, df["first_treated_wave"], 0))
    cs = staggered_did(cs_df, outcome=HW, time="wave", cohort="cohort", panel=False,
                       weights="weight", cluster="school_id")  # fmt: skip
    ctab = cs.to_frame().set_index("term")
    for g in (2021, 2022):
        est, se = ctab.loc[f"ATT({g},{g})", ["estimate", "std_error"]]
        out.append(_row(f"cs_{g}_{g}", est, se, np.inf, truth["cohort", str(g), g]))
    pvals = {"pretrend_0": es.pretrend_test.p_value}
    df_p = sje.synth.generate(seed=seed, n_schools=n_schools, waves=WAVES, pretrend=pretrend)
    df_p["compulsory"] = (df_p["grade"] <= 9).astype(int)
    es_p = event_study(df_p, outcome=HW, treated="compulsory", time="wave", ref=2020,
                       weights="weight", cluster="school_id")  # fmt: skip
    pvals[f"pretrend_{pretrend:g}"] = es_p.pretrend_test.p_value
    return out, pvals


def _run(args: tuple[int, int, float]) -> tuple[list[dict], dict]:
    return replicate(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n-schools", type=int, default=120)
    parser.add_argument("--pretrend", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed0", type=int, default=1000)
    a = parser.parse_args()
    start = time.perf_counter()
    jobs = [(a.seed0 + i, a.n_schools, a.pretrend) for i in range(a.reps)]
    with ProcessPoolExecutor(a.workers) as pool:
        results = list(pool.map(_run, jobs, chunksize=4))
    rows = pd.DataFrame([r for res, _ in results for r in res])
    pv = pd.DataFrame([p for _, p in results])
    rows["error"] = rows["estimate"] - rows["truth"]
    # the truth is the realised ATT of each sample; its mean over replications stands for the
    # population ATT, which is what a design-based standard error is calibrated for
    mean_truth = rows.groupby("target")["truth"].transform("mean")
    rows["covered_pop"] = np.abs(rows["estimate"] - mean_truth) <= rows["q"] * rows["std_error"]
    summary = rows.groupby("target", sort=False).agg(
        mean_truth=("truth", "mean"),
        sd_truth=("truth", lambda e: e.std(ddof=1)),
        bias=("error", "mean"),
        mc_se_bias=("error", lambda e: e.std(ddof=1) / np.sqrt(len(e))),
        sd_est=("estimate", lambda e: e.std(ddof=1)),
        sd_est_minus_truth=("error", lambda e: e.std(ddof=1)),
        mean_se=("std_error", "mean"),
        coverage_95=("covered", "mean"),
        coverage_pop=("covered_pop", "mean"),
    )
    pd.set_option("display.width", 120)
    print(f"{a.reps} replications, n_schools={a.n_schools}, waves={WAVES}, "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    print(summary.round(4).to_string())
    print("\npre-trend test (event study leads 2018, 2019; F with G-1 df) rejection at 5%:")
    for col in pv.columns:
        print(f"  {col}: {(pv[col] < 0.05).mean():.3f}")


if __name__ == "__main__":
    main()
