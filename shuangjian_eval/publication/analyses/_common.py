"""Conventions of the analysis recipes: fieldwork month, comparison designs, the effect design, reader's words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...estimation.results import TERM_COLUMNS
from .. import formatting as fmt
from ..plan import FIELDWORK_MONTH as FIELDWORK_MONTH

#: Comparison designs: compulsory grades against senior grades, or pilot against other cities.
COMPARISONS: tuple[str, ...] = ("grade", "pilot")


_DESIGN = {"weights": "weight", "absorb": ("school_id", "wave"), "cluster": "school_id"}

_STATS = (*TERM_COLUMNS[1:], "valid", "reason")  # a result's numbers, without its term

# fmt: off
# words for readers (fmt.Text entries): labels of non-codebook columns and terms, then sentences
_TEXT: dict[str, fmt.Text] = {
    "income_quintile": {"zh": "收入五分位组", "en": "Income quintile"},
    "specification": {"zh": "设定", "en": "Specification"},
    "event_time": {"zh": "相对政策实施的年数", "en": "Years since the policy took effect"},
    "treated": {"zh": "处理组", "en": "Treated group"},
    "post": {"zh": "政策后", "en": "After the policy"},
    "treated_post": {"zh": "处理组×政策后（政策效应）", "en": "Treated × after (policy effect)"},
    "urban": {"zh": "城镇（相对农村）", "en": "Urban (against rural)"},
    "grade": {"zh": "义务教育阶段（1–9年级）学生与高中（10–12年级）学生比较",
        "en": "students in compulsory education (grades 1–9) compared with senior-high students"},
    "pilot": {"zh": "试点城市与其他城市的义务教育阶段学生比较",
        "en": "students in compulsory education in pilot cities compared with other cities"},
    "one_group": {"zh": "本数据中只有一个比较组（例如一个区县只属于一个城市），"
                           "依赖对照组的估计将显示为“无法计算”；可改用另一种对照设计（comparison）。",
        "en": "The data hold only one of the two comparison groups (a county lies in one city, for "
          "example): estimates that need a comparison group are not computed; try the other "
          "comparison design."},
    "unverified": {"zh": "试点城市名单来自二手来源，未经原始文件核实。",
        "en": "The list of pilot cities comes from secondary sources and is unverified."},
    "pretrend": {"zh": "政策前趋势检验", "en": "Pre-trend test"},
    "placebo": {"zh": "安慰剂检验", "en": "Placebo test"},
    "not_possible": {"zh": "无法进行", "en": "not possible"},
    "gap": {"zh": "政策前两组差异的变化",
        "en": "The change in the gap between the groups before the policy "},
    "fake": {"zh": "假设政策提前在{}年实施，这一虚构政策的“效应”",
        "en": "Pretending the policy started in {}, its 'effect' "},
    "moved": {"zh": "与零差异显著：两组在政策前已有不同的变化，"
                     "平行趋势可能不成立，因果估计需谨慎解读。",
        "en": "is different from zero: the groups already moved apart before the policy, so "
          "parallel trends may not hold; read the causal estimates with care."},
    "parallel": {"zh": "与零无显著差异：未发现违背平行趋势的证据（检验不能证明平行趋势成立）。",
        "en": "is not distinguishable from zero: no evidence against parallel trends (the test "
          "cannot prove that they hold)."},
    "differ": {"zh": "各组效应差异显著", "en": "effects differ between groups"},
    "no_difference": {"zh": "未发现各组效应不同", "en": "no evidence that effects differ"},
    "not_tested": {"zh": "无法检验", "en": "not tested"},
    "shared": {"zh": "各组共用部分学校，检验为近似", "en": "groups share schools: approximate"},
    "not_published": {"zh": "不予公布", "en": "not published"},
    "inference_cluster": {"zh": "效应估计基于{schools}所学校（其中处理组{treated}所），"
                                 "标准误按学校聚类（CR1），区间按t分布计算。",
        "en": "The effect estimates rest on {schools} schools ({treated} treated); standard "
          "errors are clustered by school (CR1), intervals on the t distribution."},
    "inference_CR2": {"zh": "效应估计仅基于{schools}所学校（其中处理组{treated}所），"
                             "处理组或对照组学校少于{few_treated}所，常规聚类标准误会低估不确定性，"
                             "因此采用偏差校正的聚类稳健标准误（CR2，Bell-McCaffrey）和"
                             "Satterthwaite自由度，区间相应更宽。",
        "en": "The effect estimates rest on only {schools} schools ({treated} treated): with "
          "fewer than {few_treated} treated or comparison schools, ordinary clustered standard "
          "errors understate the uncertainty, so they use bias-reduced cluster-robust standard "
          "errors (CR2, Bell-McCaffrey) with Satterthwaite degrees of freedom, and the "
          "intervals are wider."},
    "inference_wild": {"zh": "效应估计仅基于{schools}所学校（其中处理组{treated}所），"
                              "少于{few}所学校时常规聚类标准误会低估不确定性，"
                              "因此p值和区间采用野聚类自助法（wild cluster bootstrap，"
                              "施加原假设，9999次，区间由检验反演得到）。",
        "en": "The effect estimates rest on only {schools} schools ({treated} treated): with "
          "fewer than {few} schools ordinary clustered standard errors understate the "
          "uncertainty, so p-values and intervals come from the restricted wild cluster "
          "bootstrap (9,999 draws; intervals by inverting the test)."},
}

_SPECS: list[tuple[fmt.Text, dict[str, Any]]] = [  # robustness: (name, options of sje.did)
    ({"zh": "主设定（加权、学校和轮次固定效应）", "en": "Main (weighted, school and wave fixed effects)"}, {}),
    ({"zh": "加入协变量（城镇、收入五分位组）", "en": "With covariates (urban, income quintile)"},
     {"covariates": ["urban_", "Q2", "Q3", "Q4", "Q5"]}),
    ({"zh": "不含固定效应", "en": "Without fixed effects"}, {"absorb": ()}),
    ({"zh": "不加权", "en": "Unweighted"}, {"weights": None}),
]

def _t(key: str, lang: str, **fields: Any) -> str:
    """Reader's words for ``key`` in ``lang`` (a codebook label when not in ``_TEXT``)."""
    return fmt.label(_TEXT, key, lang, **fields) if key in _TEXT else fmt.variable_label(key, lang)

def _join(values: Sequence[Any], lang: str) -> str:
    items = [str(v) for v in values]
    if (fmt.check_lang(lang) == "zh") or len(items) < 2:
        return "、".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _waves(df: pd.DataFrame) -> list[int]:
    return sorted(int(w) for w in pd.unique(df["wave"].dropna()))

def _pvalue(p: float) -> str:
    return fmt.MISSING if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"

def _fail(what: str, value: Any, valid: Sequence[Any], why: str = "is not in the data") -> None:
    raise ValueError(f"{what} {value!r} {why}; valid values: {', '.join(map(str, valid))}")
