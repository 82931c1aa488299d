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
# # 校外培训 · Off-campus tutoring
#
# 学科类、非学科类和隐形变异培训的参与情况，培训支出及其占家庭收入的比例，学科类培训减少后是否转向其他培训，
# 以及不同收入家庭的支出变化。权重、分层与整群见下方的分析方案。
#
# Subject, non-subject and hidden tutoring, spending and its share of household income, whether
# families moved from subject tutoring to other kinds, and the change in spending by income.
# The weights, strata and clusters used are in the analysis plan below.

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
from IPython.display import display

import shuangjian_eval as sje
from shuangjian_eval import analyses

p, df = analyses.prepare(
    data_path, region=region, waves=waves, baseline_waves=baseline_waves, comparison=comparison,
    outcomes=outcomes, lang=lang, min_cell=min_cell, notebook="tutoring", plan=plan,
)  # fmt: skip
design = analyses.design_for(df)
p

# %% [markdown]
# ## 1. 各轮调查的培训参与和支出 · Tutoring by survey wave
#
# 学科类培训的规定针对义务教育阶段；高中阶段“参照执行”。
#
# The subject-tutoring rules cover compulsory education; senior high follows them "by reference".

# %%
tutoring = analyses.estimates_by(design, p.outcomes)
for v in p.pick(kind="share"):
    display(
        sje.plots.estimates_by_wave(tutoring, group="stage", variable=v, lang=lang, min_cell=min_cell)
    )

# %% [markdown]
# 方括号内为95%置信区间；份额以百分比表示。Brackets hold 95% confidence intervals; shares in percent.

# %%
sje.tables.to_styler(analyses.table(tutoring, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 2. 培训支出占家庭收入的比例 · Spending as a share of income

# %%
for v in p.pick(kind="mean"):
    display(sje.plots.trend(tutoring, group="stage", variable=v, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 3. 学科类培训减少后的去向 · Where subject tutoring went
#
# 义务教育阶段学生与政策前基线（合并）相比的变化；“替代比例”为学科类培训每减少100人，其他培训增加的人数。
# 前后比较，不能单独说明变化由政策引起。
#
# Students in compulsory education against the pooled baseline; the substitution ratio is the
# rise in other tutoring per 100 fewer students in subject tutoring. Before-after, not causal.

# %%
moves = p.needs("baseline") or sje.targets.displacement(df, policy=p.policy)
sje.tables.to_styler(
    analyses.table(analyses.changes(moves), spread="wave", lang=lang, min_cell=min_cell)
)

# %%
analyses.findings(moves, lang=lang, min_cell=min_cell)

# %% [markdown]
# ## 4. 不同收入家庭的支出变化 · Spending change by household income
#
# 按抽样权重在每轮调查内把家庭收入分为五等份（Q1最低，Q5最高），比较各组义务教育阶段学生与政策前基线相比的变化。
#
# Weighted income quintiles within each wave (Q1 lowest, Q5 highest): the change from the
# pooled baseline for students in compulsory education.

# %%
by_income = p.needs("baseline") or analyses.changes(
    sje.targets.spend_by_income(df, policy=p.policy)
)
last = analyses.changes(by_income, wave=p.last_wave)
title = sje.formatting.label(sje.formatting.REPORT_TEXT, "chart_change_by_income", lang)
sje.plots.region_heatmap(
    last, value="estimate", region="income_quintile", lang=lang, min_cell=min_cell, title=title
)

# %%
sje.tables.to_styler(analyses.table(by_income, spread="wave", lang=lang, min_cell=min_cell))
