"""One progress style for every many-run command.

On a terminal, a tqdm bar (runs done, runs per second, time left); when standard
error is not a terminal (a log file, CI, a pipe), a short line every
:data:`LINE_EVERY` seconds and one at the end; nothing at all with ``-q``.
A notebook gets tqdm's notebook bar (through ``tqdm.auto``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

#: Seconds between two progress lines when standard error is not a terminal.
LINE_EVERY = 5.0


class Progress(Protocol):
    """What the engine calls: more runs planned, runs done, end."""

    def add(self, n: int) -> None:
        """Count ``n`` more runs in the total (commands that plan runs in rounds)."""

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Count ``n`` runs as done; ``failed`` is the number failed so far."""

    def close(self) -> None:
        """End the display (the last line or the bar's final state)."""


class BarProgress:
    """A tqdm bar whose total can grow (commands that plan runs in rounds)."""

    def __init__(self, total: int, initial: int, desc: str):
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=total, initial=initial, desc=desc, unit="run", dynamic_ncols=True, smoothing=0.1
        )

    def add(self, n: int) -> None:
        """Grow the bar's total by ``n`` runs."""
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Advance the bar by ``n`` runs, showing the failures so far."""
        if failed:
            self.bar.set_postfix(failed=failed, refresh=False)
        self.bar.update(n)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


class LineProgress:
    """A line such as ``compare: 40/120 runs (3.2 runs/s, about 25 s left)`` now and then."""

    def __init__(
        self, total: int, initial: int, desc: str, stream: Any = None, every: float = LINE_EVERY
    ):
        self.total, self.done, self.desc = total, initial, desc
        self.initial = initial
        self.failed = 0
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.start = self.last = time.monotonic()

    def add(self, n: int) -> None:
        """Grow the total by ``n`` runs."""
        self.total += n

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Count ``n`` runs as done; print a line if :attr:`every` seconds have passed."""
        self.done += n
        self.failed = failed
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def close(self) -> None:
        """Print the last line."""
        self._line(time.monotonic())

    def _line(self, now: float) -> None:
        ran = self.done - self.initial
        rate = ran / (now - self.start) if now > self.start else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        text = f"{self.desc}: {self.done}/{self.total} runs ({rate:.1f} runs/s"
        text += (
            f", about {left:.0f} s left)" if left is not None and self.done < self.total else ")"
        )
        if self.failed:
            text += f", {self.failed} failed"
        print(text, file=self.stream, flush=True)


class CallbackProgress:
    """Calls ``report(done, total)`` after each run (a caller's own display)."""

    def __init__(self, report: Callable[[int, int], None]):
        self.report = report
        self.done = self.total = 0

    def add(self, n: int) -> None:
        """Grow the total by ``n`` runs."""
        self.total += n

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Count ``n`` runs as done and report ``(done, total)``."""
        self.done += n
        self.report(self.done, self.total)

    def close(self) -> None:
        """Nothing to close: the caller's display is its own."""
        pass


def make_progress(show: bool, total: int, initial: int = 0, desc: str = "runs") -> Progress | None:
    """The progress display for ``show`` (False: none): a bar on a terminal, else lines."""
    if not show:
        return None
    if _interactive():
        return BarProgress(total, initial, desc)
    return LineProgress(total, initial, desc)


def _interactive() -> bool:
    """A terminal or a notebook (where tqdm.auto draws a widget)."""
    if getattr(sys.stderr, "isatty", lambda: False)():
        return True
    return "ipykernel" in sys.modules
