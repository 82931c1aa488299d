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
# # 督导报表 · Supervision returns
#
# 学校、校外培训机构台账、执法案件和群众举报线索的半月报（专项督导半月通报）：按官方口径计算的指标、各报告期的变化，
# 以及学校报表与家长、学生调查回答的对照（含调查的抽样不确定性）。少于最小单元数的计数不予公布。
#
# The half-monthly supervision returns of schools, the registry of training institutions,
# enforcement cases and public tip-offs: indicators with the official definitions, their trend
# over the reporting periods, and what schools report set beside what parents and students
# answer in the survey, with the survey's sampling uncertainty. Small counts are suppressed.

# %% tags=["parameters"]
data_path: str = "../../data/demo/survey.parquet"  # canonical survey data (sje synth / sje ingest)
region: str = "all"  # a county in the data, or "all" for every county
lang: str = "zh"  # report language: "zh" or "en"
supervision_path: str = ""  # supervision returns folder (sje supervision); "" is the folder supervision beside data_path
min_cell: int = 10  # estimates from fewer respondents are suppressed (the rule of policy.yaml)

# %%
from IPython.display import display

from shuangjian_eval.publication.supervision import report

s = report.section(data_path, region=region, supervision_path=supervision_path, min_cell=min_cell)

# %% [markdown]
# ## 1. 最近一期的主要指标 · Indicators of the latest period
#
# 学科类机构压减比例为与基线期（policy.yaml）相比已注销或转为非学科类的机构所占比例，右栏为全国公布数据。
#
# Subject institutions cut: closed or converted since the baseline period (policy.yaml); the
# right-hand column holds the national figures.

# %%
s.table("summary", lang)

# %% [markdown]
# ## 2. 各报告期的变化 · Over the reporting periods

# %%
s.trend_chart(lang)

# %% [markdown]
# ## 3. 半月报汇总表 · The half-monthly county sheets
#
# 按官方版式（标题、日期行、两行表头、合计行）读入的区县汇总表，逐行核对：合计行和数据不一致的行被剔除并说明原因。
#
# The county sheets in the official layout (title, date line, two-row header, totals row), read
# row by row: the totals row and rows whose counts do not add up are rejected with the reason.

# %%
display(s.sheets(lang), s.table("sheet", lang))

# %% [markdown]
# ## 4. 学校报表与家庭调查对照 · What schools report beside what families report
#
# 与调查同一区县、同一年份（报告期取调查实施月份）相比：报表数高于调查95%置信区间上限的标为“报表高于调查区间”。
#
# Against the survey of the same county and year (the return period of the fieldwork month): a
# returned figure above the upper end of the survey's 95% interval is flagged.

# %%
display(s.findings(lang), s.table("comparison", lang))

# %% [markdown]
# ### 需要核查的学校 · Schools worth checking

# %%
display(s.schools_flagged(lang), s.synthetic_check(lang))

# %% [markdown]
# ## 5. 执法强度与学科类培训 · Enforcement intensity and subject tutoring
#
# 每万名学生执法案件数不低于各区县中位数的为“执法较多”的区县。双重差分比较这些区县与其余区县在政策前后学科类培训参与的变化
# （区县和年份固定效应，按区县聚类，聚类少时用CR2）；事件研究给出逐年的差异，政策前各年的差异用于检验平行趋势。
#
# Counties at or above the median of cases per 10,000 students are "more enforcement". The DID
# compares their change in subject tutoring with the other counties' (county and wave fixed
# effects, clusters = counties, CR2 with few clusters); the event study gives the difference by
# wave, the pre-policy ones testing parallel trends.

# %%
display(*s.enforcement_report(lang))
