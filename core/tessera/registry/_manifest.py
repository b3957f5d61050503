"""Plugin manifests: the declarations a plugin ships as data, read without importing it.

A plugin's entry point in the group ``tessera.plugins`` names its top-level package; the
package holds ``tessera-plugin.toml``, which declares the plugin's components and kinds.
Discovery locates that file with :func:`importlib.util.find_spec`, which finds a top-level
package without executing it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tessera.errors import ManifestError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["MANIFEST_NAME", "ComponentDecl", "KindDecl", "Manifest", "PluginDecl", "read_manifest"]

MANIFEST_NAME = "tessera-plugin.toml"

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_.\-]*$")


def _check_target(value: str | None) -> str | None:
    if value is not None and not _TARGET.match(value):
        raise ValueError(f"{value!r} is not of the form 'package.module:attribute'")
    return value


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid name; use lower-case letters, digits, '_', '-' or '.', "
            "starting with a letter"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PluginDecl(_Strict):
    """The ``[plugin]`` table."""

    tessera_api: str = Field(alias="tessera-api")
    summary: str = ""
    paper: str = ""
    arxiv: str = ""
    hooks: str | None = None

    @field_validator("hooks")
    @classmethod
    def _hooks_is_module(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][\w.]*$", value):
            raise ValueError(f"{value!r} is not a module path such as 'my_plugin.hooks'")
        return value


class KindDecl(_Strict):
    """One ``[[kinds]]`` entry: a kind and its interface."""

    name: str
    interface: str
    summary: str = ""
    checks: str | None = None

    _name = field_validator("name")(classmethod(lambda cls, v: _check_name(v)))
    _targets = field_validator("interface", "checks")(classmethod(lambda cls, v: _check_target(v)))


class ComponentDecl(_Strict):
    """One ``[[components]]`` entry."""

    kind: str
    name: str
    target: str
    config: str | None = None
    summary: str = ""
    paper: str = ""
    arxiv: str = ""
    examples: list[dict[str, Any]] = Field(default_factory=lambda: [{}])

    _names = field_validator("kind", "name")(classmethod(lambda cls, v: _check_name(v)))
    _targets = field_validator("target", "config")(classmethod(lambda cls, v: _check_target(v)))


class Manifest(_Strict):
    """A whole ``tessera-plugin.toml``."""

    plugin: PluginDecl
    kinds: list[KindDecl] = Field(default_factory=list)
    components: list[ComponentDecl] = Field(default_factory=list)


def locate_manifest(package: str) -> Path:
    """Find ``tessera-plugin.toml`` inside ``package`` without executing the package.

    :param package: the entry point's value, a package name such as ``"tessera_egnn"``.
        A dotted name works too, but imports its parent packages.
    :raises ManifestError: the package or the file cannot be found.
    """
    module = package.split(":", 1)[0].strip()
    if module in sys.modules and getattr(sys.modules[module], "__path__", None):
        locations = list(sys.modules[module].__path__)
    else:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as error:
            raise ManifestError(f"package {module!r} cannot be located: {error}") from error
        if spec is None:
            raise ManifestError(
                f"package {module!r} is not installed or not on sys.path; reinstall the "
                "plugin's distribution"
            )
        locations = list(spec.submodule_search_locations or [])
        if not locations:
            raise ManifestError(
                f"entry point names {module!r}, which is a module; it must name the plugin's "
                f"package, the folder that holds {MANIFEST_NAME}"
            )
    for location in locations:
        path = Path(location) / MANIFEST_NAME
        if path.is_file():
            return path
    raise ManifestError(
        f"package {module!r} has no {MANIFEST_NAME} (looked in {', '.join(locations)}); "
        "ship it as package data"
    )


def read_manifest(path: Path) -> Manifest:
    """Parse and validate a manifest file.

    :raises ManifestError: with the file, the field path and what is wrong.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: cannot be read as TOML: {error}") from error
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ManifestError(f"{path}: invalid manifest: {problems}") from None
