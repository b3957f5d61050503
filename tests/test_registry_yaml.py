"""registry.yaml, the catalog of first-party plugins, equals what discovery finds.

Regenerate it after changing a manifest with ``python tests/test_registry_yaml.py --write``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from tessera.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "registry.yaml"


def first_party() -> dict[str, str]:
    """Plugin name → folder, for the core and every folder under plugins/."""
    folders = {"builtins": "core"}
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        folders[pyproject.parent.name] = f"plugins/{pyproject.parent.name}"
    return folders


def discovered() -> dict[str, Any]:
    registry = Registry(only=None)
    plugins = {p.name: p for p in registry.plugins()}
    entries = []
    for name, folder in first_party().items():
        info = plugins.get(name)
        if info is None:
            raise AssertionError(
                f"plugin folder '{folder}' is not installed; run `make setup` (pip install -e "
                f"{folder})"
            )
        assert info.status == "loaded", f"plugin {name!r} is {info.status}: {info.reason}"
        components: dict[str, list[str]] = {}
        tasks = []
        for c in registry.components():
            if c.plugin != name:
                continue
            if c.kind == "task":
                tasks.append(c.name)
            else:
                components.setdefault(c.kind, []).append(c.name)
        entries.append(
            {
                "name": name,
                "distribution": info.distribution,
                "folder": folder,
                "paper": {"title": info.paper, "arxiv": info.arxiv} if info.arxiv else None,
                "components": {k: sorted(v) for k, v in sorted(components.items())},
                "tasks": sorted(tasks),
            }
        )
    return {"plugins": entries}


def render(data: dict[str, Any]) -> str:
    header = (
        "# The catalog of first-party plugins: distribution, folder, paper, components by\n"
        "# kind, and tasks. tests/test_registry_yaml.py holds it equal to what discovery\n"
        "# finds; regenerate with `python tests/test_registry_yaml.py --write`.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, width=99)


def test_registry_yaml_matches_discovery():
    expected = render(discovered())
    assert CATALOG.is_file(), (
        "registry.yaml is missing; run python tests/test_registry_yaml.py --write"
    )
    assert yaml.safe_load(CATALOG.read_text()) == yaml.safe_load(expected), (
        "registry.yaml differs from what discovery finds; regenerate it with "
        "`python tests/test_registry_yaml.py --write` and review the diff"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        CATALOG.write_text(render(discovered()))
        print(f"wrote {CATALOG}")
    else:
        print(render(discovered()))
