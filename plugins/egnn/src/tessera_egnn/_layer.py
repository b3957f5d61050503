"""The E(n) equivariant graph convolutional layer (EGCL)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tessera_egnn._common import (
    PointCloudModule,
    edge_mask,
    reset_linear,
    small_linear,
)
from tessera_egnn._common import activation as make_activation

__all__ = ["EGNNLayer"]

_EPS = 1e-8


class EGNNLayer(PointCloudModule):
    r"""One E(n) equivariant graph convolution, equations (3)–(6) of the paper:

    .. math::

        m_{ij} &= \phi_e(h_i, h_j, \|x_i - x_j\|^2, a_{ij}) \\
        x_i &\leftarrow x_i + C \sum_{j \ne i} (x_i - x_j)\, \phi_x(m_{ij})
            \;[+\, \phi_v(h_i)\, v_i] \\
        h_i &\leftarrow h_i + \phi_h\big(h_i, \textstyle\sum_{j \ne i} m_{ij}\big)

    ``C`` is ``1/(number of neighbours)`` for mean aggregation and 1 for sum. Options: an
    attention gate ``m_ij ← m_ij σ(φ_inf(m_ij))``; unit coordinate differences
    ``(x_i − x_j)/(‖x_i − x_j‖ + ε)``; a bound ``coords_range · tanh`` on ``φ_x``; the
    velocity term of equation (7) with the initial velocity ``v``; and a coordinate-free
    mode in which ``x`` passes through and ``h`` is E(n) invariant.

    The batch layout (dense, zero-padded, node mask, optional adjacency) is described in
    :mod:`tessera_egnn._common`. ``forward`` returns ``(h, x)``; padded nodes get ``h = 0``
    and keep their ``x``.

    Arguments:
        in_features: width of ``h``.
        hidden_features: width of ``m_ij`` and of the MLPs' hidden layers.
        out_features: width of the new ``h`` (``None``: ``in_features``).
        edge_features: width of ``a_ij``.
        coord_aggregation: ``"mean"`` or ``"sum"``.
        residual, attention, normalize, tanh, coords_range, velocity, update_coords,
        activation: see :class:`tessera_egnn.configs.EGNNLayerConfig`.
        dim, num_nodes: the declared group E(dim) × S(num_nodes) and example input sizes.

    References:
        | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021)
        | https://arxiv.org/abs/2102.09844

    Example:
        >>> layer = EGNNLayer(in_features=4, hidden_features=8)
        >>> h, x = torch.randn(2, 5, 4), torch.randn(2, 5, 3)
        >>> h_new, x_new = layer(h, x)
        >>> tuple(h_new.shape), tuple(x_new.shape)
        ((2, 5, 4), (2, 5, 3))
    """

    def __init__(
        self,
        in_features: int = 16,
        hidden_features: int = 64,
        out_features: int | None = None,
        edge_features: int = 0,
        coord_aggregation: str = "mean",
        residual: bool = True,
        attention: bool = False,
        normalize: bool = False,
        tanh: bool = False,
        coords_range: float = 1.0,
        velocity: bool = False,
        update_coords: bool = True,
        activation: str = "silu",
        dim: int = 3,
        num_nodes: int = 5,
    ) -> None:
        super().__init__()
        out_features = in_features if out_features is None else out_features
        if residual and out_features != in_features:
            raise ValueError(
                f"EGNNLayer: residual=True needs out_features == in_features "
                f"({in_features}), got {out_features}"
            )
        if coord_aggregation not in ("mean", "sum"):
            raise ValueError(
                f"EGNNLayer: coord_aggregation must be 'mean' or 'sum', got {coord_aggregation!r}"
            )
        if velocity and not update_coords:
            raise ValueError("EGNNLayer: velocity=True needs update_coords=True")
        self.in_features, self.hidden_features = in_features, hidden_features
        self.out_features, self.edge_features = out_features, edge_features
        self.coord_aggregation, self.residual, self.attention = (
            coord_aggregation,
            residual,
            attention,
        )
        self.normalize, self.tanh, self.coords_range = normalize, tanh, coords_range
        self.uses_velocity, self.update_coords = velocity, update_coords
        self.dim, self.num_nodes = dim, num_nodes

        act = make_activation
        self.edge_mlp = nn.Sequential(
            nn.Linear(2 * in_features + 1 + edge_features, hidden_features),
            act(activation),
            nn.Linear(hidden_features, hidden_features),
            act(activation),
        )
        self.node_mlp = nn.Sequential(
            nn.Linear(in_features + hidden_features, hidden_features),
            act(activation),
            nn.Linear(hidden_features, out_features),
        )
        self.attention_mlp = (
            nn.Sequential(nn.Linear(hidden_features, 1), nn.Sigmoid()) if attention else None
        )
        self.coord_mlp = (
            nn.Sequential(
                nn.Linear(hidden_features, hidden_features),
                act(activation),
                small_linear(hidden_features),
            )
            if update_coords
            else None
        )
        self.velocity_mlp = (
            nn.Sequential(
                nn.Linear(in_features, hidden_features),
                act(activation),
                nn.Linear(hidden_features, 1),
            )
            if velocity
            else None
        )

    def reset_parameters(self) -> None:
        """Re-draw every weight as at construction."""
        reset_linear(self)
        if self.coord_mlp is not None:
            nn.init.xavier_uniform_(self.coord_mlp[-1].weight, gain=0.001)

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None = None,
        edge_attr: Tensor | None = None,
        adjacency: Tensor | None = None,
        v: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Update ``h`` and ``x``.

        Arguments:
            h: node features, (B, N, in_features).
            x: positions, (B, N, d).
            mask: node mask, (B, N), bool; ``None`` for all nodes.
            edge_attr: edge attributes, (B, N, N, edge_features), when edge_features > 0.
            adjacency: edges ``j → i``, (B, N, N), bool; ``None`` for fully connected.
            v: initial velocities, (B, N, d), for the velocity variant.

        Returns:
            ``(h, x)``: (B, N, out_features) and (B, N, d).
        """
        mask, edge_attr, adjacency = self._check_inputs(h, x, mask, edge_attr, adjacency, v)
        return self.propagate(h, x, mask, edge_mask(mask, adjacency), edge_attr, v)

    def propagate(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor,
        edges: Tensor,
        edge_attr: Tensor | None,
        v: Tensor | None,
    ) -> tuple[Tensor, Tensor]:
        """:meth:`forward` on checked inputs, with the edge mask ``edges`` (B, N, N) given."""
        node_weight = mask.to(x.dtype)[..., None]
        edge_weight = edges.to(x.dtype)[..., None]

        # Messages m_ij (receiver i, sender j)
        diff = x[:, :, None, :] - x[:, None, :, :]
        radial = diff.square().sum(-1, keepdim=True)
        m = self._messages(h, radial, edge_attr) * edge_weight

        # Coordinates
        if self.coord_mlp is not None:
            weight = self.coord_mlp(m)
            if self.tanh:
                weight = self.coords_range * torch.tanh(weight)
            if self.normalize:
                diff = diff / (torch.sqrt(radial + _EPS**2) + _EPS)
            update = (diff * weight * edge_weight).sum(2)
            if self.coord_aggregation == "mean":
                update = update / edge_weight.sum(2).clamp(min=1)
            x_new = x + update
            if self.velocity_mlp is not None:
                x_new = x_new + self.velocity_mlp(h) * v * node_weight
        else:
            x_new = x

        # Node features
        out = self.node_mlp(torch.cat([h, m.sum(2)], dim=-1))
        if self.residual:
            out = h + out
        return out * node_weight, x_new

    def _messages(self, h: Tensor, radial: Tensor, edge_attr: Tensor | None) -> Tensor:
        """φe([h_i, h_j, r_ij, a_ij]) with the first linear map split by input block, which
        costs O(N F H) rather than O(N² F H) for the node parts."""
        first = self.edge_mlp[0]
        f = self.in_features
        w_i, w_j = first.weight[:, :f], first.weight[:, f : 2 * f]
        w_r, w_e = first.weight[:, 2 * f], first.weight[:, 2 * f + 1 :]
        pre = (h @ w_i.T)[:, :, None, :] + (h @ w_j.T)[:, None, :, :] + radial * w_r
        if edge_attr is not None:
            pre = pre + edge_attr @ w_e.T
        m = self.edge_mlp[1:](pre + first.bias)
        if self.attention_mlp is not None:
            m = m * self.attention_mlp(m)
        return m

    def extra_repr(self) -> str:
        flags = [k for k in ("attention", "normalize", "tanh") if getattr(self, k)]
        if self.uses_velocity:
            flags.append("velocity")
        if not self.update_coords:
            flags.append("invariant")
        return (
            f"in={self.in_features}, hidden={self.hidden_features}, "
            f"out={self.out_features}, edge={self.edge_features}, "
            f"aggregation={self.coord_aggregation}" + "".join(f", {f}" for f in flags)
        )
