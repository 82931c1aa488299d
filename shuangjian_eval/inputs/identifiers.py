"""Direct identifiers: find them, drop them, or replace a respondent key by a pseudonym.

Survey exports carry columns that identify people directly: names (姓名), phone numbers
(联系电话, 手机), resident ID numbers (身份证号), addresses, e-mail, WeChat/QQ accounts and the
submitter's IP address (问卷星's 来源IP). On ingest they are found by their header text *and* by
their values (a mainland mobile number ``1[3-9]\\d{9}``, an 18-character resident ID with a valid
checksum, an e-mail address, an IPv4 address), and dropped; the one column a mapping names as the
respondent key (``respondent_id_from: 联系电话``) is replaced by a salted HMAC-SHA256 pseudonym, so
that the same person gets the same ``respondent_id`` in every file ingested with the same salt.

Nothing here ever returns an identifier's value: :func:`mask_identifiers` blanks them out of free
text (used for the values shown in rejects).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "SALT_ENV",
    "find_identifier_columns",
    "identifier_kind_of_header",
    "identifier_reason",
    "mask_identifiers",
    "pseudonymise",
    "resolve_salt",
]

#: environment variable holding the pseudonymisation salt
SALT_ENV = "SJE_ID_SALT"
#: hex characters kept of the HMAC-SHA256 digest (64 bits: collisions are negligible for surveys)
PSEUDONYM_HEX = 16
#: share of sampled non-missing values that must match an identifier pattern
VALUE_SHARE = 0.5
_SAMPLE = 500

# header text -> kind of identifier; matched on the NFKC-casefolded header
_HEADER_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("name", re.compile(r"姓名|名字|称呼|联系人")),
    ("phone", re.compile(r"电话|手机|联系方式|phone|mobile|telephone|cellphone")),
    (
        "id number",
        re.compile(r"身份证|证件号|学籍号|护照|id[ _-]?card|id[ _-]?number|national[ _-]?id"),
    ),
    ("address", re.compile(r"地址|住址|address|门牌")),
    ("email", re.compile(r"邮箱|电子邮件|e-?mail")),
    ("messaging account", re.compile(r"微信|wechat|weixin")),
    ("IP address", re.compile(r"ip地址|来源ip|ip[ _-]?address")),
]
# whole-token matches (so that "school_name" or "ship" do not count)
_TOKEN_RULES: dict[str, str] = {
    "name": "name",
    "fullname": "name",
    "full_name": "name",
    "first_name": "name",
    "last_name": "name",
    "surname": "name",
    "tel": "phone",
    "qq": "messaging account",
    "ip": "IP address",
}
_NOT_PERSONAL_NAME = ("school", "county", "city", "province", "district", "file", "sheet", "var")

_PHONE = re.compile(r"(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}")
_RESIDENT_ID = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx]")
# the look-behind starts an address only where a run of address characters starts: without it,
# a search retries from every character of a long run (quadratic: minutes on a 100,000-character
# cell shown in rejects)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_PLURAL = {
    "phone": "mainland mobile numbers",
    "id number": "resident ID numbers",
    "email": "e-mail addresses",
    "IP address": "IP addresses",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_checksum_ok(text: str) -> bool:
    """Whether an 18-character mainland resident ID number has a valid ISO 7064 check digit."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17].upper()


def _value_kind(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text).strip()
    if _PHONE.fullmatch(t):
        return "phone"
    if _RESIDENT_ID.fullmatch(t) and resident_id_checksum_ok(t):
        return "id number"
    if _EMAIL.fullmatch(t):
        return "email"
    # 问卷星 writes "223.104.63.12(广东-深圳)"
    if _IPV4.match(t) and re.fullmatch(r"[\d.]+(?:\s*[(（].*[)）])?", t):
        return "IP address"
    return None


def identifier_kind_of_header(header: str) -> str | None:
    """The kind of direct identifier a column header names, or None.

    Parameters
    ----------
    header : str
        Raw column header, e.g. ``"联系电话"``, ``"5、您的姓名:"`` or ``"parent_phone"``.
    """
    h = unicodedata.normalize("NFKC", str(header)).casefold().strip()
    for kind, pattern in _HEADER_RULES:
        if pattern.search(h):
            return kind
    tokens = [t for t in re.split(r"[^0-9a-z]+", h) if t]
    for i, tok in enumerate(tokens):
        kind = _TOKEN_RULES.get(tok)
        if kind == "name" and any(t.startswith(_NOT_PERSONAL_NAME) for t in tokens[:i]):
            continue
        if kind:
            return kind
    return None


def _sample_texts(values: pd.Series, n: int = _SAMPLE) -> list[str]:
    s = values.dropna()
    if s.empty:
        return []
    if pd.api.types.is_float_dtype(s.dtype):
        s = s[np.isfinite(s) & (s == np.floor(s))].astype("int64")
    texts = pd.unique(s.astype(str).str.strip().to_numpy())
    return [t for t in texts[:n] if t]


def find_identifier_columns(
    df: pd.DataFrame, *, exclude: Iterable[str] = (), by_values: bool = True
) -> dict[str, str]:
    """Columns that hold direct identifiers, with the reason for each.

    Parameters
    ----------
    df : DataFrame
        Raw data (a sample of rows is enough: values are checked on up to 500 distinct values).
    exclude : iterable of str
        Columns not to check (for instance canonical variables already validated by the codebook).
    by_values : bool
        Also check values against the identifier patterns (phone, resident ID, e-mail, IPv4);
        a column counts when at least half of its sampled non-missing values match.

    Returns
    -------
    dict
        ``{column: reason}``, e.g. ``{"联系电话": "header: phone"}``.
    """
    skip = set(exclude)
    found: dict[str, str] = {}
    for col in df.columns:
        if col in skip:
            continue
        reason = identifier_reason(str(col), df[col], by_values=by_values)
        if reason:
            found[col] = reason
    return found


def identifier_reason(
    header: str, values: pd.Series | None = None, *, by_values: bool = True
) -> str | None:
    """Why a column holds direct identifiers (by header, else by values), or None.

    Parameters
    ----------
    header : str
        Raw column header.
    values : Series, optional
        Raw values (a sample of rows is enough).
    by_values : bool
        Also check the values against the identifier patterns.

    Returns
    -------
    str or None
        For example ``"header: phone"`` or
        ``"values: mainland mobile numbers (200 of 200 distinct values)"``.
    """
    kind = identifier_kind_of_header(header)
    if kind:
        return f"header: {kind}"
    if not by_values or values is None:
        return None
    texts = _sample_texts(values)
    if not texts:
        return None
    hits = [k for k in map(_value_kind, texts) if k]
    if hits and len(hits) >= VALUE_SHARE * len(texts):
        top = max(set(hits), key=hits.count)
        return f"values: {_PLURAL[top]} ({len(hits)} of {len(texts)} distinct values)"
    return None


def mask_identifiers(texts: pd.Series) -> pd.Series:
    """Replace phone numbers, resident IDs, e-mail and IP addresses inside text by ``***``.

    Parameters
    ----------
    texts : Series of str
        Free text, such as the original values shown in rejects.
    """
    out = texts.astype("string")
    for pattern in (_RESIDENT_ID, _PHONE, _EMAIL, _IPV4):
        out = out.str.replace(pattern, "***", regex=True)
    return out


def resolve_salt(salt: str | bytes | None = None) -> tuple[bytes, str]:
    """The salt for pseudonyms and where it came from.

    Parameters
    ----------
    salt : str or bytes, optional
        Explicit salt. When None, the environment variable ``SJE_ID_SALT`` is used; when that is
        unset too, a random salt (pseudonyms then do not link across files).

    Returns
    -------
    (bytes, str)
        The salt and its source: ``"argument"``, ``"SJE_ID_SALT"`` or ``"random"``.
    """
    if salt is not None:
        value = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
        if not value:
            raise ValueError("salt must not be empty")
        return value, "argument"
    env = os.environ.get(SALT_ENV)
    if env:
        return env.encode("utf-8"), SALT_ENV
    return secrets.token_bytes(32), "random"


def _normalise_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip()
    return re.sub(r"[\s-]", "", t)


def _digest(key: bytes, text: str) -> str | None:
    norm = _normalise_key(text)
    if not norm:
        return None
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def pseudonymise(series: pd.Series, salt: str | bytes) -> pd.Series:
    """Salted HMAC-SHA256 pseudonyms of identifier values (16 hex characters).

    Values are normalised first (NFKC, surrounding and inner spaces and hyphens removed,
    whole numbers written without a decimal point), so ``"138 1234 5678"``, ``"13812345678"``
    and the number ``13812345678.0`` from a Stata file get the same pseudonym. Missing values
    stay missing.

    Parameters
    ----------
    series : Series
        Identifier values (phone numbers, ID numbers, names).
    salt : str or bytes
        Secret salt; the same salt gives the same pseudonym for the same value in every file.

    Returns
    -------
    Series of dtype ``string``, aligned with ``series``.
    """
    key = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    s = series
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & np.isfinite(s) & (s == np.floor(s))
        s = s.astype(object).where(~whole, s[whole].astype("int64").astype(str))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    digests = np.array([_digest(key, str(u)) for u in uniques] + [None], dtype=object)
    out = digests[np.where(codes < 0, len(uniques), codes)]
    return pd.Series(out, index=series.index, name=series.name, dtype="string")
