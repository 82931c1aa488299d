"""Indicators of the Double Reduction scorecard: what is measured, its good direction and its
burden-free value (from which the thresholds of :mod:`.rules` are measured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...inputs import codebook as _codebook
from ...inputs import policy as _policy

__all__ = ["Indicator", "default_indicators"]


@dataclass(frozen=True)
class Indicator:
    """One scorecard indicator.

    Attributes
    ----------
    id : str
        Indicator name (the ``indicator`` column).
    variable : str
        Codebook variable it is computed from.
    kind : {"mean", "share"}
        A weighted mean, or a proportion (of True, or of ``satisfied_from`` and above).
    direction : {"decrease", "increase"}
        Good direction.
    ideal : float
        Burden-free value, from which the relative thresholds are measured.
    unit : str
        Unit of the estimates ("share": proportions 0-1, changes in proportion points).
    label : dict
        zh and en labels.
    stage : str, optional
        Restrict to one stage (a domain of the design); all compulsory grades otherwise.
    satisfied_from : int, optional
        For a 1-5 item: the share answering this value or higher.
    """

    id: str
    variable: str
    kind: str
    direction: str
    ideal: float
    unit: str
    label: dict[str, str]
    stage: str | None = None
    satisfied_from: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("mean", "share") or self.direction not in ("decrease", "increase"):
            raise ValueError(f"indicator {self.id!r}: bad kind or direction")

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increase" else -1

    def values(self, df: pd.DataFrame) -> np.ndarray:
        """The indicator's value per row (float, NaN where not observed)."""
        y = pd.to_numeric(df[self.variable], errors="coerce").to_numpy(float, na_value=np.nan)
        if self.satisfied_from is not None:
            y = np.where(np.isnan(y), np.nan, (y >= self.satisfied_from).astype(float))
        return y


def default_indicators(policy: _policy.Policy | None = None) -> tuple[Indicator, ...]:
    """The scorecard's indicators, labelled from the codebook and the policy's standards."""
    pol, cb = policy or _policy.load(), _codebook.load()

    def ind(id_: str, var: str, kind: str, direction: str, ideal: float, **kw: Any) -> Indicator:
        v = cb[var]
        unit = kw.pop("unit", v.unit or "share")
        return Indicator(id_, var, kind, direction, ideal, unit, kw.pop("label", v.label), **kw)

    stage_rows = []
    for stage in pol.stages:
        limit = pol.homework_limit_for_stage(stage)
        if np.isnan(limit):
            continue
        name = cb["stage"].categories[stage]
        rule = (
            {"zh": "不布置书面作业", "en": "no written homework"}
            if limit == 0
            else {"zh": f"不超过{limit:g}分钟", "en": f"at most {limit:g} minutes"}
        )
        label = {
            "zh": f"作业时长达标（{name['zh']}，{rule['zh']}）",
            "en": f"Homework within the limit ({name['en']}: {rule['en']})",
        }
        stage_rows.append(
            ind(f"homework_within_limit_{stage}", "homework_within_limit", "share", "increase",
                1.0, label=label, stage=stage)
        )  # fmt: skip
    satisfied = {"zh": "（4-5分）比例", "en": " (share scoring 4-5)"}
    return (
        ind("homework_min_weekday", "homework_min_weekday", "mean", "decrease", 0.0),
        ind("homework_within_limit", "homework_within_limit", "share", "increase", 1.0),
        *stage_rows,
        ind("tutoring_subject", "tutoring_subject", "share", "decrease", 0.0),
        ind("tutoring_spend_year", "tutoring_spend_year", "mean", "decrease", 0.0),
        ind("tutoring_spend_share", "tutoring_spend_share", "mean", "decrease", 0.0),
        ind("tutoring_hidden", "tutoring_hidden", "share", "decrease", 0.0),
        ind("sleep_meets_standard", "sleep_meets_standard", "share", "increase", 1.0),
        ind("afterschool_participation", "afterschool_participation", "share", "increase", 1.0),
        ind("parent_anxiety", "parent_anxiety", "mean", "decrease", 1.0),
        ind("afterschool_satisfied", "afterschool_satisfaction", "share", "increase", 1.0,
            unit="share", satisfied_from=4,
            label={"zh": "课后服务满意" + satisfied["zh"],
                   "en": "Satisfied with after-school service" + satisfied["en"]}),
        ind("policy_satisfied", "policy_satisfaction", "share", "increase", 1.0,
            unit="share", satisfied_from=4,
            label={"zh": "对双减政策满意" + satisfied["zh"],
                   "en": "Satisfied with the policy" + satisfied["en"]}),
    )  # fmt: skip
