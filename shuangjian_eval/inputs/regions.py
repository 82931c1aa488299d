"""Regions of a report: the keywords, the expansion of ``each``, the checks and file slugs.

A region is a county of the data (column :data:`COLUMN`) or the keyword :data:`ALL` (all the
data in one report); a list of regions may also hold :data:`EACH` (one report per county).
Every module that takes a region uses these names and checks, so that a misspelled county
gets one message everywhere and a county literally named like a keyword is refused once.
The zh/en *labels* of "all regions" are a language concern (``publication.formatting``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..base.options import did_you_mean

__all__ = ["ALL", "COLUMN", "EACH", "KEYWORDS", "check", "check_no_clash", "counties", "expand",
           "slug", "split"]  # fmt: skip

#: the region of all the data together
ALL = "all"
#: in a list of regions: one region per county of the data
EACH = "each"
#: region keywords and what they stand for; no county may be called so
KEYWORDS = {ALL: "one report on all the data", EACH: "a report per county"}
#: the column that holds a respondent's county
COLUMN = "county"


def counties(df: Any, column: str = COLUMN) -> list[str]:
    """The counties of a frame, sorted, as text (none when it has no such column)."""
    import pandas as pd

    if column not in df.columns:
        return []
    return sorted(str(c) for c in pd.unique(df[column].dropna()))


def split(regions: str | Sequence[str]) -> list[str]:
    """A comma-separated string (``"a, b"``) or a sequence of regions as a list."""
    if isinstance(regions, str):
        return [r.strip() for r in regions.split(",") if r.strip()]
    return list(regions)


def check_no_clash(names: Iterable[str], *, where: str = "the data") -> None:
    """Raise ``ValueError`` when a county is named like a region keyword (``all``, ``each``):
    a report for it could not be told apart from the keyword's."""
    clash = [n for n in names if n in KEYWORDS]
    if clash:
        raise ValueError(
            f"{where} has a county named {clash[0]!r}, which is the keyword for "
            f"{KEYWORDS[clash[0]]}: rename that county in the data (or in the ingest mapping)"
        )


def check(
    regions: str | Iterable[Any],
    known: Sequence[str],
    *,
    column: str = COLUMN,
    keywords: Sequence[str] = (ALL,),
) -> None:
    """Check regions against the counties ``known`` of a column.

    Parameters
    ----------
    regions : str or iterable
        One region or several (keywords already expanded, see :func:`expand`).
    known : sequence of str
        The counties of the data (:func:`counties`).
    column : str
        The column they come from, for the message.
    keywords : sequence of str
        The keywords the caller accepts.

    Raises
    ------
    ValueError
        For a region that is not a non-empty string, and for the first one that is neither
        a keyword nor a county of the data: the message names it, the column, close matches
        and the valid regions.
    """
    items = [regions] if isinstance(regions, str) else list(regions)
    check_no_clash(known)
    names = set(known)
    for region in items:
        if not isinstance(region, str) or not region:
            raise ValueError(f"region must be a county name or {ALL!r}, got {region!r}")
        if region in keywords:
            continue
        if region not in names:
            valid = [*keywords, *known]
            where = f"the data's {column!r} column" if known else f"the data (no {column!r})"
            raise ValueError(
                f"region {region!r} is not in {where}{did_you_mean([region], known)}; "
                f"valid regions: {', '.join(valid)}"
            )


def expand(
    regions: str | Sequence[str], known: Sequence[str], *, column: str = COLUMN
) -> list[str]:
    """Regions to report on: :func:`split`, :data:`EACH` replaced by every county ``known``,
    duplicates dropped (first order kept), then checked (:func:`check`; both keywords are
    listed as valid).

    Raises
    ------
    ValueError
        When no region is given, or as :func:`check`.
    """
    chosen: list[str] = []
    for r in split(regions):
        chosen.extend(known if r == EACH else [r])
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise ValueError(f"no regions given; valid regions: {', '.join([ALL, EACH, *known])}")
    check(chosen, known, column=column, keywords=(ALL, EACH))
    return chosen


def slug(region: str) -> str:
    """A file or folder name for a region: letters (any script), digits, '-' and '_' kept (so
    no path separator or '..'); a name that had to be changed gets a short hash of itself, so
    that two regions ("a/b", "a_b") never share a folder."""
    text = re.sub(r"[^\w\-]+", "_", region, flags=re.UNICODE).strip("_")
    if text == region:
        return text
    digest = hashlib.sha1(region.encode()).hexdigest()[:8]
    return f"{text}-{digest}" if text else digest
