"""Smoke test of the benchmarks (``benchmarks/``): every script runs at a tiny size, so that
they cannot rot between runs of ``make bench``.

Expected values: the peers themselves. ``benchmarks.run`` compares our estimates with each
installed peer's on the same tiny synthetic survey (svy and samplics for the domain means,
pyfixest and statsmodels for the DID) and exits with 1 when any differs by more than 1e-8 or
a measurement fails. Peers that are not installed are skipped by the runner, not failed.
Timings at this size mean nothing and are not checked.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks._common import PROFILES, prepare  # noqa: E402

PEERS = ("svy", "samplics", "pyfixest", "statsmodels", "wildboottest")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench-cache")
    prepare(PROFILES["tiny"], folder)
    return folder


@pytest.mark.slow
def test_every_benchmark_runs_at_tiny_size(cache: Path, capsys: pytest.CaptureFixture) -> None:
    code = run.main(["--size", "tiny", "--in-process", "--cache-dir", str(cache)])
    out = capsys.readouterr().out
    assert code == 0, out
    for bench in ("B1", "B2", "B3", "B4", "B5", "B6", "B7"):
        assert f"== {bench} " in out
    assert "MISMATCH" not in out and "ERROR" not in out
    for peer in PEERS:
        if importlib.util.find_spec(peer) is None:
            assert f"{peer:<20} not installed: skipped" in out
        else:
            assert f"  {peer} " in out  # measured: its timing line
    # every row of the tiny GBK CSV is validated and accepted
    assert "0 rejected" in out
    report = json.loads((cache / "last-tiny.json").read_text())
    assert {b for b, _, _ in report["verdicts"]} == {"B1", "B2", "B3", "B4", "B5", "B6", "B7"}


def test_missing_peers_are_skipped(
    cache: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "installed", lambda module: module not in PEERS)
    code = run.main(
        ["--size", "tiny", "--in-process", "--only", "B1,B2,B6", "--cache-dir", str(cache)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    for peer in PEERS:
        assert f"{peer:<20} not installed: skipped" in out
    assert "B1 SKIP: no peer measured" in out


def test_a_measurement_in_a_fresh_process_reports_its_peak_memory(cache: Path) -> None:
    data = prepare(PROFILES["tiny"], cache)
    spec = {
        "bench": "b1",
        "tool": "ours",
        "files": data.files(None),
        "repeats": 1,
        "out": str(cache / "worker-b1.parquet"),
        "result": str(cache / "worker-b1.json"),
    }
    (cache / "worker-b1.spec.json").write_text(json.dumps(spec))
    subprocess.run(
        [sys.executable, "-m", "benchmarks._worker", str(cache / "worker-b1.spec.json")],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    result = json.loads((cache / "worker-b1.json").read_text())
    assert result["rows"] == data.total_rows
    assert result["estimates"] == 256 and result["invalid"] == 0
    assert 50 * 2**20 < result["peak"] < 4 * 2**30  # a Python process with pandas: MBs, not GBs
