"""The policy briefing: computed once from a small synthetic survey, cached, shown to readers.

Expected values come from the package itself, computed independently of the briefing: the
headline's counts are those of ``sje.targets.scorecard`` on the same data (the scorecard is the
source of every verdict), the valid regions are the counties ``sje.synth`` generated, and the
raw values a cache must not hold are the synthetic respondents' own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import shuangjian_eval as sje
from shuangjian_eval import briefing
from shuangjian_eval.publication.briefing.compute import _Prepared

SECTION_HEADINGS_ZH = ["一、结论摘要", "二、目标完成情况", "三、主要指标的变化",
                       "四、隐形培训与公平", "五、督导报表与家庭调查对照", "六、方法与数据说明", "七、名词解释"]  # fmt: skip


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return sje.synth.generate(
        n_schools=24, students_per_school=16, n_counties=3, waves=(2019, 2020, 2022, 2024), seed=5
    )


@pytest.fixture(scope="module")
def survey_file(survey, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "survey.parquet"
    survey.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def county(survey) -> str:
    return sorted(map(str, survey["county"].unique()))[0]


@pytest.fixture(scope="module")
def brief(survey, county) -> briefing.Briefing:
    return briefing.compute(survey, region=county)


@pytest.fixture(scope="module")
def saved(brief, tmp_path_factory) -> Path:
    return brief.save(tmp_path_factory.mktemp("cache") / "b.json")


def _summary_counts(headline: str, window: str) -> dict[str, int]:
    """{verdict label: count} from the headline's overall sentence of one window."""
    lead = "1年目标" if window == "1y" else "3年目标"
    para = next(p for p in re.findall(r"<p[^>]*>(.*?)</p>", headline) if p.startswith(lead))
    body = para.split("项指标中 ", 1)[1].rstrip("。")
    counts: dict[str, int] = {}
    for part in body.split("，"):
        detail = re.findall(r"(\S+) (\d+) 项", part)  # 9 项达到目标（成效显著 1 项、有效减轻 8 项）
        if detail:
            counts |= {label.lstrip("（、"): int(n) for label, n in detail}
            continue
        n, label = re.fullmatch(r"(\d+) 项(.+)", part).groups()
        if label == "达到目标":  # one verdict meets the target
            label = sje.targets.VERDICT_LABELS["zh"][
                "remarkable" if window == "3y" else "effective"
            ]
        counts[label] = int(n)
    assert int(re.search(r"(\d+) 项指标中", para).group(1)) == sum(counts.values())
    return counts


# ------------------------------------------------------------------------------ computing


def test_headline_counts_are_the_scorecards(brief, survey, county):
    card = sje.targets.scorecard(survey, region=county, min_cell=30)  # the source of the verdicts
    labels = sje.targets.VERDICT_LABELS["zh"]
    headline = brief.headline("zh")
    for window in ("1y", "3y"):
        expected = card.verdicts()[f"verdict_{window}"].value_counts().to_dict()
        assert _summary_counts(headline, window) == {labels[v]: n for v, n in expected.items()}
        assert brief.verdict_counts(window) == {v: expected.get(v, 0) for v in sje.targets.VERDICTS}
    pd.testing.assert_frame_equal(
        brief.scorecard[["indicator", "verdict_1y", "verdict_3y"]],
        card.to_frame()[["indicator", "verdict_1y", "verdict_3y"]],
    )


def test_headline_badges_use_the_template_classes(brief):
    classes = set(re.findall(r'class="sje-badge ([\w-]+)"', brief.headline("zh")))
    assert classes and classes <= {"met", "remarkable", "not-met", "inconclusive", "insufficient"}
    assert "合成演示数据" in brief.headline("zh")  # the data are synthetic: said at the top


def test_sections_come_in_both_languages(brief):
    assert [brief.heading(s, "zh") for s in briefing.SECTIONS] == [
        f"## {h}" for h in SECTION_HEADINGS_ZH
    ]
    assert brief.heading("summary", "en") == "## 1. Summary"
    english = brief.headline("en") + brief.key_findings("en") + brief.equity("en")
    # no Chinese in the English text but the (Chinese) county name
    assert not re.search(r"[\u4e00-\u9fff]", english.replace(brief.region, ""))
    with pytest.raises(ValueError, match="lang"):
        brief.headline("fr")
    with pytest.raises(ValueError, match="sections"):
        brief.heading("nope", "zh")


def test_key_findings_name_every_indicator_once(brief):
    text = brief.key_findings("zh")
    for label in brief.scorecard["label_zh"]:
        assert label in text
    assert "不能单独证明变化由政策引起" in text  # before-after is not causal


def test_region_not_in_data_lists_valid_regions(survey):
    counties = sorted(map(str, survey["county"].unique()))
    with pytest.raises(ValueError, match="valid regions: all, " + ", ".join(counties)):
        briefing.compute(survey, region="没有这个县")


def test_all_regions_and_charts(survey):
    b = briefing.compute(survey, region="all")
    assert b.meta["respondents"] == len(survey)
    assert b.meta["counties"] == survey["county"].nunique()
    for key in ["scorecard", *b.chart_keys()]:
        chart = b.chart(key, "zh")
        assert isinstance(chart, briefing.Chart), key
        png, meta = chart._repr_png_()
        assert png.startswith(b"\x89PNG") and 400 < meta["width"] < 1400
    assert isinstance(b.figure("homework_standard", "en"), Figure)  # for researchers


# ------------------------------------------------------------------------------ suppression


def test_small_cells_are_neither_drawn_nor_described(survey, county):
    b = briefing.compute(survey, region=county, min_cell=100_000)  # every cell below min_cell
    assert set(b.scorecard["verdict_1y"]) == {"insufficient"}
    for key in b.chart_keys():
        assert isinstance(b.chart(key, "zh"), briefing.Markdown)  # a note, no chart
        frame = b.frames[f"chart:{key}"]
        if "estimate" in frame:
            assert frame["estimate"].isna().all()
        else:
            assert frame.empty
        assert "置信区间" not in b.reading(key, "zh")
    assert "置信区间" not in b.equity("zh")
    for name in ("displacement", "spend_by_income", "urban_rural"):
        assert b.frames[name]["estimate"].isna().all()


# ------------------------------------------------------------------------------ escaping


def test_region_names_from_data_are_escaped(survey, county):
    evil = "<script>alert(1)</script>_县"
    df = survey.assign(county=survey["county"].astype(str).replace(county, evil))
    b = briefing.compute(df, region=evil)
    shown = [b.headline("zh"), b.headline("en"), b.coverage("zh"), b.methods("en"),
             b.key_findings("zh"), b.scorecard_table("zh"), b.equity("zh")]  # fmt: skip
    for text in shown:
        assert "<script>" not in text
    assert "&lt;script&gt;" in b.headline("zh") and "&lt;script&gt;" in b.coverage("zh")


# ------------------------------------------------------------------------------ the cache


def test_save_load_round_trip(brief, saved):
    back = briefing.load(saved)
    assert back.meta == json.loads(json.dumps(brief.meta))
    assert back.text == brief.text
    pd.testing.assert_frame_equal(back.scorecard, brief.scorecard, check_dtype=False)
    assert back.frames.keys() == brief.frames.keys()
    for key, frame in brief.frames.items():
        pd.testing.assert_frame_equal(back.frames[key], frame.reset_index(drop=True),
                                      check_dtype=False, obj=key)  # fmt: skip
    for lang in ("zh", "en"):
        assert back.headline(lang) == brief.headline(lang)
        assert back.scorecard_table(lang) == brief.scorecard_table(lang)
    assert not list(saved.parent.glob("*.tmp"))  # the temporary file was renamed


def test_cache_holds_no_respondent_ids_or_raw_rows(saved, survey):
    text = saved.read_text(encoding="utf-8")
    assert "respondent_id" not in text
    ids = survey["respondent_id"].astype(str)
    assert not any(i in text for i in ids.iloc[:: max(1, len(ids) // 200)])
    doc = json.loads(text)
    hist = briefing._frame_from_json(doc["frames"]["chart:homework_standard"])
    assert not hist.empty
    assert (hist["homework_min_weekday"] % 5 == 0).all(), "histogram bins, not raw minutes"
    assert not hist.duplicated(["wave", "stage", "grade", "homework_min_weekday"]).any()
    raw = {round(float(v), 6) for v in survey["homework_min_weekday"].dropna() if v % 5}
    stored = {
        round(float(v), 6)
        for f in doc["frames"].values()
        for row in f["data"]
        for v in row
        if isinstance(v, float)
    }
    assert not raw & stored, "a respondent's own homework minutes are in the cache"
    for f in doc["frames"].values():
        assert not {"household_income", "school_id", "gender"} & set(f["columns"])


def test_load_refuses_other_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a briefing"):
        briefing.load(path)
    path.write_text('{"format": "sje-briefing", "version": 999}', encoding="utf-8")
    with pytest.raises(ValueError, match="version 999"):
        briefing.load(path)


def test_load_or_compute_with_a_cache_does_not_read_the_data(
    monkeypatch, survey_file, county, tmp_path
):
    paths = briefing.precompute(survey_file, [county], tmp_path, langs=())

    def no_reading(path):
        raise AssertionError("the data were read although a cache was given")

    monkeypatch.setattr(briefing.cache, "_read_data", no_reading)
    b = briefing.load_or_compute(survey_file, region=county, cache_path=str(paths[county]))
    assert b.region == county
    with pytest.raises(ValueError, match="is for region"):
        briefing.load_or_compute(survey_file, region="all", cache_path=str(paths[county]))
    with pytest.raises(ValueError, match="min_cell=10"):
        briefing.load_or_compute(survey_file, region=county, cache_path=paths[county], min_cell=10)


def test_a_cache_of_other_data_is_refused(survey, county, tmp_path):
    data = tmp_path / "survey.parquet"
    survey.to_parquet(data, index=False)
    cache = briefing.precompute(data, county, tmp_path / "cache", langs=())[county]
    survey.iloc[: len(survey) // 2].to_parquet(data, index=False)  # the data changed
    with pytest.raises(ValueError, match="other data"):
        briefing.load_or_compute(data, region=county, cache_path=cache)


def test_without_a_cache_it_computes(survey_file, county, brief):
    b = briefing.load_or_compute(survey_file, region=county, cache_path="")
    assert b.verdict_counts("1y") == brief.verdict_counts("1y")
    assert b.meta["data_sha256"] == sje.pipeline.data_hash(survey_file)
    assert b.synthetic  # the synthetic marker survives Parquet


def test_precompute_reads_the_data_once(monkeypatch, survey_file, survey, tmp_path):
    calls = []
    read = briefing.cache._read_data

    def counting(path):
        calls.append(path)
        return read(path)

    monkeypatch.setattr(briefing.cache, "_read_data", counting)
    paths = briefing.precompute(survey_file, "all,each", tmp_path, langs=("zh",))
    assert len(calls) == 1
    counties = sorted(map(str, survey["county"].unique()))
    assert list(paths) == ["all", *counties]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())
    for region, path in paths.items():
        b = briefing.load(path)
        assert b.region == region
        assert set(b.images["zh"]) >= {"scorecard", *b.chart_keys()}  # charts rendered
        assert isinstance(b.chart("sleep", "zh"), briefing.Chart | briefing.Markdown)
    # the sentences of the run's language only: another language is refused, not left blank
    b = briefing.load(paths["all"])
    assert set(b.text) == {"zh"}
    assert b.key_findings("zh")
    with pytest.raises(ValueError, match=r"holds the report's text in zh, not 'en'"):
        b.key_findings("en")


def test_precompute_checks_regions_before_writing(survey_file, tmp_path):
    with pytest.raises(ValueError, match="valid regions"):
        briefing.precompute(survey_file, "all,没有这个县", tmp_path / "c", langs=())
    assert not (tmp_path / "c").exists()


def test_precompute_in_worker_processes_matches(survey_file, county, brief, tmp_path):
    paths = briefing.precompute(survey_file, ["all", county], tmp_path, langs=(), workers=2)
    b = briefing.load(paths[county])
    assert b.text == brief.text
    np.testing.assert_allclose(
        b.scorecard["change_1y"].to_numpy(float), brief.scorecard["change_1y"].to_numpy(float)
    )


def test_region_rows_cut_to_its_strata_give_the_full_design_numbers(survey):
    """A region is a domain of the full design; strata without a row of it add nothing, so the
    briefing (computed on the rows of the strata that reach the region) must give the numbers
    of ``sje.targets.scorecard`` on every row. Strata here cross counties (pairs of counties
    share a stratum), so the cut keeps rows of a neighbouring county too."""
    df = survey.copy()
    counties = sorted(map(str, df["county"].unique()))
    pair = {c: i // 2 for i, c in enumerate(counties)}
    df["stratum"] = [f"h{pair[str(c)]}-{u}" for c, u in zip(df["county"], df["urban"], strict=True)]
    region = counties[0]
    prep = _Prepared.of(df, sje.policy.load())
    cut = prep.for_region(region)
    assert 0 < len(cut.df) < len(df)  # the other pair's strata are left out ...
    assert cut.df["county"].nunique() == 2  # ... the neighbour sharing its strata is kept
    b = briefing.compute(df, region=region)
    card = sje.targets.scorecard(df, region=region, min_cell=30).to_frame()
    numbers = ["baseline", "one_year", "change_1y", "change_1y_ci_lower", "change_1y_ci_upper",
               "change_3y_ci_lower", "change_3y_ci_upper", "n"]  # fmt: skip
    np.testing.assert_allclose(
        b.scorecard[numbers].to_numpy(float), card[numbers].to_numpy(float), rtol=1e-12
    )
    assert b.scorecard["verdict_3y"].tolist() == card["verdict_3y"].tolist()


def test_a_county_stands_beside_the_whole_area(brief, survey):
    """Each scorecard row of a county's report holds the whole area's change and verdict too,
    from the scorecard of all the data."""
    area = sje.targets.scorecard(survey, min_cell=30).to_frame()
    table = brief.scorecard_table("zh")
    assert table.count("全部地区（对比）") == 2  # one column in each target window's table
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("表2")[0])[1:]
    for row, (_, r) in zip(rows, area.iterrows(), strict=True):
        last = re.findall(r"<td[^>]*>(.*?)</td>", row)[-1]
        if not r["suppressed"] and r["verdict_1y"] != "insufficient":
            assert sje.targets.VERDICT_LABELS["zh"][r["verdict_1y"]] in last
