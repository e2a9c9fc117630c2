"""The daily schedule: the config's cron in its time zone, one run at a time, one catch-up run."""

from datetime import datetime, timezone

import pytest

from auditor.config import ScheduleSettings
from auditor.errors import AuditorError
from auditor.schedule import MISFIRE_GRACE_SECONDS, build_scheduler, next_fire


def test_next_fire_is_in_the_configured_time_zone_whatever_the_machine_says():
    settings = ScheduleSettings(cron="0 6 * * *", timezone="Asia/Tokyo")
    fire = next_fire(settings, datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc))  # 09:30 in Tokyo
    assert fire.astimezone(timezone.utc) == datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc)  # 06:00 on the 26th


def test_the_job_never_overlaps_and_catches_up_once():
    scheduler = build_scheduler("config.yaml", ScheduleSettings(cron="*/5 * * * *", timezone="UTC"), job=print)
    [job] = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, MISFIRE_GRACE_SECONDS)
    assert job.args == ("config.yaml",)


def test_a_bad_cron_is_a_clear_error():
    with pytest.raises(AuditorError, match="schedule.cron '61 \\* \\* \\* \\*'"):
        next_fire(ScheduleSettings(cron="61 * * * *"), datetime(2026, 11, 25, tzinfo=timezone.utc))
