"""The conformance kit on every component of the plugin."""

from tessera.testing import parametrize_with_checks


@parametrize_with_checks("bofm")
def test_conformance(case, check):
    check(case)
