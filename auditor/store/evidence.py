"""Evidence in SQL: the files of each capture, and the captures still owed.

A flagged listing owes a capture from the moment it is flagged until the capture is on disk (or has
failed MAX_ATTEMPTS times, each failure recorded): a run killed before its captures were taken
leaves them owed, and the resumed run, or the next one, takes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from auditor.models import Evidence
from auditor.store.times import iso

MAX_ATTEMPTS = 3



class EvidenceTables:
    """Mixed into Store: `evidence` and `evidence_owed`."""

    db: object

    def record_evidence(self, run_id: int, ev: Evidence) -> None:
        with self.write():
            self._insert_evidence(run_id, ev)

    def _insert_evidence(self, run_id: int, ev: Evidence) -> None:
        self.db["evidence"].insert_all([{
            "run_id": run_id, "site": ev.site, "item_id": ev.item_id, "url": ev.url, "final_url": ev.final_url,
            "captured_at": iso(ev.captured_at), "folder": ev.folder, "kind": f.kind, "path": f.path,
            "sha256": f.sha256, "bytes": f.bytes, "source_url": f.source_url} for f in ev.files])

    def owe_evidence(self, run_id: int, target: str, site: str, item_id: str, url: str, at: datetime) -> None:
        """The listing needs a capture (kept until it is taken, or has failed MAX_ATTEMPTS times)."""
        with self.write():
            self.db.execute("insert into evidence_owed (site, item_id, run_id, target, url, owed_at, attempts)"
                            " values (?, ?, ?, ?, ?, ?, 0) on conflict (site, item_id) do update set"
                            " run_id = excluded.run_id, target = excluded.target, url = excluded.url",
                            [site, item_id, run_id, target, url, iso(at)])

    def evidence_taken(self, run_id: int, ev: Evidence) -> None:
        """Record a capture's files and settle what the listing owed, in one transaction."""
        with self.write():
            self._insert_evidence(run_id, ev)
            self.db.execute("delete from evidence_owed where site = ? and item_id = ?", [ev.site, ev.item_id])

    def evidence_missed(self, site: str, item_id: str, error: str) -> bool:
        """A capture failed; True when it is given up (MAX_ATTEMPTS reached), False when it stays owed."""
        with self.write():
            self.db.execute("update evidence_owed set attempts = attempts + 1, last_error = ? where site = ? and item_id = ?",
                            [error[:500], site, item_id])
            row = self.db.execute("select attempts from evidence_owed where site = ? and item_id = ?", [site, item_id]).fetchone()
            if row is None or row[0] >= MAX_ATTEMPTS:
                self.db.execute("delete from evidence_owed where site = ? and item_id = ?", [site, item_id])
                return True
            return False

    def owed_evidence(self, targets: Iterable[str]) -> list[dict]:
        """Captures still owed to listings of these targets, oldest first."""
        names = list(targets)
        if not names:
            return []
        marks = ", ".join("?" for _ in names)
        return list(self.db.query(f"select * from evidence_owed where target in ({marks}) order by owed_at, site, item_id",
                                  names))

    def evidence_folders(self, site: str, item_id: str) -> set[str]:
        return {r[0] for r in self.db.execute("select distinct folder from evidence where site = ? and item_id = ?",
                                              [site, item_id])}

    def has_evidence(self, site: str, item_id: str) -> bool:
        return self.db.execute("select 1 from evidence where site = ? and item_id = ? limit 1", [site, item_id]).fetchone() is not None

    def evidence_for(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
        """Every evidence file of these listings, newest capture first."""
        wanted = sorted(set(keys))
        out: dict[tuple[str, str], list[dict]] = {k: [] for k in wanted}
        for i in range(0, len(wanted), 400):  # through the (site, item_id) index, not the whole table
            chunk = wanted[i:i + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            for row in self.db.query(f"with k (site, item_id) as (values {values}) select e.* from k join evidence e"
                                     " on e.site = k.site and e.item_id = k.item_id order by e.captured_at desc, e.id",
                                     [v for key in chunk for v in key]):
                out[(row["site"], row["item_id"])].append(row)
        return out

    def evidence_captures_of_run(self, run_id: int) -> int:
        return self.db.execute("select count(distinct folder) from evidence where run_id = ?", [run_id]).fetchone()[0]

    def evidence_times(self, run_id: int) -> list[str]:
        return [r[0] for r in self.db.execute("select distinct captured_at from evidence where run_id = ?", [run_id])]

    def evidence_between(self, start: datetime, end: datetime) -> list[dict]:
        return list(self.db.query("select * from evidence where captured_at >= ? and captured_at < ? order by path",
                                  [iso(start), iso(end)]))

