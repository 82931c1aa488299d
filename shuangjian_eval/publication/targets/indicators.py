"""Indicators of the Double Reduction scorecard: what is measured, its good direction and its
burden-free value (from which the thresholds of :mod:`.rules` are measured)."""

from __future__ import annotations

from dataclasses import dataclass

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
    """The scorecard's indicators, in the order of the codebook's outcome registry.

    Each ``scorecard`` entry of an outcome (``codebook.yaml``, ``outcomes:``) gives one
    indicator, or with ``each_stage`` one per stage its standard covers, labelled with the
    stage's limit from the policy's standards. Labels are the variable's unless the entry gives
    one; the unit is the variable's for a mean and "share" for a proportion.
    """
    pol, cb = policy or _policy.load(), _codebook.load()
    out: list[Indicator] = []
    for o in cb.outcomes.values():
        v = cb[o.name]
        for spec in o.scorecard:
            unit = "share" if spec.kind == "share" else str(v.unit)
            base = (spec.kind, str(o.direction), spec.ideal, unit)
            if not spec.each_stage:
                label = spec.label or v.label
                out.append(Indicator(spec.id, o.name, *base, label, stage=spec.stage,
                                     satisfied_from=spec.satisfied_from))  # fmt: skip
                continue
            for stage, limit in _codebook.stage_indicators(spec, o.standard, pol):
                name = cb["stage"].categories[stage]
                rule = (
                    {"zh": "不布置书面作业", "en": "no written homework"}
                    if limit == 0
                    else {"zh": f"不超过{limit:g}分钟", "en": f"at most {limit:g} minutes"}
                )
                label = {
                    "zh": f"{v.label['zh']}（{name['zh']}，{rule['zh']}）",
                    "en": f"{v.label['en']} ({name['en']}: {rule['en']})",
                }
                out.append(Indicator(f"{spec.id}_{stage}", o.name, *base, label, stage=stage,
                                     satisfied_from=spec.satisfied_from))  # fmt: skip
    return tuple(out)
