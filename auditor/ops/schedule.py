"""The daily audit with APScheduler 3.x: the config's cron in its time zone, one run at a time."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from auditor.config import ScheduleSettings, load_config
from auditor.demo.hosting import demo_hosts
from auditor.errors import AuditorError, NotWritable
from auditor.i18n import tr
from auditor.models import FOLLOWUP
from auditor.ops.audit import start_audit
from auditor.ops.notify import notify_not_started
from auditor.ops.trigger import trigger_for
from auditor.run.pipeline import AuditOptions, NothingToFollow, open_store
from auditor.sites import PROFILES

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600  # a run missed while the machine slept still runs once on waking
STOP = threading.Event()  # set when the scheduler is told to stop: its run in flight ends as interrupted


def _job(config_path: str, kind: str, label: str) -> None:
    """One run the scheduler starts: re-reads config and rules each time, records failures instead of dying."""
    if STOP.is_set():
        return  # the scheduler is stopping: no new run
    try:
        config = load_config(Path(config_path), known_sites=set(PROFILES))
        with open_store(config) as store:  # after an on-demand run, not instead of it
            summary = start_audit(config, store, AuditOptions(kind=kind, wait=True, hosts=demo_hosts(config),
                                                            stop=STOP))
        log.info("%s run %d %s; report in %s", label, summary.run_id, summary.status, summary.report_dir)
    except KeyboardInterrupt as e:
        log.warning("%s run interrupted: %s; `auditor run --resume` carries it on", label, e)
    except NothingToFollow as e:  # a follow-up with no listing followed yet: nothing was recorded
        log.info("%s: %s", label, e)
    except NotWritable as e:  # no run began, so no run alert follows: the team is told here, not at the next check
        log.error("%s run could not start: %s", label, e)
        notify_not_started(config, kind, e)
    except AuditorError as e:
        log.error("%s run failed: %s", label, e)
    except Exception:
        log.exception("%s run crashed", label)


def scheduled_run(config_path: str) -> None:
    """The daily job."""
    _job(config_path, "scheduled", "scheduled")


def followup_run(config_path: str) -> None:
    """The follow-up job (schedule.followups): only the followed listings, between the daily runs."""
    _job(config_path, FOLLOWUP, "follow-up")


def build_scheduler(config_path: Path, settings: ScheduleSettings, job: Callable[[str], None] = scheduled_run,
                    trigger=None, followup: Callable[[str], None] = followup_run) -> BlockingScheduler:
    """The scheduler with the daily job (`trigger` replaces the config's cron, for tests) and, with
    schedule.followups, the follow-up job; one run at a time either way (the run lock: a follow-up due while the
    daily run goes waits for it)."""
    scheduler = BlockingScheduler(timezone=settings.zone)
    scheduler.add_job(job, trigger or trigger_for(settings), args=[str(config_path)], id="daily-audit",
                      max_instances=1, coalesce=True, misfire_grace_time=MISFIRE_GRACE_SECONDS)
    if settings.followups:
        scheduler.add_job(followup, trigger_for(settings, followups=True), args=[str(config_path)], id="followups",
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
    return scheduler


def next_fire(settings: ScheduleSettings, now: datetime) -> datetime | None:
    return trigger_for(settings).get_next_fire_time(None, now)


def run_scheduler(config_path: Path, settings: ScheduleSettings, database: Path, trigger=None,
                  echo=lambda message: None) -> None:
    """The scheduler in the foreground until SIGTERM or Ctrl-C, one per database; on either, a run in flight
    is interrupted (recorded so, resumable with `auditor run --resume`) before the process exits."""
    from auditor.run.runlock import scheduler_lock

    with scheduler_lock(database):
        scheduler = build_scheduler(config_path, settings, trigger=trigger)
        STOP.clear()

        def stop(signum, frame) -> None:
            echo(tr("stopping ({name}): the run in flight, if any, is interrupted", name=signal.Signals(signum).name))
            STOP.set()
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

        before = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            scheduler.start()
        finally:
            for s, handler in before.items():
                signal.signal(s, handler)
