"""Findings and tests in words."""

from __future__ import annotations

import dataclasses
from typing import Any

from ...estimation.results import EstimateResult
from .. import formatting as fmt
from .. import narrative as _narrative
from .. import suppression
from ..plan import passes_unavailable
from ..quality import Text as Markdown
from ._common import _join, _pvalue, _t


@passes_unavailable
def findings(result: EstimateResult, *, lang: str = "zh", causal: bool = False,
             min_cell: int | None = None, wave: int | None = None) -> Markdown:  # fmt: skip
    """The result's rows as sentences (``sje.narrative.describe_change``), one bullet each; a
    row from fewer than ``min_cell`` respondents (None: ``suppression.rule_for("tables")``) is
    not described.
    Rows of :func:`change_from_baseline` name their wave and the pooled baseline; ``wave``
    keeps one follow-up wave. ``causal=True`` words a causal design's effects as the policy's."""
    min_cell = suppression.min_cell_for(min_cell)
    t = result.table
    t = t.loc[t["wave"] == wave] if wave is not None and "wave" in t else t
    t = t.loc[t["n"] > 0] if "n" in t else t  # nothing to say about a cell without data
    base = result.options.get("baseline_waves")
    opts = {**result.options, "by": [c for c in result.options.get("by", []) if c != "wave"]}
    bullets = []
    for i in range(len(t)):
        row = t.iloc[[i]].reset_index(drop=True)
        if base is not None:
            opts["between"] = ("wave", _join(base, lang), str(row["wave"].iloc[0]))
        one = dataclasses.replace(result, table=row, options=dict(opts))
        bullets.append(_narrative.describe_change(one, lang=lang, causal=causal, min_cell=min_cell))
    return Markdown("\n".join(f"- {b}" for b in bullets))


@passes_unavailable
def describe_robustness(result: Any, *, lang: str = "zh", min_cell: int | None = None) -> Markdown:
    """What the estimates of :func:`robustness` say, from their numbers
    (:func:`shuangjian_eval.publication.narrative.describe_robustness`)."""
    return Markdown(_narrative.describe_robustness(result, lang, min_cell=min_cell))


@passes_unavailable
def describe_test(result: Any, *, lang: str = "zh") -> Markdown:
    """The pre-trend test of an event study, or the placebo test of :func:`placebo`, in words."""
    fake = (getattr(result, "options", None) or {}).get("placebo_date")
    test = getattr(result, "pretrend_test" if fake is None else "placebo_test", None)
    what = _t("pretrend" if fake is None else "placebo", lang)
    sep = fmt.colon(lang)
    if test is None or test.reason:
        why = test.reason if test is not None else str(result.table["reason"].iloc[0])
        return Markdown(f"**{what}**{sep}{_t('not_possible', lang)}{fmt.paren(why, lang)}")
    df_text = ", ".join(f"{d:g}" for d in test.df)
    stat = f"{test.distribution}({df_text}) = {test.statistic:.2f}, p = {_pvalue(test.p_value)}"
    text = _t("gap", lang) if fake is None else _t("fake", lang).format(fake)
    text += _t("moved" if test.p_value < 0.05 else "parallel", lang)
    return Markdown(f"**{what}**{fmt.paren(stat, lang)}{sep}{text}")
