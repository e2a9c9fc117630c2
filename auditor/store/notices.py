"""Takedown notices in SQL: the notice as drafted, the listings it covers, and its states, appended.

A notice's state is its latest event other than a failed send: a send that failed leaves the notice a
draft, with the error beside it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from auditor.store.times import iso

FOLLOWED = ("sent", "acknowledged")  # out, and waiting for the listing to come down
_STATE = ("(select e.state from notice_events e where e.notice_id = n.id and e.state <> 'failed'"
          " order by e.id desc limit 1)")
_COLUMNS = (f"n.*, {_STATE} as state,"
            " (select min(e.at) from notice_events e where e.notice_id = n.id and e.state = 'sent') as sent_at,"
            " (select count(*) from notice_listings l where l.notice_id = n.id) as listings")


class NoticeTables:
    """Mixed into Store: `notices`, `notice_listings`, `notice_events`."""

    db: object

    def add_notice(self, row: dict, listings: Iterable[dict], by: str, at: datetime) -> int:
        """A drafted notice with the listings it covers; its first event is `draft`."""
        with self.write():
            notice_id = self.db["notices"].insert({**row, "fields": json.dumps(row.get("fields") or {}, ensure_ascii=False),
                                                   "document": json.dumps(row.get("document") or {}, ensure_ascii=False),
                                                   "created_by": by, "created_at": iso(at)}).last_pk
            self.db["notice_listings"].insert_all([{"notice_id": notice_id, **x} for x in listings])
            self.db["notice_events"].insert({"notice_id": notice_id, "state": "draft", "at": iso(at), "user_name": by})
            return notice_id

    def add_notice_event(self, notice_id: int, state: str, at: datetime, *, user_name: str = "", receipt: str = "",
                         error: str = "", run_id: int | None = None, proof: dict | None = None,
                         hours: float | None = None) -> int:
        with self.write():
            return self.db["notice_events"].insert({
                "notice_id": notice_id, "state": state, "at": iso(at), "user_name": user_name, "receipt": receipt,
                "error": error, "run_id": run_id, "proof": json.dumps(proof, ensure_ascii=False) if proof else None,
                "hours": hours}).last_pk

    def notice(self, notice_id: int) -> dict | None:
        rows = list(self.db.query(f"select {_COLUMNS} from notices n where n.id = ?", [notice_id]))
        if not rows:
            return None
        out = _decoded(rows[0])
        out["items"] = list(self.db.query("select site, item_id, url, title from notice_listings where notice_id = ?"
                                          " order by site, item_id", [notice_id]))
        out["events"] = list(self.db.query("select * from notice_events where notice_id = ? order by id", [notice_id]))
        failed = [e for e in out["events"] if e["state"] == "failed"]
        last_state = max((e["id"] for e in out["events"] if e["state"] != "failed"), default=0)
        out["error"] = failed[-1]["error"] if failed and failed[-1]["id"] > last_state else ""
        return out

    def notices(self, *, states: Iterable[str] | None = None, site: str | None = None) -> list[dict]:
        """Every notice (of these states, of this venue), newest first, with its state and when it was sent."""
        where, args = [], []
        if states is not None:
            wanted = list(states)
            where.append(f"{_STATE} in ({', '.join('?' * len(wanted))})")
            args += wanted
        if site:
            where.append("n.site = ?")
            args.append(site)
        cut = f"where {' and '.join(where)}" if where else ""
        return [_decoded(r) for r in self.db.query(f"select {_COLUMNS} from notices n {cut} order by n.id desc", args)]

    def notice_items(self, notice_ids: Iterable[int]) -> dict[int, list[dict]]:
        ids = sorted(set(notice_ids))
        out: dict[int, list[dict]] = {i: [] for i in ids}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for r in self.db.query("select * from notice_listings where notice_id in"
                                   f" ({', '.join('?' * len(chunk))}) order by site, item_id", chunk):
                out[r["notice_id"]].append(r)
        return out

    def notices_for_listing(self, site: str, item_id: str) -> list[dict]:
        return [_decoded(r) for r in self.db.query(
            f"select {_COLUMNS} from notices n where n.id in (select notice_id from notice_listings"
            " where site = ? and item_id = ?) order by n.id", [site, item_id])]

    def notice_events_between(self, start: datetime, end: datetime, states: Iterable[str]) -> list[dict]:
        """The events of these states recorded in [start, end), with their notice's channel and venue."""
        wanted = list(states)
        return list(self.db.query(
            "select e.*, n.channel, n.site, n.subject from notice_events e join notices n on n.id = e.notice_id"
            f" where e.at >= ? and e.at < ? and e.state in ({', '.join('?' * len(wanted))}) order by e.id",
            [iso(start), iso(end), *wanted]))

    def mark_notice_told(self, notice_ids: Iterable[int], at: datetime) -> None:
        with self.write():
            for i in notice_ids:
                self.db.execute("update notices set due_told_at = ? where id = ?", [iso(at), i])

    def notice_removals_of_runs(self, run_ids: list[int]) -> list[dict]:
        """The notices these runs closed (removed, or sold/ended first), with the hours from sending and a listing."""
        if not run_ids:
            return []
        marks = ", ".join("?" * len(run_ids))
        return list(self.db.query(
            "select e.notice_id, e.state, e.hours, e.run_id, n.channel, n.site, l.item_id, l.url, l.title,"
            " (select count(*) from notice_listings c where c.notice_id = n.id) as listings"
            " from notice_events e join notices n on n.id = e.notice_id join notice_listings l on l.notice_id = n.id"
            " and l.item_id = (select min(item_id) from notice_listings m where m.notice_id = n.id)"
            f" where e.run_id in ({marks}) and e.state in ('removed', 'ended') order by e.id", run_ids))

    def notices_sent_before(self, cut: datetime) -> list[dict]:
        """The notices still out (sent or acknowledged) that were sent before `cut`: due again."""
        rows = [r for r in self.notices(states=FOLLOWED) if r["sent_at"] and r["sent_at"] <= iso(cut)]
        return sorted(rows, key=lambda r: r["sent_at"])

    def removed_pages_of_run(self, run_id: int) -> list[dict]:
        """The URLs and SHA-256 of the removed pages a run kept (not the pages themselves)."""
        return list(self.db.query("select id, url, sha256 from removed_pages where run_id = ? order by id", [run_id]))

    def gone_state(self, run_id: int, site: str, item_id: str) -> dict | None:
        """The run's state row of a listing, when that run saw it gone (with the reason: removed, sold, ended)."""
        rows = list(self.db.query("select * from listing_states where run_id = ? and site = ? and item_id = ?"
                                  " and state = 'gone'", [run_id, site, item_id]))
        return rows[0] if rows else None


def _decoded(row: dict) -> dict:
    return {**row, "fields": json.loads(row.get("fields") or "{}"), "document": json.loads(row.get("document") or "{}")}
