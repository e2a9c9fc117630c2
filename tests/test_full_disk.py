"""A full disk under the evidence folder: captures fail as recorded failures, none is half-written, the
run says partial, and the captures still owed are taken once there is room again.

A real tmpfs of 400 KB (mounted where the machine allows it: root, and a kernel that lets us), the
real pipeline, Chromium and SQLite.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

import pytest

from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.demo.world import DemoWorld
from auditor.evidence.capture import write_run_manifests
from auditor.evidence.files import sha256_of
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store
from conftest import FixedClock

pytestmark = pytest.mark.e2e


@contextmanager
def tmpfs(mount, size: str):
    """A real tmpfs of `size` mounted at `mount` (root, and a kernel that lets us; else the test skips, saying so)."""
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"this machine does not let us mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    with tmpfs(tmp_path / "evidence", "400k") as mount:
        yield mount


def test_a_full_evidence_disk_is_recorded_and_the_owed_captures_are_taken_later(config, small_disk):
    config = config.model_copy(update={
        "demo": config.demo.model_copy(update={"listings": 60}),
        "evidence": config.evidence.model_copy(update={"dir": small_disk, "images": False})})
    clock = FixedClock()
    world = DemoWorld(7, 60, epoch=clock())
    with Store(config.database) as store:
        first = start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                                      hosts=demo_hosts(config, world, 1)))
        failures = [f for f in store.failures_for_run(first.run_id) if f["kind"] == "evidence"]
        owed = store.owed_evidence([t.name for t in demo_targets()])
        recorded = list(store.db.query("select path, sha256 from evidence"))
    assert first.status == "partial" and first.evidence_failed == len(failures) > 0
    assert any("No space left" in f["error"] for f in failures)
    assert owed and len(owed) == len(failures)  # each failed capture stays owed
    assert not list(small_disk.glob("*/*/.partial-*"))  # nothing half-written (and no traceback: the run returned)
    for row in recorded:  # what was recorded is whole
        assert sha256_of(small_disk / row["path"]) == row["sha256"]

    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # not a byte left: the day's manifest cannot be written either
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass
    with Store(config.database) as store:
        assert write_run_manifests(store, small_disk, first.run_id, config.schedule.zone) == []  # said, not raised
    filler.unlink()

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # room again
    clock.now = clock.now.replace(hour=clock.now.hour + 1)
    with Store(config.database) as store:
        second = start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                                       hosts=demo_hosts(config, world, 1)))
        still_owed = store.owed_evidence([t.name for t in demo_targets()])
        captured = {(r["site"], r["item_id"]) for r in store.db.query("select distinct site, item_id from evidence")}
    assert still_owed == [] and second.evidence_failed == 0
    assert {(o["site"], o["item_id"]) for o in owed} <= captured
    manifests = list((small_disk / "manifests").glob("*.sha256"))
    assert manifests and subprocess.run(["sha256sum", "--quiet", "-c", str(manifests[0].relative_to(small_disk))],
                                        cwd=small_disk).returncode == 0  # every capture listed, and whole


@pytest.fixture
def data_disk(tmp_path):
    """A 64 MB tmpfs holding the database, the reports and the evidence: a team's one data disk."""
    with tmpfs(tmp_path / "data", "64m") as mount:
        yield mount


@pytest.mark.timeout(600)
def test_the_data_disk_filling_mid_run_stops_it_in_one_line_and_resume_completes_it(data_disk):
    """`auditor run` as a user runs it; when 40 listings are stored the disk under its database fills up (another
    program's file takes every byte left). The run stops with one line naming the disk and what to do, exit 2, no
    traceback. The file is removed; `auditor run --resume` completes the same run: every listing once, every
    flagged listing captured once, nothing owed."""
    import sqlite3
    import sys
    import time

    from conftest import RULES

    config, db = data_disk / "config.yaml", data_disk / "a.db"
    config.write_text(f"""\
database: {db}
reports_dir: {data_disk}/reports
rules_dir: {RULES}
log_file: null
crawl: {{requests_per_second: 500, retries: 1, backoff_seconds: 0.05, page_timeout_seconds: 10}}
evidence: {{images: false}}
demo: {{listings: 200}}
targets:
  - {{name: demo-auction, site: demo_auction, start_urls: ["demo:/auction/search"], requests_per_second: 60}}
  - {{name: demo-fleamarket, site: demo_fleamarket, start_urls: ["demo:/flea/search"], requests_per_second: 60}}
""", encoding="utf-8")
    command = [sys.executable, "-m", "auditor", "--config", str(config), "run"]

    def stored() -> int:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as c:
                return c.execute("select count(*) from observations").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240  # a hang guard only
    while stored() < 40:
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    filler = data_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # every byte left
        try:
            while True:
                f.write(b"\0" * (1 << 20))
        except OSError:
            pass
    _, err = run.communicate(timeout=300)
    at_stop = stored()
    assert run.returncode == 2, err[-1500:]
    assert "Traceback" not in err and "is full" in err.splitlines()[-1] and "--resume" in err.splitlines()[-1], err
    assert at_stop < 200  # it stopped with listings still to read

    filler.unlink()
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=400)
    assert resumed.returncode == 0 and "Traceback" not in resumed.stderr, resumed.stderr[-1500:]
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert c.execute("select id, status from runs").fetchall() == [(1, "completed")]
        assert c.execute("select count(*), count(distinct site || '/' || item_id) from observations").fetchone() == (200, 200)
        flagged = set(c.execute("select distinct site, item_id from hits").fetchall())
        folders = c.execute("select site, item_id, count(distinct folder) from evidence group by site, item_id").fetchall()
        assert c.execute("select count(*) from evidence_owed").fetchone()[0] == 0
    assert flagged and {(s, i) for s, i, _ in folders} == flagged and all(n == 1 for *_, n in folders)
