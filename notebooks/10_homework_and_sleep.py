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
# # 作业与睡眠 · Homework and sleep
#
# 书面作业时长与达标率、睡眠时长与达标率，以及与政策前基线相比的变化（数据能比较时）。权重、分层与整群见下方的分析方案。
#
# Written homework and sleep against the national standards, and their change from the
# pre-policy baseline where the data allow it. The weights, strata and clusters used are in the
# analysis plan below.

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
    outcomes=outcomes, lang=lang, min_cell=min_cell, notebook="homework_and_sleep", plan=plan,
)  # fmt: skip
design = analyses.design_for(df)
p

# %% [markdown]
# ## 1. 书面作业时长 · Written homework
#
# 标准：一、二年级不布置家庭书面作业；三至六年级每天不超过60分钟；初中不超过90分钟；高中不在规定范围内。
#
# Limits: no written homework in grades 1-2, at most 60 minutes a day in grades 3-6 and 90 in
# junior secondary; senior grades are not covered.

# %%
homework = analyses.estimates_by(design, p.pick(group="homework"))
for v in p.pick(group="homework"):
    display(
        sje.plots.estimates_by_wave(homework, group="stage", variable=v, lang=lang, min_cell=min_cell)
    )

# %% [markdown]
# 方括号内为95%置信区间；份额以百分比表示。Brackets hold 95% confidence intervals; shares in percent.

# %%
sje.tables.to_styler(analyses.table(homework, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 2. 作业时长分布与标准 · Homework against the standard
#
# 政策前最后一轮与最近一轮调查中，作业时长的加权分布；竖线为各学段的标准。
#
# The weighted distribution in the last baseline wave and the latest wave; lines mark the limits.

# %%
for v in p.pick(group="homework", standard=True):
    display(sje.plots.distribution_vs_standard(
        df, v, by="stage", waves=p.shown_waves, lang=lang, min_cell=min_cell
    ))  # fmt: skip

# %% [markdown]
# ## 3. 睡眠 · Sleep
#
# 标准：小学生每天睡眠10小时，初中生9小时，高中生8小时（教育部2021年睡眠管理通知）。
#
# Standard: 10 hours a day in primary school, 9 in junior and 8 in senior secondary (Ministry of
# Education notice of 2021).

# %%
sleep = analyses.estimates_by(design, p.pick(group="sleep"))
for v in p.pick(group="sleep"):
    display(sje.plots.trend(sleep, group="stage", variable=v, lang=lang, min_cell=min_cell))

# %%
for v in p.pick(group="sleep", standard=True):
    display(sje.plots.distribution_vs_standard(
        df, v, by="stage", waves=p.shown_waves, lang=lang, min_cell=min_cell
    ))  # fmt: skip

# %%
sje.tables.to_styler(analyses.table(sleep, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 4. 与政策前相比的变化 · Change from before the policy
#
# 每一轮政策后调查与政策前基线（合并）相比的变化及其95%置信区间。这是前后比较，描述变化，不能单独说明变化由政策引起
# （因果分析见“政策效应”报告）。
#
# Each post-policy wave against the pooled baseline, with 95% confidence intervals. A
# before-after change describes what changed; it is not on its own an effect of the policy.

# %%
change = p.needs("change") or analyses.change_from_baseline(
    df, p.outcomes, baseline_waves=p.reference_waves, by=["stage"]
)
sje.tables.to_styler(analyses.table(change, lang=lang, min_cell=min_cell))

# %%
analyses.findings(change, lang=lang, min_cell=min_cell, wave=p.last_wave)
