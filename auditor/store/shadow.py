"""Shadow mode in SQL: hits of rules with `status: experimental`, kept apart from production.

Nothing that decides (states, the queue, alerts, seller rules, evidence) reads this table; the
report's shadow section and the console's rules page do, so a new rule can be tried on every
audit before anyone acts on it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Iterable

from auditor.models import Hit
from auditor.store import sql
from auditor.store.times import iso


class ShadowTables:
    """Mixed into Store: `shadow_hits`."""

    db: object

    def record_shadow_hits(self, run_id: int, site: str, item_id: str, hits: Iterable[Hit], seen_at: datetime) -> None:
        rows = [[run_id, site, item_id, h.rule_id, h.title, h.severity,
                 json.dumps([asdict(m) for m in h.matches], ensure_ascii=False),
                 iso(seen_at)] for h in hits]
        if not rows:
            return
        with self.write():
            self.db.conn.executemany(sql.upsert('shadow_hits', ['run_id', 'site', 'item_id', 'rule_id', 'rule_title', 'severity', 'matches', 'seen_at'], ('run_id', 'site', 'item_id', 'rule_id')), rows)

    def shadow_hits_for_runs(self, run_ids: Iterable[int]) -> list[dict]:
        """The shadow hits of these runs with their listing, by rule."""
        ids = sorted(set(run_ids))
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        return list(self.db.query(f"""
            select s.rule_id, s.rule_title, s.severity, s.matches, s.run_id, l.site, l.item_id, l.target, l.url, l.title,
                   l.seller_id, l.seller_name, l.price, l.currency
            from shadow_hits s join listings l on l.site = s.site and l.item_id = s.item_id
            where s.run_id in ({marks}) order by s.rule_id, l.site, l.item_id""", ids))

    def shadow_counts_since(self, since: datetime) -> dict[str, tuple[str, int]]:
        """Each shadow rule's title and the listings it flagged since a time."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "select rule_id, max(rule_title), count(distinct site || '/' || item_id) from shadow_hits where seen_at >= ?"
            " group by rule_id",
            [iso(since)])}
