"""Settle a run: give every listing it concerns its state, and move the daily picture on.

Runs that feed the daily picture (scheduled, manual, demo) compare each listing with its own last
known state and update it with what they read. An ad hoc run gets states for what it read, against
the same picture, and changes nothing. A failed run reads nothing: every followed listing of its
targets is unchecked, and the picture stays as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from auditor.states import Known, Read, next_state, remember
from auditor.store import Store

DAILY_KINDS = ("scheduled", "manual", "demo")  # the kinds whose runs move the picture on


def _known(row: dict) -> Known:
    return Known(row["state"], row["status"] or "active", json.loads(row["rules"] or "{}"), row["version_id"])


def _text_changed(versions: dict[int, dict], matched: int | None, current: int | None) -> bool:
    """Whether the text the rules matched differs from what is read now (a card shows the title only)."""
    if matched is None or current is None or matched == current:
        return False
    a, b = versions.get(matched), versions.get(current)
    if a is None or b is None:
        return True
    if "card" in (a["source"], b["source"]):
        return a["title"] != b["title"]
    return True


def settle_run(store: Store, run_id: int, targets: list[str], kind: str, at: datetime, *,
               failed: str | None = None, incomplete: dict[str, str] | None = None,
               suppressed: dict[tuple[str, str], dict[str, int]] | None = None) -> Counter:
    """Record the run's listing states (and, for daily kinds that did not fail, the new picture); count them.

    `incomplete` names the targets not read completely, with why; `suppressed` maps a listing to the
    rules decided false positive on a text version (they do not flag that version)."""
    incomplete = incomplete or {}
    suppressed = suppressed or {}
    reads = {} if failed else store.run_reads(run_id)
    adhoc = kind not in DAILY_KINDS
    known_rows = store.picture_rows([] if adhoc else targets, reads.keys())
    failures = {f["url"]: f for f in store.failures_for_run(run_id) if f["page_kind"] == "item"
                and f["kind"] not in ("evidence", "image", "removed")}
    keys = set(reads) if adhoc else set(reads) | {k for k, r in known_rows.items() if r["target"] in targets}
    matched_ids = [r["version_id"] for r in known_rows.values()]
    versions = store.versions(matched_ids + [r["version_id"] for r in reads.values()])
    rows, picture, counts = [], [], Counter()
    for key in sorted(keys):
        row = known_rows.get(key)
        known = _known(row) if row else None
        got = reads.get(key)
        target = (got or row)["target"]
        if got is not None:
            quiet = suppressed.get(key, {})
            rules = {r: s for r, s in got["rules"].items() if quiet.get(r) != got["version_id"]}
            read = Read(got["source"] or "item", got["status"], rules, got["version_id"],
                        _text_changed(versions, known.version_id if known else None, got["version_id"]))
        elif failed:
            read = Read("unread", why=f"the run failed: {failed}")
        elif row["url"] in failures:
            f = failures[row["url"]]
            read = Read("unread", why=f"its page failed: {f['kind']} ({f['error']})")
        else:
            read = Read("unread", why=f"not read: {incomplete.get(target, 'its page was not reached in this run')}")
        t = next_state(known, read)
        if t is None:
            continue
        counts[t.state] += 1
        flagged = bool(read.rules)
        rows.append({"site": key[0], "item_id": key[1], "target": target, "state": t.state, "reason": t.reason,
                     "rules": read.rules if flagged else (known.rules if known else {}), "added": t.added,
                     "matched_version": read.version_id if flagged else (known.version_id if known else None),
                     "current_version": read.version_id, "status": read.status or (known.status if known else None),
                     "source": read.how})
        if not adhoc and not failed:
            new = remember(known, read, t)
            if new is not None:
                picture.append({"site": key[0], "item_id": key[1], "target": target, "state": new.state,
                                "status": new.status, "rules": new.rules, "version_id": new.version_id})
    store.save_states(run_id, rows, picture, at)
    return counts
