"""The baselines of the paper's N-body experiment: GNN, radial field, constant velocity.

All three take the inputs of :class:`tessera_egnn.EGNN` and return a
:class:`~tessera_egnn.GeometricOutput` whose ``x`` holds the predicted positions, so a task
can swap them by registry name.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tessera_egnn._common import (
    GeometricOutput,
    PointCloudModule,
    edge_mask,
    reset_linear,
    small_linear,
)
from tessera_egnn._common import activation as make_activation
from tessera_egnn._group import EuclideanGroup

__all__ = ["GNN", "ConstantVelocity", "GNNLayer", "RadialField", "RadialFieldLayer"]

_EPS = 1e-8


class GNNLayer(nn.Module):
    r"""A message-passing layer (Gilmer et al., 2017), the paper's equation (2):
    ``m_ij = φe(h_i, h_j, a_ij)``, ``h_i ← h_i + φh(h_i, Σ_j m_ij)``.

    Arguments:
        features: width of ``h`` and of the messages.
        edge_features: width of ``a_ij``.
        activation: non-linearity of the MLPs.
    """

    def __init__(self, features: int, edge_features: int = 0, activation: str = "silu") -> None:
        super().__init__()
        self.features, self.edge_features = features, edge_features
        self.edge_mlp = nn.Sequential(
            nn.Linear(2 * features + edge_features, features),
            make_activation(activation),
            nn.Linear(features, features),
            make_activation(activation),
        )
        self.node_mlp = nn.Sequential(
            nn.Linear(2 * features, features),
            make_activation(activation),
            nn.Linear(features, features),
        )

    def forward(self, h: Tensor, edges: Tensor, edge_attr: Tensor | None = None) -> Tensor:
        """Update ``h``, (B, N, F), along the edge mask ``edges``, (B, N, N), bool."""
        first, f = self.edge_mlp[0], self.features
        pre = (h @ first.weight[:, :f].T)[:, :, None] + (h @ first.weight[:, f : 2 * f].T)[:, None]
        if edge_attr is not None:
            pre = pre + edge_attr @ first.weight[:, 2 * f :].T
        m = self.edge_mlp[1:](pre + first.bias) * edges.to(h.dtype)[..., None]
        return h + self.node_mlp(torch.cat([h, m.sum(2)], dim=-1))


class GNN(PointCloudModule):
    """The message-passing baseline: positions and velocities are plain node features.

    ``h_0 = Linear([h, x, v])``, ``num_layers`` :class:`GNNLayer` updates, and a decoder
    ``Linear → act → Linear`` that predicts positions in ``dim`` dimensions. It is only
    permutation equivariant: its :attr:`group` is S(num_nodes).

    Arguments:
        in_features: width of ``h`` (may be 0 when positions or velocities are read).
        hidden_features: width of the hidden features and messages.
        edge_features: width of ``a_ij``.
        num_layers: message-passing layers.
        use_positions, use_velocity: append ``x``, ``v`` to the node input.
        activation: non-linearity.
        dim: dimension of the positions read and predicted.
        num_nodes: the declared group S(num_nodes) and example input size.

    References:
        | Neural Message Passing for Quantum Chemistry (Gilmer et al., 2017)
        | https://arxiv.org/abs/1704.01212

    Example:
        >>> gnn = GNN(in_features=1, use_velocity=True)
        >>> x, v = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
        >>> tuple(gnn(v.norm(dim=-1, keepdim=True), x, v=v).x.shape)
        (2, 5, 3)
    """

    def __init__(
        self,
        in_features: int = 1,
        hidden_features: int = 64,
        edge_features: int = 0,
        num_layers: int = 4,
        use_positions: bool = True,
        use_velocity: bool = False,
        activation: str = "silu",
        dim: int = 3,
        num_nodes: int = 5,
    ) -> None:
        super().__init__()
        self.in_features, self.edge_features = in_features, edge_features
        self.use_positions, self.uses_velocity = use_positions, use_velocity
        self.dim, self.num_nodes = dim, num_nodes
        width = in_features + dim * (use_positions + use_velocity)
        if width == 0:
            raise ValueError("GNN: no input features; set in_features or use_positions")
        self.embedding = nn.Linear(width, hidden_features)
        self.layers = nn.ModuleList(
            GNNLayer(hidden_features, edge_features, activation) for _ in range(num_layers)
        )
        self.decoder = nn.Sequential(
            nn.Linear(hidden_features, hidden_features),
            make_activation(activation),
            nn.Linear(hidden_features, dim),
        )

    @property
    def group(self) -> EuclideanGroup:
        """S(num_nodes): permutations only."""
        return EuclideanGroup(
            self.dim, self.num_nodes, rotations=False, reflections=False, translations=False
        )

    def reset_parameters(self) -> None:
        """Re-draw every weight as at construction."""
        reset_linear(self)

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None = None,
        edge_attr: Tensor | None = None,
        adjacency: Tensor | None = None,
        v: Tensor | None = None,
    ) -> GeometricOutput:
        """Predict positions; arguments as :meth:`tessera_egnn.EGNN.forward`.

        Returns:
            ``(h, x, None)``: hidden features (B, N, hidden) and predicted positions
            (B, N, dim); padded nodes keep their input ``x``.
        """
        mask, edge_attr, adjacency = self._check_inputs(h, x, mask, edge_attr, adjacency, v)
        if x.shape[-1] != self.dim:
            raise ValueError(
                f"GNN: built for dim={self.dim}, got positions of dimension {x.shape[-1]}"
            )
        edges = edge_mask(mask, adjacency)
        node_weight = mask.to(x.dtype)[..., None]

        parts = [h] + [x] * self.use_positions + ([v] if self.uses_velocity else [])
        hidden = self.embedding(torch.cat(parts, dim=-1)) * node_weight
        for layer in self.layers:
            hidden = layer(hidden, edges, edge_attr) * node_weight
        prediction = torch.where(mask[..., None], self.decoder(hidden), x)
        return GeometricOutput(hidden, prediction, None)


class RadialFieldLayer(nn.Module):
    r"""One radial-field update (Köhler et al., 2019), with the paper's velocity term:
    ``x_i ← x_i + C Σ_j (x_i − x_j) φrf(‖x_i − x_j‖, a_ij) [+ φv(h_i) v_i]``.

    ``φrf`` ends in a tanh, as in the reference implementation, which keeps it stable.

    Arguments:
        in_features: width of the node features read by ``φv``.
        hidden_features: width of the MLPs.
        edge_features: width of ``a_ij``.
        velocity: add the velocity term.
        activation: non-linearity.
    """

    def __init__(
        self,
        in_features: int = 1,
        hidden_features: int = 64,
        edge_features: int = 0,
        velocity: bool = False,
        activation: str = "silu",
    ) -> None:
        super().__init__()
        self.phi = nn.Sequential(
            nn.Linear(1 + edge_features, hidden_features),
            make_activation(activation),
            small_linear(hidden_features),
            nn.Tanh(),
        )
        self.velocity_mlp = (
            nn.Sequential(
                nn.Linear(in_features, hidden_features),
                make_activation(activation),
                nn.Linear(hidden_features, 1),
            )
            if velocity
            else None
        )

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor,
        edges: Tensor,
        edge_attr: Tensor | None,
        v: Tensor | None,
    ) -> Tensor:
        """New positions (B, N, d) from checked inputs and the edge mask ``edges``."""
        edge_weight = edges.to(x.dtype)[..., None]
        diff = x[:, :, None] - x[:, None, :]
        distance = torch.sqrt(diff.square().sum(-1, keepdim=True) + _EPS**2)
        inputs = distance if edge_attr is None else torch.cat([distance, edge_attr], dim=-1)
        update = (diff * self.phi(inputs) * edge_weight).sum(2)
        x = x + update / edge_weight.sum(2).clamp(min=1)
        if self.velocity_mlp is not None:
            x = x + self.velocity_mlp(h) * v * mask.to(x.dtype)[..., None]
        return x


class RadialField(PointCloudModule):
    """The radial-field model: stacked :class:`RadialFieldLayer`, E(n) × S(N) equivariant.

    Only positions are updated; ``h`` (for N-body, ``‖v‖``) feeds the velocity weight and
    is returned unchanged.

    References:
        | Equivariant Flows: Exact Likelihood Generative Learning for Symmetric Densities
          (Köhler et al., 2020)
        | https://arxiv.org/abs/2006.02425

    Example:
        >>> rf = RadialField(edge_features=2, velocity=True)
        >>> x, v = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
        >>> out = rf(v.norm(dim=-1, keepdim=True), x, edge_attr=torch.randn(2, 5, 5, 2), v=v)
        >>> tuple(out.x.shape)
        (2, 5, 3)
    """

    def __init__(
        self,
        in_features: int = 1,
        hidden_features: int = 64,
        edge_features: int = 0,
        num_layers: int = 4,
        velocity: bool = False,
        activation: str = "silu",
        dim: int = 3,
        num_nodes: int = 5,
    ) -> None:
        super().__init__()
        self.in_features, self.edge_features = in_features, edge_features
        self.uses_velocity, self.dim, self.num_nodes = velocity, dim, num_nodes
        self.layers = nn.ModuleList(
            RadialFieldLayer(in_features, hidden_features, edge_features, velocity, activation)
            for _ in range(num_layers)
        )

    def reset_parameters(self) -> None:
        """Re-draw every weight as at construction."""
        reset_linear(self)
        for layer in self.layers:
            nn.init.xavier_uniform_(layer.phi[2].weight, gain=0.001)

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None = None,
        edge_attr: Tensor | None = None,
        adjacency: Tensor | None = None,
        v: Tensor | None = None,
    ) -> GeometricOutput:
        """Move the points; arguments as :meth:`tessera_egnn.EGNN.forward`.

        Returns:
            ``(h, x, None)`` with ``h`` the input features.
        """
        mask, edge_attr, adjacency = self._check_inputs(h, x, mask, edge_attr, adjacency, v)
        edges = edge_mask(mask, adjacency)
        for layer in self.layers:
            x = layer(h, x, mask, edges, edge_attr, v)
        return GeometricOutput(h, x, None)


class ConstantVelocity(PointCloudModule):
    """The linear baseline: constant-velocity motion ``x + t v`` with a learnt time ``t``.

    Example:
        >>> model = ConstantVelocity(initial_time=2.0)
        >>> x, v = torch.zeros(1, 5, 3), torch.ones(1, 5, 3)
        >>> model(torch.ones(1, 5, 1), x, v=v).x[0, 0].tolist()
        [2.0, 2.0, 2.0]
    """

    in_features = 1
    edge_features = 0
    uses_velocity = True

    def __init__(self, initial_time: float = 1.0, dim: int = 3, num_nodes: int = 5) -> None:
        super().__init__()
        self.initial_time, self.dim, self.num_nodes = initial_time, dim, num_nodes
        self.time = nn.Parameter(torch.tensor(float(initial_time)))

    def reset_parameters(self) -> None:
        """Set ``t`` back to its initial value."""
        with torch.no_grad():
            self.time.fill_(self.initial_time)

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None = None,
        edge_attr: Tensor | None = None,
        adjacency: Tensor | None = None,
        v: Tensor | None = None,
    ) -> GeometricOutput:
        """``x + t v``; ``h``, the edges and the mask other than for padding are ignored.

        Returns:
            ``(h, x + t v, None)``; padded nodes keep their ``x``.
        """
        if v is None or v.shape != x.shape:
            got = None if v is None else tuple(v.shape)
            raise ValueError(
                f"ConstantVelocity needs velocities v of the shape of x, "
                f"{tuple(x.shape)}, got {got}"
            )
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        moved = x + self.time.to(x.dtype) * v
        return GeometricOutput(h, torch.where(mask.bool()[..., None], moved, x), None)
