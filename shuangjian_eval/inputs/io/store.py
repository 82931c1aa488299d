"""Canonical survey data on disk: one Parquet file, or a folder partitioned by wave.

A national survey adds a wave a year. As one file, every new wave rewrites every old one; as a
folder partitioned by wave (``survey/wave=2019/part-0.parquet``, Hive style), a new wave is
one more folder, and a step that needs some waves reads only those. Both forms hold the same
canonical data (the codebook's columns and dtypes) and every reader here gives the same
DataFrame from either: the ``wave`` column comes back with the codebook's dtype, not as the
category a partition key would become.

- :func:`write_canonical`: write a file or a partitioned folder; into an existing folder, the
  waves present in the data replace theirs and the others are kept;
- :func:`read_canonical`: read all or some columns, optionally with row filters;
- :func:`data_files`, :func:`fingerprint`, :func:`stat_key`: the files, their SHA-256 (the
  data's fingerprint in manifests and caches) and a cheap size/mtime key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...base.files import atomic_path

__all__ = ["data_files", "fingerprint", "read_canonical", "stat_key", "write_canonical"]

PARTITION = "wave"


def data_files(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of ``path`` (the file itself, or every ``*.parquet`` of a folder,
    sorted); ``FileNotFoundError`` when there is none."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*.parquet") if not f.name.startswith("."))
        if not files:
            raise FileNotFoundError(f"{p} holds no Parquet files")
        return files
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist")
    return [p]


def fingerprint(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of the data: a file's bytes, or for a folder each file's relative name and
    bytes in order (so renaming or moving a wave changes it)."""
    root, h = Path(path), hashlib.sha256()
    files = data_files(root)
    for f in files:
        if root.is_dir():
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()


def stat_key(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(total size, newest modification time in ns) of the data files: equal keys mean the
    same files unless someone kept sizes and times while changing bytes."""
    stats = [f.stat() for f in data_files(path)]
    return sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)


def read_canonical(
    path: str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """Read canonical data from a file or a partitioned folder.

    ``columns``: only these (None: all); ``filters``: pyarrow row filters, e.g.
    ``[("county", "==", "样本县001")]`` or ``[("wave", "in", [2019, 2022])]`` (in a folder,
    a filter on the wave skips the other waves' files).
    """
    p = Path(path)
    cols = None if columns is None else list(columns)
    if not p.is_dir():
        return pd.read_parquet(p, columns=cols, filters=filters)
    data_files(p)  # a clear error for an empty folder
    df = pd.read_parquet(p, columns=cols, filters=filters, partitioning="hive")
    if PARTITION in df.columns:  # a partition key comes back as a category of its values
        from ..codebook import load

        cb = load()
        df[PARTITION] = pd.to_numeric(df[PARTITION].astype(str)).astype(cb[PARTITION].pandas_dtype)
        if cols is None:  # the key back in its codebook place, as in a single file
            rank = {name: i for i, name in enumerate(cb.variables)}
            df = df[sorted(df.columns, key=lambda c: rank.get(c, len(rank)))]
    return df


#: Columns whose row-group statistics (min, max) are written: those that row filters select
#: on (region, wave, school, grade). Those of the measurements serve no reader and were a
#: sixth of the time of writing a wave.
FILTER_COLUMNS = ("wave", "province", "city", "county", "school_id", "stratum", "grade", "stage")


def write_canonical(
    df: pd.DataFrame, path: str | os.PathLike[str], *, partition_by_wave: bool = False
) -> Path:
    """Write canonical data atomically: one Parquet file, or with ``partition_by_wave`` a
    folder with one sub-folder per wave. Into an existing folder, each wave of ``df`` replaces
    that wave's folder (written aside, then swapped in) and other waves stay. Statistics are
    written for :data:`FILTER_COLUMNS`."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not partition_by_wave:
        if p.is_dir():
            raise ValueError(f"{p} is a partitioned folder: write it with partition_by_wave")
        with atomic_path(p) as tmp:
            df.to_parquet(tmp, index=False, **_write_options(df))
        return p
    if p.exists() and not p.is_dir():
        raise ValueError(f"{p} is a single file: write a partitioned folder elsewhere")
    if PARTITION not in df.columns or df[PARTITION].isna().any():
        raise ValueError(f"partitioning by wave needs a {PARTITION!r} value on every row")
    p.mkdir(exist_ok=True)
    for wave, part in df.groupby(PARTITION, sort=True, observed=True):
        target = p / f"{PARTITION}={int(wave)}"
        staging = Path(tempfile.mkdtemp(dir=p, prefix=f".{target.name}."))
        try:
            part = part.drop(columns=[PARTITION])
            part.to_parquet(staging / "part-0.parquet", index=False, **_write_options(part))
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
            os.replace(staging, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return p


def _write_options(df: pd.DataFrame) -> dict[str, Any]:
    """Statistics for :data:`FILTER_COLUMNS` only; dictionary encoding for every column but
    the floating-point ones (minutes, hours, spend: trying a dictionary on them cost a fifth
    of the writing time for 3 % of the file's size)."""
    keys = [c for c in FILTER_COLUMNS if c in df.columns]
    coded = [c for c in df.columns if not pd.api.types.is_float_dtype(df[c].dtype)]
    return {"write_statistics": keys or False, "use_dictionary": coded or False}
