"""Argument checks shared by the built-in groups."""

from __future__ import annotations

__all__ = ["check_size"]


def check_size(group: str, n: object) -> int:
    """``n`` as an int ≥ 1, or an error naming ``group`` and the bad value.

    Raises:
        TypeError: ``n`` is not an integer (``bool`` included).
        ValueError: ``n < 1``.
    """
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"{group}: n must be a positive int, got {n!r} of type {type(n).__name__}")
    value = int(n.__index__())  # type: ignore[attr-defined]
    if value < 1:
        raise ValueError(f"{group}: n must be a positive int, got {value}; use n ≥ 1")
    return value
