"""What a whole report run publishes: no direct identifier, no respondent id, no small cell.

One report run (every notebook, every region) on a small survey that went through ingest: the
2022 wave is the 问卷星 example (``sje.examples``: fake names, phone numbers, resident ID numbers
and IP addresses in the raw file; the phone is turned into the pseudonymous ``respondent_id``),
the other waves come from ``sje.synth`` with the same schools (the example is made from the same
synthetic survey, so its schools' design columns are looked up there). One county-wave is cut
down to 5 respondents, fewer than any threshold of the reports.

Expected values: the identifiers are those of ``sje.examples.example_identifiers()`` and the ids
are those of the input file; the thresholds are the notebooks' defaults, the rules of
``policy.yaml`` ``suppression:`` (``min_cell`` 10 in the analysis notebooks, the ``scorecard``
override of 30 in the policy report).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import briefing, identifiers, pipeline

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"
TINY_COUNTY, TINY_WAVE, TINY_N = "样本县002", 2024, 5
# the survey the 问卷星 example is made from (sje.examples), with a second baseline wave
SOURCE = dict(n_schools=10, students_per_school=20, n_counties=2, seed=0, panel_share=0.5)
DESIGN_COLUMNS = ["province", "city", "stratum", "pilot_city", "first_treated_wave", "urban"]

# identifier patterns as privacy.py defines them, kept apart from neighbouring letters, digits
# and decimal points (so that digits inside a float or a hex digest do not count)
MOBILE = re.compile(r"(?<![0-9A-Za-z.])1[3-9]\d{9}(?![0-9A-Za-z])")
RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z.])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?![0-9A-Za-z])"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# long runs of base64 (chart images): random letters and digits, skipped by the pattern scan
BASE64 = re.compile(r"[A-Za-z0-9+/=]{200,}|(?:[A-Za-z0-9+/=]{40,}\\n){5,}")
TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def _survey(examples: dict[str, Path]) -> pd.DataFrame:
    """Canonical data: synthetic waves 2019, 2020 and 2024, and the ingested 问卷星 wave 2022
    (``examples``: the example files by name)."""
    ingested = sje.load_survey(examples["wenjuanxing-parent.xlsx"],
                               mapping="wenjuanxing-parent")  # fmt: skip
    assert len(ingested.data) == len(sje.examples.example_identifiers()) > 100
    wave_2022 = ingested.data.drop(columns=["source_row"], errors="ignore")
    source = sje.synth.generate(waves=(2019, 2020, 2022, 2024), **SOURCE)
    design = source.drop_duplicates("school_id").set_index("school_id")[DESIGN_COLUMNS]
    wave_2022 = wave_2022.join(design, on="school_id")
    assert wave_2022["stratum"].notna().all(), "the example's schools are the synthetic ones"
    df = pd.concat(
        [source[source["wave"] != 2022], wave_2022[[c for c in source if c in wave_2022]]],
        ignore_index=True,
    )
    for col in source.columns:
        if isinstance(source[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str).astype("category")
    # one county-wave cut to 5 respondents, each from another school
    cell = (df["county"] == TINY_COUNTY) & (df["wave"] == TINY_WAVE)
    keep = df[cell].groupby("school_id", observed=True).head(1).index[:TINY_N]
    df = df.drop(index=df.index[cell.to_numpy(bool)].difference(keep)).reset_index(drop=True)
    assert ((df["county"] == TINY_COUNTY) & (df["wave"] == TINY_WAVE)).sum() == TINY_N
    return df


@pytest.fixture(scope="module")
def published(tmp_path_factory, generated_examples):
    tmp = tmp_path_factory.mktemp("publication")
    df = _survey(generated_examples)
    data = tmp / "survey.parquet"
    df.to_parquet(data, index=False)
    run = pipeline.run_report(
        data,
        out=tmp / "reports",
        run_id="p",
        regions="all,each",
        notebooks=list(pipeline.NOTEBOOKS),
        notebook_dir=NOTEBOOK_DIR,
        workers=2,
        progress=False,
    )
    return run, df


def test_every_report_ran(published):
    run, df = published
    assert run.ok, [(j.region, j.notebook, j.error) for j in run.failed]
    regions = {"all", *df["county"].astype(str).unique()}
    assert len(run.jobs) == len(regions) * len(pipeline.NOTEBOOKS)


# ------------------------------------------------------------------------------ identifiers
def _published_files(run) -> list[Path]:
    return sorted(
        p
        for p in run.out_dir.rglob("*")
        if p.is_file() and p.suffix in (".html", ".ipynb", ".json")
    )


def _pattern_hits(text: str) -> list[str]:
    """Mobile numbers, resident ID numbers (valid check digit) and e-mail addresses in text."""
    text = BASE64.sub(" ", text)
    hits = MOBILE.findall(text) + EMAIL.findall(text)
    return hits + [m for m in RESIDENT_ID.findall(text) if identifiers.resident_id_checksum_ok(m)]


def test_the_scan_finds_what_it_looks_for():
    # the scan itself, on text where it must find something (else the tests below prove nothing)
    ident = sje.examples.example_identifiers()
    text = f"联系电话:{ident['phone'][0]};身份证 {ident['id_number'][0]}。a.b@example.cn"
    assert len(_pattern_hits(text)) == 3
    assert not _pattern_hits("-4122.18522791055, 8695.17409241941, sha 9b13812345678a")


def test_no_identifier_or_respondent_id_is_published(published):
    run, df = published
    files = _published_files(run)
    names = {p.name for p in files}
    assert {"index.html", "manifest.json"} <= names
    assert sum(p.suffix == ".html" for p in files) == len(run.jobs) + 1
    assert sum(p.suffix == ".ipynb" for p in files) == len(run.jobs)
    assert sum(p.name.endswith(".briefing.json") for p in files) == len(run.caches) == 3

    ids = set(df["respondent_id"].dropna().astype(str))
    assert len(ids) > 500 and all(TOKEN.fullmatch(i) for i in ids)
    ident = sje.examples.example_identifiers()
    digits = set(ident["phone"]) | set(ident["id_number"])
    people = set(ident["name"]) | {ip.split("(")[0] for ip in ident["ip"]}
    found = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        tokens = set(TOKEN.findall(text))
        leaks = sorted(tokens & ids) + sorted(tokens & digits)
        plain = BASE64.sub(" ", text)
        leaks += [x for x in people if x in plain] + _pattern_hits(text)
        if leaks:
            found[str(path.relative_to(run.out_dir))] = leaks[:5]
    assert not found, found
    # the scan saw the reports' text: the region names are there
    assert TINY_COUNTY in (run.out_dir / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ small cells
class _Tables(HTMLParser):
    """The tables of an HTML page as lists of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(path: Path) -> list[pd.DataFrame]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return [pd.DataFrame(t[1:], columns=t[0]) for t in parser.tables if len(t) > 1]


def _report(run, region: str, notebook: str) -> Path:
    return Path(next(j.html for j in run.jobs if j.region == region and j.notebook == notebook))


LABELS = {
    "指标",
    "调查轮次",
    "单位",
    "说明",
    "显著性",
    "学段",
    "区县",
    "变量",
    "收入五分位组",
    "项",
}
MARK = re.compile(r"^(样本不足.*|<\d+|0|–|无法计算|)$")  # marks, a zero count, no value


def _wave_cells(table: pd.DataFrame, wave: str) -> list[str]:
    """Cells of ``wave``: its column, or the value cells of its rows (wave in 调查轮次)."""
    cells = list(table[wave]) if wave in table.columns else []
    if "调查轮次" in table.columns:
        rows = table[table["调查轮次"] == wave]
        cells += [v for c in rows.columns if c not in LABELS for v in rows[c]]
    return cells


@pytest.mark.parametrize("notebook", [n for n in pipeline.NOTEBOOKS if n != "90_policy_report"])
def test_tiny_county_wave_is_marked_and_never_estimated(published, notebook):
    run, _ = published
    wave = str(TINY_WAVE)
    tiny = [c for t in _tables(_report(run, TINY_COUNTY, notebook)) for c in _wave_cells(t, wave)]
    numbers = [c for c in tiny if not MARK.match(c)]
    assert not numbers, f"{notebook}: published for {TINY_COUNTY} {wave}: {numbers}"
    # (the causal notebook's 2024 coefficient is not even computed: no senior student left)
    if notebook in ("00_data_quality", "10_homework_and_sleep", "20_tutoring",
                    "30_parental_anxiety"):  # fmt: skip
        assert any(c.startswith(("样本不足", "<10")) for c in tiny), f"{notebook}: no mark"
        # control: the other county's cells of the same wave are published as numbers
        other = [
            c for t in _tables(_report(run, "样本县001", notebook)) for c in _wave_cells(t, wave)
        ]
        assert any(not MARK.match(c) for c in other), notebook


def test_data_quality_tables_hide_the_small_counts(published):
    run, _ = published
    tables = _tables(_report(run, TINY_COUNTY, "00_data_quality"))
    sizes = next(t for t in tables if "区县" in t.columns)
    assert sizes.set_index("区县").loc[TINY_COUNTY, str(TINY_WAVE)] == "<10"
    missing = next(t for t in tables if "变量" in t.columns or "省份" in set(t.iloc[:, 0]))
    assert set(missing[str(TINY_WAVE)]) == {"样本不足"}
    weights = next(t for t in tables if "Kish设计效应" in t.columns)
    row = weights.set_index("调查轮次").loc[str(TINY_WAVE)]
    assert row["样本量"] == "<10" and set(row.drop("样本量")) == {"样本不足"}


def test_policy_report_and_its_cache_keep_nothing_of_the_small_cell(published):
    run, _ = published
    page = _report(run, TINY_COUNTY, "90_policy_report")
    card = next(t for t in _tables(page) if "3年评价" in t.columns)
    change = card["3年变化 [95%置信区间]"]
    assert len(card) == 14 and change.str.match(MARK).all() and (change == "样本不足").any()
    hidden = card[change == "样本不足"]  # a suppressed row shows no count
    assert set(hidden["样本量"]) <= {"样本不足", "<30"}
    text = page.read_text(encoding="utf-8")
    assert f"{TINY_WAVE}年 &lt;30" in text and "不予报告" in text
    b = briefing.load(run.caches[TINY_COUNTY])
    assert b.meta["respondents_by_wave"][str(TINY_WAVE)] is None
    three = b.scorecard["n_three_year"]
    assert b.scorecard["suppressed_three_year"].any()
    assert (three.isna() | (three == 0)).all()  # suppressed (NA) or nobody (0)
    for key in briefing.CHARTS:
        frame = b.frames[f"chart:{key}"]
        if "estimate" in frame:
            small = frame[frame["wave"] == TINY_WAVE]
            assert small["estimate"].isna().all() and small["n"].isna().all(), key
        else:  # the histogram: the wave's rows are left out
            assert not (frame["wave"] == TINY_WAVE).any(), key
    raw = json.loads(run.caches[TINY_COUNTY].read_text(encoding="utf-8"))
    assert raw["meta"]["respondents_by_wave"][str(TINY_WAVE)] is None


def test_index_marks_the_window_without_data(published):
    run, _ = published
    index = next(t for t in _tables(run.index) if "3年目标" in t.columns)
    row = index.set_index("地区").loc[TINY_COUNTY]
    assert row["3年目标"] == "数据不足 14"
    assert re.search(r"\d", index.set_index("地区").loc["样本县001", "3年目标"])


def test_scorecard_frame_gives_no_count_of_a_suppressed_cell(published):
    _, df = published
    card = sje.scorecard(df, region=TINY_COUNTY).to_frame()
    hidden = card["suppressed_three_year"]
    assert hidden.sum() >= 10
    assert card.loc[hidden, ["n_three_year", "psu_three_year"]].isna().all().all()
    assert (card.loc[~hidden, "n_three_year"] == 0).all()  # the others: nobody in the cell
    # n counts the published periods only, so no difference of totals gives the small cell
    periods = card[["n_baseline", "n_one_year", "n_three_year"]].astype(float).fillna(0)
    assert np.array_equal(card["n"].to_numpy(float), periods.sum(axis=1).to_numpy())
