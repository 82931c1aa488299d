"""The policy's dates, standards and targets, loaded from ``policy.yaml``.

Every standard used by the package (homework limits, sleep hours, stage bands, target waves)
is read from the YAML file, where each value sits beside the document it comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = ["Policy", "load"]

_DEFAULT = "policy.yaml"


@dataclass(frozen=True)
class Policy:
    """Parsed ``policy.yaml``.

    Attributes
    ----------
    raw : dict
        The whole parsed document, for values without a dedicated accessor.
    """

    raw: dict[str, Any] = field(repr=False)

    @property
    def date(self) -> dt.date:
        """Date of the opinions (24 July 2021)."""
        return _as_date(self.raw["policy"]["date"]["value"])

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        """Source documents by key."""
        return self.raw["sources"]

    @property
    def pilot_cities(self) -> list[str]:
        """Pilot cities as commonly listed (status in ``raw['pilot_cities']['status']``)."""
        return list(self.raw["pilot_cities"]["cities"])

    @property
    def baseline_waves(self) -> list[int]:
        return [int(w) for w in self.raw["targets"]["baseline_waves"]]

    @property
    def one_year_wave(self) -> int:
        return int(self.raw["targets"]["one_year_wave"])

    @property
    def three_year_wave(self) -> int:
        return int(self.raw["targets"]["three_year_wave"])

    def _grade_table(self, bands: list[dict[str, Any]], key: str, fill: Any) -> np.ndarray:
        table = np.full(13, fill, dtype=object)
        for band in bands:
            lo, hi = band["grades"]
            table[lo : hi + 1] = band[key]
        return table

    def homework_limit_by_grade(self) -> np.ndarray:
        """Array indexed by grade (0-12): the weekday written-homework limit in minutes, NaN
        where the limit does not apply (senior grades)."""
        table = self._grade_table(self.raw["homework_limits"]["bands"], "max_minutes", np.nan)
        return table.astype(float)

    def sleep_hours_by_grade(self) -> np.ndarray:
        """Array indexed by grade (0-12): minimum hours of sleep in the standard."""
        bands = list(self.raw["sleep_standard"]["hours"].values())
        return self._grade_table(bands, "min_hours", np.nan).astype(float)

    def stage_by_grade(self) -> np.ndarray:
        """Array indexed by grade (0-12): the stage name, None for grade 0."""
        return self._grade_table(self.raw["stages"]["bands"], "stage", None)

    @property
    def stages(self) -> list[str]:
        """Stage names in grade order."""
        return [b["stage"] for b in self.raw["stages"]["bands"]]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> Policy:
    if path is None:
        text = resources.files(__package__).joinpath(_DEFAULT).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Policy(raw=yaml.safe_load(text))


def load(path: str | Path | None = None) -> Policy:
    """Load the policy standards.

    Parameters
    ----------
    path : str or Path, optional
        A policy file of the same shape as the bundled ``policy.yaml`` (e.g. with local
        standards); the bundled file when omitted.
    """
    return _load_cached(None if path is None else str(path))
