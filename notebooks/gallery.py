# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 图表示例 · Chart gallery
#
# 每一种报告图表在合成演示数据上各画一次。数据为合成数据，不涉及任何真实个人。
# Every report chart, drawn once on synthetic demonstration data (no real people).

# %% tags=["parameters"]
lang: str = "zh"  # report language: "zh" or "en"
n_schools: int = 60  # schools (PSUs) in the synthetic demo survey
seed: int = 0  # seed of the synthetic demo survey
min_cell: int = 10  # estimates from fewer respondents are suppressed (the rule of policy.yaml)

# %%
import shuangjian_eval as sje
from shuangjian_eval import effects, plots, tables, targets

df = sje.synth.generate(n_schools=n_schools, seed=seed)
design = sje.SurveyDesign(df, "weight", strata="stratum", psu="school_id")
by_stage = design.mean(["homework_min_weekday", "sleep_hours"], by=["wave", "stage"])

# %% [markdown]
# ## 1. 各轮调查估计值 · Estimates by wave

# %%
plots.estimates_by_wave(
    by_stage, group="stage", variable="homework_min_weekday", lang=lang, min_cell=min_cell
)

# %%
tables.to_styler(tables.report_table(by_stage, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 2. 变化趋势 · Trend

# %%
plots.trend(by_stage, group="stage", variable="sleep_hours", lang=lang, min_cell=min_cell)

# %% [markdown]
# ## 3. 与国家标准比较 · Against the official standards

# %%
plots.distribution_vs_standard(df, "homework_min_weekday", by="stage", weights="weight", lang=lang)

# %%
plots.distribution_vs_standard(df, "sleep_hours", by="stage", weights="weight", lang=lang)

# %% [markdown]
# ## 4. 事件研究 · Event study
#
# 义务教育阶段（1-9年级）与高中的作业时长差异，以2020年为参照期。
# Grades 1-9 (covered by the homework rules) against senior grades, reference wave 2020.

# %%
covered = df.assign(covered=(df["grade"] <= 9).astype(int))
event = effects.event_study(
    covered,
    outcome="homework_min_weekday",
    treated="covered",
    ref=2020,
    time="wave",
    cluster="school_id",
    weights="weight",
)
plots.event_study(event, lang=lang)

# %% [markdown]
# ## 5. 目标评估 · Target scorecard

# %%
card = targets.scorecard(df, lang=lang)
plots.scorecard(card, lang=lang)

# %%
tables.to_styler(tables.scorecard_table(card, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 6. 各区县指标变化 · Change by county
#
# 2019年至2024年的变化；样本不足的单元以斜线标出，不予公布。

# %%
indicators = [
    "homework_min_weekday",
    "sleep_hours",
    "tutoring_subject",
    "tutoring_spend_year",
    "parent_anxiety",
]
by_county = design.mean_diff(indicators, between=("wave", 2019, 2024), by="county")
plots.region_heatmap(by_county, value="estimate", region="county", lang=lang, min_cell=min_cell)
