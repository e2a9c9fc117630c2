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

from auditor.models import DAILY_KINDS, FOLLOWUP
from auditor.run.states import Known, Read, next_state, remember
from auditor.store import Store

BATCH = 2_000  # listings settled at a time: memory stays flat however many a run saw


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
    adhoc = kind not in (*DAILY_KINDS, FOLLOWUP)
    read_keys = set() if failed else store.run_read_keys(run_id)
    # a daily run settles every listing of the picture; a follow-up run only those it read (it read nothing else)
    keys = sorted(read_keys | (set() if adhoc or kind == FOLLOWUP else store.picture_keys(targets)))
    failures = {f["url"]: f for f in store.failures_for_run(run_id) if f["page_kind"] == "item"
                and f["kind"] not in ("evidence", "image", "removed")}
    counts = Counter()

    def batches():
        for i in range(0, len(keys), BATCH):
            chunk = keys[i:i + BATCH]
            reads = store.run_reads(run_id, [k for k in chunk if k in read_keys])
            known_rows = store.picture_rows([], chunk)
            yield _settle_batch(chunk, reads, known_rows, store.versions(
                [r["version_id"] for r in known_rows.values()] + [r["version_id"] for r in reads.values()]),
                failures, failed, incomplete, suppressed, adhoc, counts)

    store.save_states(run_id, batches(), at)
    return counts


def _settle_batch(keys, reads, known_rows, versions, failures, failed, incomplete, suppressed, adhoc,
                  counts: Counter) -> tuple[list[dict], list[dict]]:
    """The states (and new picture rows) of a batch of listings, counted into counts."""
    rows, picture = [], []
    for key in keys:
        row = known_rows.get(key)
        got = reads.get(key)
        known = _known(row) if row else None
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
    return rows, picture
