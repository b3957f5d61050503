"""The conformance kit over every component of the plugin.

Baselines whose package is an optional extra raise MissingDependencyError when it is
missing, and the kit skips their checks.
"""

from __future__ import annotations

from tessera.testing import parametrize_with_checks


@parametrize_with_checks("dpdp")
def test_conformance(case, check):
    """Every declared component passes its kind's checks and the common ones."""
    check(case)
