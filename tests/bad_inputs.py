"""Generators of bad input files for the ingest tests.

Each function writes one file into ``folder`` and returns its path. The files start from the
known content of the example data (``shuangjian_eval.inputs.examples``: the first rows of the canonical
wave-2020 file, or the 问卷星 workbook) and change one thing, so each test can name the exact
row, column and rule it expects. Row numbers: in a CSV the header is line 1, so data row ``i``
(0-based) is line ``i + 2``; in a workbook the same holds for Excel row numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from shuangjian_eval import codebook, examples

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
N_ROWS = 12


def canonical_rows(n: int = N_ROWS) -> pd.DataFrame:
    """First ``n`` rows of the wave-2020 example as text cells, observed variables only."""
    df = examples.example_truth("canonical-utf8.csv")
    cb = codebook.load()
    text = df[[c for c in df.columns if not cb[c].derived]].head(n).to_csv(index=False)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).astype(object)


def _csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    df.to_csv(path, index=False, encoding=encoding)
    return path


# ------------------------------------------------------------------------------------------
# encodings and file-level problems


def unknown_encoding(folder: Path) -> Path:
    """A Windows-1252 (Latin) file: neither UTF-8 nor GBK; undecodable 'é,' from line 2."""
    df = canonical_rows()
    for col in ("province", "city", "county"):
        df[col] = "Comté"
    df["stratum"] = "Comté-urbain"
    return _csv(df, folder / "latin1.csv", encoding="cp1252")


def mixed_encoding(folder: Path) -> Path:
    """Lines 1-7 in UTF-8 (Chinese county names), lines 8-13 appended in GBK."""
    df = canonical_rows()
    head = df.iloc[:6].to_csv(index=False).encode("utf-8")
    tail = df.iloc[6:].to_csv(index=False, header=False).encode("gbk")
    path = folder / "mixed.csv"
    path.write_bytes(head + tail)
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path


def header_only(folder: Path) -> Path:
    df = canonical_rows().iloc[:0]
    return _csv(df, folder / "header_only.csv")


def truncated_csv(folder: Path) -> Path:
    """Cut in the middle of the last line (line 13): it has too few fields."""
    path = _csv(canonical_rows(), folder / "truncated.csv")
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n")
    path.write_bytes(data[: last + 1 + 40])
    return path


def truncated_gbk(folder: Path) -> Path:
    """A GBK file cut inside a two-byte character on its last line (line 13)."""
    df = canonical_rows()
    df.loc[N_ROWS - 1, "stratum"] = df.loc[N_ROWS - 1, "stratum"] + "截断"
    cols = list(df.columns)
    cols.remove("stratum")
    df = df[[*cols, "stratum"]]
    data = df.to_csv(index=False).encode("gbk")
    path = folder / "truncated_gbk.csv"
    path.write_bytes(data[: data.rfind("截".encode("gbk")) + 1])
    return path


def extra_delimiter(folder: Path) -> Path:
    """Line 5 has a stray comma (one field too many)."""
    path = _csv(canonical_rows(), folder / "extra_delimiter.csv")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].replace(",", ",,", 1)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def gbk_extra_delimiter(folder: Path) -> Path:
    """The GBK example's first rows with a stray comma on line 6 (Chinese labels around it)."""
    lines = (EXAMPLES / "canonical-gbk.csv").read_bytes().split(b"\n")[: N_ROWS + 1]
    lines[5] = lines[5].replace(b",", b",,", 1)
    path = folder / "gbk_extra_delimiter.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def gbk_with_latin1_byte(folder: Path) -> Path:
    """The GBK example's first rows with one Windows-1252 'é' pasted into line 9."""
    lines = (EXAMPLES / "canonical-gbk.csv").read_bytes().split(b"\n")[: N_ROWS + 1]
    lines[8] = lines[8].replace(b",", "Comt\u00e9,".encode("cp1252"), 1)
    path = folder / "gbk_latin1.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def html_as_xlsx(folder: Path) -> Path:
    """What 问卷星 and many platforms send as '.xls': an HTML table (here named .xlsx)."""
    path = folder / "export.xlsx"
    path.write_text(
        "<html><head><meta charset='utf-8'></head><body><table>"
        "<tr><td>序号</td><td>3、您的孩子现在读几年级?</td></tr><tr><td>1</td><td>初一</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )
    return path


def csv_as_xlsx(folder: Path) -> Path:
    """A CSV file renamed to .xlsx."""
    return _csv(canonical_rows(), folder / "renamed.xlsx")


def encrypted_xlsx(folder: Path) -> Path:
    """A password-protected workbook: Excel writes an OLE2 compound file with the streams
    EncryptionInfo and EncryptedPackage (faked here with a minimal valid container)."""
    path = folder / "protected.xlsx"
    path.write_bytes(
        _compound_file(
            {"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(4092), "EncryptedPackage": bytes(4096)}
        )
    )
    return path


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors, streams >= 4096 bytes)."""
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    sectors: list[bytes] = []
    fat = [fat_sect, end]  # sector 0: FAT, sector 1: directory
    starts = []
    for data in streams.values():
        data = data + bytes(-len(data) % 512)
        first = len(fat)
        n = len(data) // 512
        starts.append(first)
        fat += [first + k + 1 for k in range(n - 1)] + [end]
        sectors += [data[k * 512 : (k + 1) * 512] for k in range(n)]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le") if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    entries = [entry("Root Entry", 5, 1, free, end, 0)]
    for k, name in enumerate(names):
        right = k + 2 if k + 1 < len(names) else free
        entries.append(entry(name, 2, free, right, starts[k], len(streams[name])))
    directory = b"".join(entries).ljust(512, b"\0")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + b"".join(sectors)


def truncated_xlsx(folder: Path) -> Path:
    """The 问卷星 example cut at 60% of its bytes (the zip's central directory is lost)."""
    data = (EXAMPLES / "wenjuanxing-parent.xlsx").read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def truncated_dta(folder: Path) -> Path:
    """The CFPS example cut at 95%: rows are all there, the value labels at the end are not."""
    data = (EXAMPLES / "cfps-extract.dta").read_bytes()
    path = folder / "truncated.dta"
    path.write_bytes(data[: int(len(data) * 0.95)])
    return path


def truncated_sav(folder: Path) -> Path:
    data = (EXAMPLES / "canonical-labelled.sav").read_bytes()
    path = folder / "truncated.sav"
    path.write_bytes(data[: int(len(data) * 0.8)])
    return path


def truncated_parquet(folder: Path) -> Path:
    data = (EXAMPLES / "canonical.parquet").read_bytes()
    path = folder / "truncated.parquet"
    path.write_bytes(data[: int(len(data) * 0.8)])
    return path


# ------------------------------------------------------------------------------------------
# workbooks


def _workbook(df: pd.DataFrame, path: Path, sheet: str = "Sheet1") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([_number_or_text(v) for v in row])
    return wb


def _number_or_text(v: str):
    try:
        f = float(v)
    except ValueError:
        return v if v != "" else None
    return int(f) if f.is_integer() else f


def wrong_sheet(folder: Path) -> Path:
    """Canonical data on sheets named 数据 and 说明 (no Sheet1)."""
    path = folder / "sheets.xlsx"
    wb = _workbook(canonical_rows(), path, sheet="数据")
    wb.create_sheet("说明").append(["本表为合成示例数据"])
    wb.save(path)
    return path


def excel_dates(folder: Path) -> Path:
    """homework_min_weekday holds Excel dates in data rows 1 and 3 (Excel rows 3 and 5)."""
    path = folder / "dates.xlsx"
    wb = _workbook(canonical_rows(), path)
    ws = wb.active
    col = canonical_rows().columns.get_loc("homework_min_weekday") + 1
    for excel_row in (3, 5):
        cell = ws.cell(row=excel_row, column=col, value=dt.datetime(2022, 3, excel_row))
        cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def formula_cells(folder: Path) -> Path:
    """weight on Excel row 2 is the formula =100+23.5 with its cached value 123.5 (as Excel
    saves it); openpyxl writes no cached value, so it is added to the sheet XML."""
    path = folder / "formula.xlsx"
    wb = _workbook(canonical_rows(), path)
    ws = wb.active
    col = canonical_rows().columns.get_loc("weight") + 1
    ws.cell(row=2, column=col, value="=100+23.5")
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(
                    rb"<f>100\+23.5</f>(<v\s*/>|<v></v>)?", rb"<f>100+23.5</f><v>123.5</v>", body
                )
            dst.writestr(info, body)
    path.write_bytes(out.getvalue())
    return path


def formula_without_value(folder: Path) -> Path:
    """weight on Excel row 2 is a formula saved without a cached value (as openpyxl writes)."""
    path = folder / "formula_uncached.xlsx"
    wb = _workbook(canonical_rows(), path)
    col = canonical_rows().columns.get_loc("weight") + 1
    wb.active.cell(row=2, column=col, value="=100+23.5")
    wb.save(path)
    return path


def merged_header(folder: Path) -> Path:
    """A two-row header: 作业时长(分钟) merged over two columns with 工作日 / 周末 below, the
    other headers merged vertically over both rows. Data start on Excel row 3."""
    path = folder / "merged_header.xlsx"
    df = canonical_rows()
    top = ["编号", "轮次", "区县", "学校", "权重", "年级", "作业时长(分钟)", None]
    keys = [
        "respondent_id",
        "wave",
        "county",
        "school_id",
        "weight",
        "grade",
        "homework_min_weekday",
        "homework_min_weekend",
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(top)
    ws.append([None] * 6 + ["工作日", "周末"])
    for k in range(6):
        ws.merge_cells(start_row=1, start_column=k + 1, end_row=2, end_column=k + 1)
    ws.merge_cells("G1:H1")
    for row in df[keys].itertuples(index=False):
        ws.append([_number_or_text(v) for v in row])
    wb.save(path)
    return path


MERGED_HEADER_MAPPING = {
    "name": "merged-header-test",
    "header_rows": 2,
    "columns": {
        "respondent_id": "编号",
        "wave": "轮次",
        "county": "区县",
        "school_id": "学校",
        "weight": "权重",
        "grade": "年级",
        "homework_min_weekday": "作业时长(分钟)/工作日",
        "homework_min_weekend": "作业时长(分钟)/周末",
    },
}


def unknown_answers(folder: Path) -> Path:
    """The 问卷星 example with 高四 as a grade on Excel row 6 and 有点焦虑 as anxiety item 1 on
    Excel row 9."""
    path = folder / "wjx_unknown.xlsx"
    shutil.copy(EXAMPLES / "wenjuanxing-parent.xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    ws.cell(row=6, column=header.index("3、您的孩子现在读几年级？") + 1, value="高四")
    ws.cell(row=9, column=header.index("18(担心孩子成绩落后)") + 1, value="有点焦虑")
    wb.save(path)
    return path


# ------------------------------------------------------------------------------------------
# row-level problems in CSV


def bad_values(folder: Path) -> Path:
    """One problem per row (line numbers):
    3 homework_min_weekday 'abc'; 4 homework_min_weekday '12岁';
    5 homework_min_weekday 'N/A' (not a declared missing code in canonical files);
    6 grade 13; 7 tutoring_spend_year -500; 8 weight 0; 9 sleep_hours 25;
    10 grade 3.5; 11 gender 'x'; 12 tutoring_subject 'maybe'.
    Lines 2 and 13 are clean."""
    df = canonical_rows()
    edits = [
        (1, "homework_min_weekday", "abc"),
        (2, "homework_min_weekday", "12岁"),
        (3, "homework_min_weekday", "N/A"),
        (4, "grade", "13"),
        (5, "tutoring_spend_year", "-500"),
        (6, "weight", "0"),
        (7, "sleep_hours", "25"),
        (8, "grade", "3.5"),
        (9, "gender", "x"),
        (10, "tutoring_subject", "maybe"),
    ]
    for i, col, value in edits:
        df.loc[i, col] = value
    return _csv(df, folder / "bad_values.csv")


def totals_row(folder: Path) -> Path:
    """A trailing 合计 row (line 14) with column sums, as spreadsheets add."""
    df = canonical_rows()
    total = dict.fromkeys(df.columns, "")
    total["respondent_id"] = "合计"
    total["weight"] = str(pd.to_numeric(df["weight"]).sum())
    total["tutoring_spend_year"] = str(pd.to_numeric(df["tutoring_spend_year"]).sum())
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return _csv(df, folder / "totals.csv")


def duplicate_ids(folder: Path) -> Path:
    """Data row 5 (line 7) repeats the respondent of data row 2 (line 4) in the same wave."""
    df = canonical_rows()
    df.loc[5, "respondent_id"] = df.loc[2, "respondent_id"]
    return _csv(df, folder / "duplicates.csv")


def missing_required(folder: Path) -> Path:
    """school_id is missing; a column 'school' is there instead."""
    df = canonical_rows().rename(columns={"school_id": "school"})
    return _csv(df, folder / "missing_required.csv")


def all_missing_optional(folder: Path) -> Path:
    """tutoring_hidden is blank in every row (optional: a warning)."""
    df = canonical_rows()
    df["tutoring_hidden"] = ""
    return _csv(df, folder / "all_missing_optional.csv")


def all_missing_required(folder: Path) -> Path:
    """county is blank in every row (required: an error)."""
    df = canonical_rows()
    df["county"] = ""
    return _csv(df, folder / "all_missing_required.csv")


def duplicate_columns(folder: Path) -> Path:
    """Two columns that both map to grade: 'grade' and 'Grade'."""
    df = canonical_rows()
    df.insert(len(df.columns), "Grade", df["grade"])
    return _csv(df, folder / "duplicate_columns.csv")


def no_weights(folder: Path) -> Path:
    """The weight column is absent."""
    return _csv(canonical_rows().drop(columns=["weight"]), folder / "no_weights.csv")


def identifiers_in_values(folder: Path) -> Path:
    """Canonical rows plus a column 备注 of mobile numbers and a column contact of e-mail
    addresses (neutral headers: found by their values), and a phone number typed into
    homework_min_weekday on line 5 (rejected; its value must not show)."""
    df = canonical_rows()
    df["备注"] = [f"139{k:08d}" for k in range(1, N_ROWS + 1)]
    df["contact"] = [f"parent{k}@example.com" for k in range(N_ROWS)]
    df.loc[3, "homework_min_weekday"] = "13912345678"
    return _csv(df, folder / "identifiers.csv")


def phone_as_respondent_id(folder: Path) -> Path:
    """respondent_id holds mobile numbers: pseudonymised on ingest."""
    df = canonical_rows()
    df["respondent_id"] = [f"137{k:08d}" for k in range(N_ROWS)]
    return _csv(df, folder / "phone_ids.csv")


ALL = [
    unknown_encoding,
    mixed_encoding,
    empty_file,
    header_only,
    truncated_csv,
    truncated_gbk,
    extra_delimiter,
    gbk_extra_delimiter,
    gbk_with_latin1_byte,
    html_as_xlsx,
    csv_as_xlsx,
    encrypted_xlsx,
    truncated_xlsx,
    truncated_dta,
    truncated_sav,
    truncated_parquet,
    wrong_sheet,
    excel_dates,
    formula_cells,
    formula_without_value,
    merged_header,
    unknown_answers,
    bad_values,
    totals_row,
    duplicate_ids,
    missing_required,
    all_missing_optional,
    all_missing_required,
    duplicate_columns,
    no_weights,
    identifiers_in_values,
    phone_as_respondent_id,
]


def write_all(folder: Path) -> dict[str, Path]:
    """Write every bad input into ``folder``: ``{function name: path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {fn.__name__: fn(folder) for fn in ALL}
