"""The conformance kit: one check set per kind, runnable from pytest in one line.

Example::

    from tessera.testing import parametrize_with_checks

    @parametrize_with_checks("my-plugin")
    def test_conformance(case, check):
        check(case)

The pytest plugin shipped with Tessera adds the fixtures ``tessera_registry`` (a registry
that discovers no installed plugin, made the process-wide one for the test),
``tessera_register`` (registers temporary components into it) and ``tessera_context`` (a
:class:`RecordingContext` to run a task in a test without the runner).
"""

from tessera.testing._context import RecordingContext
from tessera.testing._kit import (
    Case,
    CheckResult,
    ConformanceError,
    Report,
    cases,
    checks_for,
    parametrize_with_checks,
    run_checks,
)

__all__ = [
    "Case",
    "CheckResult",
    "ConformanceError",
    "RecordingContext",
    "Report",
    "cases",
    "checks_for",
    "parametrize_with_checks",
    "run_checks",
]
