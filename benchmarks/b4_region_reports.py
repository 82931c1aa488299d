"""B4: a policy report for every region, as a scheduled run makes them.

``sje report --regions each --notebooks 90_policy_report`` on the national data (one Parquet
file of every wave, written once into the data cache, untimed): the briefings of all regions
are computed once per run (``briefing.precompute``: the data read once, each region on the rows
of its strata, in ``workers`` processes), then each region's notebook is run by papermill and
rendered to HTML. Timed: the whole :func:`shuangjian_eval.run.pipeline.run_report` call, from
reading the data to the index; reports per minute = reports written / that time.

Tools: ``local`` (the default process pool) and ``dask`` (a ``LocalCluster`` of worker
processes), each with ``spec["workers"]`` workers.
"""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path
from typing import Any

TOOLS = ("local", "dask")
PEERS: dict[str, str] = {}
NOTEBOOK = "90_policy_report"


def national_file(files: list[str]) -> Path:
    """One Parquet file of every wave next to the wave files (made once)."""
    target = Path(files[0]).with_name("survey_all_waves.parquet")
    if len(files) == 1:
        return Path(files[0])
    if not target.exists():
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = target.with_suffix(".tmp")
        pq.write_table(pa.concat_tables(pq.read_table(f) for f in files), tmp)
        tmp.replace(target)
    return target


def measure(tool: str, spec: dict[str, Any]) -> dict[str, Any]:
    from shuangjian_eval import pipeline

    data = national_file(spec["files"])
    workers = int(spec["workers"])
    out = Path(spec["tmp"]) / f"b4-{tool}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    regions = pipeline.list_regions(data)
    t0 = time.perf_counter()
    run = pipeline.run_report(
        data, out=out, run_id="b4", regions="each", notebooks=[NOTEBOOK],
        workers=workers, executor=tool, progress=False,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    ok = [j for j in run.jobs if j.status == "ok"]
    job_seconds = sorted(j.seconds for j in ok if j.seconds is not None)
    html_bytes = sum(Path(j.html).stat().st_size for j in ok)
    result = {
        "times": [seconds],
        "regions": len(regions),
        "reports": len(ok),
        "failed": [f"{j.region}: {j.error}" for j in run.jobs if j.status != "ok"][:3],
        "precompute": run.precompute.get("seconds"),
        "precompute_status": run.precompute.get("status"),
        "notebooks": seconds - (run.precompute.get("seconds") or 0.0),
        "job_median": job_seconds[len(job_seconds) // 2] if job_seconds else None,
        "html_mib": html_bytes / 2**20,
        "peak_loaded": 0,
        "peak_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }
    shutil.rmtree(out, ignore_errors=True)
    return result
