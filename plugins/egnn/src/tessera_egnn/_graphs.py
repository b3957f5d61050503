"""Random graph families of the paper's graph-autoencoder experiment (§5.2).

Graphs are symmetric boolean adjacency matrices without self-loops, (n, n).

References:
    | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021), §5.2
    | https://arxiv.org/abs/2102.09844
    | GraphRNN: Generating Realistic Graphs with Deep Auto-regressive Models (You et al.,
      2018), the community graphs
    | https://arxiv.org/abs/1802.08773
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["community_graph", "erdos_renyi_graph", "graph_dataset"]


def erdos_renyi_graph(num_nodes: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """A G(n, p) graph: each of the n(n−1)/2 edges independently with probability ``p``.

    Example:
        >>> a = erdos_renyi_graph(7, 0.25, np.random.default_rng(0))
        >>> a.shape, bool((a == a.T).all()), bool(a.diagonal().any())
        ((7, 7), True, False)
    """
    if num_nodes < 1 or not 0 <= p <= 1:
        raise ValueError(
            f"erdos_renyi_graph needs num_nodes ≥ 1 and 0 ≤ p ≤ 1, got "
            f"num_nodes={num_nodes}, p={p}"
        )
    upper = np.triu(rng.random((num_nodes, num_nodes)) < p, k=1)
    return upper | upper.T


def community_graph(
    sizes: Sequence[int], p_intra: float, p_inter: float, rng: np.random.Generator
) -> np.ndarray:
    """Communities that are G(size, p_intra) graphs, joined by edges of probability
    ``p_inter``; every pair of communities gets at least one edge (between their first
    nodes when the draw gave none).

    Example:
        >>> a = community_graph([6, 8], 0.7, 0.01, np.random.default_rng(0))
        >>> a.shape, bool(a[:6, 6:].any())
        ((14, 14), True)
    """
    n = int(sum(sizes))
    starts = np.cumsum([0, *sizes])
    community = np.repeat(np.arange(len(sizes)), sizes)
    same = community[:, None] == community[None, :]
    upper = np.triu(rng.random((n, n)) < np.where(same, p_intra, p_inter), k=1)
    adjacency = upper | upper.T
    for a in range(len(sizes)):
        for b in range(a + 1, len(sizes)):
            block = adjacency[starts[a] : starts[a + 1], starts[b] : starts[b + 1]]
            if not block.any():
                adjacency[starts[a], starts[b]] = adjacency[starts[b], starts[a]] = True
    return adjacency


def graph_dataset(
    family: str,
    count: int,
    rng: np.random.Generator,
    *,
    community_sizes: tuple[int, int] = (6, 10),
    num_communities: int = 2,
    p_intra: float = 0.7,
    p_inter: float = 0.01,
    erdos_renyi_sizes: tuple[int, int] = (7, 16),
    erdos_renyi_p: float = 0.25,
) -> list[np.ndarray]:
    """``count`` graphs of ``family`` ("community" or "erdos_renyi"), sizes uniform in the
    given inclusive ranges (per community for community graphs)."""
    graphs = []
    for _ in range(count):
        if family == "community":
            low, high = community_sizes
            sizes = rng.integers(low, high + 1, size=num_communities)
            graphs.append(community_graph(sizes.tolist(), p_intra, p_inter, rng))
        elif family == "erdos_renyi":
            low, high = erdos_renyi_sizes
            graphs.append(erdos_renyi_graph(int(rng.integers(low, high + 1)), erdos_renyi_p, rng))
        else:
            raise ValueError(f"unknown graph family {family!r}; use 'community' or 'erdos_renyi'")
    return graphs
