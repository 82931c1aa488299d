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
# # 效应的差异 · Who gained most
#
# 政策效应（双重差分）在不同家庭收入、城乡、学段和试点城市之间是否不同，以及同时检验多个指标时的多重比较校正。
#
# Whether the effect of the policy (difference-in-differences) differs by household income,
# urban or rural school, school stage and pilot city, and the adjustment for testing several
# outcomes at once.

# %% tags=["parameters"]
data_path: str = "../../data/demo/survey.parquet"  # canonical survey data (sje synth / sje ingest)
region: str = "all"  # a county in the data, or "all" for every county
lang: str = "zh"  # report language: "zh" or "en"
waves: list = []  # waves to use; [] means every wave in the data
baseline_waves: list = []  # pre-policy waves pooled as the baseline; [] means every one in the data
plan: str = "auto"  # "auto" (from the data), "before_after", "change" or "levels"
comparison: str = "grade"  # "grade" (grades 1-9 vs senior) or "pilot" (pilot vs other cities)
outcomes: list = []  # outcome variables; [] means the notebook's default set
min_cell: int = 10  # estimates from fewer respondents are suppressed (the rule of policy.yaml)

# %%
import shuangjian_eval as sje
from shuangjian_eval import analyses

p, df = analyses.prepare(
    data_path, region=region, waves=waves, baseline_waves=baseline_waves, comparison=comparison,
    outcomes=outcomes, lang=lang, min_cell=min_cell, notebook="heterogeneity", plan=plan,
)  # fmt: skip
p

# %% [markdown]
# 每组内分别估计双重差分（加权，学校和轮次固定效应，标准误按学校聚类），再检验各组效应是否相同（卡方检验）。
# 组内样本较小，区间较宽；“未发现差异”不等于各组效应相同。
#
# The difference-in-differences is estimated within each group (weighted, school and wave fixed
# effects, clustered by school) and a chi-square test asks whether the effects are equal.
# Groups are smaller, so intervals are wider; no evidence of a difference is not evidence of
# equal effects.

# %% [markdown]
# ## 1. 按家庭收入 · By household income
#
# 按抽样权重在每轮调查内把家庭收入分为五等份（Q1最低，Q5最高）。
#
# Weighted income quintiles within each wave (Q1 lowest, Q5 highest).

# %%
by_income = p.needs("comparison") or analyses.heterogeneity(
    df, p.outcomes, "income_quintile", comparison=p.comparison
)
title = sje.formatting.label(sje.formatting.REPORT_TEXT, "chart_effect_by_income", lang)
sje.plots.region_heatmap(
    by_income, value="estimate", region="income_quintile", lang=lang, min_cell=min_cell, title=title
)

# %%
sje.tables.to_styler(analyses.table(by_income, spread=None, lang=lang, min_cell=min_cell))

# %%
sje.tables.to_styler(analyses.equality_table(by_income, lang=lang))

# %% [markdown]
# ## 2. 城乡 · Urban and rural schools

# %%
by_urban = p.needs("comparison") or analyses.heterogeneity(
    df, p.outcomes, "urban", comparison=p.comparison
)
sje.tables.to_styler(analyses.table(by_urban, spread="urban", lang=lang, min_cell=min_cell))

# %%
sje.tables.to_styler(analyses.equality_table(by_urban, lang=lang))

# %% [markdown]
# ## 3. 学段 · By school stage
#
# 只比较义务教育各学段；在“年级”对照设计下，各学段都与同一批高中学生比较。
#
# Compulsory stages only; under the grade comparison each is compared with the same senior
# students.

# %%
by_stage = p.needs("comparison") or analyses.heterogeneity(
    df, p.outcomes, "stage", comparison=p.comparison
)
sje.tables.to_styler(analyses.table(by_stage, spread="stage", lang=lang, min_cell=min_cell))

# %%
sje.tables.to_styler(analyses.equality_table(by_stage, lang=lang))

# %% [markdown]
# ## 4. 试点城市 · Pilot and other cities
#
# 试点城市名单来自二手来源，未经核实。在“试点”对照设计下无法再按试点城市分组。
#
# The list of pilot cities is from secondary sources and unverified. Under the pilot comparison
# the groups cannot be split by pilot city again.

# %%
by_pilot = p.needs("comparison") or analyses.heterogeneity(
    df, p.outcomes, "pilot_city", comparison=p.comparison
)
sje.tables.to_styler(analyses.table(by_pilot, spread="pilot_city", lang=lang, min_cell=min_cell))

# %%
sje.tables.to_styler(analyses.equality_table(by_pilot, lang=lang))

# %% [markdown]
# ## 5. 多个指标的校正 · Several outcomes at once
#
# 同时检验多个指标时，偶然出现“显著”结果的机会增加。Holm 方法控制至少出现一个误判的概率；
# Benjamini–Hochberg(BH）方法控制误判在“显著”结果中的比例。
#
# Testing several outcomes raises the chance of a significant result by luck. Holm's method
# controls the chance of any false finding; Benjamini-Hochberg (BH) the share of false findings
# among the significant ones.

# %%
overall = p.needs("comparison") or analyses.did_table(df, p.outcomes)
sje.tables.to_styler(analyses.adjusted_table(overall, lang=lang))
