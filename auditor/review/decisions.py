"""Decisions: append-only, each with who, when, which listing, which rules (and text version), the
verdict, the note, the ticket, and which decision it replaced; exported and imported as CSV or JSON.

What they change: a false positive stops the rules it names from flagging that listing's text version
(it returns to the queue when the text changes); a confirmed violation is followed until the listing
is gone, the time to takedown is measured from it, and its pictures go into the bank of confirmed images;
an escalation goes to a lead."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime, timezone
from typing import Iterable

from auditor.cells import neutralize_cell
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.images.banks import add_listing_images, follow_decision
from auditor.review.users import User
from auditor.store import Store
from auditor.times import local_time
from auditor.values import clean_text

log = logging.getLogger(__name__)

VERDICTS = ("confirmed", "false_positive", "escalate", "takedown_requested", "removal_confirmed", "no_action",
            "seller_followup", "reopen")
LEAD_ONLY = ("reopen",)  # a lead sends a decided case back to the queue
CLOSING = ("confirmed", "false_positive", "takedown_requested", "removal_confirmed", "no_action", "seller_followup")
SOLD_VERDICTS = ("seller_followup", "no_action", "false_positive", "escalate")  # a sold or ended listing: the seller is the case
FIELDS = ("id", "site", "item_id", "verdict", "note", "ticket", "user_name", "decided_at", "rules", "version_id",
          "state", "replaces", "source", "import_file", "file_user")


def decide(store: Store, user: User, keys: Iterable[tuple[str, str]], verdict: str, now: datetime, *,
           note: str = "", ticket: str = "", bank: str | None = None) -> list[int]:
    """Record one decision per listing (a seller's listings at once, for bulk decisions); releases the claims.

    With `bank` (a bank's name), a confirmed violation puts the listing's pictures into that
    bank, so the same picture is caught wherever it is listed again; any other verdict never does."""
    if verdict not in VERDICTS:
        raise AuditorError(tr("unknown verdict {verdict!r} (known: {value})",
                              verdict=verdict, value=', '.join(VERDICTS)))
    if verdict in LEAD_ONLY and not user.can("lead"):
        raise AuditorError(tr("only a lead may reopen a decided case"))
    if verdict == "takedown_requested" and not ticket.strip():
        raise AuditorError(tr("a takedown request needs its ticket or reference"))
    keys = _allowed(store, user, list(keys), now)
    ids = []
    for site, item_id in keys:
        picture = store.picture_row(site, item_id)
        if picture is None:
            raise AuditorError(tr("{site}/{item_id} is not a flagged listing", site=site, item_id=item_id))
        ids.append(store.add_decision({
            "site": site, "item_id": item_id, "verdict": verdict, "note": (clean_text(note, 4000, multiline=True) or "").strip(),
            "ticket": (clean_text(ticket, 200) or "").strip(), "user_id": user.id, "user_name": user.name,
            "decided_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "rules": picture["rules"], "version_id": picture["version_id"], "state": picture["state"],
            "judged_run": picture["run_id"], "source": "console"}))
    store.release(keys, user.id)
    for (site, item_id), decision_id in zip(keys, ids):
        changed = follow_decision(store, site, item_id, verdict, decision_id, now)
        if changed:
            log.info("%s/%s %s by %s: %d bank entr%s %s", site, item_id, verdict, user.name, changed,
                     "y" if changed == 1 else "ies", "restored" if verdict == "confirmed" else "withdrawn")
    if bank is not None and verdict == "confirmed":
        for site, item_id in keys:
            added = add_listing_images(store, bank, site, item_id, user.name, now)
            if added:
                log.info("%s/%s confirmed by %s: %d picture(s) added to bank %s", site, item_id, user.name, added, bank)
    return ids


def _allowed(store: Store, user: User, keys: list[tuple[str, str]], now: datetime) -> list[tuple[str, str]]:
    """What this user may decide, on every path that writes a decision: not a case someone else is working on,
    not a case escalated to a lead (a lead may do both). One such case alone is refused, saying why; in a
    bulk decision it is left out."""
    if user.can("lead"):
        return keys
    held = store.claims(now)
    latest = store.latest_decisions(keys)
    pictures = store.picture_rows([], keys)

    def why_not(key: tuple[str, str]) -> str | None:
        holder = held.get(key)
        if holder and holder["user_id"] != user.id:
            return f"{holder['user_name']} is working on {key[0]}/{key[1]}"
        last = latest.get(key) or {}
        if last.get("verdict") == "escalate":
            return f"{key[0]}/{key[1]} is escalated to a lead: only a lead decides it"
        again = (last.get("judged_run") or 0) < ((pictures.get(key) or {}).get("review_run") or 0)
        if last and last["verdict"] != "reopen" and last["user_id"] != user.id and not again:
            return (f"{key[0]}/{key[1]} was decided by {last['user_name']}: only a lead changes another reviewer's "
                    "decision (until the listing needs a decision again)")
        return None

    if len(keys) == 1 and (why := why_not(keys[0])):
        raise AuditorError(why)
    return [key for key in keys if why_not(key) is None]


UNDO_SECONDS = 120  # how long after a decision its maker can undo it from the console's notice


def just_recorded(store: Store, user: User, ids: str, now: datetime) -> dict | None:
    """What the console's notice names after a decision: its verdict and listing, and whether it can be undone
    (only its maker's own, latest on its listing, made in the last UNDO_SECONDS)."""
    wanted = [int(x) for x in ids.split(",") if x.strip().isdigit()][:500]
    rows = [r for r in (store.decision(i) for i in wanted) if r and r["user_id"] == user.id]
    if not rows:
        return None
    first = rows[0]
    fresh = all(_undoable(store, r, now) for r in rows)
    return {"verdict": first["verdict"], "site": first["site"], "item_id": first["item_id"], "more": len(rows) - 1,
            "undo": ",".join(str(r["id"]) for r in rows) if fresh else ""}


def _undoable(store: Store, row: dict, now: datetime) -> bool:
    latest = store.decisions_for(row["site"], row["item_id"])[-1]
    try:
        age = (now - datetime.fromisoformat(row["decided_at"])).total_seconds()
    except ValueError:
        return False
    return latest["id"] == row["id"] and 0 <= age <= UNDO_SECONDS


def undo(store: Store, user: User, ids: str, now: datetime) -> list[tuple[str, str]]:
    """Undo the user's own decisions just made: for each, an appended decision that repeats the one it replaced
    (or reopens the case when there was none), so the record keeps both and the banks follow."""
    done = []
    for i in [int(x) for x in ids.split(",") if x.strip().isdigit()][:500]:
        row = store.decision(i)
        if row is None or row["user_id"] != user.id or not _undoable(store, row, now):
            continue
        before = store.decision(row["replaces"]) if row["replaces"] else None
        verdict = before["verdict"] if before else "reopen"
        new_id = store.add_decision({
            "site": row["site"], "item_id": row["item_id"], "verdict": verdict,
            "note": f"undo of decision #{i}", "ticket": before["ticket"] if before else "", "user_id": user.id,
            "user_name": user.name, "decided_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "rules": row["rules"], "version_id": row["version_id"], "state": row["state"],
            "judged_run": before["judged_run"] if before else None, "source": "undo"})
        follow_decision(store, row["site"], row["item_id"], verdict, new_id, now)
        done.append((row["site"], row["item_id"]))
    return done


def suppressed(store: Store) -> dict[tuple[str, str], dict[str, int]]:
    """Rules decided false positive per listing, with the text version they were decided on (for settle_run)."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for d in store.false_positives():
        for rule in json.loads(d["rules"] or "{}"):
            out.setdefault((d["site"], d["item_id"]), {})[rule] = d["version_id"]
    return out


def export_decisions(store: Store, fmt: str = "csv", zone=None) -> str:
    """Every decision: JSON for programs (times in UTC), CSV for people (times in `zone`, with its offset)."""
    rows = [{k: r.get(k) for k in FIELDS} for r in store.all_decisions()]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if zone is not None:
        for r in rows:
            if r["decided_at"]:  # a value an older import stored and no time reads is shown as it is
                r["decided_at"] = local_time(r["decided_at"], zone, seconds=True)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: neutralize_cell(v) if isinstance(v, str) else v for k, v in r.items()})
    return buf.getvalue()
