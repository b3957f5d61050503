"""Readers of QAPLIB files: ``.dat`` instances and ``.sln`` solutions.

A ``.dat`` file holds ``n``, then the ``n × n`` matrix ``A``, then the ``n × n`` matrix
``B``, as whitespace-separated numbers; line breaks and blank lines carry no meaning, so
matrices that wrap over several lines are read the same. A ``.sln`` file holds ``n``, the
cost, and a permutation of ``1..n`` (facility ``i`` at location ``p(i)``).

References:
    Burkard, Karisch and Rendl, "QAPLIB - A Quadratic Assignment Problem Library",
    Journal of Global Optimization 10 (1997).
"""

from __future__ import annotations

import os

import numpy as np

from tessera.problems._base import Solution
from tessera.problems._qap import QAP
from tessera.problems._text import (
    format_error,
    parse_int,
    parse_number,
    read_text,
    stem,
    tokens_of,
)

__all__ = ["read_qaplib", "read_qaplib_solution"]


def read_qaplib(path: str | os.PathLike[str]) -> QAP:
    """Read a QAPLIB ``.dat`` file: ``flow`` is its first matrix and ``distances`` its second.

    Raises:
        InstanceFormatError: A token is not a number, or the count is not ``1 + 2n²``.

    Example:
        >>> from tessera.problems import instance_path, read_qaplib
        >>> read_qaplib(instance_path("nug12")).size
        12
    """
    path = str(path)
    tokens = tokens_of(read_text(path))
    if not tokens:
        raise format_error(path, "the size n", "an empty file")
    n = parse_int(tokens[0], path, "the size n, a positive integer")
    if n < 1:
        raise format_error(path, "the size n, a positive integer", str(n), tokens[0].line)
    entries = tokens[1:]
    if len(entries) != 2 * n * n:
        at = entries[2 * n * n].line if len(entries) > 2 * n * n else None
        raise format_error(
            path,
            f"2·n² = {2 * n * n} matrix entries after n = {n}",
            f"{len(entries)}" + (" (the extra ones start here)" if at else ""),
            at,
        )
    values = [parse_number(t, path, "a matrix entry") for t in entries]
    dtype = np.int64 if all(isinstance(v, int) for v in values) else np.float64
    matrices = np.asarray(values, dtype=dtype).reshape(2, n, n)
    return QAP(matrices[0], matrices[1], name=stem(path), metadata={"path": path})


def read_qaplib_solution(path: str | os.PathLike[str]) -> Solution:
    """Read a QAPLIB ``.sln`` file: ``n``, the cost, and the permutation (1-based).

    Returns:
        A :class:`Solution` whose ``value`` is the 0-based permutation, the form
        :class:`QAP` takes, and whose ``cost`` is the file's.

    Example:
        >>> from tessera.problems import instance_path, read_qaplib_solution
        >>> read_qaplib_solution(instance_path("chr12a", solution=True)).cost
        9552
    """
    path = str(path)
    tokens = tokens_of(read_text(path))
    if len(tokens) < 2:
        raise format_error(path, "the size n and the cost", f"{len(tokens)} value(s)")
    n = parse_int(tokens[0], path, "the size n")
    cost = parse_number(tokens[1], path, "the cost")
    entries = tokens[2:]
    if len(entries) != n:
        raise format_error(path, f"a permutation of {n} entries", f"{len(entries)} entries")
    permutation = [parse_int(t, path, "a location number") for t in entries]
    if sorted(permutation) != list(range(1, n + 1)):
        raise format_error(path, f"a permutation of 1..{n}", str(permutation), entries[0].line)
    return Solution([p - 1 for p in permutation], cost, {"path": path})
