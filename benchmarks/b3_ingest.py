"""B3: ingest of one wave of the national survey (~1.8 million rows) from a canonical GBK CSV
to validated Parquet.

The CSV has the observed codebook columns with Chinese answer labels (是/否, 女/男, 城镇/农村),
written by pandas with ``encoding="gbk"`` from the cached synthetic wave (``_common.prepare``).

- ``bare``: ``pandas.read_csv(path, encoding="gbk")``: parse and type-infer, no checks;
- ``ours``: what ``sje ingest path --out file.parquet`` does, in-process and timed in parts:
  ``sje.io.load_survey(path)`` (encoding detection, header mapping, answer labels to codes,
  every row checked against the codebook, derived variables), then
  ``io.store.write_canonical(result.data, ...)`` and the rejects CSV. Every row must be accepted.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import peak_rss

TOOLS = ("ours", "bare")
PEERS: dict[str, str] = {}


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    path = Path(spec["csv"])
    loaded = peak_rss()
    out: dict[str, Any] = {"times": [], "peak_loaded": loaded, "bytes": path.stat().st_size}
    if tool == "bare":
        for _ in range(spec["repeats"]):
            t0 = time.perf_counter()
            df = pd.read_csv(path, encoding="gbk")
            out["times"].append(time.perf_counter() - t0)
            out["rows"], out["columns"] = df.shape
            del df
        return out

    from shuangjian_eval.inputs.io import load_survey
    from shuangjian_eval.inputs.io.store import write_canonical

    out.update(load=[], write=[])
    with tempfile.TemporaryDirectory(dir=spec.get("tmp")) as tmp:
        target = Path(tmp) / "survey.parquet"
        for _ in range(spec["repeats"]):
            t0 = time.perf_counter()
            res = load_survey(path)
            t1 = time.perf_counter()
            write_canonical(res.data, target)  # as `sje ingest` writes it
            res.rejects.to_csv(
                target.with_suffix(".rejects.csv"), index=False, encoding="utf-8-sig"
            )
            t2 = time.perf_counter()
            out["times"].append(t2 - t0)
            out["load"].append(t1 - t0)
            out["write"].append(t2 - t1)
            out["rows"], out["columns"] = res.data.shape
            out["rejects"] = len(res.rejects)
            out["rows_in"] = int(res.log.get("rows_in", -1))
            out["rejected_rows"] = int(res.log.get("rejected", -1))
            out["encoding"] = res.log.get("encoding")
            del res
    return out
