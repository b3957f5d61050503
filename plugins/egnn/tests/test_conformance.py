"""The conformance kit over every component of the plugin."""

from __future__ import annotations

import pytest

from tessera.testing import cases, parametrize_with_checks
from tessera.testing.checks import check_equivariance


@parametrize_with_checks("egnn")
def test_conformance(case, check):
    """Every declared component passes its kind's checks and the common ones."""
    check(case)


@pytest.mark.parametrize("case", cases("egnn", kinds=["model"]), ids=lambda c: c.id)
def test_models_are_equivariant(case):
    """The models are equivariant layers too: EGNN, radial field and the linear model to
    E(n) × S(N), the GNN to S(N); the kit's check runs them in float64 and float32."""
    check_equivariance(case)
