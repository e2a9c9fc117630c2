"""The daily audit with APScheduler 3.x: the config's cron in its time zone, one run at a time."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from auditor.config import ScheduleSettings, load_config
from auditor.demo.hosting import demo_hosts
from auditor.errors import AuditorError
from auditor.pipeline import AuditOptions, open_store, run_audit
from auditor.sites import PROFILES

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600  # a run missed while the machine slept still runs once on waking


def trigger_for(settings: ScheduleSettings) -> CronTrigger:
    """The cron trigger; the time zone is passed to the trigger itself (APScheduler ignores the scheduler's)."""
    try:
        return CronTrigger.from_crontab(settings.cron, timezone=settings.zone)
    except ValueError as e:
        raise AuditorError(f"schedule.cron {settings.cron!r}: {e}") from None


def scheduled_run(config_path: str) -> None:
    """The scheduled job: re-reads config and rules each time, records failures instead of dying."""
    try:
        config = load_config(Path(config_path), known_sites=set(PROFILES))
        with open_store(config) as store:  # after an on-demand run, not instead of it
            summary = run_audit(config, store, AuditOptions(kind="scheduled", wait=True, hosts=demo_hosts(config)))
        log.info("scheduled run %d %s; report in %s", summary.run_id, summary.status, summary.report_dir)
    except AuditorError as e:
        log.error("scheduled run failed: %s", e)
    except Exception:
        log.exception("scheduled run crashed")


def build_scheduler(config_path: Path, settings: ScheduleSettings, job: Callable[[str], None] = scheduled_run,
                    trigger=None) -> BlockingScheduler:
    """The scheduler with the daily job (`trigger` replaces the config's cron, for tests)."""
    scheduler = BlockingScheduler(timezone=settings.zone)
    scheduler.add_job(job, trigger or trigger_for(settings), args=[str(config_path)], id="daily-audit",
                      max_instances=1, coalesce=True, misfire_grace_time=MISFIRE_GRACE_SECONDS)
    return scheduler


def next_fire(settings: ScheduleSettings, now: datetime) -> datetime | None:
    return trigger_for(settings).get_next_fire_time(None, now)
