"""Decisions kept in a spreadsheet beside auditor, appended to its record (`auditor decisions import`).

Every row is checked before any is stored: a verdict in the console's words in either language or as its key
(「違反を確認」, "Confirmed violation", confirmed), a time in the forms spreadsheets write (2026-11-25T09:00+09:00,
2026/11/25 9:00, 2026-11-25 09:00:00, 2026/11/25, 2026年11月25日 9:00), read in the team's time zone
(schedule.timezone) when it gives none, and stored in UTC. A row that is wrong is refused with its line and
column, and nothing of the file is stored. A row already in the record exactly (same listing, verdict, time,
person, note and ticket) is skipped and counted, so importing a file twice doubles nothing.

An import cannot forge the record: each decision is recorded under the account that imports it, with the
file's name and the name the file gives ("per the file") beside it; a row dated after the import, a verdict
the importer may not give (reopen is a lead's) or a case escalated to a lead (for a reviewer) refuses the
file, naming the line; the rows are written in one transaction, all or none.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from auditor.errors import AuditorError
from auditor.i18n import LANGUAGES, text
from auditor.i18n import tr
from auditor.images.banks import follow_decision
from auditor.review.decisions import LEAD_ONLY, VERDICTS
from auditor.review.users import User
from auditor.store import Store

_FORMS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
          "%Y.%m.%d %H:%M", "%Y.%m.%d")
_KANJI = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:時](\d{2})分?)?$")


@dataclass(frozen=True)
class Imported:
    added: int
    duplicates: int


def verdict_of(value: str) -> str | None:
    """A verdict's key from its key or its console label in any language (case and spaces aside)."""
    wanted = " ".join(value.split()).casefold()
    for verdict in VERDICTS:
        if wanted == verdict or any(wanted == text(lang, f"verdict.{verdict}").casefold() for lang in LANGUAGES):
            return verdict
    return None


def time_of(value: str, zone: ZoneInfo) -> datetime | None:
    """A spreadsheet's time as an aware datetime (the team's zone where it gives none), or None."""
    value = " ".join(value.replace("\u3000", " ").split())
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    for form in _FORMS if when is None else ():
        try:
            when = datetime.strptime(value, form)
            break
        except ValueError:
            continue
    if when is None and (m := _KANJI.match(value)):
        y, mo, d, h, mi = (int(x) if x else 0 for x in m.groups())
        try:
            when = datetime(y, mo, d, h, mi)
        except ValueError:
            return None
    if when is None or not date(2000, 1, 1) <= when.date() <= date(2100, 1, 1):
        return None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def import_decisions(store: Store, content: str, fmt: str, user: User, now: datetime, zone: ZoneInfo,
                     file_name: str = "") -> Imported:
    """Append a file's decisions (CSV or JSON) after checking every row; skip the ones the record already has."""
    rows = _rows(content, fmt)
    checked = [(where, _checked(r, where, zone, now)) for where, r in rows]
    latest = store.latest_decisions({(row["site"], row["item_id"]) for _, row in checked})
    for where, row in checked:
        if row["verdict"] in LEAD_ONLY and not user.can("lead"):
            raise AuditorError(tr("{where}, column verdict: only a lead may {verdict} a decided case ({name} is a "
                                  "{role}); nothing was imported",
                                  where=where, verdict=row['verdict'], name=user.name, role=user.role))
        if not user.can("lead") and (latest.get((row["site"], row["item_id"])) or {}).get("verdict") == "escalate":
            raise AuditorError(tr("{where}: {site}/{item_id} is escalated to a lead: only a lead decides it; nothing "
                                  "was imported",
                                  where=where, site=row['site'], item_id=row['item_id']))
    added = duplicates = 0
    with store.write():  # all or none
        for _, row in checked:
            if store.has_decision(row):
                duplicates += 1
                continue
            picture = store.picture_row(row["site"], row["item_id"])
            decision_id = store.add_decision({
                **row, "user_id": user.id, "user_name": user.name, "import_file": file_name[:300] or None,
                "rules": picture["rules"] if picture else "{}", "version_id": picture["version_id"] if picture else None,
                "state": picture["state"] if picture else None, "judged_run": picture["run_id"] if picture else None,
                "source": "import"})
            follow_decision(store, row["site"], row["item_id"], row["verdict"], decision_id, now)
            added += 1
    return Imported(added, duplicates)


def _rows(content: str, fmt: str) -> list[tuple[str, dict]]:
    if fmt == "json":
        try:
            data = json.loads(content)
        except ValueError as e:
            raise AuditorError(tr("not JSON: {e}", e=e)) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise AuditorError(tr("a JSON import is a list of objects, one per decision"))
        return [(f"entry {i}", r) for i, r in enumerate(data)]
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        return [(f"line {i}", r) for i, r in enumerate(reader, start=2)]
    except csv.Error as e:  # a NUL byte, an unclosed quote at the end
        raise AuditorError(tr("line {value}: not CSV ({e}); nothing was imported", value=reader.line_num + 1, e=e)) from None


def _checked(r: dict, where: str, zone: ZoneInfo, now: datetime) -> dict:
    def cell(name: str, limit: int) -> str:
        value = r.get(name)
        return str(value).strip()[:limit] if value is not None else ""

    site, item_id, raw_verdict = cell("site", 100), cell("item_id", 200), cell("verdict", 100)
    if not site or not item_id:
        raise AuditorError(tr("{where}: needs site and item_id", where=where))
    verdict = verdict_of(raw_verdict)
    if verdict is None:
        labels = ", ".join(f"{v} / {text('ja', f'verdict.{v}')}" for v in VERDICTS if v != "reopen")
        raise AuditorError(tr("{where}, column verdict: {raw_verdict!r} is not a verdict (one of: {labels})",
                              where=where, raw_verdict=raw_verdict, labels=labels))
    raw_time = cell("decided_at", 100)
    when = time_of(raw_time, zone) if raw_time else now
    if when is None:
        raise AuditorError(tr("{where}, column decided_at: {raw_time!r} is not a time (2026-11-25 09:00, 2026/11/25 "
                              "9:00, 2026-11-25T09:00+09:00; without a zone it is read as {key})",
                              where=where, raw_time=raw_time, key=zone.key))
    if when > now:
        raise AuditorError(tr("{where}, column decided_at: {raw_time!r} is after this import: a decision is dated "
                              "when it was made, never later; nothing was imported",
                              where=where, raw_time=raw_time))
    if verdict == "takedown_requested" and not cell("ticket", 200):
        raise AuditorError(tr("{where}, column ticket: a takedown request needs its ticket or reference",
                              where=where))
    return {"site": site, "item_id": item_id, "verdict": verdict, "note": cell("note", 4000), "ticket": cell("ticket", 200),
            "file_user": cell("user_name", 200) or None,
            "decided_at": when.astimezone(timezone.utc).isoformat(timespec="seconds")}
