"""Shared pieces of the survey package: column-name arguments and factorised domains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Names = str | Sequence[str]


@dataclass(frozen=True)
class _Domains:
    """Factorised domains of one ``by`` specification, with (PSU, domain) and (stratum, domain)
    groupings. Rows outside every domain carry code ``size`` / ``n_pd``."""

    columns: list[str]
    labels: pd.DataFrame  # one row per domain, in sorted order
    code: np.ndarray  # (n,) domain of each row, ``size`` when undefined
    inside: np.ndarray  # (n,) bool: row belongs to a domain
    size: int
    pd_id: np.ndarray  # (n,) (PSU, domain) combination of each row, ``n_pd`` when undefined
    n_pd: int
    pd_dom: np.ndarray  # (n_pd,)
    pd_hd: np.ndarray  # (n_pd,) (stratum, domain) combination of each (PSU, domain)
    hd_stratum: np.ndarray  # (n_hd,)
    hd_dom: np.ndarray  # (n_hd,)
    hd_m: np.ndarray  # (n_hd,) number of (PSU, domain) combinations in each
    texts: list[str]  # one per domain: "col=value, ..." (the part of a term after " | ")
