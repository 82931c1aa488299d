"""Single entry point of the benchmarks: ``python -m benchmarks.run [--size full|small|tiny]
[--only B1,B2,B3,B4,B5,B6,B7]`` (``make bench`` runs the full size).

Generates the synthetic national data once (cached under ``benchmarks/.cache/``), then runs
every measurement in a fresh Python process, one after another (never two heavy jobs at
once), so that each tool's peak RSS is its own. Prints, per benchmark, the median time and peak
memory of every tool at every size, the ratios measured in this run, the agreement of the
estimates, and PASS/FAIL against the targets:

- B1 design-based domain means: on every row (7 M at the full size) at most 1.5x the time of a
  one-pass numpy sketch of the same estimates and SEs, and at least 50x faster than svy; the
  same sketch limit for proportions and for means on a calibrated design;
- B2 DID / event study with school + wave fixed effects: ours no slower than pyfixest (judged at
  100,000 rows and more);
- B3 GBK CSV to validated Parquet: ours at most 1.3x the time of a bare ``pandas.read_csv``;
  a 问卷星 xlsx download read and validated with the faster of calamine and openpyxl, whose
  results must be identical (ratios to bare ``pandas.read_excel`` with either engine shown);
- B4 a policy report for each of the 213 regions: at least 60 reports a minute with 2 workers
  (the local process pool), and a Dask cluster of 2 workers against 1;
- B5 the whole national analysis (B1 + B2 on every row) under 8 GiB peak memory;
- B6 the restricted wild cluster bootstrap of a DID coefficient (9,999 draws, 50 clusters,
  generated data): ours no slower than the PyPI package wildboottest at 1,000,000 rows;
- B7 raking weights to four margins (about 200 cells; 1.7 million rows at the full size): ours
  no slower than samplics, the weights the same within 1e-8.

Agreement with the peers (1e-8 relative, on estimates and SEs) is asserted: the exit code is 1
when an agreement check or a measurement fails; missed speed or memory targets are reported as
FAIL (exit code 0 unless ``--strict``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import b1_survey_means as b1
from . import b2_did as b2
from . import b6_wild as b6
from . import b7_raking as b7
from ._common import (
    DEFAULT_CACHE,
    DOMAINS,
    OUTCOMES,
    PROFILES,
    REPO,
    Dataset,
    Profile,
    Size,
    data_dir,
    installed,
    machine,
    median,
    package_version,
    prepare,
    rel_diff,
)

BENCHES = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
OWN_DATA = {"B6", "B7"}  # benchmarks that generate their own data
TOLERANCE = 1e-8
B1_PEER_GOAL = 50.0  # svy time / ours, on every row
B1_SKETCH_LIMIT = 1.5  # ours / the one-pass numpy sketch, on every row
B3_LIMIT = 1.3
B2_JUDGED_FROM = 100_000  # rows: smaller sizes are shown but not judged
B4_TARGET = 60.0  # region reports a minute with 2 workers
B6_JUDGED_FROM = 1_000_000  # rows
GIB = 2**30


class Runner:
    """Runs measurements (fresh subprocesses, or in this process) and prints the report."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.profile: Profile = PROFILES[args.size]
        self.cache = Path(args.cache_dir).resolve()
        self.in_process = args.in_process
        self.regenerate = args.regenerate
        self.only = args.only
        self.lines: list[str] = []
        self.results: dict[str, Any] = {"size": args.size, "benches": {}}
        self.verdicts: list[tuple[str, str, str]] = []  # (bench, PASS/FAIL/SKIP, text)
        self.errors: list[str] = []
        self.run_dir = self.cache / "runs" / args.size
        self.data: Dataset | None = None

    # -------------------------------------------------------------------- output
    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def verdict(self, bench: str, ok: bool | None, text: str) -> None:
        tag = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        self.verdicts.append((bench, tag, text))
        self.say(f"  {bench} {tag}: {text}")

    # -------------------------------------------------------------------- measuring
    def measure(self, bench: str, tool: str, size: Size, repeats: int, **extra: Any) -> dict:
        """One measurement; returns its result dict (``error`` set on failure)."""
        assert self.data is not None or bench in OWN_DATA
        tag = f"{bench}-{tool}-{size or 'all'}" + (
            f"-w{extra['workers']}" if "workers" in extra else ""
        )
        spec = {
            "bench": bench.lower(),
            "tool": tool,
            "files": self.data.files(size) if self.data is not None and size != "own" else [],
            "repeats": repeats,
            "out": str(self.run_dir / f"{tag}.parquet"),
            "result": str(self.run_dir / f"{tag}.json"),
            "tmp": str(self.run_dir),
            **extra,
        }
        t0 = time.perf_counter()
        if self.in_process:
            from ._worker import run_spec

            try:
                res = run_spec(spec)
                res["peak"] = None  # not this measurement's own: the process is shared
            except Exception as exc:  # reported, and the run goes on
                res = {"error": repr(exc)}
        else:
            res = self._subprocess(spec, tag)
        res["wall"] = time.perf_counter() - t0
        if self.data is not None and size != "own":
            res.setdefault("rows", self.data.rows(size))
        self.results["benches"].setdefault(bench, []).append(
            {"tool": tool, "size": size, "repeats": repeats, **res}
        )
        if "error" in res:
            self.errors.append(f"{tag}: {res['error']}")
        return res

    def _subprocess(self, spec: dict, tag: str) -> dict:
        spec_path = self.run_dir / f"{tag}.spec.json"
        spec_path.write_text(json.dumps(spec))
        log = self.run_dir / f"{tag}.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }
        with open(log, "w") as fh:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks._worker", str(spec_path)],
                cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
        if proc.returncode != 0 or not Path(spec["result"]).exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            return {"error": f"exit code {proc.returncode}: {' | '.join(tail)} (log: {log})"}
        return json.loads(Path(spec["result"]).read_text())

    def line(self, tool: str, res: dict, times: list[float] | None = None, label: str = "") -> None:
        if "error" in res:
            self.say(f"  {tool:<12} {fmt_rows(res.get('rows')):>11}  ERROR {res['error']}")
            return
        times = res["times"] if times is None else times
        spread = f"({min(times):.3g}-{max(times):.3g})" if len(times) > 1 else ""
        peak = "n/a (in-process)" if res.get("peak") is None else fmt_gib(res["peak"])
        loaded = "" if res.get("peak") is None else f"; {fmt_gib(res['peak_loaded'])} after reading"
        self.say(
            f"  {tool + label:<20} {fmt_rows(res['rows']):>11}  x{len(times)}  "
            f"median {fmt_s(median(times)):>9} {spread:<17} peak {peak}{loaded}"
        )

    # -------------------------------------------------------------------- the run
    def run(self) -> int:
        self.say(f"shuangjian_eval benchmarks, size {self.profile.name!r}, {dt.date.today()}")
        self.say(f"machine: {machine()}")
        vers = ["shuangjian-eval", "numpy", "pandas", "pyarrow", "polars", "svy", "samplics",
                "pyfixest", "statsmodels", "wildboottest"]  # fmt: skip
        self.say("versions: " + ", ".join(f"{v} {package_version(v)}" for v in vers))
        if self.profile.notes:
            self.say(f"note: {self.profile.notes}")
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.run_dir.mkdir(parents=True)
        self.say()
        if not set(self.only) <= OWN_DATA:  # B6 and B7 alone need no national data
            self._prepare()
        for bench in self.only:
            getattr(self, f"bench_{bench.lower()}")()
            self.say()
        return self._summary()

    def _prepare(self) -> None:
        cached = (data_dir(self.profile, self.cache) / "manifest.json").exists()
        cached &= not self.regenerate
        if self.in_process:
            self.data = prepare(self.profile, self.cache, regenerate=self.regenerate)
        else:  # in a fresh process: generation peaks at ~1.6 GB a wave
            code = (
                "import sys; from pathlib import Path; from benchmarks._common import PROFILES, "
                "prepare; prepare(PROFILES[sys.argv[1]], Path(sys.argv[2]), "
                "regenerate=sys.argv[3] == '1')"
            )
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            subprocess.run(
                [sys.executable, "-c", code, self.profile.name, str(self.cache),
                 "1" if self.regenerate else "0"],
                cwd=REPO, env=env, check=True,
            )  # fmt: skip
            self.data = prepare(self.profile, self.cache)
        m = self.data.manifest
        made = (
            f"cached, generated in {m['seconds']:.0f} s"
            if cached
            else f"generated in {m['seconds']:.0f} s"
        )
        waves = ", ".join(f"{w}: {n:,}" for w, n in m["rows_per_wave"].items())
        self.say(
            f"data: synthetic national survey, {self.data.total_rows:,} rows ({waves}), "
            f"{m['n_schools']:,} schools (PSUs) in {m['n_strata']} strata, seed "
            f"{m['params']['seed']}; {made} ({m['created']}) in {self.data.folder}"
        )
        self.results["data"] = m

    # -------------------------------------------------------------------- B1
    def bench_b1(self) -> None:
        self.say(
            f"== B1 design-based domain means: {len(OUTCOMES)} outcomes x 32 domains "
            f"({' x '.join(DOMAINS)}) = 256 estimates, Taylor SEs, strata x PSU, with replacement"
        )
        self.say("  tool                        rows  runs  median time (min-max)         peak RSS")
        tables: dict[tuple[str, Size], Any] = {}
        timing: dict[tuple[str, Size], float] = {}
        for tool in b1.TOOLS:
            if tool in b1.PEERS and not installed(b1.PEERS[tool]):
                self.say(f"  {tool:<20} not installed: skipped")
                continue
            for size, reps in self.profile.b1.get(tool, ()):
                res = self.measure("B1", tool, size, reps)
                self.line(tool, res)
                if "error" not in res:
                    import pandas as pd

                    tables[tool, size] = pd.read_parquet(
                        self.run_dir / f"B1-{tool}-{size or 'all'}.parquet"
                    )
                    timing[tool, size] = median(res["times"])
        self.say("  agreement with ours (max relative difference over the 256 estimates):")
        ratios, agree_ok = [], True
        for (tool, size), table in tables.items():
            if tool == "ours" or ("ours", size) not in tables:
                continue
            c = b1.compare(tables["ours", size], table)
            ok = c["estimate"] <= TOLERANCE and c["std_error"] <= TOLERANCE and c["only_ours"] == 0 and c["only_peer"] == 0  # fmt: skip
            agree_ok &= ok
            self.say(
                f"    {tool:<9} at {fmt_rows(self.data.rows(size))} rows: estimates {c['estimate']:.1e}, "
                f"SEs {c['std_error']:.1e} ({c['matched']} matched"
                + (f", {c['only_ours']} only ours, {c['only_peer']} only {tool}" if c["only_ours"] or c["only_peer"] else "")
                + f") {'ok' if ok else 'MISMATCH'}"
            )  # fmt: skip
            ratios.append((tool, size, timing[tool, size] / timing["ours", size]))
        if not agree_ok:
            self.errors.append("B1: estimates or SEs differ from a peer by more than 1e-8")
        self.say("  ratios (tool time / our time, same rows, this run):")
        for tool, size, ratio in ratios:
            self.say(f"    {tool:<9} at {fmt_rows(self.data.rows(size)):>11} rows: {ratio:8.2f}x")
        if ("ours", None) in timing:
            self.say(
                f"    ours alone at {fmt_rows(self.data.total_rows)} rows: {fmt_s(timing['ours', None])}"
            )
        svy = [r for t, size, r in ratios if t == "svy" and size is None]
        if svy:
            self.verdict("B1", svy[0] >= B1_PEER_GOAL and agree_ok,
                         f"ours at least {B1_PEER_GOAL:.0f}x faster than svy on every row: "
                         f"{svy[0]:.1f}x; agreement {'within' if agree_ok else 'NOT within'} 1e-8")  # fmt: skip
        else:
            self.verdict("B1", None, "no peer measured")
        self._sketch_verdict("B1", timing, agree_ok)
        self._b1_variants()

    def _b1_variants(self) -> None:
        """Proportions and a calibrated design: ours against the one-pass sketch, every row."""
        import pandas as pd

        labels = {"prop": f"proportions of the {len(b1.BINARY)} 0/1 outcomes",
                  "cal": "means on a design calibrated (linear) to stage, urban and gender"}  # fmt: skip
        for kind, text in labels.items():
            self.say(f"  -- B1 {text}, by {' x '.join(DOMAINS)}")
            timing, tables = {}, {}
            for tool in (f"ours-{kind}", f"sketch-{kind}"):
                for size, reps in self.profile.b1.get(tool, ()):
                    res = self.measure("B1", tool, size, reps)
                    self.line(tool, res)
                    if "error" not in res:
                        tables[tool] = pd.read_parquet(
                            self.run_dir / f"B1-{tool}-{size or 'all'}.parquet"
                        )
                        timing[tool.split("-")[0], size] = median(res["times"])
            if len(tables) < 2:
                self.verdict("B1", None, f"{kind}: not measured")
                continue
            c = b1.compare(tables[f"ours-{kind}"], tables[f"sketch-{kind}"])
            ok = c["estimate"] <= TOLERANCE and c["std_error"] <= TOLERANCE and c["only_ours"] == 0 and c["only_peer"] == 0  # fmt: skip
            if not ok:
                self.errors.append(f"B1 {kind}: ours and the sketch differ by more than 1e-8")
            self.say(f"    agreement with the sketch: estimates {c['estimate']:.1e}, SEs "
                     f"{c['std_error']:.1e} ({c['matched']} matched) {'ok' if ok else 'MISMATCH'}")  # fmt: skip
            self._sketch_verdict(f"B1 {kind}", timing, ok)

    def _sketch_verdict(self, bench: str, timing: dict, agree_ok: bool) -> None:
        """PASS when ours takes at most B1_SKETCH_LIMIT times the sketch on every row."""
        if ("ours", None) in timing and ("sketch", None) in timing:
            ratio = timing["ours", None] / timing["sketch", None]
            name, _, kind = bench.partition(" ")
            self.verdict(name, ratio <= B1_SKETCH_LIMIT and agree_ok,
                         f"{kind + ': ' if kind else ''}ours / one-pass numpy sketch at {fmt_rows(self.data.total_rows)} rows: "
                         f"{ratio:.2f} (limit {B1_SKETCH_LIMIT})")  # fmt: skip
        else:
            self.verdict(
                bench.split(" ")[0], None, "the one-pass numpy sketch was not measured on every row"
            )

    # -------------------------------------------------------------------- B2
    def bench_b2(self) -> None:
        self.say(
            "== B2 DID and event study: weekday homework minutes, pilot vs other cities, "
            "school + wave fixed effects, weights, SE clustered by school (CR1)"
        )
        self.say("  tool / model                rows  runs  median time (min-max)         peak RSS")
        res_by: dict[tuple[str, Size], dict] = {}
        for tool in b2.TOOLS:
            if tool in b2.PEERS and not installed(b2.PEERS[tool]):
                self.say(f"  {tool:<20} not installed: skipped")
                continue
            for size, reps in self.profile.b2.get(tool, ()):
                res = self.measure("B2", tool, size, reps)
                if "error" in res:
                    self.line(tool, res)
                    continue
                res_by[tool, size] = res
                for model, times in res["times"].items():
                    self.line(
                        tool, res, times, label=f" {'ES' if model == 'event_study' else 'DID'}"
                    )
        self.say("  agreement with ours (relative differences):")
        agree_ok, ratios = True, []
        for (tool, size), res in res_by.items():
            if tool == "ours" or ("ours", size) not in res_by:
                continue
            ours = res_by["ours", size]
            o, p = ours["results"]["did"], res["results"]["did"]
            d_est, d_se = (
                rel_diff(p["estimate"], o["estimate"]),
                rel_diff(p["std_error"], o["std_error"]),
            )
            rows = fmt_rows(res["rows"])
            if tool == "statsmodels":
                n, k_ours, k_sm = p["nobs"], o["k"], p["rank"]
                factor = float(np.sqrt((n - k_ours) / (n - k_sm))) if k_ours else np.nan
                d_adj = rel_diff(p["std_error"], o["std_error"] * factor)
                ok = d_est <= TOLERANCE and d_adj <= TOLERANCE
                self.say(
                    f"    statsmodels DID at {rows} rows: coefficient {d_est:.1e}; SE "
                    f"{p['std_error']:.6g} vs ours {o['std_error']:.6g} (raw {d_se:.1e}); "
                    f"statsmodels counts all {k_sm} parameters (a dummy per school) in K, ours (fixest) K = {k_ours} "
                    f"(school FE nested in the school clusters): sqrt((N-{k_ours})/(N-{k_sm})) = "
                    f"{factor:.6f} at N = {n:,}; after it {d_adj:.1e} {'ok' if ok else 'MISMATCH'}"
                )
            else:
                default = _fe_diffs(ours["results"], res["results"])
                tight = _fe_diffs(ours["results"], res.get("tight", res["results"]))
                ok = max(tight) <= TOLERANCE
                self.say(
                    f"    {tool} at {rows} rows (same CR1 convention): DID coefficient "
                    f"{tight[0]:.1e}, SE {tight[1]:.1e}; event study coefficients {tight[2]:.1e}, "
                    f"SEs {tight[3]:.1e} (refit with fixef_tol=1e-12) {'ok' if ok else 'MISMATCH'}; "
                    f"at the timed default fixef_tol=1e-6: {max(default[::2]):.1e} / {max(default[1::2]):.1e}"
                )  # fmt: skip
            agree_ok &= ok
            for model in res["times"]:
                ratios.append(
                    (tool, size, model, median(ours["times"][model]) / median(res["times"][model]))
                )
        if not agree_ok:
            self.errors.append("B2: coefficients or SEs differ from a peer by more than 1e-8")
        if ("ours", None) in res_by:
            o = res_by["ours", None]["results"]
            es = ", ".join(f"{k}: {v[0]:.3f} ({v[1]:.3f})" for k, v in o["event_study"].items())
            self.say(f"  ours at {fmt_rows(res_by['ours', None]['rows'])} rows: DID {o['did']['estimate']:.4f} "
                     f"(SE {o['did']['std_error']:.4f}, {o['did']['n_clusters']:,} clusters); event study {es}")  # fmt: skip
        self.say(
            "  ratios (our time / peer time, same rows, this run; <= 1 means ours is no slower):"
        )
        judged = []
        for tool, size, model, ratio in ratios:
            rows = self.data.rows(size)
            mark = (
                "" if tool != "pyfixest" or rows >= B2_JUDGED_FROM else "  (not judged: too small)"
            )
            self.say(
                f"    vs {tool:<11} {'ES ' if model == 'event_study' else 'DID'} at {fmt_rows(rows):>11} rows: {ratio:6.2f}{mark}"
            )
            if tool == "pyfixest" and rows >= B2_JUDGED_FROM:
                judged.append(ratio)
        if judged:
            worst = max(judged)
            self.verdict("B2", worst <= 1.0 and agree_ok,
                         f"ours no slower than pyfixest at >= {B2_JUDGED_FROM:,} rows: worst ratio "
                         f"{worst:.2f}; agreement {'within' if agree_ok else 'NOT within'} 1e-8")  # fmt: skip
        else:
            self.verdict("B2", None, "pyfixest not measured at a judged size")

    # -------------------------------------------------------------------- B3
    def bench_b3(self) -> None:
        assert self.data is not None
        csv = self.data.csv
        self.say(
            f"== B3 ingest: canonical GBK CSV ({csv.stat().st_size / 2**20:.0f} MiB, wave "
            "2022) to validated Parquet"
        )
        self.say("  tool                        rows  runs  median time (min-max)         peak RSS")
        reps = self.profile.b3_repeats
        bare = self.measure("B3", "bare", None, reps, csv=str(csv))
        self.line("pandas.read_csv", bare)
        ours = self.measure("B3", "ours", None, reps, csv=str(csv))
        self.line("ours (ingest)", ours)
        if "error" in bare or "error" in ours:
            self.verdict("B3", False, "a measurement failed")
            return
        self.say(
            f"    ours = load_survey {fmt_s(median(ours['load']))} + write_canonical and rejects "
            f"{fmt_s(median(ours['write']))}; {ours['rows_in']:,} rows in, "
            f"{ours['rows']:,} accepted, {ours['rejected_rows']:,} rejected "
            f"(encoding detected: {ours['encoding']})"
        )
        all_rows = ours["rows"] == bare["rows"] and ours["rejected_rows"] == 0
        if not all_rows:
            self.errors.append("B3: not every row of the synthetic CSV was accepted")
        ratio = median(ours["times"]) / median(bare["times"])
        load_ratio = median(ours["load"]) / median(bare["times"])
        self.say(f"  ratio ours / bare read: {ratio:.2f} (load_survey alone: {load_ratio:.2f})")
        self.verdict("B3", ratio <= B3_LIMIT and all_rows,
                     f"ours / bare read {ratio:.2f} (limit {B3_LIMIT:.1f}), every row validated "
                     f"and {'accepted' if all_rows else 'NOT all accepted'}")  # fmt: skip
        self.bench_b3_xlsx()

    def bench_b3_xlsx(self) -> None:
        import pandas as pd

        assert self.data is not None
        rows = self.profile.b3_xlsx_rows
        path = self.data.xlsx(rows)
        self.say(
            f"== B3 xlsx: a 问卷星 download of {rows:,} submissions ({path.stat().st_size / 2**20:.0f} "
            "MiB, 按选项文本) read and validated"
        )
        self.say("  tool                        rows  runs  median time (min-max)         peak RSS")
        reps = self.profile.b3_repeats
        got = {}
        for tool, label in (("bare-openpyxl", "read_excel openpyxl"),
                            ("bare-calamine", "read_excel calamine"),
                            ("ours-xlsx", "ours (calamine)"),
                            ("ours-xlsx-openpyxl", "ours with openpyxl")):  # fmt: skip
            runs = 1 if tool.endswith("openpyxl") else reps  # openpyxl: a minute a read
            got[tool] = self.measure("B3", tool, None, runs, xlsx=str(path))
            self.line(label, got[tool])
        if any("error" in r for r in got.values()):
            self.verdict("B3", False, "an xlsx measurement failed")
            return
        out = {t: self.run_dir / f"B3-{t}-all.parquet" for t in ("ours-xlsx", "ours-xlsx-openpyxl")}
        same = all(
            pd.read_parquet(out["ours-xlsx"].with_name(out["ours-xlsx"].name + suffix)).equals(
                pd.read_parquet(out["ours-xlsx-openpyxl"].with_name(out["ours-xlsx-openpyxl"].name + suffix))
            )
            for suffix in ("", ".rest.parquet")
        )  # fmt: skip
        if not same:
            self.errors.append("B3 xlsx: calamine and openpyxl cells give different results")
        ours = got["ours-xlsx"]
        accounted = ours["rows_in"] == rows and ours["rows"] + ours["rejected_rows"] == rows
        if not accounted:
            self.errors.append("B3 xlsx: not every submission is accounted for")
        t = {k: median(v["times"]) for k, v in got.items()}
        self.say(
            f"    ours: {ours['rows_in']:,} submissions in, {ours['rows']:,} accepted, "
            f"{ours['rejected_rows']:,} rejected, {ours['flagged']:,} flags; data, rejects, "
            f"issues and flags identical with either reader: {'yes' if same else 'NO'}"
        )
        self.say(
            f"  ratios: ours / read_excel calamine {t['ours-xlsx'] / t['bare-calamine']:.2f}, "
            f"ours / read_excel openpyxl {t['ours-xlsx'] / t['bare-openpyxl']:.2f}, "
            f"openpyxl / calamine: read_excel {t['bare-openpyxl'] / t['bare-calamine']:.1f}x, "
            f"ours {t['ours-xlsx-openpyxl'] / t['ours-xlsx']:.1f}x"
        )
        faster = t["ours-xlsx"] < t["ours-xlsx-openpyxl"]
        self.verdict("B3", faster and same and accounted,
                     f"xlsx: ours reads with the faster reader ({'calamine' if faster else 'NOT calamine'}: "
                     f"{t['ours-xlsx-openpyxl'] / t['ours-xlsx']:.1f}x openpyxl's speed), with identical "
                     f"results: {'yes' if same else 'NO'}; ours / bare read_excel calamine "
                     f"{t['ours-xlsx'] / t['bare-calamine']:.2f}")  # fmt: skip

    # -------------------------------------------------------------------- B4
    def bench_b4(self) -> None:
        assert self.data is not None
        self.say(
            f"== B4 region reports: `sje report --regions each --notebooks 90_policy_report` on all "
            f"{fmt_rows(self.data.total_rows)} rows (briefings computed once per run, then one "
            "notebook and HTML page per region)"
        )
        self.say("  executor  workers  regions  reports  precompute  notebooks     total  "
                 "reports/min  job median  largest process")  # fmt: skip
        speed: dict[tuple[str, int], float] = {}
        for tool, workers in (("local", 2), ("dask", 1), ("dask", 2)):
            res = self.measure("B4", tool, None, 1, workers=workers)
            if "error" in res:
                self.say(f"  {tool:<8} {workers:>7}  ERROR {res['error']}")
                continue
            total = res["times"][0]
            per_min = 60.0 * res["reports"] / total
            speed[tool, workers] = per_min
            peak = res.get("peak_child") or 0
            self.say(
                f"  {tool:<8} {workers:>7}  {res['regions']:>7}  {res['reports']:>7}  "
                f"{fmt_s(res['precompute'] or 0):>10}  {fmt_s(res['notebooks']):>9}  "
                f"{fmt_s(total):>8}  {per_min:>11.1f}  {fmt_s(res['job_median'] or 0):>10}  "
                f"{fmt_gib(max(peak, res.get('peak') or 0))}"
            )
            if res["reports"] < res["regions"]:
                self.errors.append(f"B4 {tool} {workers}: {res['failed']}")
        if ("dask", 1) in speed and ("dask", 2) in speed:
            self.say(
                f"  Dask, 2 workers against 1: {speed['dask', 2] / speed['dask', 1]:.2f}x the "
                "reports a minute"
            )
        if ("local", 2) in speed:
            rate = speed["local", 2]
            self.verdict("B4", rate >= B4_TARGET,
                         f"{rate:.1f} region reports a minute with 2 workers (target "
                         f"{B4_TARGET:.0f})")  # fmt: skip
        else:
            self.verdict("B4", False, "the measurement failed")

    # -------------------------------------------------------------------- B5
    def bench_b5(self) -> None:
        assert self.data is not None
        limit = self.profile.mem_limit_gib
        self.say(
            f"== B5 the whole analysis on all {fmt_rows(self.data.total_rows)} rows in one "
            f"process (read, B1 means, B2 DID and event study): peak memory"
        )
        res = self.measure("B5", "ours", None, 1)
        if "error" in res:
            self.line("ours", res)
            self.verdict("B5", False, "the measurement failed")
            return
        steps = ", ".join(f"{k} {fmt_s(v)}" for k, v in res["steps"].items())
        self.say(f"  steps: {steps}")
        if res.get("peak") is None:
            self.verdict("B5", None, "peak memory is not measured in-process")
            return
        peak = res["peak"] / GIB
        self.say(f"  peak RSS {peak:.2f} GiB ({res['peak_loaded'] / GIB:.2f} GiB after reading)")
        self.verdict("B5", peak < limit, f"peak {peak:.2f} GiB (limit {limit:.0f} GiB)")

    # -------------------------------------------------------------------- summary
    # -------------------------------------------------------------------- B6
    def bench_b6(self) -> None:
        self.say(
            f"== B6 wild cluster bootstrap: DID coefficient, restricted, Rademacher, "
            f"{b6.REPS:,} draws, generated data (clusters of equal size, half treated)"
        )
        got: dict[tuple[str, int], dict] = {}
        for tool in b6.TOOLS:
            if tool in b6.PEERS and not installed(b6.PEERS[tool]):
                self.say(f"  {tool:<20} not installed: skipped")
                continue
            for rows, clusters, reps in self.profile.b6:
                res = self.measure("B6", tool, None, reps, b6_rows=rows, b6_clusters=clusters)
                self.line(tool, res, label=f" G={clusters}")
                got[(tool, rows)] = res
        judged = []
        for rows, clusters, _ in self.profile.b6:
            ours, peer = got.get(("ours", rows)), got.get(("wildboottest", rows))
            if not ours or not peer or "error" in ours or "error" in peer:
                continue
            dt_ = rel_diff(peer["t"], ours["t"])
            dp = abs(peer["p"] - ours["p"])
            ok = dt_ <= TOLERANCE and dp <= 0.01
            if not ok:
                self.errors.append(f"B6: t or p differs from wildboottest at {rows:,} rows")
            ratio = median(ours["times"]) / median(peer["times"])
            self.say(
                f"  {rows:,} rows, {clusters} clusters: ours / wildboottest {ratio:.2f}; t rel. "
                f"diff {dt_:.1e}, p {ours['p']:.4f} vs {peer['p']:.4f}"
                + ("" if ok else "  MISMATCH")
            )
            if rows >= B6_JUDGED_FROM:
                judged.append(ratio)
        if judged:
            self.verdict("B6", max(judged) <= 1.0,
                         f"ours no slower than wildboottest at >= {B6_JUDGED_FROM:,} rows: ratio "
                         f"{max(judged):.2f}")  # fmt: skip
        else:
            self.verdict("B6", None, "wildboottest not measured at a judged size")

    # -------------------------------------------------------------------- B7
    def bench_b7(self) -> None:
        import pandas as pd

        rows = b7.ROWS[self.profile.name]
        self.say(
            f"== B7 raking weights to {len(b7.MARGINS)} margins ({', '.join(b7.MARGINS)}; 196 "
            f"cells), {fmt_rows(rows)} rows, tolerance {b7.TOL:g}"
        )
        self.say("  tool                        rows  runs  median time (min-max)         peak RSS")
        timing, weights = {}, {}
        for tool in b7.TOOLS:
            if tool in b7.PEERS and not installed(b7.PEERS[tool]):
                self.say(f"  {tool:<20} not installed: skipped")
                continue
            repeats = 3 if tool == "ours" else 1
            res = self.measure("B7", tool, "own", repeats, rows=rows)
            self.line(tool, res)
            if "error" not in res:
                timing[tool] = median(res["times"])
                weights[tool] = pd.read_parquet(self.run_dir / f"B7-{tool}-own.parquet")["weight"]
        if "ours" in timing and "samplics" in timing:
            diff = rel_diff(weights["samplics"].to_numpy(), weights["ours"].to_numpy())
            ok = diff <= TOLERANCE
            if not ok:
                self.errors.append("B7: raked weights differ from samplics' by more than 1e-8")
            ratio = timing["samplics"] / timing["ours"]
            self.say(f"  agreement: weights {diff:.1e} relative {'ok' if ok else 'MISMATCH'}")
            self.say(f"  ratio (samplics time / our time, this run): {ratio:.1f}x")
            self.verdict("B7", ratio >= 1 and ok, f"ours no slower than samplics: {ratio:.1f}x")
        else:
            self.verdict("B7", None, "samplics not measured")

    def _summary(self) -> int:
        self.say("== summary")
        for bench, tag, text in self.verdicts:
            self.say(f"  {bench} {tag}: {text}")
        for e in self.errors:
            self.say(f"  ERROR {e}")
        out = self.cache / f"last-{self.profile.name}"
        self.results["verdicts"] = self.verdicts
        self.results["errors"] = self.errors
        out.with_suffix(".txt").write_text("\n".join(self.lines) + "\n")
        out.with_suffix(".json").write_text(json.dumps(self.results, indent=1, default=str))
        self.say(f"(this report: {out.with_suffix('.txt')}; numbers: {out.with_suffix('.json')})")
        failed = any(tag == "FAIL" for _, tag, _ in self.verdicts)
        return 1 if self.errors or (self.strict and failed) else 0

    strict = False


def _fe_diffs(ours: dict, peer: dict) -> tuple[float, float, float, float]:
    """Relative differences: DID coefficient, DID SE, event-study coefficients, their SEs."""
    o, p = ours["did"], peer["did"]
    es_o, es_p = ours["event_study"], peer["event_study"]
    keys = sorted(set(es_o) | set(es_p))
    nan2 = [np.nan, np.nan]
    return (
        rel_diff(p["estimate"], o["estimate"]),
        rel_diff(p["std_error"], o["std_error"]),
        rel_diff([es_p.get(k, nan2)[0] for k in keys], [es_o.get(k, nan2)[0] for k in keys]),
        rel_diff([es_p.get(k, nan2)[1] for k in keys], [es_o.get(k, nan2)[1] for k in keys]),
    )


def fmt_rows(n: Any) -> str:
    return "?" if n is None else f"{int(n):,}"


def fmt_s(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_gib(b: float) -> str:
    return f"{b / GIB:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--size", choices=list(PROFILES), default="full",
                   help="full: national scale (~7.3M rows, 10-20 min); small: a tenth; tiny: smoke")  # fmt: skip
    p.add_argument(
        "--only", default=",".join(BENCHES), help="comma-separated subset of B1,B2,B3,B4,B5,B6,B7"
    )
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE), help="where the data is cached")
    p.add_argument("--in-process", action="store_true",
                   help="measure in this process (fast, no peak memory): for the smoke test")  # fmt: skip
    p.add_argument("--regenerate", action="store_true", help="generate the data again")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed too")
    args = p.parse_args(argv)
    only = [b.strip().upper() for b in args.only.split(",") if b.strip()]
    bad = [b for b in only if b not in BENCHES]
    if bad:
        p.error(f"unknown benchmark(s) {bad}; choose from {','.join(BENCHES)}")
    args.only = [b for b in BENCHES if b in only]
    runner = Runner(args)
    runner.strict = args.strict
    return runner.run()


if __name__ == "__main__":
    sys.exit(main())
