"""Every registered component of the plugin through the conformance kit."""

import pytest
import torch

from tessera.testing import parametrize_with_checks


@parametrize_with_checks("emlp")
def test_conformance(case, check):
    check(case)


@pytest.mark.parametrize(
    "name,params", [("emlp.su", {"n": 2}), ("emlp.su", {"n": 3}), ("emlp.u", {"n": 2})]
)
def test_complex_groups_relations_with_real_coefficients(name, params):
    """exp of real combinations of the algebra basis, samples and relations agree."""
    import tessera

    group = tessera.create("group", name, **params)
    gen = torch.Generator().manual_seed(0)
    lie = group.lie_algebra
    assert float(group.algebra_residual(lie).max()) < 1e-10
    coeffs = torch.randn(len(lie), generator=gen, dtype=torch.float64).to(lie.dtype)
    element = torch.linalg.matrix_exp((coeffs[:, None, None] * lie).sum(0))
    assert float(group.relation_residual(element)) < 1e-10
    assert float(group.relation_residual(group.samples(8, gen)).max()) < 1e-10
