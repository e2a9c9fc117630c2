"""Which item pages a daily run asks for: only those that can tell something new (the crawl budget).

A listing's item page is read when the listing is new, when its search card shows anything other than its
last card did (title, prices, bids, end time, status marks, first picture), when it is followed (open in
the picture: read on every run), and when its last full read is `crawl.refresh_days` old. The refreshes are
spread over the days: each listing has its own day in the cycle (from a hash of its id), so a cycle's
re-reads cost the same every day instead of a spike on the seventh. Every other listing on a card is
recorded from what is stored (`source: card`) and matched again, so a rule added today flags it today
without a request. An item page read before is asked for with its validators (ETag / Last-Modified): a
304 stands for the stored listing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from auditor.config import Config, Target
from auditor.models import DAILY_KINDS, Listing
from auditor.run.plan import moved
from auditor.store import Store
from auditor.store.core import listing_from_row
from auditor.values import card_digest

SAME_DAY = timedelta(hours=12)  # a listing read this recently is not read again on its day in the cycle


@dataclass(frozen=True)
class _Seen:
    key: tuple[str, str]
    card: str | None
    read_at: datetime | None
    etag: str | None
    last_modified: str | None


def refresh_phase(key: tuple[str, str], days: int) -> int:
    """The listing's own day in a refresh cycle of `days`, the same on every machine and run."""
    return int(hashlib.sha256(f"{key[0]}/{key[1]}".encode()).hexdigest()[:8], 16) % days


class StoredMemory:
    """auditor.crawl.Memory over the store, as it stood when the run began."""

    def __init__(self, store: Store, sites: set[str], now: datetime, refresh_days: int, zone: ZoneInfo,
                 followed: set[tuple[str, str]], earlier: list[dict[str, str]], aliases: dict[str, str]):
        self.store, self.now, self.days, self.followed = store, now, refresh_days, followed
        self.day = now.astimezone(zone).date().toordinal()
        self._by_key: dict[tuple[str, str], _Seen] = {}
        self._by_url: dict[str, _Seen] = {}
        for r in store.crawl_memory(sites):
            seen = _Seen((r["site"], r["item_id"]), r["card_digest"],
                         datetime.fromisoformat(r["item_read_at"]) if r["item_read_at"] else None,
                         r["etag"], r["last_modified"])
            self._by_key[seen.key] = seen
            self._by_url[moved(r["url"], earlier, aliases)] = seen  # a local marketplace on today's port

    def due(self, seen: _Seen) -> bool:
        """Whether its last full read is old enough to read it again today."""
        if seen.read_at is None:
            return True
        age = self.now - seen.read_at
        if age >= timedelta(days=self.days):
            return True
        return age >= SAME_DAY and (self.day - refresh_phase(seen.key, self.days)) % self.days == 0

    def unchanged(self, card: Listing) -> Listing | None:
        seen = self._by_key.get((card.site, card.item_id))
        if seen is None or seen.key in self.followed or seen.card != card_digest(card) or self.due(seen):
            return None
        return self._listing(seen.key)

    def known(self, card: Listing) -> bool:
        seen = self._by_key.get((card.site, card.item_id))
        return seen is not None and seen.card == card_digest(card)

    def validators(self, url: str) -> dict[str, str]:
        seen = self._by_url.get(url)
        if seen is None:
            return {}
        headers = {"If-None-Match": seen.etag} if seen.etag else {}
        if seen.last_modified:
            headers["If-Modified-Since"] = seen.last_modified
        return headers

    def stored(self, url: str) -> Listing | None:
        seen = self._by_url.get(url)
        return self._listing(seen.key) if seen else None

    def _listing(self, key: tuple[str, str]) -> Listing | None:
        row = self.store.listings_by_key([key]).get(key)
        return listing_from_row(row) if row else None


def memory_for(config: Config, store: Store, kind: str, full: bool, targets: list[Target], now: datetime,
               followed: set[tuple[str, str]], earlier: list[dict[str, str]], aliases: dict[str, str]
               ) -> StoredMemory | None:
    """What the store knows, so a daily run reads only item pages that can tell something new; None (read them
    all) for `--full`, other kinds of run (ad hoc, follow-up) and `crawl.refresh_days: 0`. The single-process run
    and each worker of a fleet's run ask here alike."""
    if full or kind not in DAILY_KINDS or not config.crawl.refresh_days:
        return None
    return StoredMemory(store, {t.site for t in targets}, now, config.crawl.refresh_days, config.schedule.zone,
                        followed, earlier, aliases)
