"""The review console's tables in SQL: users, sessions, claims on cases, and append-only decisions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Iterable

from auditor.store import sql
from auditor.store.times import iso

OPEN = ("new", "escalated", "active", "evaded")
LATEST_JUDGEMENT = "select max(run_id) from seller_hits"
RANK = ("select max(case value when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1"
        " else 0 end) from json_each(p.rules)")  # a case's severity: its most severe rule
DOWN = ("sold", "ended", "removed")
# a decided case needs a decision again when its listing moved into a needs-decision state after the run whose
# reading the decision judged: run ids, which one database hands out in order, never two processes' clocks
JUDGED_BEFORE = "coalesce(d.judged_run, 0) < coalesce(p.review_run, 0)"


def _for_sale_or_sold(sold: bool) -> str:
    """The picture's cases for sale (the queue), or those flagged and then sold or ended (their own queue)."""
    return "p.status in ('sold', 'ended')" if sold else "p.status not in ('sold', 'ended', 'removed')"


class ReviewTables:
    """Mixed into Store."""

    db: object

    # --- users and sessions ------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str, at: datetime) -> int:
        with self.write():
            return self.db["users"].insert({"name": name, "role": role, "password_hash": password_hash, "disabled": 0,
                                            "created_at": iso(at), "failed_logins": 0, "locked_until": None,
                                            "media": "blurred", "language": None}).last_pk

    def user_named(self, name: str) -> dict | None:
        rows = list(self.db.query("select * from users where name = ?", [name]))
        return rows[0] if rows else None

    def user(self, user_id: int) -> dict | None:
        rows = list(self.db.query("select * from users where id = ?", [user_id]))
        return rows[0] if rows else None

    def users(self) -> list[dict]:
        return list(self.db.query("select * from users order by name"))

    def update_user(self, user_id: int, **fields) -> None:
        with self.write():
            self.db["users"].update(user_id, fields)

    def start_session(self, token_hash: str, user_id: int, csrf: str, at: datetime, expires: datetime) -> None:
        with self.write():
            self.db.execute("delete from sessions where expires_at < ?", [iso(at)])
            self.db["sessions"].insert({"token_hash": token_hash, "user_id": user_id, "csrf": csrf,
                                        "created_at": iso(at), "expires_at": iso(expires)})

    def session(self, token_hash: str, now: datetime) -> dict | None:
        rows = list(self.db.query(
            "select s.csrf, s.expires_at, u.* from sessions s join users u on u.id = s.user_id"
            " where s.token_hash = ? and s.expires_at > ? and u.disabled = 0", [token_hash, iso(now)]))
        return rows[0] if rows else None

    def end_sessions(self, *, token_hash: str | None = None, user_id: int | None = None) -> None:
        with self.write():
            if token_hash:
                self.db.execute("delete from sessions where token_hash = ?", [token_hash])
            if user_id is not None:
                self.db.execute("delete from sessions where user_id = ?", [user_id])

    def count_login_attempt(self, name: str, address: str, now: datetime, limit: int) -> bool:
        """Count one sign-in attempt of (name, address) before its password is checked, in one transaction (guesses
        sent at once are each counted); False when that place must wait (blocked, or `limit` attempts unresolved)."""
        with self.write():
            self.db.execute("delete from login_failures where last_at < ?", [iso(now - timedelta(days=1))])
            row = self.db.execute("select failures, blocked_until from login_failures where name = ? and address = ?",
                                  [name, address]).fetchone()
            failures, blocked = (row[0] or 0, row[1]) if row else (0, None)
            if blocked and blocked <= iso(now):
                failures, blocked = 0, None  # it wore off
            if blocked or failures >= limit:
                return False
            self.db.execute(sql.upsert("login_failures", ["name", "address", "failures", "last_at", "blocked_until"],
                                       ("name", "address")), [name, address, failures + 1, iso(now), None])
            return True

    def login_failed(self, name: str, address: str, now: datetime, limit: int, block_for: timedelta) -> None:
        """The attempt's password was wrong (or its name unknown): at `limit`, the place waits `block_for`."""
        with self.write():
            self.db.execute("update login_failures set blocked_until = ? where name = ? and address = ?"
                            " and failures >= ? and blocked_until is null", [iso(now + block_for), name, address, limit])

    def login_succeeded(self, name: str, address: str) -> None:
        with self.write():
            self.db.execute("delete from login_failures where name = ? and address = ?", [name, address])

    def waiting_logins(self, now: datetime, limit: int) -> dict[str, int]:
        """Per name: the places whose sign-in waits now (blocked, or `limit` attempts unresolved)."""
        return {r[0]: r[1] for r in self.db.execute(
            "select name, count(*) from login_failures where blocked_until > ? or (blocked_until is null and"
            " failures >= ?) group by name", [iso(now), limit])}

    def unlock_logins(self, name: str) -> int:
        """An admin lets every place try this name again; how many were waiting."""
        with self.write():
            waiting = self.db.execute("select count(*) from login_failures where name = ?", [name]).fetchone()[0]
            self.db.execute("delete from login_failures where name = ?", [name])
            return waiting

    # --- claims ------------------------------------------------------------------------------------
    def claim(self, site: str, item_id: str, user_id: int, now: datetime, until: datetime) -> int:
        """Claim a case unless someone else holds an unexpired claim; returns the holder's user id."""
        with self.write():
            self.db.execute(
                "insert into claims (site, item_id, user_id, claimed_at, expires_at) values (?, ?, ?, ?, ?)"
                " on conflict (site, item_id) do update set user_id = excluded.user_id, claimed_at ="
                " case when claims.user_id = excluded.user_id then claims.claimed_at else excluded.claimed_at end,"
                " expires_at = excluded.expires_at where claims.expires_at <= ? or claims.user_id = excluded.user_id",
                [site, item_id, user_id, iso(now), iso(until), iso(now)])
            return self.db.execute("select user_id from claims where site = ? and item_id = ?", [site, item_id]).fetchone()[0]

    def claims(self, now: datetime) -> dict[tuple[str, str], dict]:
        return {(r["site"], r["item_id"]): r for r in self.db.query(
            "select c.*, u.name as user_name from claims c join users u on u.id = c.user_id where c.expires_at > ?",
            [iso(now)])}

    def release(self, keys: Iterable[tuple[str, str]], user_id: int) -> None:
        with self.write():
            for site, item_id in keys:
                self.db.execute("delete from claims where site = ? and item_id = ? and user_id = ?", [site, item_id, user_id])

    # --- decisions ---------------------------------------------------------------------------------
    def has_decision(self, row: dict) -> bool:
        """Whether the record already holds this decision exactly (an import of the same file again)."""
        return self.db.execute(
            "select 1 from decisions where site = ? and item_id = ? and verdict = ? and decided_at = ?"
            " and coalesce(note, '') = ? and coalesce(ticket, '') = ? and (? = '' or coalesce(file_user, user_name) = ?)"
            " limit 1",
            [row["site"], row["item_id"], row["verdict"], row["decided_at"], row.get("note") or "",
             row.get("ticket") or "", row.get("file_user") or "", row.get("file_user") or ""]).fetchone() is not None

    def add_decision(self, row: dict) -> int:
        with self.write():
            before = self.db.execute("select id from decisions where site = ? and item_id = ? order by id desc limit 1",
                                     [row["site"], row["item_id"]]).fetchone()
            return self.db["decisions"].insert({**row, "replaces": before[0] if before else None}).last_pk

    def decision(self, decision_id: int) -> dict | None:
        return next(iter(self.db.query("select * from decisions where id = ?", [decision_id])), None)

    def decisions_for(self, site: str, item_id: str) -> list[dict]:
        return list(self.db.query("select * from decisions where site = ? and item_id = ? order by id", [site, item_id]))

    def latest_decisions(self, keys: Iterable[tuple[str, str]] | None = None,
                         upto: int | None = None) -> dict[tuple[str, str], dict]:
        """Each listing's latest decision (of these listings, or of all; of those with an id up to `upto`, for a
        past day's report rebuilt with only what was known by its end)."""
        cut, args = ("where id <= ?", [upto]) if upto is not None else ("", [])
        rows = self.db.query("select d.* from decisions d join (select max(id) as id from decisions"
                             f" {cut} group by site, item_id) last on last.id = d.id", args)
        out = {(r["site"], r["item_id"]): r for r in rows}
        if keys is not None:
            wanted = set(keys)
            out = {k: v for k, v in out.items() if k in wanted}
        return out

    def review_runs(self, upto_run: int) -> dict[tuple[str, str], int]:
        """Each listing's last run up to this one that moved it into a state needing a decision (new, escalated,
        evaded): what a decision must have judged for the case to be decided (as the picture's review_run)."""
        return {(r["site"], r["item_id"]): r["run"] for r in self.db.query(
            "select site, item_id, max(run_id) as run from listing_states where run_id <= ?"
            " and state in ('new', 'escalated', 'evaded') group by site, item_id", [upto_run])}

    def sold_cases(self, upto_run: int) -> list[dict]:
        """The open cases of the picture that sold or ended, made such by a run up to this one."""
        marks = ", ".join("?" * len(OPEN))
        return list(self.db.query(f"select site, item_id, review_run from picture p where p.state in ({marks}) and "
                                  f"{_for_sale_or_sold(True)} and coalesce(p.review_run, 0) <= ?", [*OPEN, upto_run]))

    def needs_decision_counts(self) -> dict[str, int]:
        """How many open cases need a decision now, for sale (the queue) and sold or ended (their own queue)."""
        return {"for_sale": self.queue_rows(queue="needs_decision", limit=0)[0],
                "sold_ended": self.queue_rows(queue="sold_ended", limit=0)[0]}

    def all_decisions(self) -> list[dict]:
        return list(self.db.query("select * from decisions order by id"))

    def false_positives(self) -> list[dict]:
        return list(self.db.query("select site, item_id, rules, version_id from decisions where verdict = 'false_positive'"))

    # --- the queue and the case ----------------------------------------------------------------------
    def open_cases(self, words: list[str] = (), sold: bool = False) -> list[dict]:
        """Every listing open in the picture (whose folded text holds every word), with its listing and its
        latest decision: those for sale, or (sold) those flagged and sold or ended."""
        marks = ", ".join("?" * len(OPEN))
        down = _for_sale_or_sold(sold)
        text = "".join(" and instr(l.search_text, ?) > 0" for _ in words)
        return list(self.db.query(f"""
            select p.site, p.item_id, p.state, p.rules, p.review_since, p.review_run, l.title, l.price, l.currency,
                   l.seller_id, l.seller_name, l.end_time, l.status, l.labels, d.verdict, d.decided_at, d.judged_run, d.user_name as decided_by
            from picture p join listings l on l.site = p.site and l.item_id = p.item_id
            left join (select d.* from decisions d join (select max(id) as id from decisions group by site, item_id) m
                       on m.id = d.id) d on d.site = p.site and d.item_id = p.item_id
            where p.state in ({marks}) and {down}{text}
        """, [*OPEN, *words]))

    def fill_search_text(self, fold) -> int:
        """Listings stored before their folded text was kept get it now (fold: the rules' compact form)."""
        rows = list(self.db.query("select site, item_id, title, description, tags, seller_id, seller_name from listings"
                                  " where search_text is null"))
        with self.write():
            for r in rows:
                text = " ".join([r["title"] or "", r["description"] or "", *json.loads(r["tags"] or "[]"),
                                 r["seller_id"] or "", r["seller_name"] or "", r["item_id"]])
                self.db.execute("update listings set search_text = ? where site = ? and item_id = ?",
                                [fold(text), r["site"], r["item_id"]])
        return len(rows)

    def queue_rows(self, *, queue: str, site: str = "", rule: str = "", min_rank: int = 0, seller: str = "",
                   state: str = "", seller_rule: str = "", words: list[str] = (), limit: int = 100,
                   offset: int = 0) -> tuple[int, list[dict]]:
        """One page of a queue, ordered act first in SQL, and how many cases it has in all."""
        marks = ", ".join("?" * len(OPEN))
        down = _for_sale_or_sold(queue == "sold_ended")
        where, args = [f"p.state in ({marks})", down], list(OPEN)
        if queue in ("needs_decision", "sold_ended"):
            where.append("(d.verdict is null or d.verdict = 'reopen'"
                         f" or (d.verdict != 'escalate' and {JUDGED_BEFORE}))")
        elif queue == "escalated":
            where.append("d.verdict = 'escalate'")
        elif queue == "followed":
            where.append("d.verdict in ('confirmed', 'takedown_requested')")
        for column, value in (("p.site", site), ("l.seller_id", seller), ("p.state", state)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if rule:
            where.append("exists (select 1 from json_each(p.rules) where json_each.key = ?)")
            args.append(rule)
        if min_rank:
            where.append(f"({RANK}) >= ?")
            args.append(min_rank)
        for word in words:
            where.append("instr(l.search_text, ?) > 0")
            args.append(word)
        if seller_rule:
            where.append(f"exists (select 1 from seller_hits sh where sh.site = p.site and sh.seller_id = l.seller_id"
                         f" and sh.rule_id = ? and sh.run_id = ({LATEST_JUDGEMENT}))")
            args.append(seller_rule)
        base = f"""from picture p join listings l on l.site = p.site and l.item_id = p.item_id
            left join (select d.* from decisions d join (select max(id) as id from decisions group by site, item_id) m
                       on m.id = d.id) d on d.site = p.site and d.item_id = p.item_id
            where {' and '.join(where)}"""
        total = self.db.execute(f"select count(*) {base}", args).fetchone()[0]
        rows = list(self.db.query(f"""
            select p.site, p.item_id, p.state, p.rules, p.review_since, p.review_run, l.title, l.price, l.currency, l.seller_id,
                   l.seller_name, l.end_time, l.status, l.labels, d.verdict, d.decided_at, d.judged_run, d.user_name as decided_by {base}
            order by p.state != 'evaded', ({RANK}) desc, l.status != 'active', coalesce(l.end_time, '9999'), p.site,
                     p.item_id limit ? offset ?""", args + [limit, offset]))
        return total, rows

    def seller_rules_judged(self) -> list[dict]:
        """The seller rules of the latest judgement, with how many sellers each flagged (one queue each)."""
        return list(self.db.query(f"select rule_id, max(rule_title) as rule_title, count(*) as sellers from seller_hits"
                                  f" where run_id = ({LATEST_JUDGEMENT}) group by rule_id order by rule_id"))

    def sellers_flagged_by(self, rule_id: str) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.db.execute(f"select site, seller_id from seller_hits where rule_id = ?"
                                                       f" and run_id = ({LATEST_JUDGEMENT})", [rule_id])}

    def sites_in_picture(self) -> list[str]:
        return [r[0] for r in self.db.execute("select distinct site from picture order by site")]

    def picture_row(self, site: str, item_id: str) -> dict | None:
        rows = list(self.db.query("select * from picture where site = ? and item_id = ?", [site, item_id]))
        return rows[0] if rows else None

    def observations_of(self, site: str, item_id: str) -> list[dict]:
        return list(self.db.query("select o.*, r.kind from observations o join runs r on r.id = o.run_id"
                                  " where o.site = ? and o.item_id = ? order by o.id", [site, item_id]))

    def seller_listings(self, site: str, seller_id: str) -> list[dict]:
        return list(self.db.query(
            "select l.site, l.item_id, l.title, l.price, l.currency, l.status, p.state, p.rules"
            " from listings l left join picture p on p.site = l.site and p.item_id = l.item_id"
            " where l.site = ? and l.seller_id = ? order by l.first_seen desc limit 500", [site, seller_id]))

    def seller_flags(self, site: str, seller_id: str) -> list[dict]:
        return list(self.db.query("select rule_id, rule_title, severity, listings, total, within_days, run_id"
                                  " from seller_hits where site = ? and seller_id = ? order by run_id desc limit 20",
                                  [site, seller_id]))

    def evidence_file(self, evidence_id: int) -> dict | None:
        rows = list(self.db.query("select * from evidence where id = ?", [evidence_id]))
        return rows[0] if rows else None

    def flagged_by_rule_since(self, since: datetime) -> dict[str, int]:
        """Listings each rule flagged in daily runs since a time."""
        return {r["rule_id"]: r["n"] for r in self.db.query(
            "select h.rule_id, count(distinct h.site || '/' || h.item_id) as n from hits h join runs r on r.id = h.run_id"
            " where r.started_at >= ? and r.kind in ('scheduled', 'manual', 'demo') group by h.rule_id", [iso(since)])}

    def decisions_since(self, since: datetime) -> list[dict]:
        return list(self.db.query("select * from decisions where decided_at >= ? order by id", [iso(since)]))

    def rule_titles(self) -> dict[str, str]:
        return {r["rule_id"]: r["rule_title"] for r in self.db.query(
            "select rule_id, max(rule_title) as rule_title from hits group by rule_id")}

    def first_gone_after(self, site: str, item_id: str, since: str) -> str | None:
        """When a listing was first seen gone after a time (for the time from confirmation to takedown)."""
        row = self.db.execute(
            "select r.started_at from listing_states s join runs r on r.id = s.run_id where s.site = ? and s.item_id = ?"
            " and s.state = 'gone' and r.started_at >= ? order by s.run_id limit 1", [site, item_id, since]).fetchone()
        return row[0] if row else None


def rules_of(row: dict) -> dict[str, str]:
    return json.loads(row.get("rules") or "{}")
