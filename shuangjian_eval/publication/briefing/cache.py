"""The briefing cache: reading a saved briefing, and computing many at once.

:func:`load` reads a file written by :meth:`Briefing.save` (no estimation stack needed);
:func:`load_or_compute` uses a cache when given (checked against the region, ``min_cell`` and the
data file's facts) or computes; :func:`precompute` reads the data once and writes the briefings
of many regions (:func:`cache_file`), in this process or in worker processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any

import pandas as pd

from ...inputs import regions as _regions
from .. import formatting as fmt
from .. import suppression
from ._common import (
    _FORMAT,
    FORMAT_VERSION,
    _frame_from_json,
    _LazyFrames,
)
from .compute import _compute, _Prepared, _strata_rows, area_scorecard, compute
from .model import Briefing


def load(path: str | os.PathLike[str]) -> Briefing:
    """Read a briefing written by :meth:`Briefing.save`.

    Raises
    ------
    ValueError
        When the file is not a briefing, or of another format version.
    """
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a briefing file (written by Briefing.save)")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} is a briefing of format version {doc.get('version')}; this version of "
            f"shuangjian_eval reads version {FORMAT_VERSION}: compute it again (precompute)"
        )
    docs = dict(doc["frames"])
    return Briefing(
        meta=doc["meta"],
        scorecard=_frame_from_json(docs.pop("scorecard")),
        frames=_LazyFrames(docs),
        text=doc["text"],
        verdict_rules=doc.get("verdict_rules", {}),
        images=doc.get("images", {}),
    )


# never used by a briefing: not read (at national scale the largest column, ~0.5 GB of text)
_UNREAD = ("respondent_id",)


def _read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read canonical survey Parquet: every row (a region is a domain of the full design),
    every column but the respondent key."""
    import pyarrow.parquet as pq

    from ...inputs.io.store import PARTITION, data_files, read_canonical

    files = data_files(path)
    names = [*pq.read_schema(files[0]).names, *([PARTITION] if Path(path).is_dir() else [])]
    return read_canonical(path, columns=[c for c in dict.fromkeys(names) if c not in _UNREAD])


def _file_facts(path: str | os.PathLike[str]) -> dict[str, Any]:
    from ...inputs.io.store import fingerprint, stat_key

    size, mtime = stat_key(path)
    return {
        "data_file": Path(path).name,
        "data_sha256": fingerprint(path),
        "data_size": size,
        "data_mtime_ns": mtime,
    }


def load_or_compute(
    data_path: str | os.PathLike[str],
    *,
    region: str = _regions.ALL,
    cache_path: str | os.PathLike[str] = "",
    min_cell: int | None = None,
    plan: str = "auto",
) -> Briefing:
    """The briefing of ``region``: from ``cache_path`` when given and present, else computed.

    Computing reads the whole data file (the region is a domain of the full design, so a
    cached and a computed briefing agree). A cache must be of the same region and ``min_cell``,
    and of the same data when ``data_path`` exists (checked by size and modification time,
    and by SHA-256 only when these differ); otherwise a ValueError says what differs.
    ``min_cell`` None: the scorecard's rule (``suppression.rule_for("scorecard")``).
    """
    min_cell = suppression.min_cell_for(min_cell, "scorecard")
    if cache_path and Path(cache_path).exists():
        b = load(cache_path)
        if b.region != region:
            raise ValueError(f"cache {cache_path} is for region {b.region!r}, not {region!r}")
        if int(b.meta["min_cell"]) != int(min_cell):
            raise ValueError(
                f"cache {cache_path} suppresses cells below {b.meta['min_cell']} respondents, "
                f"this report asks for {min_cell}: precompute with min_cell={min_cell}"
            )
        cached = b.meta.get("plan") or {}
        if (cached.get("kind") if cached.get("forced") else "auto") != plan:
            raise ValueError(
                f"cache {cache_path} was computed with plan "
                f"{cached.get('kind') if cached.get('forced') else 'auto'!r}, this report asks "
                f"for {plan!r}: precompute with plan={plan!r}"
            )
        _check_same_data(b, data_path, cache_path)
        return b
    if not Path(data_path).exists():
        raise FileNotFoundError(
            f"data file {data_path} does not exist; run 'sje synth' or 'sje ingest'"
        )
    df = _read_data(data_path)
    return compute(
        df, region=region, min_cell=min_cell, data_facts=_file_facts(data_path), plan=plan
    )


def _check_same_data(b: Briefing, data_path: Any, cache_path: Any) -> None:
    m = b.meta
    if not data_path or not Path(data_path).exists() or not m.get("data_sha256"):
        return
    from ...inputs.io.store import fingerprint, stat_key

    if stat_key(data_path) == (m.get("data_size"), m.get("data_mtime_ns")):
        return
    if fingerprint(data_path) != m["data_sha256"]:
        raise ValueError(
            f"cache {cache_path} was computed from other data than {data_path} "
            f"(SHA-256 {m['data_sha256'][:16]}...): precompute it again"
        )


def cache_file(cache_dir: str | os.PathLike[str], region: str) -> Path:
    """Where :func:`precompute` writes the briefing of ``region``: a readable name and a short
    hash of the region (two names with the same readable form stay apart)."""
    digest = hashlib.sha1(region.encode("utf-8")).hexdigest()[:8]
    return Path(cache_dir) / f"{_regions.slug(region)}.{digest}.briefing.json"


def precompute(
    data_path: str | os.PathLike[str],
    regions: str | Sequence[str],
    cache_dir: str | os.PathLike[str],
    *,
    min_cell: int | None = None,
    langs: Sequence[str] = ("zh",),
    workers: int = 1,
    policy: Any = None,
    plan: str = "auto",
) -> dict[str, Path]:
    """Compute, render and save the briefings of many regions, reading the data once.

    Parameters
    ----------
    data_path : path
        Canonical survey Parquet.
    regions : str or sequence of str
        Region names, ``"all"``, or ``"each"`` (every county); a comma-separated string is
        split.
    cache_dir : path
        Folder for the files (created); one file per region (:func:`cache_file`).
    min_cell : int, optional
        As :func:`compute` (the notebooks' ``min_cell`` must be the same); None: the
        scorecard's rule (``suppression.rule_for("scorecard")``).
    langs : sequence of {"zh", "en"}
        The languages of the reports to come (the run's): their sentences are written and
        their charts rendered into the cache, so that a report notebook only shows them; a
        briefing then refuses another language. ``()``: the sentences in every language, the
        drawing left to the notebooks.
    workers : int
        Worker processes (each receives the data once); 1 computes here.
    plan : str
        As :func:`compute` (the notebooks' ``plan`` must be the same).

    Returns
    -------
    dict
        Region -> path of its briefing, to pass to each notebook as ``cache_path``.

    Raises
    ------
    ValueError
        Before anything is written, for a region that is not in the data or a bad option.
    """
    from ...inputs import policy as _policy

    regions = _regions.split(regions)
    for lang in langs:
        fmt.check_lang(lang)
    min_cell = suppression.min_cell_for(min_cell, "scorecard", policy)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    settings = {
        "min_cell": int(min_cell),
        "facts": _file_facts(data_path),
        "cache_dir": str(cache_dir),
        "langs": tuple(langs),
    }
    if _regions.EACH not in regions:  # else the number of regions is known once the data are read
        workers = min(workers, len(set(regions)) or 1)
    with contextlib.ExitStack() as stack:
        pool = _start_workers(workers, settings, stack) if workers > 1 else None
        df = _read_data(data_path)  # while the workers start (their imports take seconds)
        chosen = _regions.expand(regions, _regions.counties(df))
        prep = _Prepared.of(df, policy or _policy.load(), plan)
        del df
        cut = [r for r in chosen if r != _regions.ALL and "stratum" in prep.df.columns]
        rows = _strata_rows(prep.df, cut) if cut else {}
        # one region's rows at a time: a worker receives only what it needs
        counties = [r for r in chosen if r != _regions.ALL]
        several = len(_regions.counties(prep.df)) > 1  # else the area is the county itself
        area = area_scorecard(prep, int(min_cell)) if counties and several else None
        parts = ((r, prep.take(r, rows[r]) if r in rows else prep, area) for r in chosen)
        if pool is None:
            _WORKER.update(settings)
            try:
                return dict(_precompute_one(part) for part in parts)
            finally:
                _WORKER.clear()
        done: dict[str, Path] = {}
        running: set[Any] = set()
        for part in parts:  # a few regions in flight, so that memory stays flat
            running.add(pool.submit(_precompute_one, part))
            if len(running) >= 2 * workers:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                done.update(f.result() for f in finished)
        done.update(f.result() for f in wait(running).done)
    return {r: done[r] for r in chosen}


def _start_workers(workers: int, settings: dict[str, Any], stack: contextlib.ExitStack) -> Any:
    """A pool of ``workers`` processes, started now (each imports the estimation and drawing
    stack as it starts) and shut down with ``stack``."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold threads (Arrow's), which fork does not copy safely
    pool = stack.enter_context(
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings,),
        )
    )
    for _ in range(workers):  # a process is started for each task that finds none idle
        pool.submit(int)
    return pool


_WORKER: dict[str, Any] = {}


def _init_worker(settings: dict[str, Any]) -> None:
    from .. import plots, targets  # noqa: F401  (imported now, while the data are read)

    _WORKER.update(settings)


def _precompute_one(part: tuple[str, _Prepared, Any]) -> tuple[str, Path]:
    region, prep, area = part
    w = _WORKER
    # the sentences in the run's language only; both when no language is given
    b = _compute(prep, region, w["min_cell"], w["facts"], w["langs"] or fmt.LANGS, area=area)
    b.render(w["langs"])
    return region, b.save(cache_file(w["cache_dir"], region))
