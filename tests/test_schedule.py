"""The daily schedule: the config's cron in its time zone, one run at a time, one catch-up run."""

from datetime import datetime, timezone

import pytest

from auditor.config import ScheduleSettings
from auditor.errors import AuditorError
from auditor.ops.schedule import MISFIRE_GRACE_SECONDS, build_scheduler, next_fire


def test_next_fire_is_in_the_configured_time_zone_whatever_the_machine_says():
    settings = ScheduleSettings(cron="0 6 * * *", timezone="Asia/Tokyo")
    fire = next_fire(settings, datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc))  # 09:30 in Tokyo
    assert fire.astimezone(timezone.utc) == datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc)  # 06:00 on the 26th


def test_the_job_never_overlaps_and_catches_up_once():
    scheduler = build_scheduler("config.yaml", ScheduleSettings(cron="*/5 * * * *", timezone="UTC"), job=print)
    [job] = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, MISFIRE_GRACE_SECONDS)
    assert job.args == ("config.yaml",)


def test_follow_ups_between_the_daily_runs_are_a_job_of_their_own_on_their_cron():
    settings = ScheduleSettings(cron="0 6 * * *", followups="0 */6 * * *", timezone="Asia/Tokyo")
    scheduler = build_scheduler("config.yaml", settings, job=print, followup=repr)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"daily-audit", "followups"} and jobs["followups"].func is repr
    fires = [jobs["followups"].trigger.get_next_fire_time(None, datetime(2026, 11, 25, 1, tzinfo=timezone.utc))]
    assert fires[0].isoformat() == "2026-11-25T12:00:00+09:00"  # the next six-hourly slot, in Tokyo
    assert len(build_scheduler("config.yaml", ScheduleSettings(), job=print).get_jobs()) == 1  # none unless asked
    with pytest.raises(ValueError, match="five fields"):
        ScheduleSettings(followups="every 6 hours")


def test_a_bad_cron_is_a_clear_error():
    with pytest.raises(AuditorError, match="schedule.cron '61 \\* \\* \\* \\*'"):
        next_fire(ScheduleSettings(cron="61 * * * *"), datetime(2026, 11, 25, tzinfo=timezone.utc))


def demo_config(tmp_path, listings: int, rate: int):
    """A config over the demo's auction section, evidence off, in a temporary folder."""
    from conftest import RULES

    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n"
                      f"evidence: {{enabled: false}}\ndemo: {{listings: {listings}}}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search'], "
                      f"requests_per_second: {rate}}}\n", encoding="utf-8")
    return config


@pytest.mark.e2e
def test_the_scheduler_fires_a_real_audit_at_its_cron_time(tmp_path):
    import sqlite3
    import threading
    import time

    from apscheduler.triggers.cron import CronTrigger

    config = demo_config(tmp_path, listings=20, rate=500)
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


@pytest.mark.e2e
def test_one_scheduler_per_database_and_sigterm_interrupts_its_run_cleanly(tmp_path):
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    config = demo_config(tmp_path, listings=600, rate=40)
    code = ("import sys\nfrom apscheduler.triggers.cron import CronTrigger\nfrom auditor.config import load_config\n"
            "from auditor.ops.schedule import run_scheduler\n"
            f"c = load_config({str(config)!r})\n"
            f"run_scheduler({str(config)!r}, c.schedule, c.database, trigger=CronTrigger(second='*/2', timezone=c.schedule.zone))\n")
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def observed() -> int:
        try:
            with sqlite3.connect(f"file:{tmp_path / 'a.db'}?mode=ro", uri=True, timeout=5) as c:
                return c.execute("select count(*) from observations").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    try:
        deadline = time.monotonic() + 60
        while observed() < 30:
            assert time.monotonic() < deadline and first.poll() is None, first.stderr.read() if first.poll() else "slow"
            time.sleep(0.1)
        second = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "schedule"],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3 and "another `auditor schedule`" in second.stderr + second.stdout
        first.send_signal(signal.SIGTERM)
        assert first.wait(120) is not None  # a hang guard only; the run it had started is interrupted (below)
    finally:
        if first.poll() is None:
            first.kill()
    with sqlite3.connect(tmp_path / "a.db") as c:
        runs = c.execute("select kind, status, error from runs").fetchall()
    assert len(runs) == 1 and runs[0][:2] == ("scheduled", "interrupted") and "scheduler" in runs[0][2]
