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


@pytest.mark.e2e
def test_the_scheduler_fires_a_real_audit_at_its_cron_time(tmp_path):
    import sqlite3
    import threading
    import time

    from apscheduler.triggers.cron import CronTrigger

    from conftest import RULES

    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n"
                      "evidence: {enabled: false}\ndemo: {listings: 20}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search'], "
                      "requests_per_second: 500}\n", encoding="utf-8")
    settings = ScheduleSettings(cron="0 6 * * *", timezone="Asia/Tokyo")
    every_second = CronTrigger(second="*", timezone=settings.zone)  # a seconds-level cron for the test
    scheduler = build_scheduler(config, settings, trigger=every_second)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        done = []
        while not (done and (tmp_path / "reports" / "index.html").exists()) and time.monotonic() < deadline:
            time.sleep(0.5)
            if (tmp_path / "a.db").exists():
                with sqlite3.connect(tmp_path / "a.db") as c:
                    try:
                        done = c.execute("select id, listings_seen from runs where status = 'completed'").fetchall()
                    except sqlite3.OperationalError:
                        pass
    finally:
        scheduler.shutdown(wait=False)
    assert done and done[0][1] > 0  # the scheduled job ran a whole audit
    assert (tmp_path / "reports" / "index.html").exists()
