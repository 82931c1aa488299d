"""The report languages and their check, for every layer.

The labels, the number formats and the punctuation of each language belong to
:mod:`shuangjian_eval.publication.formatting`, which re-exports these two names; they live
here because the input layer (codebook labels, policy citations) checks languages too and may
not import publication.
"""

from __future__ import annotations

__all__ = ["LANGS", "check_lang"]

#: Report languages: Chinese first, English on request.
LANGS: tuple[str, ...] = ("zh", "en")


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is a report language (:data:`LANGS`).

    Raises
    ------
    ValueError
        For any other value; the message names the valid languages.

    >>> check_lang("en")
    'en'
    """
    if not isinstance(lang, str) or lang not in LANGS:
        raise ValueError(
            f"lang {lang!r} is not a report language; valid values: {', '.join(LANGS)}"
        )
    return lang
