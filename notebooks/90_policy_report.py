# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
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
data_path: str = "../data/demo/survey.parquet"  # canonical survey Parquet
region: str = "all"  # a county in the data, or "all"
lang: str = "zh"  # report language: "zh" or "en"
cache_path: str = ""  # precomputed briefing from the report runner; "" computes here
min_cell: int = 30  # estimates from fewer respondents are suppressed

# %%
from IPython.display import display

from shuangjian_eval import briefing

b = briefing.load_or_compute(data_path, region=region, cache_path=cache_path, min_n=min_cell)
b.heading("summary", lang)

# %%
b.headline(lang)

# %%
b.key_findings(lang)

# %%
b.heading("scorecard", lang)

# %%
b.scorecard_chart(lang)

# %%
b.scorecard_table(lang)

# %%
b.rules(lang)

# %%
b.heading("charts", lang)

# %%
display(b.reading("homework_minutes", lang))
b.chart("homework_minutes", lang)

# %%
display(b.reading("homework_standard", lang))
b.chart("homework_standard", lang)

# %%
display(b.reading("tutoring_subject", lang))
b.chart("tutoring_subject", lang)

# %%
display(b.reading("tutoring_spend", lang))
b.chart("tutoring_spend", lang)

# %%
display(b.reading("sleep", lang))
b.chart("sleep", lang)

# %%
display(b.reading("afterschool", lang))
b.chart("afterschool", lang)

# %%
display(b.reading("anxiety", lang))
b.chart("anxiety", lang)

# %%
b.heading("equity", lang)

# %%
b.equity(lang)

# %%
b.heading("methods", lang)

# %%
b.methods(lang)
