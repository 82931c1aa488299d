"""Data-quality summaries of canonical survey data: sample sizes, missingness, weights.

Plain descriptive tables for the data-quality notebook; no inference here. Every count meant
for publication follows the small-cell rule of :mod:`shuangjian_eval.suppression` (``min_cell``
None: the default rule of ``policy.yaml``): a count from 1 to ``min_cell - 1`` shows as
``"<min_cell"``, and where such a count sits in a column with a
published total, a further cell is hidden (:func:`suppression.complementary_suppression`) so that
the total gives nothing away.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..inputs import codebook as _codebook
from ..inputs import regions as _regions
from . import formatting as fmt
from . import suppression
from .design import BASE_WEIGHT, weight_kind
from .formatting import format_count
from .narrative import escape_markdown

__all__ = [
    "describe_ingest",
    "describe_source",
    "load_region",
    "missingness",
    "sample_size_table",
    "sample_sizes",
    "weight_summary",
    "weights_note",
]

_SYNTH_NOTICE = {
    "zh": "本数据为合成演示数据，不涉及任何真实个人。",
    "en": "These are synthetic demonstration data; no real people are described.",
}


class Text(str):
    """A string that a notebook shows as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def load_region(path: str, region: str = _regions.ALL, columns: Sequence[str] | None = None):
    """Read canonical Parquet (a file or a folder partitioned by wave), only the rows of one
    county (or all) and the columns asked for.

    Raises
    ------
    ValueError
        When the region is not in the data; the message lists the regions that are.
    """
    from ..inputs.io.store import read_canonical

    filters = None if region == _regions.ALL else [("county", "==", region)]
    df = read_canonical(path, columns=columns, filters=filters)
    if region != _regions.ALL and df.empty:
        _regions.check(region, _regions.counties(read_canonical(path, columns=["county"])))
    return df


def describe_source(
    df: pd.DataFrame,
    region: str = _regions.ALL,
    lang: str = "zh",
    min_cell: int | None = None,
) -> Text:
    """One paragraph on what the data cover, and whether they are synthetic.

    The number of respondents is the sum of the waves' totals that :func:`sample_size_table`
    and :func:`weight_summary` publish; when a wave has fewer than ``min_cell`` respondents
    (suppressed there), the number is left out, else it would give the small wave back by
    subtraction. ``min_cell`` None: the default rule (``suppression.rule_for()``).
    """
    waves = sorted(int(w) for w in df["wave"].dropna().unique())
    span = f"{waves[0]}–{waves[-1]}" if len(waves) > 1 else (str(waves[0]) if waves else "-")
    n, schools = len(df), df["school_id"].nunique()
    counties = df["county"].nunique()
    per_wave = df.groupby("wave", observed=True).size()
    show_n = not (
        (per_wave > 0) & suppression.small_cells(per_wave.to_frame("n"), min_cell=min_cell)
    ).any()
    synthetic = "synth" in df.attrs
    if lang == "zh":
        where = escape_markdown(fmt.region_label(region, lang, sentence=True))
        text = (
            f"**范围**：{where}，{counties} 个区县、{schools:,} 所学校，"
            f"{len(waves)} 轮调查（{span}）" + (f"，共 {n:,} 名受访者。" if show_n else "。")
        )
    else:
        where = escape_markdown(fmt.region_label(region, lang, sentence=True))
        text = (
            f"**Coverage**: {where}, {counties} counties, {schools:,} schools, "
            f"{len(waves)} waves ({span})" + (f", {n:,} respondents." if show_n else ".")
        )
    if synthetic:
        text += " " + _SYNTH_NOTICE[lang]
    return Text(text)


_INGEST = {
    "read": {
        "zh": "{file}：读入 {rows_in:,} 行，采用 {accepted:,} 行，剔除 {rejected:,} 行",
        "en": "{file}: {rows_in:,} rows read, {accepted:,} used, {rejected:,} left out",
    },
    "excluded": {"zh": "剔除{what}", "en": "left out: {what}"},
    "kept": {"zh": "标记但保留{what}", "en": "flagged but kept: {what}"},
    "missing": {
        "zh": "{n:,} 个无法识别的答案设为缺失",
        "en": "{n:,} answers that could not be read set missing",
    },
    "heading": {"zh": "**数据来源与筛选**：", "en": "**Source and screening**: "},
    "sep": {"zh": "；", "en": "; "},
    "end": {"zh": "。", "en": ". "},
}


def describe_ingest(df: pd.DataFrame, lang: str = "zh") -> Text:
    """How the data were read and screened, file by file: rows read, used and left out, the
    quality flags of online submissions (excluded or kept) and the answers set missing; empty
    when the data carry no ingest record (synthetic data, or data written by other tools)."""
    records = df.attrs.get("ingest") or []
    parts = []
    for r in records:
        counts = {k: r.get(k, 0) for k in ("rows_in", "accepted", "rejected")}
        bits = [fmt.text(_INGEST["read"], lang, file=r.get("file", ""), **counts)]
        flags = r.get("flags") or {}
        excluded = set(r.get("excluded") or ())
        for kind, chosen in (("excluded", True), ("kept", False)):
            items = [
                f"{fmt.label(fmt.FLAG_LABELS, f, lang)} {n:,}"
                for f, n in flags.items()
                if (f in excluded) == chosen and f in fmt.FLAG_LABELS
            ]
            if items:
                bits.append(fmt.text(_INGEST[kind], lang, what=fmt.join_list(items, lang)))
        missing = sum((r.get("cells_set_missing") or {}).values())
        if missing:
            bits.append(fmt.text(_INGEST["missing"], lang, n=missing))
        parts.append(fmt.text(_INGEST["sep"], lang).join(bits))
    if not parts:
        return Text("")
    end = fmt.text(_INGEST["end"], lang)
    return Text(fmt.text(_INGEST["heading"], lang) + end.join(parts) + end.strip())


def sample_sizes(df: pd.DataFrame, by: Sequence[str] = ("wave",)) -> pd.DataFrame:
    """Respondents, schools (PSUs) and the sum of weights by the given columns.

    ``respondents`` is the unweighted row count; ``weighted_n`` the estimated population the
    rows stand for (the sum of sampling weights), which is not a sample size.
    """
    by = list(by)
    g = df.groupby(by, observed=True, sort=True)
    out = g.agg(
        respondents=("respondent_id", "size"),
        schools=("school_id", "nunique"),
        weighted_n=("weight", "sum"),
    )
    return out.reset_index()


def sample_size_table(
    df: pd.DataFrame, rows: str = "stage", min_cell: int | None = None, lang: str = "zh"
) -> pd.DataFrame:
    """Respondents by ``rows`` and wave, with each wave's total, as text for publication.

    Counts from 1 to ``min_cell - 1`` are suppressed (shown as ``"<min_cell"``) so that no
    small group can be singled out. Each wave's column adds up to its published total, so where
    a column holds suppressed counts, further cells of it are hidden as well (complementary
    suppression, :func:`suppression.complementary_suppression`, shown as ``"互补隐藏"`` /
    ``"suppressed (complementary)"``) until neither the total nor the other cells give a
    suppressed count back; zeros are shown. When even that is not enough (a small count beside
    zeros and a single other cell), the column's total is hidden too. A total that is itself
    below ``min_cell`` shows as ``"<min_cell"``, and then its column needs no further hiding.
    ``min_cell`` None: the default rule (``suppression.rule_for()``).
    """
    min_cell = suppression.rule_for().min_cell if min_cell is None else int(min_cell)
    cb = _codebook.load()
    counts = df.groupby([rows, "wave"], observed=True).size().unstack("wave", fill_value=0)
    if rows in cb and cb[rows].categories:
        labels = [cb[rows].category_label(c, lang) for c in counts.index]
    else:
        labels = [str(c) for c in counts.index]
    counts.index = pd.Index(labels, dtype=object)
    totals = counts.sum()
    cells = counts.stack().rename("n").reset_index()  # one row per (row label, wave)
    cells.columns = ["row", "wave", "n"]
    small_total = (totals > 0) & suppression.small_cells(totals.to_frame("n"), min_cell=min_cell)
    groups = cells["wave"].where(~cells["wave"].map(small_total).astype(bool))
    sup = suppression.complementary_suppression(cells["n"], groups, min_cell=min_cell)
    mark = suppression.COMPLEMENTARY_MARK[lang]

    def fmt(v: int) -> str:
        return format_count(v, min_cell=min_cell)

    text = [mark if c else fmt(int(v)) for v, c in zip(cells["n"], sup.complementary, strict=True)]
    table = pd.Series(text, index=pd.MultiIndex.from_frame(cells[["row", "wave"]]))
    table = table.unstack("wave").reindex(index=counts.index, columns=counts.columns)
    total_text = [mark if w in sup.totals_hidden else fmt(int(t)) for w, t in totals.items()]
    table.loc["合计" if lang == "zh" else "Total"] = total_text
    table.columns = [str(c) for c in table.columns]
    table.index.name = cb.label(rows, lang)
    return table.reset_index()


def missingness(
    df: pd.DataFrame, by: str | None = "wave", lang: str = "zh", min_cell: int | None = None
) -> pd.DataFrame:
    """Share of missing values of each observed, optional codebook variable (by wave).

    Required variables are left out: a row without them is rejected on ingest.

    Derived variables are left out: their missingness follows from their sources (and, for
    ``homework_within_limit``, from senior grades, which the limit does not cover).

    The shares of a group with fewer than ``min_cell`` respondents are suppressed (NaN; show
    them with ``na_rep``, e.g. ``sje.formatting.SUPPRESSED["n"][lang]``); None: the default
    rule (``suppression.rule_for()``), 1: every group shown.
    """
    cb = _codebook.load()
    cols = [c for c in cb.observed if c in df.columns and c != by and not cb[c].required]
    miss = df[cols].isna()
    if by is None:
        table = miss.mean().to_frame("missing_share")
        if suppression.is_small(len(df), min_cell=min_cell):
            table[:] = np.nan
    else:
        grouped = miss.groupby(df[by], observed=True)
        table = grouped.mean().T
        sizes = grouped.size().to_frame("n")
        table.loc[:, suppression.small_cells(sizes, min_cell=min_cell).to_numpy()] = np.nan
        table.columns = [str(c) for c in table.columns]
    table.index = pd.Index([cb.label(c, lang) for c in table.index])
    table.columns.name = "变量" if lang == "zh" else "variable"
    return table


_WEIGHT_COLUMNS = {
    "n": ("样本量", "n"),
    "min": ("最小值", "min"),
    "median": ("中位数", "median"),
    "max": ("最大值", "max"),
    "max_over_min": ("最大/最小", "max/min"),
    "cv": ("变异系数", "CV"),
    "kish_deff": ("Kish设计效应", "Kish deff"),
    "effective_n": ("有效样本量", "effective n"),
}
_G_COLUMNS = {"g_min": ("校准因子最小值", "g min"), "g_max": ("校准因子最大值", "g max")}
_WEIGHT_NOTES = {
    "equal": (
        "数据没有抽样权重，各受访者权重相同：结果描述的是作答的家庭，不一定代表全体家庭。",
        "The data have no sampling weights, so every respondent counts the same: the results "
        "describe the families who answered, not necessarily all families.",
    ),
    "design": ("权重为抽样设计权重。", "The weights are the sampling design weights."),
    "calibrated": (
        "权重已按各县在校生数（年级、性别等）校准；校准因子为校准后权重与校准前权重之比。",
        "The weights are calibrated to each county's enrolment (grade, gender and the like); "
        "the g-weight is the calibrated weight over the weight before calibration.",
    ),
}


def weights_note(df: pd.DataFrame, lang: str = "zh") -> Text:
    """One sentence on which weights the data carry (:func:`design.weight_kind`): design
    weights, weights calibrated to enrolment margins (data written by ``sje weights``), or
    none (equal weights)."""
    fmt.check_lang(lang)
    kind = weight_kind(df)
    return Text(_WEIGHT_NOTES[kind][0 if lang == "zh" else 1])


def weight_summary(
    df: pd.DataFrame,
    by: str = "wave",
    weight: str = "weight",
    lang: str | None = None,
    min_cell: int | None = None,
) -> pd.DataFrame:
    """Spread of the sampling weights and Kish's design effect due to unequal weighting.

    Kish's ``deff_w = n * sum(w^2) / (sum w)^2 = 1 + cv^2`` (population CV); the effective
    sample size from weighting alone is ``n / deff_w``. With ``lang`` the columns carry
    display labels; without it, snake_case names.

    Data with calibrated weights (written by ``sje weights``, which keep the weights before
    calibration as ``weight_base``) add the range of the g-weights ``weight / weight_base``
    (``g_min``, ``g_max``); :func:`weights_note` says which weights the data carry.

    A group with fewer than ``min_cell`` respondents is suppressed: its count shows as
    ``"<min_cell"`` (the ``n`` column becomes text) and its statistics are NaN (show them with
    ``na_rep``, e.g. ``sje.formatting.SUPPRESSED["n"][lang]``); None: the default rule
    (``suppression.rule_for()``).
    """
    grouped = df.groupby(by, observed=True)[weight]
    w = df[weight].to_numpy(dtype=float)
    key = df[by]
    sums = grouped.sum()
    out = pd.DataFrame(
        {
            "n": grouped.size(),
            "min": grouped.min(),
            "median": grouped.median(),
            "max": grouped.max(),
        }
    )
    out["max_over_min"] = out["max"] / out["min"]
    sq = pd.Series(w**2, index=df.index).groupby(key, observed=True).sum()
    out["kish_deff"] = out["n"] * sq / sums**2
    out["cv"] = np.sqrt(out["kish_deff"] - 1.0)
    out["effective_n"] = out["n"] / out["kish_deff"]
    calibrated = BASE_WEIGHT in df.columns
    columns = dict(_WEIGHT_COLUMNS)
    if calibrated:
        g = pd.Series(w / df[BASE_WEIGHT].to_numpy(dtype=float), index=df.index)
        out["g_min"] = g.groupby(key, observed=True).min()
        out["g_max"] = g.groupby(key, observed=True).max()
        columns.update(_G_COLUMNS)
    out = out[list(columns)].reset_index()
    min_cell = suppression.rule_for().min_cell if min_cell is None else int(min_cell)
    small = suppression.small_cells(out, min_cell=min_cell, n_psu=None).to_numpy()
    stats = [c for c in columns if c != "n"]
    out[stats] = out[stats].astype(float)
    out.loc[small, stats] = np.nan
    out["n"] = [format_count(n, min_cell=min_cell) for n in out["n"]]
    if lang is not None:
        cb = _codebook.load()
        i = 0 if lang == "zh" else 1
        out[by] = out[by].astype(str)  # a wave is a label, not a number to format
        out = out.rename(columns={k: v[i] for k, v in columns.items()})
        out = out.rename(columns={by: cb.label(by, lang)})
    return out
