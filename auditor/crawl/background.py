"""Work started beside a run's crawl (evidence captures, listing images): tracked, drained, cancelled at a stop."""

from __future__ import annotations

import asyncio
from typing import Coroutine


class Background:
    """A set of tasks: `start` one, `drain` waits until none is left, `cancel` stops those in flight."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, work: Coroutine) -> asyncio.Task:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
