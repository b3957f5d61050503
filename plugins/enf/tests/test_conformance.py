"""The conformance kit over every component of the plugin."""

from __future__ import annotations

from tessera.testing import parametrize_with_checks


@parametrize_with_checks("enf")
def test_conformance(case, check):
    """Every declared component passes its kind's checks and the common ones."""
    check(case)
