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
# # 家长教育焦虑与满意度 · Parental anxiety and satisfaction
#
# 家长教育焦虑量表的信度、各轮调查的焦虑水平、政策前后焦虑题目回答的变化（有序logit模型），以及家长对政策和课后服务的满意度。
#
# Reliability of the parental-anxiety scale, its level by wave, the change in answers to an
# anxiety item across the policy (ordinal logit), and parents' satisfaction.

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
    outcomes=outcomes, lang=lang, min_cell=min_cell, notebook="parental_anxiety", plan=plan,
)  # fmt: skip
design = analyses.design_for(df)
p

# %% [markdown]
# ## 1. 量表信度 · Reliability of the scale
#
# 焦虑量表由5道题组成（1=完全不担心，5=非常担心），量表分为各题平均分。α和ω衡量各题是否测量同一种焦虑；通常0.8以上为良好，0.7以上可接受。
#
# Five items (1 not at all, 5 extremely); the scale score is their mean. Alpha and omega say
# whether the items measure one thing: above 0.8 good, above 0.7 acceptable by convention.

# %%
items = list(sje.codebook.load().anxiety_items)
alpha = sje.cronbach_alpha(df, items=items, weights="weight")
omega = sje.mcdonald_omega(df, items=items, weights="weight")
sje.tables.to_styler(analyses.reliability_table([alpha, omega], lang=lang))

# %%
sje.tables.to_styler(
    analyses.item_table(sje.item_total(df, items=items, weights="weight"), lang=lang)
)

# %% [markdown]
# ## 2. 各轮调查的焦虑水平 · Anxiety by survey wave

# %%
anxiety = analyses.estimates_by(design, p.pick(kind="mean"))
for v in p.pick(kind="mean"):
    display(
        sje.plots.estimates_by_wave(anxiety, group="stage", variable=v, lang=lang, min_cell=min_cell)
    )

# %%
sje.tables.to_styler(analyses.table(anxiety, lang=lang, min_cell=min_cell))

# %% [markdown]
# ## 3. 政策前后焦虑回答的变化 · How answers moved across the policy
#
# 有序logit模型：焦虑题目的回答（1–5）对处理组、政策后及二者交互项回归，控制城乡和家庭收入五分位组；按抽样权重加权，
# 标准误按学校聚类。表中为优势比：交互项（政策效应）小于1表示政策后处理组家长更少选择高焦虑等级；区间不含1即差异显著。
#
# Ordinal logit of each item (1-5) on the treated group, the post-policy period and their
# product, controlling for urban schools and income quintile; weighted, clustered by school.
# Odds ratios: below 1 for the product (the policy effect) means fewer high-anxiety answers in
# the treated group after the policy; an interval without 1 is significant.

# %%
models = p.needs("comparison") or analyses.ordinal_model(
    df, p.pick(kind="rating", scale_item=True, compared=True)
)
sje.tables.to_styler(analyses.odds_ratio_table(models, lang=lang))

# %% [markdown]
# ## 4. 满意度 · Satisfaction
#
# 对“双减”政策的满意度只在政策实施后询问；课后服务满意度只询问参加课后服务的学生家长（1=很不满意，5=很满意）。
#
# Satisfaction with the policy is asked only after it; satisfaction with after-school service
# only of participants' parents (1 very dissatisfied, 5 very satisfied).

# %%
ratings = p.pick(kind="rating", scale_item=False)
satisfaction = analyses.estimates_by(design, ratings)
for v in ratings:
    display(sje.plots.estimates_by_wave(
        satisfaction, group="stage", variable=v, lang=lang, min_cell=min_cell
    ))  # fmt: skip

# %%
sje.tables.to_styler(analyses.table(satisfaction, lang=lang, min_cell=min_cell))
