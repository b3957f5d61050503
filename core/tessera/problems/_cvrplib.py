"""Readers of CVRPLIB files: ``.vrp`` instances and ``.sol`` solutions.

An instance is a TSPLIB-style file with ``TYPE : CVRP``, ``CAPACITY``, ``DEMAND_SECTION``
and ``DEPOT_SECTION``; distances come from ``NODE_COORD_SECTION`` (``EUC_2D``, rounded to
the nearest integer as CVRPLIB's published costs assume, or any other TSPLIB rule) or from
an explicit ``EDGE_WEIGHT_SECTION``. A solution file lists ``Route #k: c1 c2 ...`` lines with
customers numbered ``1..n`` and a ``Cost z`` line.

References:
    Uchoa et al., "New benchmark instances for the Capacitated Vehicle Routing Problem",
    European Journal of Operational Research 257 (2017); CVRPLIB,
    http://vrp.galgos.inf.puc-rio.br.
"""

from __future__ import annotations

import os
import re

import numpy as np

from tessera.problems._base import Solution
from tessera.problems._cvrp import CVRP
from tessera.problems._text import (
    KeywordFile,
    Token,
    format_error,
    parse_int,
    parse_number,
    read_text,
    stem,
)
from tessera.problems._tsplib import tsplib_weights

__all__ = ["read_cvrplib", "read_cvrplib_solution"]

_UNSUPPORTED = {
    "DISTANCE": "a route length limit (DISTANCE)",
    "SERVICE_TIME": "service times (SERVICE_TIME)",
}


def read_cvrplib(path: str | os.PathLike[str]) -> CVRP:
    """Read a CVRPLIB ``.vrp`` file.

    The depot must be node 1 of the file; it becomes node 0, and node ``k`` of the file
    becomes node ``k - 1``, so customers keep the numbers CVRPLIB's ``.sol`` files use.

    Raises:
        InstanceFormatError: The file is malformed; the message names the line.
        NotImplementedError: Several depots, a depot other than node 1, a route length limit
            or service times.

    Example:
        >>> from tessera.problems import instance_path, read_cvrplib
        >>> cvrp = read_cvrplib(instance_path("E-n22-k4"))
        >>> cvrp.size, cvrp.capacity
        (21, 6000)
    """
    path = str(path)
    document = KeywordFile.parse(path, read_text(path))
    kind, line = document.entries.get("TYPE", ("CVRP", None))
    if kind != "CVRP":
        raise format_error(path, "TYPE CVRP", kind, line)
    for key, what in _UNSUPPORTED.items():
        if key in document.entries:
            raise NotImplementedError(f"'{path}': {what} is not supported")

    nodes = document.positive_int("DIMENSION")
    if nodes < 2:
        raise format_error(path, "DIMENSION >= 2 (the depot and a customer)", str(nodes))
    capacity_text, capacity_line = document.require("CAPACITY")
    capacity = parse_number(Token(capacity_text, capacity_line), path, "a number for CAPACITY")

    # The depot
    depots = [
        parse_int(t, path, "a node id or -1 in DEPOT_SECTION")
        for t in document.section("DEPOT_SECTION").tokens
    ]
    depots = depots[: depots.index(-1)] if -1 in depots else depots
    if len(depots) != 1:
        raise NotImplementedError(
            f"'{path}': {len(depots)} depots in DEPOT_SECTION; only one depot is supported"
        )
    if depots[0] != 1:
        raise NotImplementedError(
            f"'{path}': the depot is node {depots[0]}; only files whose depot is node 1 are "
            "supported"
        )

    # Demands
    section = document.section("DEMAND_SECTION")
    demands = np.zeros(nodes, dtype=np.int64)
    seen = set()
    for row in section.rows:
        if len(row) != 2:
            found = " ".join(t.text for t in row)
            raise format_error(path, "'node demand' in DEMAND_SECTION", repr(found), row[0].line)
        node = parse_int(row[0], path, "a node id in DEMAND_SECTION")
        if not 1 <= node <= nodes or node in seen:
            why = "a repeated" if node in seen else f"an out-of-range (not 1..{nodes})"
            raise format_error(
                path, "each node once in DEMAND_SECTION", f"{why} node {node}", row[0].line
            )
        seen.add(node)
        demands[node - 1] = parse_int(row[1], path, "an integer demand")
    if len(seen) != nodes:
        raise format_error(path, f"{nodes} demands (DIMENSION)", str(len(seen)), section.line)

    distances, coords = tsplib_weights(document, nodes)
    name = document.value("NAME", stem(path)) or stem(path)
    metadata = {key.lower(): value for key, (value, _) in document.entries.items()}
    metadata["path"] = path
    try:
        return CVRP(distances, demands, capacity, coords, name=name, metadata=metadata)
    except ValueError as error:
        raise format_error(path, "a solvable CVRP instance", str(error)) from None


_ROUTE = re.compile(r"^Route\s*#\s*(\d+)\s*:(.*)$", re.IGNORECASE)
_COST = re.compile(r"^Cost\s*:?\s*(\S+)\s*$", re.IGNORECASE)


def read_cvrplib_solution(path: str | os.PathLike[str]) -> Solution:
    """Read a CVRPLIB ``.sol`` file: its routes (customers ``1..n``) and its cost.

    Returns:
        A :class:`Solution` whose ``value`` is the list of routes, in the form
        :class:`CVRP` takes, and whose ``cost`` is the file's ``Cost`` line.

    Example:
        >>> from tessera.problems import instance_path, read_cvrplib_solution
        >>> read_cvrplib_solution(instance_path("E-n22-k4", solution=True)).cost
        375
    """
    path = str(path)
    routes: list[list[int]] = []
    cost: int | float | None = None
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        route = _ROUTE.match(line)
        if route is not None:
            if int(route.group(1)) != len(routes) + 1:
                raise format_error(path, f"Route #{len(routes) + 1}", repr(line), number)
            tokens = [Token(word, number) for word in route.group(2).split()]
            routes.append([parse_int(t, path, "a customer number") for t in tokens])
            continue
        match = _COST.match(line)
        if match is not None and cost is None:
            cost = parse_number(Token(match.group(1), number), path, "a number after Cost")
            continue
        raise format_error(path, "'Route #k: ...' or 'Cost z'", repr(line), number)
    if not routes:
        raise format_error(path, "at least one 'Route #k:' line", "none")
    if cost is None:
        raise format_error(path, "a 'Cost z' line", "none")
    return Solution(routes, cost, {"path": path})
