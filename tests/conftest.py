"""Shared fixtures: a config over temporary paths, the demo server, the browser.

The store, queue and end-to-end tests (POSTGRES_TOO) run twice: on a SQLite file and on a fresh schema of a
throwaway PostgreSQL cluster (tests/pgserver.py), which starts once, on first need. Every other test runs on
SQLite only. Where PostgreSQL is not installed, the [postgresql] runs skip, saying so."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditor.config import Config, CrawlSettings, BrowserSettings, DemoSettings
from auditor.crawl.addresses import AddressPolicy
from auditor.demo import generate, serve_demo
from auditor.store import Store

ROOT = Path(__file__).resolve().parent.parent
os.environ["AUDITOR_LANG"] = "en"  # what the tests read is English, whatever the machine's locale; a test of
# Japanese asks for it (tests/test_terminal_ja.py)
RULES = ROOT / "rules"


_LOG = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifg]")


def untranslated(text: str) -> list[str]:
    """The keys of the message table whose English wording (a phrase of ten characters or more, between its
    placeholders) shows in this text, which should be Japanese: a message someone forgot to translate."""
    from auditor.i18n import MESSAGES

    en, ja = MESSAGES["en"], MESSAGES["ja"]
    pieces = {piece: key for key, v in en.items() if ja.get(key) != v and not _LOG.search(v) for piece in
              (p.strip(" .,:;()·–-") for p in re.split(r"\{[^}]*\}", re.sub(r"`[^`]*`", "", v)))  # `a command`
              if len(piece) >= 10 and " " in piece}  # is no English; a log line's template (%s) is the terminal's
    text = re.sub(r"\s+", " ", text)
    return sorted({key for piece, key in pieces.items() if piece in text})
SHARED = ROOT.parent / "shared"
LOCAL = AddressPolicy.allowing("127.0.0.1")  # the tests' servers; every other private address stays refused


POSTGRES_TOO = {"test_store", "test_review", "test_notices", "test_shadow", "test_e2e_audit", "test_workers", "test_day_story"}


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL cluster for the session (started on first need, removed at the end)."""
    with cluster() as started:
        yield started


@contextmanager
def cluster():
    """A throwaway PostgreSQL cluster, removed afterwards; the test is skipped, saying why, where none can start."""
    import pgserver

    try:
        started = pgserver.start()
    except RuntimeError as e:
        pytest.skip(f"PostgreSQL: {e}")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database(backend: str, tmp_path: Path, request) -> Path | str:
    """The test's database: a SQLite file in its folder, or a schema of its own on the PostgreSQL cluster."""
    if backend == "sqlite":
        return tmp_path / "auditor.db"
    return request.getfixturevalue("pg_cluster").schema_url()


def pytest_collection_modifyitems(config, items):
    """[postgresql] runs only for the modules that test the store, the queue and whole audits."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("backend") == "postgresql" and item.module.__name__.rsplit(".", 1)[-1] not in POSTGRES_TOO:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def config(tmp_path: Path, database, backend) -> Config:
    """The shipped rules, a temporary database and reports folder, a fast polite-enough crawl."""
    return Config(
        database=database, reports_dir=tmp_path / "reports", rules_dir=RULES,
        data_dir=None if backend == "sqlite" else tmp_path / "data",  # SQLite: beside its file, as users have it
        browser=BrowserSettings(concurrency=4),
        crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10,
                            allow_addresses=["127.0.0.1"]),  # the tests' local servers; 127.0.0.2 stays internal
        demo=DemoSettings(seed=7, listings=300),
    )


@pytest.fixture
def store(database):
    with Store(database) as s:
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
