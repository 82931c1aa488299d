"""B3: ingest of one wave of the national survey (~1.8 million rows) from a canonical GBK CSV
to validated Parquet.

The CSV has the observed codebook columns with Chinese answer labels (是/否, 女/男, 城镇/农村),
written by pandas with ``encoding="gbk"`` from the cached synthetic wave (``_common.prepare``).

- ``bare``: ``pandas.read_csv(path, encoding="gbk")``: parse and type-infer, no checks;
- ``ours``: what ``sje ingest path --out file.parquet`` does, in-process and timed in parts:
  ``sje.io.load_survey(path)`` (encoding detection, header mapping, answer labels to codes,
  every row checked against the codebook, derived variables), then
  ``io.store.write_canonical(result.data, ...)`` and the rejects CSV. Every row must be accepted.

The xlsx part reads a 问卷星 download of ``Profile.b3_xlsx_rows`` submissions (100,000 at the
full size; the county example's layout, 按选项文本, ``examples_wenjuanxing.write_large_download``):

- ``bare-openpyxl`` and ``bare-calamine``: ``pandas.read_excel(path, engine=...)``;
- ``ours-xlsx``: ``load_survey(path, "wenjuanxing-county", wave=2022, county=COUNTY)``: the
  platform's columns to quality flags, answers mapped and validated, every submission accounted
  for; ``ours-xlsx-openpyxl`` the same with the workbook's cells read by openpyxl, and the two
  results compared (they must be identical).
"""

from __future__ import annotations

import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ._common import peak_rss

TOOLS = ("ours", "bare")
XLSX_TOOLS = ("bare-openpyxl", "bare-calamine", "ours-xlsx", "ours-xlsx-openpyxl")
PEERS: dict[str, str] = {}


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    if tool in XLSX_TOOLS:
        return _measure_xlsx(tool, spec)
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


def _measure_xlsx(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    path = Path(spec["xlsx"])
    out: dict[str, Any] = {"times": [], "peak_loaded": peak_rss(), "bytes": path.stat().st_size}
    if tool.startswith("bare-"):
        for _ in range(spec["repeats"]):
            t0 = time.perf_counter()
            df = pd.read_excel(path, engine=tool.removeprefix("bare-"))
            out["times"].append(time.perf_counter() - t0)
            out["rows"], out["columns"] = df.shape
            del df
        return out
    from unittest import mock

    from shuangjian_eval.inputs.examples_wenjuanxing import COUNTY
    from shuangjian_eval.inputs.io import load_survey, readers

    def read() -> Any:
        return load_survey(path, "wenjuanxing-county", wave=2022, county=COUNTY, salt="bench")

    openpyxl = tool.endswith("openpyxl")
    with (
        mock.patch.object(readers, "read_xlsx", readers._read_xlsx_openpyxl)
        if openpyxl
        else nullcontext()
    ):
        for _ in range(spec["repeats"]):
            t0 = time.perf_counter()
            res = read()
            out["times"].append(time.perf_counter() - t0)
    out["rows"], out["columns"] = res.data.shape
    out["rows_in"] = int(res.log.get("rows_in", -1))
    out["rejected_rows"] = int(res.log.get("rejected", -1))
    out["flagged"] = len(res.flags)
    res.data.to_parquet(spec["out"], index=False)
    pd.concat([res.rejects.astype(str), res.issues.astype(str), res.flags.astype(str)],
              keys=["rejects", "issues", "flags"]).to_parquet(spec["out"] + ".rest.parquet")  # fmt: skip
    return out
