"""A case file for legal: one zip with the listing's data and history, every evidence file with its SHA-256
and the manifest lines that cover it, the decisions with their authors and times, and a short summary
(plain text and HTML, scraped text escaped).

A captured page is the seller's HTML: in the zip it is named `….html.txt` (an SVG `….svg.txt`), so
opened from disk it shows its source and runs nothing, as the console serves it; its bytes and SHA-256
are the capture's own (evidence.sha256 names it as it is in the zip)."""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.review.queue import case_detail
from auditor.store import Store


def _inside(root: Path, rel: str) -> Path | None:
    """An evidence path, only if it stays inside the evidence folder."""
    path = (root / rel).resolve()
    return path if path.is_relative_to(root.resolve()) and path.is_file() else None


def _local(iso: str | None, zone: ZoneInfo) -> str:
    if not iso:
        return "–"
    return datetime.fromisoformat(iso).astimezone(zone).isoformat(timespec="seconds")


def summary_lines(case: dict, zone: ZoneInfo) -> list[str]:
    x, p = case["listing"], case["picture"] or {}
    lines = [f"Listing: {x['site']}/{x['item_id']}", f"URL: {x['url']}", f"Title: {x['title']}",
             f"Seller: {x['seller_name'] or '–'} ({x['seller_id'] or '–'})",
             f"Price: {x['price'] or '–'} {x['currency'] or ''}".rstrip(), f"Status: {x['status']}",
             f"State: {p.get('state', '–')} since {_local(p.get('since'), zone)}",
             f"First seen: {_local(x['first_seen'], zone)}; last seen: {_local(x['last_seen'], zone)}", "", "Rules:"]
    for r in case["rules"]:
        quoted = "; ".join(f"{m['field']}: \"{m['text']}\"" for m in r["matches"])
        lines.append(f"  {r['id']} ({r['severity']}): {quoted}")
    lines += ["", "Decisions:"]
    for d in case["decisions"]:
        imported = (f" (imported from {d.get('import_file') or '–'}" + (f"; per the file: {d['file_user']}" if d.get("file_user")
                    else "") + ")") if d.get("source") == "import" else ""
        lines.append(f"  {_local(d['decided_at'], zone)} {d['user_name']}{imported}: {d['verdict']}"
                     + (f" [{d['ticket']}]" if d["ticket"] else "") + (f" — {d['note']}" if d["note"] else ""))
    lines += ["", "Evidence (SHA-256):"]
    for e in case["evidence"]:
        lines.append(f"  {e['sha256']}  {e['path']}  ({e['kind']}, captured {_local(e['captured_at'], zone)})")
    return lines


ACTIVE = (".html", ".htm", ".xhtml", ".svg", ".xml", ".mhtml")  # what a browser would run if opened


def in_zip(rel: str) -> str:
    """An evidence file's name in the zip: a page or an SVG made inert text."""
    return f"evidence/{rel}.txt" if rel.lower().endswith(ACTIVE) else f"evidence/{rel}"


def case_file(store: Store, site: str, item_id: str, evidence_root: Path, zone: ZoneInfo) -> bytes:
    case = case_detail(store, site, item_id)
    lines = summary_lines(case, zone)
    buf = io.BytesIO()
    manifests: list[str] = []
    wanted = {e["path"] for e in case["evidence"]}
    for m in sorted((evidence_root / "manifests").glob("*.sha256")) if (evidence_root / "manifests").is_dir() else []:
        for line in m.read_text(encoding="utf-8").splitlines():
            if line.split("  ", 1)[-1] in wanted:
                manifests.append(f"{m.name}: {line}")
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("summary.txt", "\n".join(lines) + "\n")
        z.writestr("summary.html", "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv="
                   "\"Content-Security-Policy\" content=\"default-src 'none'\"><title>case file</title></head><body><pre>"
                   + html.escape("\n".join(lines)) + "</pre></body></html>\n")
        z.writestr("listing.json", json.dumps({k: case[k] for k in ("listing", "picture", "version", "history",
                                                                     "observations", "rules")},
                                               ensure_ascii=False, indent=2, default=str))
        z.writestr("decisions.json", json.dumps(case["decisions"], ensure_ascii=False, indent=2))
        z.writestr("evidence.sha256", "".join(f"{e['sha256']}  {in_zip(e['path'])}\n" for e in case["evidence"]))
        z.writestr("manifest-lines.txt", "\n".join(manifests) + ("\n" if manifests else ""))
        for e in case["evidence"]:
            path = _inside(evidence_root, e["path"])
            if path is not None:
                z.write(path, in_zip(e["path"]))
    return buf.getvalue()
