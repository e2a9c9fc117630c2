"""Everything SQL: listings and their history, sellers, runs, rule hits and failed pages.

One SQLite file through sqlite-utils, in WAL mode so a report can be read while a run writes; or one
PostgreSQL database (`store/postgres.py`) when a team outgrows one machine, with the same SQL.
Each page's results are written in one transaction: a run killed at any moment leaves a
consistent database that lacks at most the page in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator
from contextlib import contextmanager

import psycopg
import sqlite_utils

from auditor.databases import is_postgres_url, redacted
from auditor.errors import NotWritable, StoreError
from auditor.files import writable
from auditor.i18n import tr
from auditor.models import Hit, Listing, PageFailure, RunSummary, SellerHit
from auditor.store import postgres
from auditor.store import sql
from auditor.store.banks import BankTables
from auditor.store.budget import BudgetTables
from auditor.store.evidence import EvidenceTables
from auditor.store.images import ImageTables
from auditor.store.notices import NoticeTables
from auditor.store.picture import PictureTables
from auditor.store.review import ReviewTables
from auditor.store.schema import MIGRATIONS
from auditor.store.shadow import ShadowTables
from auditor.store.times import iso
from auditor.store.work import WorkTables

TRACKED = ("title", "description", "price", "buy_now_price", "bids", "status", "end_time", "seller_id", "seller_name")



def _dec(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def listing_from_row(row: dict) -> Listing:
    """A stored listing as the typed value the matcher takes."""
    return Listing(
        site=row["site"], item_id=row["item_id"], url=row["url"], title=row["title"] or "",
        description=row["description"] or "", price=Decimal(row["price"]) if row["price"] else None,
        currency=row["currency"], buy_now_price=Decimal(row["buy_now_price"]) if row["buy_now_price"] else None,
        bids=row["bids"], seller_id=row["seller_id"], seller_name=row["seller_name"], category=row["category"],
        tags=tuple(json.loads(row["tags"] or "[]")), image_urls=tuple(json.loads(row["image_urls"] or "[]")),
        end_time=datetime.fromisoformat(row["end_time"]) if row["end_time"] else None, status=row["status"] or "active",
        seller_url=row.get("seller_url"),
        start_price=Decimal(row["start_price"]) if row.get("start_price") else None,
        labels=tuple(json.loads(row.get("labels") or "[]")),
        list_price=Decimal(row["list_price"]) if row.get("list_price") else None, condition=row.get("item_condition"),
        published_at=datetime.fromisoformat(row["published_at"]) if row.get("published_at") else None,
    )


# The database itself failing (locked past its timeout, a connection the server dropped, a disk error): never one
# listing's fault. A run stops on them; a worker's job fails and the queue gives it again.
DATABASE_ERRORS = (StoreError, sqlite3.OperationalError, psycopg.OperationalError)


@dataclass(frozen=True)
class Recorded:
    """What storing one listing found: new, changed (which fields), or seen as before; and its text version."""

    new: bool
    changes: tuple[str, ...]
    version_id: int | None = None


VERSION_FIELDS = ("title", "description", "tags", "category", "seller_id", "seller_name")
CARD_KEPT = ("description", "category", "tags", "image_urls", "end_time", "status", "seller_id", "seller_name",
             "seller_url", "buy_now_price", "start_price", "currency", "labels", "list_price",
             "item_condition", "published_at")  # a search card never blanks these


def version_of(listing: Listing) -> dict:
    """The listing's matchable text, which a hit's spans point into; digested so each text is kept once."""
    row = {"title": listing.title, "description": listing.description,
           "tags": json.dumps(list(listing.tags), ensure_ascii=False), "category": listing.category or "",
           "seller_id": listing.seller_id or "", "seller_name": listing.seller_name or ""}
    row["digest"] = hashlib.sha256(json.dumps([row[k] for k in VERSION_FIELDS], ensure_ascii=False)
                                   .encode("utf-8", "surrogatepass")).hexdigest()
    return row


_OPEN_RETRY_SECONDS = 5.0  # opening a SQLite file told "locked" at once tries again this long (see Store.__init__)


class Store(PictureTables, ReviewTables, EvidenceTables, ShadowTables, ImageTables, BankTables, WorkTables,
            BudgetTables, NoticeTables):
    """The audit database."""

    def __init__(self, path: Path | str):
        """A SQLite file (the default), or a PostgreSQL database given as a postgresql:// URL."""
        self.url = str(path)
        self.postgres = is_postgres_url(path)
        self.path = None if self.postgres else Path(path)
        until = time.monotonic() + _OPEN_RETRY_SECONDS
        while True:
            try:
                self._open(path)
                return
            except sqlite3.OperationalError as e:
                # a new SQLite file opened by several processes at once: one switching it to WAL or recovering its
                # log can be answered "database is locked" without the busy timeout's wait; it tries again
                if "locked" in str(e) and time.monotonic() < until:
                    if getattr(self, "db", None) is not None:
                        self.db.close()
                    time.sleep(0.05)
                    continue
                raise StoreError(tr("cannot open database {shown}: {value}", shown=self.shown,
                                    value=str(e).strip())) from None
            except (sqlite3.DatabaseError, psycopg.Error) as e:
                raise StoreError(tr("cannot open database {shown}: {value}", shown=self.shown,
                                    value=str(e).strip())) from None

    def _open(self, path: Path | str) -> None:
        self.db = self._open_postgres(str(path)) if self.postgres else self._open_sqlite(self.path)
        if (found := self.schema_version) > len(MIGRATIONS):  # refused before anything is written
            self.db.close()
            raise StoreError(tr("{shown} was written by a newer auditor (schema version {found}; this one knows "
                                "up to {n}): upgrade auditor to use it; nothing was changed",
                                shown=self.shown, found=found, n=len(MIGRATIONS)))
        if not self.postgres and str(path) != ":memory:":
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses nothing committed; only power loss may
        self._migrate()

    @property
    def shown(self) -> str:
        """The database as messages name it (a URL without its password)."""
        return redacted(self.url) if self.postgres else self.url

    @staticmethod
    def _open_sqlite(path: Path) -> sqlite_utils.Database:
        if str(path) != ":memory:":  # a new database is the team's alone (0600 in a 0700 folder), whatever the umask
            writable(path.parent, "database", "database")  # SQLite writes its -wal and -shm beside the file
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # its -wal and -shm take its mode
            elif not os.access(path, os.W_OK):
                raise NotWritable(path.parent, "database", "database", tr("{name} is read-only", name=path.name))
        db = sqlite_utils.Database(str(path))
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @staticmethod
    def _open_postgres(url: str) -> postgres.PostgresDatabase:
        db = postgres.PostgresDatabase(url)
        with db.transaction(postgres.SCHEMA_LOCK):  # processes opening a new database at once take turns
            db.execute("create table if not exists auditor_schema (version integer not null)")
            if db.execute("select count(*) from auditor_schema").fetchone()[0] == 0:
                db.execute("insert into auditor_schema (version) values (0)")
        return db

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction that takes the write lock at once (BEGIN IMMEDIATE in SQLite, an advisory
        transaction lock in PostgreSQL): one that read first and wrote later could otherwise fail, or act on
        what another process changed meanwhile; this one waits its turn instead (the audit, workers and the
        console write at once)."""
        if self.postgres:
            with (self.db.atomic() if self.db.conn.in_transaction else self.db.transaction()):
                yield
            return
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")  # may fail too (a full disk): the transaction is then rolled back, never left open
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        if self.postgres:
            return self.db.execute("select max(version) from auditor_schema").fetchone()[0] or 0
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def integrity(self) -> str:
        """"ok", or what SQLite's quick check found; PostgreSQL checks its own pages, so a query that reads is the test."""
        if self.postgres:
            return "ok" if self.db.execute("select count(*) from runs").fetchone() else "unreadable"
        return self.db.execute("pragma quick_check").fetchone()[0]

    def _set_schema_version(self, version: int) -> None:
        if self.postgres:
            self.db.execute("update auditor_schema set version = ?", [version])
        else:
            self.db.execute(f"PRAGMA user_version = {version}")

    def _migrate(self) -> None:
        """Bring the schema up to date, once: several processes opening a new database at once take turns
        (the write lock), and each that comes after finds the work done."""
        if self.schema_version >= len(MIGRATIONS):
            return
        with self.write():
            current = self.schema_version
            for version, step in enumerate(MIGRATIONS, start=1):
                if version > current:
                    step(self.db)
                    self._set_schema_version(version)

    # --- runs ------------------------------------------------------------------------------------
    def start_run(self, started_at: datetime, targets: list[str], rule_files: list[str], notes: list[str] = (),
                  kind: str = "manual", aliases: dict[str, str] | None = None, plan: list[dict] | None = None,
                  settings: dict | None = None) -> int:
        with self.write():
            row = self.db["runs"].insert({
                "started_at": iso(started_at), "status": "running", "targets": json.dumps(targets),
                "kind": kind, "aliases": json.dumps(aliases or {}), "plan": json.dumps(plan or [], ensure_ascii=False),
                "settings": json.dumps(settings or {}, ensure_ascii=False, sort_keys=True),
                "notes": json.dumps(list(notes), ensure_ascii=False),
                "pages_ok": 0, "pages_failed": 0, "listings_seen": 0, "listings_new": 0,
                "listings_changed": 0, "flagged": 0, "hits": 0, "rule_files": json.dumps(rule_files),
                "decisions_upto": self.db.execute("select coalesce(max(id), 0) from decisions").fetchone()[0],
            })
            if aliases:
                self._note_aliases(row.last_pk, aliases, started_at)
        return row.last_pk

    def decisions_known_after(self, run_id: int, kinds: tuple[str, ...]) -> int | None:
        """The last decision id known when the first run of these kinds after this one began (None: no such run
        yet, so every decision so far counts)."""
        marks = ", ".join("?" * len(kinds))
        row = self.db.execute(f"select decisions_upto from runs where id > ? and kind in ({marks}) order by id limit 1",
                              [run_id, *kinds]).fetchone()
        return None if row is None else (row[0] or 0)

    def record_notification(self, event: str, url: str, sent: bool, at: datetime) -> None:
        with self.write():
            self.db.execute("insert into notifications (event, url, sent, at) values (?, ?, ?, ?)",
                            [event, url, int(sent), iso(at)])

    def save_rule_set(self, run_id: int, files: dict[str, str], at: datetime) -> str:
        """Keep the rule files a run used (path relative to the rules folder -> text), once per distinct set."""
        data = json.dumps(files, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
        with self.write():
            self.db.execute("insert into rule_sets (digest, files, created_at) values (?, ?, ?) on conflict do nothing",
                            [digest, data, iso(at)])
            self.db.execute("update runs set rule_set = ? where id = ?", [digest, run_id])
        return digest

    def last_rule_set(self) -> tuple[dict, dict[str, str]] | None:
        """The latest run that kept its rule files, and those files."""
        rows = list(self.db.query("select r.id, r.started_at, r.kind, s.files from runs r join rule_sets s"
                                  " on s.digest = r.rule_set order by r.id desc limit 1"))
        return (rows[0], json.loads(rows[0]["files"])) if rows else None

    def finish_run(self, summary: RunSummary, error: str | None = None) -> None:
        with self.write():
            self.db["runs"].update(summary.run_id, {
                "finished_at": iso(summary.finished_at or datetime.now(timezone.utc)),
                "status": summary.status, "pages_ok": summary.pages_ok, "pages_failed": summary.pages_failed,
                "listings_seen": summary.listings_seen, "listings_new": summary.listings_new,
                "listings_changed": summary.listings_changed, "flagged": summary.flagged, "hits": summary.hits,
                "seller_flags": summary.seller_flags, "error": error,
            })

    def mark_stale_runs(self, now: datetime) -> list[int]:
        """Runs still 'running' when no process holds the run lock were killed: mark them interrupted."""
        stale = [r["id"] for r in self.db.query("select id from runs where status = 'running'")]
        with self.write():
            for run_id in stale:
                self.db["runs"].update(run_id, {"status": "interrupted", "finished_at": iso(now),
                                                "error": "the process stopped before the run finished"})
        return stale

    def mark_reported(self, run_id: int, at: datetime) -> None:
        with self.write():
            self.db.execute("update runs set reported_at = ? where id = ?", [iso(at), run_id])

    def last_unreported_run(self) -> dict | None:
        """The latest run, if it finished (completed, partial, failed) but its reports were never written."""
        rows = list(self.db.query("select * from runs order by id desc limit 1"))
        ok = rows and rows[0]["status"] in ("completed", "partial", "failed") and not rows[0]["reported_at"]
        return rows[0] if ok else None

    def last_interrupted_run(self) -> dict | None:
        rows = list(self.db.query("select * from runs order by id desc limit 1"))
        return rows[0] if rows and rows[0]["status"] == "interrupted" else None

    def reopen_run(self, run_id: int, aliases: dict[str, str] | None = None, at: datetime | None = None) -> None:
        """The run running again (resumed), under this start's aliases (the workers resolve its URLs with them);
        the earlier starts' stay known (`alias_addresses`)."""
        with self.write():
            self.db["runs"].update(run_id, {"status": "running", "finished_at": None, "error": None,
                                            **({"aliases": json.dumps(aliases)} if aliases else {})})
            if aliases:
                self._note_aliases(run_id, aliases, at)

    def _note_aliases(self, run_id: int, aliases: dict[str, str], at: datetime | None) -> None:
        self.db.execute("insert into run_aliases (run_id, aliases, at) values (?, ?, ?) on conflict do nothing",
                        [run_id, json.dumps(aliases, sort_keys=True), iso(at) if at else None])

    def run_counts(self, run_id: int) -> dict[str, int]:
        """A run's counters recounted from what it stored (its row's may be stale after a kill)."""
        one = lambda sql: self.db.execute(sql, [run_id]).fetchone()[0]  # noqa: E731
        seen = one("select count(*) from observations where run_id = ?")
        return {
            "listings_seen": seen, "pages_ok": seen,  # item pages; search pages are not stored one by one
            "listings_new": one("select count(*) from observations where run_id = ? and changes = '[\"new\"]'"),
            "listings_changed": one("select count(*) from observations where run_id = ? and changes not in ('[]', '[\"new\"]')"),
            "flagged": one("select count(distinct site || '/' || item_id) from hits where run_id = ?"),
            "hits": one("select count(*) from hits where run_id = ?"),
            "pages_failed": one("select count(*) from page_failures where run_id = ? and kind not in ('evidence', 'removed')"),
        }

    def done_item_urls(self, run_id: int, among: list[str] | None = None) -> set[str]:
        """Item pages a run already stored (a resumed run does not fetch them again); of these pages only, when
        given (a worker's batch: not the whole run's pages for every job)."""
        only = f" and l.url in ({', '.join('?' * len(among))})" if among else ""
        return {r["url"] for r in self.db.query(
            "select l.url from observations o join listings l on l.site = o.site and l.item_id = o.item_id"
            " where o.run_id = ?" + only, [run_id, *(among or [])])}

    def run(self, run_id: int) -> dict:
        return self.db["runs"].get(run_id)

    def server_time(self) -> datetime:
        """The database server's time (PostgreSQL's clock, which every machine of a fleet shares); this machine's
        where the database is a file."""
        if not self.postgres:
            return datetime.now(timezone.utc)
        return self.db.execute("select clock_timestamp()").fetchone()[0].astimezone(timezone.utc)

    def runs(self, limit: int = 20) -> list[dict]:
        return list(self.db.query("select * from runs order by id desc limit ?", [limit]))

    def latest_daily_run(self) -> dict | None:
        """The last finished run that feeds the daily picture (scheduled, manual or demo)."""
        rows = list(self.db.query("select * from runs where status not in ('running', 'interrupted')"
                                  " and kind in ('scheduled', 'manual', 'demo') order by id desc limit 1"))
        return rows[0] if rows else None

    # --- pages -----------------------------------------------------------------------------------
    def record_listing(self, run_id: int, target: str, listing: Listing, hits: Iterable[Hit], seen_at: datetime,
                       source: str = "item", search_text: str | None = None, once: bool = False,
                       linked: Iterable[tuple[str, str, str]] = (), card: str | None = None,
                       validators: tuple[str | None, str | None] | None = None) -> Recorded | None:
        """Store one listing, its observation, its text version, its seller and its hits, in one transaction.

        A listing read only from its search card (source "card") updates what the card shows and keeps
        the rest of what its item page said before. With `once`, a listing this run already observed is left
        as it is and None returned (a queue's job delivered twice stores each listing once). `linked` are the
        seller's accounts on other venues the listing links, as (site, seller id, the link's URL). `card` is the
        digest of its search card this run; an item page read (source "item") is the listing's last full read,
        with its `validators` (ETag, Last-Modified; None: keep the stored ones) for the next conditional request."""
        key = (listing.site, listing.item_id)
        now = iso(seen_at)
        row = {
            "site": listing.site, "item_id": listing.item_id, "target": target, "url": listing.url,
            "title": listing.title, "description": listing.description, "price": _dec(listing.price),
            "currency": listing.currency, "buy_now_price": _dec(listing.buy_now_price), "bids": listing.bids,
            "seller_id": listing.seller_id, "seller_name": listing.seller_name, "category": listing.category,
            "tags": json.dumps(list(listing.tags), ensure_ascii=False),
            "image_urls": json.dumps(list(listing.image_urls), ensure_ascii=False),
            "end_time": iso(listing.end_time) if listing.end_time else None, "status": listing.status,
            "seller_url": listing.seller_url, "start_price": _dec(listing.start_price), "last_seen": now, "last_run_id": run_id,
            "search_text": search_text, "labels": json.dumps(list(listing.labels)), "list_price": _dec(listing.list_price),
            "item_condition": listing.condition,
            "published_at": iso(listing.published_at) if listing.published_at else None,
        }
        if card is not None:
            row["card_digest"] = card
        if source == "item":
            row.update(item_read_at=now, item_read_run=run_id)
            if validators is not None:
                row["etag"], row["last_modified"] = validators
        version = version_of(listing)
        tracked = ", ".join(TRACKED)
        with self.write():  # plain SQL here: this runs for every page, sqlite-utils' introspection does not pay
            if once and self.db.execute("select 1 from observations where run_id = ? and site = ? and item_id = ?"
                                        " limit 1", [run_id, *key]).fetchone():
                return None
            found = self.db.execute(f"select {tracked}, {', '.join(CARD_KEPT)} from listings where site = ? and item_id = ?",
                                    key).fetchone()
            names = TRACKED + CARD_KEPT
            before = dict(zip(names, found)) if found else None
            if before is not None and source == "card":
                row.update({k: before[k] for k in CARD_KEPT if before[k] not in (None, "", "[]")})
            if before is None:
                changes: tuple[str, ...] = ("new",)
                row.update(first_seen=now, first_run_id=run_id)
                self.db.execute(f"insert into listings ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                                list(row.values()))
            else:
                changes = tuple(f for f in TRACKED if before[f] != row[f])
                sets = [k for k in row if k not in ("site", "item_id")]
                self.db.execute(f"update listings set {', '.join(f'{k} = ?' for k in sets)} where site = ? and item_id = ?",
                                [row[k] for k in sets] + list(key))
            self.db.execute(
                "insert into listing_versions (site, item_id, digest, source, title, description, tags, category,"
                " seller_id, seller_name, first_seen) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (site, item_id, digest) do nothing",
                [listing.site, listing.item_id, version["digest"], source] + [version[k] for k in VERSION_FIELDS] + [now])
            version_id = self.db.execute("select id from listing_versions where site = ? and item_id = ? and digest = ?",
                                         [listing.site, listing.item_id, version["digest"]]).fetchone()[0]
            self.db.execute(
                "insert into observations (run_id, site, item_id, seen_at, price, bids, status, title, changes,"
                " version_id, source) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, listing.site, listing.item_id, now, row["price"], listing.bids, row["status"], listing.title,
                 json.dumps(changes), version_id, source])
            if listing.seller_id:
                self.db.execute(
                    "insert into sellers (site, seller_id, name, first_seen, last_seen) values (?, ?, ?, ?, ?)"
                    " on conflict (site, seller_id) do update set name = excluded.name, last_seen = excluded.last_seen",
                    [listing.site, listing.seller_id, listing.seller_name, now, now])
                for other_site, other_id, link in linked:
                    self.db.execute(sql.insert_new("seller_links", ["site", "seller_id", "other_site", "other_seller_id",
                                                                    "item_id", "url", "run_id", "first_seen"]),
                                    [listing.site, listing.seller_id, other_site, other_id, listing.item_id, link[:2000],
                                     run_id, now])
            self._insert_hits(run_id, listing.site, listing.item_id, hits, now, version_id)
        return Recorded(before is None, () if before is None else changes, version_id)

    def _insert_hits(self, run_id: int, site: str, item_id: str, hits: Iterable[Hit], now: str,
                     version_id: int | None) -> None:
        for h in hits:
            self.db.execute(
                sql.upsert('hits', ['run_id', 'site', 'item_id', 'rule_id', 'rule_title', 'severity', 'tags', 'matches', 'seen_at', 'version_id'], ('run_id', 'site', 'item_id', 'rule_id')),
                [run_id, site, item_id, h.rule_id, h.title, h.severity, json.dumps(list(h.tags)),
                 json.dumps([asdict(m) for m in h.matches], ensure_ascii=False), now, version_id])

    def mark_removed(self, run_id: int, site: str, item_id: str, at: datetime) -> None:
        """A listing whose page is gone (404, 410, a "deleted" page): its status becomes removed."""
        now = iso(at)
        with self.write():
            self.db.execute("update listings set status = 'removed', last_seen = ?, last_run_id = ? where site = ? and item_id = ?",
                            [now, run_id, site, item_id])
            self.db.execute("insert into observations (run_id, site, item_id, seen_at, status, changes, source)"
                            " values (?, ?, ?, ?, 'removed', '[\"status\"]', 'removed')", [run_id, site, item_id, now])

    def flagged_now_of_runs(self, run_ids: list[int]) -> dict[int, int]:
        """Per run that recorded states: its listings flagged now (new, escalated, still active)."""
        if not run_ids:
            return {}
        marks = ", ".join("?" * len(run_ids))
        return {r[0]: r[1] for r in self.db.execute(
            f"select run_id, sum(case when state in ('new', 'escalated', 'active') then 1 else 0 end) from listing_states"
            f" where run_id in ({marks}) group by run_id", list(run_ids))}

    def record_target(self, run_id: int, target: str, *, complete: bool, reason: str | None, pages_ok: int,
                      pages_failed: int, listings: int) -> None:
        with self.write():
            self.db.execute(sql.upsert('run_targets', ['run_id', 'target', 'complete', 'reason', 'pages_ok', 'pages_failed', 'listings'], ('run_id', 'target')),
                            [run_id, target, int(complete), reason, pages_ok, pages_failed, listings])

    def run_targets(self, run_id: int) -> dict[str, dict]:
        return {r["target"]: r for r in self.db.query("select * from run_targets where run_id = ?", [run_id])}

    def record_failure(self, run_id: int, failure: PageFailure, at: datetime) -> None:
        with self.write():
            self.db["page_failures"].insert({
                "run_id": run_id, "target": failure.target, "url": failure.url, "page_kind": failure.page_kind.value,
                "kind": failure.kind, "error": failure.error, "attempts": failure.attempts, "at": iso(at),
            })
            if failure.proof:
                self.db["removed_pages"].insert({
                    "run_id": run_id, "url": failure.url, "at": iso(at), "page": failure.proof,
                    "sha256": hashlib.sha256(failure.proof.encode("utf-8", "surrogatepass")).hexdigest()})

    def add_seller_links(self, pairs: Iterable[tuple[tuple[str, str], tuple[str, str]]], url: str,
                         at: datetime) -> int:
        """Links between sellers that another source states (a partner's STIX bundle: `url` names it)."""
        added = 0
        with self.write():
            for (site, seller_id), (other_site, other_id) in pairs:
                added += self.db.execute(sql.insert_new("seller_links", ["site", "seller_id", "other_site",
                                                                         "other_seller_id", "item_id", "url", "run_id",
                                                                         "first_seen"]),
                                         [site, seller_id, other_site, other_id, None, url[:2000], None, iso(at)]).rowcount
        return added

    def watch_sellers(self, sellers: Iterable[tuple[str, str, str]], source: str, bundle: str, at: datetime) -> int:
        """Put sellers (site, seller id, name) on the watch list, naming where they came from; how many are new."""
        added = 0
        with self.write():
            for site, seller_id, name in sellers:
                added += self.db.execute(sql.insert_new("watched_sellers", ["site", "seller_id", "name", "source",
                                                                            "bundle", "added_at"]),
                                         [site, seller_id, name, source[:300], bundle[:200], iso(at)]).rowcount
        return added

    def watched_sellers(self) -> list[dict]:
        return list(self.db.query("select * from watched_sellers order by site, seller_id"))

    def seller_links(self) -> list[dict]:
        """Each seller's account on another venue that one of its listings or its shop links."""
        return list(self.db.query(
            "select k.*, s.name as other_name from seller_links k left join sellers s on s.site = k.other_site"
            " and s.seller_id = k.other_seller_id order by k.site, k.seller_id, k.other_site, k.other_seller_id"))

    def removed_pages(self, url: str | None = None) -> list[dict]:
        """The pages that said a listing was gone, as the venue served them (the proof of a removal)."""
        where, args = ("where url = ?", [url]) if url else ("", [])
        return list(self.db.query(f"select * from removed_pages {where} order by id", args))

    def record_seller_hits(self, run_id: int, hits: Iterable[SellerHit]) -> None:
        with self.write():
            for h in hits:
                self.db.execute(
                    sql.upsert('seller_hits', ['run_id', 'site', 'seller_id', 'seller_name', 'rule_id', 'rule_title', 'severity', 'listings', 'total', 'within_days'], ('run_id', 'site', 'seller_id', 'rule_id')),
                    [run_id, h.site, h.seller_id, h.seller_name, h.rule_id, h.title, h.severity, h.listings,
                     str(h.total), h.within_days])

    # --- reading ---------------------------------------------------------------------------------
    def listings_by_key(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """The listings' rows, 400 a query through the primary key (a report reads thousands)."""
        wanted = sorted(set(keys))
        out: dict[tuple[str, str], dict] = {}
        for i in range(0, len(wanted), 400):
            chunk = wanted[i:i + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            for row in self.db.query(f"with k (site, item_id) as (values {values}) select l.* from k join listings l"
                                     " on l.site = k.site and l.item_id = k.item_id", [v for key in chunk for v in key]):
                out[(row["site"], row["item_id"])] = row
        return out

    def rule_counts_since(self, since: datetime, kinds: tuple[str, ...] = ("scheduled", "manual", "demo")) -> list[dict]:
        """Flagged listings per rule per run, for runs of these kinds since a time (for the trend chart)."""
        return list(self.db.query(f"""
            select r.id as run_id, r.started_at, h.rule_id, count(distinct h.site || '/' || h.item_id) as listings
            from hits h join runs r on r.id = h.run_id
            where r.started_at >= ? and r.kind in ({', '.join('?' * len(kinds))})
            group by r.id, h.rule_id order by r.id
        """, [iso(since), *kinds]))

    def hits_for_run(self, run_id: int) -> list[dict]:
        """Every hit of a run with its listing, most severe first."""
        return list(self.db.query("""
            select h.rule_id, h.rule_title, h.severity, h.tags as rule_tags, h.matches, h.seen_at,
                   l.site, l.item_id, l.target, l.url, l.title, l.description, l.price, l.currency,
                   l.buy_now_price, l.bids, l.seller_id, l.seller_name, l.category, l.tags, l.image_urls,
                   l.end_time, l.status, l.first_seen, l.last_seen, l.last_run_id, l.seller_url
            from hits h join listings l on l.site = h.site and l.item_id = h.item_id
            where h.run_id = ?
            order by case h.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2
                     when 'low' then 3 else 4 end, l.seller_id, l.site, l.item_id, h.rule_id
        """, [run_id]))

    def flagged_since(self, since: datetime) -> list[dict]:
        """Every hit seen since a time, with its listing's seller and price (for seller rules)."""
        return list(self.db.query("""
            select h.site, l.seller_id, l.seller_name, h.item_id, l.price, h.rule_id, h.tags
            from hits h join listings l on l.site = h.site and l.item_id = h.item_id
            where h.seen_at >= ? and l.seller_id is not null
        """, [iso(since)]))

    def seller_hits_for_run(self, run_id: int) -> list[dict]:
        return list(self.db.query("select * from seller_hits where run_id = ? order by id", [run_id]))

    def listings_since(self, since: datetime) -> Iterable[dict]:
        """Stored listings last seen since a time (for backtests), streamed."""
        yield from self.db.query("select * from listings where last_seen >= ? order by site, item_id", [iso(since)])

    def failures_for_run(self, run_id: int) -> list[dict]:
        return list(self.db.query("select * from page_failures where run_id = ? order by id", [run_id]))

    def flagged_keys(self, run_id: int) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for row in self.db.query("select site, item_id, rule_id from hits where run_id = ?", [run_id]):
            out.setdefault((row["site"], row["item_id"]), set()).add(row["rule_id"])
        return out

    def count(self, table: str) -> int:
        return self.db[table].count


class DatabaseClock:
    """A clock that tells the database server's time: read from the server once a minute and carried between by
    this machine's monotonic clock, so machines whose own clocks disagree (a worker hours fast) stamp what they
    record in one time, the database's, and no ordering depends on their clocks agreeing."""

    REFRESH_SECONDS = 60.0

    def __init__(self, store: Store):
        self.store = store
        self._base: tuple[float, datetime] | None = None

    def __call__(self) -> datetime:
        now = time.monotonic()
        if self._base is None or now - self._base[0] > self.REFRESH_SECONDS:
            self._base = (time.monotonic(), self.store.server_time())
        since, at = self._base
        return at + timedelta(seconds=time.monotonic() - since)
