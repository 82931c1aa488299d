"""Readers: file type by suffix and sniffed content, encodings, and one reader per format.

Every reader returns a :class:`RawTable`: raw headers, one array of raw cells per column, the row
number a user would see for each row, and what the format adds (value labels, variable labels,
Excel-date cells, malformed rows). Nothing is interpreted here: CSV and Excel cells stay text,
so that ``"N/A"``, ``"不知道"`` or ``"12岁"`` reach validation as written.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from ..validate import IngestError
from .formats import (
    FORMATS,
    count_lines,
    cut_partial_character,
    decode,
    detect_format,
    parse_gb18030_bytes,
)

__all__ = ["FORMATS", "RawTable", "detect_format", "read"]

_PIECE = 1 << 25  # GB18030 bytes decoded at a time while the previous piece is parsed
_CONTENT = re.compile(rb"\S")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass
class RawTable:
    """Raw cells of one input file, before mapping.

    Attributes
    ----------
    headers : list of str
        Raw headers in file order (possibly duplicated or blank).
    columns : list
        One array of raw cells per header (pyarrow string arrays, or numbers for dta/sav/parquet).
    source_row : ndarray of int
        The row number a user would see for each row.
    malformed : list of (int, list of str, int)
        Rows that could not be parsed: row number, fields, expected number of fields.
    """

    headers: list[str]
    columns: list[Any]
    source_row: np.ndarray
    malformed: list[tuple[int, list[str], int]] = field(default_factory=list)
    labels: dict[int, dict[Any, str]] = field(default_factory=dict)
    aliases: dict[int, list[str]] = field(default_factory=dict)
    excel_dates: dict[int, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    delimiter: str = ","

    @property
    def n_rows(self) -> int:
        return len(self.source_row)

    def sample(self, i: int, k: int = 1000) -> pd.Series:
        """The first ``k`` raw values of column ``i`` (for identifier detection)."""
        col = self.columns[i]
        if isinstance(col, (pa.Array, pa.ChunkedArray)):
            return pd.Series(col.slice(0, k).to_pylist(), dtype=object)
        return pd.Series(col[:k])


# ------------------------------------------------------------------------------------------
# headers


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _two_row_header(row1: list[str], row2: list[str]) -> bool:
    """A header whose first row has blank (merged) cells filled in by a second header row."""
    blanks = [i for i, h in enumerate(row1) if not h.strip()]
    if not blanks or len(blanks) == len(row1):
        return False
    row2 = row2 + [""] * (len(row1) - len(row2))
    return all(row2[i].strip() for i in blanks) and not any(_is_number(c) for c in row2 if c)


def _merged_header_error(source: Path) -> IngestError:
    return IngestError(
        source,
        "the header spans two rows (merged header cells: the first row has blank cells that "
        "the second row fills in)",
        "Set 'header_rows: 2' in the mapping profile (the two rows are joined as 'top/bottom'), "
        "or unmerge the header into one row.",
    )


def _join_header(row1: list[str], row2: list[str]) -> tuple[list[str], dict[int, list[str]]]:
    n = max(len(row1), len(row2))
    row1, row2 = row1 + [""] * (n - len(row1)), row2 + [""] * (n - len(row2))
    top, headers, aliases = "", [], {}
    for i in range(n):
        top = row1[i].strip() or top
        bottom = row2[i].strip()
        headers.append(f"{top}/{bottom}" if top and bottom and top != bottom else top or bottom)
        if bottom:
            aliases[i] = [bottom]
    return headers, aliases


def _headers(
    rows: list[list[str]], header_rows: int, source: Path, has_data: bool
) -> tuple[list[str], dict[int, list[str]]]:
    if not rows:
        raise IngestError(source, "the file has no header row", "Export the data again.")
    if not any(str(h).strip() for h in rows[0]):
        raise IngestError(
            source,
            "the first row is blank, but it must be the header (the column names)",
            "Delete the blank rows above the header and load the file again.",
        )
    width = max(len(r) for r in rows[:2])
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    if header_rows == 2:
        if len(rows) < 2:
            raise IngestError(source, "header_rows is 2 but the file has one row")
        return _join_header(rows[0], rows[1])
    if has_data and len(rows) > 1 and _two_row_header(rows[0], rows[1]):
        raise _merged_header_error(source)
    return [h.strip() for h in rows[0]], {}


def _no_data(source: Path) -> IngestError:
    return IngestError(
        source,
        "the file has a header but no data rows",
        "Check that you exported the responses, not only the questionnaire.",
    )


# ------------------------------------------------------------------------------------------
# CSV


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _arrow_csv(
    buf: bytes, names: list[str], delimiter: str, threads: bool, newlines: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """Parse header-less CSV text; rows with the wrong number of fields are collected."""
    invalid: list[tuple[int | None, str]] = []

    def handler(row) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    table = pv.read_csv(
        pa.py_buffer(buf),
        read_options=pv.ReadOptions(column_names=names, use_threads=threads, block_size=1 << 24),
        parse_options=pv.ParseOptions(
            delimiter=delimiter,
            invalid_row_handler=handler,
            ignore_empty_lines=False,
            newlines_in_values=newlines,
        ),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    if any(n is None for n, _ in invalid):  # row numbers are only known single-threaded
        return _arrow_csv(buf, names, delimiter, False, newlines)
    return table, invalid


class _QuotedNewlines(Exception):
    """A piece boundary may cut a quoted field: parse the file as a whole."""


def _parse_piece(
    buf: bytes, names: list[str], delimiter: str
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    table, invalid = _arrow_csv(buf, names, delimiter, True, False)
    if any(t.count('"') % 2 for _, t in invalid):
        raise _QuotedNewlines
    return table, invalid


def _pieces(body: bytes, size: int) -> list[bytes]:
    out, pos = [], 0
    while pos < len(body):
        end = body.find(b"\n", min(pos + size, len(body) - 1))
        end = len(body) if end < 0 else end + 1
        out.append(body[pos:end])
        pos = end
    return out


def _parse_body(
    buf: bytes, start: int, encoding: str, names: list[str], delimiter: str, source: Path
) -> tuple[pa.Table, list[tuple[int, str]], int, bool]:
    """Parse the data rows from byte ``start`` on: (table, invalid rows with 1-based record
    numbers, number of records, whether records span lines).

    GB18030 is first tokenised as bytes (:func:`~.formats.parse_gb18030_bytes`); failing that,
    it is decoded piece by piece while the previous piece is parsed in the background (pyarrow
    releases the GIL), so decoding and parsing overlap.
    """
    if encoding == "gb18030":
        table = parse_gb18030_bytes(buf, start, names, delimiter)
        if table is not None:
            return table, [], table.num_rows, False
        pieces = _pieces(buf[start:], _PIECE)
    else:
        pieces = [memoryview(buf)[start:]]
    quoted = buf.find(b'"', start) >= 0
    tables, invalid, offset = [], [], 0
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            jobs = []
            for piece in pieces:
                if encoding == "gb18030":
                    try:
                        utf8 = piece.decode("gb18030").encode("utf-8")
                    except UnicodeDecodeError:
                        decode(buf, source)  # raises the error with its line numbers
                        raise
                else:
                    utf8 = piece
                jobs.append((offset, pool.submit(_parse_piece, utf8, names, delimiter)))
                offset += count_lines(piece) if isinstance(piece, bytes) else 0
            for off, job in jobs:
                table, bad = job.result()
                tables.append(table)
                invalid += [(n + off, t) for n, t in bad]
        records = sum(t.num_rows for t in tables) + len(invalid)
        if encoding != "gb18030":
            offset = count_lines(buf, start) if quoted else records
        if records != offset:
            raise _QuotedNewlines  # records and lines differ: number records by lines
    except (_QuotedNewlines, pa.ArrowInvalid):
        body = buf[start:]
        whole = body if encoding != "gb18030" else body.decode("gb18030").encode("utf-8")
        try:
            table, invalid = _arrow_csv(whole, names, delimiter, False, True)
        except pa.ArrowInvalid as exc:
            raise IngestError(
                source, f"the CSV cannot be parsed ({exc})", "Check the quoting and export again."
            ) from None
        return table, invalid, table.num_rows + len(invalid), True
    return pa.concat_tables(tables), invalid, offset, False


def _physical_lines(
    source_row: np.ndarray, columns: list[pa.ChunkedArray], invalid: list, last: int
) -> tuple[np.ndarray, list]:
    """Line numbers of records when quoted values contain line breaks."""
    extra = np.zeros(last + 2, dtype=np.int64)
    inside = np.zeros(len(source_row), dtype=np.int64)
    for col in columns:
        for brk, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):  # as pyarrow splits lines
            found = pc.fill_null(pc.count_substring(col, brk), 0).to_numpy().astype(np.int64)
            inside += sign * found
    extra[source_row] = inside
    for n, t, _ in invalid:
        extra[n] = t.count("\n") + t.count("\r") - t.count("\r\n")
    before = np.concatenate([[0], np.cumsum(extra)[:-1]])
    lines = source_row + before[source_row]
    return lines, [(n + int(before[n]), t, x) for n, t, x in invalid]


def _lines(buf: bytes, encoding: str, consumed: list[int]) -> Iterator[str]:
    """The lines of ``buf`` as text, with their line breaks: ``\\r\\n``, ``\\n`` or a lone ``\\r``,
    as pyarrow splits them (not :meth:`str.splitlines`, which also splits on U+2028, U+0085
    and other characters that are text inside a CSV cell). The byte offset after each line
    handed out is appended to ``consumed``."""
    pos = 0
    for m in _LINE_BREAK.finditer(buf):
        consumed.append(m.end())
        yield buf[pos : m.end()].decode(encoding, errors="replace")
        pos = m.end()
    if pos < len(buf):
        consumed.append(len(buf))
        yield buf[pos:].decode(encoding, errors="replace")


def _head_records(
    buf: bytes, encoding: str, header_rows: int, source: Path
) -> tuple[list[list[str]], str, int]:
    """The header records (and the next ones, to tell a header that spans two rows), the
    delimiter and the byte offset where the data rows start. A record ends at a line break
    outside quotes, so a quoted header cell may hold line breaks; only the lines these records
    take are decoded."""
    text_encoding = "gb18030" if encoding == "gb18030" else "utf-8"
    end = _LINE_BREAK.search(buf)
    first = buf[: end.start() if end else len(buf)].decode(text_encoding, errors="replace")
    delimiter = _sniff_delimiter(first)
    rows: list[list[str]] = []
    consumed: list[int] = []
    reader = csv.reader(_lines(buf, text_encoding, consumed), delimiter=delimiter)
    start = None
    for k in range(max(3, header_rows + 1)):
        line = len(consumed) + 1
        try:
            rows.append(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:  # a cell beyond the csv module's field size limit
            if k >= header_rows:
                break  # a data row: pyarrow reads it; it only served to tell a merged header
            raise IngestError(
                source,
                f"the header row on line {line} cannot be read ({exc}: a header cell of more "
                f"than {csv.field_size_limit():,} characters, or a quote that is not closed)",
                "Shorten the header cells to the question texts (or close the quote) and export "
                "again.",
            ) from None
        if k == header_rows - 1:
            start = consumed[-1]
    return rows, delimiter, len(buf) if start is None else start


def _fields(text: str, delimiter: str) -> list[str]:
    """The fields of a row that could not be parsed, to show it (and hide identifiers in it)."""
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # a cell beyond the csv module's field size limit, or a stray line break
        return text.split(delimiter)


def read_csv(path: Path, header_rows: int = 1) -> RawTable:
    """Read a CSV file as text cells; wrong-length rows become ``malformed`` with their line."""
    data = path.read_bytes()
    buf, encoding, warnings = decode(data, path, transcode=False)
    if not _CONTENT.search(buf):
        raise IngestError(path, "the file is empty (only blank lines)", "Export the data again.")
    # only the header is read here; the data rows are decoded strictly below
    head_rows, delimiter, start = _head_records(buf, encoding, header_rows, path)
    headers, aliases = _headers(head_rows, header_rows, path, bool(_CONTENT.search(buf, start)))
    names = [f"c{i}" for i in range(len(headers))]
    if not _CONTENT.search(buf, start):
        raise _no_data(path)
    buf = cut_partial_character(buf, encoding, warnings)
    table, invalid, n_records, multiline = _parse_body(buf, start, encoding, names, delimiter, path)
    invalid = [(n + header_rows, t, 0) for n, t in invalid]
    blank = [n for n, t, _ in invalid if not t.strip()]
    malformed = [(n, _fields(t, delimiter), len(headers)) for n, t, _ in invalid if t.strip()]
    first = header_rows + 1
    n_records = max(n_records, table.num_rows + len(invalid))
    numbers = np.arange(first, first + n_records, dtype=np.int64)
    source_row = numbers[~np.isin(numbers, [n for n, _, _ in invalid])][: table.num_rows]
    columns = [table.column(n) for n in names]
    if multiline:  # quoted values span lines: record numbers -> physical line numbers
        source_row, invalid = _physical_lines(source_row, columns, invalid, int(numbers[-1]))
        blank = [n for n, t, _ in invalid if not t.strip()]
        malformed = [
            (n, f, e)
            for (n, _, _), (_, f, e) in zip(
                [v for v in invalid if v[1].strip()], malformed, strict=True
            )
        ]
    empty_row = np.ones(table.num_rows, dtype=bool)
    for col in columns:
        if col.null_count == 0:
            empty_row[:] = False
            break
        empty_row &= col.is_null().to_numpy()
    if empty_row.any():
        keep = pa.array(~empty_row)
        columns = [c.filter(keep) for c in columns]
        source_row = source_row[~empty_row]
    n_blank = len(blank) + int(empty_row.sum())
    if any("middle of a character" in w for w in warnings) and len(source_row):
        last = int(numbers[-1])
        if source_row[-1] == last:  # the cut row parsed with the right number of fields
            fields = [c[-1].as_py() or "" for c in columns]
            malformed.append((last, fields, -1))
            columns = [c.slice(0, len(c) - 1) for c in columns]
            source_row = source_row[:-1]
    if not len(source_row) and not malformed:
        raise _no_data(path)
    if len(buf) > start and not buf.endswith((b"\n", b"\r")):
        last_line = count_lines(buf)
        warnings.append(
            f"the file does not end with a line break: its last line ({last_line}) may be truncated"
        )
    return RawTable(
        headers=headers,
        columns=columns,
        source_row=source_row,
        malformed=malformed,
        aliases=aliases,
        meta={"encoding": encoding, "delimiter": delimiter, "blank_rows_skipped": n_blank},
        warnings=warnings,
        delimiter=delimiter,
    )


# ------------------------------------------------------------------------------------------
# Excel


def _cell(v: Any) -> tuple[str | None, bool]:
    if v is None:
        return None, False
    if isinstance(v, str):
        return v, False
    if isinstance(v, bool):
        return ("true" if v else "false"), False
    if isinstance(v, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return str(v), True
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v)), False
    return str(v), False


def read_xlsx(
    path: Path, sheet: str | int | None = None, header_rows: int = 1, title_rows: int = 0
) -> RawTable:
    """Read one sheet of an .xlsx workbook (cached values of formulas); dates are flagged.

    Cells are read with python-calamine (Rust), which gives the values openpyxl gives (the
    readers' tests and fuzzing hold both to the same results) in a fraction of the time; a
    workbook calamine cannot open is tried with openpyxl before it is called damaged."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception:  # calamine is stricter about damaged zip and XML than openpyxl
        return _read_xlsx_openpyxl(path, sheet, header_rows, title_rows)
    k = _pick_sheet(path, names, sheet)
    try:
        rows = wb.get_sheet_by_index(k).to_python(skip_empty_area=False)
    except Exception:
        return _read_xlsx_openpyxl(path, sheet, header_rows, title_rows)
    finally:
        wb.close()
    xml = _member_xml(path, _sheet_member(path, k))
    if _ERROR_CELL.search(xml):  # calamine reads error values (#N/A ...) as blanks
        return _read_xlsx_openpyxl(path, sheet, header_rows, title_rows)
    rows = [tuple(_as_openpyxl(v) for v in r) for r in rows]
    uncached = len(_UNCACHED_FORMULA.findall(xml))
    return _sheet_table(rows, path, header_rows, names[k], _uncached_warning(uncached), title_rows)


def _as_openpyxl(v: Any) -> Any:
    """A cell value from calamine as openpyxl gives it: None for an empty cell, a date cell
    as a datetime at midnight."""
    if v == "":
        return None
    if type(v) is dt.date:
        return dt.datetime(v.year, v.month, v.day)
    return v


def _read_xlsx_openpyxl(
    path: Path, sheet: str | int | None, header_rows: int, title_rows: int = 0
) -> RawTable:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise IngestError(
            path,
            f"the workbook is damaged or truncated and cannot be opened ({type(exc).__name__}: "
            f"{exc})",
            "Open it in Excel to check it, or export it again.",
        ) from None
    try:
        names = wb.sheetnames
        ws = wb.worksheets[_pick_sheet(path, names, sheet)]
        sheet_name = ws.title
        ws.reset_dimensions()
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        uncached = _formulas_without_values(path, getattr(ws, "_worksheet_path", None))
    finally:
        wb.close()
    return _sheet_table(
        rows, path, header_rows, sheet_name, _uncached_warning(uncached), title_rows
    )


def _uncached_warning(uncached: int) -> list[str]:
    if not uncached:
        return []
    return [
        f"{uncached} formula cells have no saved value (the workbook was written by a "
        "program that does not calculate formulas) and read as blank: open and save the "
        "file in Excel or WPS first"
    ]


_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", re.S)
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>", re.S)


def _sheet_member(path: Path, index: int) -> str | None:
    """The zip member of the ``index``-th worksheet of an .xlsx (from the workbook's list of
    sheets and its relationships), None when they cannot be read."""
    try:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml")
            rels = z.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    ids = _SHEET_ENTRY.findall(book)
    if index >= len(ids):
        return None
    for attrs in _RELATION.findall(rels):
        rid = re.search(rb'\bId="([^"]+)"', attrs)
        target = re.search(rb'\bTarget="([^"]+)"', attrs)
        if rid and target and rid.group(1) == ids[index]:
            t = target.group(1).decode()
            return t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    return None


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None) -> int:
    """Position of the requested sheet (default the first)."""
    if sheet is None:
        return 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return sheet
    if sheet in names:
        return names.index(sheet)
    raise IngestError(
        path,
        f"there is no sheet {sheet!r}; the workbook has the sheets "
        + ", ".join(repr(n) for n in names),
        "Pass sheet= with one of these names (or its 0-based position).",
    )


def read_xls(
    path: Path, sheet: str | int | None = None, header_rows: int = 1, title_rows: int = 0
) -> RawTable:
    """Read one sheet of a legacy Excel 97-2003 (BIFF) .xls workbook, with python-calamine."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        k = _pick_sheet(path, names, sheet)
        rows = [tuple(r) for r in wb.get_sheet_by_index(k).to_python(skip_empty_area=False)]
    except IngestError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise IngestError(
            path,
            f"the .xls workbook is damaged and cannot be read ({type(exc).__name__}: {exc})",
            "Open it in Excel or WPS and save it as .xlsx, or download it again.",
        ) from None
    rows = [tuple(None if v == "" else v for v in r) for r in rows]
    return _sheet_table(rows, path, header_rows, names[k], [], title_rows)


def _sheet_table(
    rows: list[tuple], path: Path, header_rows: int, sheet_name: str, warnings: list[str],
    title_rows: int = 0,
) -> RawTable:  # fmt: skip
    """Cells of one worksheet (a tuple of values per row) as a :class:`RawTable`."""
    rows = rows[title_rows:]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    text_rows = [[("" if v is None else str(v)) for v in r] for r in rows[:3]]
    headers, aliases = _headers(text_rows, header_rows, path, len(rows) > header_rows)
    body = rows[header_rows:]
    first = title_rows + header_rows + 1
    excel_row = np.arange(first, first + len(body), dtype=np.int64)
    filled = np.array([any(v is not None and str(v).strip() != "" for v in r) for r in body])
    body = [r for r, f in zip(body, filled, strict=True) if f]
    if not body:
        raise _no_data(path)
    headers = headers + [""] * (width - len(headers))
    columns, dates = [], {}
    for j in range(width):
        cells = [_cell(r[j] if j < len(r) else None) for r in body]
        columns.append(pa.array([c[0] for c in cells], type=pa.string()))
        flags = np.array([c[1] for c in cells], dtype=bool)
        if flags.any():
            dates[j] = flags
    return RawTable(
        headers=headers,
        columns=columns,
        source_row=excel_row[filled],
        aliases=aliases,
        excel_dates=dates,
        meta={"sheet": sheet_name, "blank_rows_skipped": int((~filled).sum())},
        warnings=warnings,
    )


_UNCACHED_FORMULA = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>")


_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*\bt="e"')


def _member_xml(path: Path, member: str | None) -> bytes:
    """One worksheet's XML (empty when it cannot be read)."""
    if not member:
        return b""
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(member.lstrip("/"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return b""


def _formulas_without_values(path: Path, member: str | None) -> int:
    """Number of formula cells saved without a cached value in one worksheet's XML."""
    return len(_UNCACHED_FORMULA.findall(_member_xml(path, member)))


# ------------------------------------------------------------------------------------------
# Stata, SPSS, Parquet


def read_stat(path: Path, kind: str) -> RawTable:
    """Read a Stata .dta or SPSS .sav file with its value labels and variable labels."""
    import pyreadstat

    reader = pyreadstat.read_dta if kind == "dta" else pyreadstat.read_sav
    what = "Stata .dta" if kind == "dta" else "SPSS .sav"
    if kind == "dta":
        with path.open("rb") as f:
            modern = f.read(11) == b"<stata_dta>"
            f.seek(max(0, path.stat().st_size - 12))
            complete = f.read().endswith(b"</stata_dta>")
        if modern and not complete:
            raise IngestError(
                path,
                "the Stata .dta file is truncated (it does not end with </stata_dta>; value "
                "labels and rows at its end are missing)",
                "Copy or export it again.",
            )
    try:
        try:
            df, meta = reader(str(path))
        except pyreadstat.ReadstatError as exc:
            if "encoding" not in str(exc).lower() and "convert" not in str(exc).lower():
                raise
            df, meta = reader(str(path), encoding="GB18030")
    except Exception as exc:
        raise IngestError(
            path,
            f"the {what} file is damaged or truncated and cannot be read ({exc})",
            "Export it again from Stata/SPSS.",
        ) from None
    if len(df) == 0:
        raise _no_data(path)
    columns = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s.dtype):
            columns.append(s.to_numpy(dtype=float, na_value=np.nan))
        else:
            columns.append(pa.array(s.astype("string"), type=pa.string(), from_pandas=True))
    names = list(df.columns)
    labels = {
        i: dict(meta.variable_value_labels[c])
        for i, c in enumerate(names)
        if c in meta.variable_value_labels
    }
    var_labels = meta.column_names_to_labels or {}
    aliases = {i: [var_labels[c]] for i, c in enumerate(names) if var_labels.get(c)}
    return RawTable(
        headers=[str(c) for c in names],
        columns=columns,
        source_row=np.arange(1, len(df) + 1, dtype=np.int64),
        labels=labels,
        aliases=aliases,
        meta={"encoding": getattr(meta, "file_encoding", None)},
    )


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file (typed columns are kept; pandas index columns are skipped)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise IngestError(
            path, f"the Parquet file is damaged and cannot be read ({exc})", "Write it again."
        ) from None
    if table.num_rows == 0:
        raise _no_data(path)
    meta = table.schema.pandas_metadata or {}
    index_cols = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    names = [n for n in table.column_names if n not in index_cols]
    attrs = {}
    raw_attrs = (table.schema.metadata or {}).get(b"PANDAS_ATTRS")
    if raw_attrs:
        try:
            attrs = json.loads(raw_attrs)
        except ValueError:
            attrs = {}
    return RawTable(
        headers=names,
        columns=[table.column(n).combine_chunks() for n in names],
        source_row=np.arange(1, table.num_rows + 1, dtype=np.int64),
        meta={"attrs": attrs},
    )


def read(
    path: Path,
    kind: str,
    *,
    sheet: str | int | None = None,
    header_rows: int = 1,
    title_rows: int = 0,
) -> RawTable:
    """Read ``path`` with the reader for ``kind``; ``title_rows`` rows above the header of a
    workbook (a report's title and date lines) are skipped."""
    if title_rows and kind not in ("xlsx", "xls"):
        raise IngestError(
            path,
            f"the profile skips {title_rows} title row(s), which only a workbook (.xlsx, .xls) has",
            "Delete the title rows above the header, or load the workbook itself.",
        )
    if kind == "csv":
        table = read_csv(path, header_rows)
    elif kind == "xlsx":
        table = read_xlsx(path, sheet, header_rows, title_rows)
    elif kind == "xls":
        table = read_xls(path, sheet, header_rows, title_rows)
    elif kind in ("dta", "sav"):
        table = read_stat(path, kind)
    else:
        table = read_parquet(path)
    if sheet is not None and kind not in ("xlsx", "xls"):
        table.warnings.append(f"sheet={sheet!r} ignored: the file is not a workbook")
    return table
