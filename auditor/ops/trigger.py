"""The schedule's cron trigger, one for the scheduler (ops.schedule) and for health's due time (ops.health)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from auditor.config import ScheduleSettings
from auditor.errors import AuditorError


def trigger_for(settings: ScheduleSettings, *, followups: bool = False) -> CronTrigger:
    """The cron trigger (of the daily runs, or of the follow-ups); the time zone is passed to the trigger itself
    (APScheduler ignores the scheduler's)."""
    cron, key = (settings.followups, "schedule.followups") if followups else (settings.cron, "schedule.cron")
    try:
        return CronTrigger.from_crontab(cron, timezone=settings.zone)
    except ValueError as e:
        raise AuditorError(f"{key} {cron!r}: {e}") from None
