"""Tests of the FM kernel and the diffusion baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm
from tessera_bofm.kernels import (
    DiffusionAdditiveKernel,
    DiffusionProductKernel,
    FrequencyModulatedKernel,
    graph_fourier,
)

import tessera
from tessera.spaces import Box, Categorical, Integer, Permutation, Product

MIXED = Product.of(x=Box(-1.0, 1.0, dims=2), c=Categorical(["a", "b", "c"]), k=Integer(2, 6))


def _laplacian(kind: str, size: int) -> np.ndarray:
    adjacency = np.ones((size, size)) - np.eye(size)
    if kind == "ordinal":
        adjacency = np.eye(size, k=1) + np.eye(size, k=-1)
    return np.diag(adjacency.sum(0)) - adjacency


def _set(kernel: FrequencyModulatedKernel, alpha, beta, lengthscale) -> None:
    with torch.no_grad():
        kernel.log_alpha.copy_(torch.tensor(alpha, dtype=torch.float64).log())
        kernel.log_beta.copy_(torch.tensor(beta, dtype=torch.float64).log())
        kernel.log_lengthscale.copy_(torch.tensor(lengthscale, dtype=torch.float64).log())


@pytest.mark.parametrize(("kind", "size"), [("ordinal", 5), ("nominal", 4), ("ordinal", 1)])
def test_graph_fourier_diagonalises_the_laplacian(kind, size):
    freq, basis = graph_fourier(kind, size)
    laplacian = _laplacian(kind, size)
    np.testing.assert_allclose(
        basis.numpy() @ np.diag(freq) @ basis.numpy().T, laplacian, atol=1e-12
    )
    if kind == "ordinal":  # path graph: λ_k = 2 − 2 cos(π k / n)
        expected = 2 - 2 * np.cos(np.pi * np.arange(size) / size)
        np.testing.assert_allclose(freq.numpy(), expected, atol=1e-12)
    else:  # complete graph: 0 once, n otherwise
        np.testing.assert_allclose(freq.numpy(), [0.0] + [size] * (size - 1), atol=1e-12)


@pytest.mark.parametrize("variant", ["moddif", "modlap"])
def test_fm_kernel_is_a_modulated_matrix_function_of_each_laplacian(variant):
    """k_j(c, c', t) is the (c, c') entry of exp(−β(1 + αt) L) or ((1 + αt) I + β L)⁻¹."""
    kernel = FrequencyModulatedKernel(variant, MIXED)
    alpha, beta, ell = [0.7, 1.3], [0.4, 0.9], [0.5, 2.0]
    _set(kernel, alpha, beta, ell)
    x = MIXED.sample(6, torch.Generator().manual_seed(0))
    gram = kernel(x, x).detach().numpy()

    xn = x.numpy()
    u = (xn[:, :2] + 1) / 2 / np.array(ell)
    t = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1)
    expected = np.ones((6, 6))
    for j, (column, kind, size, offset) in enumerate([(2, "nominal", 3, 0), (3, "ordinal", 5, 2)]):
        lap = _laplacian(kind, size)
        v = (xn[:, column] - offset).astype(int)
        if variant == "moddif":
            norm = np.mean(np.exp(-beta[j] * np.linalg.eigvalsh(lap)))
            block = [
                [expm(-beta[j] * (1 + alpha[j] * t[a, b]) * lap)[v[a], v[b]] for b in range(6)]
                for a in range(6)
            ]
        else:
            norm = np.mean(1 / (1 + beta[j] * np.linalg.eigvalsh(lap)))
            block = [
                [
                    np.linalg.inv((1 + alpha[j] * t[a, b]) * np.eye(size) + beta[j] * lap)[
                        v[a], v[b]
                    ]
                    for b in range(6)
                ]
                for a in range(6)
            ]
        expected *= np.array(block) / norm
    np.testing.assert_allclose(gram, expected, rtol=1e-10)
    np.testing.assert_allclose(kernel.diag(x).detach().numpy(), np.diag(expected), rtol=1e-10)


def _spaces() -> st.SearchStrategy[Product]:
    discrete = st.one_of(
        st.integers(2, 6).map(lambda n: Integer(0, n - 1)),
        st.integers(1, 6).map(lambda n: Categorical(list(range(n)))),
    )
    return st.tuples(st.integers(0, 3), st.lists(discrete, min_size=1, max_size=3)).map(
        lambda p: Product(([Box(-1.0, 2.0, dims=p[0])] if p[0] else []) + p[1])
    )


positive = st.floats(1e-3, 50.0)


@settings(max_examples=60, deadline=None)
@given(
    space=_spaces(),
    variant=st.sampled_from(["moddif", "modlap"]),
    alpha=positive,
    beta=positive,
    ell=st.floats(1e-2, 20.0),
    n=st.integers(1, 14),
    seed=st.integers(0, 2**16),
)
def test_fm_gram_matrices_are_positive_semidefinite(space, variant, alpha, beta, ell, n, seed):
    """For any mixed space, hyperparameters and points (repeats included), PSD Gram."""
    kernel = FrequencyModulatedKernel(variant, space)
    parts, dims = len(space.discrete_parts), len(space.continuous_dims)
    _set(kernel, [alpha] * parts, [beta * (1 + j) for j in range(parts)], [ell] * dims)
    gen = torch.Generator().manual_seed(seed)
    x = space.sample(n, gen)
    x = torch.cat([x, x[: n // 3]])  # repeated points
    with torch.no_grad():
        gram = kernel(x, x)
    assert torch.allclose(gram, gram.T, atol=1e-12)
    eig = torch.linalg.eigvalsh(gram)
    assert eig.min() >= -1e-9 * max(eig.abs().max().item(), 1.0)
    assert torch.allclose(kernel.diag(x), gram.diagonal(), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["additive", "product"]),
    beta=positive,
    ell=st.floats(1e-2, 20.0),
    n=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_baseline_gram_matrices_are_positive_semidefinite(kind, beta, ell, n, seed):
    kernel = (DiffusionAdditiveKernel if kind == "additive" else DiffusionProductKernel)(MIXED)
    with torch.no_grad():
        kernel.log_beta.fill_(math.log(beta))
        kernel.log_lengthscale.fill_(math.log(ell))
        x = MIXED.sample(n, torch.Generator().manual_seed(seed))
        gram = kernel(x, x)
    assert torch.linalg.eigvalsh(gram).min() >= -1e-9 * max(gram.abs().max().item(), 1.0)
    assert torch.allclose(kernel.diag(x), gram.diagonal(), rtol=1e-10)


@pytest.mark.parametrize("variant", ["moddif", "modlap"])
def test_continuous_distance_modulates_the_discrete_similarity(variant):
    """Same category: correlation decays with distance. Other category: ModLap's decays
    too, ModDif's rises towards its floor 1/m as high frequencies are damped."""
    space = Box(0.0, 1.0) * Categorical(["a", "b", "c"])
    kernel = FrequencyModulatedKernel(variant, space)
    _set(kernel, [2.0], [0.5], [0.3])
    a, a_near, a_far = space.encode([(0.5, "a"), (0.55, "a"), (0.95, "a")])[:, None, :]
    b_near, b_far = space.encode([(0.55, "b"), (0.95, "b")])[:, None, :]
    with torch.no_grad():
        assert kernel(a, a) > kernel(a, a_near) > kernel(a, a_far) > 0
        if variant == "modlap":
            assert kernel(a, b_near) > kernel(a, b_far) > 0
        else:
            floor = (1 / 3) / kernel._modulation(0, kernel.freq_0, torch.zeros(())).mean()
            assert 0 < kernel(a, b_near) < kernel(a, b_far) < floor


@pytest.mark.parametrize("variant", ["moddif", "modlap"])
def test_only_modlap_keeps_an_effect_of_x_shared_by_every_category(variant):
    """Averaged over the categories, ModDif's k is constant in x (f(0, t) = 1)."""
    space = Box(0.0, 1.0) * Categorical(["a", "b", "c"])
    kernel = FrequencyModulatedKernel(variant, space)
    _set(kernel, [1.5], [0.3], [0.2])
    x = torch.linspace(0, 1, 7, dtype=torch.float64)
    grid = torch.stack([x.repeat_interleave(3), torch.arange(3.0).repeat(7)], -1)
    with torch.no_grad():
        mean = kernel(grid, grid[:1]).reshape(7, 3).mean(-1)  # over the category
    spread = float(mean.max() - mean.min())
    assert spread < 1e-12 if variant == "moddif" else spread > 0.1


def test_baselines_combine_rbf_and_diffusion():
    x = MIXED.sample(5, torch.Generator().manual_seed(1))
    product, additive = DiffusionProductKernel(MIXED), DiffusionAdditiveKernel(MIXED)
    with torch.no_grad():
        rbf = torch.exp(-0.5 * product._distance2(x, x))
        diffusion = product._diffusion(x, x)
        torch.testing.assert_close(product(x, x), rbf * diffusion)
        torch.testing.assert_close(additive(x, x), 0.5 * rbf + 0.5 * diffusion)


def test_kernels_refuse_spaces_they_cannot_model():
    with pytest.raises(ValueError, match="no discrete variables"):
        FrequencyModulatedKernel("modlap", Box(0.0, 1.0, dims=2))
    with pytest.raises(NotImplementedError, match="permutation variables are not supported"):
        FrequencyModulatedKernel("modlap", Box(0.0, 1.0) * Permutation(4))
    with pytest.raises(ValueError, match="no continuous variables"):
        DiffusionProductKernel(Integer(0, 3) * Categorical(["a", "b"]))
    with pytest.raises(ValueError, match="variant 'lap' is unknown"):
        FrequencyModulatedKernel("lap")
    # Without continuous variables the FM kernel is the ARD diffusion kernel
    discrete = Integer(0, 3) * Categorical(["a", "b"])
    x = discrete.sample(4, torch.Generator().manual_seed(0))
    fm = FrequencyModulatedKernel("moddif", discrete)
    with torch.no_grad():
        torch.testing.assert_close(fm(x, x), fm._diffusion(x, x))


def test_unbound_kernel_is_bound_by_name_and_space(registry):
    kernel = tessera.create("kernel", "fm", variant="moddif", registry=registry)
    assert not kernel.bound
    with pytest.raises(RuntimeError, match="not bound to a search space"):
        kernel.example_inputs(2)
    kernel.bind(MIXED)
    assert kernel.example_inputs(3).shape == (3, 4)
    assert tessera.spec_of(kernel)["params"] == {"variant": "moddif", "space": None}
