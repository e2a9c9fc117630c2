"""Following notices to the end: the crawl records a removal, time tells when a notice is due again.

After a run settles, every notice that is out (sent or acknowledged) whose listings that run saw gone
becomes `removed` (the venue's page said so; its saved page and SHA-256 are the proof) or `ended` (it
sold or ended before the venue acted), with the hours from sending to that run. A notice still out
`notices.renotice_days` after it was sent is due: the lead's page lists it, the `notice_due` alert
says so once, and the next channel of its target is offered."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from auditor.channels import Channel
from auditor.config import Config
from auditor.store import Store
from auditor.store.notices import FOLLOWED


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def follow_removals(store: Store, run_id: int) -> list[int]:
    """Mark the notices whose listings this run saw gone; returns their ids."""
    run = store.run(run_id)
    seen = _when(run["started_at"])
    out = []
    for notice in store.notices(states=FOLLOWED):
        items = store.notice_items([notice["id"]])[notice["id"]]
        gone = [store.gone_state(run_id, x["site"], x["item_id"]) for x in items]
        if not items or any(g is None for g in gone):
            continue
        removed = [x for x, g in zip(items, gone) if g["reason"] == "removed"]
        proof = {"run_id": run_id, "pages": []}
        pages = store.removed_pages_of_run(run_id) if removed else []
        for x in removed:
            page = next((p for p in reversed(pages) if _same_page(p["url"], x["url"])), None)
            proof["pages"].append({"url": x["url"], "sha256": page["sha256"] if page else None})
        hours = (seen - _when(notice["sent_at"])).total_seconds() / 3600 if notice["sent_at"] else None
        state = "removed" if removed else "ended"
        store.add_notice_event(notice["id"], state, seen, user_name="auditor", run_id=run_id, proof=proof,
                               hours=round(hours, 2) if hours is not None else None)
        out.append(notice["id"])
    return out


def _same_page(a: str, b: str) -> bool:
    """The same listing page, wherever the venue was reached (a mirror, a proxy, the demo on another port)."""
    x, y = urlsplit(a), urlsplit(b)
    return (x.path, x.query) == (y.path, y.query)


def due_notices(store: Store, now: datetime, days: float) -> list[dict]:
    """The notices still out `days` after they were sent, oldest first."""
    cut = now - timedelta(days=days)
    rows = [n for n in store.notices(states=FOLLOWED) if n["sent_at"] and _when(n["sent_at"]) <= cut]
    return sorted(rows, key=lambda n: n["sent_at"])


def next_channel(config: Config, notice: dict) -> Channel | None:
    """The channel after this notice's in its target's order (the hotline after the venue), if any."""
    t = next((t for t in config.targets if t.name == notice["target"]), None)
    order = t.notices if t else []
    if notice["channel"] in order and order.index(notice["channel"]) + 1 < len(order):
        return config.notices.channel(order[order.index(notice["channel"]) + 1])
    return None


@dataclass(frozen=True)
class VenueStats:
    site: str
    sent: int  # notices sent in the window
    removed: int
    open: int  # still out
    median_hours: float | None  # from sent to removal, of those removed
    p90_hours: float | None

    @property
    def share_removed(self) -> float | None:
        return self.removed / self.sent if self.sent else None


def venue_stats(store: Store, now: datetime, days: int = 30) -> list[VenueStats]:
    """Per venue, over the notices sent in the last `days`: how many, how many removed and how fast."""
    since = now - timedelta(days=days)
    by_site: dict[str, list[dict]] = {}
    for n in store.notices():
        if n["sent_at"] and _when(n["sent_at"]) >= since:
            by_site.setdefault(n["site"], []).append(n)
    out = []
    for site, rows in sorted(by_site.items()):
        hours = sorted(h for n in rows if n["state"] == "removed"
                       for h in [removal_hours(store, n["id"])] if h is not None)
        out.append(VenueStats(site, len(rows), sum(n["state"] == "removed" for n in rows),
                              sum(n["state"] in FOLLOWED for n in rows),
                              statistics.median(hours) if hours else None, _p90(hours)))
    return out


def removal_hours(store: Store, notice_id: int) -> float | None:
    events = (store.notice(notice_id) or {}).get("events") or []
    return next((e["hours"] for e in reversed(events) if e["state"] == "removed"), None)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]
