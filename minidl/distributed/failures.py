"""When one rank fails, stop them all: the abort hook and the collective watchdog.

MPI ranks wait for each other inside collectives. If one rank dies with an uncaught
Python exception, the interpreter exits normally on that rank while the others wait in
their next collective forever. Two guards turn that hang into a prompt, clear failure:

- ``install_abort_hook``: an uncaught exception prints its traceback as usual, then
  calls MPI_Abort, which makes ``mpiexec`` stop every rank and exit non-zero (the design
  of ChainerMN's global except hook).
- ``Watchdog``: a thread that watches the collective in progress; when one takes longer
  than the timeout (a rank hangs, or left without raising), it prints which collective
  and which rank, and aborts the job.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def install_abort_hook(rank: int, world_size: int, abort: Callable[[str], None]) -> None:
    """Make an uncaught exception on this rank abort the whole job (after its traceback)."""
    previous_hook = sys.excepthook

    def abort_on_uncaught_exception(kind, value, traceback) -> None:
        try:
            previous_hook(kind, value, traceback)
        finally:
            abort(
                f"minidl.distributed: uncaught {kind.__name__} on rank {rank} of {world_size}; "
                "calling MPI_Abort so that the other ranks stop instead of waiting for it"
            )

    sys.excepthook = abort_on_uncaught_exception


class Watchdog:
    """Aborts the job when one collective runs longer than ``timeout`` seconds.

    ``with watchdog.watch("Allreduce of 4 KiB in allreduce_gradients"): ...`` arms it
    for that call. One daemon thread sleeps until the deadline of the collective in
    progress; the rank's own thread is blocked inside MPI (which releases Python's lock),
    so only another thread can notice the hang. ``timeout=None`` turns it off.
    """

    def __init__(self, timeout: float | None, rank: int, abort: Callable[[str], None]) -> None:
        self.timeout = timeout
        self.rank = rank
        self._abort = abort
        self._condition = threading.Condition()
        self._watched: tuple[str, float] | None = None  # (what, deadline)
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, what: str) -> Iterator[None]:
        if self.timeout is None:
            yield
            return
        with self._condition:
            self._watched = (what, time.monotonic() + self.timeout)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._wait_for_deadlines, name="minidl-watchdog", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                self._watched = None

    def _wait_for_deadlines(self) -> None:
        with self._condition:
            while True:
                if self._watched is None:
                    self._condition.wait()
                    continue
                what, deadline = self._watched
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    self._condition.wait(remaining)
                    continue
                break
        self._abort(
            f"minidl.distributed: rank {self.rank} waited more than {self.timeout:g} s in "
            f"{what}; another rank is probably stuck or gone. Aborting the job "
            "(raise the limit with minidl.distributed.init(timeout=...))"
        )
