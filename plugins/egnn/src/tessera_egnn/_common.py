"""What the plugin's point-cloud modules share: the batch layout, masks, the group action.

Batch layout. A batch of graphs of different sizes is a dense, zero-padded tensor with a
node mask, the layout of the reference QM9 code:

- ``h``: node features, (B, N, F);
- ``x``: positions, (B, N, d), any ``d``;
- ``mask``: which nodes exist, (B, N), bool; ``None`` means all;
- ``edge_attr``: edge attributes ``a_ij``, (B, N, N, E), or ``None`` when ``E = 0``;
- ``adjacency``: which edges exist, (B, N, N), bool; ``None`` means fully connected;
- ``v``: velocities, (B, N, d), for modules that read them.

Messages flow along the edges ``j → i`` with ``adjacency[b, i, j]`` true, between existing
nodes, never from a node to itself. Padded nodes keep their input positions and get zero
features, so running a padded batch equals running each graph alone.

Every module's ``forward(h, x, mask=None, edge_attr=None, adjacency=None, v=None)`` takes the
inputs in this order; :meth:`PointCloudModule.act_on_inputs` relies on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from tessera.kinds import EquivariantLayer
from tessera_egnn._group import EuclideanGroup, EuclideanTransform

__all__ = [
    "GeometricOutput",
    "PointCloudModule",
    "activation",
    "edge_mask",
    "edges_to_adjacency",
    "pad_graphs",
]

_ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2)}
_INPUTS = ("h", "x", "mask", "edge_attr", "adjacency", "v")


class GeometricOutput(NamedTuple):
    """What the plugin's models return.

    Attributes:
        h: node outputs, (B, N, F_out), invariant; ``None`` when a model has none.
        x: positions, (B, N, d), equivariant.
        graph: pooled graph outputs, (B, G), invariant; ``None`` when not configured.
    """

    h: Tensor | None
    x: Tensor
    graph: Tensor | None = None


def activation(name: str) -> nn.Module:
    """The activation module called ``name`` (silu, relu, leaky_relu)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def edge_mask(mask: Tensor, adjacency: Tensor | None = None) -> Tensor:
    """Which messages ``j → i`` flow: both nodes exist, ``i ≠ j``, and the edge is given.

    Arguments:
        mask: node mask, (B, N), bool.
        adjacency: edges, (B, N, N), bool, or ``None`` for all of them.

    Returns:
        The edge mask, (B, N, N), bool.
    """
    n = mask.shape[1]
    edges = mask[:, :, None] & mask[:, None, :]
    edges = edges & ~torch.eye(n, dtype=torch.bool, device=mask.device)
    if adjacency is not None:
        edges = edges & adjacency
    return edges


def edges_to_adjacency(edge_index: Tensor, num_nodes: int) -> Tensor:
    """A dense adjacency from an edge index of one graph.

    Arguments:
        edge_index: (2, M), int; column ``k`` is an edge from ``edge_index[1, k]`` to
            ``edge_index[0, k]`` (receiver first, as the reference code's ``row, col``).
        num_nodes: the number of nodes.

    Returns:
        ``adjacency``, (num_nodes, num_nodes), bool, with ``adjacency[i, j]`` for each edge.

    Example:
        >>> edges_to_adjacency(torch.tensor([[0, 1], [1, 0]]), 3).sum().item()
        2
    """
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, M), got {tuple(edge_index.shape)}")
    if len(edge_index[0]) and int(edge_index.max()) >= num_nodes:
        raise ValueError(
            f"edge_index names node {int(edge_index.max())}, but the graph has {num_nodes} nodes"
        )
    adjacency = torch.zeros(num_nodes, num_nodes, dtype=torch.bool)
    adjacency[edge_index[0], edge_index[1]] = True
    return adjacency


def pad_graphs(
    h: Sequence[Tensor], x: Sequence[Tensor], adjacency: Sequence[Tensor] | None = None
) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Stack graphs of different sizes into one zero-padded batch with a node mask.

    Arguments:
        h: node features per graph, each (n_b, F).
        x: positions per graph, each (n_b, d).
        adjacency: edges per graph, each (n_b, n_b), or ``None`` for fully connected graphs.

    Returns:
        ``(h, x, mask, adjacency)`` of shapes (B, N, F), (B, N, d), (B, N) and (B, N, N),
        with ``N`` the largest ``n_b``; ``adjacency`` is ``None`` when not given.

    Example:
        >>> h, x, mask, _ = pad_graphs([torch.ones(2, 1), torch.ones(3, 1)],
        ...                            [torch.zeros(2, 3), torch.zeros(3, 3)])
        >>> tuple(h.shape), mask.sum(1).tolist()
        ((2, 3, 1), [2, 3])
    """
    if len(h) != len(x) or (adjacency is not None and len(adjacency) != len(h)):
        counts = f"{len(h)} h, {len(x)} x" + (
            "" if adjacency is None else f" and {len(adjacency)} adjacency"
        )
        raise ValueError(
            f"pad_graphs needs one h, x (and adjacency) entry per graph, got {counts}; "
            "pass the same number of each"
        )
    n = max(len(t) for t in h)
    batch = len(h)
    h_out = h[0].new_zeros(batch, n, h[0].shape[-1])
    x_out = x[0].new_zeros(batch, n, x[0].shape[-1])
    mask = torch.zeros(batch, n, dtype=torch.bool)
    adj = torch.zeros(batch, n, n, dtype=torch.bool) if adjacency is not None else None
    for b in range(batch):
        size = len(h[b])
        if len(x[b]) != size:
            raise ValueError(f"graph {b}: h has {size} nodes but x has {len(x[b])}")
        h_out[b, :size], x_out[b, :size], mask[b, :size] = h[b], x[b], True
        if adj is not None:
            adj[b, :size, :size] = adjacency[b].bool()
    return h_out, x_out, mask, adj


class PointCloudModule(EquivariantLayer):
    """Base of the plugin's modules on batches of point clouds (see the module docstring).

    Subclasses set ``dim``, ``num_nodes``, ``in_features``, ``edge_features`` and
    ``uses_velocity``, and override :attr:`group` when they respect less than E(n) × S(N).
    """

    dim: int
    num_nodes: int
    in_features: int
    edge_features: int
    uses_velocity: bool = False

    @property
    def group(self) -> EuclideanGroup:
        """E(dim) × S(num_nodes)."""
        return EuclideanGroup(self.dim, self.num_nodes)

    def act_on_inputs(self, g: EuclideanTransform, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Apply ``g`` to ``(h, x, mask, edge_attr, adjacency, v)`` (a prefix of it)."""
        if len(inputs) > len(_INPUTS):
            raise ValueError(
                f"expected at most {len(_INPUTS)} inputs {_INPUTS}, got {len(inputs)}"
            )
        actions = (g.nodes, g.points, g.mask, g.edges, g.edges, g.vectors)
        return tuple(None if value is None else act(value) for act, value in zip(actions, inputs))

    def act_on_outputs(self, g: EuclideanTransform, outputs: Any) -> Any:
        """Apply ``g`` to a :class:`GeometricOutput` or to an ``(h, x)`` pair."""
        if isinstance(outputs, GeometricOutput):
            h, x, graph = outputs
            return GeometricOutput(None if h is None else g.nodes(h), g.points(x), graph)
        h, x = outputs
        return g.nodes(h), g.points(x)

    def example_inputs(
        self,
        batch_size: int = 2,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Any, ...]:
        """Random ``(h, x, mask, edge_attr, None, v)``; odd graphs miss their last node."""
        b, n, d = batch_size, self.num_nodes, self.dim
        h = torch.randn(b, n, self.in_features, generator=generator, dtype=dtype)
        x = torch.randn(b, n, d, generator=generator, dtype=dtype)
        mask = torch.ones(b, n, dtype=torch.bool)
        if n > 1:
            mask[1::2, -1] = False
        edge_attr = None
        if self.edge_features:
            shape = (b, n, n, self.edge_features)
            edge_attr = torch.randn(*shape, generator=generator, dtype=dtype)
        v = None
        if self.uses_velocity:
            v = torch.randn(b, n, d, generator=generator, dtype=dtype)
        return h, x, mask, edge_attr, None, v

    def _check_inputs(
        self,
        h: Tensor,
        x: Tensor,
        mask: Tensor | None,
        edge_attr: Tensor | None,
        adjacency: Tensor | None,
        v: Tensor | None,
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Validate shapes; return the bool node mask, the edge attributes and adjacency."""
        name = type(self).__name__
        if x.ndim != 3:
            raise ValueError(
                f"{name}: x must have shape (batch, nodes, dim), got {tuple(x.shape)}"
            )
        b, n, _ = x.shape
        if h.shape != (b, n, self.in_features):
            raise ValueError(
                f"{name}: h must have shape ({b}, {n}, {self.in_features}) "
                f"(batch, nodes, in_features), got {tuple(h.shape)}"
            )
        if mask is None:
            mask = torch.ones(b, n, dtype=torch.bool, device=x.device)
        elif mask.shape != (b, n):
            raise ValueError(f"{name}: mask must have shape ({b}, {n}), got {tuple(mask.shape)}")
        mask = mask.bool()
        if self.edge_features:
            if edge_attr is None or edge_attr.shape != (b, n, n, self.edge_features):
                got = None if edge_attr is None else tuple(edge_attr.shape)
                raise ValueError(
                    f"{name}: edge_attr must have shape ({b}, {n}, {n}, "
                    f"{self.edge_features}), got {got}"
                )
        elif edge_attr is not None and edge_attr.shape[-1] != 0:
            raise ValueError(
                f"{name} was built with edge_features=0 but got edge attributes "
                f"of shape {tuple(edge_attr.shape)}; set edge_features"
            )
        else:
            edge_attr = None
        if adjacency is not None:
            if adjacency.shape != (b, n, n):
                raise ValueError(
                    f"{name}: adjacency must have shape ({b}, {n}, {n}), got "
                    f"{tuple(adjacency.shape)}"
                )
            adjacency = adjacency.bool()
        if self.uses_velocity:
            if v is None or v.shape != x.shape:
                got = None if v is None else tuple(v.shape)
                raise ValueError(
                    f"{name} reads velocities: v must have the shape of x, "
                    f"{tuple(x.shape)}, got {got}"
                )
        elif v is not None:
            raise ValueError(
                f"{name} was built without velocities but got v; build it with "
                "velocity=true or leave v out"
            )
        return mask, edge_attr, adjacency


def reset_linear(module: nn.Module) -> None:
    """Reset every ``nn.Linear`` in ``module`` to PyTorch's default initialisation."""
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            sub.reset_parameters()


def small_linear(in_features: int, gain: float = 0.001) -> nn.Linear:
    """A bias-free ``Linear(in_features, 1)`` with Xavier-uniform weights of small gain, the
    reference initialisation of coordinate weights, which starts near the identity map."""
    layer = nn.Linear(in_features, 1, bias=False)
    nn.init.xavier_uniform_(layer.weight, gain=gain)
    return layer
