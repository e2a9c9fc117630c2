"""One audit run at a time per database, across processes: an advisory lock on `<database>.lock`.

The lock is the operating system's (flock): it is released when the process ends, however it ends,
so a run killed with -9 never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from auditor.errors import RunLocked


def lock_path(database: Path, what: str = "") -> Path:
    return Path(f"{database}{'.' + what if what else ''}.lock")


@contextmanager
def scheduler_lock(database: Path) -> Iterator[None]:
    """One `auditor schedule` per database: a second one would fire every audit twice."""
    with _exclusive(lock_path(database, "scheduler"), wait=False, timeout=None, poll=0.5,
                    refuse=lambda holder: f"another `auditor schedule` (pid {holder}) already runs the daily audit on "
                                          f"{database}: one scheduler per database (stop it first, or leave it be)"):
        yield


@contextmanager
def run_lock(database: Path, *, wait: bool = False, timeout: float | None = None, poll: float = 0.5) -> Iterator[None]:
    """Hold the run lock for the block; without wait, a held lock raises RunLocked at once."""
    with _exclusive(lock_path(database), wait=wait, timeout=timeout, poll=poll,
                    refuse=lambda holder: f"another audit run (pid {holder}) is using {database}; "
                                          f"wait for it with `auditor run --wait`, or see `auditor runs`"):
        yield


@contextmanager
def _exclusive(path: Path, *, wait: bool, timeout: float | None, poll: float, refuse) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    raise RunLocked(refuse(holder)) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing the descriptor releases the lock
