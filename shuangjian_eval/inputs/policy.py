"""The policy's dates, standards and targets, loaded from ``policy.yaml``.

Every standard used by the package (homework limits, sleep hours, stage bands, target waves,
the small-cell suppression rule) is read from the YAML file, where each value sits beside the document it comes from.
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

from ..base.languages import check_lang

__all__ = ["Policy", "load", "unsourced_values", "unknown_sources", "STANDARDS", "STATUSES"]

_DEFAULT = "policy.yaml"

#: How far a fact is confirmed (the ``status`` of a fact or a source).
STATUSES: tuple[str, ...] = ("verified", "news", "unverified", "convention")

#: Keys that are not facts: the schema version, and the source catalogue itself (each entry there
#: is the description of a document, dates included).
_META_KEYS = ("version", "sources")

#: Standards of ``policy.yaml`` that give a value by grade, and the accessor that reads each (an
#: outcome of the codebook's registry names the one it is judged against).
STANDARDS: dict[str, str] = {
    "homework_limits": "homework_limit_by_grade",
    "sleep_standard": "sleep_hours_by_grade",
}

# the verdict defaults used when a policy file predates ``targets.verdict`` (schema version 1)
_VERDICT_FALLBACK = {
    "level": 0.95,
    "effective": 0.10,
    "remarkable": 0.25,
    "share_scale": "relative",
    "effective_points": 0.05,
    "remarkable_points": 0.10,
    "met_rule": "estimate",
}


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

    def standard_by_grade(self, key: str) -> np.ndarray:
        """Array indexed by grade (0-12): the value of the standard ``key`` (one of
        :data:`STANDARDS`: a limit for a measure to be kept under, a minimum for one to reach),
        NaN where it does not apply.

        Raises
        ------
        ValueError
            When ``key`` is not a standard of the policy (the message lists those that are).
        """
        if key not in STANDARDS or key not in self.raw:
            raise ValueError(
                f"{key!r} is not a standard of policy.yaml; standards: {', '.join(STANDARDS)}"
            )
        return getattr(self, STANDARDS[key])()

    def standard_for_stage(self, key: str, stage: str) -> float:
        """The value of the standard ``key`` in a stage's grades; NaN if it does not apply or
        differs between them."""
        lo, hi = next(b["grades"] for b in self.raw["stages"]["bands"] if b["stage"] == stage)
        values = self.standard_by_grade(key)[lo : hi + 1]
        return float(values[0]) if np.all(values == values[0]) else np.nan

    def stage_by_grade(self) -> np.ndarray:
        """Array indexed by grade (0-12): the stage name, None for grade 0."""
        return self._grade_table(self.raw["stages"]["bands"], "stage", None)

    @property
    def stages(self) -> list[str]:
        """Stage names in grade order."""
        return [b["stage"] for b in self.raw["stages"]["bands"]]

    # ---------------------------------------------------------------- added accessors
    @property
    def compulsory_grades(self) -> tuple[int, int]:
        """First and last grade covered by the homework rules (compulsory education, 1-9)."""
        lo, hi = self.raw["homework_limits"]["covers_grades"]
        return int(lo), int(hi)

    @property
    def goal(self) -> dict[str, str]:
        """The opinions' target in zh and en (1年内有效减轻、3年内成效显著)."""
        return dict(self.raw["policy"]["goal"]["value"])

    @property
    def pilot_cities_status(self) -> str:
        """``"unverified"`` for the bundled list (secondary sources only)."""
        return str(self.raw["pilot_cities"].get("status", "unverified"))

    def homework_limits(self) -> list[dict[str, Any]]:
        """Homework limit bands: ``grades``, ``max_minutes`` (0: no written homework), zh, en."""
        return [dict(b) for b in self.raw["homework_limits"]["bands"]]

    def homework_limit_for_stage(self, stage: str) -> float:
        """Weekday written-homework limit (minutes) of a stage's grades; NaN if not covered."""
        return self.standard_for_stage("homework_limits", stage)

    @property
    def afterschool_service(self) -> dict[str, Any]:
        """The "5+2" after-school service standard."""
        return dict(self.raw["afterschool_service"])

    @property
    def supervision(self) -> dict[str, Any]:
        """The half-monthly supervision returns: reporting start and days, the baseline period
        of the institution counts, the tip-off deadline (``tipoff_deadline.days``)."""
        return dict(self.raw["supervision"])

    @property
    def tutoring_rules(self) -> list[dict[str, Any]]:
        """Tutoring rules, each with its source and status."""
        return [dict(r) for r in self.raw["tutoring_rules"]]

    @property
    def fees(self) -> dict[str, Any]:
        """Fee guidance (government-guided prices) and example caps."""
        return dict(self.raw["fees"])

    @property
    def verdict_rules(self) -> dict[str, Any]:
        """Default verdict rules of the scorecard (``targets.verdict``).

        A policy file without a ``targets.verdict`` mapping (schema version 1) falls back to
        its ``effectively_reduced_min_relative_change``, ``remarkable_min_relative_change`` and
        ``confidence_level`` keys, and to the package defaults for the rest.
        """
        targets = self.raw.get("targets", {})
        out = dict(_VERDICT_FALLBACK)
        old = {
            "effective": "effectively_reduced_min_relative_change",
            "remarkable": "remarkable_min_relative_change",
            "level": "confidence_level",
        }
        out.update({k: targets[v] for k, v in old.items() if v in targets})
        out.update({k: v for k, v in targets.get("verdict", {}).items() if k in out})
        return out

    def suppression(self, use: str | None = None) -> dict[str, int]:
        """The small-cell rule of ``suppression:``: ``{"min_cell": ..., "min_psu": ...}``.

        Parameters
        ----------
        use : str, optional
            A key of ``suppression.overrides`` (``"scorecard"``): the default rule with that
            override applied. The default rule when omitted, or when the use has no override.

        Raises
        ------
        KeyError
            When the file has no ``suppression:`` block.
        ValueError
            When a threshold is not a whole number of at least 1.
        """
        try:
            block = self.raw["suppression"]
        except KeyError:
            raise KeyError("policy file has no 'suppression:' block (min_cell, min_psu)") from None
        over = dict(block.get("overrides", {}).get(use, {})) if use else {}
        rule = {k: over.get(k, block[k]) for k in ("min_cell", "min_psu")}
        for k, v in rule.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"suppression {k} must be a whole number >= 1, got {v!r}")
        return rule

    @property
    def suppression_uses(self) -> list[str]:
        """Uses with their own small-cell rule (the keys of ``suppression.overrides``)."""
        return list(self.raw.get("suppression", {}).get("overrides", {}))

    def source(self, key: str) -> dict[str, Any]:
        """The description of one source document.

        Raises
        ------
        KeyError
            When ``key`` is not in ``sources:``; the message lists the known keys.
        """
        try:
            return dict(self.sources[key])
        except KeyError:
            raise KeyError(f"unknown source {key!r}; known: {', '.join(self.sources)}") from None

    def cite(self, key: str, lang: str = "zh") -> str:
        """A short citation of a source: its title in ``lang`` and its date (unless the title
        already names the year).

        A ``key`` that is not in ``sources:`` but describes a document (a policy file of the
        older shape) is returned as it is.
        """
        check_lang(lang)
        if key not in self.sources:
            return str(key)
        doc = self.sources[key]
        title, date = str(doc[lang]), str(doc.get("date", ""))
        if not date or date[:4] in title:  # the title already dates it
            return title
        return f"{title}（{date}）" if lang == "zh" else f"{title} ({date})"

    def official_figures(self, scorecard: str | None = None) -> list[dict[str, Any]]:
        """Official national figures, each with ``source`` (a key of :attr:`sources`).

        Parameters
        ----------
        scorecard : str, optional
            Only the figures that stand beside this scorecard indicator (``scorecard`` key),
            comparable ones first, then by date.
        """
        figures = [dict(f) for f in self.raw.get("official_figures", [])]
        if scorecard is None:
            return figures
        mine = [f for f in figures if f.get("scorecard") == scorecard]
        return sorted(mine, key=lambda f: (not f.get("comparable", False), str(f.get("date"))))

    def with_status(self, status: str) -> list[tuple[str, dict[str, Any]]]:
        """Every fact (a mapping with ``source``) whose ``status`` starts with ``status``, as
        ``(path, mapping)`` pairs; ``with_status("unverified")`` lists what a report must mark."""
        out: list[tuple[str, dict[str, Any]]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, dict):
                if "source" in node and str(node.get("status", "")).startswith(status):
                    out.append((path, node))
                for k, v in node.items():
                    walk(v, f"{path}.{k}" if path else str(k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{path}[{i}]")

        walk({k: v for k, v in self.raw.items() if k not in _META_KEYS}, "")
        return out

    def unsourced_values(self) -> list[str]:
        """Paths of values without a source (see :func:`unsourced_values`); empty when sound."""
        return unsourced_values(self.raw)

    def unknown_sources(self) -> list[str]:
        """Paths of ``source`` values that are not keys of ``sources:`` (see
        :func:`unknown_sources`)."""
        return unknown_sources(self.raw)


def _is_value(node: Any) -> bool:
    """A number, a date, or a text containing a digit: something that needs a source."""
    if isinstance(node, bool):
        return False
    if isinstance(node, int | float | dt.date):
        return True
    return isinstance(node, str) and any(ch.isdigit() for ch in node)


def unsourced_values(raw: dict[str, Any]) -> list[str]:
    """Every number, date or digit-bearing text of a policy document without a source.

    A value is sourced when its own mapping, or a mapping above it, has a ``source`` key (lists
    pass through). The schema ``version`` and the ``sources:`` catalogue are not facts and are
    not checked here.

    Parameters
    ----------
    raw : dict
        A parsed policy document (``Policy.raw``).

    Returns
    -------
    list of str
        Dotted paths such as ``"targets.one_year_wave"``; empty when every value is sourced.
    """
    missing: list[str] = []

    def walk(node: Any, path: str, sourced: bool) -> None:
        if isinstance(node, dict):
            here = sourced or "source" in node
            for k, v in node.items():
                if k != "source":
                    walk(v, f"{path}.{k}" if path else str(k), here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", sourced)
        elif _is_value(node) and not sourced:
            missing.append(path)

    walk({k: v for k, v in raw.items() if k not in _META_KEYS}, "", False)
    return missing


def unknown_sources(raw: dict[str, Any]) -> list[str]:
    """Paths of ``source`` values that name no key of ``sources:``."""
    keys = set(raw.get("sources", {}))
    bad: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "source" in node and node["source"] not in keys:
                bad.append(f"{path}.source" if path else "source")
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk({k: v for k, v in raw.items() if k not in _META_KEYS}, "")
    return bad


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
