"""The store keeps one row per listing, its history per run, sellers, hits and failed pages."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from auditor.models import Hit, Listing, Match, PageFailure, PageKind, RunSummary
from auditor.store import Store
from auditor.store.schema import MIGRATIONS

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)


def listing(**changes) -> Listing:
    base = dict(site="demo_auction", item_id="x1", url="http://h/auction/item/x1", title="【AI美女】ポスター A3",
                description="光沢紙", price=Decimal("3400"), currency="JPY", bids=2, seller_id="s1",
                seller_name="Seller One", tags=("AI美女",), status="active")
    base.update(changes)
    return Listing(**base)


HIT = Hit("ai_poster.label", "AI-generated beauty label", "high", ("ai-generated",),
          (Match("title", "AI美女", 1, 5),))


def test_a_second_run_updates_and_never_duplicates(store: Store):
    r1 = store.start_run(T0, ["demo"], [])
    first = store.record_listing(r1, "demo", listing(), [HIT], T0)
    r2 = store.start_run(T0 + timedelta(days=1), ["demo"], [])
    again = store.record_listing(r2, "demo", listing(), [HIT], T0 + timedelta(days=1))
    changed = store.record_listing(r2, "demo", listing(price=Decimal("5000"), bids=7, status="sold"), [HIT],
                                   T0 + timedelta(days=1, minutes=1))
    assert (first.new, first.changes) == (True, ())
    assert (again.new, again.changes) == (False, ())
    assert changed.changes == ("price", "bids", "status")
    assert store.count("listings") == 1
    assert store.count("observations") == 3
    row = store.db["listings"].get(("demo_auction", "x1"))
    assert (row["price"], row["status"], row["first_run_id"], row["last_run_id"]) == ("5000", "sold", r1, r2)
    assert row["first_seen"] == "2026-11-25T06:00:00+00:00"
    assert store.count("hits") == 2  # one per run, not one per sighting
    assert store.flagged_keys(r2) == {("demo_auction", "x1"): {"ai_poster.label"}}


def test_sellers_are_kept_with_their_latest_name(store: Store):
    run = store.start_run(T0, ["demo"], [])
    store.record_listing(run, "demo", listing(), [], T0)
    store.record_listing(run, "demo", listing(item_id="x2", seller_name="Renamed"), [], T0 + timedelta(hours=1))
    [seller] = store.db["sellers"].rows
    assert (seller["seller_id"], seller["name"], seller["first_seen"]) == ("s1", "Renamed", "2026-11-25T06:00:00+00:00")


def test_runs_and_failures_are_recorded(store: Store):
    run = store.start_run(T0, ["demo"], ["rules/a.yaml"])
    store.record_failure(run, PageFailure("demo", "http://h/x", "http_status", "HTTP 500", 3, PageKind.ITEM), T0)
    summary = RunSummary(run, "completed", T0, T0 + timedelta(seconds=42), ["demo"], pages_ok=5, pages_failed=1)
    store.finish_run(summary)
    row = store.run(run)
    assert (row["status"], row["pages_ok"], row["pages_failed"], row["finished_at"]) == (
        "completed", 5, 1, "2026-11-25T06:00:42+00:00")
    [failure] = store.failures_for_run(run)
    assert (failure["url"], failure["kind"], failure["attempts"], failure["page_kind"]) == ("http://h/x", "http_status", 3, "item")


def test_database_is_in_wal_mode_and_migrated_once(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as s:
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.schema_version == len(MIGRATIONS)
    with Store(path) as s:  # reopening runs no migration again
        assert s.schema_version == len(MIGRATIONS)
        assert s.count("runs") == 0


def test_scraped_text_is_stored_verbatim(store: Store):
    run = store.start_run(T0, ["demo"], [])
    hostile = "<script>alert(1)</script>'; drop table listings; --"
    store.record_listing(run, "demo", listing(title=hostile), [], T0)
    assert store.db["listings"].get(("demo_auction", "x1"))["title"] == hostile


def test_a_run_with_broken_rules_is_recorded_as_failed(tmp_path, config):
    from auditor.config import Target
    from auditor.errors import RuleError
    from auditor.ops.audit import start_audit
    from auditor.run.pipeline import AuditOptions

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yaml").write_text("rules:\n  - id: bad.x\n    title: [oops\n", encoding="utf-8")
    config = config.model_copy(update={"rules_dir": tmp_path / "rules"})
    target = Target(name="t", site="demo_auction", start_urls=["http://127.0.0.1:9/auction/search"])
    with Store(config.database) as store:
        try:
            start_audit(config, store, AuditOptions(targets=[target]))
        except RuleError as e:
            message = str(e)
        [run] = store.runs()
    assert message.startswith(f"{tmp_path / 'rules' / 'bad.yaml'}:4:1: YAML syntax:")
    assert (run["status"], run["error"]) == ("failed", message)


def test_a_database_written_by_a_newer_auditor_is_refused_untouched(tmp_path):
    import sqlite3

    from auditor.errors import StoreError

    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as c:
        c.execute(f"pragma user_version = {len(MIGRATIONS) + 1}")
        c.execute("create table future (x)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"newer auditor \(schema version {len(MIGRATIONS) + 1}; this one knows up to "
                                         rf"{len(MIGRATIONS)}\): upgrade auditor"):
        Store(path)
    assert path.read_bytes() == before  # untouched: not even switched to WAL


def test_several_processes_creating_the_schema_at_once_all_succeed(database):
    import subprocess
    import sys

    code = f"from auditor.store import Store\nwith Store({str(database)!r}) as s: print(s.schema_version)"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, results
    assert {out.strip() for out, _ in results} == {str(len(MIGRATIONS))}


def test_a_run_across_midnight_lists_every_capture_in_its_own_days_manifest(tmp_path):
    from zoneinfo import ZoneInfo

    from auditor.evidence.capture import write_run_manifests
    from auditor.evidence.files import save_snapshot
    from auditor.models import Snapshot

    tokyo, root = ZoneInfo("Asia/Tokyo"), tmp_path / "evidence"
    late = datetime(2026, 11, 25, 14, 50, tzinfo=timezone.utc)  # 23:50 in Tokyo
    with Store(tmp_path / "a.db") as store:
        run = store.start_run(late, ["t"], [])
        for i, at in enumerate((late, late + timedelta(minutes=20))):  # the second one after midnight
            snap = Snapshot(f"http://h/x{i}", f"http://h/x{i}", b"\x89PNG", "<html></html>")
            store.record_evidence(run, save_snapshot(root, "demo_auction", f"x{i}", snap, at))
        paths = write_run_manifests(store, root, run, tokyo)
    assert [p.name for p in paths] == ["2026-11-25.sha256", "2026-11-26.sha256"]
    assert "demo_auction/x0/" in paths[0].read_text() and "demo_auction/x1/" in paths[1].read_text()
    assert "x1" not in paths[0].read_text()


def test_the_documented_views_answer_a_monthly_question(store):
    from datetime import datetime, timezone
    from decimal import Decimal

    from auditor.models import Hit, Listing, Match

    at = datetime(2026, 11, 20, 21, 0, tzinfo=timezone.utc)
    hit = Hit("ai_poster.label", "AI label", "high", (), (Match("title", "AI美女", 0, 4),))
    run = store.start_run(at, ["t"], [])
    for i, status in enumerate(("sold", "sold", "active")):
        store.record_listing(run, "t", Listing("demo_auction", f"x{i}", f"http://h/x{i}", f"AI美女 {i}", price=Decimal(3000 + i),
                                               currency="JPY", seller_id="big", seller_name="AIギャラリー", status=status),
                             [hit], at)
    rows = list(store.db.query("select * from v_sellers_month where month = '2026-11'"))
    assert [(r["seller_id"], r["flagged_listings"], r["sold_listings"], float(r["sold_total"])) for r in rows] == [
        ("big", 3, 2, 6001.0)]
    assert {r["item_id"] for r in store.db.query("select item_id from v_hits where rule_id = 'ai_poster.label'")} == {"x0", "x1", "x2"}


def test_a_bank_entry_matching_far_above_its_busiest_run_is_held_and_a_release_owes_a_re_read(store: Store):
    store.create_bank("partner", "", "ana", T0)
    store.add_to_bank("partner", [{"signal_type": "video_md5", "exact": "a" * 32, "source": "import", "ref": "x"}],
                      "ana", T0)
    [entry] = store.bank_entries(["partner"])
    flood = {"min_listings": 2, "factor": 3, "days": 30}
    r1 = store.start_run(T0, ["demo"], [])
    for i in range(1, 4):
        store.record_listing(r1, "demo", listing(item_id=f"x{i}", url=f"http://h/auction/item/x{i}"), [], T0)
    held = [store.record_bank_matches(r1, "demo_auction", f"x{i}", [(entry["id"], "s", 0)], T0, **flood)
            for i in range(1, 4)]
    assert held == [set(), set(), {entry["id"]}]  # the third passes min_listings 2 (no earlier run: 3 x 0)
    assert store.record_bank_matches(r1, "demo_auction", "x3", [(entry["id"], "s", 0)], T0, **flood) == {entry["id"]}
    [h] = store.held_entries()
    assert h["waiting"] == 1 and h["held_why"].startswith(f"run #{r1}: 3 listings matched it, more than 2")
    assert store.rechecks(["demo"]) == []  # held: nothing to read again yet
    done = store.release_bank_entry(entry["id"], "lena", T0)
    assert [m["item_id"] for m in done["matches"]] == ["x3"] and store.held_entries() == []
    assert store.release_bank_entry(entry["id"], "lena", T0) is None  # not held any more
    assert [(r["item_id"], r["target"]) for r in store.rechecks(["demo"])] == [("x3", "demo")]
    assert ("demo_auction", "x3") in {(r["site"], r["item_id"]) for r in store.followed(["demo"])}
    r2 = store.start_run(T0 + timedelta(days=1), ["demo"], [])  # 9 listings: 3 x its busiest run (3), not above
    assert all(store.record_bank_matches(r2, "demo_auction", f"x{i}", [(entry["id"], "s", 0)], T0 + timedelta(days=1),
                                         **flood) == set() for i in range(1, 10))
    assert store.rechecks(["demo"]) == []  # x3 matched again: read
    r3 = store.start_run(T0 + timedelta(days=2), ["demo"], [])  # the 28th passes 3 x its busiest run (9)
    got = [store.record_bank_matches(r3, "demo_auction", f"y{i}", [(entry["id"], "s", 0)], T0 + timedelta(days=2),
                                     **flood) for i in range(28)]
    assert got[:27] == [set()] * 27 and got[27] == {entry["id"]}
