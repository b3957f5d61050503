"""Construction and local search for TSP and CVRP on the "giant tour".

A giant tour is a cyclic node sequence starting at node 0 in which, for CVRP, every 0 (the
depot) starts a new route. Moves are evaluated for all positions at once with numpy and the
best improving one is applied, until none improves.
"""

from __future__ import annotations

import numpy as np

__all__ = ["giant_tour", "local_search", "nearest_neighbour_tour", "routes_of"]


def nearest_neighbour_tour(
    distances: np.ndarray, demands: np.ndarray | None = None, capacity: float | None = None
) -> list[int]:
    """Greedy giant tour from node 0: always the nearest unvisited node that fits.

    For CVRP (``demands`` given) a route returns to the depot when no unvisited customer
    fits the remaining capacity.

    Example:
        >>> d = np.array([[0, 1, 3], [1, 0, 1], [3, 1, 0]])
        >>> nearest_neighbour_tour(d)
        [0, 1, 2]
        >>> nearest_neighbour_tour(d, np.array([0, 2, 2]), 3)
        [0, 1, 0, 2]
    """
    n = len(distances)
    unvisited = np.ones(n, dtype=bool)
    unvisited[0] = False
    tour, current, left = [0], 0, capacity
    while unvisited.any():
        candidates = unvisited.copy()
        if demands is not None:
            candidates &= demands <= left
            if not candidates.any():
                tour.append(0)
                current, left = 0, capacity
                continue
        row = np.where(candidates, distances[current], np.inf)
        current = int(np.argmin(row))
        tour.append(current)
        unvisited[current] = False
        if demands is not None:
            left = left - demands[current]
    return tour


def routes_of(tour: list[int]) -> list[list[int]]:
    """The non-empty routes of a CVRP giant tour."""
    routes: list[list[int]] = [[]]
    for node in tour:
        if node == 0:
            routes.append([])
        else:
            routes[-1].append(node)
    return [r for r in routes if r]


def giant_tour(routes: list[list[int]]) -> list[int]:
    """The giant tour of routes: ``[0, *r1, 0, *r2, ...]``."""
    tour = [0]
    for route in routes:
        tour += [*route, 0]
    return tour[:-1] if len(tour) > 1 else tour


def _tour_cost(d: np.ndarray, t: np.ndarray) -> float:
    return float(d[t, np.roll(t, -1)].sum())


def _best_two_opt(
    d: np.ndarray, t: np.ndarray, depot_count: np.ndarray, vrp: bool
) -> tuple[float, int, int]:
    """Best 2-opt move (reverse t[i+1..j]): (delta, i, j)."""
    m = len(t)
    nxt = np.roll(t, -1)
    edge = d[t, nxt]
    back = d[nxt, t] - edge  # cost change of an edge when reversed
    prefix = np.concatenate([[0.0], np.cumsum(back)])
    i = np.arange(m)[:, None]
    j = np.arange(m)[None, :]
    delta = d[t[:, None], t[None, :]] + d[nxt[:, None], nxt[None, :]] - edge[:, None] - edge[None]
    delta = delta + (prefix[j] - prefix[np.minimum(i + 1, m)])
    valid = j > i + 1
    if vrp:
        # The reversed part t[i+1..j] must not contain a depot
        valid &= depot_count[np.minimum(j + 1, m)] - depot_count[np.minimum(i + 1, m)] == 0
    delta = np.where(valid, delta, np.inf)
    flat = int(np.argmin(delta))
    return float(delta.flat[flat]), flat // m, flat % m


def _best_or_opt(
    d: np.ndarray,
    t: np.ndarray,
    depot_count: np.ndarray,
    vrp: bool,
    demands: np.ndarray | None,
    capacity: float | None,
    length: int,
) -> tuple[float, int, int, bool]:
    """Best move of a segment t[s..s+L-1] to another edge, possibly reversed:
    (delta, s, k, reversed)."""
    m = len(t)
    if m - 1 < length + 1:
        return np.inf, 0, 0, False
    nxt = np.roll(t, -1)
    s = np.arange(1, m - length + 1)  # the segment may not contain position 0
    last = s + length - 1
    first_node, last_node = t[s], t[last]
    prev, after = t[s - 1], t[(last + 1) % m]
    removed = d[prev, first_node] + d[last_node, after] - d[prev, after]
    inner = np.zeros(len(s))
    inner_back = np.zeros(len(s))
    for offset in range(length - 1):
        a, b = t[s + offset], t[s + offset + 1]
        inner += d[a, b]
        inner_back += d[b, a]

    k = np.arange(m)
    ek, ek1 = t[k], nxt[k]
    base = d[ek, ek1]
    forward = d[ek[None], first_node[:, None]] + d[last_node[:, None], ek1[None]] - base[None]
    backward = d[ek[None], last_node[:, None]] + d[first_node[:, None], ek1[None]] - base[None]
    backward = backward + (inner_back - inner)[:, None]

    # The insertion edge must lie outside the segment and its two boundary edges
    valid = (k[None] < s[:, None] - 1) | (k[None] > last[:, None])
    if vrp:
        segment_depots = depot_count[last + 1] - depot_count[s]
        valid &= (segment_depots == 0)[:, None]
        route = depot_count[1:][:m] - 1  # route of each position (and of the edge it starts)
        loads = np.bincount(route, weights=demands[t], minlength=route.max() + 1)
        segment_load = np.array([demands[t[a : a + length]].sum() for a in s], dtype=float)
        target = route[k][None]
        fits = loads[target] + segment_load[:, None] <= capacity
        valid &= (target == route[s][:, None]) | fits
    gain = -removed[:, None]
    forward = np.where(valid, forward + gain, np.inf)
    backward = np.where(valid, backward + gain, np.inf)
    best_f, best_b = int(np.argmin(forward)), int(np.argmin(backward))
    if forward.flat[best_f] <= backward.flat[best_b]:
        flat, rev = best_f, False
    else:
        flat, rev = best_b, True
    delta = forward.flat[flat] if not rev else backward.flat[flat]
    row, col = divmod(flat, m)
    return float(delta), int(s[row]), int(col), rev


def local_search(
    distances: np.ndarray,
    tour: list[int],
    demands: np.ndarray | None = None,
    capacity: float | None = None,
    or_opt: bool = True,
    max_rounds: int = 1000,
) -> list[int]:
    """Improve a giant tour with 2-opt and Or-opt moves until no move improves.

    Each round applies the best move among: reversing a part of the tour (2-opt; for CVRP
    a part within one route), and moving a segment of 1 to 3 nodes, in either direction,
    to another edge (Or-opt; for CVRP also into another route with room for it, or into a
    new route). Asymmetric distances are handled exactly.

    Arguments:
        distances: (n, n) edge lengths.
        tour: Giant tour starting at node 0.
        demands: CVRP demands, (n,), or ``None`` for TSP.
        capacity: CVRP vehicle capacity.
        or_opt: Also try Or-opt moves.
        max_rounds: Most moves applied.

    Example:
        >>> d = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])
        >>> local_search(d, [0, 2, 1, 3])
        [0, 1, 2, 3]
    """
    d = np.asarray(distances, dtype=np.float64)
    vrp = demands is not None
    demands_f = None if demands is None else np.asarray(demands, dtype=np.float64)
    t = np.array(tour + ([0] if vrp else []), dtype=np.int64)  # an empty route to open
    tolerance = 1e-9 * max(float(np.abs(d).max()), 1.0)
    for _ in range(max_rounds):
        depot_count = np.concatenate([[0], np.cumsum(t == 0)])
        best = _best_two_opt(d, t, depot_count, vrp)
        move = ("2opt", *best[1:])
        delta = best[0]
        if or_opt:
            for length in (1, 2, 3):
                found = _best_or_opt(d, t, depot_count, vrp, demands_f, capacity, length)
                if found[0] < delta:
                    delta, move = found[0], ("or", length, *found[1:])
        if not delta < -tolerance:
            break
        t = _apply(t, move)
        if vrp:
            t = _normalise(t)
    result = t.tolist()
    return giant_tour(routes_of(result)) if vrp else result


def _apply(t: np.ndarray, move: tuple) -> np.ndarray:
    if move[0] == "2opt":
        _, i, j = move
        t = t.copy()
        t[i + 1 : j + 1] = t[i + 1 : j + 1][::-1]
        return t
    _, length, s, k, rev = move
    segment = t[s : s + length]
    segment = segment[::-1] if rev else segment
    rest = np.concatenate([t[:s], t[s + length :]])
    at = k + 1 if k < s else k + 1 - length  # insert after the edge's first node
    return np.concatenate([rest[:at], segment, rest[at:]])


def _normalise(t: np.ndarray) -> np.ndarray:
    """Drop empty routes, keep the tour starting at the depot, and one empty route."""
    tour = giant_tour(routes_of(t.tolist()))
    return np.array([*tour, 0], dtype=np.int64)
