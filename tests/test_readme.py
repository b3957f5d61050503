"""The README's Python tour runs as written, with every first-party plugin installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tessera.registry import Registry

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of the README, in order, in one namespace."""
    names = {c.plugin for c in Registry().components()}
    if not {"egnn", "enf", "bofm"} <= names:
        pytest.skip("the tour composes tessera-egnn, tessera-enf and tessera-bofm")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no Python example"
    monkeypatch.chdir(tmp_path)  # the tour saves files
    namespace: dict[str, object] = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    flow = namespace["flow"]
    assert tuple(namespace["x"].shape) == (8, *flow.event_shape)
