"""The EMLP model (equivariant_layer ``emlp``) and the MLP baseline used by the tasks."""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

from tessera.kinds import EquivariantLayer, Group
from tessera_emlp._layers import EMLPBlock, EquivariantLinear, parse_rep, uniform_rep
from tessera_emlp._reps import Rep
from tessera_emlp._solver import SolverOptions

__all__ = ["EMLP", "MLP"]


class EMLP(EquivariantLayer):
    """An equivariant MLP: ``num_layers`` EMLP blocks on uniform hidden representations of
    about ``channels`` dimensions, then an equivariant linear map to ``rep_out``.

    ``f(ρ_in(g) x) = ρ_out(g) f(x)`` for every ``g`` in ``group``; inputs are
    ``(batch, rep_in.size)``.

    Arguments:
        group: the symmetry group (real).
        rep_in, rep_out: representations, as strings (``"2*V + Scalar"``) or built.
        channels: the size of each hidden representation (uniform heuristic).
        num_layers: the number of EMLP blocks.
        bilinear: whether the blocks include the bilinear layer.
        seed: seeds the hidden representations and the initial parameters.

    References:
        | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
          Arbitrary Matrix Groups (Finzi et al., 2021)
        | https://arxiv.org/abs/2104.09459

    Example:
        >>> from tessera.groups import O
        >>> model = EMLP(O(3), "2*V", "Scalar", channels=32, num_layers=1)
        >>> model(torch.randn(5, 6)).shape
        torch.Size([5, 1])
    """

    def __init__(
        self,
        group: Group,
        rep_in: str | Rep = "V",
        rep_out: str | Rep = "Scalar",
        channels: int = 384,
        num_layers: int = 3,
        bilinear: bool = True,
        seed: int = 0,
        solver: SolverOptions | None = None,
    ) -> None:
        super().__init__()
        if group.dtype.is_complex:
            raise NotImplementedError(
                f"EMLP: {group!r} is a complex group; EMLP acts on real features, so use a "
                "real group"
            )
        self._group = group
        self.rep_in = parse_rep(rep_in, group)
        self.rep_out = parse_rep(rep_out, group)
        generator = torch.Generator().manual_seed(seed)
        hidden = [uniform_rep(channels, group, generator) for _ in range(num_layers)]
        reps = [self.rep_in, *hidden]
        self.blocks = nn.ModuleList(
            EMLPBlock(a, b, bilinear, generator, solver) for a, b in itertools.pairwise(reps)
        )
        self.head = EquivariantLinear(reps[-1], self.rep_out, generator=generator, options=solver)

    @property
    def group(self) -> Group:
        return self._group

    def forward(self, x: Tensor) -> Tensor:
        """``x: (batch, rep_in.size)`` → ``(batch, rep_out.size)``."""
        for block in self.blocks:
            x = block(x)
        return self.head(x)

    def act_on_inputs(self, g: Tensor, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        (x,) = inputs
        return (x @ self.rep_in.rho(g).to(x.dtype).T,)

    def act_on_outputs(self, g: Tensor, outputs: Any) -> Any:
        return outputs @ self.rep_out.rho(g).to(outputs.dtype).T

    def example_inputs(
        self,
        batch_size: int = 2,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Any, ...]:
        return (torch.randn(batch_size, self.rep_in.size, generator=generator, dtype=dtype),)


class MLP(nn.Module):
    """A plain MLP with SiLU activations, the paper's baseline.

    Example:
        >>> MLP(6, 1, hidden=16, num_layers=2)(torch.randn(3, 6)).shape
        torch.Size([3, 1])
    """

    def __init__(
        self, in_features: int, out_features: int, hidden: int = 384, num_layers: int = 3
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
