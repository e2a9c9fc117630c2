"""The crawl budget in SQL: what the store knows of each listing's last card and full read, and what runs spent."""

from __future__ import annotations

import json
from typing import Iterable


class BudgetTables:
    """Mixed into Store: the columns a run reads to ask only for pages that can tell something new."""

    db: object

    def crawl_memory(self, sites: Iterable[str]) -> list[dict]:
        """Per listing of these sites: its URL, the digest of its last search card, when its item page was last
        read in full, and that page's validators (ETag, Last-Modified)."""
        names = sorted(set(sites))
        if not names:
            return []
        return list(self.db.query(
            "select site, item_id, url, card_digest, item_read_at, etag, last_modified from listings"
            f" where site in ({', '.join('?' * len(names))})", names))

    def record_spent(self, run_id: int, target: str, spent: dict[str, float]) -> None:
        with self.write():
            self.db.execute("update run_targets set spent = ? where run_id = ? and target = ?",
                            [json.dumps(spent, sort_keys=True), run_id, target])

    def spent_of_run(self, run_id: int) -> dict[str, dict[str, float]]:
        """What each target of a run cost: requests by kind, item pages spared, seconds waited for the pace."""
        return {r["target"]: json.loads(r["spent"]) for r in self.db.query(
            "select target, spent from run_targets where run_id = ? and spent is not null", [run_id])}
