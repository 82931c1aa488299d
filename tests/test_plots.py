"""Charts: the bundled CJK font, the house style, and the structure of every chart in zh and en.

Every chart is drawn with warnings turned into errors, so a glyph missing from the font
("Glyph ... missing from font(s) ...") fails the test; checks are structural (titles, axis
labels, legend entries, series, lines, collections), never pixels.

Sources of expected values:
- labels: ``codebook.yaml`` (read through ``sje.codebook.load()``);
- homework limits 60 / 90 minutes and sleep standards 10 / 9 / 8 hours: ``policy.yaml``
  (the 2021 opinions and the 2021 MoE sleep notice), checked against the published numbers;
- the policy date 2021-07-24: ``policy.yaml`` (the opinions);
- estimates and intervals: the result objects passed in (known inputs built in the test) or
  a weighted share computed here directly from the data.
"""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
import textwrap
import warnings
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle, StepPatch

import shuangjian_eval as sje
from shuangjian_eval import formatting, plots
from shuangjian_eval.estimation.results import EstimateResult

CB = sje.codebook.load()
POLICY = sje.policy.load()
LANGS = ("zh", "en")
FONT_DIR = Path(str(resources.files("pylopdf_fonts_zh_cn")))


# ------------------------------------------------------------------------------ inputs


@pytest.fixture(scope="module")
def demo() -> dict:
    """A small synthetic survey (4 counties, 16 schools) and design-based results from it."""
    df = sje.synth.generate(n_schools=16, n_counties=4, students_per_school=30, seed=3)
    design = sje.SurveyDesign(df, "weight", strata="stratum", psu="school_id")
    return {
        "df": df,
        "by_stage": design.mean(["homework_min_weekday", "sleep_hours"], by=["wave", "stage"]),
        "tutoring": design.mean("tutoring_subject", by=["wave", "urban"]),
        "by_county": design.mean_diff(
            ["homework_min_weekday", "tutoring_subject"], between=("wave", 2019, 2024), by="county"
        ),
    }


def event_frame() -> pd.DataFrame:
    """Event-study rows by term (no period column, no reference row): known inputs."""
    return pd.DataFrame(
        {
            "term": ["wave_2019", "wave_2021", "wave_2022", "wave_2024"],
            "estimate": [1.0, -12.0, -20.0, -25.0],
            "ci_lower": [-3.0, -17.0, -26.0, -31.0],
            "ci_upper": [5.0, -7.0, -14.0, -19.0],
        }
    )


def scorecard_frame() -> pd.DataFrame:
    """A scorecard frame with the columns of ``sje.scorecard(...).to_frame()``, by hand."""
    nan = np.nan
    return pd.DataFrame(
        {
            "indicator": [
                "homework_min_weekday",
                "tutoring_subject",
                "sleep_meets_standard",
                "parent_anxiety",
            ],
            "label_zh": ["工作日书面作业时长", "参加学科类校外培训", "睡眠达标", "家长教育焦虑"],
            "label_en": [
                "Weekday written homework",
                "Subject tutoring",
                "Sleep meets the standard",
                "Parental anxiety",
            ],
            "unit": ["minutes per day", "share", "share", "scale score 1-5"],
            "baseline": [72.4, 0.48, 0.41, 3.4],
            "baseline_ci_lower": [70.0, 0.45, 0.38, 3.3],
            "baseline_ci_upper": [75.0, 0.51, 0.44, 3.5],
            "one_year": [60.1, 0.27, nan, 3.3],
            "one_year_ci_lower": [58.0, 0.24, nan, 3.2],
            "one_year_ci_upper": [62.2, 0.30, nan, 3.4],
            "three_year": [52.3, 0.18, nan, 3.2],
            "three_year_ci_lower": [50.0, 0.15, nan, 3.1],
            "three_year_ci_upper": [54.6, 0.21, nan, 3.3],
            "change_1y": [-12.3, -0.21, nan, -0.1],
            "change_1y_ci_lower": [-15.1, -0.25, nan, -0.2],
            "change_1y_ci_upper": [-9.5, -0.17, nan, 0.0],
            "change_3y": [-20.1, -0.30, nan, -0.2],
            "change_3y_ci_lower": [-23.0, -0.34, nan, -0.3],
            "change_3y_ci_upper": [-17.2, -0.26, nan, -0.1],
            "verdict_1y": ["effective", "inconclusive", "insufficient", "insufficient"],
            "verdict_3y": ["remarkable", "not_met", "insufficient", "insufficient"],
            "n": [2000, 2000, 1800, 8],
            "suppressed": [False, False, False, True],
        }
    )


def heatmap_frame() -> pd.DataFrame:
    """Three counties by two indicators; one cell flagged suppressed, one with n < 10."""
    return pd.DataFrame(
        {
            "county": ["甲县", "甲县", "乙县", "乙县", "丙县", "丙县"],
            "indicator": ["homework_min_weekday", "tutoring_subject"] * 3,
            "label_zh": ["工作日书面作业时长", "参加学科类校外培训"] * 3,
            "label_en": ["Weekday written homework", "Subject tutoring"] * 3,
            "unit": ["minutes per day", "share"] * 3,
            "change_3y": [-12.3, -0.21, -8.0, 0.05, -15.0, -0.3],
            "n": [200, 200, 5, 150, 120, 130],
            "suppressed": [False, False, False, False, False, True],
        }
    )


def build_all(demo: dict, lang: str) -> dict[str, Figure]:
    return {
        "by_wave": plots.estimates_by_wave(
            demo["by_stage"], group="stage", variable="homework_min_weekday", lang=lang
        ),
        "by_wave_share": plots.estimates_by_wave(demo["tutoring"], group="urban", lang=lang),
        "trend": plots.trend(demo["by_stage"], group="stage", variable="sleep_hours", lang=lang),
        "event_study": plots.event_study(
            event_frame(), ref=2020, variable="homework_min_weekday", lang=lang
        ),
        "homework": plots.distribution_vs_standard(
            demo["df"], "homework_min_weekday", by="stage", weights="weight", lang=lang
        ),
        "sleep": plots.distribution_vs_standard(
            demo["df"], "sleep_hours", by="stage", weights="weight", lang=lang
        ),
        "scorecard": plots.scorecard(scorecard_frame(), lang=lang),
        "heatmap": plots.region_heatmap(heatmap_frame(), value="change_3y", lang=lang),
        "heatmap_result": plots.region_heatmap(demo["by_county"], value="estimate", lang=lang),
    }


@pytest.fixture(scope="module", params=LANGS)
def charts(request, demo) -> tuple[str, dict[str, Figure]]:
    """Every chart in one language, built and drawn with all warnings as errors."""
    lang = request.param
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = build_all(demo, lang)
        for fig in figs.values():
            assert isinstance(fig.canvas, FigureCanvasAgg)  # a canvas that really draws
            fig.canvas.draw()
    return lang, figs


# ------------------------------------------------------------------------------ helpers


def legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def vertical_lines(ax) -> list[float]:
    """x of the lines drawn by ``axvline`` (constant x, spanning the axes height)."""
    out = []
    for line in ax.get_lines():
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if len(x) == 2 and x[0] == x[1] and list(y) == [0.0, 1.0]:
            out.append(float(x[0]))
    return sorted(out)


def all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def stage_labels(lang: str) -> list[str]:
    return [CB["stage"].category_label(c, lang) for c in CB["stage"].categories]


# ------------------------------------------------------------------------------ the font


def test_bundled_font_is_registered_from_the_pip_package():
    path = plots.font_path()
    assert path is not None
    assert path.parent == FONT_DIR and path.name == "NotoSansSC-Regular.otf"
    assert any(Path(f.fname) == path for f in font_manager.fontManager.ttflist)
    families = matplotlib.rcParams["font.sans-serif"]
    assert families[0] == "Noto Sans SC"
    # system fonts follow as fallbacks, in the order of the brief
    assert families[1:5] == [
        "Microsoft YaHei",
        "PingFang SC",
        "Noto Sans CJK SC",
        "WenQuanYi Micro Hei",
    ]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_cjk_text_resolves_to_the_bundled_font_not_a_system_font(charts):
    lang, figs = charts
    path = str(plots.font_path())
    generic = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    default = font_manager.findfont(
        font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
    )
    assert generic == path and default == path
    system = font_manager.findfont(
        font_manager.FontProperties(family=["WenQuanYi Micro Hei"]), fallback_to_default=True
    )
    assert Path(system).parent != FONT_DIR  # whatever the system offers, it is not what we use
    # every piece of text in a drawn chart resolves to the bundled file
    for fig in figs.values():
        for text in fig.findobj(matplotlib.text.Text):
            if text.get_text():
                assert font_manager.findfont(text.get_fontproperties()) == path, text.get_text()


def test_font_is_found_with_no_system_cjk_font(tmp_path):
    """A fresh interpreter from which every system CJK font has been removed still renders
    Chinese without a missing-glyph warning, through the font in pylopdf_fonts_zh_cn."""
    script = textwrap.dedent(
        """
        import warnings
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import font_manager as fm
        cjk = ("WenQuanYi", "CJK", "YaHei", "PingFang", "Noto Sans SC", "Source Han", "Hei", "Song")
        fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist
                                  if not any(k in f.name for k in cjk)]
        before = fm.findfont(fm.FontProperties(family=["sans-serif"]))
        warnings.simplefilter("error")
        import pandas as pd
        from shuangjian_eval import plots
        frame = pd.DataFrame({"period": [2019, 2021], "estimate": [1.0, -9.0],
                              "ci_lower": [-2.0, -12.0], "ci_upper": [4.0, -6.0]})
        fig = plots.event_study(frame, ref=2020, variable="homework_min_weekday", lang="zh")
        fig.canvas.draw()
        print(before)
        print(fm.findfont(fm.FontProperties(family=["sans-serif"])))
        print(fig.axes[0].get_title(loc="left"))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    before, after, title = run.stdout.strip().splitlines()
    assert Path(before).parent != FONT_DIR
    assert Path(after) == FONT_DIR / "NotoSansSC-Regular.otf"
    assert title == "事件研究：工作日书面作业时长"


def test_missing_glyph_warnings_do_fail_a_chart():
    """Negative control: the warning the chart tests turn into errors is real. A latin-only
    font cannot draw 中文, and U+2717 is missing from Noto Sans SC itself."""
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title("中文", fontfamily="DejaVu Sans")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="missing from font"):
            fig.canvas.draw()
    fig2 = plots.scorecard(scorecard_frame(), title="\u2717", lang="zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            UserWarning, match=r"Glyph 10007 .* missing from font\(s\) Noto Sans SC"
        ):
            fig2.canvas.draw()


# ------------------------------------------------------------------------------ house style


def test_series_differ_in_marker_and_line_style_not_colour_alone():
    styles = [plots.series_style(i) for i in range(6)]
    assert len({s.marker for s in styles}) == 6
    assert len({str(s.linestyle) for s in styles}) == 6
    assert len({s.hatch for s in styles[:4]}) == 4
    assert [s.filled for s in styles[:4]] == [True, False, True, False]


def test_charts_return_the_axes_given_and_write_no_files(demo, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("a chart function wrote a file")

    monkeypatch.setattr(Figure, "savefig", refuse)
    fig = Figure()
    axes = fig.subplots(1, 4)
    assert plots.estimates_by_wave(demo["by_stage"], variable="sleep_hours", ax=axes[0]) is axes[0]
    assert plots.trend(demo["by_stage"], variable="sleep_hours", ax=axes[1]) is axes[1]
    assert plots.event_study(event_frame(), ref=2020, ax=axes[2]) is axes[2]
    assert plots.region_heatmap(heatmap_frame(), ax=axes[3]) is axes[3]
    panels = Figure().subplots(4)
    out = plots.distribution_vs_standard(demo["df"], ax=list(panels))
    assert list(out) == list(panels)
    assert isinstance(plots.scorecard(scorecard_frame()), Figure)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_raise_clear_errors(demo):
    with pytest.raises(ValueError, match="lang"):
        plots.trend(demo["by_stage"], variable="sleep_hours", lang="fr")
    with pytest.raises(ValueError, match="several variables"):
        plots.estimates_by_wave(demo["by_stage"])
    with pytest.raises(ValueError, match="no official standard"):
        plots.distribution_vs_standard(demo["df"], "tutoring_spend_year")
    with pytest.raises(ValueError, match="needs columns"):
        plots.scorecard(scorecard_frame().drop(columns=["verdict_3y"]))
    with pytest.raises(TypeError, match="DataFrame"):
        plots.event_study([1, 2, 3])


# ------------------------------------------------------------------------------ each chart


def test_estimates_by_wave(charts, demo):
    lang, figs = charts
    ax = figs["by_wave"].axes[0]
    assert CB.label("homework_min_weekday", lang) in ax.get_title(loc="left")
    expected_y = {
        "zh": "工作日书面作业时长（分钟/天）",
        "en": "Weekday written homework (minutes a day)",
    }
    assert ax.get_ylabel() == expected_y[lang]
    assert ax.get_xlabel() == CB.label("wave", lang)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020", "2021", "2022", "2024"]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == CB.label("stage", lang)
    assert legend_texts(legend) == stage_labels(lang)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 4
    assert len({c.lines[0].get_marker() for c in bars}) == 4  # told apart without colour
    # the dots are the result's estimates: primary grades 1-2, wave by wave
    table = demo["by_stage"].to_frame()
    rows = table[
        (table["variable"] == "homework_min_weekday") & (table["stage"] == "primary_lower")
    ]
    assert np.allclose(bars[0].lines[0].get_ydata(), rows.sort_values("wave")["estimate"])
    # waves fielded before 2021-07-24 are marked "before the policy"
    texts = all_texts(figs["by_wave"])
    assert formatting.stat_label("before", lang) in texts
    assert formatting.stat_label("after", lang) in texts
    assert vertical_lines(ax) == [1.5]  # between 2020 and 2021


def test_estimates_of_a_share_are_drawn_in_percent(charts, demo):
    lang, figs = charts
    ax = figs["by_wave_share"].axes[0]
    assert ax.get_ylabel().endswith("（%）") or ax.get_ylabel().endswith(" (%)")
    assert legend_texts(ax.get_legend()) == [
        CB["urban"].category_label(False, lang),
        CB["urban"].category_label(True, lang),
    ]
    table = demo["tutoring"].to_frame()
    rural = table[table["urban"] == False].sort_values("wave")  # noqa: E712
    assert np.allclose(ax.containers[0].lines[0].get_ydata(), rural["estimate"] * 100)


def test_estimates_from_too_few_respondents_are_not_drawn():
    frame = pd.DataFrame(
        {
            "wave": [2019, 2020, 2022],
            "estimate": [50.0, 52.0, 40.0],
            "ci_lower": [45.0, 47.0, 35.0],
            "ci_upper": [55.0, 57.0, 45.0],
            "n": [120, 9, 130],
            "valid": [True, True, True],
        }
    )
    ax = plots.estimates_by_wave(frame, ax=Figure().add_subplot(), min_cell=10)
    assert list(ax.containers[0].lines[0].get_ydata()) == [50.0, 40.0]
    one_school = frame.assign(n=100, n_psu=[5, 5, 1])  # a cell from a single PSU
    ax = plots.estimates_by_wave(one_school, ax=Figure().add_subplot(), min_cell=10)
    assert list(ax.containers[0].lines[0].get_ydata()) == [50.0, 52.0]


def test_trend(charts):
    lang, figs = charts
    ax = figs["trend"].axes[0]
    assert ax.get_ylabel() == {"zh": "睡眠时长（小时/天）", "en": "Sleep (hours a day)"}[lang]
    assert CB.label("sleep_hours", lang) in ax.get_title(loc="left")
    series = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in series] == stage_labels(lang)
    assert len({str(line.get_linestyle()) for line in series}) == 4
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4
    # the policy date from policy.yaml (the opinions of 24 July 2021), at its place in the year
    assert POLICY.date == dt.date(2021, 7, 24)
    policy_x = 2021 + ((dt.date(2021, 7, 24) - dt.date(2021, 1, 1)).days + 0.5) / 365
    assert vertical_lines(ax) == pytest.approx([policy_x])
    assert any("2021-07-24" in t for t in all_texts(figs["trend"]))
    # the 2021 wave was fielded in November, after the policy: right of the line
    assert min(x for x in series[0].get_xdata() if x > 2021) > policy_x


def test_event_study(charts):
    lang, figs = charts
    ax = figs["event_study"].axes[0]
    zero = [
        line for line in ax.get_lines()
        if list(line.get_ydata()) == [0.0, 0.0] and list(line.get_xdata()) == [0.0, 1.0]
    ]  # fmt: skip
    assert len(zero) == 1
    ref_label = {"zh": "参照期（设为0）", "en": "Reference period (set to 0)"}[lang]
    ref = [line for line in ax.get_lines() if line.get_label() == ref_label]
    assert (
        len(ref) == 1 and list(ref[0].get_xdata()) == [2020] and list(ref[0].get_ydata()) == [0.0]
    )
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [len(c.lines[0].get_xdata()) for c in bars] == [1, 3]  # 2019 before; 2021-2024 after
    assert list(bars[1].lines[0].get_xdata()) == [2021.0, 2022.0, 2024.0]  # read from the terms
    assert len(legend_texts(ax.get_legend())) == 3
    assert ref_label in legend_texts(ax.get_legend())
    assert (
        ax.get_ylabel()
        == {
            "zh": "相对参照期的差异（分钟/天）",
            "en": "Difference from the reference period (minutes a day)",
        }[lang]
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020", "2021", "2022", "2024"]


def test_event_study_reads_ref_and_outcome_from_the_result():
    table = event_frame().assign(std_error=1.0, statistic=1.0, p_value=0.5)
    result = EstimateResult(
        table, method="event_study", options={"ref": 2020, "outcome": "sleep_hours"}
    )
    ax = plots.event_study(result, ax=Figure().add_subplot(), lang="en")
    assert ax.get_title(loc="left") == "Event study: Sleep"
    assert any(list(line.get_xdata()) == [2020] for line in ax.get_lines())


def test_homework_against_its_limits(charts, demo):
    lang, figs = charts
    fig = figs["homework"]
    panels = fig.axes
    assert [ax.get_title(loc="left") for ax in panels] == stage_labels(lang)
    limits = [vertical_lines(ax) for ax in panels]
    # policy.yaml, from the opinions: grades 1-2 no written homework, 3-6 at most 60, 7-9 90
    hw = POLICY.homework_limit_by_grade()
    assert limits == [[hw[1]], [hw[3]], [hw[7]], []]
    assert limits == [[0.0], [60.0], [90.0], []]  # the published standard
    assert all(len([p for p in ax.patches if isinstance(p, StepPatch)]) == 2 for ax in panels)
    wave_label = (lambda w: f"{w}年") if lang == "zh" else str
    assert legend_texts(fig.legends[0]) == [
        wave_label(2020),
        wave_label(2024),
        formatting.stat_label("standard", lang),
    ]
    assert panels[-1].get_xlabel() == formatting.axis_label("homework_min_weekday", lang=lang)
    assert panels[3].get_title(loc="right") == formatting.stat_label("no_standard", lang)
    # the share above the limit in grades 3-6, 2024, computed here from the data
    df = demo["df"]
    rows = df[(df["wave"] == 2024) & df["grade"].between(3, 6) & df["homework_min_weekday"].notna()]
    share = np.average(rows["homework_min_weekday"] > 60, weights=rows["weight"])
    assert formatting.format_value(share, "share", lang) in panels[1].get_title(loc="right")


def test_sleep_against_its_standards(charts):
    lang, figs = charts
    limits = [vertical_lines(ax) for ax in figs["sleep"].axes]
    # policy.yaml, from the 2021 MoE sleep notice: primary 10 h, junior 9 h, senior 8 h
    sleep = POLICY.sleep_hours_by_grade()
    assert limits == [[sleep[1]], [sleep[3]], [sleep[7]], [sleep[10]]]
    assert limits == [[10.0], [10.0], [9.0], [8.0]]
    title = figs["sleep"].axes[0].get_title(loc="right")
    assert formatting.stat_label("below_standard", lang) in title


def test_standard_lines_follow_policy_yaml_not_typed_in(demo):
    """A policy file with another limit moves the line: the value is read, not typed in."""
    raw = copy.deepcopy(POLICY.raw)
    raw["homework_limits"]["bands"][1]["max_minutes"] = 75
    local = sje.policy.Policy(raw=raw)
    fig = plots.distribution_vs_standard(demo["df"], policy=local, lang="en")
    assert vertical_lines(fig.axes[1]) == [75.0]


def test_scorecard(charts):
    lang, figs = charts
    fig = figs["scorecard"]
    ax = fig.axes[0]
    frame = scorecard_frame()
    ticks = [t.get_text().split("\n")[0] for a in fig.axes for t in a.get_yticklabels()]
    assert ticks == list(frame[f"label_{lang}"])
    # one panel per unit, each on its own scale with ticks in its unit
    assert len(fig.axes) == frame["unit"].nunique()
    units = [a.get_xlabel() for a in fig.axes]
    assert units[0].endswith("（分钟/天）" if lang == "zh" else "(minutes a day)"), units
    assert all(len(a.get_xticks()) >= 3 for a in fig.axes)
    assert ("双减" if lang == "zh" else "Double Reduction") in ax.get_title(loc="left")
    assert legend_texts(ax.get_legend()) == (
        ["1年（2022年）", "3年（2024年）"] if lang == "zh" else ["1 year (2022)", "3 years (2024)"]
    )  # target waves from policy.yaml
    texts = all_texts(fig)
    # values with units; shares in percentage points
    if lang == "zh":
        assert "1年  -12.3 分钟 [-15.1, -9.5]" in texts
        assert "3年  -30.0 个百分点 [-34.0, -26.0]" in texts
    else:
        assert "1 year  -12.3 min [-15.1, -9.5]" in texts
        assert "3 years  -30.0 percentage points [-34.0, -26.0]" in texts
    # verdict badges: two for each row that is not suppressed
    badges = {
        v: f"{plots.VERDICT_STYLE[v]['symbol']} {formatting.verdict_label(v, lang)}"
        for v in plots.VERDICT_STYLE
    }
    assert texts.count(badges["effective"]) == 1
    assert texts.count(badges["remarkable"]) == 1
    assert texts.count(badges["inconclusive"]) == 1
    assert texts.count(badges["not_met"]) == 1
    assert texts.count(badges["insufficient"]) == 2
    # dots: 1-year hollow circles and 3-year filled squares, only where there is an estimate
    dots = [line for a in fig.axes for line in a.get_lines() if line.get_marker() in ("o", "s")]
    assert sorted(d.get_marker() for d in dots) == ["o", "o", "s", "s"]
    assert all(d.get_markerfacecolor() == "white" for d in dots if d.get_marker() == "o")
    # the suppressed row: marked and hatched, no number of its own
    assert formatting.SUPPRESSED["n"][lang] in texts
    hatched = [p for a in fig.axes for p in a.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(hatched) == 1
    assert not any("-0.10" in t or "-0.1 " in t for t in texts)


def test_region_heatmap(charts):
    lang, figs = charts
    fig = figs["heatmap"]
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # units differ: colours per indicator, no shared colour bar
    assert [t.get_text() for t in ax.get_yticklabels()] == ["丙县", "乙县", "甲县"]
    labels = [t.get_text().replace("\n", "" if lang == "zh" else " ") for t in ax.get_xticklabels()]
    assert labels == list(heatmap_frame()[f"label_{lang}"][:2])
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch() == "////"]
    assert len(hatched) == 2  # 乙县 homework (n=5 < 10) and 丙县 tutoring (flagged)
    cells = [t.get_text() for t in ax.texts]
    marker = "样本不足" if lang == "zh" else "suppressed"
    assert cells.count(marker) == 2
    if lang == "zh":
        assert {"-12.3 分钟", "-21.0 个百分点", "+5.0 个百分点", "-15.0 分钟"} <= set(cells)
    else:
        assert {"-12.3 min", "-21.0 percentage points", "+5.0 percentage points"} <= set(cells)
    assert len(ax.images) == 1


def test_region_heatmap_of_a_result_with_one_unit_has_a_colour_bar(charts, demo):
    lang, figs = charts
    fig = figs["heatmap_result"]
    assert ("变化" if lang == "zh" else "Change") in fig.axes[0].get_title(loc="left")
    assert "2024" in fig.axes[0].get_title(
        loc="left"
    )  # from the result's options: between 2019 and 2024
    one = plots.region_heatmap(
        demo["by_county"].to_frame().query("variable == 'tutoring_subject'"),
        value="estimate",
        lang=lang,
    )
    assert len(one.axes) == 2  # the heatmap and its colour bar
    assert one.axes[1].get_ylabel() == formatting.axis_label(
        formatting.stat_label("change", lang), "share", lang, change=True
    )


# ------------------------------------------------------------------------------ real results


def test_charts_of_the_real_scorecard_and_event_study(demo):
    """The objects of ``sje.targets.scorecard`` and ``sje.effects.event_study`` draw as they
    come, and every verdict code they can return has a label and a badge."""
    from shuangjian_eval import effects, targets

    assert set(targets.VERDICTS) <= set(plots.VERDICT_STYLE) <= set(formatting.VERDICTS)
    df = demo["df"]
    card = targets.scorecard(df)
    covered = df.assign(covered=(df["grade"] <= 9).astype(int))
    event = effects.event_study(
        covered, outcome="homework_min_weekday", treated="covered", ref=2020, time="wave",
        cluster="school_id", weights="weight",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.scorecard(card, lang="zh")
        fig.canvas.draw()
        es = plots.event_study(event, lang="en")
        es.canvas.draw()
    assert sum(len(a.get_yticklabels()) for a in fig.axes) == len(card.to_frame())
    ax = es.axes[0]
    assert ax.get_title(loc="left") == "Event study: Weekday written homework"  # options["outcome"]
    ref = [line for line in ax.get_lines() if line.get_label() == "Reference period (set to 0)"]
    assert list(ref[0].get_xdata()) == [2020]  # options["ref"]


def test_scorecard_marks_the_threshold_on_the_side_of_improvement():
    """Each threshold stands on the side of improvement, in the panel's unit: below zero for
    homework minutes and tutoring (a decrease is the improvement), above it for sleep meeting
    the standard; a suppressed row shows none."""
    frame = scorecard_frame().assign(
        direction=["decrease", "decrease", "increase", "decrease"],
        threshold_1y=[7.2, 0.048, 0.041, 0.34],
        threshold_3y=[18.1, 0.12, 0.10, 0.85],
    )
    fig = plots.scorecard(frame, lang="zh")
    marks = {
        a.get_xlabel(): sorted(
            round(line.get_xdata()[0], 3)
            for line in a.get_lines()
            if line.get_linestyle() == ":" and len(set(line.get_xdata())) == 1
        )
        for a in fig.axes
    }
    assert marks["相对基线的变化（分钟/天）"] == [-18.1, -7.2]
    assert marks["相对基线的变化（百分点）"] == [-12.0, -4.8, 4.1, 10.0]  # sleep: above zero
    assert marks["相对基线的变化（1–5分）"] == []  # a suppressed row: no threshold either
    zones = [c for a in fig.axes for c in a.collections]
    assert zones  # the shaded target zones
    assert any("改善方向" in t for t in all_texts(fig))
