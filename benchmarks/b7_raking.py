"""B7: raking survey weights to four population margins (about 200 cells).

Data: ``rows`` respondents (1.7 million at the full size) with a county (180 categories),
grade (12), gender (2) and urban/rural (2), associated with each other (the county's urban
share, grade shares by urban), and unequal starting weights (log-normal). The population
margins are the weighted totals under other weights (the starting weights times a factor by
urban, grade and county), so that they agree on the population size and raking has work to
do. Generated in the worker from a fixed seed, outside the timing.

Tools, each run to a relative tolerance of 1e-10 on the margins:

- ``ours``: ``SurveyDesign(df, "w").rake(margins, tol=1e-10)`` on a pandas frame (the margin
  columns as categoricals), the design built in the timed call;
- ``samplics``: ``SampleWeight().rake(samp_weight, margins={col: array}, control={col:
  {category: total}}, tol=1e-10, ctrl_tol=1e-10, max_iter=1000)`` on numpy arrays.

The worker writes the raked weights, for the comparison in ``run.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import peak_rss, timed

TOOLS = ("ours", "samplics")
PEERS = {"samplics": "samplics"}
ROWS = {"full": 1_700_000, "small": 170_000, "tiny": 20_000}
TOL = 1e-10
MARGINS = ("county", "grade", "gender", "urban")
SEED = 6


def make_data(rows: int, seed: int = SEED) -> tuple[pd.DataFrame, dict[str, dict[Any, float]]]:
    """Respondents with starting weights ``w``, and population margins for them."""
    rng = np.random.default_rng(seed)
    n_county = 180
    county = rng.integers(0, n_county, rows)
    urban_share = rng.uniform(0.2, 0.9, n_county)
    urban = rng.random(rows) < urban_share[county]
    grade_logits = np.where(urban[:, None], np.linspace(0.3, -0.3, 12), np.linspace(-0.2, 0.4, 12))
    p = np.exp(grade_logits)
    p /= p.sum(axis=1, keepdims=True)
    grade = 1 + (rng.random(rows)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    gender = np.where(rng.random(rows) < 0.53, "male", "female")
    w = np.exp(rng.normal(0.0, 0.5, rows)) * 30
    factor = (
        np.where(urban, 0.8, 1.3)
        * np.exp(0.03 * (grade - 6))
        * rng.uniform(0.8, 1.25, n_county)[county]
        * np.where(gender == "male", 1.05, 0.95)
    )
    df = pd.DataFrame(
        {
            "county": pd.Categorical.from_codes(county, [f"C{k:03d}" for k in range(n_county)]),
            "grade": grade.astype(np.int8),
            "gender": pd.Categorical(gender),
            "urban": urban,
            "w": w,
        }
    )
    target = w * factor
    margins = {
        col: {
            (k.item() if isinstance(k, np.generic) else k): float(v)
            for k, v in pd.Series(target).groupby(df[col].to_numpy()).sum().items()
        }
        for col in MARGINS
    }
    n_pop = sum(margins["county"].values())
    for col in MARGINS[1:]:  # the same population size in every margin, to rounding
        s = sum(margins[col].values())
        margins[col] = {k: v * n_pop / s for k, v in margins[col].items()}
    return df, margins


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    df, margins = make_data(int(spec["rows"]))
    loaded = peak_rss()
    if tool == "ours":
        from shuangjian_eval.estimation.survey import SurveyDesign

        def call() -> np.ndarray:
            d = SurveyDesign(df, "w").rake(margins, tol=TOL)
            return d.weights.to_numpy()

    else:
        from samplics.weighting import SampleWeight

        arrays = {c: df[c].astype(object).to_numpy() if c != "grade" else df[c].to_numpy()
                  for c in MARGINS}  # fmt: skip
        w0 = df["w"].to_numpy()

        def call() -> np.ndarray:
            return np.asarray(
                SampleWeight().rake(
                    w0, margins=arrays, control=margins, tol=TOL, ctrl_tol=TOL, max_iter=1000
                ),
                dtype=float,
            )

    times, weights = timed(call, spec["repeats"])
    pd.DataFrame({"weight": weights}).to_parquet(spec["out"], index=False)
    fit = max(
        abs(float(weights[(df[c] == k).to_numpy()].sum()) - t) / (1 + t)
        for c in MARGINS
        for k, t in margins[c].items()
    )
    return {"rows": len(df), "times": times, "misfit": fit, "peak_loaded": loaded}
