"""The analysis plan of a report: what the data can show, chosen from the data, in one place.

County surveys are rarely the multi-wave stratified survey the reports were first built for:
often one 问卷星 wave after the policy, no strata, no design weights. :func:`choose_plan` reads
what the data hold and decides what every report can show, and :meth:`Plan.describe` says it at
the top of each report:

- **before_after**: pre-policy waves (the baseline, pooled) and post-policy waves: changes from
  the baseline, the 1-year and 3-year verdicts, and, with a comparison group, causal effects;
- **change**: two or more post-policy waves and no baseline: the change between the first
  post-policy wave and the later ones, which describes the trend after the policy, not its effect;
- **levels**: one post-policy wave: the state against the national standards, with intervals;
  no change and no verdict on change ("no baseline in these data").

The design follows the data as well: one stratum when there are no strata; equal weights when
there are none, with the warning that the numbers describe the respondents, not all families
(calibrated weights, ``sje weights``, when the county's enrolment margins are known); schools
as clusters whenever the school is known. A comparison design (``grade``: compulsory against
senior grades; ``pilot``: pilot against other cities) needs a baseline and both groups.

A notebook parameter ``plan`` forces a plan the data can support (``"auto"`` chooses).
Anything that needs what the plan lacks returns an :class:`Unavailable` that says why, which
the tables, charts and words pass through, so that a section shows its reason instead of
failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ..base.options import check_choice
from ..inputs import policy as _policy
from . import formatting as fmt
from .design import weight_kind
from .quality import Text as Markdown

__all__ = [
    "FIELDWORK_MONTH",
    "PLANS",
    "Plan",
    "Unavailable",
    "choose_plan",
    "is_post",
    "passes_unavailable",
]

PLANS = ("auto", "before_after", "change", "levels")
#: Month in which waves are fielded (autumn term), as ``sje.synth`` and ``sje.plots`` assume.
FIELDWORK_MONTH = 11
_SENIOR = 10  # first senior-high grade

# fmt: off
_TEXT: dict[str, fmt.Text] = {
    "heading": {"zh": "**分析方案**：", "en": "**Analysis plan**: "},
    "before_after": {"zh": "政策前（{base}年，合并为基线）与政策后（{post}年）各轮调查，报告变化与1年、3年目标判断。",
        "en": "Waves before the policy ({base}, pooled as the baseline) and after it ({post}): "
              "changes and the 1-year and 3-year verdicts."},
    "change": {"zh": "只有政策后的调查（{post}年），没有政策前基线：报告{first}年以后的变化，"
                     "它描述政策实施后的走势，不能说明政策本身的效果；1年、3年目标无法判断。",
        "en": "Post-policy waves only ({post}), no pre-policy baseline: the change since "
              "{first}, which describes the trend after the policy, not its effect; the 1-year "
              "and 3-year targets cannot be judged."},
    "levels": {"zh": "只有一轮调查（{post}年）：报告各指标的现状及其与国家标准的比较，"
                     "无法与政策前比较，1年、3年目标无法判断。",
        "en": "One wave ({post}): the state of each indicator against the national standards; "
              "no comparison with before the policy, and no verdict on the 1-year and 3-year "
              "targets."},
    "equal": {"zh": "数据没有抽样权重，各受访者权重相同：结果描述的是作答的家庭，不一定代表全体家庭"
                    "（可用在校生人数校准权重，见 sje weights）。",
        "en": "The data have no sampling weights, so every respondent counts the same: the "
              "results describe the families who answered, not necessarily all families "
              "(weights can be calibrated to enrolment, see sje weights)."},
    "calibrated": {"zh": "权重已按在校生人数校准。", "en": "Weights calibrated to enrolment."},
    "design": {"zh": "按抽样权重加权。", "en": "Weighted by the sampling weights."},
    "no_strata": {"zh": "未分层（按一个层计算）", "en": "No strata (one stratum)"},
    "strata": {"zh": "按抽样分层", "en": "Strata as sampled"},
    "clusters": {"zh": "以学校为整群计算标准误。", "en": "standard errors clustered by school."},
    "no_clusters": {"zh": "不知道受访者所在学校，标准误按简单随机抽样计算。",
        "en": "the school is not known: standard errors as for a simple random sample."},
    "forced": {"zh": "（按参数 plan 指定）", "en": " (set by the plan parameter)"},
    "sep": {"zh": "", "en": " "},
    # what a section needs that the plan lacks, and what data would enable it
    "needs_baseline": {"zh": "需要政策前的调查（基线）：本数据只有政策后的调查。"
                             "加入2019–2020年（政策前）同一问卷的调查即可比较。",
        "en": "needs a pre-policy survey (a baseline): these data are after the policy only. A "
              "2019–2020 survey with the same questions would allow the comparison."},
    "needs_two_waves": {"zh": "需要至少两轮调查：本数据只有一轮。",
        "en": "needs at least two survey waves: these data have one."},
    "needs_comparison": {"zh": "需要政策前后的调查和一个不受政策影响的对照组（如同期的高中学生，"
                               "或非试点城市）：本数据缺少{what}。",
        "en": "needs surveys before and after the policy and a comparison group the policy did "
              "not reach (senior-high students, or cities outside the pilot): these data lack "
              "{what}."},
    "lack_baseline": {"zh": "政策前的基线", "en": "a pre-policy baseline"},
    "lack_group": {"zh": "对照组", "en": "a comparison group"},
    "lack_both": {"zh": "政策前的基线和对照组", "en": "both a pre-policy baseline and a comparison group"},
    "unavailable": {"zh": "本节无法计算：{why}", "en": "Not computed here: {why}"},
}
# fmt: on


class Unavailable(Markdown):
    """A section's result that the data cannot give, with the reason (Markdown)."""

    def _repr_markdown_(self) -> str:
        # shown once: the table, chart and sentence of one section pass the same reason on
        if getattr(self, "_shown", False):
            return ""
        self._shown = True
        return f"> {self}"


def passes_unavailable(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a function whose first argument may be an :class:`Unavailable`: it is
    returned as it is (a table, chart or sentence of a result the data cannot give)."""

    @functools.wraps(func)
    def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(first, Unavailable):
            return first
        return func(first, *args, **kwargs)

    return wrapper


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the data of a report can show (see the module docstring)."""

    kind: str
    waves: tuple[int, ...]
    baseline_waves: tuple[int, ...]
    post_waves: tuple[int, ...]
    weights: str
    strata: bool
    clusters: bool
    comparisons: tuple[str, ...]
    forced: bool = False

    @property
    def has_baseline(self) -> bool:
        """Pre-policy waves are there: changes from before the policy, verdicts."""
        return self.kind == "before_after"

    @property
    def reference_waves(self) -> tuple[int, ...]:
        """The waves changes are measured from: the baseline, or the first post-policy wave
        (plan ``change``); none for plan ``levels``."""
        if self.kind == "before_after":
            return self.baseline_waves
        if self.kind == "change":
            return self.post_waves[:1]
        return ()

    def unavailable(
        self, need: str, lang: str, *, comparison: str | None = None
    ) -> Unavailable | None:
        """An :class:`Unavailable` saying why a section that needs ``need`` (``"baseline"``,
        ``"change"``, ``"comparison"``) cannot be computed, or None when the plan has it."""
        if need == "baseline" and not self.has_baseline:
            why = fmt.text(_TEXT["needs_baseline"], lang)
        elif need == "change" and not self.reference_waves:
            why = fmt.text(_TEXT["needs_two_waves"], lang)
        elif need == "comparison" and (
            not self.has_baseline or (comparison or "grade") not in self.comparisons
        ):
            lack = (
                "lack_both"
                if not self.has_baseline and not self.comparisons
                else ("lack_baseline" if not self.has_baseline else "lack_group")
            )
            why = fmt.text(_TEXT["needs_comparison"], lang, what=fmt.text(_TEXT[lack], lang))
        else:
            return None
        return Unavailable(fmt.text(_TEXT["unavailable"], lang, why=why))

    def describe(self, lang: str = "zh") -> Markdown:
        """The plan in one paragraph for readers (the top of each report)."""
        sep = fmt.text(_TEXT["sep"], lang)
        return Markdown(
            fmt.text(_TEXT["heading"], lang) + self.what(lang) + sep + self.design(lang)
        )

    def what(self, lang: str = "zh") -> str:
        """What the reports can show from these waves (one or two sentences), and whether the
        plan parameter chose it."""
        join = functools.partial(fmt.join_list, lang=lang)
        forced = fmt.text(_TEXT["forced"], lang) if self.forced else ""
        return (
            fmt.text(
                _TEXT[self.kind],
                lang,
                base=join(self.baseline_waves),
                post=join(self.post_waves),
                first=self.post_waves[0] if self.post_waves else "",
            )
            + forced
        )

    def design(self, lang: str = "zh") -> str:
        """The weights, strata and clusters the estimates use, in plain words."""
        parts = [
            fmt.text(_TEXT[self.weights], lang),
            fmt.join_list(
                [
                    fmt.text(_TEXT["strata" if self.strata else "no_strata"], lang),
                    fmt.text(_TEXT["clusters" if self.clusters else "no_clusters"], lang),
                ],
                lang,
            ),
        ]
        return fmt.text(_TEXT["sep"], lang).join(parts)

    def warning(self, lang: str = "zh") -> str:
        """The warning a reader must see first, or "": with equal weights the numbers describe
        the respondents, not all families."""
        return fmt.text(_TEXT["equal"], lang) if self.weights == "equal" else ""

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain values (for a stored briefing); :meth:`from_dict` reads it."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}  # fmt: skip

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Plan:
        """The plan of :meth:`to_dict`."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _comparisons(df: pd.DataFrame, has_baseline: bool) -> tuple[str, ...]:
    if not has_baseline:
        return ()
    out = []
    if "grade" in df.columns:
        g = pd.to_numeric(df["grade"], errors="coerce")
        if (g < _SENIOR).any() and (g >= _SENIOR).any():
            out.append("grade")
    if "pilot_city" in df.columns and df["pilot_city"].dropna().nunique() > 1:
        out.append("pilot")
    return tuple(out)


def choose_plan(
    df: pd.DataFrame,
    *,
    waves: Sequence[int] = (),
    baseline_waves: Sequence[int] = (),
    plan: str = "auto",
    policy: _policy.Policy | None = None,
) -> Plan:
    """The plan of ``df`` (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        Canonical survey data (one region or all).
    waves : sequence of int
        The waves to use; empty: every wave in the data.
    baseline_waves : sequence of int
        The pre-policy waves pooled as the baseline; empty: every pre-policy wave used.
    plan : {"auto", "before_after", "change", "levels"}
        ``"auto"`` chooses; another value forces that plan, which the data must support.
    policy : Policy, optional
        The policy date (``policy.yaml`` when omitted).

    Raises
    ------
    ValueError
        An unknown plan, a plan the data cannot support, or waves with none after the policy.
    """
    check_choice("plan", plan, PLANS)
    pol = policy or _policy.load()
    present = sorted(int(w) for w in pd.Series(df["wave"]).dropna().unique())
    used = sorted({int(w) for w in waves}) or present
    pre = [w for w in used if not is_post(w, pol)]
    post = [w for w in used if is_post(w, pol)]
    if not post:
        raise ValueError(f"waves {used} have no wave fielded after the policy date ({pol.date})")
    base = sorted({int(w) for w in baseline_waves}) or pre
    possible = (
        ["levels"] + (["change"] if len(post) >= 2 else []) + (["before_after"] if base else [])
    )
    kind = possible[-1] if plan == "auto" else plan
    if kind not in possible:
        need = {"before_after": "a pre-policy wave", "change": "two post-policy waves"}[kind]
        raise ValueError(
            f"plan {plan!r} needs {need}; the waves used are {used} (policy date {pol.date}); "
            f"plans these data support: {possible}"
        )
    if kind == "levels":
        post = post[-1:]
    has_baseline = kind == "before_after"
    strata = "stratum" in df.columns and df["stratum"].dropna().nunique() > 1
    clusters = "school_id" in df.columns and df["school_id"].dropna().nunique() > 1
    return Plan(
        kind=kind,
        waves=tuple(used if kind != "levels" else post),
        baseline_waves=tuple(base) if has_baseline else (),
        post_waves=tuple(post),
        weights=weight_kind(df),
        strata=bool(strata),
        clusters=bool(clusters),
        comparisons=_comparisons(df, has_baseline),
        forced=plan != "auto",
    )


def is_post(wave: Any, policy: _policy.Policy) -> bool:
    """Whether a wave was fielded after the policy date (waves are fielded in the autumn term,
    :data:`FIELDWORK_MONTH`)."""
    return dt.date(int(wave), FIELDWORK_MONTH, 1) > policy.date
