"""Typed answers to fill-in questions: durations, sums of money and ranges, as parents type them.

A 问卷星 fill-in question ("孩子每天写作业大约多少分钟?") gets "1小时", "1.5小时", "半小时",
"1小时30分钟", "90分钟", "约40", "４０" (full-width) or "30-40"; a question on spending gets
"2千", "1.5万" or "2000元". :func:`read_typed` turns one such text into a number in the unit of
the codebook variable (minutes, hours or CNY), and names the rule it used, so that the log can
count how many answers were read each way. Ranges ("30-40", "1到2小时") are read as their
midpoint and counted as such. A text it cannot read is left to the caller (a missing answer with
its reason); it never guesses a unit that the text does not state, except the variable's own.

Examples
--------
>>> read_typed("1小时30分钟", "minutes per day")
(90.0, 'duration with units')
>>> read_typed("30-40", "minutes per day")
(35.0, 'range midpoint')
>>> read_typed("1.5万", "CNY per year")
(15000.0, 'money with units')
>>> read_typed("不一定", "minutes per day") is None
True
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TYPED_RULES", "read_typed"]

#: the rules a typed answer can be read by (the log counts answers per rule)
TYPED_RULES = ("duration with units", "money with units", "approximate number", "range midpoint")

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
_NUM = r"(\d+(?:\.\d+)?|\.\d+|[零一二两三四五六七八九十]+(?:个半)?|半)"
_APPROX = re.compile(r"^(?:约|大约|大概|差不多|估计|平均)?(.*?)(?:左右|上下|多|以上|余|\+)?$")
_HOURS = r"(?:个?小时|个?钟头|h|hr|hrs|hour|hours)"
_MINUTES = r"(?:分钟|分|min|mins|minute|minutes|m)"
_DURATION = re.compile(
    rf"^{_NUM}{_HOURS}半$|^{_NUM}{_HOURS}(?:{_NUM}{_MINUTES}?)?$|^{_NUM}{_MINUTES}$"
)
_MONEY = re.compile(rf"^{_NUM}(万|w|千|k|百)?(?:元|块|块钱|rmb|cny)?$")
_RANGE = re.compile(r"^(.+?)(?:-|~|～|—|–|到|至)(.+)$")


def _cn_number(text: str) -> float | None:
    """A number written as digits or as a small Chinese numeral (一, 两, 十五, 一个半, 半)."""
    try:
        return float(text)
    except ValueError:
        pass
    half = 0.0
    if text.endswith("个半"):
        text, half = text[:-2], 0.5
    if text == "半":
        return 0.5
    if not text or any(ch not in _CN_DIGITS for ch in text):
        return None
    if "十" in text:
        tens, _, units = text.partition("十")
        value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
        return value + half
    if len(text) == 1:
        return _CN_DIGITS[text] + half
    return None


def _base_unit(unit: str | None) -> str | None:
    word = (unit or "").split(" ")[0].lower()
    return word if word in ("minutes", "hours", "cny") else None


def _duration(text: str, base: str) -> float | None:
    m = _DURATION.match(text)
    if not m:
        return None
    h_half, h1, m1, m_only = m.groups()
    if m_only is not None:
        minutes = _cn_number(m_only)
    elif h_half is not None:
        hours = _cn_number(h_half)
        minutes = None if hours is None else (hours + 0.5) * 60
    else:
        hours = _cn_number(h1)
        extra = _cn_number(m1) if m1 is not None else 0.0
        minutes = None if hours is None or extra is None else hours * 60 + extra
    if minutes is None:
        return None
    return minutes if base == "minutes" else minutes / 60


def _money(text: str) -> float | None:
    m = _MONEY.match(text)
    if not m:
        return None
    value = _cn_number(m.group(1))
    if value is None:
        return None
    return value * {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "百": 1e2, None: 1.0}[m.group(2)]


def _one(text: str, base: str) -> tuple[float, str] | None:
    """One value (not a range): with units, or an approximate plain number."""
    core = _APPROX.match(text).group(1) or text
    approximate = core != text
    if base in ("minutes", "hours"):
        value = _duration(core, base)
        if value is not None:
            return value, "duration with units"
    elif base == "cny":
        value = _money(core)
        if value is not None and (core != _MONEY.match(core).group(1)):
            return value, "money with units"
    value = _cn_number(core)
    if value is None:
        return None
    try:
        float(core)
    except ValueError:
        return value, "approximate number"  # a Chinese numeral: 十五
    return (value, "approximate number") if approximate else None


def read_typed(text: str, unit: str | None) -> tuple[float, str] | None:
    """The number a typed answer means in ``unit`` (a codebook unit such as "minutes per
    day"), and the rule it was read by (one of :data:`TYPED_RULES`); None when it cannot be
    read. Plain numbers are not handled here (the caller reads them first)."""
    base = _base_unit(unit)
    if base is None:
        return None
    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    t = re.sub(r"\s+", "", t)
    if not t:
        return None
    found = _one(t, base)
    if found is not None:
        return found
    m = _RANGE.match(t)
    if m and not t.startswith("-"):
        lo_text, hi_text = m.groups()
        hi = _one(hi_text, base) or _plain(hi_text)
        # a unit written once, after the range ("1-2小时"), applies to both ends
        lo = _one(lo_text, base) or _with_unit_of(lo_text, hi_text, base) or _plain(lo_text)
        if lo is not None and hi is not None and lo[0] <= hi[0]:
            return (lo[0] + hi[0]) / 2, "range midpoint"
    return None


def _plain(text: str) -> tuple[float, str] | None:
    value = _cn_number(text)
    return None if value is None else (value, "")


def _with_unit_of(number: str, other: str, base: str) -> tuple[float, str] | None:
    unit = re.sub(r"^[\d.]+|^[零一二两三四五六七八九十半]+", "", other)
    return _one(number + unit, base) if unit and _cn_number(number) is not None else None
