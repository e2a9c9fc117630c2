"""What one image shows: its PDQ hashes, the provenance it declares, and (opt-in) the nudity detector's labels.

`analyse` is the whole of it for one image's bytes. During a run, `Analyser` does it in a process of
its own at a lower CPU priority: PDQ and the detector hold Python's GIL for milliseconds an image,
which in the run's own process would stall the crawl's event loop, and on a busy machine the crawl
should get the CPU first. The process ignores Ctrl-C (the run stops it), dies with its parent, and
is forked rather than spawned: a spawned pool also starts multiprocessing's resource tracker, which
outlives a stopped run as a process nobody reaps. What it runs is imported before it is forked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import signal
from dataclasses import dataclass

from auditor.images.meta import read_meta
from auditor.images.pdq import Pdq, dihedral_hashes

NICE = 10  # the analysing process's CPU priority below the run's


@dataclass(frozen=True)
class Analysis:
    variants: tuple[Pdq, ...]  # the image itself first, then its rotations and mirror images
    meta: tuple[str, ...]  # provenance lines (images.meta.read_meta)
    nudity: tuple[tuple[str, float], ...] | None  # (label, score); None when the detector was not run


def analyse(data: bytes, nudity: bool = False) -> Analysis:
    """Hash, read and (if asked) run the detector on one image's bytes; BadImage if they are no image."""
    variants = tuple(dihedral_hashes(data))
    found = None
    if nudity:
        from auditor.images.nudity import detect

        found = tuple(detect(data))
    return Analysis(variants, tuple(read_meta(data)), found)


def _worker_start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the run decides
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the run
    except (OSError, AttributeError):
        pass
    try:
        os.nice(NICE)
    except OSError:
        pass


class Analyser:
    """`await analyser.analyse(data)` in one low-priority process, started at the first image; `close()` ends it."""

    def __init__(self, nudity: bool = False, processes: int = 1):
        self.nudity, self.processes = nudity, processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    async def analyse(self, data: bytes) -> Analysis:
        if self._pool is None:
            import pdqhash  # noqa: F401 - imported before the fork, so the child imports nothing

            if self.nudity:
                import nudenet  # noqa: F401 - its model is loaded in the child: onnxruntime's threads do not fork
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
        return await asyncio.get_running_loop().run_in_executor(self._pool, analyse, data, self.nudity)

    def close(self) -> None:
        """End the process now (a stopped run must leave nothing behind; the analysis keeps no state)."""
        if self._pool is not None:
            processes = list((self._pool._processes or {}).values())  # noqa: SLF001 - no public handle to them
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.terminate()
            for p in processes:
                p.join(5)
            self._pool = None
