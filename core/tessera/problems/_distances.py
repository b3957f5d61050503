"""Distance matrices from coordinates, with TSPLIB 95's rounding rules.

Every function takes coordinates ``(n, d)`` and returns the full ``(n, n)`` matrix with a
zero diagonal. The TSPLIB rules return ``int64`` matrices; :func:`euclidean` returns
``float64``.

References:
    G. Reinelt, "TSPLIB 95", Universität Heidelberg (1995), section 2 ("The distance
    functions"), and the TSPLIB FAQ for the geographical distance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "METRICS",
    "att_distances",
    "ceil_distances",
    "euclidean",
    "geo_distances",
    "manhattan_distances",
    "maximum_distances",
    "nint",
    "rounded_euclidean",
    "tsplib_distances",
]

#: The value of pi and the earth radius (km) that TSPLIB's GEO distance prescribes.
GEO_PI = 3.141592
GEO_RADIUS = 6378.388


def nint(x: np.ndarray) -> np.ndarray:
    """TSPLIB's ``nint``: round to the nearest integer, halves away from zero."""
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def _differences(coords: np.ndarray) -> np.ndarray:
    """Pairwise differences, (n, d) → (n, n, d)."""
    coords = np.asarray(coords, dtype=np.float64)
    return coords[:, None, :] - coords[None, :, :]


def euclidean(coords: np.ndarray) -> np.ndarray:
    """Unrounded Euclidean distances, (n, d) → (n, n) float64."""
    return np.sqrt((_differences(coords) ** 2).sum(-1))


def rounded_euclidean(coords: np.ndarray) -> np.ndarray:
    """``EUC_2D`` / ``EUC_3D``: ``nint(sqrt(xd² + yd² [+ zd²]))``."""
    return nint(euclidean(coords))


def ceil_distances(coords: np.ndarray) -> np.ndarray:
    """``CEIL_2D``: the Euclidean distance rounded up."""
    return np.ceil(euclidean(coords)).astype(np.int64)


def manhattan_distances(coords: np.ndarray) -> np.ndarray:
    """``MAN_2D`` / ``MAN_3D``: ``nint(|xd| + |yd| [+ |zd|])``."""
    return nint(np.abs(_differences(coords)).sum(-1))


def maximum_distances(coords: np.ndarray) -> np.ndarray:
    """``MAX_2D`` / ``MAX_3D``: ``max(nint(|xd|), nint(|yd|) [, nint(|zd|)])``."""
    return nint(np.abs(_differences(coords))).max(-1)


def att_distances(coords: np.ndarray) -> np.ndarray:
    """``ATT``, the pseudo-Euclidean distance of att48 and att532.

    ``r = sqrt((xd² + yd²) / 10)``, ``t = nint(r)``, and the distance is ``t + 1`` when
    ``t < r``, else ``t``.
    """
    r = np.sqrt((_differences(coords) ** 2).sum(-1) / 10.0)
    t = nint(r)
    return np.where(t < r, t + 1, t)


def _geo_radians(x: np.ndarray) -> np.ndarray:
    """TSPLIB's ``DDD.MM`` (degrees, minutes) → radians, with ``deg = (int) x``."""
    degrees = np.trunc(x)
    minutes = x - degrees
    return GEO_PI * (degrees + 5.0 * minutes / 3.0) / 180.0


def geo_distances(coords: np.ndarray) -> np.ndarray:
    """``GEO``: distances in km on TSPLIB's idealised sphere, truncated as TSPLIB does.

    Each coordinate is ``DDD.MM`` (latitude, longitude). With ``q1 = cos(lon_i - lon_j)``,
    ``q2 = cos(lat_i - lat_j)`` and ``q3 = cos(lat_i + lat_j)``, the distance is
    ``(int) (6378.388 · acos(½((1 + q1) q2 - (1 - q1) q3)) + 1)``; the diagonal is 0.
    """
    coords = np.asarray(coords, dtype=np.float64)
    latitude, longitude = _geo_radians(coords[:, 0]), _geo_radians(coords[:, 1])
    q1 = np.cos(longitude[:, None] - longitude[None, :])
    q2 = np.cos(latitude[:, None] - latitude[None, :])
    q3 = np.cos(latitude[:, None] + latitude[None, :])
    cosine = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
    distances = np.trunc(GEO_RADIUS * np.arccos(cosine) + 1.0).astype(np.int64)
    np.fill_diagonal(distances, 0)
    return distances


#: TSPLIB ``EDGE_WEIGHT_TYPE`` → (coordinate dimension, distance function).
METRICS: dict[str, tuple[int, Callable[[np.ndarray], np.ndarray]]] = {
    "EUC_2D": (2, rounded_euclidean),
    "EUC_3D": (3, rounded_euclidean),
    "CEIL_2D": (2, ceil_distances),
    "MAN_2D": (2, manhattan_distances),
    "MAN_3D": (3, manhattan_distances),
    "MAX_2D": (2, maximum_distances),
    "MAX_3D": (3, maximum_distances),
    "GEO": (2, geo_distances),
    "ATT": (2, att_distances),
}


def tsplib_distances(coords: np.ndarray, edge_weight_type: str) -> np.ndarray:
    """The TSPLIB distance matrix of ``coords`` (n, 2 or 3) for ``edge_weight_type``.

    Example:
        >>> tsplib_distances([[0, 0], [3, 4]], "EUC_2D").tolist()
        [[0, 5], [5, 0]]
    """
    if edge_weight_type not in METRICS:
        raise ValueError(
            f"EDGE_WEIGHT_TYPE {edge_weight_type!r} has no coordinate distance function; "
            f"use one of {', '.join(METRICS)}"
        )
    dimension, function = METRICS[edge_weight_type]
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != dimension:
        raise ValueError(
            f"EDGE_WEIGHT_TYPE {edge_weight_type} needs coordinates of shape (n, {dimension}), "
            f"got {coords.shape}"
        )
    return function(coords)
