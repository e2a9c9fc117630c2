"""Alerts through Apprise, to every configured URL that takes their event (auditor.ops.alerts says what they are).

A notification that fails is logged and recorded (the `notifications` table), never reported as sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import apprise

from auditor.config import Config, NotifySettings
from auditor.errors import AuditorError
from auditor.i18n import text, word
from auditor.models import RunSummary
from auditor.notices.track import due_notices, next_channel
from auditor.ops.alerts import Alert, run_alerts
from auditor.run.states import SEVERITY_RANK
from auditor.store import Store
from auditor.times import local_time

log = logging.getLogger(__name__)


def send(config: Config, store: Store, summary: RunSummary, at: datetime) -> list[tuple[str, str, bool]]:
    """Send a run's alerts to every configured URL that takes their event (new hits at or above its
    min_severity); record each attempt; returns (event, url, sent)."""
    results, worked_out = [], {}
    for target in config.notify:
        key = (SEVERITY_RANK[target.min_severity], target.unreviewed_hours, language(config, target))
        if key not in worked_out:
            worked_out[key] = run_alerts(store, summary, key[0], at, target.unreviewed_hours, key[2], config.schedule.zone)
        results += send_alerts(store, target, worked_out[key], at)
    due: dict[str, tuple[list[Alert], list[int]]] = {}
    told = []
    for target in config.notify:
        lang = language(config, target)
        if lang not in due:
            due[lang] = notice_due_alerts(config, store, at, lang)
        told += send_alerts(store, target, due[lang][0], at)
    ids = next(iter(due.values()))[1] if due else []
    if any(ok for _, _, ok in told):  # once per notice; a notice no destination took is told again after the next run
        store.mark_notice_told(ids, at)
    return results + told


def send_alerts(store: Store, target: NotifySettings, alerts: list[Alert], at: datetime) -> list[tuple[str, str, bool]]:
    """Those of these alerts whose event the destination takes, each sent and recorded."""
    results = []
    for alert in alerts:
        if alert.event not in target.on:
            continue
        ok = deliver(target, alert.title, alert.body, KIND_OF.get(alert.event, "info"))
        store.record_notification(alert.event, _redacted(target.url), ok, at)
        if not ok:
            log.error("notification %s to %s failed", alert.event, _redacted(target.url))
        results.append((alert.event, _redacted(target.url), ok))
    return results


def language(config: Config, target: NotifySettings) -> str:
    """A destination's language: its own, else the reports'."""
    return target.language or config.report.language


def notice_due_alerts(config: Config, store: Store, at: datetime, lang: str = "en") -> tuple[list[Alert], list[int]]:
    """One notice_due alert for the notices due again (no removal `notices.renotice_days` after sending) that no
    alert has named yet, with the channel to try next."""
    fresh = [n for n in due_notices(store, at, config.notices.renotice_days) if not n["due_told_at"]]
    if not fresh:
        return [], []
    lines = []
    for n in fresh[:20]:
        after = next_channel(config, n)
        lines.append(text(lang, "alert.notice_due.line", id=n["id"], channel=n["channel"], site=n["site"],
                          listings=n["listings"], sent=local_time(n["sent_at"], config.schedule.zone))
                     + (text(lang, "alert.notice_due.next", channel=after.label) if after else ""))
    more = "\n" + text(lang, "alert.notice_due.more", n=len(fresh) - 20) if len(fresh) > 20 else ""
    return ([Alert("notice_due", text(lang, "alert.notice_due.title", n=len(fresh)),
                   text(lang, "alert.notice_due.body", days=f"{config.notices.renotice_days:g}") + "\n"
                   + "\n".join(lines) + more)],
            [n["id"] for n in fresh])


KIND_OF = {"notice_due": "warning", "run_failed": "failure", "run_partial": "warning", "target_empty": "warning", "drift": "warning",
           "rule_flood": "warning", "new_critical": "warning", "unreviewed": "warning"}  # Apprise's notify types


def deliver(target: NotifySettings, title: str, body: str, kind: str = "info") -> bool:
    """Send one alert; `kind` is Apprise's type (info, success, warning, failure), which chat services colour."""
    a = apprise.Apprise()
    if not a.add(target.url):
        log.error("notify url %s is not one Apprise understands", _redacted(target.url))
        return False
    try:
        return bool(a.notify(title=title, body=body, notify_type=apprise.NotifyType(kind)))
    except Exception as e:  # noqa: BLE001 - a broken notifier must not cost the run
        log.error("notification failed: %s", e)
        return False


def _redacted(url: str) -> str:
    """A URL as logs and the database keep it: scheme and host, no credentials or tokens."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if rest else url


def notify_run(config: Config, store: Store, summary: RunSummary, at: datetime) -> list[tuple[str, str, bool]]:
    """The alerts of a finished run (nothing when no notify URL is configured); a failure here never fails the run."""
    if not config.notify:
        return []
    try:
        return send(config, store, summary, at)
    except Exception:  # noqa: BLE001
        log.exception("alerts could not be sent")
        return []


def test_message(config: Config, store: Store, at: datetime) -> list[tuple[str, bool]]:
    """`auditor notify test`: one test message to each configured URL; which worked."""
    out = []
    for target in config.notify:
        lang = language(config, target)
        ok = deliver(target, text(lang, "alert.test.title"), text(lang, "alert.test.body"))
        store.record_notification("test", _redacted(target.url), ok, at)
        out.append((_redacted(target.url), ok))
    return out


def notify_health(config: Config, store: Store, health, at: datetime) -> list[tuple[str, str, bool]]:
    """`auditor health --notify`: the no_run alert when no scheduled run finished in time, once per outage (not again
    until a scheduled run finishes)."""
    from auditor.ops.health import MISSING, OLD

    if health.code not in (OLD, MISSING) or not config.notify:
        return []
    since = (health.last_run or {}).get("finished_at") or ""
    if store.db.execute("select 1 from notifications where event = 'no_run' and sent = 1 and at > ?", [since]).fetchone():
        return []  # already told for this outage
    return [r for target in config.notify for r in send_alerts(
        store, target, [Alert("no_run", text(language(config, target), "alert.no_run.title"),
                                 health.message_in(language(config, target)))], at)]


def notify_not_started(config: Config, kind: str, error: Exception) -> list[tuple[str, str, bool]]:
    """A scheduled run that could not start (a folder it must write is read-only or full): run_failed, said now.
    Recorded where the database can be opened (it may be the folder that failed)."""
    from auditor.store import Store

    results = []
    for target in config.notify:
        if "run_failed" not in target.on:
            continue
        lang = language(config, target)
        ok = deliver(target, text(lang, "alert.not_started.title", run=word(lang, "kind", kind)), str(error), "failure")
        results.append(("run_failed", _redacted(target.url), ok))
    try:
        with Store(config.database) as store:
            for event, url, ok in results:
                store.record_notification(event, url, ok, datetime.now(timezone.utc))
    except AuditorError:
        pass  # the database's own folder is what failed: the log has it
    return results
