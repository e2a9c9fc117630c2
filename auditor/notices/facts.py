"""What a notice says of its listings, gathered from the store: every value already made safe to send.

Per listing: its URL and id, the title as shown, the seller, why it breaks the venue's rules (the
reviewer's note and the rules that matched), and the evidence: capture times in the configured zone
(JST) and in UTC, the SHA-256 of each file, and the day's manifest with its RFC 3161 token. No picture is
ever put in a notice's text; the case file (attached to a mailed notice) holds the files themselves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.errors import AuditorError
from auditor.evidence.timestamps import token_path
from auditor.i18n import tr
from auditor.notices.text import FIELD_LIMIT, block, one_line
from auditor.store import Store
from auditor.times import local_time

CONFIRMING = ("confirmed", "takedown_requested", "removal_confirmed")
MAX_FILES = 12  # evidence files named per listing (the newest capture's)


@dataclass(frozen=True)
class EvidenceFile:
    kind: str
    sha256: str
    path: str


@dataclass(frozen=True)
class ListingFacts:
    site: str
    item_id: str
    url: str
    title: str
    seller: str  # name (id), as the venue shows it
    rules: tuple[str, ...]  # "id (severity): title"
    note: str  # the confirming reviewer's note
    captured_local: str  # the newest capture, in the configured zone with its offset ("–": none)
    captured_utc: str
    files: tuple[EvidenceFile, ...] = ()
    manifest: str = ""  # manifests/DAY.sha256 and its SHA-256
    token: str = ""  # the manifest's RFC 3161 token file and its SHA-256 ("": not time-stamped)


@dataclass(frozen=True)
class CaseFacts:
    listings: tuple[ListingFacts, ...]
    zone_name: str  # "JST" for Asia/Tokyo
    seller: str = ""  # for a seller notice: the seller named by all of them
    decided_by: tuple[str, ...] = field(default_factory=tuple)


def gather(store: Store, keys: list[tuple[str, str]], evidence_root: Path, zone: ZoneInfo) -> CaseFacts:
    """The facts of these listings, in order; a key with no stored listing is refused."""
    rows = store.listings_by_key(keys)
    missing = [k for k in keys if k not in rows]
    if missing:
        raise AuditorError(tr("no listing {value}/{value2}", value=missing[0][0], value2=missing[0][1]))
    evidence = store.evidence_for(keys)
    decisions = store.latest_decisions(keys)
    titles = store.rule_titles()
    out, deciders = [], []
    for key in keys:
        x = rows[key]
        picture = store.picture_row(*key) or {}
        rules = json.loads(picture.get("rules") or "{}")
        d = decisions.get(key) or {}
        if d.get("user_name"):
            deciders.append(d["user_name"])
        out.append(_facts(x, rules, titles, d, evidence.get(key) or [], evidence_root, zone))
    sellers = {f.seller for f in out}
    return CaseFacts(tuple(out), _zone_name(zone), seller=sellers.pop() if len(sellers) == 1 else "",
                     decided_by=tuple(dict.fromkeys(deciders)))


def _facts(x: dict, rules: dict, titles: dict, decision: dict, files: list[dict], root: Path,
           zone: ZoneInfo) -> ListingFacts:
    newest = [f for f in files if f["folder"] == files[0]["folder"]][:MAX_FILES] if files else []
    captured = newest[0]["captured_at"] if newest else None
    manifest = token = ""
    if captured:
        day = datetime.fromisoformat(captured).astimezone(zone).date()
        path = root / "manifests" / f"{day.isoformat()}.sha256"
        if path.is_file():
            manifest = f"manifests/{path.name} sha256:{_sha256(path)}"
            tsr = token_path(path)
            if tsr.is_file():
                token = f"manifests/{tsr.name} sha256:{_sha256(tsr)}"
    seller = one_line(x.get("seller_name") or "", 200)
    if x.get("seller_id"):
        seller = f"{seller} ({one_line(x['seller_id'], 200)})" if seller else one_line(x["seller_id"], 200)
    return ListingFacts(
        site=x["site"], item_id=one_line(x["item_id"], 200), url=one_line(x["url"], FIELD_LIMIT),
        title=one_line(x.get("title") or "", 300), seller=seller or "–",
        rules=tuple(one_line(f"{rid} ({sev}): {titles.get(rid, '')}".rstrip(": "), 300) for rid, sev in sorted(rules.items())),
        note=block(decision.get("note") or "", FIELD_LIMIT) if decision.get("verdict") in CONFIRMING else "",
        captured_local=local_time(captured, zone, seconds=True) if captured else "–",
        captured_utc=_utc(captured) if captured else "–",
        files=tuple(EvidenceFile(f["kind"], f["sha256"], one_line(f["path"], 500)) for f in newest),
        manifest=manifest, token=token)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _utc(iso: str) -> str:
    t = datetime.fromisoformat(iso)
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _zone_name(zone: ZoneInfo) -> str:
    return "JST" if str(zone) == "Asia/Tokyo" else str(zone)
