"""One audit run at a time per database, across processes: an advisory lock on `<database>.lock`.

The lock is the operating system's (flock): it is released when the process ends, however it ends,
so a run killed with -9 never leaves a stale lock behind. With PostgreSQL it is the server's session
advisory lock, which holds across machines and goes with the connection, however its process ends.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from auditor.databases import is_postgres_url, redacted
from auditor.errors import RunLocked


def lock_path(database: Path, what: str = "") -> Path:
    return Path(f"{database}{'.' + what if what else ''}.lock")


@contextmanager
def scheduler_lock(database: Path | str) -> Iterator[None]:
    """One `auditor schedule` per database: a second one would fire every audit twice."""
    if is_postgres_url(database):
        with _server_lock(str(database), SCHEDULER, wait=False, timeout=None, poll=0.5,
                          refuse=lambda holder: f"another `auditor schedule` ({holder}) already runs the daily audit on "
                                                f"{redacted(str(database))}: one scheduler per database"):
            yield
        return
    with _exclusive(lock_path(database, "scheduler"), wait=False, timeout=None, poll=0.5,
                    refuse=lambda holder: f"another `auditor schedule` (pid {holder}) already runs the daily audit on "
                                          f"{database}: one scheduler per database (stop it first, or leave it be)"):
        yield


@contextmanager
def run_lock(database: Path | str, *, wait: bool = False, timeout: float | None = None, poll: float = 0.5) -> Iterator[None]:
    """Hold the run lock for the block; without wait, a held lock raises RunLocked at once."""
    if is_postgres_url(database):
        with _server_lock(str(database), RUN, wait=wait, timeout=timeout, poll=poll,
                          refuse=lambda holder: f"another audit run ({holder}) is using {redacted(str(database))}; "
                                                f"wait for it with `auditor run --wait`, or see `auditor runs`"):
            yield
        return
    with _exclusive(lock_path(database), wait=wait, timeout=timeout, poll=poll,
                    refuse=lambda holder: f"another audit run (pid {holder}) is using {database}; "
                                          f"wait for it with `auditor run --wait`, or see `auditor runs`"):
        yield


RUN, SCHEDULER = 0x4155_4452, 0x4155_4454  # PostgreSQL advisory lock keys ("AUDR", "AUDT")


@contextmanager
def _server_lock(url: str, key: int, *, wait: bool, timeout: float | None, poll: float, refuse) -> Iterator[None]:
    import psycopg

    conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                           application_name=f"auditor pid {os.getpid()} on {socket.gethostname()}"[:63])
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not conn.execute("select pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                holder = conn.execute(
                    "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid"
                    " where l.locktype = 'advisory' and l.objid = %s and l.granted", (key,)).fetchone()
                raise RunLocked(refuse(holder[0] if holder and holder[0] else "another process"))
            time.sleep(poll)
        yield
    finally:
        conn.close()  # the session's advisory lock goes with it


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
