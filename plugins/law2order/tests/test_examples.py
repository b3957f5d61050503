"""The run specs in examples/ validate: their tasks exist and their parameters check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.runs import prepare

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def test_there_are_examples():
    """The README points to the examples; they must exist."""
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path, tmp_path):
    """Each example is a task spec that `tessera run` accepts, checked without running."""
    plan = prepare(path, out=tmp_path / "run")
    assert plan.task_spec["name"].startswith("law2order.")
