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

# %% tags=["parameters"]
data_path: str = "../../data/demo/survey.parquet"  # canonical survey data (sje synth / sje ingest)
region: str = "all"  # a county in the data, or "all" for every county
lang: str = "zh"  # report language: "zh" or "en"
plan: str = "auto"  # "auto" (from the data), "before_after", "change" or "levels"
supervision_path: str = ""  # supervision returns folder (sje supervision); "" is the folder supervision beside data_path
cache_path: str = ""  # precomputed briefing from the report runner; "" computes here
min_cell: int = 30  # estimates from fewer respondents are suppressed (the scorecard rule of policy.yaml)

# %%
from IPython.display import display

from shuangjian_eval import briefing
from shuangjian_eval.publication.supervision import report as supervision

b = briefing.load_or_compute(
    data_path, region=region, cache_path=cache_path, min_cell=min_cell, plan=plan
)
display(b.heading("summary", lang), b.headline(lang), b.key_findings(lang))

# %%
display(b.heading("scorecard", lang), b.scorecard_chart(lang), b.scorecard_table(lang))
display(b.rules(lang))

# %%
display(b.heading("charts", lang))
for key in b.chart_keys():
    display(b.reading(key, lang), b.chart(key, lang))

# %%
display(b.heading("equity", lang), b.equity(lang))

# %%
# the supervision returns beside the survey; their counts follow the tables' small-cell rule
sv = supervision.section(data_path, region=region, supervision_path=supervision_path)
display(b.heading("supervision", lang), sv.table("summary", lang), sv.trend_chart(lang))
display(sv.findings(lang), sv.schools_flagged(lang), sv.synthetic_check(lang))

# %%
display(b.heading("methods", lang), b.methods(lang))

# %%
display(b.heading("glossary", lang), b.glossary(lang))
