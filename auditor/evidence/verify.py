"""Evidence after the fact: `auditor evidence verify` (does every file still hold?) and `prune` (retention).

verify: every capture file recorded in the database is on disk with the SHA-256 recorded when it was
taken, and every line of the daily manifests (manifests/DAY.sha256, `sha256sum` format) matches its
file; what does not hold is named, one line each. A file removed by `prune` is no failure: the
database keeps a row of what was removed, when, and by whose command.

prune: captures older than `evidence.retention_days` go, except those of listings whose latest
decision keeps them (confirmed, escalated, takedown requested, removal confirmed): what a legal
team may still need. `--dry-run` says what would go.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path

from auditor.evidence.files import sha256_of
from auditor.evidence.timestamps import check
from auditor.evidence.wacz import verify_archive
from auditor.i18n import tr
from auditor.store import Store, sql
from auditor.store.times import iso

KEEP_VERDICTS = ("confirmed", "escalate", "takedown_requested", "removal_confirmed")


def _said(why: str) -> str:
    """What timestamps.check found (stored and reported in English), in the language spoken here."""
    for template in ("its time-stamp token cannot be read {why}", "its time-stamp does not hold: {why}"):
        lead = template.split("{")[0]
        if why.startswith(lead):
            return tr(template, why=why[len(lead):])
    return {"not time-stamped": tr("not time-stamped"), "its time-stamp is not checked: set evidence.tsa_certs to the "
            "authority's certificates": tr("its time-stamp is not checked: set evidence.tsa_certs to the authority's "
                                           "certificates")}.get(why, why)


@dataclass(frozen=True)
class Problem:
    path: str
    why: str

    def __str__(self) -> str:
        return f"{self.why}: {self.path}"


def verify_evidence(store: Store, root: Path, day: str | None = None, tsa_certs: Path | None = None,
                    stamped: bool = False, zone: tzinfo = timezone.utc) -> tuple[int, list[Problem]]:
    """(files checked, problems): the database's files, the manifests' lines (of one day, or all) and, where a
    manifest has a time-stamp token, the token (`stamped`: a manifest without one is a problem too). A day is a
    calendar day in `zone`, as the daily manifests are."""
    root = Path(root)
    where, args = "", []
    if day:
        start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=zone)
        where, args = " where captured_at >= ? and captured_at < ?", [iso(start), iso(start + timedelta(days=1))]
    rows = list(store.db.query("select path, sha256 from evidence" + where, args))
    pruned = {r[0] for r in store.db.execute("select path from evidence_pruned")}
    problems, checked = [], 0
    recorded = {}
    for r in rows:
        recorded[r["path"]] = r["sha256"]
    manifests = sorted((root / "manifests").glob(f"{day or '*'}.sha256")) if (root / "manifests").is_dir() else []
    for manifest in manifests:
        _, why = check(manifest, tsa_certs)
        if why and (why != "not time-stamped" or stamped):
            problems.append(Problem(f"manifests/{manifest.name}", _said(why)))
        for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
            digest, _, rel = line.partition("  ")
            if not rel or rel in pruned:
                continue
            if rel in recorded and recorded[rel] != digest:
                problems.append(Problem(rel, tr("{name}:{n} and the database disagree on its hash",
                                                name=manifest.name, n=n)))
            recorded.setdefault(rel, digest)
    for rel, digest in sorted(recorded.items()):
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()):
            problems.append(Problem(rel, tr("outside the evidence folder")))
            continue
        checked += 1
        if not path.is_file():
            problems.append(Problem(rel, tr("missing")))
            continue
        if sha256_of(path) != digest:
            problems.append(Problem(rel, tr("changed since it was captured (its SHA-256 differs)")))
        if path.suffix == ".wacz" and (why := verify_archive(path, tsa_certs)):  # its package, signature, token: what
            problems.append(Problem(rel, tr("its web archive does not hold: {why}", why=why)))  # changed, if it did
    return checked, problems


@dataclass(frozen=True)
class Prunable:
    folder: str
    site: str
    item_id: str
    captured_at: str
    files: int
    bytes: int


def prunable(store: Store, now: datetime, retention_days: int) -> list[Prunable]:
    """Capture folders older than the retention, of listings whose latest decision does not keep them."""
    cutoff = iso(now - timedelta(days=retention_days))
    rows = list(store.db.query(
        "select folder, max(site) as site, max(item_id) as item_id, min(captured_at) as captured_at, count(*) as files,"
        " sum(bytes) as bytes"
        " from evidence group by folder having max(captured_at) < ? order by captured_at", [cutoff]))
    decided = store.latest_decisions({(r["site"], r["item_id"]) for r in rows})
    return [Prunable(r["folder"], r["site"], r["item_id"], r["captured_at"], r["files"], r["bytes"] or 0) for r in rows
            if (decided.get((r["site"], r["item_id"])) or {}).get("verdict") not in KEEP_VERDICTS]


def prune(store: Store, root: Path, folders: list[Prunable], now: datetime, by: str) -> int:
    """Remove these capture folders and their rows, keeping a row of each file removed; how many files went."""
    root = Path(root).resolve()
    removed = 0
    for p in folders:
        files = list(store.db.query("select * from evidence where folder = ?", [p.folder]))
        with store.write():
            store.db.conn.executemany(sql.upsert('evidence_pruned', ['path', 'sha256', 'site', 'item_id', 'captured_at', 'pruned_at', 'pruned_by'], ('path',)),
                                      [[f["path"], f["sha256"], f["site"], f["item_id"], f["captured_at"], iso(now), by]
                                       for f in files])
            store.db.execute("delete from evidence where folder = ?", [p.folder])
        target = (root / p.folder).resolve()
        if target.is_relative_to(root) and target != root and target.is_dir():
            shutil.rmtree(target)
        removed += len(files)
    return removed
