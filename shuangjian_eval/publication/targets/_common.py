"""Private helpers shared by the modules of :mod:`shuangjian_eval.publication.targets`."""

from __future__ import annotations

#: Keys of the two target windows and the period each is measured at.
_WINDOWS = {"1y": "one_year", "3y": "three_year"}
