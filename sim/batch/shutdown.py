"""Orderly shutdown of many-run commands on SIGTERM and SIGINT.

While a command runs inside :func:`stopping_on_signals`, SIGTERM and SIGINT raise
:class:`Stopped` in the main thread (later signals are ignored while it cleans up).
The engine then stops and reaps its workers (:func:`stop_helpers` ends the
multiprocessing fork server and resource tracker too), keeps every finished run,
and writes the summary of what is done; :func:`orderly` turns the exception into
one line on standard error and the exit code 128 + signal number (130 for SIGINT,
143 for SIGTERM), the shell convention. Running the same command again resumes.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any


class Stopped(KeyboardInterrupt):
    """The command was asked to stop by a signal (a KeyboardInterrupt, so that code
    that already cleans up after Ctrl-C cleans up after SIGTERM too)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Stopped` here (main thread only; else no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}

    def handler(signum: int, frame: Any) -> None:
        for s in SIGNALS:  # a second signal must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
        raise Stopped(signum)

    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def orderly(run: Callable[[Any], int]) -> Callable[[Any], int]:
    """Wrap a command's ``run(args)``: signals stop it in order, with one line and
    exit code 130 (SIGINT) or 143 (SIGTERM)."""
    @functools.wraps(run)
    def wrapped(args: Any) -> int:
        try:
            with stopping_on_signals():
                return run(args)
        except Stopped as exc:
            out = getattr(args, "out", None)
            where = f" in {out}" if out else ""
            print(f"homesim: stopped by {exc.name}; finished runs are kept{where}; run "
                  "the same command again to resume", file=sys.stderr)
            return exc.exit_code
    return wrapped


def stop_helpers() -> None:
    """End the multiprocessing fork server and resource tracker of this process.

    They would end by themselves once this process exits, but only after it; stopping
    them here means that nothing the command started outlives it. Both restart on
    demand if processes are started again.
    """
    from multiprocessing import forkserver, resource_tracker
    for helper in (getattr(forkserver, "_forkserver", None),
                   getattr(resource_tracker, "_resource_tracker", None)):
        stop = getattr(helper, "_stop", None)
        if stop is None:
            continue
        with suppress(OSError, ChildProcessError, AttributeError):
            stop()
