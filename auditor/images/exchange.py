"""Bank files: the hash-sharing world's formats, read and written through the `threatexchange` library's signal types.

Two formats:
- `te`: the ThreatExchange / Hasher-Matcher-Actioner local-file signal exchange, one `<signal type> <signal>` a
  line, what `threatexchange`'s LocalFileSignalExchangeAPI reads and writes. The types auditor banks are the
  library's `pdq` (a picture's PDQ hash, matched within a distance) and its exact ones, `video_md5` and
  `video_sha256` (a file's digest, what exact lists such as StopNCII's and NCMEC's share): auditor matches an
  exact entry against the very bytes of every listing picture it fetches. A bare hash is a PDQ hash.
- `csv`: a header `signal_type,signal,quality,tags,source,source_id,fetched_at`, one entry a row (tags separated
  by `;`): the same entries with their provenance. The older header `pdq,quality,tags,source,ref` still reads.
Files are read and checked whole before anything is added: a bad, duplicate or wrong-length line is an error
naming its line, and nothing of the file is taken. That is why auditor reads the lines itself, each signal
through the library's own check, rather than through LocalFileSignalExchangeAPI.fetch_iter, which keeps no line
numbers and folds duplicates into a dict; the tests read auditor's files back through fetch_iter.

A partner also gets back what our reviewers decided on the listings its entries matched (`feedback_file`), as
ThreatExchange opinions: POSITIVE_CLASS (confirmed), NEGATIVE_CLASS (a false positive), DISPUTED (both).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Callable, Iterable

from auditor.cells import neutralize_cell
from auditor.i18n import tr
from auditor.images.banks import BankError
from auditor.images.pdq import check_hex
from auditor.store.times import iso

FORMATS = ("csv", "te")
CSV_FIELDS = ("signal_type", "signal", "quality", "tags", "source", "source_id", "fetched_at")
PDQ = "pdq"
TRUE_VERDICTS = ("confirmed", "takedown_requested", "removal_confirmed", "seller_followup")
FALSE_VERDICTS = ("false_positive",)


@cache
def signal_types() -> dict[str, Callable[[str], str]]:
    """The signal types a bank holds, by the library's names, each with what checks and normalises a signal."""
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal
    from threatexchange.signal_type.sha256 import VideoSHA256Signal

    assert PdqSignal.get_name() == PDQ
    return {PDQ: check_hex, VideoMD5Signal.get_name(): VideoMD5Signal.validate_signal_str,
            VideoSHA256Signal.get_name(): VideoSHA256Signal.validate_signal_str}


def exact_kind(signal_type: str) -> str:
    """Which digest of a picture's bytes an exact signal type is: md5 or sha256."""
    return "md5" if signal_type.endswith("md5") else "sha256"


def _entry(path: Path, n: int, signal_type: str, value: str) -> dict:
    types = signal_types()
    if signal_type not in types:
        raise BankError(tr("{path}:{n}: signal type {value!r} is not one a bank holds ({known})", path=path, n=n,
                           value=signal_type[:40], known=", ".join(types)))
    try:
        signal = types[signal_type](value)
    except ValueError:
        raise BankError(tr("{path}:{n}: {value!r} is not a {kind} hash ({digits} hex digits)", path=path, n=n,
                           value=value[:80], kind=signal_type,
                           digits=32 if signal_type.endswith("md5") else 64)) from None
    if signal_type == PDQ:
        return {"signal_type": PDQ, "pdq": signal, "exact": None}
    return {"signal_type": signal_type, "pdq": None, "exact": signal}


def read_file(path: Path, fmt: str | None = None, *, source: str | None = None, now: datetime | None = None
              ) -> list[dict]:
    """The entries of a bank file, each with its provenance ({signal_type, pdq, exact, quality, tags, source: import,
    ref: the source's name, source_id, fetched_at}); a line that is not right stops the import."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "te")
    if fmt not in FORMATS:
        raise BankError(tr("unknown bank file format {fmt!r} (known: {value})", fmt=fmt, value=', '.join(FORMATS)))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BankError(tr("{path}: cannot read it: {e}", path=path, e=e)) from None
    origin = (source or path.name)[:300]
    fetched = iso(now) if now else None
    out: list[dict] = []
    lines: dict[tuple[str, str], int] = {}  # each signal's line, for a duplicate
    if fmt == "te":
        for n, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, value = line.partition(" ")
            if not value:
                kind, value = PDQ, kind  # a bare hash: the collaboration says the type
            out.append({**_entry(path, n, kind, value.strip()), "quality": None, "tags": (), "source": "import",
                        "ref": origin, "source_id": None, "fetched_at": fetched})
            _once(out, lines, path, n)
        return out
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    if "signal" not in fields and "pdq" not in fields:
        raise BankError(tr("{path}:1: a bank CSV needs a header with a signal column ({value})",
                           path=path, value=','.join(CSV_FIELDS)))
    for row in reader:
        n = reader.line_num
        kind = (row.get("signal_type") or PDQ).strip()
        entry = _entry(path, n, kind, (row.get("signal") if "signal" in fields else row.get("pdq")) or "")
        try:
            quality = int(row["quality"]) if (row.get("quality") or "").strip() else None
            if quality is not None and not 0 <= quality <= 100:
                raise ValueError(tr("quality {quality} is not between 0 and 100", quality=quality))
            when = (row.get("fetched_at") or "").strip()
            if when:
                datetime.fromisoformat(when)
        except ValueError as e:
            raise BankError(f"{path}:{n}: {e}") from None
        named = row.get("source") if "signal" in fields else (row.get("ref") or row.get("source"))
        out.append({**entry, "quality": quality, "source": "import",
                    "tags": tuple(t.strip()[:100] for t in (row.get("tags") or "").split(";") if t.strip())[:20],
                    "ref": ((named or "").strip() or origin)[:300],
                    "source_id": (row.get("source_id") or "").strip()[:200] or None,
                    "fetched_at": when or fetched})
        _once(out, lines, path, n)
    return out


def _once(entries: list[dict], lines: dict[tuple[str, str], int], path: Path, n: int) -> None:
    """A signal listed twice is a file someone merged by hand: refused, naming both lines, before anything is added."""
    e = entries[-1]
    key = (e["signal_type"], e["pdq"] or e["exact"])
    if key in lines:
        raise BankError(tr("{path}:{n}: the same hash as line {first} (a bank file lists each hash once)", path=path,
                           n=n, first=lines[key]))
    lines[key] = n


def signal_of(entry: dict) -> str:
    return entry.get("pdq") or entry.get("exact") or ""


def write_file(entries: Iterable[dict], fmt: str) -> str:
    """A bank's entries in a shareable format (see the module's notes). An entry of ours says where it came from
    as `auditor:<how>` with the listing as its id there; an imported one keeps its source's name and id."""
    if fmt == "te":
        return "".join(f"{e.get('signal_type') or PDQ} {signal_of(e)}\n" for e in entries)
    if fmt != "csv":
        raise BankError(tr("unknown bank file format {fmt!r} (known: {value})", fmt=fmt, value=', '.join(FORMATS)))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for e in entries:
        tags = json.loads(e["tags"] or "[]") if isinstance(e.get("tags"), str) else list(e.get("tags") or ())
        imported = e.get("source") == "import"
        source = (e.get("ref") or "") if imported else f"auditor:{e.get('source') or 'manual'}"
        source_id = e.get("source_id") or ("" if imported else e.get("ref") or "")
        w.writerow([e.get("signal_type") or PDQ, signal_of(e), "" if e.get("quality") is None else e["quality"],
                    neutralize_cell(";".join(tags)), neutralize_cell(source), neutralize_cell(source_id),
                    e.get("fetched_at") or e.get("added_at") or ""])
    return buf.getvalue()


def feedback(rows: Iterable[dict]) -> list[dict]:
    """Per imported entry, what our latest decisions said of the listings it matched, as a ThreatExchange opinion
    (the library's categories): POSITIVE_CLASS when confirmed and never a false positive, NEGATIVE_CLASS when
    only false positives, DISPUTED when both. Entries whose listings got neither verdict are left out."""
    from threatexchange.exchanges.fetch_state import AggregateSignalOpinionCategory as Opinion

    per: dict[int, dict] = {}
    for r in rows:
        f = per.setdefault(r["entry_id"], {"signal_type": r["signal_type"], "signal": r["pdq"] or r["exact"],
                                           "source": r["ref"] or "", "source_id": r["source_id"] or "",
                                           "true_positives": 0, "false_positives": 0, "decided_at": ""})
        if r["verdict"] in TRUE_VERDICTS:
            f["true_positives"] += 1
        elif r["verdict"] in FALSE_VERDICTS:
            f["false_positives"] += 1
        else:
            continue
        f["decided_at"] = max(f["decided_at"], r["decided_at"] or "")
    out = []
    for f in per.values():
        if f["true_positives"] and f["false_positives"]:
            f["opinion"] = Opinion.DISPUTED.name
        elif f["true_positives"]:
            f["opinion"] = Opinion.POSITIVE_CLASS.name
        elif f["false_positives"]:
            f["opinion"] = Opinion.NEGATIVE_CLASS.name
        else:
            continue
        out.append(f)
    return out


FEEDBACK_FIELDS = ("signal_type", "signal", "source", "source_id", "opinion", "true_positives", "false_positives",
                   "decided_at")


def feedback_file(entries: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FEEDBACK_FIELDS)
    for f in entries:
        w.writerow([neutralize_cell(str(f[k])) for k in FEEDBACK_FIELDS])
    return buf.getvalue()
