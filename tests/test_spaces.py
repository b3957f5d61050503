"""Tests of the search spaces."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tessera.spaces import Box, Categorical, DiscretePart, Integer, Permutation, Product, Space
from tessera.spaces._configs import (
    BoxConfig,
    CategoricalConfig,
    IntegerConfig,
    PermutationConfig,
    ProductConfig,
)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# Strategies: random spaces and native points in them

boxes = st.builds(
    lambda lo, width, dims: Box(lo, lo + width, dims=dims),
    st.floats(-100, 100),
    st.floats(0.5, 50),
    st.sampled_from([None, 1, 3]),
)
integers = st.builds(
    lambda lo, width: Integer(lo, lo + width), st.integers(-50, 50), st.integers(1, 20)
)
categoricals = st.lists(
    st.one_of(st.text(max_size=4), st.integers(-9, 9)), min_size=1, max_size=5, unique=True
).map(Categorical)
permutations = st.builds(Permutation, st.integers(1, 6), st.booleans())
leaves = st.one_of(boxes, integers, categoricals, permutations)
spaces = st.recursive(
    leaves,
    lambda children: st.lists(children, min_size=1, max_size=3).flatmap(
        lambda parts: st.one_of(
            st.just(Product(parts)),
            st.just(Product(parts, names=[f"v{i}" for i in range(len(parts))])),
        )
    ),
    max_leaves=5,
)


def points(space: Space) -> st.SearchStrategy[Any]:
    """Native points of ``space``."""
    if isinstance(space, Box):
        coords = [
            st.floats(float(lo), float(hi))
            for lo, hi in zip(space.lower, space.upper, strict=True)
        ]
        return coords[0] if space.scalar else st.tuples(*coords).map(list)
    if isinstance(space, Integer):
        return st.integers(space.lower, space.upper)
    if isinstance(space, Categorical):
        return st.sampled_from(space.choices)
    if isinstance(space, Permutation):
        return st.permutations(range(space.n)).map(tuple)
    assert isinstance(space, Product)
    values = st.tuples(*(points(s) for s in space.spaces))
    if space.names is None:
        return values
    return values.map(lambda v: dict(zip(space.names, v, strict=True)))


# Round trips


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_native_points_round_trip(data: st.DataObject) -> None:
    """decode(encode(points)) gives the points back, and they are contained."""
    space = data.draw(spaces)
    pts = data.draw(st.lists(points(space), min_size=1, max_size=4))
    x = space.encode(pts)
    assert x.shape == (len(pts), space.dim) and x.dtype == torch.float64
    assert space.decode(x) == pts
    assert all(space.contains(p) for p in pts)


@settings(max_examples=60, deadline=None)
@given(spaces, st.integers(0, 2**31))
def test_samples_round_trip(space: Space, seed: int) -> None:
    """Samples decode to contained points that encode back to the samples."""
    x = space.sample(5, seeded(seed))
    assert x.shape == (5, space.dim) and x.dtype == torch.float64
    natives = space.decode(x)
    assert all(space.contains(p) for p in natives)
    assert torch.equal(space.encode(natives), x)
    assert torch.equal(space.project(x), x)


@settings(max_examples=60, deadline=None)
@given(spaces, st.integers(0, 2**31))
def test_neighbours_change_one_discrete_variable(space: Space, seed: int) -> None:
    """Neighbours are valid, distinct, differ from the point, and keep continuous dims."""
    x = space.sample(1, seeded(seed))[0]
    if not space.discrete_parts:
        with pytest.raises(NotImplementedError, match="continuous"):
            space.neighbours(x)
        return
    nbrs = space.neighbours(x)
    assert nbrs.shape[1] == space.dim
    assert len(torch.unique(nbrs, dim=0)) == len(nbrs)
    assert all(space.contains(p) for p in space.decode(nbrs))
    assert not (nbrs == x).all(dim=1).any()
    cont = list(space.continuous_dims)
    assert torch.equal(nbrs[:, cont], x[cont].expand(len(nbrs), len(cont)))
    changed = [
        sum(
            not torch.equal(row[list(p.columns)], x[list(p.columns)]) for p in space.discrete_parts
        )
        for row in nbrs
    ]
    assert set(changed) <= {1}
    if all(p.kind != "permutation" for p in space.discrete_parts):
        assert len(nbrs) == sum(_neighbour_count(p, x) for p in space.discrete_parts)


def _neighbour_count(part: DiscretePart, x: torch.Tensor) -> int:
    if part.kind == "nominal":
        return part.size - 1
    vertex = int(x[part.column]) - part.offset
    return (vertex > 0) + (vertex < part.size - 1)


@settings(max_examples=40, deadline=None)
@given(spaces, st.integers(0, 2**31))
def test_project_gives_valid_encodings(space: Space, seed: int) -> None:
    """Projecting arbitrary real vectors gives encodings that decode to contained points."""
    z = 10 * torch.randn(4, space.dim, generator=seeded(seed), dtype=torch.float64)
    assert all(space.contains(p) for p in space.decode(space.project(z)))


# Neighbour counts


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_permutation_neighbours_are_all_swaps(n: int) -> None:
    """All swaps give n(n−1)/2 neighbours, adjacent swaps n−1, each one transposition away."""
    space, adjacent = Permutation(n), Permutation(n, adjacent_swaps=True)
    x = space.sample(1, seeded(n))[0]
    nbrs = space.neighbours(x)
    assert len(nbrs) == n * (n - 1) // 2
    assert ((nbrs != x).sum(dim=1) == 2).all()
    assert len(adjacent.neighbours(x)) == n - 1
    brute = set()
    for i, j in itertools.combinations(range(n), 2):
        y = x.clone()
        y[[i, j]] = y[[j, i]]
        brute.add(tuple(y.tolist()))
    assert {tuple(r) for r in nbrs.tolist()} == brute


def test_categorical_and_integer_neighbours() -> None:
    """A category has every other choice; an integer has one neighbour at a bound."""
    cat = Categorical(["a", "b", "c", "d"])
    assert cat.neighbours(torch.tensor([2.0])).flatten().tolist() == [0.0, 1.0, 3.0]
    assert len(Categorical(["only"]).neighbours(torch.tensor([0.0]))) == 0
    ints = Integer(-2, 3)
    assert ints.neighbours(torch.tensor([-2.0])).flatten().tolist() == [-1.0]
    assert ints.neighbours(torch.tensor([3.0])).flatten().tolist() == [2.0]
    assert ints.neighbours(torch.tensor([0.0])).flatten().tolist() == [-1.0, 1.0]


def test_product_neighbours_count() -> None:
    """A product's neighbours are the sum over its discrete factors."""
    space = Box(0.0, 1.0) * Integer(0, 4) * Categorical(["x", "y", "z"]) * Permutation(4)
    x = space.encode([(0.3, 4, "y", (3, 1, 0, 2))])[0]
    assert len(space.neighbours(x)) == 1 + 2 + 6


def test_neighbours_reject_invalid_points() -> None:
    """Neighbours of a non-encoding or a batch are errors."""
    with pytest.raises(ValueError, match="not an integer"):
        Integer(0, 3).neighbours(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="not a permutation"):
        Permutation(3).neighbours(torch.tensor([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=r"one encoded point of shape \(3,\)"):
        Permutation(3).neighbours(torch.zeros(2, 3))


# Products


def test_product_bookkeeping() -> None:
    """continuous_dims and discrete_parts locate every variable in the encoding."""
    inner = Product.of(depth=Integer(1, 3), act=Categorical(["relu", "tanh"]))
    space = Product.of(lr=Box(0.0, 1.0), layers=inner, x=Box([0, 0], [1, 1]), order=Permutation(3))
    assert space.dim == 1 + 2 + 2 + 3
    assert space.continuous_dims == (0, 3, 4)
    assert space.discrete_parts == (
        DiscretePart(1, 1, 3, "ordinal", offset=1, name="layers.depth"),
        DiscretePart(2, 1, 2, "nominal", name="layers.act"),
        DiscretePart(5, 3, 6, "permutation", name="order"),
    )
    assert space.discrete_parts[0].ordinal and not space.discrete_parts[1].ordinal
    point = {"lr": 0.5, "layers": {"depth": 2, "act": "tanh"}, "x": [0.1, 0.2], "order": (2, 0, 1)}
    assert space.encode([point]).tolist() == [[0.5, 2.0, 1.0, 0.1, 0.2, 2.0, 0.0, 1.0]]
    assert space.decode(space.encode([point])) == [point]
    assert space.size is None and inner.size == 6


def test_multiplication_flattens_unnamed_products() -> None:
    """a * b * c is one flat product; named products stay nested."""
    a, b, c = Box(0.0, 1.0), Integer(0, 2), Permutation(2)
    assert a * b * c == Product([a, b, c])
    assert repr(a * b * c) == "Product([Box(0.0, 1.0), Integer(0, 2), Permutation(2)])"
    named = Product.of(p=a, q=b)
    assert (named * c).spaces == (named, c)
    with pytest.raises(TypeError, match="all by position or all by name"):
        Product.of(a, q=b)
    assert a.__mul__(3) is NotImplemented


def test_spaces_compare_by_structure() -> None:
    """Equal constructions are equal and hash the same; different ones are not equal."""
    assert Box(0, 1) == Box(0.0, 1.0) and hash(Box(0, 1)) == hash(Box(0.0, 1.0))
    assert Box(0, 1) != Box(0, 1, dims=1) != Box(0, 2, dims=1)
    assert Integer(0, 3) == Integer(0, 3) != Integer(0, 4)
    assert Categorical([1, 2]) != Categorical(["1", "2"])
    assert Permutation(3) != Permutation(3, adjacent_swaps=True)
    assert Product.of(a=Integer(0, 1)) != Product.of(b=Integer(0, 1))


# Contains and the native forms


@pytest.mark.parametrize(
    ("space", "good", "bad"),
    [
        (Box(0.0, 1.0), [0.0, 1, 0.5], [1.5, -0.1, "0.5", None, [0.5], float("nan"), True]),
        (
            Box([0, -1], [1, 1]),
            [[0.0, -1.0], (1, 0.5)],
            [[0.5], [0.5, 2.0], 0.5, "ab", {"a": 1}, [0.5, None]],
        ),
        (Integer(-1, 2), [-1, 0, 2], [3, -2, 1.0, "1", None, True, [1]]),
        (Categorical(["a", 3]), ["a", 3], ["b", 4, None, [3], {"a"}]),
        (Permutation(3), [(0, 1, 2), [2, 0, 1]], [(0, 1), (0, 0, 1), (0, 1, 3), "012", 3]),
        (
            Product.of(x=Integer(0, 1), y=Categorical(["u"])),
            [{"x": 0, "y": "u"}],
            [{"x": 0}, {"x": 2, "y": "u"}, (0, "u"), {"x": 0, "y": "u", "z": 1}],
        ),
        (Product([Integer(0, 1), Box(0, 1)]), [(1, 0.5), [0, 0.0]], [(1,), (1, 2.0), "ab", 5]),
    ],
    ids=repr,
)
def test_contains(space: Space, good: list[Any], bad: list[Any]) -> None:
    """contains accepts members and rejects everything else without raising."""
    assert all(space.contains(p) for p in good)
    assert not any(space.contains(p) for p in bad)


def test_native_forms() -> None:
    """Scalar boxes give floats, vector boxes lists, permutations tuples of ints."""
    assert Box(0, 1).decode(torch.tensor([[0.25]])) == [0.25]
    assert Box(0, 1, dims=1).decode(torch.tensor([[0.25]])) == [[0.25]]
    assert Box(0, 1, dims=2).decode(torch.tensor([0.25, 0.5])) == [[0.25, 0.5]]
    assert Permutation(3).decode(torch.tensor([[2.0, 0.0, 1.0]])) == [(2, 0, 1)]
    assert Integer(0, 5).decode(torch.tensor([[3.0000000001]])) == [3]


def test_projection() -> None:
    """Boxes clamp, integers and categories round and clamp, permutations rank."""
    assert Box([0, 0], [1, 2]).clamp(torch.tensor([[-1.0, 3.0]])).tolist() == [[0.0, 2.0]]
    assert Integer(0, 5).project(torch.tensor([[2.6], [9.0]])).tolist() == [[3.0], [5.0]]
    assert Categorical(["a", "b", "c"]).project(torch.tensor([[-3.0]])).tolist() == [[0.0]]
    assert Permutation(3).project(torch.tensor([5.0, -2.0, 0.1])).tolist() == [2.0, 0.0, 1.0]


def test_permutation_samples_are_uniform() -> None:
    """Every permutation of three items is about equally likely."""
    x = Permutation(3).sample(6000, seeded())
    counts = torch.unique(x, dim=0, return_counts=True)[1]
    assert len(counts) == math.factorial(3) and counts.min() > 850 and counts.max() < 1150


# Errors


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Box(1.0, 0.0), ValueError, r"Box: lower = 1.0 must be < upper = 0.0"),
        (lambda: Box(1.0, 1.0), ValueError, r"lower = 1.0 must be < upper = 1.0"),
        (lambda: Box([0, 2], [1, 1]), ValueError, r"lower\[1\] = 2.0 must be < upper\[1\]"),
        (lambda: Box([0, 0], [1, 1, 1]), ValueError, "lower has 2 entries"),
        (lambda: Box(0, 1, dims=0), ValueError, "dims must be a positive int"),
        (lambda: Box([], []), ValueError, "lower = \\[\\] must be"),
        (lambda: Integer(3, 3), ValueError, "Integer: lower = 3 must be < upper = 3"),
        (lambda: Integer(0.5, 3), TypeError, "Integer: lower must be an int, got 0.5"),
        (lambda: Categorical([]), ValueError, "choices is empty"),
        (lambda: Categorical("abc"), TypeError, "choices must be a list"),
        (lambda: Categorical(["a", "b", "a"]), ValueError, r"choices\[2\] = 'a' repeats"),
        (lambda: Categorical([[1]]), TypeError, "not hashable"),
        (lambda: Permutation(0), ValueError, "Permutation: n must be a positive int, got 0"),
        (lambda: Permutation(2.0), TypeError, "n must be a positive int"),
        (lambda: Product([]), ValueError, "spaces is empty"),
        (lambda: Product([Box(0, 1), 3]), TypeError, r"spaces\[1\] is 3"),
        (lambda: Product(Box(0, 1)), TypeError, "spaces must be a list"),
        (lambda: Product([Box(0, 1)], names=["a", "b"]), ValueError, "names has 2 entries"),
        (lambda: Product([Box(0, 1)] * 2, names=["a", "a"]), ValueError, "repeats"),
    ],
)
def test_bad_construction(make: Any, error: type[Exception], message: str) -> None:
    """Bad arguments give errors naming the argument and the value."""
    with pytest.raises(error, match=message):
        make()


def test_bad_encode_and_decode() -> None:
    """Encoding a non-member or decoding a non-encoding names the point and the reason."""
    space = Product.of(n=Integer(0, 3), c=Categorical(["a"]))
    with pytest.raises(ValueError, match=r"points\[1\].*component 'n'.*outside \[0, 3\]"):
        space.encode([{"n": 1, "c": "a"}, {"n": 7, "c": "a"}])
    with pytest.raises(TypeError, match="sequence of points"):
        Integer(0, 3).encode(2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"row 0: component 'n'.*not an integer.*project"):
        space.decode(torch.tensor([[1.5, 0.0]]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        space.decode(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="outside"):
        Box(0, 1).decode(torch.tensor([[1.5]]))
    with pytest.raises(ValueError, match="int ≥ 0"):
        Box(0, 1).sample(-1)
    assert Box(0, 1).sample(0).shape == (0, 1)
    assert Integer(0, 1).encode([]).shape == (0, 1)


# Configs


def test_configs_validate() -> None:
    """Config models reject bad bounds, duplicate choices and mismatched names."""
    for make in (
        lambda: BoxConfig(lower=1.0, upper=0.0),
        lambda: BoxConfig(lower=[0.0, 0.0], upper=[1.0, 1.0, 1.0]),
        lambda: IntegerConfig(lower=2, upper=2),
        lambda: CategoricalConfig(choices=[]),
        lambda: CategoricalConfig(choices=["a", "a"]),
        lambda: PermutationConfig(n=0),
        lambda: ProductConfig(spaces=[]),
        lambda: ProductConfig(spaces=["permutation"], names=["a", "b"]),
    ):
        with pytest.raises(ValidationError):
            make()
    assert BoxConfig(lower=0, upper=[1.0, 2.0]).upper == [1.0, 2.0]
    assert CategoricalConfig(choices=["1", 1, 2.5]).choices == ["1", 1, 2.5]
    box = BoxConfig(lower=-1.0, upper=1.0, dims=2)
    assert Box(**box.model_dump()) == Box(-1.0, 1.0, dims=2)


def test_configs_do_not_import_torch() -> None:
    """The config module stays light, so the CLI can read it without torch."""
    code = (
        "import sys, tessera.spaces._configs, tessera.spaces; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    core = Path(__file__).resolve().parents[1] / "core"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(core)})
