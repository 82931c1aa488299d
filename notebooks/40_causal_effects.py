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
# # 政策效应 · Effects of the policy
#
# 用有对照组的设计估计“双减”政策的因果效应：双重差分、事件研究（含政策前趋势检验）、分批实施的双重差分、
# 安慰剂检验和稳健性检验。
#
# Causal effects of the Double Reduction from designs with a comparison group:
# difference-in-differences, an event study with a pre-trend test, staggered adoption, a
# placebo test and robustness checks.

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
    outcomes=outcomes, lang=lang, min_cell=min_cell, notebook="causal_effects", plan=plan,
)  # fmt: skip
outcome = p.outcomes[0]  # the event study, staggered DID, placebo and robustness use the first
p

# %% [markdown]
# ## 1. 识别思路与干扰因素 · Identification and confounders
#
# **对照设计**：“年级”设计（comparison="grade"）比较义务教育阶段（1–9年级）学生与高中学生；高中不受作业规定约束，
# 但校外培训规定对高中“参照执行”，高中只是部分未受影响的对照组，培训相关效应可能被低估。“试点”设计
# (comparison="pilot"）比较试点城市与其他城市的义务教育阶段学生；其他城市一年后也实施了政策，因此估计的是
# “更早、更严格实施”的额外效应，且试点城市名单未经核实。双重差分的前提是：若无政策，两组会有相同的变化趋势（平行趋势）。
#
# **可能的干扰因素**:2020—2022年新冠疫情期间的停课和线上教学对各学段、各城市的影响不同；各轮问卷的措辞和题目可能有变化；
# 2021年春季教育部关于作业和睡眠管理的通知早于“双减”。这些因素若对两组影响不同，会使估计产生偏差；
# 事件研究和安慰剂检验能发现其中一部分，但不能全部排除。
#
# **Comparison designs**: "grade" compares students in compulsory education (grades 1-9) with
# senior-high students, who are not covered by the homework rules but follow the tutoring rules
# "by reference": a partly treated comparison group, so tutoring effects may be understated.
# "pilot" compares compulsory-education students in pilot cities with other cities, which
# adopted the policy a year later: it measures the extra effect of earlier, stricter
# implementation, and the pilot list is unverified. The difference-in-differences assumes that
# without the policy both groups would have changed alike (parallel trends).
#
# **Possible confounders**: COVID-19 school closures and online teaching in 2020-2022 hit grades
# and cities differently; questionnaire wording changed between waves; the Ministry of
# Education's spring-2021 notices on homework and sleep came before the policy. Where these
# affect the groups differently they bias the estimates; the event study and the placebo test
# catch some of this, not all.

# %% [markdown]
# ## 2. 双重差分 · Difference-in-differences
#
# 政策后与政策前基线相比，处理组的变化减去对照组的变化。按抽样权重加权，控制学校和调查轮次固定效应，标准误按学校聚类。
#
# The change in the treated group minus the change in the comparison group, from the pooled
# baseline to the post-policy waves; weighted, with school and wave fixed effects, standard
# errors clustered by school.

# %%
p.needs("comparison") or analyses.inference_note(df, lang)

# %%
effects = p.needs("comparison") or analyses.did_table(df, p.outcomes)
sje.tables.to_styler(analyses.table(effects, spread=None, lang=lang, min_cell=min_cell))

# %%
analyses.findings(effects, lang=lang, causal=True, min_cell=min_cell)

# %% [markdown]
# ## 3. 事件研究 · Event study
#
# 每一轮调查中两组差异相对政策前最后一轮的变化。政策前各轮的系数应接近零（平行趋势）。
#
# The gap between the groups in each wave relative to the last pre-policy wave; before the
# policy the coefficients should be near zero (parallel trends).

# %%
event = p.needs("comparison") or analyses.event_study(df, outcome, ref=p.reference_wave)
sje.plots.event_study(event, lang=lang, min_cell=min_cell)

# %%
analyses.describe_test(event, lang=lang)

# %%
sje.tables.to_styler(analyses.effect_table(event, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 4. 分批实施的双重差分 · Staggered adoption
#
# 试点城市先实施，其他城市后实施。Callaway–Sant'Anna 方法按首次受政策影响的轮次分组，与从未受影响（高中）
# 或尚未受影响的学生比较，再按实施后的年数汇总；重复横截面数据，标准误按学校聚类。
#
# Pilot cities started first. The Callaway-Sant'Anna estimator compares each cohort (by first
# treated wave) with never-treated (senior) or not-yet-treated students and aggregates by
# years since the policy took effect; repeated cross-sections, clustered by school.

# %%
dynamic = p.needs("comparison") or analyses.staggered(df, outcome, comparison=p.comparison)
title = (
    "分批实施:按实施后年数的效应"
    if lang == "zh"
    else "Staggered adoption: effect by years since adoption"
)
sje.plots.event_study(
    dynamic, period="event_time", ref=-1, variable=outcome, lang=lang, title=title
)

# %%
sje.tables.to_styler(analyses.effect_table(dynamic, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 5. 安慰剂检验 · Placebo test
#
# 只用政策前的调查，假设政策提前一轮实施。若设计可信，这个虚构政策的“效应”应与零无显著差异。
#
# Using only pre-policy waves, pretend the policy started one wave early: if the design is
# sound, this fake policy should show no effect.

# %%
placebo = p.needs("comparison") or analyses.placebo(df, outcome)
analyses.describe_test(placebo, lang=lang)

# %%
sje.tables.to_styler(analyses.effect_table(placebo, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 6. 稳健性检验 · Robustness
#
# 同一双重差分在不同设定下的估计，及各设定间的差别。
#
# The same difference-in-differences under other specifications, and how far apart they are.

# %%
robust = p.needs("comparison") or analyses.robustness(df, outcome, lang=lang)
analyses.describe_robustness(robust, lang=lang, min_cell=min_cell)

# %%
sje.tables.to_styler(analyses.table(robust, spread=None, lang=lang, min_cell=min_cell))
