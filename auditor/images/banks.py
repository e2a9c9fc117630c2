"""Hash banks: named sets of PDQ hashes of confirmed images, matched against every listing image.

A bank is shared in two formats:
- `csv`: a header `pdq,quality,tags,source,ref`, one hash a row, tags separated by `;`;
- `te`: the ThreatExchange / HMA local-file signal exchange format, one `pdq <hex>` a line (what
  `threatexchange` and Hasher-Matcher-Actioner read and write as a file collaboration).
Files are read and checked whole before anything is added: a bad line is an error naming its line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Iterable

from auditor.cells import neutralize_cell
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.images.index import HashIndex
from auditor.images.pdq import MIN_QUALITY, check_hex
from auditor.models import BankMatch
from auditor.store import Store

FORMATS = ("csv", "te")
CSV_FIELDS = ("pdq", "quality", "tags", "source", "ref")
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


def read_file(path: Path, fmt: str | None = None) -> list[dict]:
    """Entries of a bank file ({pdq, quality, tags, source, ref}); a line that is not right stops the import."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "te")
    if fmt not in FORMATS:
        raise BankError(tr("unknown bank file format {fmt!r} (known: {value})", fmt=fmt, value=', '.join(FORMATS)))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BankError(tr("{path}: cannot read it: {e}", path=path, e=e)) from None
    out: list[dict] = []
    lines: dict[str, int] = {}  # each hash's line, for a duplicate
    if fmt == "te":
        for n, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, value = line.partition(" ")
            if not value:
                kind, value = "pdq", kind  # a bare hash: the collaboration says the type
            if kind != "pdq":
                raise BankError(tr("{path}:{n}: signal type {value!r} is not pdq (only PDQ hashes are banked)",
                                   path=path, n=n, value=kind[:40]))
            try:
                out.append({"pdq": check_hex(value), "quality": None, "tags": (), "source": "import", "ref": path.name})
            except ValueError as e:
                raise BankError(f"{path}:{n}: {e}") from None
            _once(out, lines, path, n)
        return out
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "pdq" not in reader.fieldnames:
        raise BankError(tr("{path}:1: a bank CSV needs a header with a pdq column ({value})",
                           path=path, value=','.join(CSV_FIELDS)))
    for row in reader:
        n = reader.line_num
        try:
            quality = int(row["quality"]) if (row.get("quality") or "").strip() else None
            if quality is not None and not 0 <= quality <= 100:
                raise ValueError(f"quality {quality} is not between 0 and 100")
            out.append({"pdq": check_hex(row.get("pdq") or ""), "quality": quality,
                        "tags": tuple(t.strip()[:100] for t in (row.get("tags") or "").split(";") if t.strip())[:20],
                        "source": "import", "ref": (row.get("ref") or row.get("source") or path.name)[:300]})
        except ValueError as e:
            raise BankError(f"{path}:{n}: {e}") from None
        _once(out, lines, path, n)
    return out


def _once(entries: list[dict], lines: dict[str, int], path: Path, n: int) -> None:
    """A hash listed twice is a file someone merged by hand: refused, naming both lines, before anything is added."""
    pdq = entries[-1]["pdq"]
    if pdq in lines:
        raise BankError(tr("{path}:{n}: the same hash as line {first} (a bank file lists each hash once)", path=path,
                           n=n, first=lines[pdq]))
    lines[pdq] = n


def write_file(entries: Iterable[dict], fmt: str) -> str:
    """A bank's entries in a shareable format (see the module's notes)."""
    if fmt == "te":
        return "".join(f"pdq {e['pdq']}\n" for e in entries)
    if fmt != "csv":
        raise BankError(tr("unknown bank file format {fmt!r} (known: {value})", fmt=fmt, value=', '.join(FORMATS)))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for e in entries:
        tags = json.loads(e["tags"] or "[]") if isinstance(e.get("tags"), str) else list(e.get("tags") or ())
        w.writerow([e["pdq"], "" if e.get("quality") is None else e["quality"], neutralize_cell(";".join(tags)),
                    neutralize_cell(e.get("source") or ""), neutralize_cell(e.get("ref") or "")])
    return buf.getvalue()


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
        entries.append({"pdq": im["pdq"], "quality": im["quality"], "source": source, "ref": f"{site}/{item_id}", "tags": ()})
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
    """The entries of some banks, indexed for lookups at a distance (loaded once per run)."""

    def __init__(self, entries: list[dict]):
        self.entries = entries
        self.index = HashIndex.from_hex([e["pdq"] for e in entries])

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
                e = self.entries[pos]
                if not_from is not None and e["ref"] == not_from:
                    continue
                if k > 0 and not e.get("mirrors", 1):
                    continue  # a rotation or mirror image, and this bank does not match those
                if pos not in best or dist < best[pos][0]:
                    best[pos] = (dist, e)
        return [BankMatch(e["bank"], e["id"], d, e["pdq"], e["source"] or "", e["ref"])
                for d, e in sorted(best.values(), key=lambda x: (x[0], x[1]["id"]))]
