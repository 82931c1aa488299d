"""The analysis plan chosen from the data, and the reports on the designs counties have.

Expected values: the known design of the synthetic demo survey (waves 2019-2024, strata,
design weights, senior grades and pilot cities) and of the county example download (one
post-policy wave, no strata, no weights; ``examples_wenjuanxing``), and the policy date of
``policy.yaml`` (24 July 2021; waves are fielded in November).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_notebook_runs import NOTEBOOK_DIR, _outputs_text

import shuangjian_eval as sje
from shuangjian_eval import pipeline
from shuangjian_eval.inputs import examples_wenjuanxing as wjx_examples
from shuangjian_eval.inputs.io.store import write_canonical
from shuangjian_eval.publication import analyses
from shuangjian_eval.publication.plan import Unavailable, choose_plan

EX = Path(__file__).resolve().parent.parent / "data" / "examples"


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """The county download as a county analyst ingests it: one wave, no strata, no weights."""
    res = sje.load_survey(
        EX / "wjx-county-numbers.xlsx", mapping="wenjuanxing-county", wave=2022,
        county=wjx_examples.COUNTY, salt="s", exclude=["test", "duplicate"],
    )  # fmt: skip
    path = tmp_path_factory.mktemp("county") / "county.parquet"
    write_canonical(res.data, path)
    return path


def test_demo_survey_plan():
    df = sje.synth.generate(n_schools=16, students_per_school=6, n_counties=2, seed=1)
    plan = choose_plan(df)
    assert plan.kind == "before_after" and plan.baseline_waves == (2019, 2020)
    assert plan.post_waves == (2021, 2022, 2024) and plan.weights == "design"
    assert plan.strata and plan.clusters and set(plan.comparisons) == {"grade", "pilot"}
    assert "政策前（2019、2020年，合并为基线）" in plan.describe("zh")


def test_one_wave_county_plan(county):
    plan = choose_plan(pd.read_parquet(county))
    assert plan.kind == "levels" and plan.waves == (2022,) and plan.reference_waves == ()
    assert plan.weights == "equal" and not plan.strata and plan.clusters
    assert plan.comparisons == ()
    zh = plan.describe("zh")
    assert "只有一轮调查（2022年）" in zh and "结果描述的是作答的家庭" in zh
    assert "the families who answered" in plan.describe("en")
    why = plan.unavailable("comparison", "zh")
    assert isinstance(why, Unavailable) and "政策前的基线和对照组" in why


def test_two_post_waves_give_the_change_between_them():
    df = sje.synth.generate(n_schools=16, students_per_school=6, n_counties=2, waves=(2022, 2024))
    plan = choose_plan(df)
    assert plan.kind == "change" and plan.reference_waves == (2022,) and not plan.has_baseline
    assert plan.unavailable("change", "en") is None
    assert plan.unavailable("baseline", "en") is not None
    p = analyses.check_parameters(
        df, region="all", waves=[], baseline_waves=[], comparison="grade", outcomes=[],
        lang="zh", notebook="homework_and_sleep",
    )  # fmt: skip
    change = analyses.change_from_baseline(
        analyses.comparison_groups(df, "grade"), ["sleep_hours"], baseline_waves=p.reference_waves
    )
    assert set(change.table["wave"]) == {2024}  # the later wave against the first


def test_forced_plan_is_checked(county):
    df = pd.read_parquet(county)
    with pytest.raises(ValueError, match=r"plan 'before_after' needs a pre-policy wave"):
        choose_plan(df, plan="before_after")
    with pytest.raises(ValueError, match="did you mean 'levels'"):
        choose_plan(df, plan="level")
    demo = sje.synth.generate(n_schools=16, students_per_school=6, n_counties=2, seed=1)
    forced = choose_plan(demo, plan="levels")
    assert forced.forced and forced.waves == (2024,) and "按参数 plan 指定" in forced.describe("zh")


def test_unavailable_passes_through_tables_and_words(county):
    p = analyses.check_parameters(
        pd.read_parquet(county), region="all", waves=[], baseline_waves=[], comparison="grade",
        outcomes=[], lang="en", notebook="causal_effects",
    )  # fmt: skip
    why = p.needs("comparison")
    assert analyses.table(why, lang="en") is why and analyses.findings(why, lang="en") is why
    assert sje.tables.to_styler(analyses.effect_table(why, lang="en")) is why
    assert why._repr_markdown_().startswith("> Not computed here: needs surveys before and after")
    assert why._repr_markdown_() == ""  # shown once in a section


ANALYSIS_NOTEBOOKS = ["00_data_quality", "10_homework_and_sleep", "20_tutoring",
                      "30_parental_anxiety", "40_causal_effects", "50_heterogeneity",
                      "90_policy_report"]  # fmt: skip


@pytest.fixture(scope="module")
def one_wave_reports(county, tmp_path_factory) -> dict[str, str]:
    """The analysis notebooks run once on the county (one report run, as ``sje report``
    runs them): each notebook's output texts."""
    run = pipeline.run_report(
        county, out=tmp_path_factory.mktemp("one-wave"), run_id="w", regions="all",
        notebooks=ANALYSIS_NOTEBOOKS, notebook_dir=NOTEBOOK_DIR, workers=2, progress=False,
    )  # fmt: skip
    assert run.ok, [(j.notebook, j.error) for j in run.failed]
    return {job.notebook: _outputs_text(Path(job.ipynb)) for job in run.jobs}


@pytest.mark.parametrize("notebook", ANALYSIS_NOTEBOOKS)
def test_analysis_notebooks_run_on_a_one_wave_county(one_wave_reports, notebook):
    text = one_wave_reports[notebook]
    assert "Traceback" not in text
    if notebook != "00_data_quality":
        assert "只有一轮调查（2022年）" in text
    if notebook in ("40_causal_effects", "50_heterogeneity"):
        assert "本节无法计算：需要政策前后的调查和一个不受政策影响的对照组" in text
    else:
        assert "<table" in text  # levels are shown
    if notebook == "90_policy_report":  # the plan and the warning first, levels in the table
        assert (
            "⚠ 数据没有抽样权重" in text and "2022年调查的现状与全国数据（没有政策前基线）" in text
        )
        assert "数据中没有“学校的城乡类别”，无法分组比较" in text


# ------------------------------------------------------------ the policy report's briefing
def test_briefing_of_a_one_wave_county_reports_levels(county):
    """One post-policy wave: levels against the national figures of ``policy.yaml`` (the
    comparable ones), "no baseline" for the others, no change and no target verdict."""
    df = pd.read_parquet(county)
    b = sje.briefing.compute(df, region="all")
    assert b.meta["plan"]["kind"] == "levels" and b.meta["baseline_waves"] == []
    card = b.scorecard.set_index("indicator")
    pol = sje.policy.load()
    for ind, row in card.iterrows():
        figure = (pol.official_figures(ind) or [{}])[0]
        if figure.get("comparable"):
            national, lo, hi = (
                float(figure["scorecard_value"]),
                row["one_year_ci_lower"],
                row["one_year_ci_upper"],
            )
            want = (
                "level_better"
                if lo > national
                else "level_worse"
                if hi < national
                else "level_similar"
            )
            if row["direction"] == "decrease":
                want = {"level_better": "level_worse", "level_worse": "level_better"}.get(
                    want, want
                )
            assert row["verdict_1y"] == want, ind
        else:
            assert row["verdict_1y"] == "no_baseline", ind
        assert row["verdict_3y"] == "insufficient" and pd.isna(row["change_1y"])  # no 2024 wave
    headline = b.headline("zh")._repr_html_()
    assert "只有一轮调查（2022年）" in headline and "1年、3年目标无法判断" in headline
    assert "3年目标" not in headline.replace("1年、3年目标", "")  # no verdicts on the targets
    assert b.scorecard_chart("zh")._repr_markdown_() == ""  # no changes to draw
    finding = b.key_findings("en")._repr_markdown_()
    assert "describe the state after the policy, not a comparison with before it" in finding
    assert "needs a pre-policy survey" in b.equity("en")._repr_markdown_()
    methods = b.methods("zh")._repr_markdown_()
    assert "所有估计均按抽样设计加权" not in methods and "各受访者权重相同" in methods


def test_briefing_of_two_post_policy_waves():
    """Waves 2022 and 2024 without a baseline: both levels reported, no target verdicts."""
    df = sje.synth.generate(n_schools=16, students_per_school=12, n_counties=2, waves=(2022, 2024))
    b = sje.briefing.compute(df, region="all")
    assert b.meta["plan"]["kind"] == "change"
    assert set(b.scorecard["verdict_1y"]) <= {"level_better", "level_similar", "level_worse",
                                               "no_baseline", "insufficient"}  # fmt: skip
    html_text = b.scorecard_table("zh")._repr_html_()
    assert "2022年水平" in html_text and "2024年水平" in html_text
    assert "“有效减轻”" not in html_text
    # the trend between the waves: each indicator with both levels counted once, by the sign of
    # its interval in the direction of improvement
    card = b.scorecard[b.scorecard["change_1y_to_3y"].notna()]
    assert sum(b.meta["trend_counts"].values()) == len(card) > 0
    assert "2022年到2024年的变化（政策实施后的走势）" in b.headline("zh")._repr_html_()


def test_policy_report_plan_can_be_forced(tmp_path):
    """plan="levels" on the demo survey: the last wave alone, said to be forced; a cache
    computed with another plan is refused."""
    df = sje.synth.generate(n_schools=16, students_per_school=12, n_counties=2)
    b = sje.briefing.compute(df, region="all", plan="levels")
    assert b.meta["plan"]["kind"] == "levels" and b.meta["plan"]["forced"]
    assert b.meta["waves"] == [2024] and (b.scorecard["verdict_3y"] != "remarkable").all()
    assert "按参数 plan 指定" in b.headline("zh")._repr_html_()
    data = tmp_path / "demo.parquet"
    write_canonical(df, data)
    cache = b.save(tmp_path / "levels.briefing.json")
    with pytest.raises(
        ValueError, match=r"computed with plan 'levels', this report asks for 'auto'"
    ):
        sje.briefing.load_or_compute(data, cache_path=cache)
    with pytest.raises(ValueError, match=r"plan 'change' needs two post-policy waves"):
        sje.briefing.compute(df[df["wave"] == 2022], plan="change")
