"""How SIGTERM and Ctrl-C stop a run: cleanly while its event loop runs, at once elsewhere."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger("auditor.run.pipeline")


class Stopper:
    """SIGTERM and SIGINT end a run. While the event loop runs, by cancelling its main task, so the crawl,
    the captures and the browser unwind in order and nothing prints a traceback; elsewhere by raising
    KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._task: asyncio.Task | None = None

    def attach(self, task: asyncio.Task | None) -> None:
        self._task, self._loop = task, asyncio.get_running_loop() if task else None

    GRACE = 10  # seconds to unwind; then (or at a second signal) the run stops at once

    def __call__(self, signum, frame) -> None:
        first, self.signal = self.signal is None, signal.Signals(signum).name
        if first and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
            self._loop.call_soon_threadsafe(self._loop.call_later, self.GRACE, self._force)
        else:
            raise self.interrupted()

    def _force(self) -> None:
        if self._task is not None and not self._task.done():
            log.warning("the run did not stop within %d s of %s: stopping it at once", self.GRACE, self.signal)
            raise self.interrupted()

    def interrupted(self) -> KeyboardInterrupt:
        return KeyboardInterrupt(f"signal {self.signal}")


@contextmanager
def signals_stop_the_run() -> Iterator[Stopper]:
    """SIGTERM and Ctrl-C stop the run in the main thread (elsewhere, the scheduler's stop event does)."""
    stopper = Stopper()
    if threading.current_thread() is not threading.main_thread():
        yield stopper
        return
    before = {s: signal.signal(s, stopper) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stopper
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
