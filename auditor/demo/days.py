"""`auditor demo`: audit the demo marketplace over simulated days, and score each day against its truth."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from auditor.config import Config
from auditor.demo import score
from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.demo.world import DemoWorld
from auditor.images.banks import DEFAULT_BANK, add_listing_images
from auditor.images.networks import seller_networks
from auditor.models import RunSummary
from auditor.run.pipeline import AuditOptions, run_audit
from auditor.store import Store

MORNING = dtime(6, 0)
REVIEWER = "demo reviewer"


@dataclass(frozen=True)
class DayResult:
    day: int
    date: date
    summary: RunSummary
    precision: float
    recall: float
    states_right: int
    states_total: int
    wrong: dict[tuple[str, str], tuple[str | None, str | None]]  # key -> (audit's state, true state)
    network_precision: float = 1.0  # seller networks found by shared pictures, against the truth
    network_recall: float = 1.0

    @property
    def state_share(self) -> float:
        return self.states_right / self.states_total if self.states_total else 1.0


def _fresh(config: Config) -> None:
    """The demo starts afresh: its own database and reports, never the team's (see Config.for_demo)."""
    db = Path(config.database)
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    if Path(config.reports_dir).is_dir():
        shutil.rmtree(config.reports_dir)


def day_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` when made and runs on in real time from there."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def confirm_true_hits(config: Config, store: Store, world: DemoWorld, day: int, run_id: int, at: datetime) -> int:
    """The demo's reviewer: confirms each listing the run flagged that the truth says is a violation, which puts
    its pictures into the bank of confirmed images (the next day's re-listings are caught through it)."""
    added = 0
    for site, item_id in sorted(set(store.flagged_keys(run_id)) & world.flagged_truth(day)):
        added += add_listing_images(store, DEFAULT_BANK, site, item_id, REVIEWER, at)
    return added


def run_days(config: Config, days: int, *, today: date | None = None, fresh: bool = True,
             on_progress=None, audit: Callable[..., RunSummary] = run_audit) -> Iterator[DayResult]:
    """Audit days 1..N of the demo world, the last one being today, each in its own morning; yield each day's score.
    `audit` starts each day's run (`auditor demo` hands in ops' start_audit, which sends the run's alerts)."""
    if fresh:
        _fresh(config)
    zone = config.schedule.zone
    today = today or datetime.now(zone).date()
    first = datetime.combine(today - timedelta(days=days - 1), MORNING, tzinfo=zone)
    world = DemoWorld(config.demo.seed, config.demo.listings, epoch=first.astimezone(timezone.utc))
    for n in range(1, days + 1):
        start = first + timedelta(days=n - 1)
        with Store(config.database) as store:
            summary = audit(config, store, AuditOptions(
                targets=demo_targets(), kind="demo", hosts=demo_hosts(config, world, n),
                clock=day_clock(start.astimezone(timezone.utc)), on_progress=on_progress))
            flagged = set(store.flagged_keys(summary.run_id))
            precision, recall = score(flagged, world.flagged_truth(n))
            got = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(summary.run_id)}
            confirm_true_hits(config, store, world, n, summary.run_id, start)
            found_networks = {frozenset(n.sellers) for n in seller_networks(store)}
        truth = world.states(n)
        keys = set(got) | set(truth)
        wrong = {k: (got.get(k), truth.get(k)) for k in keys if got.get(k) != truth.get(k)}
        yield DayResult(n, start.date(), summary, precision, recall, len(keys) - len(wrong), len(keys), wrong,
                        *score(found_networks, world.networks(n)))
