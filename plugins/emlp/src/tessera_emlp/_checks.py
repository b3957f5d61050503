"""Argument checks shared by the plugin's groups and representations."""

from __future__ import annotations

__all__ = ["positive_int"]


def positive_int(what: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum``, or an error naming ``what`` and the bad value.

    Raises:
        TypeError: ``value`` is not an integer (``bool`` included).
        ValueError: ``value < minimum``.
    """
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(
            f"{what} must be an int ≥ {minimum}, got {value!r} of type {type(value).__name__}"
        )
    result = int(value.__index__())  # type: ignore[attr-defined]
    if result < minimum:
        raise ValueError(f"{what} must be an int ≥ {minimum}, got {result}")
    return result
