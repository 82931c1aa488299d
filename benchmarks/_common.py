"""Shared pieces of the benchmarks: size profiles, the cached synthetic national data, column
readers, timing and peak-memory helpers.

The synthetic national survey is generated once per profile and kept under
``benchmarks/.cache/`` (git-ignored): one Parquet file per wave (the data partitioned by
wave), plus fixed row samples of it for the smaller comparison sizes and, for B3, one wave
written as a canonical GBK CSV. The cache key covers the profile, the seed and the source of
the generator (``synth.py``, ``codebook.yaml``, ``policy.yaml``), so a change to the generator
makes a new cache. Every measurement reads only the columns it needs.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CACHE = HERE / ".cache"

SEED = 20210724  # the policy's date
WAVES = (2019, 2020, 2021, 2022)  # two baseline waves, the pilot year, the 1-year mark
POLICY_WAVE = 2021  # first wave fielded after the policy (pilot cities exposed)
REF_WAVE = 2020  # event-study reference: the last wave before the policy
INGEST_WAVE = 2022  # the wave written as the GBK CSV of B3

#: B1: 8 outcomes x 32 domains (wave x stage x urban) = 256 estimates
OUTCOMES = (
    "homework_min_weekday",
    "homework_min_weekend",
    "sleep_hours",
    "tutoring_subject",
    "tutoring_hours_week",
    "tutoring_spend_year",
    "afterschool_participation",
    "parent_anxiety",
)
DOMAINS = ("wave", "stage", "urban")
DESIGN = ("weight", "stratum", "school_id")
B1_COLUMNS = (*DESIGN, *DOMAINS, *OUTCOMES)

#: B2: DID and event study of weekday homework minutes, pilot cities vs the others
DID_OUTCOME = "homework_min_weekday"
B2_COLUMNS = (DID_OUTCOME, "pilot_city", "wave", "school_id", "weight")

Size = int | None  # rows of a comparison; None: every row of the national data


@dataclass(frozen=True)
class Profile:
    """What a benchmark run generates and measures.

    ``b1`` and ``b2`` map a tool to its ``(rows, repeats)`` measurements; ``rows`` None is the
    whole national data. ``b3_rows`` None ingests one whole wave.
    """

    name: str
    n_schools: int
    students_per_school: int
    n_counties: int
    b1: dict[str, tuple[tuple[Size, int], ...]]
    b2: dict[str, tuple[tuple[Size, int], ...]]
    b3_repeats: int = 3
    #: B3 xlsx: submissions in the 问卷星 download read (按选项文本, the county example's layout)
    b3_xlsx_rows: int = 100_000
    #: B6 (wild bootstrap, generated data): (rows, clusters, repeats) per measurement
    b6: tuple[tuple[int, int, int], ...] = ((100_000, 50, 3), (1_000_000, 50, 3))
    mem_limit_gib: float = 8.0
    notes: str = ""

    def sizes(self) -> list[int]:
        """The row samples to cache (every integer size of B1 and B2)."""
        out = {n for spec in (self.b1, self.b2) for runs in spec.values() for n, _ in runs if n}
        return sorted(out)

    def data_params(self) -> dict[str, Any]:
        return {
            "n_schools": self.n_schools,
            "students_per_school": self.students_per_school,
            "n_counties": self.n_counties,
            "waves": list(WAVES),
            "seed": SEED,
        }


PROFILES: dict[str, Profile] = {
    # national scale: 3,564 schools in 426 strata, ~1.8 million respondents a wave, 4 waves
    "full": Profile(
        "full",
        n_schools=3564,
        students_per_school=600,
        n_counties=213,
        b1={
            "ours": ((100_000, 3), (1_000_000, 3), (None, 5)),
            "sketch": ((None, 5),),
            **dict.fromkeys(("ours-prop", "sketch-prop", "ours-cal", "sketch-cal"), ((None, 3),)),
            "samplics": ((100_000, 1),),
            "svy": ((100_000, 3), (1_000_000, 3), (None, 1)),
        },
        b2={
            "ours": ((20_000, 3), (1_000_000, 3), (None, 3)),
            "pyfixest": ((20_000, 3), (1_000_000, 3), (None, 3)),
            "statsmodels": ((20_000, 1),),
        },
    ),
    # the national design with a tenth of the students: a few minutes
    "small": Profile(
        "small",
        n_schools=3564,
        students_per_school=60,
        n_counties=213,
        b1={
            "ours": ((10_000, 3), (100_000, 3), (None, 3)),
            "sketch": ((None, 3),),
            **dict.fromkeys(("ours-prop", "sketch-prop", "ours-cal", "sketch-cal"), ((None, 3),)),
            "samplics": ((10_000, 1),),
            "svy": ((100_000, 3), (None, 3)),
        },
        b2={
            "ours": ((2_000, 3), (100_000, 3), (None, 3)),
            "pyfixest": ((2_000, 3), (100_000, 3), (None, 3)),
            "statsmodels": ((2_000, 1),),
        },
    ),
    # a few hundred rows: only checks that every script still runs (the smoke test)
    "tiny": Profile(
        "tiny",
        n_schools=40,
        students_per_school=25,
        n_counties=4,
        b1={
            "ours": ((None, 1),),
            "sketch": ((None, 1),),
            "samplics": ((None, 1),),
            "svy": ((None, 1),),
            **dict.fromkeys(("ours-prop", "sketch-prop", "ours-cal", "sketch-cal"), ((None, 1),)),
        },
        b2={"ours": ((None, 1),), "pyfixest": ((None, 1),), "statsmodels": ((None, 1),)},
        b3_repeats=1,
        b3_xlsx_rows=300,
        b6=((2_000, 12, 1),),
        notes="timings at this size mean nothing",
    ),
}


# ------------------------------------------------------------------------------ the data
def _source_hash() -> str:
    import shuangjian_eval as sje

    pkg = Path(sje.__file__).resolve().parent
    h = hashlib.sha1(str(sje.__version__).encode())
    for name in ("synth.py", "codebook.yaml", "policy.yaml", "codebook.py"):
        p = pkg / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:10]


def data_dir(profile: Profile, cache: Path) -> Path:
    key = json.dumps([profile.data_params(), _source_hash()], sort_keys=True)
    return cache / f"national-{profile.name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


@dataclass
class Dataset:
    """The cached national data of one profile (see :func:`prepare`)."""

    folder: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return int(sum(self.manifest["rows_per_wave"].values()))

    def files(self, size: Size) -> list[str]:
        """Parquet files holding ``size`` rows (None or at least all: the wave files)."""
        if size is None or size >= self.total_rows:
            return [str(self.folder / f"wave_{w}.parquet") for w in WAVES]
        return [str(self.folder / f"sample_{size}.parquet")]

    def rows(self, size: Size) -> int:
        return self.total_rows if size is None or size >= self.total_rows else int(size)

    @property
    def csv(self) -> Path:
        return self.folder / f"ingest_wave_{INGEST_WAVE}.gbk.csv"

    def xlsx(self, rows: int) -> Path:
        return self.folder / f"wjx-county-text-{rows}.xlsx"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare(profile: Profile, cache: Path, *, regenerate: bool = False) -> Dataset:
    """Generate (once) and cache the national data, its row samples and the GBK CSV.

    Whatever is already in the cache folder is kept; folders of the same profile made by an
    older generator (another key) are removed.
    """
    folder = data_dir(profile, cache)
    for old in cache.glob(f"national-{profile.name}-*"):
        if old != folder and old.is_dir():
            shutil.rmtree(old)
    if regenerate and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if not manifest:
        manifest = _generate(profile, folder)
        manifest_path.write_text(json.dumps(manifest, indent=1))
    data = Dataset(folder, manifest)
    missing = [n for n in profile.sizes() if n < data.total_rows]
    missing = [n for n in missing if not (folder / f"sample_{n}.parquet").exists()]
    _write_samples(folder, manifest["rows_per_wave"], missing)
    if not data.csv.exists():
        _write_gbk_csv(folder / f"wave_{INGEST_WAVE}.parquet", data.csv)
    xlsx = data.xlsx(profile.b3_xlsx_rows)
    if not xlsx.exists():
        from shuangjian_eval.inputs.examples_wenjuanxing import write_large_download

        t0 = time.perf_counter()
        tmp = xlsx.with_suffix(".tmp.xlsx")
        write_large_download(tmp, profile.b3_xlsx_rows)
        tmp.replace(xlsx)
        _log(
            f"  wrote {xlsx.name}: {profile.b3_xlsx_rows:,} submissions in {time.perf_counter() - t0:.1f} s"
        )
    return data


def _generate(profile: Profile, folder: Path) -> dict[str, Any]:
    import pandas as pd

    import shuangjian_eval as sje

    rows: dict[str, int] = {}
    started = time.perf_counter()
    for w in WAVES:  # one wave at a time: ~1.6 GB each at national scale, not 4x that
        t0 = time.perf_counter()
        df = sje.synth.generate(
            n_schools=profile.n_schools,
            students_per_school=profile.students_per_school,
            n_counties=profile.n_counties,
            waves=(w,),
            seed=SEED,  # the same seed: the same frame, schools and school effects every wave
        )
        df.attrs = {}  # the truth tables are not needed here
        tmp = folder / f".wave_{w}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(folder / f"wave_{w}.parquet")
        rows[str(w)] = len(df)
        _log(f"  generated wave {w}: {len(df):,} rows in {time.perf_counter() - t0:.1f} s")
        del df
        gc.collect()
    first = pd.read_parquet(folder / f"wave_{WAVES[0]}.parquet", columns=["school_id", "stratum"])
    return {
        "profile": profile.name,
        "params": profile.data_params(),
        "rows_per_wave": rows,
        "n_schools": int(first["school_id"].nunique()),
        "n_strata": int(first["stratum"].nunique()),
        "seconds": round(time.perf_counter() - started, 1),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _write_samples(folder: Path, rows: dict[str, int], sizes: Sequence[int]) -> None:
    """Simple random samples of rows (fixed seed), spread over the waves in proportion to
    their rows; weights are scaled by the inverse sampling fraction of their wave."""
    if not sizes:
        return
    import pandas as pd

    counts = np.array([rows[str(w)] for w in WAVES])
    picks: dict[int, list[np.ndarray]] = {}
    for n in sizes:  # largest-remainder allocation of n to waves
        rng = np.random.default_rng([SEED, n])  # the same sample whatever else is made
        ideal = n * counts / counts.sum()
        alloc = np.floor(ideal).astype(int)
        alloc[np.argsort(alloc - ideal)[: n - alloc.sum()]] += 1
        picks[n] = [
            np.sort(rng.choice(c, a, replace=False)) for c, a in zip(counts, alloc, strict=True)
        ]
    parts: dict[int, list[pd.DataFrame]] = {n: [] for n in sizes}
    for i, w in enumerate(WAVES):
        df = pd.read_parquet(folder / f"wave_{w}.parquet")
        for n in sizes:
            part = df.iloc[picks[n][i]].copy()
            part["weight"] = part["weight"] * (counts[i] / len(part))
            parts[n].append(part)
        del df
        gc.collect()
    for n in sizes:
        out = pd.concat(parts.pop(n), ignore_index=True)
        tmp = folder / f".sample_{n}.parquet.tmp"
        out.to_parquet(tmp, index=False)
        tmp.replace(folder / f"sample_{n}.parquet")
        _log(f"  wrote a sample of {n:,} rows")


def canonical_labelled(df: Any) -> Any:
    """The observed (not derived) codebook columns, with Chinese answer labels (是/否, 女/男,
    城镇/农村): how a canonical GBK export from a Chinese survey system looks."""
    from shuangjian_eval import codebook

    cb = codebook.load()
    out = df[[c for c in cb.observed if c in df.columns]].copy()
    for col in out.columns:
        var = cb[col]
        if var.dtype == "bool":
            t = (var.true_label or {"zh": "是"})["zh"]
            f = (var.false_label or {"zh": "否"})["zh"]
            out[col] = out[col].map({True: t, False: f}).astype(object)
        elif var.categories:
            out[col] = out[col].map({c: lab["zh"] for c, lab in var.categories.items()})
    return out


def _write_gbk_csv(parquet: Path, csv: Path) -> None:
    import pandas as pd

    t0 = time.perf_counter()
    df = canonical_labelled(pd.read_parquet(parquet))
    tmp = csv.with_name(f".{csv.name}.tmp")
    df.to_csv(tmp, index=False, encoding="gbk")
    tmp.replace(csv)
    mb = csv.stat().st_size / 2**20
    _log(f"  wrote {csv.name}: {len(df):,} rows x {df.shape[1]} columns, {mb:.0f} MiB GBK "
         f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip


def read_pandas(files: Sequence[str], columns: Sequence[str]) -> Any:
    """Only ``columns`` of the Parquet ``files`` as one pandas frame (dtypes as written)."""
    import pandas as pd
    import pyarrow.parquet as pq

    if len(files) == 1:
        return pd.read_parquet(files[0], columns=list(columns))
    table = pq.ParquetDataset(list(files)).read(columns=list(columns), use_pandas_metadata=True)
    return table.to_pandas(self_destruct=True, split_blocks=True)


# ------------------------------------------------------------------------------ measuring
def peak_rss() -> int:
    """This process's resident-set high-water mark, bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def median(times: Sequence[float]) -> float:
    return float(statistics.median(times))


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def rel_diff(a: Any, b: Any) -> float:
    """Largest ``|a - b| / |b|`` (NaN pairs equal; a NaN against a number is infinite)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = np.isnan(a) & np.isnan(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    d = np.where(both, 0.0, np.where(np.isnan(d), np.inf, d))
    return float(d.max(initial=0.0))


def machine() -> str:
    import platform

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def as_json(obj: Any) -> Any:
    """Dataclasses and numpy scalars to plain JSON values."""
    if hasattr(obj, "__dataclass_fields__"):
        return as_json(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): as_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [as_json(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
