"""Fixtures several test files share, computed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuangjian_eval.inputs import examples


@pytest.fixture(scope="session")
def generated_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example input files as ``make_examples(seed=0)`` writes them, by file name (read
    only: a test that changes one copies it first)."""
    folder = tmp_path_factory.mktemp("examples")
    return {p.name: p for p in examples.make_examples(folder, seed=0)}
