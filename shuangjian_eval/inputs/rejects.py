"""The frame of rejected input cells that ingest returns: its columns and its empty form.

Below both :mod:`~shuangjian_eval.inputs.validate` (which assembles the rejects of a file)
and :mod:`~shuangjian_eval.inputs.io.columns` (which finds them column by column), so that
neither imports the other for it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["REJECT_COLUMNS", "empty_rejects"]

#: Columns of a rejects frame: the input row, the raw column, the canonical variable, the
#: value as read, the rule broken and a message for the person who fixes the file.
REJECT_COLUMNS = ["source_row", "column", "variable", "value", "rule", "message"]


def empty_rejects() -> pd.DataFrame:
    """A rejects frame without rows, with the dtypes of a full one."""
    return pd.DataFrame(
        {
            "source_row": pd.Series([], dtype="int64"),
            **{c: pd.Series([], dtype="string") for c in REJECT_COLUMNS[1:]},
        }
    )
