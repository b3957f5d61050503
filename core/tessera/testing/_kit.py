"""Collecting and running conformance checks over registered components."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tessera.errors import MissingDependencyError
from tessera.registry import ComponentInfo, Registry, get_registry, import_target

__all__ = [
    "Case",
    "CheckResult",
    "ConformanceError",
    "Report",
    "cases",
    "checks_for",
    "parametrize_with_checks",
    "run_checks",
]

Check = Callable[["Case"], None]


class ConformanceError(AssertionError):
    """A component does not do what its kind promises."""


@dataclass
class Case:
    """One component with one of its example configs."""

    info: ComponentInfo
    params: dict[str, Any]
    registry: Registry
    index: int = 0

    @property
    def id(self) -> str:
        suffix = f"[{self.index}]" if len(self.info.examples) > 1 else ""
        return f"{self.info.kind}:{self.info.qualified_name}{suffix}"

    @property
    def spec(self) -> dict[str, Any]:
        return {"kind": self.info.kind, "name": self.info.qualified_name, "params": self.params}

    def build(self) -> Any:
        """Build the component from its example config."""
        from tessera.registry import build

        return build(self.spec, registry=self.registry)

    def __repr__(self) -> str:
        return self.id


def checks_for(info: ComponentInfo, registry: Registry | None = None) -> list[Check]:
    """The checks a component of ``info.kind`` must pass: its kind's, then the common ones."""
    from tessera.testing import checks as common

    registry = registry or get_registry()
    kind = registry.kinds()[info.kind]
    found: list[Check] = [common.check_interface]
    if kind.checks is not None:
        factory = import_target(kind.checks) if isinstance(kind.checks, str) else kind.checks
        found += list(factory())
    found += [common.check_config_round_trip, common.check_pickle, common.check_save_load]
    return found


def cases(
    plugin: str | None = None,
    kinds: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
    registry: Registry | None = None,
) -> list[Case]:
    """Cases for every component (of a plugin, of some kinds, or named), one per example."""
    registry = registry or get_registry()
    if plugin is not None:
        plugin = _plugin_name(registry, plugin)
    kinds = set(kinds) if kinds is not None else None
    names = set(names) if names is not None else None
    found = []
    for info in registry.components():
        if plugin is not None and info.plugin != plugin:
            continue
        if kinds is not None and info.kind not in kinds:
            continue
        if names is not None and info.name not in names and info.qualified_name not in names:
            continue
        for i, params in enumerate(info.examples or [{}]):
            found.append(Case(info, dict(params), registry, i))
    return found


def _plugin_name(registry: Registry, plugin: str) -> str:
    """The plugin's name, given its name or distribution; a clear error when not usable."""
    from tessera.errors import TesseraError

    known = {p.name: p for p in registry.plugins()}
    info = known.get(plugin) or next((p for p in known.values() if p.distribution == plugin), None)
    if info is None:
        if any(c.plugin == plugin for c in registry.components()):
            return plugin  # components registered by hand under this name
        raise TesseraError(
            f"no plugin {plugin!r} is installed (installed: {', '.join(sorted(known))})"
        )
    if info.status != "loaded":
        raise TesseraError(f"plugin {plugin!r} is {info.status}: {info.reason}")
    return info.name


def _check_id(check: Check) -> str:
    return getattr(check, "__name__", repr(check)).removeprefix("check_")


def parametrize_with_checks(
    plugin: str | None = None,
    *,
    kinds: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
    registry: Registry | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` over (case, check) for every component and check.

    Example::

        from tessera.testing import parametrize_with_checks

        @parametrize_with_checks("my-plugin")
        def test_conformance(case, check):
            check(case)
    """
    import pytest

    def skipping(check: Check) -> Check:
        @functools.wraps(check)
        def run(case: Case) -> None:
            try:
                check(case)
            except MissingDependencyError as error:
                pytest.skip(str(error))

        return run

    params = []
    for case in cases(plugin, kinds, names, registry):
        for check in checks_for(case.info, case.registry):
            params.append(pytest.param(case, skipping(check), id=f"{case.id}-{_check_id(check)}"))
    return pytest.mark.parametrize(("case", "check"), params)


@dataclass
class CheckResult:
    id: str
    passed: bool
    message: str = ""
    skipped: bool = False


@dataclass
class Report:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.passed and not r.skipped for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.skipped for r in self.results)


def run_checks(
    plugin: str | None = None,
    *,
    select: str | None = None,
    registry: Registry | None = None,
) -> Report:
    """Run every check on every component of ``plugin`` and collect the results."""
    report = Report()
    for case in cases(plugin, registry=registry):
        for check in checks_for(case.info, case.registry):
            check_id = f"{case.id}-{_check_id(check)}"
            if select and select not in check_id:
                continue
            try:
                check(case)
            except MissingDependencyError as error:
                report.results.append(CheckResult(check_id, True, str(error), skipped=True))
            except Exception as error:  # a check that crashes is a failure, reported
                message = f"{type(error).__name__}: {error}"
                if not isinstance(error, AssertionError):
                    message += "\n" + "".join(traceback.format_tb(error.__traceback__)[-3:])
                report.results.append(CheckResult(check_id, False, message))
            else:
                report.results.append(CheckResult(check_id, True))
    return report
