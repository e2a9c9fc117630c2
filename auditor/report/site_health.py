"""Site health: per target and run, what was read and what stood in the way, against the target's last 7 days.

A profile that quietly reads nothing after a marketplace changed its markup is the failure nobody
sees: the run completes, the report is empty. Each run's line per target says the listings read,
the pages read and failed, how many failures were blocks (403 / 429 / captcha and bot walls) and
how many were pages the profile could not parse, with the listings of the target's earlier runs of
the last 7 days as a trend, and what the target cost the venue (requests, 304s, item pages spared). A target *drifts* when it read no listing, or fewer than half the
median of those earlier runs: its line goes red in the report and the `drift` alert is sent.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditor.i18n import text
from auditor.store import Store

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class TargetHealth:
    target: str
    listings: int
    pages_ok: int
    pages_failed: int
    blocked: int
    parse_failures: int
    trend: list[int] = field(default_factory=list)  # listings of the target's earlier runs in the window, oldest first
    unrendered: int = 0  # pages JavaScript had not drawn (skeletons, shells)
    down: int = 0  # pages the site answered with HTTP 5xx or not at all (an outage, not a redesign)
    age_gate: int = 0  # pages behind an age confirmation
    spent: dict = field(default_factory=dict)  # what the venue was asked: requests by kind, pages spared, pace waited

    @property
    def budget(self) -> dict[str, str | int]:
        """The page requests the target cost, the item pages its unchanged cards spared, and that as a share of a
        full read (every search page and every item page); its picture requests beside them."""
        s = self.spent
        requests = int(s.get("search", 0) + s.get("item", 0))
        full = requests + int(s.get("unchanged", 0))
        return {"requests": requests, "not_modified": int(s.get("not_modified", 0)), "spared": int(s.get("unchanged", 0)),
                "pictures": int(s.get("picture", 0)),
                "share": f"{requests / full:.0%}" if full else "–", "waited": f"{s.get('waited_s', 0):.0f}",
                "stopped": int(s.get("paging_stopped", 0))}

    @property
    def cause(self) -> str | None:
        """What stood in the way, in the words an operator acts on: blocked, unrendered, age gate, down or a
        redesign (pages the profile could not read); None when nothing did. In English (logs, JSON)."""
        return self.cause_in("en")

    def cause_in(self, lang: str) -> str | None:
        n, key = self._worst
        return text(lang, f"health.cause.{key}", n=n) if n else None

    @property
    def _worst(self) -> tuple[int, str]:
        """The most pages one thing stood in the way of, and which: blocked, age_gate, unrendered, down, redesign."""
        causes = [(self.blocked, "blocked"), (self.age_gate, "age_gate"), (self.unrendered, "unrendered"),
                  (self.down, "down"), (self.parse_failures, "redesign")]
        return max(causes, key=lambda c: c[0])

    @property
    def redesign(self) -> bool:
        """The worst of what stood in the way was pages the profile could not read (or nothing was said)."""
        n, key = self._worst
        return n == 0 or key == "redesign"

    @property
    def median(self) -> float | None:
        return statistics.median(self.trend) if self.trend else None

    @property
    def drift(self) -> str | None:
        """Why the target looks broken, or None. In English (logs, JSON)."""
        return self.drift_in("en")

    def drift_in(self, lang: str) -> str | None:
        if self.listings == 0:
            return text(lang, "health.drift.none")
        if self.median and self.listings < self.median / 2:
            return text(lang, "health.drift.under", n=self.listings, median=f"{self.median:g}")
        return None

    def said(self, lang: str) -> str | None:
        """The report's words for a drifting target: what stood in the way where something did (a site that is
        down says down), else "check the site profile"."""
        drift = self.drift_in(lang)
        if drift is None:
            return None
        if self.redesign:
            return text(lang, "report.health.drift", why=drift)
        return f"{drift}; {self.cause_in(lang)}"


def site_health(store: Store, run_id: int) -> list[TargetHealth]:
    """One line per target the run audited, in the order the run had them."""
    run = store.run(run_id)
    started = datetime.fromisoformat(run["started_at"])
    since = (started - WINDOW).isoformat()
    done = store.run_targets(run_id)
    failures: dict[tuple[str, str], int] = {(r["target"], r["what"]): r["n"] for r in store.db.query(
        "select target, case when kind = 'blocked' or (kind = 'http_status' and (error like '%HTTP 403%'"
        " or error like '%HTTP 429%')) then 'blocked' when kind = 'parse' then 'parse'"
        " when kind in ('unrendered', 'age_gate') then kind"
        " when (kind = 'http_status' and error like '%HTTP 5%') or kind in ('network', 'timeout') then 'down'"
        " else 'other' end as what, count(*) as n from page_failures where run_id = ? group by target, what", [run_id])}
    spent = store.spent_of_run(run_id)
    out = []
    for target, row in done.items():
        earlier = [r["listings"] or 0 for r in store.db.query(
            "select t.listings from run_targets t join runs r on r.id = t.run_id where t.target = ? and r.id < ?"
            " and r.started_at >= ? and r.status in ('completed', 'partial') order by r.id", [target, run_id, since])]
        out.append(TargetHealth(
            target, row["listings"] or 0, row["pages_ok"] or 0, row["pages_failed"] or 0,
            failures.get((target, "blocked"), 0), failures.get((target, "parse"), 0), earlier,
            failures.get((target, "unrendered"), 0), failures.get((target, "down"), 0), failures.get((target, "age_gate"), 0),
            spent.get(target, {})))
    return out
