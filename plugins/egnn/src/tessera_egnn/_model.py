"""The EGNN model: input embedding, stacked equivariant layers, node and graph read-outs."""

from __future__ import annotations

from torch import Tensor, nn

from tessera_egnn._common import GeometricOutput, PointCloudModule, edge_mask, reset_linear
from tessera_egnn._common import activation as make_activation
from tessera_egnn._layer import EGNNLayer

__all__ = ["EGNN"]


class EGNN(PointCloudModule):
    """An E(n) equivariant graph neural network: ``h ← embed(h)``, then ``num_layers``
    :class:`EGNNLayer` updates of ``(h, x)``, then read-outs.

    - node output: ``Linear(hidden, out_features)(h)``, or the hidden ``h`` itself;
    - positions: ``x`` after the last layer;
    - graph output (``graph_features > 0``): ``MLP(pool_i MLP(h_i))`` with sum or mean
      pooling over existing nodes, as the paper's QM9 model.

    The velocity variant passes the same initial velocity ``v`` to every layer (equation 7);
    the coordinate-free mode (``update_coords=False``) is the invariant network used for
    QM9. Inputs and the batch layout are those of :class:`EGNNLayer`.

    References:
        | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021)
        | https://arxiv.org/abs/2102.09844

    Example:
        >>> import torch
        >>> model = EGNN(in_features=1, hidden_features=16, graph_features=1)
        >>> out = model(torch.ones(2, 5, 1), torch.randn(2, 5, 3))
        >>> tuple(out.h.shape), tuple(out.x.shape), tuple(out.graph.shape)
        ((2, 5, 16), (2, 5, 3), (2, 1))
    """

    def __init__(
        self,
        in_features: int = 1,
        hidden_features: int = 64,
        out_features: int | None = None,
        graph_features: int = 0,
        pooling: str = "sum",
        num_layers: int = 4,
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
        if pooling not in ("sum", "mean"):
            raise ValueError(f"EGNN: pooling must be 'sum' or 'mean', got {pooling!r}")
        self.in_features, self.hidden_features = in_features, hidden_features
        self.edge_features, self.uses_velocity = edge_features, velocity
        self.pooling, self.dim, self.num_nodes = pooling, dim, num_nodes

        self.embedding = nn.Linear(in_features, hidden_features)
        self.layers = nn.ModuleList(
            EGNNLayer(
                hidden_features,
                hidden_features,
                hidden_features,
                edge_features=edge_features,
                coord_aggregation=coord_aggregation,
                residual=residual,
                attention=attention,
                normalize=normalize,
                tanh=tanh,
                coords_range=coords_range,
                velocity=velocity,
                update_coords=update_coords,
                activation=activation,
                dim=dim,
                num_nodes=num_nodes,
            )
            for _ in range(num_layers)
        )
        self.node_decoder = (
            nn.Linear(hidden_features, out_features) if out_features is not None else None
        )
        self.graph_node_mlp = self.graph_decoder = None
        if graph_features:
            self.graph_node_mlp = nn.Sequential(
                nn.Linear(hidden_features, hidden_features),
                make_activation(activation),
                nn.Linear(hidden_features, hidden_features),
            )
            self.graph_decoder = nn.Sequential(
                nn.Linear(hidden_features, hidden_features),
                make_activation(activation),
                nn.Linear(hidden_features, graph_features),
            )

    def reset_parameters(self) -> None:
        """Re-draw every weight as at construction."""
        reset_linear(self)
        for layer in self.layers:
            layer.reset_parameters()

    def forward(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None = None,
        edge_attr: Tensor | None = None,
        adjacency: Tensor | None = None,
        v: Tensor | None = None,
    ) -> GeometricOutput:
        """Run the network.

        Arguments:
            h: node features, (B, N, in_features).
            x: positions, (B, N, d).
            mask: node mask, (B, N), bool; ``None`` for all nodes.
            edge_attr: edge attributes, (B, N, N, edge_features), when edge_features > 0.
            adjacency: edges ``j → i``, (B, N, N), bool; ``None`` for fully connected.
            v: initial velocities, (B, N, d), for the velocity variant.

        Returns:
            :class:`GeometricOutput` ``(h, x, graph)``: (B, N, out_features or hidden),
            (B, N, d) and (B, graph_features) or ``None``.
        """
        mask, edge_attr, adjacency = self._check_inputs(h, x, mask, edge_attr, adjacency, v)
        edges = edge_mask(mask, adjacency)
        node_weight = mask.to(x.dtype)[..., None]

        h = self.embedding(h) * node_weight
        for layer in self.layers:
            h, x = layer.propagate(h, x, mask, edges, edge_attr, v)

        graph = None
        if self.graph_decoder is not None:
            pooled = (self.graph_node_mlp(h) * node_weight).sum(1)
            if self.pooling == "mean":
                pooled = pooled / node_weight.sum(1).clamp(min=1)
            graph = self.graph_decoder(pooled)
        if self.node_decoder is not None:
            h = self.node_decoder(h) * node_weight
        return GeometricOutput(h, x, graph)
