"""A day keeps its story, and every count is one count: a same-day rerun of a target keeps the morning's
evasion and escalation in the day's report and counts each listing once; a past day rebuilt shows only what
was known by its end; the report, the queues and the alerts count the cases needing a decision alike."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.models import Hit, Listing, Match, RunSummary
from auditor.report import compile_day_report, write_reports
from auditor.report.compile import compile_run_report
from auditor.review import decisions as dec
from auditor.review import queue as q
from auditor.review.users import add_user

from test_review import audit  # one run as the pipeline records it

TOKYO = ZoneInfo("Asia/Tokyo")
DAY1 = datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc)  # 06:30 on the 25th in Tokyo
LABEL = Hit("ai_poster.label", "AI label", "high", (), (Match("title", "AI美女", 0, 4),))
ADULT = Hit("adult.terms", "adult terms", "critical", (), (Match("description", "成人向け", 0, 4),))


def x(item_id: str, title: str = "AI美女 ポスター", description: str = "", status: str = "active") -> Listing:
    return Listing("demo_auction", item_id, f"http://h/{item_id}", f"{title} {item_id}", description=description,
                   price=Decimal(3000), currency="JPY", seller_id="s1", status=status)


def day_one(store):
    return audit(store, DAY1, [(x("a"), [LABEL]), (x("b"), [LABEL]), (x("c", title="ピエロ"), [])])


def test_a_same_day_rerun_keeps_the_mornings_evasion_and_escalation_and_counts_each_listing_once(store, tmp_path):
    day_one(store)
    morning = DAY1 + timedelta(days=1)
    first = audit(store, morning, [(x("a", title="生成美人 ポスター"), []), (x("b", description="成人向け"), [LABEL, ADULT]),
                                   (x("c", title="ピエロ"), []), (x("d"), [LABEL])])
    states = {s["item_id"]: s["state"] for s in store.states_of_run(first)}
    assert (states["a"], states["b"], states["d"]) == ("evaded", "escalated", "new")
    again = audit(store, morning + timedelta(hours=6), [(x("a", title="生成美人 ポスター"), []),
                                                        (x("b", description="成人向け"), [LABEL, ADULT]),
                                                        (x("c", title="ピエロ"), []), (x("d"), [LABEL])])
    later = {s["item_id"]: s["state"] for s in store.states_of_run(again)}
    assert later["b"] == "active" and later["d"] == "active"  # the afternoon's own reading: nothing new since
    report = compile_day_report(store, morning.astimezone(TOKYO).date(), TOKYO, tmp_path)
    told = {r.item_id: r.state for r in report.listings}
    assert told["a"] == "evaded" and told["b"] == "escalated" and told["d"] == "new"
    assert sorted(r.item_id for r in report.listings) == sorted(set(told))  # each listing once
    assert [r["id"] for r in report.runs] == [first, again]  # the runs it covers
    _, day_dir = write_reports(store, again, tmp_path / "reports", TOKYO)
    covers = json.loads((Path(day_dir) / "summary.json").read_text())["covers"]
    assert covers == [{"target": "t", "run_id": again, "runs": [first, again], "complete": True, "reason": None}]


def test_the_report_the_queues_and_the_alerts_count_the_same_cases(store, tmp_path):
    from auditor.ops.alerts import run_alerts

    day_one(store)
    at = DAY1 + timedelta(days=1)
    run = audit(store, at, [(x("a"), [LABEL]), (x("b"), [LABEL]), (x("s", status="sold"), [LABEL, ADULT]),
                            (x("e", status="ended"), [LABEL])])
    ana = add_user(store, "ana", "reviewer", "a long enough secret", at)
    dec.decide(store, ana, [("demo_auction", "a")], "confirmed", at)
    report = compile_run_report(store, run, TOKYO, tmp_path)
    for_sale = q.queue(store, q.Filters(), at)
    sold = q.queue(store, q.Filters(queue="sold_ended"), at)
    assert [c.item_id for c in for_sale] == ["b"]  # a was decided
    assert sorted(c.item_id for c in sold) == ["e", "s"]  # flagged, then sold or ended: for the seller
    assert (report.needs_for_sale, report.needs_sold, report.needs_decision) == (1, 2, 3)
    assert store.needs_decision_counts() == {"for_sale": 1, "sold_ended": 2}
    assert q.queue_page(store, q.Filters(queue="sold_ended"), at)[0] == 2  # paged in SQL, the same
    summary = RunSummary(run, "completed", at, at, ["t"], kind="scheduled")
    [alert] = [a for a in run_alerts(store, summary, 0, at) if a.event == "new_critical"]
    assert "In all, 3 cases need a decision: 1 for sale (the queue), 2 sold or ended (for the seller)." in alert.body
    dec.decide(store, ana, [("demo_auction", "s")], "seller_followup", at)
    assert [c.item_id for c in q.queue(store, q.Filters(queue="sold_ended"), at)] == ["e"]
    assert store.needs_decision_counts() == {"for_sale": 1, "sold_ended": 1}


def test_a_past_day_rebuilt_shows_no_decision_made_after_it(store, tmp_path):
    run = day_one(store)
    day = DAY1.astimezone(TOKYO).date()
    ana = add_user(store, "ana", "reviewer", "a long enough secret", DAY1)
    dec.decide(store, ana, [("demo_auction", "a")], "confirmed", DAY1 + timedelta(days=30))  # that day (whatever
    # the console's clock says: what counts is that it came before the next day's run began)
    audit(store, DAY1 + timedelta(days=1), [(x("a"), [LABEL]), (x("b"), [LABEL])])
    dec.decide(store, ana, [("demo_auction", "b")], "false_positive", DAY1 - timedelta(days=30))  # after that run
    root = tmp_path / "evidence"
    for run_id, name in ((run, "day1.png"), (run + 1, "day2.png")):  # a capture of each day's run
        (root / "demo_auction" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "demo_auction" / name).write_bytes(name.encode())
        store.db["evidence"].insert({"run_id": run_id, "site": "demo_auction", "item_id": "a", "url": "http://h/a",
                                     "captured_at": (DAY1 + timedelta(days=run_id - run)).isoformat(),
                                     "folder": f"demo_auction/{name}", "kind": "screenshot",
                                     "path": f"demo_auction/{name}", "sha256": "0" * 64, "bytes": 8})
    report = compile_day_report(store, day, TOKYO, tmp_path, evidence_root=root)
    decided = {r.item_id: (r.decision or {}).get("verdict") for r in report.listings}
    assert decided == {"a": "confirmed", "b": None}  # the next day's decision is not in that day's report
    shown = next(r for r in report.listings if r.item_id == "a").evidence
    assert [e.name for e in shown] == ["day1.png"]  # nor the next day's capture
    today = compile_day_report(store, (DAY1 + timedelta(days=1)).astimezone(TOKYO).date(), TOKYO, tmp_path)
    assert {r.item_id: (r.decision or {}).get("verdict") for r in today.listings} == {"a": "confirmed", "b": "false_positive"}
    assert {r.item_id for r in report.listings if r.needs_decision} == {"b"}
    assert [r["id"] for r in report.runs] == [run]


def test_report_open_shows_the_day_as_written_and_only_a_rebuild_writes_a_new_version(store, tmp_path, backend):
    import os
    import subprocess
    import sys

    if backend != "sqlite":
        import pytest

        pytest.skip("the command reads the SQLite file it is given; the store's SQL runs on both above")
    run = day_one(store)
    reports = tmp_path / "reports"
    _, day_dir = write_reports(store, run, reports, TOKYO)
    ana = add_user(store, "ana", "reviewer", "a long enough secret", DAY1)
    dec.decide(store, ana, [("demo_auction", "a")], "confirmed", DAY1 + timedelta(hours=1))  # a rebuild would differ
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {store.path}\nreports_dir: {reports}\nlog_file: null\n", encoding="utf-8")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    day = DAY1.astimezone(TOKYO).date().isoformat()
    cli = [sys.executable, "-m", "auditor", "--config", str(config), "report", "--date", day]
    done = subprocess.run([*cli, "--open"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "(as written;" in done.stdout and sorted(p.name for p in reports.iterdir() if p.name.startswith(day)) == [day]
    assert opened.read_text().strip() == (Path(day_dir) / "report.html").resolve().as_uri()
    done = subprocess.run(cli, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in reports.iterdir() if p.name.startswith(day)) == [day, f"{day}.v2"]
    subprocess.run([*cli, "--open"], capture_output=True, text=True, timeout=120, env=env, check=True)
    assert opened.read_text().split()[-1].endswith(f"/{day}.v2/report.html")  # the newest version


def test_an_evasion_caught_again_by_an_updated_rule_keeps_its_edited_marker(store, tmp_path):
    day_one(store)
    day2 = DAY1 + timedelta(days=1)
    audit(store, day2, [(x("a", title="生成美人 ポスター"), []), (x("b"), [LABEL]), (x("c", title="ピエロ"), [])])
    day3 = day2 + timedelta(days=1)  # staff add 生成美人 to the label rule: the same rule id matches again
    run = audit(store, day3, [(x("a", title="生成美人 ポスター"), [LABEL]), (x("b"), [LABEL]), (x("c", title="ピエロ"), [])])
    states = {s["item_id"]: s["state"] for s in store.states_of_run(run)}
    assert states["a"] == "active"  # the same rules as when first flagged: no escalation
    report = compile_day_report(store, day3.astimezone(TOKYO).date(), TOKYO, tmp_path)
    told = {r.item_id: r for r in report.listings}
    assert told["a"].evaded_at == day2.isoformat() and told["b"].evaded_at is None
    _, day_dir = write_reports(store, run, tmp_path / "reports", TOKYO)
    html = (Path(day_dir) / "report.html").read_text(encoding="utf-8")
    assert html.count('class="edited"') == 1 and "edited to evade (seen 2026-11-26 06:30+09:00), caught again" in html
