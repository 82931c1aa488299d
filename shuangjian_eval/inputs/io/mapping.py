"""Mapping profiles: raw columns and answer texts of an input format to the codebook.

A profile is a YAML file (the bundled ones live in ``shuangjian_eval/mappings/``)::

    name: wenjuanxing-parent
    description: ...
    format: xlsx                    # optional: the file format the profile is for
    sheet: null                     # optional default sheet
    header_rows: 1                  # 2 joins a two-row (merged) header as "top/bottom"
    title_rows: 0                   # rows above the header of a workbook (title, date line)
    table: half_monthly             # a supervision table's profile (mappings/supervision/)
    columns:                        # canonical name: raw header (or a list of alternatives)
      grade: "3、您的孩子现在读几年级?"
    values:                         # canonical name: {answer text or code: canonical value}
      grade: {一年级: 1, 高三: 12}
    missing: [不知道, 说不清, -1]    # more missing texts/codes, for every column
    constants: {wave: 2022}         # variables the file does not have, one value for all rows
    unweighted: true                # the file has no weights: weight = 1 for every row (logged)
    respondent_id_from: 联系电话     # identifier column whose pseudonym becomes respondent_id
    drop: [填写人姓名]               # columns always dropped (identifiers are also detected)
    ignore: [序号, 所用时间]         # known columns not used (not reported as unmapped)
    notes: {household_income: ...}  # free text: how answers were coded
    platform: wenjuanxing           # the platform's own columns, download modes and header
                                    # forms are known (inputs/io/wenjuanxing.py)
    download: auto                  # text (按选项文本), numbers (按选项序号) or auto (detected)
    fieldwork_start: 2022-11-14     # submissions before it are flagged as tests
    exclude: [test, duplicate]      # flags whose submissions are rejected (io/submissions.py)
    choices:                        # true/false variables from a multi-choice question
      tutoring_subject:
        question: "10、本学期孩子参加了哪些校外培训?"
        any_of: [语文, 数学, 英语]   # true when any of these options is chosen
        options: [语文, 数学, 英语, 体育, 艺术, 其他, 没有参加]  # optional: all options

Answer maps are read before the built-in words, so ``{0: true, 1: false}`` (YAML numbers) or
``{"1": false}`` means what it says, not 1 = 是.

Raw headers are matched exactly (the header the profile names wins), then tolerantly: the leading question number (``1、``,
``Q1.``, ``第1题``) is stripped and full-width/half-width punctuation and spaces are ignored,
so ``"3、您的孩子现在读几年级?"`` matches ``"3、您的孩子现在读几年级？"`` and ``"您的孩子现在读几年级"``.
Stata/SPSS variable labels count as alternative headers. ``mapping=None`` means the input
already uses canonical names.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from .. import codebook as _codebook
from ..validate import IngestError, check_value
from . import wenjuanxing
from .submissions import check_exclude

__all__ = [
    "Choice",
    "ColumnPlan",
    "Profile",
    "find_columns",
    "list_profiles",
    "load_mapping",
    "normalise_header",
    "plan",
]

_KEYS = {
    "name",
    "description",
    "format",
    "sheet",
    "header_rows",
    "columns",
    "values",
    "missing",
    "constants",
    "unweighted",
    "respondent_id_from",
    "drop",
    "ignore",
    "notes",
    "platform",
    "download",
    "fieldwork_start",
    "choices",
    "exclude",
    "table",
    "title_rows",
}
PLATFORMS = ("wenjuanxing",)
DOWNLOADS = ("auto", "text", "numbers")
_QUESTION_NUMBER = re.compile(
    r"^\s*(?:[Qq]\s*)?\d+(?:[._-]\d+)*\s*(?:[、.:)\]]|(?=[(\[]))\s*|^\s*第\s*\d+\s*题\s*[、.:]?\s*"
)


def normalise_header(text: Any) -> str:
    """Header text for tolerant matching: NFKC, no question number, no punctuation or spaces.

    Examples
    --------
    >>> normalise_header("3、您的孩子现在读几年级？")
    '您的孩子现在读几年级'
    >>> normalise_header("Q12. Weekday homework (min)")
    'weekdayhomeworkmin'
    """
    t = unicodedata.normalize("NFKC", str(text)).strip()
    t = _QUESTION_NUMBER.sub("", t, count=1)
    return "".join(ch for ch in t if unicodedata.category(ch)[0] not in "PZSC").casefold()


@dataclass(frozen=True)
class Choice:
    """A true/false variable read from a multi-choice question: true when any of ``any_of``
    is chosen. ``options`` (optional) lists every option, so that others are reported."""

    question: str
    any_of: tuple[str, ...]
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A parsed mapping profile (see the module docstring for the YAML keys)."""

    name: str
    columns: dict[str, tuple[str, ...]]
    values: dict[str, dict[Any, Any]] = field(default_factory=dict)
    missing: tuple[Any, ...] = ()
    constants: dict[str, Any] = field(default_factory=dict)
    unweighted: bool = False
    respondent_id_from: str | None = None
    drop: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    header_rows: int = 1
    sheet: str | int | None = None
    format: str | None = None
    description: str = ""
    notes: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    canonical: bool = False
    platform: str | None = None
    download: str = "auto"
    fieldwork_start: dt.date | None = None
    choices: dict[str, Choice] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    table: str | None = None
    title_rows: int = 0


def _profile_dir(folder: str | None = None) -> Traversable:
    base = resources.files("shuangjian_eval.inputs").joinpath("mappings")
    return base.joinpath(folder) if folder else base


def list_profiles(folder: str | None = None) -> list[str]:
    """Names of the bundled mapping profiles (of survey files; ``folder="supervision"``: of
    the supervision tables)."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in _profile_dir(folder).iterdir()
        if p.name.endswith(".yaml")
    )


def canonical_profile(codebook: _codebook.Codebook | None = None) -> Profile:
    """The identity mapping: every observed codebook variable under its own name."""
    cb = codebook or _codebook.load()
    return Profile(
        name="canonical", columns={v: (v,) for v in cb.observed}, canonical=True, missing=()
    )


def load_mapping(
    mapping: str | Path | Mapping[str, Any] | Profile | None,
    codebook: _codebook.Codebook | None = None,
    folder: str | None = None,
) -> Profile:
    """Load and check a profile: a bundled name, a path to a YAML file, a dict, or None.

    ``folder`` is the folder of bundled profiles under ``mappings/`` (``"supervision"`` for
    the supervision tables, whose profiles check against their table's ``codebook``).

    Raises
    ------
    IngestError
        When the profile is unknown or invalid (unknown keys or variables, answer codes that
        are not valid codebook values); the message names the profile and the entry.
    """
    cb = codebook or _codebook.load()
    if mapping is None:
        return canonical_profile(cb)
    if isinstance(mapping, Profile):
        return mapping
    if isinstance(mapping, Mapping):
        return _parse(dict(mapping), "<mapping dict>", cb)
    text_path = str(mapping)
    bundled = _profile_dir(folder).joinpath(f"{text_path}.yaml")
    if bundled.is_file():
        return _parse(yaml.safe_load(bundled.read_text(encoding="utf-8")), text_path, cb)
    path = Path(mapping)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return _parse(yaml.safe_load(path.read_text(encoding="utf-8")), str(path), cb)
    raise IngestError(
        text_path,
        "is neither a bundled mapping profile nor a YAML file",
        f"Bundled profiles: {', '.join(list_profiles(folder))}; or pass the path of a .yaml file.",
    )


def _parse(raw: Any, where: str, cb: _codebook.Codebook) -> Profile:
    def bad(problem: str) -> IngestError:
        return IngestError(where, f"mapping profile: {problem}", "Fix the profile.")

    if not isinstance(raw, dict):
        raise bad("a profile is a YAML mapping of keys such as columns, values, constants")
    unknown = set(raw) - _KEYS
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")

    def variable(name: Any, section: str) -> str:
        if name not in cb:
            close = difflib.get_close_matches(str(name), cb.names, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise bad(f"{section}: {name!r} is not a codebook variable{hint}")
        if cb[name].derived:
            raise bad(f"{section}: {name} is derived by the codebook and cannot be mapped")
        return name

    columns: dict[str, tuple[str, ...]] = {}
    for name, alts in (raw.get("columns") or {}).items():
        alts = (alts,) if isinstance(alts, str) else tuple(alts or ())
        if not alts or not all(isinstance(a, str) for a in alts):
            raise bad(f"columns: {name} needs a header text or a list of them")
        columns[variable(name, "columns")] = alts
    values: dict[str, dict[Any, Any]] = {}
    for name, answers in (raw.get("values") or {}).items():
        variable(name, "values")
        if not isinstance(answers, dict):
            raise bad(f"values: {name} needs a mapping of answer -> value")
        checked = {}
        for key, target in answers.items():
            if isinstance(key, bool):
                raise bad(f"values: {name}: quote the answer {key!r} (YAML reads yes/no as bool)")
            try:
                checked[key] = check_value(name, target, cb)
            except ValueError as exc:
                raise bad(f"values: {name}: answer {key!r} -> {target!r}: {exc}") from None
        values[name] = checked
    constants = {}
    for name, value in (raw.get("constants") or {}).items():
        try:
            constants[variable(name, "constants")] = check_value(name, value, cb)
        except ValueError as exc:
            raise bad(f"constants: {exc}") from None
    title_rows = raw.get("title_rows", 0)
    if isinstance(title_rows, bool) or not isinstance(title_rows, int) or title_rows < 0:
        raise bad(f"title_rows must be a whole number of rows >= 0, not {title_rows!r}")
    header_rows = raw.get("header_rows", 1)
    if header_rows not in (1, 2):
        raise bad(f"header_rows must be 1 or 2, not {header_rows!r}")
    unweighted = raw.get("unweighted", False)
    if not isinstance(unweighted, bool):
        raise bad("unweighted must be true or false")
    platform = raw.get("platform")
    if platform is not None and platform not in PLATFORMS:
        raise bad(f"platform {platform!r} is not known; known platforms: {list(PLATFORMS)}")
    download = raw.get("download", "auto")
    if download not in DOWNLOADS:
        raise bad(f"download must be one of {list(DOWNLOADS)}, not {download!r}")
    choices = {}
    for name, entry in (raw.get("choices") or {}).items():
        variable(name, "choices")
        if cb[name].dtype != "bool":
            raise bad(f"choices: {name} is not a true/false variable ({cb[name].dtype})")
        if name in columns:
            raise bad(f"choices: {name} is also under columns; keep one of them")
        if not isinstance(entry, dict) or not isinstance(entry.get("question"), str):
            raise bad(f"choices: {name} needs question: (the header) and any_of: [options]")
        any_of = entry.get("any_of")
        if not any_of or not isinstance(any_of, list):
            raise bad(f"choices: {name}: any_of must be a non-empty list of option texts")
        extra = set(entry) - {"question", "any_of", "options"}
        if extra:
            raise bad(f"choices: {name}: unknown keys {sorted(extra)}")
        choices[name] = Choice(
            entry["question"], tuple(map(str, any_of)), tuple(map(str, entry.get("options") or ()))
        )
    start = raw.get("fieldwork_start")
    if start is not None:
        try:
            start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
        except ValueError:
            raise bad(f"fieldwork_start must be a date (2022-11-14), not {start!r}") from None
    try:
        exclude = check_exclude(raw.get("exclude"))
    except ValueError as exc:
        raise bad(str(exc)) from None
    rid = raw.get("respondent_id_from")
    if platform and rid and wenjuanxing.FIXED_COLUMNS.get(str(rid)) == "submission":
        raise bad(
            "respondent_id_from: 序号 is the platform's submission number (it restarts at 1 in "
            "every download), not a person; leave respondent_id_from out and each submission "
            "gets its own pseudonymous key"
        )
    return Profile(
        name=str(raw.get("name") or Path(where).stem),
        columns=columns,
        values=values,
        missing=tuple(raw.get("missing") or ()),
        constants=constants,
        unweighted=unweighted,
        respondent_id_from=raw.get("respondent_id_from"),
        drop=tuple(raw.get("drop") or ()),
        ignore=tuple(raw.get("ignore") or ()),
        header_rows=header_rows,
        sheet=raw.get("sheet"),
        format=raw.get("format"),
        description=str(raw.get("description") or ""),
        notes=dict(raw.get("notes") or {}),
        path=where,
        platform=platform,
        download=download,
        fieldwork_start=start,
        choices=choices,
        exclude=exclude,
        table=raw.get("table"),
        title_rows=title_rows,
    )


@dataclass
class ColumnPlan:
    """Which raw column (by position) feeds which canonical variable."""

    columns: dict[str, int]
    constants: dict[str, Any]
    pseudonym_from: int | None = None
    dropped: dict[int, str] = field(default_factory=dict)
    unmapped: list[int] = field(default_factory=list)
    recomputed: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find_columns(
    alts: tuple[str, ...], headers: list[str], aliases: Mapping[int, list[str]] | None = None
) -> list[int]:
    """Raw columns whose header matches any of ``alts``: exactly, else tolerantly, else by an
    alias (see the module docstring)."""
    return _find(alts, headers, aliases or {}, False)


def _find(
    alts: tuple[str, ...], headers: list[str], aliases: Mapping[int, list[str]], canonical: bool
) -> list[int]:
    """Raw columns matching any alternative: exactly or tolerantly (all of them, so that two
    columns that both match are reported instead of one being picked silently)."""
    if canonical:
        keys = {a.casefold() for a in alts}
        return [i for i, h in enumerate(headers) if h.strip().casefold() in keys]
    exact = [i for i, h in enumerate(headers) if h.strip() in alts]
    if exact:  # the header the profile names, exactly, wins over tolerant matches
        return exact
    exact = [i for i, names in aliases.items() if any(a in alts for a in names)]
    if exact:
        return exact
    keys = {normalise_header(a) for a in alts} - {""}
    hits = [i for i, h in enumerate(headers) if normalise_header(h) in keys]
    if hits:
        return hits
    return [i for i, names in aliases.items() if any(normalise_header(a) in keys for a in names)]


def plan(
    headers: list[str],
    profile: Profile,
    *,
    identifiers: Mapping[int, str],
    aliases: Mapping[int, list[str]] | None = None,
    constants: Mapping[str, Any] | None = None,
    source: str,
    codebook: _codebook.Codebook | None = None,
    provided: Collection[str] = (),
    taken: Mapping[int, str] | None = None,
) -> ColumnPlan:
    """Match raw headers to canonical variables and decide what is dropped.

    Parameters
    ----------
    headers : list of str
        Raw headers in file order.
    profile : Profile
    identifiers : mapping
        Raw column position -> reason, from :mod:`shuangjian_eval.inputs.identifiers`.
    aliases : mapping, optional
        Raw column position -> other names (Stata/SPSS variable labels).
    constants : mapping, optional
        Constants given at the call, added to (and overriding) the profile's.
    source : str
        The file, for messages.
    provided : collection of str
        Variables that come from elsewhere (a multi-choice question, the platform's
        submission key): they count as present.
    taken : mapping, optional
        Raw column position -> what reads it (the platform's own columns, the option columns
        of multi-choice questions): not mapped, not reported as unmapped; identifiers among
        them are dropped after use.

    Raises
    ------
    IngestError
        Missing required column (with close matches), two raw columns for one variable,
        a constant that clashes with a column, a file without weights and no ``unweighted``.
    """
    cb = codebook or _codebook.load()
    aliases = aliases or {}
    taken = dict(taken or {})
    found: dict[str, int] = {}
    used: dict[int, str] = {}
    for name, alts in profile.columns.items():
        hits = [i for i in _find(alts, headers, aliases, profile.canonical) if i not in taken]
        if len(hits) > 1:
            listed = ", ".join(repr(headers[i]) for i in hits)
            raise IngestError(
                source,
                f"duplicate column names after mapping: {listed} all map to {name}",
                "Remove or rename the extra columns so that each variable comes from one column.",
            )
        if hits:
            if hits[0] in used:
                raise IngestError(
                    source,
                    f"column {headers[hits[0]]!r} maps to both {used[hits[0]]} and {name}",
                    "Fix the mapping profile.",
                )
            found[name], used[hits[0]] = hits[0], name
    consts = dict(profile.constants)
    for name, value in (constants or {}).items():
        if name not in cb or cb[name].derived:
            raise IngestError(source, f"constant {name!r} is not an observed codebook variable")
        try:
            consts[name] = check_value(name, value, cb)
        except ValueError as exc:
            raise IngestError(source, f"constant {exc}", "Pass a valid value.") from None
    result = ColumnPlan(columns=found, constants=consts)
    for name in consts:
        if name in found:
            raise IngestError(
                source,
                f"duplicate column names after mapping: {name} comes from column "
                f"{headers[found[name]]!r} and from the constant {consts[name]!r}",
                "Drop the constant (the file has the column) or the column.",
            )
    if profile.respondent_id_from:
        hits = _find((profile.respondent_id_from,), headers, aliases, False)
        if "respondent_id" in found:
            raise IngestError(
                source,
                "duplicate column names after mapping: respondent_id comes from column "
                f"{headers[found['respondent_id']]!r} and from respondent_id_from",
                "Keep one of them in the profile.",
            )
        if len(hits) == 1:
            result.pseudonym_from = hits[0]
            used[hits[0]] = "respondent_id"
    _check_required(headers, profile, result, source, cb, provided)
    for i, reason in identifiers.items():
        if i == result.pseudonym_from:
            continue
        if i in taken:
            result.dropped[i] = reason
            continue
        if i in used:
            var = used[i]
            if var == "respondent_id":
                continue  # pseudonymised on ingest (io decides, with a warning)
            if reason.startswith("values:"):
                raise IngestError(
                    source,
                    f"column {headers[i]!r}, mapped to {var}, holds direct identifiers ({reason})",
                    "Check the mapping: identifiers must not be mapped to survey variables.",
                )
            continue  # header only: the profile author mapped it on purpose
        result.dropped[i] = reason
    drop = {normalise_header(d) for d in profile.drop}
    for i, h in enumerate(headers):
        if i in used or i in result.dropped or i in taken:
            continue
        if h in profile.drop or normalise_header(h) in drop:
            result.dropped[i] = "listed under drop in the profile"
        elif h in cb and cb[h].derived:
            result.recomputed.append(i)
        elif h not in profile.ignore:
            result.unmapped.append(i)
    return result


def _check_required(
    headers: list[str],
    profile: Profile,
    result: ColumnPlan,
    source: str,
    cb: _codebook.Codebook,
    provided: Collection[str] = (),
) -> None:
    have = set(result.columns) | set(result.constants) | set(provided)
    if result.pseudonym_from is not None:
        have.add("respondent_id")
    if "weight" in cb and "weight" not in have:
        if profile.unweighted:
            have.add("weight")
        else:
            raise IngestError(
                source,
                "the file has no sampling weights (no column maps to weight)",
                "Map the weight column in the profile; if the survey really is unweighted, set "
                "'unweighted: true' in the profile (every row then gets weight 1, and the log "
                "says so).",
            )
    missing = [v for v in cb.required if v not in have]
    if not missing:
        return
    norm_headers = {normalise_header(h): h for h in headers if h}
    parts = []
    for name in missing:
        alts = profile.columns.get(name, (name,))
        close: list[str] = []
        for a in alts:
            for key in difflib.get_close_matches(normalise_header(a), list(norm_headers), 3, 0.5):
                if norm_headers[key] not in close:
                    close.append(norm_headers[key])
        expect = " or ".join(repr(a) for a in alts)
        near = f"; close matches in the file: {', '.join(map(repr, close))}" if close else ""
        parts.append(f"{name} (expected a column {expect}{near})")
    blank_headers = sum(1 for h in headers if not h.strip())
    hint = (
        " If the header spans two rows, set 'header_rows: 2' in the profile."
        if blank_headers
        else ""
    )
    action = (
        "Rename the column to its canonical name, or load the file with a mapping profile."
        if profile.canonical
        else f"Rename the column in the file, or map it in the profile {profile.name!r}."
    )
    raise IngestError(
        source,
        "missing required column" + ("s " if len(parts) > 1 else " ") + "; ".join(parts),
        action + hint,
    )
