"""Every notice, for a spreadsheet (CSV, times in the configured zone) or a program (JSON, times in UTC)."""

from __future__ import annotations

import csv
import io
import json
from zoneinfo import ZoneInfo

from auditor.cells import neutralize_cell
from auditor.store import Store
from auditor.times import local_time

FIELDS = ("id", "channel", "kind", "site", "target", "seller_id", "state", "created_at", "created_by", "sent_at",
          "receipt", "hours_to_removal", "listings", "subject")


def notice_rows(store: Store) -> list[dict]:
    rows = []
    for n in reversed(store.notices()):  # oldest first
        full = store.notice(n["id"]) or {}
        events = full.get("events") or []
        receipt = next((e["receipt"] for e in events if e["state"] == "sent"), "")
        hours = next((e["hours"] for e in reversed(events) if e["state"] in ("removed", "ended")), None)
        rows.append({"id": n["id"], "channel": n["channel"], "kind": n["kind"], "site": n["site"], "target": n["target"],
                     "seller_id": n["seller_id"], "state": n["state"], "created_at": n["created_at"],
                     "created_by": n["created_by"], "sent_at": n["sent_at"], "receipt": receipt,
                     "hours_to_removal": hours, "listings": [x["url"] for x in full.get("items") or []], "subject": n["subject"]})
    return rows


def export_notices(store: Store, fmt: str, zone: ZoneInfo) -> str:
    rows = notice_rows(store)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        r = {**r, "listings": " ".join(r["listings"]),
             "created_at": local_time(r["created_at"], zone, seconds=True),
             "sent_at": local_time(r["sent_at"], zone, seconds=True) if r["sent_at"] else ""}
        w.writerow({k: neutralize_cell(v) if isinstance(v, str) else v for k, v in r.items()})
    return buf.getvalue()
