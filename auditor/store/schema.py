"""The database schema, as numbered migrations (SQLite's PRAGMA user_version, or PostgreSQL's auditor_schema
table, says which have run); the same steps build both."""

from __future__ import annotations

import sqlite_utils


def _migrate_1(db: sqlite_utils.Database) -> None:
    db["runs"].create({
        "id": int, "started_at": str, "finished_at": str, "status": str, "targets": str,
        "pages_ok": int, "pages_failed": int, "listings_seen": int, "listings_new": int,
        "listings_changed": int, "flagged": int, "hits": int, "rule_files": str, "error": str,
    }, pk="id")
    db["listings"].create({
        "site": str, "item_id": str, "target": str, "url": str, "title": str, "description": str,
        "price": str, "currency": str, "buy_now_price": str, "bids": int, "seller_id": str,
        "seller_name": str, "category": str, "tags": str, "image_urls": str, "end_time": str,
        "status": str, "first_seen": str, "last_seen": str, "first_run_id": int, "last_run_id": int,
    }, pk=("site", "item_id"))
    db["observations"].create({
        "id": int, "run_id": int, "site": str, "item_id": str, "seen_at": str, "price": str,
        "bids": int, "status": str, "title": str, "changes": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["observations"].create_index(["site", "item_id"])
    db["observations"].create_index(["run_id"])
    db["sellers"].create({"site": str, "seller_id": str, "name": str, "first_seen": str, "last_seen": str},
                         pk=("site", "seller_id"))
    db["hits"].create({
        "id": int, "run_id": int, "site": str, "item_id": str, "rule_id": str, "rule_title": str,
        "severity": str, "tags": str, "matches": str, "seen_at": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["hits"].create_index(["run_id", "site", "item_id", "rule_id"], unique=True)
    db["page_failures"].create({
        "id": int, "run_id": int, "target": str, "url": str, "page_kind": str, "kind": str,
        "error": str, "attempts": int, "at": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["page_failures"].create_index(["run_id"])


def _migrate_2(db: sqlite_utils.Database) -> None:
    db["runs"].add_column("seller_flags", int)
    db["seller_hits"].create({
        "id": int, "run_id": int, "site": str, "seller_id": str, "seller_name": str, "rule_id": str,
        "rule_title": str, "severity": str, "listings": int, "total": str, "within_days": int,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["seller_hits"].create_index(["run_id", "site", "seller_id", "rule_id"], unique=True)
    db["hits"].create_index(["seen_at"])


def _migrate_3(db: sqlite_utils.Database) -> None:
    db["listings"].add_column("seller_url", str)
    db["evidence"].create({
        "id": int, "run_id": int, "site": str, "item_id": str, "url": str, "final_url": str,
        "captured_at": str, "folder": str, "kind": str, "path": str, "sha256": str, "bytes": int, "source_url": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["evidence"].create_index(["site", "item_id"])
    db["evidence"].create_index(["captured_at"])
    db["evidence"].create_index(["path"], unique=True)


def _migrate_4(db: sqlite_utils.Database) -> None:
    db["listings"].add_column("start_price", str)


def _migrate_5(db: sqlite_utils.Database) -> None:
    db["runs"].add_column("notes", str)  # JSON list of things the report must state (robots.txt ignored, ...)



def _migrate_6(db: sqlite_utils.Database) -> None:
    """Run kinds, per-target completeness, listing text versions, the daily picture and each run's states."""
    db["runs"].add_column("kind", str)
    db["runs"].add_column("aliases", str)  # JSON {logical prefix: address} the run used (a local marketplace)
    db["runs"].add_column("plan", str)  # JSON: the targets as given, so a resumed run audits the same
    db.execute("update runs set kind = 'manual' where kind is null")
    db["run_targets"].create({
        "run_id": int, "target": str, "complete": int, "reason": str, "pages_ok": int, "pages_failed": int,
        "listings": int,
    }, pk=("run_id", "target"), foreign_keys=[("run_id", "runs", "id")])
    db["listing_versions"].create({
        "id": int, "site": str, "item_id": str, "digest": str, "source": str, "title": str, "description": str,
        "tags": str, "category": str, "seller_id": str, "seller_name": str, "first_seen": str,
    }, pk="id")
    db["listing_versions"].create_index(["site", "item_id", "digest"], unique=True)
    db["observations"].add_column("version_id", int)
    db["observations"].add_column("source", str)
    db["hits"].add_column("version_id", int)
    db["hits"].create_index(["site", "item_id"])
    db["picture"].create({
        "site": str, "item_id": str, "target": str, "state": str, "status": str, "rules": str, "version_id": int,
        "run_id": int, "since": str, "review_since": str,
    }, pk=("site", "item_id"))
    db["picture"].create_index(["target"])
    db["listing_states"].create({
        "id": int, "run_id": int, "site": str, "item_id": str, "target": str, "state": str, "reason": str,
        "rules": str, "added": str, "matched_version": int, "current_version": int, "status": str, "source": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["listing_states"].create_index(["run_id", "site", "item_id"], unique=True)
    db["listing_states"].create_index(["site", "item_id"])


def _migrate_7(db: sqlite_utils.Database) -> None:
    """The review console: people, their sessions, claims on cases, and the append-only decisions."""
    db["users"].create({
        "id": int, "name": str, "role": str, "password_hash": str, "disabled": int, "created_at": str,
        "failed_logins": int, "locked_until": str, "media": str, "language": str,
    }, pk="id")
    db["users"].create_index(["name"], unique=True)
    db["sessions"].create({"token_hash": str, "user_id": int, "csrf": str, "created_at": str, "expires_at": str},
                          pk="token_hash", foreign_keys=[("user_id", "users", "id")])
    db["claims"].create({"site": str, "item_id": str, "user_id": int, "claimed_at": str, "expires_at": str},
                        pk=("site", "item_id"))
    db["decisions"].create({
        "id": int, "site": str, "item_id": str, "verdict": str, "note": str, "ticket": str, "user_id": int,
        "user_name": str, "decided_at": str, "rules": str, "version_id": int, "state": str, "replaces": int,
        "source": str,
    }, pk="id")
    db["decisions"].create_index(["site", "item_id"])
    db["decisions"].create_index(["decided_at"])


def _migrate_8(db: sqlite_utils.Database) -> None:
    """The rule files each run used, kept once per distinct set (a backtest compares with them)."""
    db["rule_sets"].create({"digest": str, "files": str, "created_at": str}, pk="digest")
    db["runs"].add_column("rule_set", str)


def _migrate_9(db: sqlite_utils.Database) -> None:
    """Every alert sent or attempted: sent or failed, never claimed."""
    db["notifications"].create({"id": int, "event": str, "url": str, "sent": int, "at": str}, pk="id")


def _migrate_10(db: sqlite_utils.Database) -> None:
    """Each listing's text as the rules fold it, for the console's text search in SQL (filled as listings are
    stored, and for older rows on the first search)."""
    db["listings"].add_column("search_text", str)


def _migrate_11(db: sqlite_utils.Database) -> None:
    """When a run's reports were written: a run killed while writing them is finished by `run --resume`."""
    db["runs"].add_column("reported_at", str)
    db.execute("update runs set reported_at = finished_at where status != 'running'")


def _migrate_12(db: sqlite_utils.Database) -> None:
    """Captures owed to flagged listings, so a run killed before taking them does not lose them."""
    db["evidence_owed"].create({"site": str, "item_id": str, "run_id": int, "target": str, "url": str,
                                "owed_at": str, "attempts": int, "last_error": str}, pk=("site", "item_id"))
    db["evidence_owed"].create_index(["target"])


def _migrate_13(db: sqlite_utils.Database) -> None:
    """Hits of rules in shadow mode (status: experimental): kept apart, so nothing of production reads them."""
    db["shadow_hits"].create({"id": int, "run_id": int, "site": str, "item_id": str, "rule_id": str,
                              "rule_title": str, "severity": str, "matches": str, "seen_at": str},
                             pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["shadow_hits"].create_index(["run_id", "site", "item_id", "rule_id"], unique=True)
    db["shadow_hits"].create_index(["rule_id"])


def _migrate_14(db: sqlite_utils.Database) -> None:
    """Images of listings, stored once by SHA-256 with their PDQ hash; named banks of hashes of confirmed images."""
    db["images"].create({"sha256": str, "bytes": int, "content_type": str, "pdq": str, "quality": int,
                         "dihedral": str, "meta": str, "first_seen": str}, pk="sha256")
    db["images"].create_index(["pdq"])
    db["listing_images"].create({"site": str, "item_id": str, "position": int, "url": str, "sha256": str,
                                 "run_id": int, "seen_at": str}, pk=("site", "item_id", "url"))
    db["listing_images"].create_index(["sha256"])
    db["banks"].create({"name": str, "description": str, "created_at": str, "created_by": str}, pk="name")
    db["bank_entries"].create({"id": int, "bank": str, "pdq": str, "quality": int, "source": str, "ref": str,
                               "tags": str, "added_at": str, "added_by": str}, pk="id",
                              foreign_keys=[("bank", "banks", "name")])
    db["bank_entries"].create_index(["bank", "pdq"], unique=True)
    db["image_links"].create({"site": str, "item_id": str, "other_site": str, "other_item_id": str, "distance": int,
                              "how": str, "run_id": int, "seen_at": str}, pk=("site", "item_id", "other_site", "other_item_id"))


def _migrate_15(db: sqlite_utils.Database) -> None:
    """What the opt-in nudity detector saw in an image: JSON [[label, score], ...], null where it did not run."""
    db["images"].add_column("nudity", str)


def _migrate_16(db: sqlite_utils.Database) -> None:
    """Sellers as members of seller networks, from the run that first saw them in one (the network_grew alert)."""
    db["network_members"].create({"site": str, "seller_id": str, "run_id": int, "seen_at": str}, pk=("site", "seller_id"))


def _migrate_17(db: sqlite_utils.Database) -> None:
    """Evidence files removed by `auditor evidence prune`: what went, when, by whose command (verify skips them)."""
    db["evidence_pruned"].create({"path": str, "sha256": str, "site": str, "item_id": str, "captured_at": str,
                                  "pruned_at": str, "pruned_by": str}, pk="path")


def _migrate_18(db: sqlite_utils.Database) -> None:
    """Whether a bank matches mirror images and rotations of its pictures (PDQ's 8 dihedral variants); 1 for the
    banks made before, which did."""
    db["banks"].add_column("mirrors", int, not_null_default=1)


def _migrate_19(db: sqlite_utils.Database) -> None:
    """Runs done by workers: what each finished job read (a queue may deliver a job twice: one row per job), the
    lookup that keeps a listing's observation once per run, and the pace of requests per host across workers."""
    db["run_jobs"].create({"run_id": int, "job": str, "target": str, "search_pages": int, "failed_pages": int,
                           "note": str, "finished_at": str}, pk=("run_id", "job"), foreign_keys=[("run_id", "runs", "id")])
    db["observations"].create_index(["run_id", "site", "item_id"])
    db["host_pace"].create({"host": str, "next_at": float}, pk="host")  # the fleet's next free moment per host


def _migrate_20(db: sqlite_utils.Database) -> None:
    """Decisions ordered by what was judged, not by clocks: the picture keeps the run at which a listing last
    moved into a state that needs a decision (review_run), a decision the run whose reading it judged
    (judged_run). Rows from before are filled in as well as they can be: a listing's latest run in such a state,
    a decision's latest run started before it."""
    db["picture"].add_column("review_run", int)
    db["decisions"].add_column("judged_run", int)
    db.execute("update picture set review_run = coalesce((select max(s.run_id) from listing_states s"
               " where s.site = picture.site and s.item_id = picture.item_id"
               " and s.state in ('new', 'escalated', 'evaded')), run_id)")
    db.execute("update decisions set judged_run = (select max(r.id) from runs r where r.started_at <= decisions.decided_at)")


def _migrate_21(db: sqlite_utils.Database) -> None:
    """What a venue itself marks a listing with (labels: adult, ai_generated, shop, auction), its price before a
    sale, and its condition."""
    db["listings"].add_column("labels", str)
    db["listings"].add_column("list_price", str)
    db["listings"].add_column("item_condition", str)
    db["listings"].add_column("published_at", str)


def _migrate_22(db: sqlite_utils.Database) -> None:
    """Removed pages kept as the proof of a removal: the page the venue served, with its SHA-256."""
    db["removed_pages"].create({"id": int, "run_id": int, "url": str, "at": str, "sha256": str, "page": str}, pk="id",
                               foreign_keys=[("run_id", "runs", "id")])
    db["removed_pages"].create_index(["url"])


def _migrate_23(db: sqlite_utils.Database) -> None:
    """Bank entries follow the decisions that put them there: withdrawn (kept, left out of matching and export)
    when a later decision replaces the confirmation, restored when it is confirmed again."""
    db["bank_entries"].add_column("withdrawn_at", str)
    db["bank_entries"].add_column("withdrawn_why", str)


def _migrate_24(db: sqlite_utils.Database) -> None:
    """Sellers linked by what the venues show: a listing or shop that links the seller's account on another
    venue (a Mercari Shops shop naming its Mercari account, a description pointing at a BOOTH shop)."""
    db["seller_links"].create({"site": str, "seller_id": str, "other_site": str, "other_seller_id": str,
                               "item_id": str, "url": str, "run_id": int, "first_seen": str},
                              pk=("site", "seller_id", "other_site", "other_seller_id"))


def _migrate_25(db: sqlite_utils.Database) -> None:
    """What a run knew of the decisions when it began (the last decision id then): a past day's report rebuilt
    takes the decisions made before the next day's run began, counted in ids, never in two processes' clocks."""
    db["runs"].add_column("decisions_upto", int)


VIEWS = {
    # every hit of every run, with its listing as it reads now: for Datasette, sqlite-utils and monthly questions
    "v_hits": """select h.run_id, r.started_at as run_started_at, r.kind as run_kind, h.site, h.item_id, h.rule_id,
        h.rule_title, h.severity, l.title, l.price, l.currency, l.status, l.seller_id, l.seller_name, l.url
        from hits h join runs r on r.id = h.run_id join listings l on l.site = h.site and l.item_id = h.item_id""",
    # per seller per calendar month (UTC) of the runs: listings flagged, how many sold, for how much
    "v_sellers_month": """select f.month, f.site, l.seller_id, max(l.seller_name) as seller_name,
        count(*) as flagged_listings, sum(case when l.status = 'sold' then 1 else 0 end) as sold_listings,
        sum(case when l.status = 'sold' then cast(l.price as real) else 0 end) as sold_total
        from (select distinct substr(r.started_at, 1, 7) as month, h.site, h.item_id
              from hits h join runs r on r.id = h.run_id) f
        join listings l on l.site = f.site and l.item_id = f.item_id
        where l.seller_id is not null group by f.month, f.site, l.seller_id""",
}


def _migrate_26(db: sqlite_utils.Database) -> None:
    """Documented views over the tables (README: "Questions in SQL"), the same on SQLite and PostgreSQL."""
    for name, body in VIEWS.items():
        db.execute(f"create view {name} as {body}")


def _migrate_27(db: sqlite_utils.Database) -> None:
    """The crawl budget: what a listing's search card last showed, when its item page was last read in full, and
    the page's validators for a conditional request; and what each run spent per target."""
    for column, kind in (("card_digest", str), ("item_read_at", str), ("item_read_run", int), ("etag", str),
                         ("last_modified", str)):
        db["listings"].add_column(column, kind)
    db["run_targets"].add_column("spent", str)  # JSON: requests by kind, pages spared, seconds waited for the pace


def _migrate_28(db: sqlite_utils.Database) -> None:
    """Takedown notices: each drafted from a decision for one channel, the listings it covers, and its states
    (draft, sent, acknowledged, removed, ended, rejected, no_response; a failed send), appended, never changed."""
    db["notices"].create({"id": int, "channel": str, "kind": str, "language": str, "target": str, "site": str,
                          "seller_id": str, "subject": str, "body": str, "fields": str, "document": str,
                          "created_by": str, "created_at": str, "decision_id": int, "follows": int,
                          "due_told_at": str}, pk="id")
    db["notice_listings"].create({"notice_id": int, "site": str, "item_id": str, "url": str, "title": str},
                                 pk=("notice_id", "site", "item_id"), foreign_keys=[("notice_id", "notices", "id")])
    db["notice_listings"].create_index(["site", "item_id"])
    db["notice_events"].create({"id": int, "notice_id": int, "state": str, "at": str, "user_name": str,
                                "receipt": str, "error": str, "run_id": int, "proof": str, "hours": float}, pk="id",
                               foreign_keys=[("notice_id", "notices", "id")])
    db["notice_events"].create_index(["notice_id"])


def _migrate_29(db: sqlite_utils.Database) -> None:
    """Failed sign-ins per (name, client address), counted before the password is checked: guesses from one
    place slow that place down instead of locking the account for everyone."""
    db["login_failures"].create({"name": str, "address": str, "failures": int, "last_at": str, "blocked_until": str},
                                pk=("name", "address"))


def _migrate_30(db: sqlite_utils.Database) -> None:
    """An imported decision says which file it came from and the name that file gave (its user_name is the
    account that imported it)."""
    db["decisions"].add_column("import_file", str)
    db["decisions"].add_column("file_user", str)


def _migrate_31(db: sqlite_utils.Database) -> None:
    """A run's own settings (what it captures, how fast it asks: auditor.run.plan.settings_of), which workers take
    from the run rather than from their own config files."""
    db["runs"].add_column("settings", str)


def _migrate_32(db: sqlite_utils.Database) -> None:
    """Every address a run's aliases had, one row per start (a run resumed after a kill starts the demo on another
    port), so URLs stored under any of them are carried to the address of today's start."""
    db["run_aliases"].create({"run_id": int, "aliases": str, "at": str}, pk=("run_id", "aliases"))


def _migrate_33(db: sqlite_utils.Database) -> None:
    """What each job of a run done by workers spent (requests by kind, item pages spared, time waiting for the
    pace, pictures), so the coordinator adds them up per target as a single process counts them."""
    db["run_jobs"].add_column("spent", str)


def _migrate_34(db: sqlite_utils.Database) -> None:
    """Sellers a partner named (a STIX bundle taken in by `auditor networks import`): the watch list, with where
    each came from."""
    db["watched_sellers"].create({"site": str, "seller_id": str, "name": str, "source": str, "bundle": str,
                                  "added_at": str}, pk=("site", "seller_id", "source"))


def _migrate_35(db: sqlite_utils.Database) -> None:
    """Hash exchange. A bank entry is a PDQ hash or an exact digest of a file (`video_md5` / `video_sha256`, the
    ThreatExchange signal types; `exact` holds the digest, `pdq` is null), with where it came from (`source_id`:
    its id at the source, `fetched_at`: when we took it in); an entry that suddenly matches far above its usual
    rate is held (`held_at`, `held_why`) until a lead releases it. Each image's MD5 (what exact lists share). Every
    match of a listing's picture to an entry, per run (`held`: found while the entry was held, so it flagged
    nothing): the case view's provenance, the partners' feedback and the flood's measure."""
    db["bank_entries"].add_column("signal_type", str, not_null_default="pdq")
    for name, kind in (("exact", str), ("source_id", str), ("fetched_at", str),
                       ("held_at", str), ("held_why", str), ("released_at", str), ("released_by", str)):
        db["bank_entries"].add_column(name, kind)
    db["bank_entries"].create_index(["bank", "signal_type", "exact"], unique=True)
    db["images"].add_column("md5", str)
    db["images"].create_index(["md5"])
    db["bank_matches"].create({"id": int, "run_id": int, "entry_id": int, "site": str, "item_id": str,
                               "image_sha256": str, "distance": int, "held": int, "seen_at": str}, pk="id")
    db["bank_matches"].create_index(["run_id", "entry_id", "site", "item_id"], unique=True)
    db["bank_matches"].create_index(["entry_id"])
    db["bank_matches"].create_index(["site", "item_id"])


MIGRATIONS = [_migrate_1, _migrate_2, _migrate_3, _migrate_4, _migrate_5, _migrate_6, _migrate_7, _migrate_8,
              _migrate_9, _migrate_10, _migrate_11, _migrate_12, _migrate_13, _migrate_14,
              _migrate_15, _migrate_16, _migrate_17, _migrate_18, _migrate_19, _migrate_20, _migrate_21, _migrate_22, _migrate_23,
              _migrate_24, _migrate_25, _migrate_26, _migrate_27, _migrate_28, _migrate_29, _migrate_30, _migrate_31,
              _migrate_32, _migrate_33, _migrate_34, _migrate_35]
