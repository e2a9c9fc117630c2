"""Runs that are killed, stopped or started twice: real processes, a real SQLite file, real Chromium."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.run.runlock import run_lock

from conftest import RULES

pytestmark = pytest.mark.e2e


def write_config(tmp_path: Path, listings: int = 300) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(f"""\
database: {tmp_path}/a.db
reports_dir: {tmp_path}/reports
rules_dir: {RULES}
crawl: {{requests_per_second: 500, retries: 1, backoff_seconds: 0.05, page_timeout_seconds: 10}}
evidence: {{enabled: false}}
demo: {{listings: {listings}}}
targets:
  - {{name: demo-auction, site: demo_auction, start_urls: ["demo:/auction/search"], requests_per_second: 500}}
  - {{name: demo-fleamarket, site: demo_fleamarket, start_urls: ["demo:/flea/search"], requests_per_second: 500}}
""", encoding="utf-8")
    return p


def start_run(config: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(config), "run", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as c:
        try:
            return c.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_leaves_an_intact_database_and_resume_completes_the_listings(tmp_path):
    config, db = write_config(tmp_path), tmp_path / "a.db"
    proc = start_run(config)
    wait_for(lambda: count(db, "select count(*) from observations") >= 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert c.execute("select status from runs").fetchall() == [("running",)]
        done_before = c.execute("select count(*) from observations").fetchone()[0]
    assert 60 <= done_before < 300

    resumed = CliRunner().invoke(cli, ["--config", str(config), "run", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    with sqlite3.connect(db) as c:
        assert c.execute("select id, status from runs").fetchall() == [(1, "completed")]  # the same run, carried on
        assert c.execute("select count(*) from listings").fetchone()[0] == 300  # none lost
        per_item = c.execute("select count(*), count(distinct site || item_id) from observations where run_id = 1").fetchone()
        assert per_item == (300, 300)  # none fetched twice: the done pages were skipped
        assert c.execute("select listings_seen from runs").fetchone()[0] == 300


@pytest.mark.timeout(900)
def test_killed_three_times_and_resumed_each_time_every_listing_hit_and_capture_is_there_once(tmp_path):
    """kill -9 three times (twice while crawling, once among the captures), `run --resume` after each, in fresh
    processes: each start serves the demo marketplace on a port of its own. The run ends completed with every
    listing observed once, each hit once, the flagged listings the demo's truth, and each of them with one
    capture; nothing is owed or half-written."""
    from auditor.config import load_config
    from auditor.demo import score
    from auditor.demo.world import DemoWorld

    config, db = write_config(tmp_path, listings=160), tmp_path / "a.db"
    config.write_text(config.read_text().replace("evidence: {enabled: false}", "evidence: {images: false}"))
    settings = load_config(config)
    truth = set(DemoWorld(settings.demo.seed, 160).catalog(settings.demo.day).truth())
    kills = [("select count(*) from observations", 30), ("select count(*) from observations", 90),
             ("select count(distinct folder) from evidence", 4)]
    proc, killed = start_run(config), []
    for sql, mark in kills:
        wait_for(lambda: count(db, sql) >= mark or proc.poll() is not None, timeout=240)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed.append(count(db, "select count(*) from observations"))
        proc = start_run(config, "--resume")
    out, err = proc.communicate(timeout=600)  # a hang guard only
    assert proc.returncode == 0 and "Traceback" not in err, err[-1500:]
    assert len(killed) == 3 and killed[0] < 160, killed  # killed three times, the first with pages still to read
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert c.execute("select id, status from runs").fetchall() == [(1, "completed")]
        assert c.execute("select count(*), count(distinct site || '/' || item_id) from observations"
                         " where run_id = 1").fetchone() == (160, 160)
        hits = c.execute("select count(*), count(distinct site || '/' || item_id || '/' || rule_id) from hits").fetchone()
        flagged = set(c.execute("select distinct site, item_id from hits where run_id = 1").fetchall())
        folders = c.execute("select site, item_id, count(distinct folder) from evidence group by site, item_id").fetchall()
        owed = c.execute("select count(*) from evidence_owed").fetchone()[0]
    assert hits[0] == hits[1] and score(flagged, truth) == (1.0, 1.0)
    assert {(s, i) for s, i, _ in folders} == flagged and all(n == 1 for *_, n in folders), folders
    assert owed == 0 and not list((tmp_path / "reports" / "evidence").glob("*/*/.partial-*"))


def test_sigterm_marks_the_run_interrupted_and_exits_within_seconds(tmp_path):
    config, db = write_config(tmp_path), tmp_path / "a.db"
    proc = start_run(config)
    wait_for(lambda: count(db, "select count(*) from observations") >= 30)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)  # a hang guard only: how fast is the machine's business, not the test's
    assert proc.returncode == 130, err
    assert count(db, "select count(*) from observations") < 300  # it stopped the run, not finished it
    assert "--resume" in err and "Traceback" not in err  # one line, no noise from the crawl unwinding
    with sqlite3.connect(db) as c:
        status, error = c.execute("select status, error from runs").fetchone()
    assert status == "interrupted" and "SIGTERM" in error
    log = (tmp_path / "data" / "auditor.log").read_text(encoding="utf-8")  # the default log file, beside the config
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d INFO +run=1 auditor\.run\.pipeline: run 1 \(manual\): 2 targets",
                     log, re.M)  # each line: its time with the zone's offset, its run


def test_two_runs_never_go_at_once(tmp_path):
    config, db = write_config(tmp_path, listings=60), tmp_path / "a.db"
    with run_lock(db):  # as if a scheduled run were going
        refused = CliRunner().invoke(cli, ["--config", str(config), "run"])
    assert refused.exit_code == 3
    assert "another audit run" in refused.output and "--wait" in refused.output
    assert count(db, "select count(*) from runs") == 0  # refused before it touched anything

    first = start_run(config)
    wait_for(lambda: count(db, "select count(*) from runs where status = 'running'") == 1)
    second = start_run(config, "--wait")
    assert first.wait(60) == 0 and second.wait(60) == 0, second.stderr.read()
    with sqlite3.connect(db) as c:
        runs = c.execute("select started_at, finished_at, status from runs order by id").fetchall()
    assert [r[2] for r in runs] == ["completed", "completed"]
    assert runs[1][0] >= runs[0][1]  # the second started after the first had finished


def test_a_run_killed_while_capturing_evidence_leaves_no_capture_lost_or_half_written(tmp_path):
    config, db = write_config(tmp_path, listings=150), tmp_path / "a.db"
    config.write_text(config.read_text().replace("evidence: {enabled: false}", "evidence: {images: false}"))
    proc = start_run(config)
    wait_for(lambda: count(db, "select count(distinct folder) from evidence") >= 3, timeout=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    owed_at_kill = count(db, "select count(*) from evidence_owed")
    assert owed_at_kill > 0  # captures lag behind the crawl: these were owed when it died

    resumed = CliRunner().invoke(cli, ["--config", str(config), "run", "--resume"])
    assert resumed.exit_code in (0, 1), resumed.output
    evidence = tmp_path / "reports" / "evidence"
    with sqlite3.connect(db) as c:
        flagged = set(c.execute("select distinct site, item_id from hits where run_id = 1").fetchall())
        captured = set(c.execute("select distinct site, item_id from evidence").fetchall())
        failed = {tuple(u.rsplit("/", 1)) for (u,) in c.execute("select url from page_failures where kind = 'evidence'")}
        assert c.execute("select count(*) from evidence_owed").fetchone()[0] == 0
        status = c.execute("select status from runs where id = 1").fetchone()[0]
    assert flagged and len(flagged - captured) <= len(failed), "every flagged listing has evidence or a recorded failure"
    assert status == ("completed" if not failed else "partial")
    assert not list(evidence.glob("*/*/.partial-*"))  # nothing half-written is left
    for manifest in (evidence / "manifests").glob("*.sha256"):
        checked = subprocess.run(["sha256sum", "--quiet", "-c", str(manifest.relative_to(evidence))], cwd=evidence,
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_capture_is_complete_or_absent(tmp_path):
    from datetime import datetime, timezone

    from auditor.evidence.files import clean_partial, save_snapshot
    from auditor.models import Snapshot

    snap = Snapshot("https://x.example/1", "https://x.example/1", b"\x89PNG" + b"0" * 100, "<html></html>")
    at = datetime(2026, 11, 26, 6, 0, tzinfo=timezone.utc)
    first = save_snapshot(tmp_path, "site", "item/../1", snap, at)
    second = save_snapshot(tmp_path, "site", "item/../1", snap, at)  # the same second: a new folder beside it
    assert first.folder != second.folder
    for ev in (first, second):
        names = sorted(p.name for p in (tmp_path / ev.folder).iterdir())
        assert names == ["capture.json", "page.html", "page.png"]  # no block given: no listing.png
    leftover = tmp_path / "site" / "x" / ".partial-abc"
    leftover.mkdir(parents=True)
    (leftover / "page.png").write_bytes(b"")  # what a kill in the middle of writing leaves
    assert clean_partial(tmp_path) == 1 and not leftover.exists()
    assert (tmp_path / first.folder).exists()


def test_evidence_is_readable_by_auditors_user_only(tmp_path):
    from datetime import datetime, timezone

    from auditor.evidence.files import save_snapshot
    from auditor.models import Snapshot

    snap = Snapshot("https://x.example/1", "https://x.example/1", b"\x89PNG" + b"0" * 100, "<html></html>")
    ev = save_snapshot(tmp_path / "evidence", "site", "1", snap, datetime(2026, 11, 26, tzinfo=timezone.utc))
    folder = tmp_path / "evidence" / ev.folder
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}
    assert (tmp_path / "evidence").stat().st_mode & 0o777 == 0o700


def test_ctrl_c_in_a_terminal_stops_the_run_in_one_line(tmp_path):
    """A terminal sends Ctrl-C to its whole process group, Playwright's driver and Chromium included."""
    config, db = write_config(tmp_path, listings=600), tmp_path / "a.db"
    config.write_text(config.read_text().replace("evidence: {enabled: false}", "evidence: {images: false}"))
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(config), "run"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # its own group, as in a terminal
    wait_for(lambda: count(db, "select count(*) from evidence") >= 3, timeout=120)  # the browser busy with captures
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)  # a hang guard only
    assert proc.returncode == 130
    listings = "select count(distinct site || '/' || item_id) from "
    assert count(db, listings + "evidence") < count(db, listings + "hits")  # stopped among the captures, not after
    said = (out + err).strip().splitlines()
    assert len(said) <= 3 and "Traceback" not in err, out + err
    assert "interrupted" in said[-1] and "--resume" in said[-1]
    with sqlite3.connect(db) as c:
        assert c.execute("select status from runs").fetchone()[0] == "interrupted"
    left = subprocess.run(["pgrep", "-a", "-g", str(proc.pid)], capture_output=True, text=True).stdout.splitlines()
    assert left == []  # no driver, browser or image analysis left running in its group
