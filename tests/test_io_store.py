"""Canonical data on disk: one Parquet file or a folder partitioned by wave, read alike.

Expected values are the known content of a small synthetic survey: the same rows, columns and
dtypes from both forms, the waves that were written, and the briefing computed from one form
equal to the briefing from the other.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import briefing, pipeline
from shuangjian_eval.inputs.io.store import (
    data_files,
    fingerprint,
    read_canonical,
    stat_key,
    write_canonical,
)
from shuangjian_eval.run import cli


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return sje.synth.generate(
        n_schools=12, students_per_school=10, n_counties=2, waves=(2019, 2020, 2022), seed=8
    )


@pytest.fixture(scope="module")
def stored(survey, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("store")
    return (
        write_canonical(survey, root / "survey.parquet"),
        write_canonical(survey, root / "survey", partition_by_wave=True),
    )


def test_a_partitioned_folder_reads_as_the_single_file(stored, survey):
    single, folder = stored
    assert sorted(p.parent.name for p in data_files(folder)) == [
        "wave=2019", "wave=2020", "wave=2022"
    ]  # fmt: skip
    a, b = read_canonical(single), read_canonical(folder)
    assert b["wave"].dtype == survey["wave"].dtype and list(b.columns) == list(survey.columns)
    order = ["wave", "respondent_id"]
    pd.testing.assert_frame_equal(
        a.sort_values(order).reset_index(drop=True), b.sort_values(order).reset_index(drop=True)
    )
    assert "synth" in b.attrs  # the synthetic-data notice travels with the data


def test_only_the_columns_and_waves_asked_for_are_read(stored, survey):
    _, folder = stored
    part = read_canonical(folder, columns=["wave", "county"], filters=[("wave", "in", [2022])])
    assert list(part.columns) == ["wave", "county"]
    assert len(part) == int((survey["wave"] == 2022).sum())


def test_a_new_wave_is_added_and_a_rewritten_wave_replaced(survey, tmp_path):
    folder = tmp_path / "survey"
    write_canonical(survey[survey["wave"] < 2022], folder, partition_by_wave=True)
    before = fingerprint(folder)
    write_canonical(survey[survey["wave"] == 2022], folder, partition_by_wave=True)
    assert fingerprint(folder) != before
    assert sorted(read_canonical(folder)["wave"].unique()) == [2019, 2020, 2022]
    fewer = survey[survey["wave"] == 2020].iloc[:5]
    size = stat_key(folder)[0]
    write_canonical(fewer, folder, partition_by_wave=True)
    counts = read_canonical(folder)["wave"].value_counts()
    assert counts[2020] == 5 and counts[2019] == int((survey["wave"] == 2019).sum())
    assert stat_key(folder)[0] < size
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging left


def test_reports_and_briefings_take_a_folder(stored):
    single, folder = stored
    assert pipeline.list_regions(folder) == pipeline.list_regions(single)
    county = pipeline.list_regions(folder)[0]
    from_file = briefing.load_or_compute(single, region=county)
    from_folder = briefing.load_or_compute(folder, region=county)
    assert from_folder.text == from_file.text
    pd.testing.assert_frame_equal(from_folder.scorecard, from_file.scorecard)
    assert from_folder.meta["data_sha256"] == fingerprint(folder) == pipeline.data_hash(folder)


def test_cli_synth_writes_a_partitioned_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    code = cli.main(["synth", "--out", str(out), "--schools", "8", "--students", "5",
                     "--counties", "2", "--waves", "2020,2022", "--partition-by-wave"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["wave=2020", "wave=2022"]
    assert "wrote" in capsys.readouterr().out


def test_statistics_are_written_for_the_filter_columns_only(stored):
    """Row filters (region, wave) can skip row groups by their min/max; the measurements carry
    none (their statistics served no reader)."""
    import pyarrow.parquet as pq

    file, folder = stored
    for path in data_files(file) + data_files(folder):
        row_group = pq.ParquetFile(path).metadata.row_group(0)
        has = {
            row_group.column(i).path_in_schema
            for i in range(row_group.num_columns)
            if row_group.column(i).is_stats_set
        }
        assert {"county", "school_id", "grade"} <= has
        assert not has & {"homework_min_weekday", "weight", "household_income"}
