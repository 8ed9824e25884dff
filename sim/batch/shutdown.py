"""Orderly shutdown of many-run commands on SIGTERM and SIGINT.

While a command runs inside :func:`stopping_on_signals`, SIGTERM and SIGINT raise
:class:`Stopped` in the main thread (later signals are ignored while it cleans up;
:func:`check_stop` raises it again where it was lost).
The engine then ends and reaps its workers, keeps every finished run, and writes
the summary of what is done; :func:`orderly` stops the multiprocessing fork server
and resource tracker (:func:`stop_helpers`) and turns the exception into one line
on standard error and the exit code 128 + signal number (130 for SIGINT, 143 for
SIGTERM), the shell convention. Running the same command again resumes.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Stopped(KeyboardInterrupt):
    """The command was asked to stop by a signal.

    A KeyboardInterrupt, so that code that already cleans up after Ctrl-C cleans up
    after SIGTERM too.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The process exit code for the signal: 128 plus its number (130, 143)."""
        return 128 + self.signum

    @property
    def name(self) -> str:
        """The signal's name (``SIGTERM``, ``SIGINT``)."""
        return signal.Signals(self.signum).name


SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Signals received inside :func:`stopping_on_signals`, for :func:`check_stop`.
_received: list[int] = []


def check_stop() -> None:
    """Raise :class:`Stopped` again if a stop signal came and its exception was lost.

    Python cannot raise from a handler that runs inside a C callback (numba's compiler
    calls back into Python while it writes its cache): the exception is printed and
    dropped there. The engine calls this after every run, so such a stop still stops
    the command at the next run.
    """
    if _received:
        raise Stopped(_received[0])


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
        _received.append(signum)
        raise Stopped(signum)

    _received.clear()
    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    finally:
        _received.clear()
        for s, h in previous.items():
            signal.signal(s, h)


def orderly(run: Callable[[Any], int], resumable: bool = True) -> Callable[[Any], int]:
    """Wrap a command's ``run(args)`` so that signals stop it in order.

    A stop prints one line and exits with code 130 (SIGINT) or 143 (SIGTERM).
    ``resumable``: the command keeps its finished runs (else it writes only at the end,
    and the line says nothing was).

    Once the interruption has been handled (the engine has ended its workers), the
    objects of the stopped runs are freed and the fork server and resource tracker
    stopped (:func:`stop_helpers`), so that nothing the command started outlives it.
    """

    @functools.wraps(run)
    def wrapped(args: Any) -> int:
        stopped: Stopped | None = None
        try:
            with stopping_on_signals():
                return run(args)
        except Stopped as exc:
            stopped = Stopped(exc.signum)  # without the traceback and its frames
        gc.collect()  # queues of the ended workers release their semaphores now
        stop_helpers()
        out = getattr(args, "out", None)
        where = f" in {out}" if out else ""
        said = (
            f"finished runs are kept{where}; run the same command again to resume"
            if resumable
            else "nothing was written"
        )
        print(f"homesim: stopped by {stopped.name}; {said}", file=sys.stderr)
        return stopped.exit_code

    return wrapped


#: Seconds a helper process has to exit by itself before it is killed.
HELPER_GRACE = 3.0


def stop_helpers() -> None:
    """End the multiprocessing fork server and resource tracker of this process.

    They would end by themselves once this process exits, but only after it; stopping
    them here means that nothing the command started outlives it. Each is asked to
    stop (its pipe closed) and given :data:`HELPER_GRACE` seconds; one that does not
    stop (a fork server blocked on a request cut short by the signal) is killed, with
    any worker it was still starting. Both restart on demand if processes are
    started again.
    """
    from multiprocessing import forkserver, resource_tracker

    fs = getattr(forkserver, "_forkserver", None)
    if fs is not None and getattr(fs, "_forkserver_pid", None) is not None:
        pid = fs._forkserver_pid
        kids = _descendants(pid)
        _close(fs, "_forkserver_alive_fd")
        _end(pid, kids)
        fs._forkserver_pid = None
        address = getattr(fs, "_forkserver_address", None)
        if isinstance(address, str) and not address.startswith("\0"):
            with contextlib.suppress(OSError):
                os.unlink(address)
        fs._forkserver_address = None
    rt = getattr(resource_tracker, "_resource_tracker", None)
    if rt is not None and getattr(rt, "_pid", None) is not None:
        pid = rt._pid
        _close(rt, "_fd")
        _end(pid, [])
        rt._pid = None


def _close(helper: Any, attr: str) -> None:
    fd = getattr(helper, attr, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        setattr(helper, attr, None)


def _end(pid: int, kids: list[int]) -> None:
    """Wait for a child of ours to exit (kill it after the grace) and reap it.

    Then kill the processes it had started, if any is left.
    """
    deadline = time.monotonic() + HELPER_GRACE
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    for kid in kids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(kid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (read from /proc; empty where there is none)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc").exists() else ():
        try:
            text = entry.read_text()
            ppid = int(text[text.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry.parent.name))
    out, todo = [], [pid]
    while todo:
        for kid in parents.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out
