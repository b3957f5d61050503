"""The conformance kit on every component of the plugin."""

from tessera.testing import parametrize_with_checks


@parametrize_with_checks("law2order")
def test_conformance(case, check):
    """Every declared component passes its kind's checks on each example config."""
    check(case)
