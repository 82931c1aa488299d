"""The frames of rejected input cells and of flagged submissions that ingest returns: their
columns and their empty forms.

Below both :mod:`~shuangjian_eval.inputs.validate` (which assembles the rejects of a file)
and :mod:`~shuangjian_eval.inputs.io.columns` (which finds them column by column), so that
neither imports the other for it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FLAG_COLUMNS", "REJECT_COLUMNS", "empty_flags", "empty_rejects"]

#: Columns of a rejects frame: the input row, the raw column, the canonical variable, the
#: value as read, the rule broken and a message for the person who fixes the file.
REJECT_COLUMNS = ["source_row", "column", "variable", "value", "rule", "message"]
#: Columns of a flags frame: the submission's row, the flag and what was seen.
FLAG_COLUMNS = ["source_row", "flag", "detail"]


def empty_rejects() -> pd.DataFrame:
    """A rejects frame without rows, with the dtypes of a full one."""
    return pd.DataFrame(
        {
            "source_row": pd.Series([], dtype="int64"),
            **{c: pd.Series([], dtype="string") for c in REJECT_COLUMNS[1:]},
        }
    )


def empty_flags() -> pd.DataFrame:
    """A quality-flags frame without rows."""
    return pd.DataFrame(
        {
            "source_row": pd.Series([], dtype="int64"),
            **{c: pd.Series([], dtype="string") for c in FLAG_COLUMNS[1:]},
        }
    )
