"""Alerts through Apprise: a run that failed or was partial, a target that read nothing, new critical hits.

Messages carry text only (rule, matched text, seller, price, a link to the listing): never an image.
A notification that fails is logged and recorded (the `notifications` table), never reported as sent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import apprise

from auditor.config import Config, NotifySettings
from auditor.models import RunSummary
from auditor.states import SEVERITY_RANK
from auditor.store import Store

log = logging.getLogger(__name__)
MAX_LISTED = 20


@dataclass(frozen=True)
class Alert:
    event: str
    title: str
    body: str


def alerts_for(store: Store, summary: RunSummary, min_rank: int) -> list[Alert]:
    """What a finished run should tell people."""
    out = []
    run = f"run #{summary.run_id} ({summary.kind})"
    if summary.status == "failed":
        out.append(Alert("run_failed", f"auditor: {run} FAILED", store.run(summary.run_id)["error"] or "see `auditor runs`"))
    elif summary.status == "partial":
        out.append(Alert("run_partial", f"auditor: {run} was partial", store.run(summary.run_id)["error"] or "–"))
    for target in summary.targets:
        if not summary.target_pages.get(target) and summary.status != "failed":
            out.append(Alert("target_empty", f"auditor: target {target} read nothing in {run}",
                             "every page failed, was blocked or was not reached: check the site and its profile"))
    fresh = [s for s in store.states_of_run(summary.run_id) if s["state"] in ("new", "escalated", "evaded")]
    rows = store.listings_by_key([(s["site"], s["item_id"]) for s in fresh])
    lines = []
    for s in fresh:
        rules = json.loads(s["rules"] or "{}")
        worst = max((SEVERITY_RANK.get(v, 0) for v in rules.values()), default=0)
        if worst < min_rank:
            continue
        x = rows.get((s["site"], s["item_id"]))
        if x is None:
            continue
        lines.append(f"[{s['state']}] {', '.join(sorted(rules))}: {x['title']} — seller {x['seller_id'] or '–'}, "
                     f"{x['price'] or '–'} {x['currency'] or ''} — {x['url']}")
    if lines:
        more = f"\n… and {len(lines) - MAX_LISTED} more in the report" if len(lines) > MAX_LISTED else ""
        out.append(Alert("new_critical", f"auditor: {len(lines)} listings need a decision ({run})",
                         "\n".join(lines[:MAX_LISTED]) + more))
    return out


def send(config: Config, store: Store, summary: RunSummary, at: datetime) -> list[tuple[str, str, bool]]:
    """Send a run's alerts to every configured URL that takes their event (new hits at or above its
    min_severity); record each attempt; returns (event, url, sent)."""
    results, by_rank = [], {}
    for target in config.notify:
        rank = SEVERITY_RANK[target.min_severity]
        if rank not in by_rank:
            by_rank[rank] = alerts_for(store, summary, rank)
        for alert in by_rank[rank]:
            if alert.event not in target.on:
                continue
            ok = deliver(target, alert.title, alert.body)
            store.record_notification(alert.event, _redacted(target.url), ok, at)
            if not ok:
                log.error("notification %s to %s failed", alert.event, _redacted(target.url))
            results.append((alert.event, _redacted(target.url), ok))
    return results


def deliver(target: NotifySettings, title: str, body: str) -> bool:
    a = apprise.Apprise()
    if not a.add(target.url):
        log.error("notify url %s is not one Apprise understands", _redacted(target.url))
        return False
    try:
        return bool(a.notify(title=title, body=body))
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
        ok = deliver(target, "auditor: test message", "This is a test of auditor's alerts. No action is needed.")
        store.record_notification("test", _redacted(target.url), ok, at)
        out.append((_redacted(target.url), ok))
    return out
