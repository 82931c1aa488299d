"""The regions module: keywords, the expansion of ``each``, the checks and the slug.

Expected values follow from the rules in :mod:`shuangjian_eval.inputs.regions` and from the
counties of the frames built here; the close match is :func:`difflib.get_close_matches`'s.
"""

from __future__ import annotations

import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.inputs import regions

COUNTIES = ["样本县001", "样本县002", "样本县010"]


def test_keywords_and_the_short_name():
    assert (regions.ALL, regions.EACH) == ("all", "each")
    assert sje.regions is regions


def test_counties_of_a_frame():
    df = pd.DataFrame({"county": ["样本县002", None, "样本县001", "样本县002"]})
    assert regions.counties(df) == ["样本县001", "样本县002"]
    assert regions.counties(pd.DataFrame({"x": [1]})) == []


def test_expand_each_split_and_deduplicate():
    assert regions.expand("all, each", COUNTIES) == ["all", *COUNTIES]
    assert regions.expand(["样本县002", "each"], COUNTIES) == [
        "样本县002",
        "样本县001",
        "样本县010",
    ]
    with pytest.raises(ValueError, match="no regions given; valid regions: all, each, 样本县001"):
        regions.expand(" , ", COUNTIES)


def test_unknown_region_names_region_column_close_match_and_valid_ones():
    with pytest.raises(ValueError) as err:
        regions.check("样本县0011", COUNTIES)
    assert str(err.value) == (
        "region '样本县0011' is not in the data's 'county' column; did you mean '样本县001'?; "
        "valid regions: all, 样本县001, 样本县002, 样本县010"
    )
    with pytest.raises(ValueError, match="valid regions: all, each, 样本县001"):
        regions.expand("火星县", COUNTIES)
    with pytest.raises(ValueError, match="region must be a county name or 'all', got 3"):
        regions.check([3], COUNTIES)
    regions.check(["all", "样本县010"], COUNTIES)


@pytest.mark.parametrize("name", ["all", "each"])
def test_a_county_named_like_a_keyword_clashes(name):
    with pytest.raises(ValueError, match=f"has a county named '{name}', which is the keyword"):
        regions.check("样本县001", [*COUNTIES, name])


def test_slug_keeps_safe_names_and_separates_changed_ones():
    assert regions.slug("样本县001") == "样本县001"
    assert regions.slug("a/b") != regions.slug("a_b") and "/" not in regions.slug("a/b")
    assert regions.slug("..").isalnum()  # only the hash is left
