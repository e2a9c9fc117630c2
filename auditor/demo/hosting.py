"""The demo marketplace started for a run whose targets point at it (`demo:/...`), as a URL alias."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from auditor.config import Config, Target
from auditor.demo.server import serve_demo
from auditor.demo.world import DemoWorld

log = logging.getLogger(__name__)

SCHEME = "demo:"
RATE = 200.0  # requests/s: the demo server is local, politeness costs only time


def demo_targets() -> list[Target]:
    """The two sections of the bundled demo marketplace, as config targets (every listing's pictures checked)."""
    return [
        Target(name="demo-auction", site="demo_auction", start_urls=[f"{SCHEME}/auction/search"],
               requests_per_second=RATE, images="all"),
        Target(name="demo-fleamarket", site="demo_fleamarket", start_urls=[f"{SCHEME}/flea/search"],
               requests_per_second=RATE, images="all"),
    ]


def uses_demo(targets: list[Target]) -> bool:
    return any(u.startswith(SCHEME) for t in targets for u in t.start_urls) or any(
        (t.base_url or "").startswith(SCHEME) for t in targets)


def demo_hosts(config: Config, world: DemoWorld | None = None, day: int | None = None):
    """The `hosts` of a run: serves the demo marketplace (day N of its world) when a target needs it."""
    world = world or DemoWorld(config.demo.seed, config.demo.listings)
    day = day or config.demo.day

    @contextmanager
    def hosts(targets: list[Target]) -> Iterator[dict[str, str]]:
        if not uses_demo(targets):
            yield {}
            return
        with serve_demo(world.catalog(day), faults=world.faults(day)) as server:
            log.info("demo marketplace (day %d) on %s", day, server.url)
            yield {SCHEME: server.url}

    return hosts
