"""B6: restricted wild cluster bootstrap of a DID coefficient, 9,999 draws.

The model: ``y ~ 1 + treated + post + treated:post`` by OLS, clusters of equal size, half of
them treated; the tested coefficient is ``treated:post`` (null imposed, Rademacher weights,
CR1 bootstrap t). The data are generated here (a cluster effect, a treated x post effect of
0.02 and unit noise; seed 20210724), not the national survey: the bootstrap's cost depends on
the rows and the clusters, and 50 clusters is the case the bootstrap is for.

Tools:

- ``ours``: ``sje.did(df, outcome="y", treated="treated", post="post", cluster="cluster",
  inference="wild", bootstrap_reps=9999, seed=1)``: the fit, the bootstrap p-value and the
  interval by test inversion (which ours computes and the peer does not);
- ``wildboottest``: the PyPI package's ``WildboottestCL(X, Y, cluster, R, B=9999, seed=1)``
  with ``get_scores("11", impose_null=True)``, ``get_weights("rademacher")``, ``get_numer``,
  ``get_denom``, ``get_tboot``, ``get_vcov``, ``get_tstat``, ``get_pvalue``: its p-value
  only (numba-compiled loops, both cores).

Both get the same numpy arrays, built outside the timing; one untimed warm-up call on the
smallest size compiles wildboottest's numba kernels. Agreement: the t statistics (equal to
1e-8: both are CR1 t's of the same OLS) and the p-values (different draws: within 0.01).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import SEED, peak_rss, timed

TOOLS = ("ours", "wildboottest")
PEERS = {"wildboottest": "wildboottest"}
REPS = 9999
EFFECT = 0.005


def data(rows: int, clusters: int) -> pd.DataFrame:
    """Clusters of equal size, the first half treated, the second half of each cluster post."""
    rng = np.random.default_rng(SEED)
    cluster = np.repeat(np.arange(clusters), -(-rows // clusters))[:rows]
    treated = (cluster < clusters // 2).astype(np.int8)
    post = (rng.random(rows) < 0.5).astype(np.int8)
    y = rng.normal(0, 0.3, clusters)[cluster] + EFFECT * treated * post + rng.normal(0, 1, rows)
    return pd.DataFrame({"y": y, "treated": treated, "post": post, "cluster": cluster})


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    rows, clusters = int(spec["b6_rows"]), int(spec["b6_clusters"])
    reps = int(spec.get("b6_reps", REPS))
    df = data(rows, clusters)
    loaded = peak_rss()
    fit = {"ours": _ours, "wildboottest": _wildboottest}[tool]
    fit(data(min(rows, 2000), min(clusters, 12)), 99)  # warm-up: imports, numba compilation
    times, out = timed(lambda: fit(df, reps), int(spec["repeats"]))
    return {"times": times, "rows": rows, "clusters": clusters, "reps": reps,
            "peak_loaded": loaded, **out}  # fmt: skip


def _ours(df: pd.DataFrame, reps: int) -> dict[str, float]:
    from shuangjian_eval.estimation.effects.did import did

    r = did(df, outcome="y", treated="treated", post="post", cluster="cluster",
            inference="wild", bootstrap_reps=reps, seed=1)  # fmt: skip
    test = r.bootstrap["treated:post"]
    row = r.table.set_index("term").loc["treated:post"]
    return {"t": float(row["statistic"]), "p": float(test.p_value)}


def _wildboottest(df: pd.DataFrame, reps: int) -> dict[str, float]:
    from wildboottest.wildboottest import WildboottestCL

    d, p = df["treated"].to_numpy(float), df["post"].to_numpy(float)
    x = np.column_stack([np.ones(len(df)), d, p, d * p])
    wb = WildboottestCL(X=x, Y=df["y"].to_numpy(float), cluster=df["cluster"].to_numpy(),
                        R=np.array([0.0, 0.0, 0.0, 1.0]), B=reps, seed=1)  # fmt: skip
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.get_weights(weights_type="rademacher")
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue(pval_type="two-tailed")
    return {"t": float(np.ravel(wb.t_stat)[0]), "p": float(wb.pvalue)}
