"""Shared fixtures: a config over temporary paths, the demo server, the browser."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditor.config import Config, CrawlSettings, BrowserSettings, DemoSettings
from auditor.crawl.addresses import AddressPolicy
from auditor.demo import generate, serve_demo
from auditor.store import Store

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SHARED = ROOT.parent / "shared"
LOCAL = AddressPolicy.allowing("127.0.0.1")  # the tests' servers; every other private address stays refused


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The shipped rules, a temporary database and reports folder, a fast polite-enough crawl."""
    return Config(
        database=tmp_path / "auditor.db", reports_dir=tmp_path / "reports", rules_dir=RULES,
        browser=BrowserSettings(concurrency=4),
        crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10,
                            allow_addresses=["127.0.0.1"]),  # the tests' local servers; 127.0.0.2 stays internal
        demo=DemoSettings(seed=7, listings=300),
    )


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "test.db") as s:
        yield s


@pytest.fixture
def small_catalog():
    return generate(seed=11, size=40)


@pytest.fixture
def demo_server(small_catalog):
    with serve_demo(small_catalog) as server:
        yield server


class FixedClock:
    """An injected clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()
