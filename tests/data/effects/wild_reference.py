"""Reference bootstrap distributions for tests/test_small_clusters.py, from the PyPI package
``wildboottest`` (0.3.2; ``WildboottestCL``, restricted WCR11: null imposed, CR1 scores).

Data: fe_cluster_data.csv (see fe_cluster_reference.R), unweighted (wildboottest has no
regression weights); post = wave >= 2021. The model of each case, by OLS with dummies:

- ``first10_none``: schools 1-10, ``y ~ 1 + pilot + post + treated_post``; every one of the
  2^10 Rademacher sign vectors (wildboottest enumerates when 2^G < B; B = 9999);
- ``all_twoway``: all 30 schools, ``y ~ treated_post + school + wave dummies``; 999 draws of
  Rademacher signs, ``numpy.random.default_rng(7).choice([-1.0, 1.0], size=(30, 999))``
  (rows: schools in sorted order), given to wildboottest in place of its own draws so that
  the distributions can be compared draw by draw.

The tested coefficient is ``treated_post``; clusters are schools. wildboottest's t statistics
carry its small-sample factor ``G/(G-1) (N-1)/(N-k)`` in the bootstrap denominators and not in
``t``; written here are its ``t_boot`` times ``sqrt(ssc)``, the scale on which ``t`` = estimate
/ CR0 standard error (any common factor cancels from the p-value).

Run: ``.venv/bin/python tests/data/effects/wild_reference.py`` (writes wild_reference.csv:
case, draw, t, t_boot; ``draw`` numbers wildboottest's order of the sign vectors, and the
column ``p_strict`` is the share of |t_boot| strictly above |t| with the two exact ties
+-t left out of the count).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from wildboottest.wildboottest import WildboottestCL

HERE = Path(__file__).parent


def case(d: pd.DataFrame, x: pd.DataFrame, v: np.ndarray | None, reps: int) -> pd.DataFrame:
    y = d["homework_min_weekday"].to_numpy(float)
    xm = x.to_numpy(float)
    r = np.array([1.0 if c == "treated_post" else 0.0 for c in x.columns])
    wb = WildboottestCL(X=xm, Y=y, cluster=pd.factorize(d["school_id"], sort=True)[0], R=r, B=reps, seed=1,
                        parallel=False)  # fmt: skip
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.get_weights(weights_type="rademacher")
    if v is not None:
        wb.v, wb.B = v, v.shape[1]
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    t = float(np.ravel(wb.t_stat)[0])
    t_boot = np.ravel(wb.t_boot) * np.sqrt(wb.ssc)
    t = t * np.sqrt(wb.ssc)  # its t: estimate / sqrt(ssc * CR0 variance)
    tie = np.isclose(np.abs(t_boot), abs(t), rtol=1e-9, atol=0)
    p = float(np.mean((np.abs(t_boot) > abs(t)) & ~tie))
    return pd.DataFrame({"draw": np.arange(t_boot.size), "t": t, "t_boot": t_boot, "p_strict": p})


def main() -> None:
    d0 = pd.read_csv(HERE / "fe_cluster_data.csv").sort_values("school_id", kind="stable")
    d0["post"] = (d0["wave"] >= 2021).astype(float)
    schools = sorted(d0["school_id"].unique())
    first = d0[d0["school_id"].isin(schools[:10])]
    x1 = pd.DataFrame({"const": 1.0, "pilot": first["pilot"], "post": first["post"],
                       "treated_post": first["treated_post"]})  # fmt: skip
    dummies = pd.get_dummies(d0[["school_id", "wave"]].astype(str), drop_first=True, dtype=float)
    x2 = pd.concat([d0[["treated_post"]].astype(float), dummies], axis=1)
    x2.insert(1, "const", 1.0)
    v = np.random.default_rng(7).choice(np.array([-1.0, 1.0]), size=(30, 999))
    out = pd.concat(
        [case(first, x1, None, 9999).assign(case="first10_none"),
         case(d0, x2, v, 999).assign(case="all_twoway")],
        ignore_index=True,
    )  # fmt: skip
    out[["case", "draw", "t", "t_boot", "p_strict"]].to_csv(
        HERE / "wild_reference.csv", index=False, float_format="%.15g"
    )
    print(out.groupby("case").agg(n=("draw", "size"), t=("t", "first"), p=("p_strict", "first")))


if __name__ == "__main__":
    main()
