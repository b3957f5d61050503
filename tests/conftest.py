"""Shared fixtures: temporary installed distributions for registry tests."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Install a fake distribution as a dist-info folder plus package on a temporary path.

    ``make_dist(dist, package, manifest, files={"mod.py": "..."}, entry=None, version=...)``
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = set(sys.modules)

    def make(
        dist: str,
        package: str,
        manifest: str | None,
        files: dict[str, str] | None = None,
        entry: str | None = None,
        version: str = "0.1.0",
    ) -> Path:
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        (info / "entry_points.txt").write_text(
            f"[tessera.plugins]\n{entry or dist.removeprefix('tessera-')} = {package}\n"
        )
        pkg = site / package
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        if manifest is not None:
            (pkg / "tessera-plugin.toml").write_text(textwrap.dedent(manifest))
        for name, text in (files or {}).items():
            (pkg / name).write_text(textwrap.dedent(text))
        importlib.invalidate_caches()
        return pkg

    yield make
    for name in set(sys.modules) - before:
        if name.split(".")[0] not in ("tessera", "torch", "numpy", "_pytest", "pydantic"):
            sys.modules.pop(name, None)
