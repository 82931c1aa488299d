"""The policy report as Word and Excel files: opened with python-docx and openpyxl, their
headings, tables, images and cells read back; small cells stay unpublished in both."""

from __future__ import annotations

import copy
import re

import docx
import openpyxl
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import briefing
from shuangjian_eval.publication import documents
from shuangjian_eval.publication import formatting as fmt
from shuangjian_eval.run.pipeline.formats import check_formats
from shuangjian_eval.run.pipeline.parameters import ParameterError

FOOTER = {
    "数据指纹": "0123456789abcdef",
    "版本": "0.1.0",
    "生成时间": "2026年12月2日 13:41（北京时间）",
}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return sje.synth.generate(
        n_schools=24, students_per_school=16, n_counties=3, waves=(2019, 2020, 2022, 2024), seed=5
    )


@pytest.fixture(scope="module")
def brief(survey) -> briefing.Briefing:
    county = sorted(map(str, survey["county"].unique()))[0]
    return briefing.compute(survey, region=county).render(("zh",))


@pytest.fixture(scope="module")
def word(brief, tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "report.docx"
    documents.write_docx(brief, path, lang="zh", title="样本县 · 政策评估报告", footer=FOOTER)
    return docx.Document(str(path))


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_word_has_the_sections_tables_and_charts_of_the_report(brief, word):
    texts = [p.text for p in word.paragraphs]
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == [briefing.SECTIONS[s]["zh"] for s in briefing.DOCUMENT_SECTIONS]
    assert texts[0] == "样本县 · 政策评估报告"
    # the overall verdict sentence of each target window, as in the HTML headline
    assert any(t.startswith("1年目标“有效减轻”（2022年调查与政策前相比）：") for t in texts)
    assert any(t.startswith("3年目标“成效显著”") and "项指标中" in t for t in texts)
    # numbered tables, one per target window, with a row per indicator and their verdicts
    captions = [t for t in texts if re.match(r"表\d", t)]
    assert [c[:2] for c in captions] == ["表1", "表2"]
    assert len(word.tables) == 2
    one_year = _cells(word.tables[0])
    assert one_year[0][0] == "指标" and "1年评价" in one_year[0]
    assert [r[0] for r in one_year[1:]] == list(brief.scorecard["label_zh"])
    verdicts = {fmt.verdict_label(v, "zh") for v in brief.scorecard["verdict_1y"]}
    assert {r[one_year[0].index("1年评价")] for r in one_year[1:]} <= verdicts | {"样本不足"}
    assert "全部地区（对比）" in one_year[0]  # a county beside the whole area
    # the column widths in the table grid (LibreOffice and WPS) and in each cell (Word): the
    # indicator's column wider, the grid filling the text width (documents._PAGE_WIDTH_CM)
    grid = [c.width.cm for c in word.tables[0].columns]
    assert grid[0] > grid[1] and sum(grid) == pytest.approx(documents._PAGE_WIDTH_CM, abs=0.05)
    assert [c.width.cm for c in word.tables[0].rows[1].cells] == pytest.approx(grid, abs=0.01)
    body = word.tables[0].rows[1]._tr.trPr
    assert body is not None and body.find(docx.oxml.ns.qn("w:cantSplit")) is not None
    # the charts as images: the scorecard and each key chart that has data
    drawn = sum(1 for key in ("scorecard", *brief.chart_keys()) if brief.images["zh"].get(key))
    assert len(word.inline_shapes) == drawn >= 2
    assert [t[:2] for t in texts if re.match(r"图\d", t)] == [f"图{i}" for i in range(1, drawn + 1)]
    # the glossary and the footer with the data's fingerprint and the Beijing time
    assert any(t.startswith("置信区间：") for t in texts)
    footer = word.sections[0].footer.paragraphs[0].text
    assert "0123456789abcdef" in footer and "北京时间" in footer
    assert abs(word.sections[0].page_width.cm - 21.0) < 0.01  # A4


def test_excel_has_the_scorecard_with_units_and_bounds_in_their_own_columns(brief, tmp_path):
    path = documents.write_xlsx(brief, tmp_path / "report.xlsx", lang="zh", footer=FOOTER)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "目标完成情况"
    assert set(wb.sheetnames[1:]) <= {spec["title"]["zh"] for spec in briefing.CHARTS.values()}
    ws = wb["目标完成情况"]
    head = [c.value for c in ws[2]]
    for column in ("单位", "基线", "基线（95%置信区间下限）", "1年变化", "1年变化（95%置信区间上限）",
                   "3年评价", "样本量", "全国数据"):  # fmt: skip
        assert column in head
    rows = {
        r[0]: dict(zip(head, r, strict=False))
        for r in ws.iter_rows(min_row=3, values_only=True)
        if r[0]
    }
    card = brief.scorecard.set_index("label_zh")
    minutes = card.loc[card["unit"] == "minutes per day"].iloc[0]
    got = rows[minutes.name]
    assert got["单位"] == "分钟/天"
    assert got["1年变化"] == pytest.approx(minutes["change_1y"], abs=1e-3)
    assert got["1年变化（95%置信区间下限）"] == pytest.approx(
        minutes["change_1y_ci_lower"], abs=1e-3
    )
    share = card.loc[(card["unit"] == "share") & ~card["suppressed"].astype(bool)].iloc[0]
    assert rows[share.name]["基线"] == pytest.approx(100 * share["baseline"], abs=1e-2)  # in %
    assert rows[share.name]["1年评价"] == fmt.verdict_label(share["verdict_1y"], "zh")


def test_small_cells_are_not_published_in_either_file(brief, tmp_path):
    """A row from fewer than min_cell respondents shows the mark, and none of its numbers,
    in the Word tables and in the workbook, even where the numbers are at hand."""
    small = copy.deepcopy(brief)
    small.scorecard = brief.scorecard.copy()
    pos = int((brief.scorecard["unit"] == "minutes per day").to_numpy().argmax())
    small.scorecard.loc[pos, ["n", "suppressed"]] = [5, False]
    row = small.scorecard.iloc[pos]
    numbers = [fmt.format_number(row[c], 1) for c in ("baseline", "change_1y", "change_3y")]
    word = docx.Document(str(documents.write_docx(small, tmp_path / "s.docx", lang="zh")))
    first, second = (_cells(t)[pos + 1] for t in word.tables)
    assert first[2] == first[3] == second[1] == "样本不足"
    own = first[:-1] + second[:-1]  # the last column of each is the whole area's
    assert not any(n in c for n in numbers for c in own)
    ws = openpyxl.load_workbook(documents.write_xlsx(small, tmp_path / "s.xlsx", lang="zh"))[
        "目标完成情况"
    ]
    values = [c.value for c in ws[pos + 3]]
    assert values[2] == "样本不足" and values[3:8] == [None] * 5
    assert 5 not in values


def test_formats_are_checked_before_a_run():
    assert check_formats("docx,xlsx") == ("html", "docx", "xlsx")
    assert check_formats(["html"]) == ("html",)
    with pytest.raises(ParameterError, match="docx"):
        check_formats("html,dcx")
