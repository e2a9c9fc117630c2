"""Runs done by workers in SQL: each finished job's counts, and a run's per-target counts recounted from rows.

A queue delivers a job at least once, so nothing here is added up from what jobs say about item pages:
those are counted from the observations and failures the run stored (each stored once); only a discover
job's search pages, which leave no row of their own, are kept per job (one row, rewritten if it runs again).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from auditor.store import sql
from auditor.store.times import iso

NOT_PAGES = ("evidence", "image", "removed")  # failures that are not a page the crawl failed to read


class WorkTables:
    """Mixed into Store: `run_jobs`."""

    db: object

    def record_job(self, run_id: int, job: str, target: str, *, search_pages: int = 0, failed_pages: int = 0,
                   note: str | None = None, spent: dict | None = None, at: datetime) -> None:
        """A job's counts, one row per job (a job done again rewrites it: its counts are its last delivery's)."""
        with self.write():
            self.db.execute(sql.upsert("run_jobs", ["run_id", "job", "target", "search_pages", "failed_pages", "note",
                                                    "spent", "finished_at"], ("run_id", "job")),
                            [run_id, job, target, search_pages, failed_pages, note,
                             json.dumps(spent, sort_keys=True) if spent else None, iso(at)])

    def run_jobs(self, run_id: int) -> list[dict]:
        return list(self.db.query("select * from run_jobs where run_id = ? order by job", [run_id]))

    def target_counts(self, run_id: int) -> tuple[Counter, Counter, Counter]:
        """Pages read, pages failed and listings stored, per target, as the run's rows say."""
        ok, failed, listings = Counter(), Counter(), Counter()
        for r in self.db.query("select target, sum(search_pages) as n from run_jobs where run_id = ? group by target",
                               [run_id]):
            ok[r["target"]] += r["n"] or 0
        for r in self.db.query(
                "select l.target, sum(case when o.source = 'item' then 1 else 0 end) as items, count(*) as n"
                " from observations o join listings l on l.site = o.site and l.item_id = o.item_id"
                " where o.run_id = ? and o.source in ('item', 'card') group by l.target", [run_id]):
            ok[r["target"]] += r["items"] or 0
            listings[r["target"]] += r["n"]
        marks = ", ".join("?" for _ in NOT_PAGES)
        for r in self.db.query(f"select target, sum(case when kind = 'removed' then 1 else 0 end) as removed,"
                               f" sum(case when kind not in ({marks}) then 1 else 0 end) as failed"
                               f" from page_failures where run_id = ? group by target", [*NOT_PAGES, run_id]):
            ok[r["target"]] += r["removed"] or 0
            failed[r["target"]] += r["failed"] or 0
        return ok, failed, listings

    def rule_set_of(self, run_id: int) -> dict[str, str] | None:
        """The rule files (path -> text) a run was started with."""
        row = self.db.execute("select s.files from runs r join rule_sets s on s.digest = r.rule_set where r.id = ?",
                              [run_id]).fetchone()
        return json.loads(row[0]) if row else None
