"""Baseline dynamics layers of the paper's comparison, on the same code path as E-NF.

Both are registered layers called as ``layer(h, x, mask, edge_attr) -> (h, x)``, so the
``enf`` flow stacks them exactly as it stacks the EGNN layer:

- ``enf.gnn``: a message-passing GNN that reads the positions as node features, so it is
  only permutation equivariant (the paper's "GNN-flow");
- ``enf.simple``: a radial field ``x_i += 1/(N−1) Σ_j (x_i − x_j) φ(rbf(‖x_i − x_j‖))``,
  E(n) × S(N) equivariant but without learnt node features (the paper's "Simple dynamics",
  after Köhler et al., 2020).

References:
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §5.1
    | https://arxiv.org/abs/2105.09016
    | Equivariant Flows (Köhler, Klein and Noé, 2020), https://arxiv.org/abs/2006.02425
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

from tessera.kinds import EquivariantLayer
from tessera_enf._group import ParticleGroup, ParticleTransform, act_on_layer_inputs

__all__ = ["GNNDynamics", "SimpleDynamics"]

_ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "tanh": nn.Tanh}


def _edge_mask(mask: Tensor) -> Tensor:
    n = mask.shape[1]
    eye = torch.eye(n, dtype=torch.bool, device=mask.device)
    return mask[:, :, None] & mask[:, None, :] & ~eye


class _ParticleLayer(EquivariantLayer):
    """Inputs, masks and the group action shared by the baseline layers."""

    in_features: int
    edge_features: int
    dim: int
    num_nodes: int
    euclidean: bool = True

    @property
    def group(self) -> ParticleGroup:
        return ParticleGroup(self.dim, self.num_nodes, self.euclidean)

    def sample_group_element(
        self, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
    ) -> ParticleTransform:
        return self.group.sample(generator, dtype)

    def act_on_inputs(self, g: ParticleTransform, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        return act_on_layer_inputs(g, inputs)

    def act_on_outputs(self, g: ParticleTransform, outputs: Any) -> Any:
        h, x = outputs
        return g.nodes(h), g.points(x)

    def example_inputs(
        self,
        batch_size: int = 2,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Any, ...]:
        """Random ``(h, x, mask, edge_attr)``; odd samples miss their last node."""
        b, n = batch_size, self.num_nodes
        h = torch.randn(b, n, self.in_features, generator=generator, dtype=dtype)
        x = torch.randn(b, n, self.dim, generator=generator, dtype=dtype)
        mask = torch.ones(b, n, dtype=torch.bool)
        mask[1::2, -1] = False
        edge_attr = None
        if self.edge_features:
            edge_attr = (x[:, :, None] - x[:, None]).square().sum(-1, keepdim=True)
        return h, x, mask, edge_attr

    def _check(self, h: Tensor, x: Tensor, mask: Tensor | None) -> Tensor:
        name = type(self).__name__
        if x.ndim != 3 or h.shape != (*x.shape[:2], self.in_features):
            raise ValueError(
                f"{name}: expected h (B, N, {self.in_features}) and x (B, N, D), got "
                f"{tuple(h.shape)} and {tuple(x.shape)}"
            )
        if mask is None:
            return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        return mask.bool()


class GNNDynamics(_ParticleLayer):
    r"""A plain message-passing layer that treats positions as node features:

    .. math::

        m_{ij} = \phi_e([h_i, x_i], [h_j, x_j], a_{ij}), \quad
        h_i \leftarrow h_i + \phi_h(h_i, \textstyle\sum_{j \ne i} m_{ij}), \quad
        x_i \leftarrow x_i + W h_i.

    Permutation equivariant only: rotating or translating ``x`` changes the messages.

    Arguments:
        in_features: width of ``h``.
        hidden_features: width of messages and MLPs.
        edge_features: 1 to read ``a_ij`` (the squared distance), 0 to ignore it.
        attention: gate messages with ``σ(φ_att(m_ij))``.
        activation: non-linearity.
        dim, num_nodes: sizes of the example inputs and of the declared group S(num_nodes).

    Example:
        >>> layer = GNNDynamics(in_features=4, hidden_features=8, dim=2)
        >>> h, x = layer(torch.randn(3, 5, 4), torch.randn(3, 5, 2))
        >>> tuple(h.shape), tuple(x.shape)
        ((3, 5, 4), (3, 5, 2))
    """

    euclidean = False

    def __init__(
        self,
        in_features: int = 32,
        hidden_features: int = 32,
        edge_features: int = 0,
        attention: bool = True,
        activation: str = "silu",
        dim: int = 3,
        num_nodes: int = 5,
    ) -> None:
        super().__init__()
        self.in_features, self.hidden_features = in_features, hidden_features
        self.edge_features, self.dim, self.num_nodes = edge_features, dim, num_nodes
        act = _ACTIVATIONS[activation]
        node_in = in_features + dim
        self.edge_mlp = nn.Sequential(
            nn.Linear(2 * node_in + edge_features, hidden_features),
            act(),
            nn.Linear(hidden_features, hidden_features),
            act(),
        )
        self.attention_mlp = (
            nn.Sequential(nn.Linear(hidden_features, 1), nn.Sigmoid()) if attention else None
        )
        self.node_mlp = nn.Sequential(
            nn.Linear(in_features + hidden_features, hidden_features),
            act(),
            nn.Linear(hidden_features, in_features),
        )
        self.out = nn.Linear(in_features, dim)
        nn.init.xavier_uniform_(self.out.weight, gain=0.001)
        nn.init.zeros_(self.out.bias)

    def forward(
        self, h: Tensor, x: Tensor, mask: Tensor | None = None, edge_attr: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Update ``h`` (B, N, in_features) and ``x`` (B, N, dim); padded nodes keep ``x``
        and get ``h = 0``."""
        mask = self._check(h, x, mask)
        node = mask.to(x.dtype)[..., None]
        edges = _edge_mask(mask).to(x.dtype)[..., None]

        # Messages
        u = torch.cat([h, x], dim=-1)
        n = u.shape[1]
        pair = [u[:, :, None].expand(-1, -1, n, -1), u[:, None].expand(-1, n, -1, -1)]
        if self.edge_features:
            pair.append(edge_attr)
        m = self.edge_mlp(torch.cat(pair, dim=-1))
        if self.attention_mlp is not None:
            m = m * self.attention_mlp(m)
        m = m * edges

        # Nodes, then positions
        h = (h + self.node_mlp(torch.cat([h, m.sum(2)], dim=-1))) * node
        return h, x + self.out(h) * node


class SimpleDynamics(_ParticleLayer):
    r"""A radial vector field on Gaussian radial basis functions of the distances:

    .. math::

        x_i \leftarrow x_i + \frac{1}{N_i - 1} \sum_{j \ne i} (x_i - x_j)\,
            \phi\big(\mathrm{rbf}(\|x_i - x_j\|)\,[, h_i]\big),
        \qquad \mathrm{rbf}_k(d) = e^{-\gamma (d - \mu_k)^2},

    with ``μ`` evenly spaced on ``[0, max_distance]`` and ``φ`` a tanh MLP. ``h`` passes
    through (it is read only when ``time_dependent``).

    Arguments:
        in_features: width of ``h``.
        num_rbf, max_distance, rbf_gamma: the radial basis.
        hidden_features: hidden widths of ``φ``.
        time_dependent: feed ``h_i`` to ``φ``.
        edge_features: accepted for the common interface; the layer reads no edge attributes.
        dim, num_nodes: sizes of the example inputs and of the declared group.

    Example:
        >>> layer = SimpleDynamics(dim=2)
        >>> h, x = layer(torch.zeros(3, 4, 1), torch.randn(3, 4, 2))
        >>> tuple(x.shape)
        (3, 4, 2)
    """

    def __init__(
        self,
        in_features: int = 1,
        num_rbf: int = 50,
        max_distance: float = 8.0,
        rbf_gamma: float = 0.5,
        hidden_features: tuple[int, ...] = (64, 32),
        time_dependent: bool = False,
        edge_features: int = 0,
        dim: int = 3,
        num_nodes: int = 5,
    ) -> None:
        super().__init__()
        self.in_features, self.edge_features = in_features, edge_features
        self.dim, self.num_nodes, self.time_dependent = dim, num_nodes, time_dependent
        self.rbf_gamma = rbf_gamma
        self.register_buffer("centres", torch.linspace(0.0, max_distance, num_rbf))
        widths = [num_rbf + (in_features if time_dependent else 0), *hidden_features, 1]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Linear(a, b), nn.Tanh()]
        self.radial = nn.Sequential(*layers[:-1])

    def forward(
        self, h: Tensor, x: Tensor, mask: Tensor | None = None, edge_attr: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Move ``x`` (B, N, dim) along the radial field; ``h`` is returned masked."""
        mask = self._check(h, x, mask)
        node = mask.to(x.dtype)[..., None]
        edges = _edge_mask(mask).to(x.dtype)[..., None]

        diff = x[:, :, None] - x[:, None]
        dist = (diff.square().sum(-1, keepdim=True) + 1e-12).sqrt()
        features = torch.exp(-self.rbf_gamma * (dist - self.centres.to(x.dtype)).square())
        if self.time_dependent:
            n = x.shape[1]
            features = torch.cat([features, h[:, :, None].expand(-1, -1, n, -1)], dim=-1)
        weight = self.radial(features) * edges
        neighbours = edges.sum(2).clamp(min=1)
        return h * node, x + (diff * weight).sum(2) / neighbours
