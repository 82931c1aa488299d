"""Run one measurement in this (fresh) process: ``python -m benchmarks._worker SPEC.json``.

The spec names the benchmark module, the tool and its inputs; the result (times, rows, what the
module returns) and this process's peak RSS are written as JSON to ``spec["result"]``.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

from ._common import as_json, peak_rss

MODULES = {
    "b1": "b1_survey_means",
    "b2": "b2_did",
    "b3": "b3_ingest",
    "b4": "b4_region_reports",
    "b5": "b5_whole_analysis",
    "b6": "b6_wild",
    "b7": "b7_raking",
}


def run_spec(spec: dict) -> dict:
    """Measure in this process (no subprocess): the result, with this process's peak RSS.

    Warnings are silenced while measuring (pyfixest warns on every fit under pandas 3.1,
    samplics on import) and the filters restored after.
    """
    mod = importlib.import_module(f"benchmarks.{MODULES[spec['bench']]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mod.measure(spec["tool"], spec)
    result["peak"] = peak_rss()
    return as_json(result)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    result = run_spec(spec)
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
