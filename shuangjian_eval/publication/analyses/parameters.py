"""A notebook run's parameters, checked against the data."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...inputs import codebook as _codebook
from ...inputs import policy as _policy
from ...inputs import regions as _regions
from .. import formatting as fmt
from .. import narrative as _narrative
from .. import suppression
from ..plan import Plan, Unavailable, choose_plan
from ..plan import is_post as _is_post
from ..quality import describe_source
from ._common import COMPARISONS, _fail, _join, _t, _waves
from .groups import comparison_groups


def default_outcomes(notebook: str) -> tuple[str, ...]:
    """The outcomes a notebook shows when its ``outcomes`` parameter is ``[]``: those whose entry
    in the codebook's outcome registry lists the notebook, in registry order."""
    return _codebook.load().default_outcomes(notebook)


def _kind(v: _codebook.Variable) -> str:
    """ "share" (yes/no), "rating" (a 1-5 item) or "mean" (any other number) of a variable."""
    if v.dtype == "bool":
        return "share"
    return "rating" if v.dtype.startswith("int") and v.min == 1 and v.max == 5 else "mean"


@dataclasses.dataclass(frozen=True)
class Parameters:
    """A validated run (:func:`check_parameters`); a notebook shows it as a summary.

    ``policy`` is ``policy.yaml`` with the run's baseline waves (for ``sje.targets``),
    ``notes`` what the data cannot support, ``source`` what the data cover.
    """

    region: str
    waves: tuple[int, ...]
    baseline_waves: tuple[int, ...]
    post_waves: tuple[int, ...]
    comparison: str
    outcomes: tuple[str, ...]
    lang: str
    min_cell: int
    policy: _policy.Policy = dataclasses.field(repr=False)
    notes: tuple[str, ...] = ()
    source: str = ""
    compared: tuple[str, ...] | None = None
    plan: Plan | None = None

    @property
    def reference_waves(self) -> tuple[int, ...]:
        """The waves changes are measured from (:attr:`Plan.reference_waves`)."""
        return self.plan.reference_waves if self.plan else self.baseline_waves

    def needs(self, need: str) -> Unavailable | None:
        """Why a section that needs ``need`` (``"baseline"``, ``"change"``, ``"comparison"``)
        cannot be computed from the run's data, or None: ``result = p.needs("change") or
        analyses.change_from_baseline(...)``."""
        if self.plan is None:
            return None
        return self.plan.unavailable(need, self.lang, comparison=self.comparison)

    @property
    def shown_waves(self) -> list[int]:
        """The waves a distribution chart compares: the last baseline (or reference) wave and
        the latest wave, or the latest alone."""
        ref = self.reference_waves
        return [ref[-1], self.last_wave] if ref and ref[-1] != self.last_wave else [self.last_wave]

    def pick(
        self,
        *,
        group: str | None = None,
        kind: str | None = None,
        standard: bool | None = None,
        scale_item: bool | None = None,
        compared: bool = False,
    ) -> tuple[str, ...]:
        """The run's outcomes that a notebook section shows, in the run's order.

        ``group``: of this registry group; ``kind``: ``"share"`` (yes/no), ``"rating"`` (a 1-5
        item) or ``"mean"`` (any other number); ``standard``: with (True) or without a numeric
        standard of ``policy.yaml``; ``scale_item``: an item of the anxiety scale or not;
        ``compared``: observed in the baseline waves too (all outcomes except in the
        ``parental_anxiety`` notebook, which shows ratings asked after the policy only).
        """
        cb = _codebook.load()
        seen = self.outcomes if self.compared is None else self.compared
        out = []
        for name in self.outcomes:
            o, v = cb.outcome(name), cb[name]
            has_standard = o.standard is not None and v.dtype != "bool"
            checks = (
                group is None or o.group == group,
                kind is None or _kind(v) == kind,
                standard is None or has_standard == standard,
                scale_item is None or (name in cb.anxiety_items) == scale_item,
                not compared or name in seen,
            )
            if all(checks):
                out.append(name)
        return tuple(out)

    @property
    def reference_wave(self) -> int | None:
        """The last baseline wave: the reference period of event studies (None without a
        baseline)."""
        return self.baseline_waves[-1] if self.baseline_waves else None

    @property
    def last_wave(self) -> int:
        """The latest post-policy wave."""
        return self.post_waves[-1]

    def select(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of the run's waves (a new frame)."""
        return df.loc[df["wave"].isin(self.waves).fillna(False).to_numpy(bool)]

    def _repr_markdown_(self) -> str:
        lang, zh = self.lang, (fmt.check_lang(self.lang) == "zh")
        where = _narrative.escape_markdown(fmt.region_label(self.region, lang, sentence=True))
        names = _join([fmt.variable_label(v, lang) for v in self.outcomes], lang)
        waves, base, design = (
            _join(self.waves, lang),
            _join(self.baseline_waves, lang),
            _t(self.comparison, lang),
        )
        base_zh = f"政策前基线：{base}年合并；" if self.baseline_waves else ""
        base_en = f"baseline: {base} pooled; " if self.baseline_waves else ""
        compare = self.plan is None or self.comparison in self.plan.comparisons
        design_zh = f"对照设计：{design}；" if compare else ""
        design_en = f"comparison: {design}; " if compare else ""
        text = (
            f"**分析设定**：地区：{where}；调查轮次：{waves}；{base_zh}{design_zh}"
            f"指标：{names}；受访者少于{self.min_cell}人的估计不予公布。" if zh else
            f"**Settings**: region: {where}; waves: {waves}; {base_en}{design_en}"
            f"outcomes: {names}; estimates from fewer than {self.min_cell} respondents "
            "are not published."
        )  # fmt: skip
        plan = self.plan.describe(lang) if self.plan else ""
        return "\n\n".join([self.source, plan, text, *(f"> {n}" for n in self.notes)]).strip()


def check_parameters(
    df: pd.DataFrame,
    *,
    region: str,
    waves: Sequence[int],
    baseline_waves: Sequence[int],
    comparison: str,
    outcomes: Sequence[str],
    lang: str,
    min_cell: int | None = None,
    notebook: str | None = None,
    policy: _policy.Policy | None = None,
    plan: str = "auto",
) -> Parameters:
    """Check a notebook's parameters against the data; stop with a clear message if one is wrong.

    Parameters
    ----------
    df : pandas.DataFrame
        The loaded data (one region, or all).
    region, waves, baseline_waves, comparison, outcomes, lang, min_cell
        The notebook's parameters. ``waves=[]``: every wave in the data; ``outcomes=[]``: the
        notebook's default set (:func:`default_outcomes`, from the codebook's outcome registry);
        ``min_cell=None``: the small-cell rule of ``policy.yaml`` (``suppression.rule_for
        ("tables")``); ``baseline_waves=[]``: every pre-policy wave used. Outcomes are the registry's; they must be observed in the baseline
        waves, except in ``"parental_anxiety"``, which allows the 1-5 ratings and the scale
        score only and shows a rating asked after the policy only as levels
        (``Parameters.compared`` says which outcomes have a baseline).
    notebook : str, optional
        A notebook of the registry (``outcome_notebooks`` in ``codebook.yaml``).
    policy : Policy, optional
        Policy date and standards (``policy.yaml`` when omitted).
    plan : str
        The analysis plan (:func:`~shuangjian_eval.publication.plan.choose_plan`): ``"auto"``
        chooses from the data; ``"before_after"``, ``"change"`` or ``"levels"`` force one.

    Returns
    -------
    Parameters
        The resolved run.

    Raises
    ------
    ValueError
        A value of the wrong type, or a wave, region, outcome, comparison or language that is
        not in the data or not allowed (baseline waves must be fielded before the policy date,
        outcomes observed in them); the message lists the valid values.
    """
    pol = policy or _policy.load()
    fmt.check_lang(lang)
    min_cell = suppression.min_cell_for(min_cell, "tables", pol)
    if comparison not in COMPARISONS:
        _fail("comparison", comparison, COMPARISONS, "is not a comparison design")
    cb = _codebook.load()
    if notebook is not None and notebook not in cb.outcome_notebooks:
        _fail("notebook", notebook, cb.outcome_notebooks, "is not a notebook")
    _regions.check(region, _regions.counties(df))
    lists = {"waves": waves, "baseline_waves": baseline_waves, "outcomes": outcomes}
    for name, value in lists.items():
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(f"{name} must be a list, such as [2019, 2020], got {value!r}")
    present = _waves(df)
    for w in [*waves, *baseline_waves]:
        if isinstance(w, bool) or not isinstance(w, int | np.integer) or int(w) not in present:
            _fail("wave", w, present)
    used = sorted({int(w) for w in waves}) or present
    pre = [w for w in used if not _is_post(w, pol)]
    for w in baseline_waves:
        if w not in used:
            _fail("baseline wave", w, used, "is not among the waves used")
        if w not in pre:
            _fail("baseline wave", w, pre, f"was fielded after the policy date ({pol.date})")
    chosen_plan = choose_plan(df, waves=used, baseline_waves=baseline_waves, plan=plan, policy=pol)
    used, post = list(chosen_plan.waves), list(chosen_plan.post_waves)
    base = list(chosen_plan.baseline_waves)
    rows = df.loc[df["wave"].isin(base).fillna(False).to_numpy(bool)]
    likert = notebook == "parental_anxiety"
    used_rows = df.loc[df["wave"].isin(used).fillna(False).to_numpy(bool)]
    if not base:  # no baseline: every outcome observed in the waves used can be shown
        rows = df.loc[df["wave"].isin(used).fillna(False).to_numpy(bool)]
    compared = [v.name for v in cb if v.name in cb.outcomes and v.name in df
                and rows[v.name].notna().any()]  # fmt: skip
    allowed = (
        [v.name for v in cb if v.name in cb.outcomes and v.name in df
         and (_kind(v) == "rating" or v.derived == "parent_anxiety")
         and used_rows[v.name].notna().any()]
        if likert else compared
    )  # fmt: skip
    chosen = (
        list(outcomes) or [v for v in cb.default_outcomes(notebook) if v in allowed]
        if notebook
        else list(outcomes)
    )
    for v in chosen:
        if v not in allowed:
            _fail("outcome", v, allowed, "is not allowed here" if v in df else "is not in the data")
    one_group = comparison_groups(df, comparison, policy=pol)["treated"].nunique() < 2
    notes = [_t("one_group", lang)] if one_group and chosen_plan.has_baseline else []
    if comparison == "pilot" and pol.pilot_cities_status == "unverified":
        notes.append(_t("unverified", lang))
    raw = {**pol.raw, "targets": {**pol.raw["targets"], "baseline_waves": base}}
    source = describe_source(df.loc[df["wave"].isin(used).to_numpy(bool)], region=region, lang=lang)
    return Parameters(region, tuple(used), tuple(base), tuple(post), comparison, tuple(chosen),
                      lang, min_cell, _policy.Policy(raw=raw), tuple(notes), str(source),
                      tuple(v for v in chosen if v in compared), chosen_plan)  # fmt: skip


def prepare(
    data_path: str,
    *,
    region: str,
    waves: Sequence[int],
    baseline_waves: Sequence[int],
    comparison: str,
    outcomes: Sequence[str],
    lang: str,
    min_cell: int | None = None,
    notebook: str | None = None,
    plan: str = "auto",
) -> tuple[Parameters, pd.DataFrame]:
    """Read a region, check the notebook's parameters against it, and add comparison groups.

    The opening of every analysis notebook: :func:`shuangjian_eval.publication.quality.load_region`,
    :func:`check_parameters`, the chosen waves, then :func:`comparison_groups`.
    """
    from ..quality import load_region

    df = load_region(data_path, region)
    params = check_parameters(
        df, region=region, waves=waves, baseline_waves=baseline_waves, comparison=comparison,
        outcomes=outcomes, lang=lang, min_cell=min_cell, notebook=notebook, plan=plan,
    )  # fmt: skip
    df = comparison_groups(
        params.select(df), params.comparison, baseline_waves=params.baseline_waves
    )
    return params, df
