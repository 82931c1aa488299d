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
# # 数据质量 · Data quality
#
# 样本量、缺失、权重分布。数据为合成演示数据时会注明。
# Sample sizes, missing values and the spread of the weights.

# %% tags=["parameters"]
data_path: str = "../../data/demo/survey.parquet"  # canonical survey data (sje synth / sje ingest)
region: str = "all"  # a county in the data, or "all" for every county
lang: str = "zh"  # report language: "zh" or "en"
min_cell: int = 10  # counts below this are suppressed in published tables (policy.yaml)

# %%
import shuangjian_eval as sje

df = sje.quality.load_region(data_path, region)
sje.quality.describe_source(df, region=region, lang=lang)

# %%
sje.quality.describe_ingest(df, lang=lang)  # how the survey files were read and screened

# %% [markdown]
# ## 1. 样本量 · Sample sizes
#
# 受访人数为未加权人数；加权人数为样本所代表的学生总数（抽样权重之和），不是样本量。

# %%
sje.tables.to_styler(sje.quality.sample_size_table(df, rows="stage", min_cell=min_cell, lang=lang))

# %%
sje.tables.to_styler(sje.quality.sample_size_table(df, rows="county", min_cell=min_cell, lang=lang))

# %% [markdown]
# ## 2. 缺失情况 · Missing values

# %%
suppressed = sje.formatting.SUPPRESSED["n"][lang]  # groups below min_cell
sje.quality.missingness(df, by="wave", lang=lang, min_cell=min_cell).style.format(
    "{:.1%}", na_rep=suppressed
)

# %% [markdown]
# ## 3. 抽样权重 · Sampling weights
#
# Kish 设计效应衡量权重不等带来的精度损失：有效样本量 = 样本量 / 设计效应。

# %%
sje.quality.weights_note(df, lang=lang)  # design weights, or calibrated by sje weights

# %%
sje.quality.weight_summary(df, by="wave", lang=lang, min_cell=min_cell).style.format(
    precision=2, thousands=",", na_rep=suppressed
).hide(axis="index")
