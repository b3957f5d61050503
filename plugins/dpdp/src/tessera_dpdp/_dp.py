"""Restricted dynamic programming over partial routes, vectorised in plain PyTorch.

A state is a partial route from the start node (the depot): the set of visited nodes as a
packed bitmask, the current node, the cost so far (an integer, compared exactly), and for
CVRP the remaining capacity, for TSPTW the time service starts at the current node. Each
step expands every state of the beam along the edges of a sparse graph to an unvisited node
(for CVRP also "via the depot": back to the depot, then on to the node), removes dominated
states, and keeps the ``B`` best states of each instance by a score. With an unbounded beam
on the full graph this is exact dynamic programming (Held-Karp and its CVRP and TSPTW
variants).

Grouping states by (instance, visited set, current node) uses an incremental XOR hash of
the visited set (Zobrist hashing); every hash group is checked against the masks
themselves, and an exact (slower) grouping takes over if two different sets ever collide.

References:
    Kool, van Hoof, Gromicho and Welling, "Deep Policy Dynamic Programming for Vehicle
    Routing Problems" (2021), arXiv:2102.11756, section 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = ["Beam", "DPGraph", "DPResult", "pack_mask", "run_dp", "unpack_mask"]

_BITS = 64
_HASH_SEED = 0x5EED


@dataclass
class DPGraph:
    """Instance data of a batch of ``I`` instances with ``N`` nodes each, node 0 the start.

    Arguments:
        kind: ``"tsp"``, ``"cvrp"`` or ``"tsptw"``.
        cost: Integer edge costs, (I, N, N) int64; a route's cost is their exact sum.
        neighbours: Nodes each node may expand to, (I, N, K) int64, padded.
        neighbour_ok: Which entries of ``neighbours`` are real edges, (I, N, K) bool.
        edge_score: Score of each edge, (I, N, N) float64, or ``None`` to rank by cost.
        via_score: CVRP, score of ``i → depot → j``, (I, N, N) float64, or ``None``.
        depot_in: CVRP, nodes that may return to the depot mid-route, (I, N) bool.
        depot_out: CVRP, nodes the depot may go to, (I, N) bool.
        potential_weight: Potential edge weights ``w_ij``, (I, N, N) float64, or ``None``.
        potential_weight_t: Its transpose, contiguous (filled in by :func:`run_dp`).
        demand: CVRP demands, (I, N) int64 (0 at the depot).
        capacity: CVRP capacities, (I,) int64.
        travel: TSPTW travel times, (I, N, N), int64 or float64.
        service: TSPTW service times, (I, N).
        earliest: TSPTW earliest start times, (I, N).
        latest: TSPTW latest arrival times, (I, N).
        lower_bound: TSPTW shortest ``service + travel`` path times, (I, N, N), for the
            look-ahead test; ``None`` disables it.
    """

    kind: str
    cost: Tensor
    neighbours: Tensor
    neighbour_ok: Tensor
    edge_score: Tensor | None = None
    via_score: Tensor | None = None
    depot_in: Tensor | None = None
    depot_out: Tensor | None = None
    potential_weight: Tensor | None = None
    potential_weight_t: Tensor | None = None
    demand: Tensor | None = None
    capacity: Tensor | None = None
    travel: Tensor | None = None
    service: Tensor | None = None
    earliest: Tensor | None = None
    latest: Tensor | None = None
    lower_bound: Tensor | None = None

    @property
    def num_instances(self) -> int:
        return self.cost.shape[0]

    @property
    def num_nodes(self) -> int:
        return self.cost.shape[1]


@dataclass
class Beam:
    """The states kept after a step; every field has one row per state."""

    batch: Tensor  # (S,) instance of each state
    mask: Tensor  # (S, W) int64, bit i of word i // 64 set when node i is visited
    current: Tensor  # (S,) current node
    cost: Tensor  # (S,) int64 cost so far
    score: Tensor  # (S,) float64 score of the edges so far (without the potential)
    key: Tensor  # (S,) int64 hash of (instance, visited set)
    capacity: Tensor | None = None  # (S,) CVRP remaining capacity
    time: Tensor | None = None  # (S,) TSPTW start of service at the current node
    potential: Tensor | None = None  # (S,) potential of the unvisited nodes
    weight_in: Tensor | None = None  # (S, N) Σ_{i unvisited} w_ij
    weight_out: Tensor | None = None  # (S, N) Σ_{j unvisited} w_ij

    def __len__(self) -> int:
        return self.batch.shape[0]


@dataclass
class DPResult:
    """What :func:`run_dp` found for each instance.

    Attributes:
        actions: Per instance, the nodes in visiting order after the start (for CVRP,
            ``node + N`` marks a visit via the depot), or ``None`` if no state survived.
        costs: Per instance, the integer cost of the closed route, or ``None``.
        expansions: Candidate states generated, summed over steps.
        states: States kept, summed over steps.
    """

    actions: list[list[int] | None]
    costs: list[int | None]
    expansions: int = 0
    states: int = 0
    steps: list[dict[str, int]] = field(default_factory=list)


def pack_mask(visited: Tensor) -> Tensor:
    """Pack a boolean (S, N) visited matrix into (S, ceil(N / 64)) int64 words.

    Example:
        >>> pack_mask(torch.tensor([[True, False, True]])).tolist()
        [[5]]
    """
    s, n = visited.shape
    words = (n + _BITS - 1) // _BITS
    padded = torch.zeros(s, words * _BITS, dtype=torch.int64, device=visited.device)
    padded[:, :n] = visited.long()
    shifts = torch.arange(_BITS, device=visited.device)
    return (padded.view(s, words, _BITS) << shifts).sum(-1)


def unpack_mask(mask: Tensor, n: int) -> Tensor:
    """Unpack (S, W) int64 words into a boolean (S, n) visited matrix.

    Example:
        >>> unpack_mask(torch.tensor([[5]]), 3).tolist()
        [[True, False, True]]
    """
    shifts = torch.arange(_BITS, device=mask.device)
    bits = (mask[:, :, None] >> shifts) & 1
    return bits.reshape(mask.shape[0], -1)[:, :n].bool()


def _is_visited(mask: Tensor, nodes: Tensor) -> Tensor:
    """Whether each of ``nodes`` (S, K) is set in the row's mask (S, W)."""
    word = mask.gather(1, nodes >> 6)
    return ((word >> (nodes & 63)) & 1).bool()


def _hash_tables(n: int, instances: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Random 64-bit keys for nodes (visited sets), current nodes and instances."""
    generator = torch.Generator().manual_seed(_HASH_SEED)
    low, high = -(2**63), 2**63 - 1
    keys = torch.randint(low, high, (2 * n + instances,), generator=generator, dtype=torch.int64)
    keys = keys.to(device)
    return keys[:n], keys[n : 2 * n], keys[2 * n :]


def _lexsort(*keys: Tensor) -> Tensor:
    """The permutation sorting by ``keys[0]``, then ``keys[1]``, ... (all ascending)."""
    order = torch.argsort(keys[-1], stable=True)
    for key in reversed(keys[:-1]):
        order = order[torch.argsort(key[order], stable=True)]
    return order


def _segment_starts(sorted_key: Tensor) -> Tensor:
    """True where a run of equal values starts in a sorted key."""
    starts = torch.ones_like(sorted_key, dtype=torch.bool)
    starts[1:] = sorted_key[1:] != sorted_key[:-1]
    return starts


def _segment_heads(starts: Tensor) -> Tensor:
    """For each position, the index of the first position of its segment."""
    index = torch.arange(len(starts), device=starts.device)
    return torch.cummax(torch.where(starts, index, 0), 0).values


def _segment_scan(values: Tensor, starts: Tensor, op: str) -> Tensor:
    """Inclusive running ``max`` or ``min`` within segments (Hillis-Steele scan)."""
    combine = torch.maximum if op == "max" else torch.minimum
    out = values.clone()
    heads = _segment_heads(starts)
    index = torch.arange(len(values), device=values.device)
    shift = 1
    longest = int((index - heads).max()) + 1 if len(values) else 0
    while shift < longest:
        same = torch.zeros_like(starts)
        same[shift:] = heads[shift:] == heads[:-shift]
        shifted = torch.empty_like(out)
        shifted[shift:] = out[:-shift]
        shifted[:shift] = out[:shift]
        out = torch.where(same, combine(out, shifted), out)
        shift *= 2
    return out


def _exact_groups(rows: Tensor) -> Tensor:
    """Group ids of identical rows, exactly (used when hashes collide)."""
    _, inverse = torch.unique(rows, dim=0, return_inverse=True)
    return inverse


def _grouped_order(key: Tensor, rows: Tensor, *ties: Tensor) -> tuple[Tensor, Tensor]:
    """Sort states by group (``key``, verified against ``rows``), then by ``ties``.

    Returns:
        ``(order, starts)``: the permutation, and where each group starts in sorted order.
    """
    order = _lexsort(key, *ties)
    sorted_key = key[order]
    starts = _segment_starts(sorted_key)
    sorted_rows = rows[order]
    heads = _segment_heads(starts)
    if bool((sorted_rows != sorted_rows[heads]).any()):
        # Two different groups share a hash: group exactly instead
        key = _exact_groups(rows)
        order = _lexsort(key, *ties)
        starts = _segment_starts(key[order])
    return order, starts


@dataclass
class _Candidates:
    parent: Tensor
    node: Tensor
    via: Tensor
    cost: Tensor
    score: Tensor
    capacity: Tensor | None = None
    time: Tensor | None = None
    potential: Tensor | None = None

    def take(self, index: Tensor) -> _Candidates:
        def pick(t: Tensor | None) -> Tensor | None:
            return None if t is None else t[index]

        return _Candidates(
            self.parent[index],
            self.node[index],
            self.via[index],
            self.cost[index],
            self.score[index],
            pick(self.capacity),
            pick(self.time),
            pick(self.potential),
        )

    @staticmethod
    def cat(parts: list[_Candidates]) -> _Candidates:
        def join(name: str) -> Tensor | None:
            values = [getattr(p, name) for p in parts]
            return None if values[0] is None else torch.cat(values)

        return _Candidates(*(join(name) for name in _Candidates.__dataclass_fields__))

    def __len__(self) -> int:
        return self.parent.shape[0]


def _initial_beam(graph: DPGraph, keys: tuple[Tensor, Tensor, Tensor]) -> Beam:
    i, n = graph.num_instances, graph.num_nodes
    device = graph.cost.device
    node_keys, _, instance_keys = keys
    mask = torch.zeros(i, (n + _BITS - 1) // _BITS, dtype=torch.int64, device=device)
    mask[:, 0] = 1
    beam = Beam(
        batch=torch.arange(i, device=device),
        mask=mask,
        current=torch.zeros(i, dtype=torch.int64, device=device),
        cost=torch.zeros(i, dtype=torch.int64, device=device),
        score=torch.zeros(i, dtype=torch.float64, device=device),
        key=instance_keys ^ node_keys[0],
    )
    if graph.kind == "cvrp":
        beam.capacity = graph.capacity.clone()
    if graph.kind == "tsptw":
        beam.time = graph.earliest[:, 0].clone()
    w = graph.potential_weight
    if w is not None:
        # Node 0 is visited: Σ over unvisited sources i, over unvisited targets j
        beam.weight_in = w.sum(1) - w[:, 0, :]
        beam.weight_out = w.sum(2) - w[:, :, 0]
        beam.potential = beam.weight_in.sum(1)
    return beam


def _direct(graph: DPGraph, beam: Beam, complete: bool) -> _Candidates:
    """Expansions along the graph's edges from each state's current node; with
    ``complete``, a state whose neighbours are all visited may go to any unvisited node."""
    b, cur = beam.batch, beam.current
    nodes = graph.neighbours[b, cur]
    ok = graph.neighbour_ok[b, cur] & ~_is_visited(beam.mask, nodes)
    parent, slot = ok.nonzero(as_tuple=True)
    node = nodes[parent, slot]
    if complete:
        stuck = (~ok.any(1)).nonzero(as_tuple=True)[0]
        if len(stuck):
            unvisited = ~unpack_mask(beam.mask[stuck], graph.num_nodes)
            row, anywhere = unvisited.nonzero(as_tuple=True)
            parent = torch.cat([parent, stuck[row]])
            node = torch.cat([node, anywhere])
    b, cur = b[parent], cur[parent]
    cost = beam.cost[parent] + graph.cost[b, cur, node]
    score = (
        beam.score[parent] + graph.edge_score[b, cur, node]
        if graph.edge_score is not None
        else cost.double()
    )
    found = _Candidates(parent, node, torch.zeros_like(node, dtype=torch.bool), cost, score)
    if graph.kind == "cvrp":
        found.capacity = beam.capacity[parent] - graph.demand[b, node]
        found = found.take((found.capacity >= 0).nonzero(as_tuple=True)[0])
    if graph.kind == "tsptw":
        arrival = beam.time[parent] + graph.service[b, cur] + graph.travel[b, cur, node]
        found.time = torch.maximum(arrival, graph.earliest[b, node])
        found = found.take((arrival <= graph.latest[b, node]).nonzero(as_tuple=True)[0])
    return found


def _via_depot(graph: DPGraph, beam: Beam) -> _Candidates | None:
    """CVRP: back to the depot, then to an unvisited node, from the cheapest state of
    each visited set (the others arrive at the depot with the same capacity, costlier)."""
    b, cur = beam.batch, beam.current
    at_depot = beam.cost + graph.cost[b, cur, 0]
    allowed = graph.depot_in[b, cur] & (cur != 0)
    rows = torch.cat([b[:, None], beam.mask], 1)
    order, starts = _grouped_order(beam.key, rows, (~allowed).to(torch.int8), at_depot)
    best = order[starts]
    best = best[allowed[best]]
    if len(best) == 0:
        return None

    # Every unvisited node the depot connects to
    n = graph.num_nodes
    unvisited = ~unpack_mask(beam.mask[best], n) & graph.depot_out[b[best]]
    row, node = unvisited.nonzero(as_tuple=True)
    parent = best[row]
    pb, pc = b[parent], cur[parent]
    cost = at_depot[parent] + graph.cost[pb, 0, node]
    score = (
        beam.score[parent] + graph.via_score[pb, pc, node]
        if graph.via_score is not None
        else cost.double()
    )
    capacity = graph.capacity[pb] - graph.demand[pb, node]
    return _Candidates(
        parent, node, torch.ones_like(node, dtype=torch.bool), cost, score, capacity
    )


def _add_potential(graph: DPGraph, beam: Beam, found: _Candidates) -> None:
    """The potential after the expansion: P - Σ_i w_ik - Σ_j w_kj - w_k0 for new node k."""
    p, k = found.parent, found.node
    b = beam.batch[p]
    found.potential = (
        beam.potential[p]
        - beam.weight_in[p, k]
        - beam.weight_out[p, k]
        - graph.potential_weight[b, k, 0]
    )


def _dominance(graph: DPGraph, beam: Beam, found: _Candidates, keys: tuple) -> _Candidates:
    """Keep, per (instance, visited set, current node), the non-dominated states: the
    cheapest; for CVRP also each with more remaining capacity than every cheaper one, for
    TSPTW each with an earlier time than every cheaper one."""
    node_keys, current_keys, _ = keys
    key = beam.key[found.parent] ^ node_keys[found.node] ^ current_keys[found.node]
    mask = _set_bit(beam.mask[found.parent], found.node)
    rows = torch.cat([beam.batch[found.parent, None], mask, found.node[:, None]], 1)
    if graph.kind == "cvrp":
        order, starts = _grouped_order(key, rows, found.cost, -found.capacity)
        values = found.capacity[order]
        best = _segment_scan(values, starts, "max")
        keep = starts.clone()
        keep[1:] |= values[1:] > best[:-1]
    elif graph.kind == "tsptw":
        order, starts = _grouped_order(key, rows, found.cost, found.time)
        values = found.time[order]
        best = _segment_scan(values, starts, "min")
        keep = starts.clone()
        keep[1:] |= values[1:] < best[:-1]
    else:
        order, starts = _grouped_order(key, rows, found.cost)
        keep = starts
    return found.take(order[keep])


def _set_bit(mask: Tensor, nodes: Tensor) -> Tensor:
    """Copies of the (S, W) masks with the bit of each of ``nodes`` (S,) set."""
    word = (nodes >> 6)[:, None]
    bit = torch.ones_like(nodes) << (nodes & 63)
    return mask.scatter(1, word, mask.gather(1, word) | bit[:, None])


def _lookahead(graph: DPGraph, beam: Beam, found: _Candidates, chunk: int = 1 << 20) -> Tensor:
    """TSPTW: which candidates can still reach every unvisited node, and the depot, in time."""
    n = graph.num_nodes
    keep = torch.empty(len(found), dtype=torch.bool, device=found.node.device)
    rows = max(1, chunk // n)
    for start in range(0, len(found), rows):
        part = slice(start, start + rows)
        p, k, t = found.parent[part], found.node[part], found.time[part]
        b = beam.batch[p]
        unvisited = ~unpack_mask(_set_bit(beam.mask[p], k), n)
        reach = t[:, None] + graph.lower_bound[b, k] <= graph.latest[b]
        back = reach[:, 0]
        keep[part] = back & (reach | ~unvisited).all(1)
    return keep


def _select(
    found: _Candidates, batch: Tensor, rank: Tensor, beam_size: int | None, i: int
) -> _Candidates:
    """The ``beam_size`` best candidates of each instance by ``rank`` (lowest first)."""
    if beam_size is None or len(found) <= beam_size:
        return found
    if i == 1:
        return found.take(torch.topk(rank, beam_size, largest=False, sorted=False).indices)
    order = _lexsort(batch, rank)
    counts = torch.bincount(batch, minlength=i)
    first = torch.cumsum(counts, 0) - counts
    position = torch.arange(len(order), device=order.device) - first[batch[order]]
    return found.take(order[position < beam_size])


def _next_beam(graph: DPGraph, beam: Beam, found: _Candidates, keys: tuple) -> Beam:
    node_keys = keys[0]
    p, k = found.parent, found.node
    b = beam.batch[p]
    nxt = Beam(
        batch=b,
        mask=_set_bit(beam.mask[p], k),
        current=k,
        cost=found.cost,
        score=found.score,
        key=beam.key[p] ^ node_keys[k],
        capacity=found.capacity,
        time=found.time,
    )
    if graph.potential_weight is not None:
        w = graph.potential_weight
        nxt.potential = found.potential
        rows = b * graph.num_nodes + k
        w_out = w.flatten(0, 1).index_select(0, rows)
        w_in = graph.potential_weight_t.flatten(0, 1).index_select(0, rows)
        nxt.weight_in = beam.weight_in.index_select(0, p).sub_(w_out)
        nxt.weight_out = beam.weight_out.index_select(0, p).sub_(w_in)
    return nxt


def run_dp(
    graph: DPGraph, beam_size: int | None, *, lookahead: bool = True, complete: bool = True
) -> DPResult:
    """Run the restricted dynamic program on a batch of instances.

    Arguments:
        graph: The instances, see :class:`DPGraph`.
        beam_size: States kept per instance after each step; ``None`` for no limit.
        lookahead: TSPTW, drop states that cannot reach every unvisited node in time.
        complete: Let a state whose current node has no unvisited neighbour in the graph
            go to any unvisited node, so that a sparse graph never strands the beam.

    Returns:
        A :class:`DPResult` with the best closed route of each instance.
    """
    i, n = graph.num_instances, graph.num_nodes
    if graph.potential_weight is not None and graph.potential_weight_t is None:
        graph.potential_weight_t = graph.potential_weight.transpose(1, 2).contiguous()
    keys = _hash_tables(n, i, graph.cost.device)
    beam = _initial_beam(graph, keys)
    trace: list[tuple[Tensor, Tensor]] = []
    result = DPResult([None] * i, [None] * i)

    for _ in range(n - 1):
        # Expand
        parts = [_direct(graph, beam, complete)]
        if graph.kind == "cvrp" and trace:
            via = _via_depot(graph, beam)
            if via is not None:
                parts.append(via)
        found = _Candidates.cat(parts) if len(parts) > 1 else parts[0]
        expanded = len(found)

        # Dominance, feasibility, then the beam
        found = _dominance(graph, beam, found, keys)
        if graph.kind == "tsptw" and lookahead and graph.lower_bound is not None:
            found = found.take(_lookahead(graph, beam, found).nonzero(as_tuple=True)[0])
        rank = found.score
        if graph.potential_weight is not None:
            _add_potential(graph, beam, found)
            rank = found.score + found.potential
        found = _select(found, beam.batch[found.parent], rank, beam_size, i)

        beam = _next_beam(graph, beam, found, keys)
        action = found.node + n * found.via.long()
        trace.append((found.parent.cpu(), action.cpu()))
        result.expansions += expanded
        result.states += len(beam)
        result.steps.append({"expanded": expanded, "kept": len(beam)})
        if len(beam) == 0:
            return result

    _finish(graph, beam, trace, result)
    return result


def _finish(
    graph: DPGraph, beam: Beam, trace: list[tuple[Tensor, Tensor]], result: DPResult
) -> None:
    """Close each route back to the start and backtrack the best one of each instance."""
    b, cur = beam.batch, beam.current
    final = beam.cost + graph.cost[b, cur, 0]
    feasible = torch.ones_like(final, dtype=torch.bool)
    if graph.kind == "tsptw":
        arrival = beam.time + graph.service[b, cur] + graph.travel[b, cur, 0]
        feasible = arrival <= graph.latest[b, 0]
    index = feasible.nonzero(as_tuple=True)[0]
    if len(index) == 0:
        return
    order = _lexsort(b[index], final[index])
    index = index[order]
    starts = _segment_starts(b[index])
    best = index[starts].cpu()

    # Backtrack: follow parents from the last step to the first
    columns = []
    state = best
    for parent, action in reversed(trace):
        columns.append(action[state])
        state = parent[state]
    # With a single node there is nothing to visit
    empty = [[] for _ in range(len(best))]
    actions = torch.stack(columns[::-1], 1).tolist() if columns else empty
    for row, s in enumerate(best.tolist()):
        instance = int(b[s])
        result.actions[instance] = actions[row]
        result.costs[instance] = int(final[s])
