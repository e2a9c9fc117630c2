"""An audit stopped at each phase (SIGKILL, SIGTERM, SIGINT), then resumed, ends as if never stopped.

The process stops itself at a named point (auditor/failpoints.py), so each phase is hit every time
instead of by luck. Real processes, a real SQLite file, the real demo server and Chromium.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli

from conftest import RULES
from test_interruptions import write_config

pytestmark = pytest.mark.e2e
LISTINGS = 60  # enough for every phase (the item-page stop comes at the 40th page)

STOPS = [(point, "kill") for point in ("search-page", "item-page", "evidence", "seller-rules", "report")] + [
    ("item-page", "term"), ("evidence", "term"), ("seller-rules", "term"), ("report", "int")]  # every phase killed;
# a clean stop (what it prints against what it records) in the crawl, the captures, the finish and the reports


def stopped_run(config: Path, point: str, how: str) -> subprocess.CompletedProcess:
    at = {"item-page": "@40", "evidence": "@3"}.get(point, "")  # well inside the phase
    env = {**os.environ, "AUDITOR_FAILPOINTS": f"{point}={how}{at}"}
    return subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "run"], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("point", "how"), STOPS, ids=[f"{p}-{h}" for p, h in STOPS])
def test_an_audit_stopped_at_any_phase_resumes_to_the_same_end(tmp_path, point, how):
    config, db = write_config(tmp_path, listings=LISTINGS), tmp_path / "a.db"
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "few.yaml").write_text("""\
rules:
  - id: few.two_flagged
    title: two flagged listings
    severity: high
    seller: {min_listings: 2, within_days: 30}
""", encoding="utf-8")  # a small demo's sellers cross it
    config.write_text(config.read_text().replace("evidence: {enabled: false}", "evidence: {images: false, concurrency: 4}")
                      .replace(f"rules_dir: {RULES}", f"rules_dir: {rules}"))

    first = stopped_run(config, point, how)
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
        status, reported = c.execute("select status, reported_at from runs").fetchone()
    if how == "kill":
        assert first.returncode == -9
        assert status == ("completed" if point == "report" else "running")  # no process was left to say more
    else:  # stopped cleanly: what it printed is what it recorded
        assert first.returncode == 130, first.stderr
        assert "interrupted" in first.stdout + first.stderr and "--resume" in first.stdout + first.stderr
        if point == "report":
            assert status in ("completed", "partial") and reported is None  # finished, its report owed
        else:
            assert status == "interrupted"
    assert "Traceback" not in first.stderr

    resumed = CliRunner().invoke(cli, ["--config", str(config), "run", "--resume"])
    assert resumed.exit_code in (0, 1), resumed.output
    if point == "report":  # the run was over: the resume wrote its reports, says so, and that succeeded
        assert resumed.exit_code == 0 and "only its reports were left: written now" in resumed.output, resumed.output

    reports, evidence = tmp_path / "reports", tmp_path / "reports" / "evidence"
    with sqlite3.connect(db) as c:
        runs = c.execute("select id, status, reported_at from runs").fetchall()
        assert [(i, s) for i, s, _ in runs] == [(1, "completed")] and runs[0][2]  # one run, carried on, reported
        assert c.execute("select count(*) from listings").fetchone()[0] == LISTINGS
        assert c.execute("select count(*), count(distinct site || '/' || item_id) from observations "
                         "where run_id = 1").fetchone() == (LISTINGS, LISTINGS)  # every listing once
        flagged = set(c.execute("select distinct site, item_id from hits where run_id = 1").fetchall())
        captured = set(c.execute("select distinct site, item_id from evidence").fetchall())
        folders = {f for (f,) in c.execute("select distinct folder from evidence")}
        owed = c.execute("select count(*) from evidence_owed").fetchone()[0]
        sellers = c.execute("select count(*), count(distinct site || seller_id || rule_id) from seller_hits").fetchone()
        hits = c.execute("select count(*) from hits where run_id = 1").fetchone()[0]
    assert flagged and flagged == captured and owed == 0  # every flagged listing has its evidence
    assert sellers[0] == sellers[1] > 0  # the seller rules ran, each seller flagged once
    on_disk = {p.parent.relative_to(evidence).as_posix() for p in evidence.glob("*/*/*/capture.json")}
    assert on_disk == folders  # no capture half-written, none left unrecorded
    assert not list(evidence.glob("*/*/.partial-*"))
    for manifest in (evidence / "manifests").glob("*.sha256"):
        checked = subprocess.run(["sha256sum", "--quiet", "-c", str(manifest.relative_to(evidence))], cwd=evidence,
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for m in (evidence / "manifests").glob("*.sha256")
              for line in m.read_text().splitlines()}
    assert {p.relative_to(evidence).as_posix() for p in evidence.glob("*/*/*/*")} == listed  # every file in a manifest
    run_report = reports / "runs" / "1"
    summary = json.loads((run_report / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "completed" and summary["hits"] == hits
    with open(run_report / "hits.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == hits
    assert len(json.loads((run_report / "hits.json").read_text(encoding="utf-8"))["hits"]) == hits
