"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

The content goes to a temporary file in the target's folder (so that the rename stays on one
file system), is flushed to disk (``fsync``), gets the permissions of a newly created file
(the umask's; ``mkstemp`` alone makes ``0600``, and a published page must be readable), and
replaces the target with :func:`os.replace`. On any error the temporary file is removed (or
kept under another name, see :func:`atomic_path`) and the target is untouched.

:func:`fixed_zip` rewrites a zip container (.xlsx, .docx) with fixed entry times, so that the
same content always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write", "fixed_zip"]

_UMASK = os.umask(0)
os.umask(_UMASK)


def _finish(tmp: Path, path: Path) -> None:
    """fsync ``tmp``, give it a new file's permissions and rename it to ``path``."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str],
    *,
    tmp: str | os.PathLike[str] | None = None,
    failed: str | os.PathLike[str] | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a library to write to (Parquet, a notebook);
    when the block ends without error, the file there replaces ``path`` atomically.

    Parameters
    ----------
    path : path-like
        The target; its folder is created.
    tmp : path-like, optional
        The temporary name to use (in the same folder), for a caller that must find the file
        while it is written; default a fresh ``.{name}.*.tmp``.
    failed : path-like, optional
        Where a partly written file is kept when the block raises an ``Exception`` (for
        diagnosis); by default, and on an interrupt, it is removed.

    Examples
    --------
    >>> with atomic_path("out/data.parquet") as tmp:  # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tmp is None:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = name
    tmp = Path(tmp)
    try:
        yield tmp
        _finish(tmp, path)
    except BaseException as exc:
        if failed is not None and isinstance(exc, Exception) and tmp.exists():
            os.replace(tmp, failed)
        else:
            tmp.unlink(missing_ok=True)
        raise


def atomic_write(
    path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8"
) -> Path:
    """Write ``data`` (text in ``encoding``, or bytes) to ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding=encoding, newline="") as fh:
                fh.write(data)
    return path


def fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip (an .xlsx, .docx) with fixed entry times and save time, so that the same
    content gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2022, 12, 1, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2022-12-01T09:00:00Z", body
                )
            dst.writestr(fixed, body)
    return out.getvalue()
