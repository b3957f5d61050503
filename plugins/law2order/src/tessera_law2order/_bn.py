"""Bayesian-network structure learning as a problem over variable orderings.

Given an ordering of the variables, the best network consistent with it chooses, for each
variable independently, the parent set among its predecessors (at most ``max_parents``
parents) of highest BIC score; the ordering's objective is minus the total score. Data are
sampled from a small known discrete network (the Asia network, or a random one).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from tessera.problems import Problem
from tessera.problems._base import as_generator, as_index_sequence, check_permutation
from tessera.spaces import Permutation

__all__ = [
    "BayesianNetwork",
    "OrderingProblem",
    "bic_local_scores",
    "build_bn",
    "structural_hamming_distance",
]


class BayesianNetwork:
    """A discrete Bayesian network: a DAG and a conditional probability table per variable.

    Arguments:
        names: variable names, (n,).
        arities: the number of states of each variable, (n,).
        parents: the parents of each variable, a tuple of indices each.
        tables: for each variable, its table (configurations of its parents, its states);
            a parents' configuration is the mixed-radix number of their states, the first
            parent most significant. Rows sum to one.

    Example:
        >>> net = BayesianNetwork.asia()
        >>> net.names[net.parents[7][0]], net.sample(5, seed=0).shape
        ('bronc', (5, 8))
    """

    def __init__(
        self,
        names: Sequence[str],
        arities: Sequence[int],
        parents: Sequence[Sequence[int]],
        tables: Sequence[Any],
    ) -> None:
        n = len(names)
        if not (len(arities) == len(parents) == len(tables) == n):
            raise ValueError(
                f"BayesianNetwork: {n} names but {len(arities)} arities, {len(parents)} parent "
                f"sets and {len(tables)} tables; give one of each per variable"
            )
        self.names = list(names)
        self.arities = [int(a) for a in arities]
        self.parents = [tuple(int(p) for p in ps) for ps in parents]
        self.tables = [np.asarray(t, dtype=np.float64) for t in tables]
        for v, (ps, table) in enumerate(zip(self.parents, self.tables)):
            rows = int(np.prod([self.arities[p] for p in ps])) if ps else 1
            if table.shape != (rows, self.arities[v]):
                raise ValueError(
                    f"BayesianNetwork: table of {self.names[v]!r} has shape {table.shape}, "
                    f"expected ({rows}, {self.arities[v]})"
                )
            if not np.allclose(table.sum(-1), 1.0):
                raise ValueError(
                    f"BayesianNetwork: rows of {self.names[v]!r}'s table must sum to 1, got "
                    f"sums {table.sum(-1).tolist()}; normalise each row"
                )
        self.order = self._topological_order()

    def _topological_order(self) -> list[int]:
        order: list[int] = []
        placed: set[int] = set()
        while len(order) < len(self.names):
            ready = [
                v
                for v in range(len(self.names))
                if v not in placed and all(p in placed for p in self.parents[v])
            ]
            if not ready:
                cyclic = [self.names[v] for v in range(len(self.names)) if v not in placed]
                raise ValueError(
                    f"BayesianNetwork: the parent sets of {cyclic} form a cycle; a Bayesian "
                    "network must be acyclic"
                )
            order += ready
            placed.update(ready)
        return order

    def sample(self, samples: int, seed: int | None = None) -> np.ndarray:
        """Ancestral samples, (samples, n) int64 states."""
        generator = as_generator(seed)
        data = np.zeros((samples, len(self.names)), dtype=np.int64)
        for v in self.order:
            ps = self.parents[v]
            config = (
                np.ravel_multi_index(tuple(data[:, p] for p in ps), [self.arities[p] for p in ps])
                if ps
                else np.zeros(samples, dtype=np.int64)
            )
            cumulative = self.tables[v][config].cumsum(-1)
            u = generator.random(samples)[:, None]
            data[:, v] = np.minimum((u > cumulative).sum(-1), self.arities[v] - 1)
        return data

    @classmethod
    def asia(cls) -> BayesianNetwork:
        """The Asia network of Lauritzen and Spiegelhalter (1988): 8 binary variables.

        States are 0 = no, 1 = yes. Edges: asia → tub, smoke → lung, smoke → bronc,
        tub → either, lung → either, either → xray, either → dysp, bronc → dysp.
        """

        def yes(*p: float) -> list[list[float]]:
            return [[1 - x, x] for x in p]

        names = ["asia", "smoke", "tub", "lung", "bronc", "either", "xray", "dysp"]
        parents = [(), (), (0,), (1,), (1,), (2, 3), (5,), (4, 5)]
        tables = [
            yes(0.01),
            yes(0.5),
            yes(0.01, 0.05),  # asia = no, yes
            yes(0.01, 0.1),  # smoke = no, yes
            yes(0.3, 0.6),  # smoke = no, yes
            yes(0.0, 1.0, 1.0, 1.0),  # (tub, lung) = (no, no), (no, yes), (yes, no), (yes, yes)
            yes(0.05, 0.98),  # either = no, yes
            yes(
                0.1, 0.7, 0.8, 0.9
            ),  # (bronc, either) = (no, no), (no, yes), (yes, no), (yes, yes)
        ]
        return cls(names, [2] * 8, parents, tables)

    @classmethod
    def random(
        cls,
        size: int,
        seed: int | None = None,
        max_parents: int = 2,
        edge_probability: float = 0.3,
    ) -> BayesianNetwork:
        """A random network of binary variables: a random order, edges from earlier to later
        variables with probability ``edge_probability`` (at most ``max_parents`` each), and
        tables drawn from Beta(0.5, 0.5)."""
        if size < 2:
            raise ValueError(f"BayesianNetwork.random: size = {size} must be ≥ 2")
        generator = as_generator(seed)
        order = generator.permutation(size)
        parents: list[tuple[int, ...]] = [()] * size
        for k, v in enumerate(order):
            earlier = [int(u) for u in order[:k] if generator.random() < edge_probability]
            parents[int(v)] = tuple(sorted(earlier[:max_parents]))
        tables = []
        for ps in parents:
            p = generator.beta(0.5, 0.5, size=2 ** len(ps))
            tables.append(np.stack([1 - p, p], axis=-1))
        names = [f"x{v}" for v in range(size)]
        return cls(names, [2] * size, parents, tables)


def bic_local_scores(
    data: np.ndarray, arities: Sequence[int], max_parents: int
) -> tuple[list[tuple[int, ...]], np.ndarray, np.ndarray]:
    """BIC scores of every variable with every parent set of at most ``max_parents``.

    ``BIC(v, Pa) = Σ_jk N_jk log(N_jk / N_j) − ½ log N · (r_v − 1) Π_{u ∈ Pa} r_u``, with
    ``N_jk`` the count of state k of v under parents' configuration j.

    Returns:
        The parent sets (P,), their bitmasks (P,) int64 and the scores (n, P); a set that
        contains the variable itself scores −inf.

    References:
        | Estimating the Dimension of a Model (Schwarz, 1978)
    """
    data = np.asarray(data, dtype=np.int64)
    samples, n = data.shape
    sets = [s for k in range(max_parents + 1) for s in itertools.combinations(range(n), k)]
    masks = np.array([sum(1 << u for u in s) for s in sets], dtype=np.int64)
    scores = np.full((n, len(sets)), -np.inf)
    for v in range(n):
        for i, ps in enumerate(sets):
            if v in ps:
                continue
            radix = [arities[u] for u in ps] + [arities[v]]
            cells = np.ravel_multi_index(tuple(data[:, u] for u in (*ps, v)), radix)
            counts = np.bincount(cells, minlength=int(np.prod(radix))).reshape(-1, arities[v])
            totals = counts.sum(-1, keepdims=True)
            safe = np.where(counts > 0, counts, 1)
            log_likelihood = float((counts * np.log(safe / np.maximum(totals, 1))).sum())
            parameters = (arities[v] - 1) * int(np.prod([arities[u] for u in ps]))
            scores[v, i] = log_likelihood - 0.5 * np.log(samples) * parameters
    return sets, masks, scores


def structural_hamming_distance(
    parents_a: Sequence[Sequence[int]], parents_b: Sequence[Sequence[int]]
) -> int:
    """Edges to add, delete or reverse to turn one DAG into the other (each counts one).

    Example:
        >>> structural_hamming_distance([(), (0,), ()], [(1,), (), (0,)])
        2
    """
    edges_a = {(u, v) for v, ps in enumerate(parents_a) for u in ps}
    edges_b = {(u, v) for v, ps in enumerate(parents_b) for u in ps}
    skeleton_a = {frozenset(e) for e in edges_a}
    skeleton_b = {frozenset(e) for e in edges_b}
    reversed_ = sum(1 for (u, v) in edges_a if (v, u) in edges_b)
    return len(skeleton_a ^ skeleton_b) + reversed_


class OrderingProblem(Problem):
    """Structure learning of a Bayesian network over orderings of its variables.

    A solution is an ordering π (π(k) is the k-th variable); its objective is
    ``−Σ_v max_{Pa ⊆ pred_π(v), |Pa| ≤ max_parents} BIC(v, Pa)``, to minimise, where
    ``pred_π(v)`` are the variables before v. The optimum over all orderings (the best DAG
    of at most ``max_parents`` parents per node) is found exactly by dynamic programming over
    subsets when ``n ≤ 16``.

    Arguments:
        data: discrete samples, (samples, n) ints.
        arities: states per variable; the largest value seen plus one by default.
        max_parents: the most parents a variable may have.
        names: variable names.
        true_parents: the parent sets of the network the data came from, if known.
        name: the instance name.

    References:
        | Ordering-Based Search: A Simple and Effective Algorithm for Learning Bayesian
          Networks (Teyssier and Koller, 2005)
        | https://arxiv.org/abs/1207.1429

    Example:
        >>> problem = build_bn("asia", samples=500, seed=0)
        >>> problem.objective(list(range(8))) >= problem.optimum
        True
    """

    def __init__(
        self,
        data: Any,
        arities: Sequence[int] | None = None,
        max_parents: int = 2,
        names: Sequence[str] | None = None,
        true_parents: Sequence[Sequence[int]] | None = None,
        name: str = "bn",
    ) -> None:
        data = np.asarray(data, dtype=np.int64)
        if data.ndim != 2 or data.shape[1] < 2 or data.shape[0] < 1:
            raise ValueError(
                f"{name!r}: data must have shape (samples, variables) with ≥ 2 variables, got "
                f"{data.shape}"
            )
        if max_parents < 0:
            raise ValueError(f"{name!r}: max_parents = {max_parents} must be ≥ 0")
        n = data.shape[1]
        arities = list(arities) if arities is not None else list(data.max(0) + 1)
        self.data, self.arities, self.max_parents = data, [int(a) for a in arities], max_parents
        self.names = list(names) if names is not None else [f"x{v}" for v in range(n)]
        self.true_parents = None if true_parents is None else [tuple(ps) for ps in true_parents]
        self.parent_sets, self.masks, self.local_scores = bic_local_scores(
            data, self.arities, max_parents
        )
        optimum = self._optimum() if n <= 16 else None
        super().__init__(
            name=name,
            optimum=optimum,
            metadata={"samples": len(data), "max_parents": max_parents, "score": "BIC"},
        )

    @property
    def size(self) -> int:
        """The number of variables."""
        return self.data.shape[1]

    @property
    def space(self) -> Permutation:
        """The search space: orderings of the variables."""
        return Permutation(self.size)

    def check(self, solution: Any) -> None:
        order = as_index_sequence(solution, "ordering")
        check_permutation(order, self.size, "ordering", "variable")

    def _best(self, v: int, allowed: int) -> int:
        """The index of v's best parent set within the bitmask ``allowed``."""
        fits = (self.masks & ~allowed) == 0
        return int(np.where(fits, self.local_scores[v], -np.inf).argmax())

    def parents(self, solution: Any) -> list[tuple[int, ...]]:
        """The best parent set of each variable under the ordering ``solution``."""
        self.check(solution)
        order = as_index_sequence(solution, "ordering")
        chosen: list[tuple[int, ...]] = [()] * self.size
        before = 0
        for v in order:
            chosen[v] = self.parent_sets[self._best(v, before)]
            before |= 1 << v
        return chosen

    def evaluate(self, solution: Any) -> float:
        """Minus the BIC score of the best network consistent with the ordering."""
        order = as_index_sequence(solution, "ordering")
        total, before = 0.0, 0
        for v in order:
            total += float(self.local_scores[v, self._best(v, before)])
            before |= 1 << v
        return -total

    def _optimum(self) -> float:
        """min over orderings, by F(S) = max_{v ∈ S} F(S − v) + best(v, S − v)."""
        n = self.size
        subsets = np.arange(1 << n, dtype=np.int64)
        fits = (self.masks[None, :] & ~subsets[:, None]) == 0  # (2^n, P)
        best = np.stack([np.where(fits, self.local_scores[v], -np.inf).max(-1) for v in range(n)])
        value = np.full(1 << n, -np.inf)
        value[0] = 0.0
        for s in range(1, 1 << n):
            members = [v for v in range(n) if s >> v & 1]
            value[s] = max(value[s & ~(1 << v)] + best[v, s & ~(1 << v)] for v in members)
        return -float(value[-1])

    @classmethod
    def random(cls, size: int, *, seed: int | None = None, samples: int = 500) -> OrderingProblem:
        """Data sampled from a random network of ``size`` binary variables."""
        network = BayesianNetwork.random(size, seed=seed)
        return cls(
            network.sample(samples, seed=seed),
            network.arities,
            names=network.names,
            true_parents=network.parents,
            name=f"bn{size}-seed{seed}",
        )


def build_bn(
    network: str = "asia",
    samples: int = 1000,
    seed: int = 0,
    max_parents: int = 2,
    size: int = 8,
) -> OrderingProblem:
    """The ``law2order.bn`` problem: data from the Asia network or a random one.

    Arguments:
        network: ``"asia"`` or ``"random"``.
        samples: the number of samples.
        seed: the seed of the sampler (and of the random network).
        max_parents: the most parents a variable may have.
        size: the number of variables of a random network.

    Example:
        >>> build_bn("random", samples=200, size=5).size
        5
    """
    if network == "asia":
        net = BayesianNetwork.asia()
    elif network == "random":
        net = BayesianNetwork.random(size, seed=seed, max_parents=max_parents)
    else:
        raise ValueError(f"law2order.bn: network {network!r} is unknown; use 'asia' or 'random'")
    return OrderingProblem(
        net.sample(samples, seed=seed),
        net.arities,
        max_parents=max_parents,
        names=net.names,
        true_parents=net.parents,
        name=f"{network}-{samples}",
    )
