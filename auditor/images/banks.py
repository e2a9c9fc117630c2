"""Hash banks: named sets of PDQ hashes of confirmed images (and exact digests a partner shares), matched against
every listing image. Bank files, the formats banks are shared in, are in images/exchange.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Iterable

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.images.index import HashIndex
from auditor.images.pdq import MIN_QUALITY
from auditor.models import BankMatch
from auditor.store import Store

DEFAULT_BANK = "confirmed"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class BankError(AuditorError):
    """A bank that does not exist, a bad bank name, or a bank file that cannot be read."""


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise BankError(tr("bank name {value!r}: use lower-case letters, digits, '_', '.' or '-' (up to 64)",
                           value=name[:80]))
    return name


def require(store: Store, name: str) -> str:
    if not store.bank_exists(name):
        known = ", ".join(b["name"] for b in store.banks()) or "none yet"
        raise BankError(tr("no bank named {name!r} (banks: {known}); `auditor banks create {name}` makes it",
                           name=name, known=known))
    return name


def add_listing_images(store: Store, bank: str, site: str, item_id: str, by: str, at: datetime,
                       source: str = "decision") -> int:
    """A confirmed listing's images into the bank; how many were new.

    Left out: images too flat for a reliable hash, and pictures the bank already holds (within 31 bits,
    mirrors and rotations included), so a re-listing confirmed after its original adds nothing and the
    original is never taken for a re-listing of its own copy."""
    images = store.images_of([(site, item_id)]).get((site, item_id), [])
    held = BankIndex.load(store, [bank])
    entries = []
    for im in images:
        if not im["pdq"] or (im["quality"] or 0) < MIN_QUALITY or any(e["pdq"] == im["pdq"] for e in entries):
            continue
        variants = (im.get("dihedral") or "").split() or [im["pdq"]]  # mirrors and rotations, as hashed when fetched
        if held.match(variants):
            continue
        entries.append({"signal_type": "pdq", "pdq": im["pdq"], "quality": im["quality"], "source": source,
                        "ref": f"{site}/{item_id}", "tags": ()})
    if not entries:
        return 0
    if not store.bank_exists(bank):
        store.create_bank(bank, "images of listings confirmed in review", by, at)
    return store.add_to_bank(bank, entries, by, at)


KEEPS_BANKED = ("confirmed", "takedown_requested", "removal_confirmed", "seller_followup")  # verdicts that stand by a confirmation


def follow_decision(store: Store, site: str, item_id: str, verdict: str, decision_id: int, at: datetime) -> int:
    """Bank entries follow the listing's latest decision: a verdict that replaces its confirmation (a false
    positive, no action, an escalation, a reopening) withdraws what the confirmation put in; confirming it again
    restores them. Entries imported from outside are never touched. How many entries changed."""
    ref = f"{site}/{item_id}"
    if verdict in KEEPS_BANKED:
        return store.restore_bank_entries(ref) if verdict == "confirmed" else 0
    return store.withdraw_bank_entries(ref, f"decision #{decision_id}: {verdict}", at)


class BankIndex:
    """The entries of some banks, indexed for lookups (loaded once per run): PDQ entries at a distance, exact ones
    (a file's MD5 or SHA-256) by their digest."""

    def __init__(self, entries: list[dict]):
        self.entries = entries
        self._pdq = [k for k, e in enumerate(entries) if e.get("pdq")]
        self.index = HashIndex.from_hex([entries[k]["pdq"] for k in self._pdq])
        self._exact: dict[tuple[str, str], list[int]] = {}
        for k, e in enumerate(entries):
            if e.get("exact"):
                kind = "md5" if (e.get("signal_type") or "").endswith("md5") else "sha256"
                self._exact.setdefault((kind, e["exact"]), []).append(k)

    @classmethod
    def load(cls, store: Store, banks: Iterable[str]) -> "BankIndex":
        return cls(store.bank_entries(banks))

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, hashes: Iterable[str], max_distance: int = 31, not_from: str | None = None) -> list[BankMatch]:
        """Entries near any of these hashes (an image's own hash first, then its rotations and mirrors), nearest first,
        one per entry. A bank made with mirrors off matches the image's own hash only.

        `not_from` leaves out entries taken from that listing ("site/item"): a confirmed listing is not a
        re-listing of itself."""
        best: dict[int, tuple[int, dict]] = {}
        for k, h in enumerate(hashes):
            for pos, dist in self.index.query(h, max_distance):
                e = self.entries[self._pdq[pos]]
                if not_from is not None and e["ref"] == not_from:
                    continue
                if k > 0 and not e.get("mirrors", 1):
                    continue  # a rotation or mirror image, and this bank does not match those
                if pos not in best or dist < best[pos][0]:
                    best[pos] = (dist, e)
        return [_match(e, d) for d, e in sorted(best.values(), key=lambda x: (x[0], x[1]["id"]))]

    def match_exact(self, sha256: str, md5: str | None) -> list[BankMatch]:
        """Exact entries with the very digest of this file."""
        found = [self.entries[k] for key in (("sha256", sha256), ("md5", md5 or "")) for k in self._exact.get(key, ())]
        return [_match(e, 0) for e in found]


def _match(e: dict, distance: int) -> BankMatch:
    tags = json.loads(e["tags"] or "[]") if isinstance(e.get("tags"), str) else list(e.get("tags") or ())
    return BankMatch(e["bank"], e["id"], distance, e.get("pdq") or e.get("exact") or "", e["source"] or "", e["ref"],
                     signal_type=e.get("signal_type") or "pdq", source_id=e.get("source_id") or "",
                     tags=tuple(tags), fetched_at=e.get("fetched_at") or "", held=bool(e.get("held_at")))
