"""What kind of file is it: the format from suffix and content, and the text encoding of CSV.

A file whose content is not what its suffix says (an ``.xlsx`` that is really an HTML table or a
CSV file), an encrypted workbook (an OLE2 container), an OLE2 file that is not a workbook or a damaged
zip is a clear error; a legacy Excel 97-2003 ``.xls`` (BIFF) workbook is read. CSV encodings are detected, not asked for: a BOM means UTF-8 with BOM (or UTF-16),
then strict UTF-8, then GB18030 (a superset of GBK); a file mixing UTF-8 and GBK lines, or in
neither, is an error that names the lines.

Large GBK/GB18030 files are not decoded whole: their multi-byte characters never contain the
bytes of a delimiter, quote or line break, so pyarrow splits them into fields as bytes and only
the distinct non-ASCII values are decoded (strictly), which makes GBK about as fast as UTF-8.
"""

from __future__ import annotations

import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from ..validate import IngestError

__all__ = [
    "FORMATS",
    "count_lines",
    "cut_partial_character",
    "decode",
    "detect_format",
    "parse_gb18030_bytes",
]

FORMATS = ("csv", "xlsx", "xls", "dta", "sav", "parquet")
_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".dta": "dta",
    ".sav": "sav",
    ".zsav": "sav",
    ".parquet": "parquet",
    ".pq": "parquet",
}
KIND_NAMES = {
    "csv": "a CSV text file",
    "xlsx": "an Excel .xlsx workbook",
    "dta": "a Stata .dta file",
    "sav": "an SPSS .sav file",
    "parquet": "a Parquet file",
    "html": "an HTML page",
    "zip": "a zip archive (not an Excel workbook)",
    "xls": "a legacy Excel 97-2003 .xls workbook",
    "pdf": "a PDF document",
    "binary": "a binary file of unknown type",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 14


def _content_kind(path: Path, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return "broken zip"
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    if head.startswith(_OLE):
        return "ole"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (
        len(head) > 3 and 102 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1
    ):
        return "dta"
    if head.startswith(b"%PDF"):
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<head", b"<meta")):
        return "html"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"
    if b"\x00" in head:
        return "binary"
    return "csv"


def detect_format(path: Path) -> str:
    """The format of ``path`` (one of :data:`FORMATS`), from its suffix and its content.

    Raises
    ------
    IngestError
        Empty file, a file whose content is not what its suffix says (an ``.xlsx`` that is
        really HTML or CSV), an encrypted workbook, an OLE2 file without a workbook, a damaged
        zip.
    """
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "the file is empty (0 bytes)", "Export the data again.")
    with path.open("rb") as f:
        head = f.read(8192)
    kind = _content_kind(path, head)
    claimed = _SUFFIX.get(path.suffix.lower())
    if kind == "ole":
        with path.open("rb") as f:
            body = f.read(min(size, 1 << 20))
        if "EncryptedPackage".encode("utf-16-le") in body:
            raise IngestError(
                path,
                "the workbook is password-protected (encrypted: an OLE2 container, not a zip)",
                "Open it in Excel, remove the password (File > Info > Protect Workbook > "
                "Encrypt with Password: clear it) and save it as .xlsx again.",
            )
        if "Workbook".encode("utf-16-le") not in body and "Book".encode("utf-16-le") not in body:
            raise IngestError(
                path,
                "this is an OLE2 container without an Excel workbook (a Word or other Office "
                "97-2003 file), not survey data",
                "Export the data as .xlsx, .xls, CSV, .dta, .sav or Parquet.",
            )
        kind = "xls"
    if kind == "broken zip":
        raise IngestError(
            path,
            "the file is a damaged or truncated zip container (an .xlsx is a zip) and cannot "
            "be opened",
            "Download or export it again; the copy you have is incomplete.",
        )
    if kind in ("html", "zip", "pdf", "binary"):
        fix = (
            "问卷星 and other platforms often send an HTML table named .xls: download the data "
            "as .xlsx or CSV instead."
            if kind == "html"
            else "Export the data as .xlsx, CSV, .dta, .sav or Parquet."
        )
        raise IngestError(path, f"the file is really {KIND_NAMES[kind]}, not survey data", fix)
    if claimed == "xls" and kind != "xls":
        raise IngestError(
            path,
            f"the file is named .xls but is really {KIND_NAMES[kind]}",
            f"Rename it to {'.' + kind if kind != 'csv' else '.csv'} and load it again.",
        )
    if claimed is not None and claimed != kind:
        raise IngestError(
            path,
            f"the file is named {path.suffix} but is really {KIND_NAMES[kind]}",
            f"Rename it with the suffix of {KIND_NAMES[kind]} (.{kind}) and load it again.",
        )
    return kind


# ------------------------------------------------------------------------------------------
# encodings


def _line_of(data: bytes, pos: int) -> int:
    """The line of byte ``pos``; lines end in ``\\r\\n``, ``\\n`` or a lone ``\\r``."""
    return data.count(b"\n", 0, pos) + data.count(b"\r", 0, pos) - data.count(b"\r\n", 0, pos) + 1


def _utf8_chinese(chunk: bytes) -> int | None:
    """Offset of the first CJK character if ``chunk`` is UTF-8 text with Chinese in it.

    GBK bytes are sometimes valid UTF-8 by accident, but then decode to Latin letters, not to
    CJK characters; text with CJK and no Latin-extended letters counts as real UTF-8.
    """
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    m = re.search("[\u4e00-\u9fff]", text)
    if m is None or re.search("[\u0080-\u024f]", text):
        return None
    return len(text[: m.start()].encode("utf-8"))


def _find_utf8_line(data: bytes, error_pos: int) -> int | None:
    """Byte offset of a whole line of Chinese UTF-8 text in a file that is not all UTF-8."""
    start_of_bad = data.rfind(b"\n", 0, error_pos) + 1
    hit = _utf8_chinese(data[:start_of_bad])
    if hit is not None:
        return hit
    pos = data.find(b"\n", error_pos) + 1
    while 0 < pos < len(data):
        end = data.find(b"\n", min(pos + _CHUNK, len(data) - 1))
        end = len(data) if end < 0 else end + 1
        chunk = data[pos:end]
        try:
            chunk.decode("utf-8")
            whole = chunk
        except UnicodeDecodeError as exc:
            whole = chunk[: chunk.rfind(b"\n", 0, exc.start) + 1]
        hit = _utf8_chinese(whole) if whole else None
        if hit is not None:
            return pos + hit
        pos = end
    return None


def _utf8_error(data: bytes) -> tuple[int, str] | None:
    """Offset and reason of the first byte that is not UTF-8, or None.

    The first megabyte is tried alone: a failing ``bytes.decode`` copies its whole input into
    the exception, which costs as much as the decode on a large GBK file.
    """
    probe = data[: 1 << 20]
    try:
        probe.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_char = exc.reason == "unexpected end of data" and exc.end >= len(probe)
        if not (cut_char and len(probe) < len(data)):
            return exc.start, exc.reason
    if len(probe) == len(data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start, exc.reason
    return None


def decode(data: bytes, source: Path, transcode: bool = True) -> tuple[bytes, str, list[str]]:
    """UTF-8 bytes of a CSV file and its detected encoding.

    BOM means UTF-8 with BOM (or UTF-16); otherwise strict UTF-8; otherwise GB18030 (a
    superset of GBK). A file with lines of both kinds, or in neither, is an error. With
    ``transcode=False`` a GB18030 file comes back as it is (the caller decodes it piece by
    piece and calls this again for the error message when a piece does not decode).
    """
    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8"), "utf-16", warnings
    bom = data.startswith(b"\xef\xbb\xbf")
    encoding = "utf-8-sig" if bom else "utf-8"
    if bom:
        data = data[3:]
    error = _utf8_error(data)
    if error is None:
        return data, encoding, warnings
    bad, reason = error
    if reason == "unexpected end of data" and bad >= len(data) - 3:
        warnings.append("the file ends in the middle of a character: it is truncated")
        return data[:bad], encoding, warnings
    utf8_at = _find_utf8_line(data, bad)
    if utf8_at is not None or bom:
        first_utf8 = _line_of(data, utf8_at) if utf8_at is not None else 1
        raise IngestError(
            source,
            "mixed encodings: some lines are UTF-8 and others are not (GBK?); the first "
            f"UTF-8 line with Chinese text is line {first_utf8}, the first line that is not "
            f"UTF-8 is line {_line_of(data, bad)}",
            "The file was probably pasted together from exports with different encodings: "
            "re-export all parts in one encoding (CSV UTF-8) and combine them again.",
        )
    if not transcode:
        return data, "gb18030", warnings
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line_end = data.find(b"\n", exc.start)
        if _utf8_chinese(data[line_start : line_end if line_end >= 0 else len(data)]) is not None:
            raise IngestError(
                source,
                "mixed encodings: some lines are UTF-8 and others are not (GBK?); the first "
                f"UTF-8 line with Chinese text is line {_line_of(data, exc.start)}, the first "
                f"line that is not UTF-8 is line {_line_of(data, bad)}",
                "Re-export all parts in one encoding (CSV UTF-8) and combine them again.",
            ) from None
        if exc.reason.startswith("incomplete") and exc.start >= len(data) - 4:
            warnings.append("the file ends in the middle of a character: it is truncated")
            text = data[: exc.start].decode("gb18030")
        else:
            snippet = data[exc.start : exc.start + 4]
            raise IngestError(
                source,
                "unknown encoding: the file is neither UTF-8 nor GBK/GB18030 (undecodable "
                f"bytes {snippet!r} on line {_line_of(data, exc.start)})",
                "Save it as CSV UTF-8 (Excel: Save As > CSV UTF-8) and load it again.",
            ) from None
    return text.encode("utf-8"), "gb18030", warnings


# ------------------------------------------------------------------------------------------
# GB18030 without decoding the whole file


def gb18030_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """GB18030 bytes to text: ASCII chunks are cast as they are, other chunks decode each
    distinct value once (raises UnicodeDecodeError on bytes that are not GB18030)."""
    out = []
    for chunk in col.chunks:
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        raw = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        used = raw[offsets[0] : offsets[-1]] if len(offsets) else raw[:0]
        if not len(used) or used.max() < 0x80:
            out.append(chunk.cast(pa.string()))
            continue
        enc = chunk.dictionary_encode()
        words = [w.decode("gb18030") for w in enc.dictionary.to_pylist()]
        text = pa.DictionaryArray.from_arrays(enc.indices, pa.array(words, pa.string()))
        out.append(text.cast(pa.string()))
    return pa.chunked_array(out, pa.string())


def parse_gb18030_bytes(
    buf: bytes, start: int, names: list[str], delimiter: str
) -> pa.Table | None:
    """Tokenise GB18030 text as bytes and decode only the distinct non-ASCII values.

    GBK/GB18030 multi-byte characters never contain the bytes of ``,`` ``;`` tab, ``"``, CR or
    LF, so the file splits into fields without decoding it. None when this fast path does not
    apply (``|`` as delimiter, a malformed row, a value spanning lines): then the file is
    decoded whole.
    """
    if delimiter not in (",", ";", "\t"):
        return None
    try:
        table = pv.read_csv(
            pa.py_buffer(memoryview(buf)[start:]),
            read_options=pv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.binary()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid:
        return None
    if buf.find(b'"', start) >= 0 and table.num_rows != count_lines(buf, start):
        return None  # a quoted value spans lines
    try:
        with ThreadPoolExecutor(
            max_workers=os.cpu_count() or 1
        ) as pool:  # Arrow lets go of the GIL
            return pa.table(dict(zip(names, pool.map(gb18030_column, table.columns), strict=True)))
    except UnicodeDecodeError:
        return None  # the strict decode below reports where


def count_lines(buf: bytes, start: int = 0) -> int:
    """Number of lines from ``start`` (a last line without a line break counts); lines end in
    ``\\r\\n``, ``\\n`` or a lone ``\\r``, as pyarrow splits them."""
    if start >= len(buf):
        return 0
    breaks = buf.count(b"\n", start) + buf.count(b"\r", start) - buf.count(b"\r\n", start)
    return breaks + (0 if buf.endswith((b"\n", b"\r")) else 1)


def cut_partial_character(buf: bytes, encoding: str, warnings: list[str]) -> bytes:
    """Drop an incomplete multi-byte character at the very end of a GB18030 file."""
    if encoding != "gb18030":
        return buf
    tail = buf.rfind(b"\n") + 1
    try:
        buf[tail:].decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.reason.startswith("incomplete") and tail + exc.start >= len(buf) - 4:
            warnings.append("the file ends in the middle of a character: it is truncated")
            return buf[: tail + exc.start]
    return buf
