"""Progress bars for a task's own counters, drawn with tqdm on a terminal only."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """A progress bar over ``total`` units of a task's work; silent off a terminal.

    The bar is drawn on stderr by rank 0 when stderr is a terminal, and shows the metrics
    last logged through the run context. Use it as a context manager, or call
    :meth:`close`.

    :param total: units of work (steps, epochs, instances).
    :param description: a short label shown before the bar.
    :param initial: units already done (after a resume).
    :param enabled: draw the bar at all (the context passes ``rank == 0``).
    :param stream: where to draw; defaults to ``sys.stderr``.

    Example:
        >>> with Progress(3, "demo", enabled=False) as bar:
        ...     for _ in range(3):
        ...         bar.update()
        >>> bar.n
        3
    """

    def __init__(
        self,
        total: int | None,
        description: str = "",
        *,
        initial: int = 0,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        stream = stream if stream is not None else sys.stderr
        self.n = initial
        self.total = total
        self._bar: Any = None
        self._shown: dict[str, Any] = {}
        if enabled and _is_terminal(stream):
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=description or None,
                initial=initial,
                file=stream,
                dynamic_ncols=True,
                leave=True,
            )

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` units."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)

    def show(self, metrics: Mapping[str, float]) -> None:
        """Show ``metrics`` beside the bar (each metric's last value)."""
        if self._bar is not None:
            self._shown.update(
                (k, f"{v:.4g}" if isinstance(v, float) else v) for k, v in metrics.items()
            )
            self._bar.set_postfix(self._shown, refresh=False)

    def close(self) -> None:
        """Stop drawing the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
