"""Hash banks in SQL.

`banks` are named sets of entries; each entry (`bank_entries`) is a PDQ hash of a confirmed picture or an exact
digest of a file (`video_md5`, `video_sha256`: the ThreatExchange signal types of exact lists), with where it came
from (a decision, a listing, an import: its source, its id there, its tags, when we took it in), when and by whom.
`bank_matches` keeps every match of a listing's picture to an entry, per run: what the case view shows of an
entry's provenance, what partners get back as feedback, and what measures a flood (an entry matching far above
its usual rate is held until a lead releases it).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Iterable

from auditor.store import sql
from auditor.store.times import iso

FLAGGED, HELD, RELEASED, RECHECKED = 0, 1, 2, 3  # a match: flagged; found while its entry was held; held, then
# released by a lead (the listing's page is read again by the next run); so read again
_ENTRY_COLUMNS = ['bank', 'signal_type', 'pdq', 'exact', 'quality', 'source', 'ref', 'tags', 'source_id',
                  'fetched_at', 'added_at', 'added_by']


class BankTables:
    """Mixed into Store: `banks`, `bank_entries`, `bank_matches`."""

    db: object

    def create_bank(self, name: str, description: str, by: str, at: datetime, mirrors: bool = True) -> bool:
        with self.write():
            cur = self.db.execute(sql.insert_new('banks', ['name', 'description', 'created_at', 'created_by', 'mirrors']), [name, description, iso(at), by, int(mirrors)])
        return cur.rowcount == 1

    def banks(self) -> list[dict]:
        """Each bank with its entries in force, those withdrawn (their confirmation was replaced) and those held."""
        return list(self.db.query(
            "select b.*, sum(case when e.id is not null and e.withdrawn_at is null then 1 else 0 end) as entries,"
            " sum(case when e.withdrawn_at is not null then 1 else 0 end) as withdrawn,"
            " sum(case when e.held_at is not null then 1 else 0 end) as held from banks b"
            " left join bank_entries e on e.bank = b.name group by b.name order by b.name"))

    def imported_entry_verdicts(self, bank: str) -> dict[str, int]:
        """How our latest decisions judged the listings whose pictures matched an entry imported into this bank from
        outside (a recorded match, or a picture with the entry's very PDQ hash): those entries are never changed by
        our decisions; this shows them beside it."""
        return {r["verdict"]: r["n"] for r in self.db.query(
            "with shown (site, item_id) as ("
            " select m.site, m.item_id from bank_entries e join bank_matches m on m.entry_id = e.id"
            " where e.bank = ? and e.source != 'decision'"
            " union select li.site, li.item_id from bank_entries e join images i on i.pdq = e.pdq"
            " join listing_images li on li.sha256 = i.sha256 where e.bank = ? and e.source != 'decision')"
            " select d.verdict, count(*) as n from shown s join decisions d on d.site = s.site and d.item_id = s.item_id"
            " and d.id = (select max(id) from decisions x where x.site = d.site and x.item_id = d.item_id)"
            " group by d.verdict order by d.verdict", [bank, bank])}

    def withdraw_bank_entries(self, ref: str, why: str, at: datetime) -> int:
        """Leave out of matching and export the entries a confirmation of `ref` (site/item) put in; kept as history."""
        with self.write():
            cur = self.db.execute("update bank_entries set withdrawn_at = ?, withdrawn_why = ? where ref = ?"
                                  " and source = 'decision' and withdrawn_at is null", [iso(at), why[:300], ref])
        return cur.rowcount

    def restore_bank_entries(self, ref: str) -> int:
        """Put back the entries of `ref` that a replaced confirmation had withdrawn (it is confirmed again)."""
        with self.write():
            cur = self.db.execute("update bank_entries set withdrawn_at = null, withdrawn_why = null where ref = ?"
                                  " and source = 'decision' and withdrawn_at is not null", [ref])
        return cur.rowcount

    def withdrawn_entries(self, bank: str) -> list[dict]:
        return list(self.db.query("select * from bank_entries where bank = ? and withdrawn_at is not null order by id",
                                  [bank]))

    def bank_exists(self, name: str) -> bool:
        return self.db.execute("select 1 from banks where name = ?", [name]).fetchone() is not None

    def add_to_bank(self, bank: str, entries: Iterable[dict], by: str, at: datetime) -> int:
        """Add entries ({signal_type, pdq or exact, quality, source, ref, tags, source_id, fetched_at}); one the bank
        already holds is kept as it was. How many were new."""
        rows = [[bank, e.get("signal_type") or "pdq", e.get("pdq"), e.get("exact"), e.get("quality"),
                 e.get("source", "manual"), e.get("ref"), json.dumps(list(e.get("tags") or ()), ensure_ascii=False),
                 e.get("source_id"), e.get("fetched_at"), iso(at), by] for e in entries]
        with self.write():
            before = self.db.execute("select count(*) from bank_entries where bank = ?", [bank]).fetchone()[0]
            self.db.conn.executemany(sql.insert_new('bank_entries', _ENTRY_COLUMNS), rows)
            after = self.db.execute("select count(*) from bank_entries where bank = ?", [bank]).fetchone()[0]
        return after - before

    def remove_from_bank(self, bank: str, hashes: Iterable[str]) -> int:
        """Take entries out by their hash (a PDQ hash or an exact digest); their matches go with them."""
        with self.write():
            ids = [r[0] for h in hashes for r in self.db.execute(
                "select id from bank_entries where bank = ? and (pdq = ? or exact = ?)", [bank, h, h]).fetchall()]
            self.db.conn.executemany("delete from bank_matches where entry_id = ?", [[i] for i in ids])
            self.db.conn.executemany("delete from bank_entries where id = ?", [[i] for i in ids])
        return len(ids)

    def bank_entries(self, banks: Iterable[str]) -> list[dict]:
        """The entries in force (not withdrawn) of these banks, held ones included (the run leaves those out of
        flagging itself, and counts their matches)."""
        names = sorted(set(banks))
        if not names:
            return []
        marks = ", ".join("?" for _ in names)
        return list(self.db.query(f"select e.*, b.mirrors from bank_entries e join banks b on b.name = e.bank"
                                  f" where e.bank in ({marks}) and e.withdrawn_at is null order by e.id", names))

    # --- matches, floods ------------------------------------------------------------------------
    def record_bank_matches(self, run_id: int, site: str, item_id: str, matches: Iterable[tuple[int, str, int]],
                            at: datetime, *, min_listings: int, factor: float, days: int) -> set[int]:
        """This listing's pictures matched these entries ((entry id, picture's SHA-256, distance)), in this run.
        Returns the entries that are held: held before, or held now because this run's matches of the entry
        (distinct listings) passed `max(min_listings, factor x its busiest earlier run in the last `days` days)`.
        The listings before the one that passed it flagged; this one and the later ones wait for a lead."""
        wanted = list(matches)
        held: set[int] = set()
        if not wanted:
            return held
        since = iso(at - timedelta(days=days))
        with self.write():
            for entry_id, sha, distance in wanted:
                self.db.execute(sql.insert_new('bank_matches', ['run_id', 'entry_id', 'site', 'item_id', 'image_sha256', 'distance', 'held', 'seen_at']),
                                [run_id, entry_id, site, item_id, sha, distance, 0, iso(at)])
            for entry_id in sorted({m[0] for m in wanted}):
                row = self.db.execute("select held_at from bank_entries where id = ?", [entry_id]).fetchone()
                if row is None:
                    continue
                if row[0] is None:
                    self.db.execute(f"update bank_matches set held = {RECHECKED} where entry_id = ? and site = ? and"
                                    f" item_id = ? and held = {RELEASED} and run_id != ?", [entry_id, site, item_id, run_id])
                    now = self.db.execute("select count(distinct site || '/' || item_id) from bank_matches"
                                          " where entry_id = ? and run_id = ?", [entry_id, run_id]).fetchone()[0]
                    usual = self.db.execute(
                        "select max(n) from (select run_id, count(distinct site || '/' || item_id) as n from bank_matches"
                        " where entry_id = ? and run_id != ? and seen_at >= ? group by run_id) x",
                        [entry_id, run_id, since]).fetchone()[0] or 0
                    limit = max(min_listings, factor * usual)
                    if now <= limit:
                        continue
                    why = (f"run #{run_id}: {now} listings matched it, more than {limit:g}"
                           f" (its busiest run of the last {days} days: {usual})")
                    self.db.execute("update bank_entries set held_at = ?, held_why = ?, released_at = null,"
                                    " released_by = null where id = ? and held_at is null", [iso(at), why, entry_id])
                held.add(entry_id)
                self.db.execute(f"update bank_matches set held = {HELD} where run_id = ? and entry_id = ? and site = ?"
                                " and item_id = ?", [run_id, entry_id, site, item_id])
        return held

    def held_entries(self) -> list[dict]:
        """Entries held for a flood, each with how many listings matched it while held."""
        return list(self.db.query(
            "select e.*, (select count(distinct m.site || '/' || m.item_id) from bank_matches m where m.entry_id = e.id"
            f" and m.held = {HELD}) as waiting from bank_entries e where e.held_at is not null order by e.held_at, e.id"))

    def held_listings(self, entry_id: int, limit: int = 10) -> list[dict]:
        """Some of the listings an entry matched while held, with their titles."""
        return list(self.db.query(
            f"select distinct m.site, m.item_id, l.title from bank_matches m left join listings l on l.site = m.site"
            f" and l.item_id = m.item_id where m.entry_id = ? and m.held = {HELD} order by m.site, m.item_id limit ?",
            [entry_id, limit]))

    def rechecks(self, targets: Iterable[str]) -> list[dict]:
        """Listings of these targets that a released entry matched while it was held, not matched again since: the
        next run reads their pages (as it does the followed ones), so they flag now that the entry may."""
        names = sorted(set(targets))
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        return list(self.db.query(
            f"select distinct l.url, l.site, l.item_id, l.target from bank_matches m join listings l on l.site = m.site"
            f" and l.item_id = m.item_id where m.held = {RELEASED} and l.target in ({marks})"
            f" and l.status not in ('sold', 'ended', 'removed')", names))

    def release_bank_entry(self, entry_id: int, by: str, at: datetime) -> dict | None:
        """A lead lets a held entry flag again. The listings it matched while held are returned; the next daily run
        reads their pages again (see `rechecks`), and they flag then. None when no entry of that id is held."""
        with self.write():
            row = self.db.execute("select id from bank_entries where id = ? and held_at is not null", [entry_id]).fetchone()
            if row is None:
                return None
            self.db.execute("update bank_entries set held_at = null, held_why = null, released_at = ?, released_by = ?"
                            " where id = ?", [iso(at), by, entry_id])
            waiting = list(self.db.query(f"select * from bank_matches where entry_id = ? and held = {HELD} order by id",
                                         [entry_id]))
            self.db.execute(f"update bank_matches set held = {RELEASED} where entry_id = ? and held = {HELD}", [entry_id])
        return {"entry_id": entry_id, "matches": waiting}

    def bank_matches_of(self, site: str, item_id: str) -> list[dict]:
        """Every bank entry this listing's pictures matched (the latest time each), with the entry's provenance."""
        return list(self.db.query(
            "select e.id as entry_id, e.bank, e.signal_type, e.pdq, e.exact, e.source, e.ref, e.source_id, e.tags,"
            " e.fetched_at, e.added_at, e.added_by, e.held_at, e.held_why, e.released_at, e.released_by,"
            " m.distance, m.image_sha256, m.held, m.run_id, m.seen_at from bank_matches m"
            " join bank_entries e on e.id = m.entry_id where m.site = ? and m.item_id = ?"
            " and m.id = (select max(id) from bank_matches x where x.entry_id = m.entry_id and x.site = m.site"
            " and x.item_id = m.item_id) order by m.distance, e.id", [site, item_id]))

    def bank_feedback(self, bank: str) -> list[dict]:
        """For each entry of this bank taken in from outside whose matches we have decided on: the latest decision on
        each listing it matched (the verdict, when), for the partner's feedback."""
        return list(self.db.query(
            "select e.id as entry_id, e.signal_type, e.pdq, e.exact, e.ref, e.source_id, m.site, m.item_id,"
            " d.verdict, d.decided_at from bank_entries e join bank_matches m on m.entry_id = e.id"
            " join decisions d on d.site = m.site and d.item_id = m.item_id"
            " and d.id = (select max(id) from decisions x where x.site = d.site and x.item_id = d.item_id)"
            " where e.bank = ? and e.source = 'import' group by e.id, m.site, m.item_id, d.verdict, d.decided_at,"
            " e.signal_type, e.pdq, e.exact, e.ref, e.source_id order by e.id, m.site, m.item_id", [bank]))
