"""What one image shows: its PDQ hashes, the provenance it declares, and (opt-in) the nudity detector's labels.

`analyse` is the whole of it for one image's bytes. During a run, `Analyser` does it on one worker
thread beside the crawl, one image at a time. (A process of its own was tried: it kept the GIL off the
crawl's event loop, but a forked child inherits the run's lock and signal handlers, and a spawned
pool leaves multiprocessing's resource tracker behind a stopped run; the crawl's speed with
`images: all` barely moved, since on two cores the browser crawl already uses the CPU.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass

from auditor.images.meta import read_meta
from auditor.images.pdq import Pdq, dihedral_hashes


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


class Analyser:
    """`await analyser.analyse(data)` on one worker thread; `close()` lets it go."""

    def __init__(self, nudity: bool = False):
        self.nudity = nudity
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="image-analysis")

    async def analyse(self, data: bytes) -> Analysis:
        return await asyncio.get_running_loop().run_in_executor(self._pool, analyse, data, self.nudity)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
