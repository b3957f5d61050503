"""Readers of flow shop instances: Taillard's format and OR-Library's.

Taillard's files (``tai20_5.txt`` and the like) hold one or more instances, each as::

    number of jobs, number of machines, initial seed, upper bound and lower bound :
              20           5   873654221        1278        1232
    processing times :
     54 83 15 71 ...         (one row per machine, one column per job)

OR-Library's flow shop files (``flowshop1.txt``, Carlier's ``car1``) give ``n m`` and then
one row per job of ``m`` pairs ``machine time``, machines in the order ``0..m-1``; lines of
text before ``n m`` (an instance's title) are skipped.

References:
    Taillard, "Benchmarks for basic scheduling problems", European Journal of Operational
    Research 64 (1993); Beasley, "OR-Library", Journal of the Operational Research Society
    41 (1990).
"""

from __future__ import annotations

import os

import numpy as np

from tessera.problems._flowshop import FlowShop
from tessera.problems._text import Token, format_error, parse_int, read_text, stem

__all__ = ["read_flowshop", "read_orlib_flowshop", "read_taillard"]

_TAILLARD_HEADER = "number of jobs"


def read_flowshop(path: str | os.PathLike[str], index: int = 0) -> FlowShop:
    """Read a flow shop file in Taillard's or OR-Library's format, whichever it is.

    Arguments:
        path: The file.
        index: Which instance of a Taillard file holding several (0-based).

    Example:
        >>> from tessera.problems import instance_path, read_flowshop
        >>> read_flowshop(instance_path("ta001")).processing_times.shape
        (20, 5)
    """
    text = read_text(path)
    if _TAILLARD_HEADER in text.lower():
        return read_taillard(path, index)
    if index != 0:
        raise ValueError(f"'{path}' is an OR-Library file with one instance; index must be 0")
    return read_orlib_flowshop(path)


def read_taillard(path: str | os.PathLike[str], index: int = 0) -> FlowShop:
    """Instance ``index`` of a Taillard flow shop file.

    Taillard's upper and lower bounds and seed go to ``metadata``; ``optimum`` stays
    ``None`` because a file's upper bound need not be optimal.
    """
    path = str(path)
    lines = read_text(path).splitlines()
    starts = [
        k for k, line in enumerate(lines) if line.strip().lower().startswith(_TAILLARD_HEADER)
    ]
    if not starts:
        raise format_error(path, f"a line starting with '{_TAILLARD_HEADER}'", "none")
    if not 0 <= index < len(starts):
        raise ValueError(
            f"'{path}' holds {len(starts)} instance(s); index {index} is out of range"
        )
    start = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(lines)

    # Header: n, m, seed, upper bound, lower bound
    if start + 1 >= end:
        raise format_error(path, "the line 'n m seed upper lower'", "the end of the file")
    header = [Token(word, start + 2) for word in lines[start + 1].split()]
    if len(header) != 5:
        raise format_error(
            path,
            "5 numbers: jobs, machines, seed, upper bound, lower bound",
            repr(lines[start + 1].strip()),
            start + 2,
        )
    jobs, machines, seed, upper, lower = (parse_int(t, path, "an integer") for t in header)
    if start + 2 >= end or not lines[start + 2].strip().lower().startswith("processing times"):
        found = repr(lines[start + 2].strip()) if start + 2 < end else "the end of the file"
        raise format_error(path, "'processing times :'", found, start + 3)

    # Rows are machines, columns jobs
    rows = [
        (number, line.split())
        for number, line in enumerate(lines[start + 3 : end], start + 4)
        if line.strip()
    ]
    if len(rows) != machines:
        raise format_error(path, f"{machines} rows of processing times", str(len(rows)), start + 3)
    times = np.zeros((machines, jobs), dtype=np.int64)
    for i, (number, words) in enumerate(rows):
        if len(words) != jobs:
            raise format_error(
                path, f"{jobs} processing times (one per job)", f"{len(words)}", number
            )
        times[i] = [parse_int(Token(w, number), path, "an integer processing time") for w in words]
    name = stem(path) if len(starts) == 1 else f"{stem(path)}-{index + 1}"
    metadata = {"path": path, "seed": seed, "upper_bound": upper, "lower_bound": lower}
    return FlowShop(times.T, name=name, metadata=metadata)


def read_orlib_flowshop(path: str | os.PathLike[str]) -> FlowShop:
    """An OR-Library flow shop instance: ``n m``, then per job ``m`` pairs ``machine time``."""
    path = str(path)
    lines = read_text(path).splitlines()

    # Skip a title up to the line "n m"
    numbered = [(k, line.split()) for k, line in enumerate(lines, 1) if line.strip()]
    first = next(
        (
            i
            for i, (_, words) in enumerate(numbered)
            if len(words) == 2 and all(w.isdigit() for w in words)
        ),
        None,
    )
    if first is None:
        raise format_error(path, "a line 'n m' (jobs, machines)", "none")
    line, (jobs_text, machines_text) = numbered[first]
    jobs, machines = int(jobs_text), int(machines_text)
    rows = numbered[first + 1 : first + 1 + jobs]
    if len(rows) != jobs:
        raise format_error(path, f"{jobs} job rows after 'n m'", str(len(rows)), line)

    times = np.zeros((jobs, machines), dtype=np.int64)
    for j, (number, words) in enumerate(rows):
        if len(words) != 2 * machines:
            raise format_error(
                path, f"{machines} pairs 'machine time'", f"{len(words)} values", number
            )
        values = [parse_int(Token(w, number), path, "an integer") for w in words]
        order = values[0::2]
        if order != list(range(machines)):
            raise format_error(
                path,
                f"machines in the order 0..{machines - 1} (a flow shop)",
                f"the order {order}",
                number,
            )
        times[j] = values[1::2]
    return FlowShop(times, name=stem(path), metadata={"path": path})
