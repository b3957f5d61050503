"""Readers of TSPLIB 95 files: ``.tsp`` / ``.atsp`` instances and ``.tour`` files.

Supported: ``TYPE`` ``TSP`` and ``ATSP``; ``EDGE_WEIGHT_TYPE`` ``EXPLICIT`` (every
``EDGE_WEIGHT_FORMAT`` of a full or triangular matrix, row- or column-wise), ``EUC_2D``,
``EUC_3D``, ``CEIL_2D``, ``MAN_2D``, ``MAN_3D``, ``MAX_2D``, ``MAX_3D``, ``GEO`` and ``ATT``
with TSPLIB's exact rounding; ``NODE_COORD_SECTION`` and ``DISPLAY_DATA_SECTION``;
tour files whose ``TOUR_SECTION`` lists tours each ended by ``-1``.

References:
    G. Reinelt, "TSPLIB 95", Universität Heidelberg (1995).
"""

from __future__ import annotations

import os

import numpy as np

from tessera.problems._distances import METRICS
from tessera.problems._text import (
    KeywordFile,
    Section,
    format_error,
    parse_int,
    parse_number,
    read_text,
    stem,
)
from tessera.problems._tsp import TSP

__all__ = ["read_tsplib", "read_tsplib_tour", "read_tsplib_tours"]

#: Triangular EDGE_WEIGHT_FORMATs → (the (rows, cols) of the entries, in file order, of a
#: matrix with n nodes; whether rows and columns swap)
_TRIANGLES = {
    "UPPER_ROW": (lambda n: np.triu_indices(n, 1), False),
    "LOWER_ROW": (lambda n: np.tril_indices(n, -1), False),
    "UPPER_DIAG_ROW": (lambda n: np.triu_indices(n), False),
    "LOWER_DIAG_ROW": (lambda n: np.tril_indices(n), False),
    # Column-wise listings are the transposed row-wise listings of the other triangle
    "UPPER_COL": (lambda n: np.tril_indices(n, -1), True),
    "LOWER_COL": (lambda n: np.triu_indices(n, 1), True),
    "UPPER_DIAG_COL": (lambda n: np.tril_indices(n), True),
    "LOWER_DIAG_COL": (lambda n: np.triu_indices(n), True),
}
WEIGHT_FORMATS = ("FULL_MATRIX", *_TRIANGLES)
_UNSUPPORTED_SECTIONS = ("FIXED_EDGES_SECTION", "EDGE_DATA_SECTION")


def read_tsplib(path: str | os.PathLike[str]) -> TSP:
    """Read a TSPLIB ``.tsp`` or ``.atsp`` file.

    Node ``k`` of the file (1-based) is node ``k - 1`` of the returned :class:`TSP`.
    Distances follow the file's ``EDGE_WEIGHT_TYPE`` exactly, so tour lengths equal
    TSPLIB's published values. Coordinates come from ``NODE_COORD_SECTION``, or for an
    explicit instance from ``DISPLAY_DATA_SECTION`` when there is one (display only).

    Raises:
        InstanceFormatError: The file is malformed; the message names the line.
        NotImplementedError: The file uses a TSPLIB feature not supported here.

    Example:
        >>> from tessera.problems import instance_path, read_tsplib
        >>> read_tsplib(instance_path("burma14")).objective(list(range(14)))
        4562
    """
    path = str(path)
    document = KeywordFile.parse(path, read_text(path))
    kind, line = document.entries.get("TYPE", ("TSP", None))
    if kind in ("CVRP", "TOUR"):
        reader = "read_cvrplib" if kind == "CVRP" else "read_tsplib_tour"
        raise format_error(path, f"TYPE TSP or ATSP (use {reader} for {kind})", kind, line)
    if kind not in ("TSP", "ATSP"):
        raise NotImplementedError(
            f"'{path}': TSPLIB TYPE {kind!r} is not supported; only TSP and ATSP are"
        )
    for name in _UNSUPPORTED_SECTIONS:
        if name in document.sections:
            raise NotImplementedError(f"'{path}': {name} is not supported")

    n = document.positive_int("DIMENSION")
    distances, coords = tsplib_weights(document, n)
    name = document.value("NAME", stem(path)) or stem(path)
    metadata = {key.lower(): value for key, (value, _) in document.entries.items()}
    metadata["path"] = path
    return TSP(distances, coords, name=name.removesuffix(".tsp"), metadata=metadata)


def tsplib_weights(document: KeywordFile, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The distance matrix and coordinates of a TSPLIB-style file with ``n`` nodes."""
    path = document.path
    weight_type, line = document.require("EDGE_WEIGHT_TYPE")

    if weight_type == "EXPLICIT":
        distances = explicit_matrix(document, n)
        coords = None
        for name in ("NODE_COORD_SECTION", "DISPLAY_DATA_SECTION"):
            if name in document.sections:
                coords = node_coordinates(document, name, n, None)
                break
        return distances, coords

    if weight_type in METRICS:
        dimension, function = METRICS[weight_type]
        coords = node_coordinates(document, "NODE_COORD_SECTION", n, dimension)
        return function(coords), coords

    if weight_type in ("XRAY1", "XRAY2", "SPECIAL"):
        raise NotImplementedError(f"'{path}': EDGE_WEIGHT_TYPE {weight_type} is not supported")
    supported = ", ".join(["EXPLICIT", *METRICS])
    raise format_error(path, f"an EDGE_WEIGHT_TYPE among {supported}", repr(weight_type), line)


def node_coordinates(
    document: KeywordFile, name: str, n: int, dimension: int | None
) -> np.ndarray:
    """The coordinates of section ``name``: one line ``id x y [z]`` per node, any order.

    ``dimension=None`` takes the dimension from the first line.
    """
    path = document.path
    section = document.section(name)
    if dimension is None:
        dimension = len(section.rows[0]) - 1 if section.rows else 2
    what = f"a node id and {dimension} coordinates"
    coords = np.zeros((n, dimension))
    seen: dict[int, int] = {}
    for row in section.rows:
        line = row[0].line
        if len(row) != dimension + 1:
            found = f"{len(row)} values: {' '.join(t.text for t in row)!r}"
            raise format_error(path, f"{what} in {name}", found, line)
        node = parse_int(row[0], path, f"a node id in {name}")
        if not 1 <= node <= n:
            raise format_error(path, f"a node id in 1..{n} (DIMENSION)", str(node), line)
        if node in seen:
            raise format_error(
                path,
                f"each node once in {name}",
                f"node {node} again (first on line {seen[node]})",
                line,
            )
        seen[node] = line
        coords[node - 1] = [parse_number(t, path, "a coordinate") for t in row[1:]]
    if len(seen) != n:
        missing = sorted(set(range(1, n + 1)) - seen.keys())[:5]
        raise format_error(
            path,
            f"{n} nodes in {name} (DIMENSION)",
            f"{len(seen)}; missing node(s) {', '.join(map(str, missing))}",
            section.line,
        )
    return coords


def explicit_matrix(document: KeywordFile, n: int) -> np.ndarray:
    """The ``EDGE_WEIGHT_SECTION`` matrix, (n, n), in the file's ``EDGE_WEIGHT_FORMAT``."""
    path = document.path
    weight_format, line = document.require("EDGE_WEIGHT_FORMAT")
    if weight_format not in WEIGHT_FORMATS:
        raise format_error(
            path,
            f"an EDGE_WEIGHT_FORMAT among {', '.join(WEIGHT_FORMATS)}",
            repr(weight_format),
            line,
        )
    section: Section = document.section("EDGE_WEIGHT_SECTION")
    tokens = section.tokens
    values = [parse_number(t, path, "an edge weight") for t in tokens]

    # How many entries the format needs
    if weight_format == "FULL_MATRIX":
        rows, cols, transposed = None, None, False
        expected = n * n
    else:
        indices, transposed = _TRIANGLES[weight_format]
        rows, cols = indices(n)
        expected = len(rows)
    if len(values) != expected:
        at = tokens[expected].line if len(values) > expected else section.line
        raise format_error(
            path,
            f"{expected} edge weights for DIMENSION {n} in {weight_format}",
            str(len(values)),
            at,
        )

    dtype = np.int64 if all(isinstance(v, int) for v in values) else np.float64
    array = np.asarray(values, dtype=dtype)
    if weight_format == "FULL_MATRIX":
        return array.reshape(n, n)
    if transposed:
        rows, cols = cols, rows
    matrix = np.zeros((n, n), dtype=dtype)
    matrix[rows, cols] = array
    matrix[cols, rows] = array
    return matrix


def read_tsplib_tours(path: str | os.PathLike[str]) -> list[list[int]]:
    """Every tour of a TSPLIB ``.tour`` file, 0-based.

    Each tour in ``TOUR_SECTION`` is a list of 1-based nodes ended by ``-1``; a further
    ``-1`` or ``EOF`` ends the section. Each tour must be a permutation of ``1..DIMENSION``
    when ``DIMENSION`` is given.
    """
    path = str(path)
    document = KeywordFile.parse(path, read_text(path))
    kind, line = document.entries.get("TYPE", ("TOUR", None))
    if kind != "TOUR":
        raise format_error(path, "TYPE TOUR", kind, line)
    n = document.positive_int("DIMENSION") if "DIMENSION" in document.entries else None
    section = document.section("TOUR_SECTION")

    tours: list[list[int]] = []
    current: list[int] = []
    for token in section.tokens:
        node = parse_int(token, path, "a node number or -1 in TOUR_SECTION")
        if node == -1:
            if not current:
                break  # the -1 that ends the section
            tours.append(current)
            current = []
            continue
        if node < 1 or (n is not None and node > n):
            bound = "" if n is None else f"..{n}"
            raise format_error(path, f"a node number in 1{bound} or -1", str(node), token.line)
        current.append(node - 1)
    if current:
        raise format_error(path, "-1 after the last tour", "the end of TOUR_SECTION", document.end)
    if not tours:
        raise format_error(path, "at least one tour in TOUR_SECTION", "none", section.line)

    if n is not None:
        for k, tour in enumerate(tours):
            if sorted(tour) != list(range(n)):
                raise format_error(
                    path,
                    f"tour {k + 1} to visit each of the {n} nodes once",
                    f"{len(tour)} entries, {len(set(tour))} distinct",
                    section.line,
                )
    return tours


def read_tsplib_tour(path: str | os.PathLike[str]) -> list[int]:
    """The tour of a TSPLIB ``.tour`` / ``.opt.tour`` file, 0-based.

    Raises:
        InstanceFormatError: The file is malformed or holds more than one tour.

    Example:
        >>> from tessera.problems import instance_path, read_tsplib_tour
        >>> read_tsplib_tour(instance_path("berlin52", solution=True))[:4]
        [0, 48, 31, 44]
    """
    tours = read_tsplib_tours(path)
    if len(tours) != 1:
        raise format_error(str(path), "exactly one tour", f"{len(tours)} tours")
    return tours[0]
