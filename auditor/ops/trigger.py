"""The schedule's cron trigger, one for the scheduler (ops.schedule) and for health's due time (ops.health)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from auditor.config import ScheduleSettings
from auditor.errors import AuditorError


def trigger_for(settings: ScheduleSettings) -> CronTrigger:
    """The cron trigger; the time zone is passed to the trigger itself (APScheduler ignores the scheduler's)."""
    try:
        return CronTrigger.from_crontab(settings.cron, timezone=settings.zone)
    except ValueError as e:
        raise AuditorError(f"schedule.cron {settings.cron!r}: {e}") from None
