"""The registry: which kinds and components exist, where they come from, and how to load them.

Discovery reads the entry-point group ``tessera.plugins`` and each plugin's manifest. No plugin
module is imported until one of its components is used.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import inspect
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from tessera._version import API_VERSION
from tessera.errors import (
    ComponentClashError,
    ManifestError,
    PluginImportError,
    TesseraWarning,
    UnknownComponentError,
    UnknownKindError,
)
from tessera.registry._manifest import Manifest, locate_manifest, read_manifest

if sys.version_info >= (3, 10):  # noqa: UP036 - the backport serves older Pythons
    from importlib import metadata as importlib_metadata
else:  # pragma: no cover
    import importlib_metadata

__all__ = ["ENTRY_POINT_GROUP", "ComponentInfo", "KindInfo", "PluginInfo", "Registry"]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tessera.plugins"
BUILTINS = "builtins"

Status = Literal["loaded", "failed", "incompatible", "disabled"]


def import_target(target: str) -> Any:
    """Import ``"package.module:attr"`` (``attr`` may be dotted) and return the attribute."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass
class PluginInfo:
    """One discovered plugin and its status."""

    name: str
    distribution: str
    version: str
    status: Status = "loaded"
    reason: str = ""
    package: str = ""
    api: str = ""
    summary: str = ""
    paper: str = ""
    arxiv: str = ""
    hooks: str | None = None


@dataclass(frozen=True)
class KindInfo:
    """A kind: a name and the interface its components implement."""

    name: str
    interface: str | type
    summary: str = ""
    checks: str | Callable | None = None
    plugin: str = BUILTINS

    def load_interface(self) -> type:
        """Import and return the interface class."""
        if isinstance(self.interface, str):
            return import_target(self.interface)
        return self.interface


@dataclass(eq=False)
class ComponentInfo:
    """A registered component: where its code and config live, and what it is."""

    kind: str
    name: str
    target: str | Callable[..., Any]
    config: str | type | None = None
    summary: str = ""
    plugin: str = BUILTINS
    distribution: str = ""
    version: str = ""
    paper: str = ""
    arxiv: str = ""
    examples: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def qualified_name(self) -> str:
        """``plugin:name``, always unambiguous."""
        return f"{self.plugin}:{self.name}"

    def _import(self, what: str, target: str) -> Any:
        try:
            return import_target(target)
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            if self._registry is not None:
                self._registry._mark_failed(self.plugin, f"importing {target!r} failed: {reason}")
            raise PluginImportError(
                f"{self.kind} {self.name!r} of plugin {self.plugin!r} ({self.distribution}): "
                f"importing its {what} {target!r} failed: {reason}; reinstall "
                f"{self.distribution or 'the plugin'} or disable it with TESSERA_PLUGINS"
            ) from error

    def load(self) -> Callable[..., Any]:
        """Import and return the component's class or factory."""
        if isinstance(self.target, str):
            return self._import("target", self.target)
        return self.target

    def load_config(self) -> type:
        """Return the config model, deriving one from the target's signature if none is set."""
        if isinstance(self.config, str):
            return self._import("config", self.config)
        if self.config is not None:
            return self.config
        from tessera.registry._build import config_from_signature

        return config_from_signature(self.load(), f"{self.name}_config")


class Registry:
    """Kinds, components and plugins, discovered from entry points or registered by hand.

    :param autoload: discover installed plugins through entry points on first use. With
        ``False`` only the built-ins are loaded, and components are added with
        :meth:`register`.
    :param only: names of plugins to load (the built-ins always load); defaults to the
        comma-separated ``TESSERA_PLUGINS`` environment variable when set.

    Example:
        >>> from tessera.registry import Registry
        >>> registry = Registry(autoload=False)
        >>> "flow" in registry.kinds()
        True
    """

    def __init__(self, *, autoload: bool = True, only: Iterable[str] | None = None) -> None:
        self.autoload = autoload
        if only is None and os.environ.get("TESSERA_PLUGINS"):
            only = [p.strip() for p in os.environ["TESSERA_PLUGINS"].split(",") if p.strip()]
        self.only = None if only is None else set(only)
        self._plugins: dict[str, PluginInfo] = {}
        self._kinds: dict[str, KindInfo] = {}
        self._components: dict[tuple[str, str], list[ComponentInfo]] = {}
        self._discovered = False
        self._hooks_loaded = False
        self._lock = threading.RLock()
        self._plugin_manager: Any = None

    # Discovery

    def _ensure(self) -> None:
        if not self._discovered:
            with self._lock:
                if not self._discovered:
                    self._discovered = True
                    self._discover()

    def _discover(self) -> None:
        builtin = importlib_metadata.EntryPoint(BUILTINS, "tessera", ENTRY_POINT_GROUP)
        self._add_plugin(builtin)
        if not self.autoload:
            return
        for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == BUILTINS:
                continue
            known = self._plugins.get(ep.name)
            if known is None:
                self._add_plugin(ep)
                continue
            dist = _dist_name(ep)
            if dist != known.distribution:
                # The first on sys.path is used, as an import would; the other is reported.
                self._plugins[f"{ep.name} ({dist})"] = PluginInfo(
                    ep.name,
                    dist,
                    getattr(getattr(ep, "dist", None), "version", "?"),
                    status="failed",
                    package=ep.value,
                    reason=f"plugin name {ep.name!r} is already taken by {known.distribution}",
                )

    def _add_plugin(self, ep: Any) -> None:
        dist = getattr(ep, "dist", None)
        if ep.name == BUILTINS:
            from tessera._version import __version__

            dist_name, version = "tessera", __version__
        else:
            dist_name = _dist_name(ep)
            version = dist.version if dist is not None else "?"
        info = PluginInfo(ep.name, dist_name, version, package=ep.value)
        self._plugins[ep.name] = info
        if self.only is not None and ep.name != BUILTINS and ep.name not in self.only:
            info.status, info.reason = "disabled", "not listed in TESSERA_PLUGINS"
            return
        try:
            manifest = read_manifest(locate_manifest(ep.value))
        except ManifestError as error:
            info.status, info.reason = "failed", str(error)
            logger.warning("plugin %r skipped: %s", ep.name, error)
            return
        p = manifest.plugin
        info.api, info.summary, info.paper, info.arxiv = p.tessera_api, p.summary, p.paper, p.arxiv
        info.hooks = p.hooks
        try:
            compatible = Version(API_VERSION) in SpecifierSet(p.tessera_api)
        except InvalidSpecifier:
            info.status = "failed"
            info.reason = f"tessera-api {p.tessera_api!r} is not a version range like '>=1.0,<2'"
            return
        if not compatible:
            info.status = "incompatible"
            info.reason = (
                f"supports tessera API {p.tessera_api}, this core offers {API_VERSION}; "
                f"upgrade {dist_name} or install a matching tessera"
            )
            logger.warning("plugin %r skipped: %s", ep.name, info.reason)
            return
        self._load_manifest(info, manifest)

    def _load_manifest(self, info: PluginInfo, manifest: Manifest) -> None:
        for k in manifest.kinds:
            self.register_kind(
                k.name, k.interface, summary=k.summary, checks=k.checks, plugin=info.name
            )
        for c in manifest.components:
            self._add_component(
                ComponentInfo(
                    kind=c.kind,
                    name=c.name,
                    target=c.target,
                    config=c.config,
                    summary=c.summary,
                    plugin=info.name,
                    distribution=info.distribution,
                    version=info.version,
                    paper=c.paper or info.paper,
                    arxiv=c.arxiv or info.arxiv,
                    examples=c.examples,
                    _registry=self,
                )
            )

    def _mark_failed(self, plugin: str, reason: str) -> None:
        info = self._plugins.get(plugin)
        if info is not None and info.status == "loaded":
            info.status, info.reason = "failed", reason

    # Registration

    def register_kind(
        self,
        name: str,
        interface: str | type,
        *,
        summary: str = "",
        checks: str | Callable | None = None,
        plugin: str = "local",
    ) -> KindInfo:
        """Declare a kind. Declaring the same kind twice with another interface is an error."""
        self._ensure()
        existing = self._kinds.get(name)
        kind = KindInfo(name, interface, summary, checks, plugin)
        if existing is not None and existing.interface != interface:
            raise ComponentClashError(
                f"kind {name!r} is declared by plugins {existing.plugin!r} and {plugin!r} "
                "with different interfaces; a kind has one interface"
            )
        self._kinds.setdefault(name, kind)
        return self._kinds[name]

    def register(
        self,
        kind: str,
        name: str,
        target: str | Callable[..., Any],
        *,
        config: str | type | None = None,
        summary: str = "",
        examples: list[dict[str, Any]] | None = None,
        plugin: str = "local",
        paper: str = "",
        arxiv: str = "",
    ) -> ComponentInfo:
        """Register a component by hand (for user code and tests).

        :param target: the class or factory, or ``"package.module:attr"``.
        :param config: a config model (or its ``"module:attr"``); derived from the target's
            signature when omitted.
        """
        self._ensure()
        info = ComponentInfo(
            kind,
            name,
            target,
            config,
            summary or _first_line(target),
            plugin,
            plugin,
            "",
            paper,
            arxiv,
            examples if examples is not None else [{}],
            self,
        )
        self._add_component(info)
        return info

    def unregister(self, kind: str, name: str, plugin: str | None = None) -> None:
        """Remove a component registered by :meth:`register` (or any, by plugin)."""
        entries = self._components.get((kind, name), [])
        self._components[(kind, name)] = [
            e for e in entries if plugin is not None and e.plugin != plugin
        ]

    def _add_component(self, info: ComponentInfo) -> None:
        if info.kind not in self._kinds:
            raise self._unknown_kind(
                info.kind, f"component {info.name!r} of plugin {info.plugin!r} declares"
            )
        entries = self._components.setdefault((info.kind, info.name), [])
        for e in entries:
            if e.plugin == info.plugin:
                raise ComponentClashError(
                    f"{info.kind} {info.name!r} is registered twice by plugin {info.plugin!r}"
                )
        entries.append(info)

    # Lookup

    def plugins(self) -> list[PluginInfo]:
        """Every discovered plugin with its status, built-ins first."""
        self._ensure()
        return list(self._plugins.values())

    def kinds(self) -> dict[str, KindInfo]:
        """Declared kinds by name."""
        self._ensure()
        return dict(sorted(self._kinds.items()))

    def components(
        self, kind: str | None = None, pattern: str | None = None
    ) -> list[ComponentInfo]:
        """Registered components, optionally of one kind and matching a shell-style pattern."""
        self._ensure()
        if kind is not None and kind not in self._kinds:
            raise self._unknown_kind(kind)
        found = [
            info
            for (k, n), entries in sorted(self._components.items())
            for info in entries
            if (kind is None or k == kind)
            and (
                pattern is None
                or fnmatch.fnmatchcase(n, pattern)
                or fnmatch.fnmatchcase(info.qualified_name, pattern)
            )
        ]
        return found

    def get(self, kind: str, name: str) -> ComponentInfo:
        """The component ``name`` of ``kind``; ``plugin:name`` picks one plugin's.

        :raises UnknownKindError: ``kind`` is not declared.
        :raises UnknownComponentError: no such name, with the nearest names.
        :raises ComponentClashError: two plugins register the bare name.
        """
        self._ensure()
        if kind not in self._kinds:
            raise self._unknown_kind(kind)
        plugin, _, bare = name.rpartition(":")
        entries = self._components.get((kind, bare), [])
        if not entries and not self._hooks_loaded:
            self.load_hooks()
            entries = self._components.get((kind, bare), [])
        if plugin:
            entries = [e for e in entries if plugin in (e.plugin, e.distribution)]
        if not entries:
            raise self._unknown_component(kind, name)
        if len(entries) > 1:
            who = " and ".join(
                f"{e.distribution or e.plugin} (as '{e.qualified_name}')" for e in entries
            )
            raise ComponentClashError(
                f"{kind} {bare!r} is registered by {who}; qualify the name to pick one"
            )
        return entries[0]

    def __contains__(self, key: tuple[str, str]) -> bool:
        try:
            self.get(*key)
        except LookupError:
            return False
        return True

    def _unknown_kind(self, kind: str, context: str = "") -> UnknownKindError:
        known = list(self._kinds)
        near = difflib.get_close_matches(kind, known, n=3, cutoff=0.5)
        hint = f"; did you mean {_quoted(near)}?" if near else ""
        where = f"{context} " if context else ""
        return UnknownKindError(
            f"{where}unknown kind {kind!r}{hint} (declared: {', '.join(sorted(known))})"
        )

    def _unknown_component(self, kind: str, name: str) -> UnknownComponentError:
        names = sorted(
            {e.name for (k, _), es in self._components.items() if k == kind for e in es}
        )
        qualified = sorted(
            {e.qualified_name for (k, _), es in self._components.items() if k == kind for e in es}
        )
        bare = name.rpartition(":")[2]
        near = difflib.get_close_matches(bare, names, n=3, cutoff=0.6)
        near += [
            q
            for q in difflib.get_close_matches(name, qualified, n=2, cutoff=0.6)
            if q not in near and q.rpartition(":")[2] not in near
        ]
        hint = f"; did you mean {_quoted(near)}?" if near else ""
        installed = ", ".join(names) if names else "none"
        return UnknownComponentError(
            f"unknown {kind.replace('_', ' ')} {name!r}{hint} (installed: {installed})"
        )

    # Hooks

    @property
    def hook(self) -> Any:
        """The pluggy hook relay (``registry.hook.tessera_run_start(...)``)."""
        return self.plugin_manager.hook

    @property
    def plugin_manager(self) -> Any:
        """The pluggy plugin manager, with every plugin's hooks module registered."""
        self.load_hooks()
        return self._plugin_manager

    def load_hooks(self) -> None:
        """Import each plugin's ``hooks`` module and let it register kinds and components."""
        self._ensure()
        with self._lock:
            if self._hooks_loaded:
                return
            self._hooks_loaded = True
            from tessera import hooks

            pm = hooks.make_plugin_manager()
            self._plugin_manager = pm
            for info in self._plugins.values():
                if info.status != "loaded" or not info.hooks:
                    continue
                try:
                    module = importlib.import_module(info.hooks)
                    pm.register(module, name=info.name)
                except Exception as error:
                    info.status = "failed"
                    info.reason = f"hooks {info.hooks!r}: {type(error).__name__}: {error}"
                    warnings.warn(
                        f"plugin {info.name!r} skipped: {info.reason}",
                        TesseraWarning,
                        stacklevel=2,
                    )
            pm.hook.tessera_register_kinds(registry=self)
            pm.hook.tessera_register_components(registry=self)

    def __iter__(self) -> Iterator[ComponentInfo]:
        return iter(self.components())

    def __repr__(self) -> str:
        n = sum(len(v) for v in self._components.values())
        return f"Registry({len(self._plugins)} plugins, {len(self._kinds)} kinds, {n} components)"


def _dist_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return dist.metadata["Name"] if dist is not None else "?"


def _quoted(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _first_line(target: Any) -> str:
    if isinstance(target, str):
        return ""
    doc = inspect.getdoc(target) or ""
    return doc.splitlines()[0] if doc else ""
