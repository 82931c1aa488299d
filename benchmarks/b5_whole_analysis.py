"""B5: the whole national analysis in one process, for its peak memory.

Reads the columns that B1 and B2 need from every row of the national data (4 waves), then runs
B1's 256 domain means, B2's DID and B2's event study once each, as a notebook would in one
kernel. The number that matters is the process's peak RSS (target: under 8 GiB); the step
times are printed too.
"""

from __future__ import annotations

import time
from typing import Any

from ._common import B1_COLUMNS, B2_COLUMNS, DOMAINS, OUTCOMES, REF_WAVE, peak_rss, read_pandas

TOOLS = ("ours",)
PEERS: dict[str, str] = {}


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    from shuangjian_eval.estimation.effects import did, event_study
    from shuangjian_eval.estimation.survey import SurveyDesign

    from .b2_did import Y, prepare_frame

    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    df = read_pandas(spec["files"], list(dict.fromkeys([*B1_COLUMNS, *B2_COLUMNS])))
    steps["read"] = time.perf_counter() - t0
    loaded = peak_rss()
    t0 = time.perf_counter()
    means = SurveyDesign(df, "weight", strata="stratum", psu="school_id").mean(
        list(OUTCOMES), by=list(DOMAINS)
    )
    steps["b1_means"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reg = prepare_frame(df)
    steps["b2_prepare"] = time.perf_counter() - t0
    opts = {"weights": "weight", "absorb": ("school_id", "wave"), "cluster": "school_id"}
    t0 = time.perf_counter()
    d = did(reg, outcome=Y, treated="pilot", post="post", **opts)
    steps["b2_did"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    es = event_study(reg, outcome=Y, treated="pilot", time="wave", ref=REF_WAVE, **opts)
    steps["b2_event_study"] = time.perf_counter() - t0
    return {
        "rows": len(df),
        "times": [sum(v for k, v in steps.items() if k != "read")],
        "steps": steps,
        "peak_loaded": loaded,
        "valid_means": int(means.to_frame()["valid"].sum()),
        "did": [d.estimate, d.std_error],
        "event_study_terms": len(es.to_frame()),
    }
