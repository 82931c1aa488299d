"""Example supervision files in the layouts counties and cities send them, made from the
synthetic returns of the demo survey's schools (:mod:`shuangjian_eval.inputs.supervision.synth`).

- ``supervision-half-monthly.xlsx``: the wide county sheet of one half-monthly report in the
  layout of 益阳市"双减"工作专项督导半月报 (a title, a date line, a two-row header with grouped
  columns, one row per county and a 合计 row), profile ``half-monthly``;
- ``supervision-school-returns.csv`` (UTF-8 with BOM, as Excel saves it),
  ``supervision-institutions.csv``, ``supervision-cases.csv`` and
  ``supervision-complaints.xlsx``: the long tables with Chinese headers and answer texts,
  profiles ``school-returns-zh``, ``institutions-zh``, ``cases-zh``, ``complaints-zh``. The
  complaints register carries fake complainants' names and phone numbers, which ingest drops.

All of it is synthetic: no real school, institution or person.
"""

from __future__ import annotations

import datetime as dt
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..base.files import atomic_path, fixed_zip
from . import codebook as _codebook
from .supervision import synth as _synth

__all__ = [
    "HALF_MONTHLY_PERIOD",
    "REGISTRY_PERIODS",
    "SUPERVISION_FILES",
    "write_half_monthly_sheet",
    "write_supervision_examples",
]

#: example file -> (table, mapping profile)
SUPERVISION_FILES = {
    "supervision-half-monthly.xlsx": ("half_monthly", "half-monthly"),
    "supervision-school-returns.csv": ("school_returns", "school-returns-zh"),
    "supervision-institutions.csv": ("institutions", "institutions-zh"),
    "supervision-cases.csv": ("cases", "cases-zh"),
    "supervision-complaints.xlsx": ("complaints", "complaints-zh"),
}
#: the period of the example half-monthly sheet
HALF_MONTHLY_PERIOD = "2021-11-15"
#: the periods of the example registry
REGISTRY_PERIODS = ("2021-09-15", "2021-12-30", "2022-11-30")
_SURNAMES = "王李张刘陈杨黄赵吴周"
_FIXED_TIME = dt.datetime(2022, 12, 1, 9, 0, 0)


def _with_chinese_headers(df: pd.DataFrame, table: str, profile: dict[str, str]) -> pd.DataFrame:
    """Canonical columns under the profile's (first) Chinese header, codes as zh labels."""
    cb = _codebook.load().table(table)
    out = {}
    for col in df.columns:
        v = cb[col]
        s = df[col]
        if v.categories:
            s = s.map({k: lab["zh"] for k, lab in v.categories.items()})
        elif v.dtype == "bool":
            t = (v.true_label or {}).get("zh", "是")
            f = (v.false_label or {}).get("zh", "否")
            s = s.map({True: t, False: f})
        elif v.dtype == "date":
            s = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        out[profile[col]] = s
    return pd.DataFrame(out)


def _headers(name: str) -> dict[str, str]:
    f = resources.files("shuangjian_eval.inputs").joinpath(
        "mappings", "supervision", f"{name}.yaml"
    )
    cols = yaml.safe_load(f.read_text(encoding="utf-8"))["columns"]
    return {k: (v if isinstance(v, str) else v[0]) for k, v in cols.items()}


def write_supervision_examples(outdir: str | Path, seed: int = 0) -> list[Path]:
    """Write the example supervision files (the same seed writes the same files)."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    data = _synth.generate(seed=seed)
    written = []
    for name, (table, profile) in SUPERVISION_FILES.items():
        path = out / name
        frame = data.tables()[table]
        if table == "institutions":  # the registry at the baseline, the end of 2021 and of 2022
            frame = frame[frame["period"].isin(pd.to_datetime(list(REGISTRY_PERIODS)))]
        if table == "half_monthly":
            write_half_monthly_sheet(frame, path, HALF_MONTHLY_PERIOD)
        elif table == "complaints":
            _complaints(frame, profile, path, seed)
        else:
            zh = _with_chinese_headers(frame, table, _headers(profile))
            with atomic_path(path) as tmp:
                zh.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    return written


def _complaints(frame: pd.DataFrame, profile: str, path: Path, seed: int) -> None:
    import openpyxl

    zh = _with_chinese_headers(frame, "complaints", _headers(profile))
    rng = np.random.default_rng(seed)
    n = len(zh)
    zh.insert(3, "举报人姓名", [_SURNAMES[k % 10] + "某" for k in rng.integers(0, 10, n)])
    zh.insert(4, "联系电话", [f"139{k:08d}" for k in rng.integers(0, 10**8, n)])
    zh.insert(6, "问题描述", "（合成示例）反映校外培训或作业问题")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "举报线索台账"
    ws.append(list(zh.columns))
    for row in zh.itertuples(index=False):
        ws.append([None if pd.isna(v) else v for v in row])
    _save(wb, path)


def write_half_monthly_sheet(frame: pd.DataFrame, path: str | Path, period: object) -> Path:
    """Write one period of a canonical half-monthly table as the official county sheet: a
    title, a date line, the two-row header with grouped columns, one row per county and a 合计
    row (the layout of the profile ``half-monthly``)."""
    import openpyxl

    path = Path(path)
    day = pd.Timestamp(period)
    rows = frame[frame["period"] == day].drop(columns="period").reset_index(drop=True)
    heads = _headers("half-monthly")
    words = {True: "已建立", False: "未建立"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "半月报"
    ws.append(["示例市“双减”工作专项督导半月报（合成示例数据）"])
    ws.append([f"截至{day.year}年{day.month}月{day.day}日"])
    top, bottom = [], []
    for col in rows.columns:
        h = heads[col]
        group, _, sub = h.partition("/")
        top.append(group if not top or group != _group(top) or not sub else None)
        bottom.append(sub or None)
    ws.append(top)
    ws.append(bottom)
    for r in range(len(top)):  # grouped columns: merged over their sub-columns, others down
        if bottom[r] is None:
            ws.merge_cells(start_row=3, start_column=r + 1, end_row=4, end_column=r + 1)
        elif top[r] is not None:
            span = 1
            while r + span < len(top) and top[r + span] is None and bottom[r + span]:
                span += 1
            ws.merge_cells(start_row=3, start_column=r + 1, end_row=3, end_column=r + span)
    counts = [c for c in rows.columns if c != "county" and rows[c].dtype != bool]
    for rec in rows.to_dict("records"):
        ws.append([
            words[rec[c]] if c == "funding_mechanism"
            else ("已执行" if rec[c] else "未执行") if c == "advertising_control"
            else ("已实行" if rec[c] else "未实行") if c == "nonsubject_classified"
            else rec[c]
            for c in rows.columns
        ])  # fmt: skip
    ws.append(["合计", *(int(rows[c].sum()) if c in counts else None for c in rows.columns[1:])])
    _save(wb, path)
    return path


def _save(wb: object, path: Path) -> None:
    """A workbook written with fixed zip times (the same content gives the same bytes)."""
    wb.properties.created = wb.properties.modified = _FIXED_TIME  # type: ignore[attr-defined]
    wb.properties.creator = "shuangjian_eval.inputs.examples_supervision"  # type: ignore[attr-defined]
    buf = io.BytesIO()
    wb.save(buf)  # type: ignore[attr-defined]
    with atomic_path(path) as tmp:
        tmp.write_bytes(fixed_zip(buf.getvalue()))


def _group(top: list[str | None]) -> str | None:
    """The last group name written in the header's first row."""
    return next((t for t in reversed(top) if t is not None), None)


def write_demo_folder(folder: str | Path, seed: int = 0, **options: object) -> list[Path]:
    """Write the synthetic returns of the demo survey (:func:`.supervision.synth.generate` with
    ``options``) as a supervision folder (:func:`.supervision.load_folder` reads it): the
    canonical school returns, registry, cases and complaints as Parquet, the half-monthly
    county sheets of the November periods in the official layout
    (``half-monthly-YYYY-MM-DD.xlsx``), and
    ``truth.json``: the planted over-reporters and the generator's parameters, so that a
    report on synthetic data can show how well the comparison finds them."""
    import json

    from ..base.files import atomic_write
    from .supervision.readers import SHEET_PREFIX, TRUTH_FILE

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    data = _synth.generate(seed=seed, **options)  # type: ignore[arg-type]
    written = []
    for table, frame in data.tables().items():
        if table == "half_monthly":
            for period in sorted(frame["period"].unique()):  # the November reports
                day = pd.Timestamp(period)
                if day.month != 11:
                    continue
                name = f"{SHEET_PREFIX}{day:%Y-%m-%d}.xlsx"
                written.append(write_half_monthly_sheet(frame, out / name, day))
            continue
        path = out / f"{table}.parquet"
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        written.append(path)
    truth = {k: data.truth[k] for k in ("notice", "params", "over_reporters", "dose_response")}
    written.append(atomic_write(out / TRUTH_FILE, json.dumps(truth, ensure_ascii=False, indent=1)))
    return written
