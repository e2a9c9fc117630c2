"""Backtest: what an edited or new rule file would flag among the stored listings, compared with
what the current rules flag. Reads the database, changes nothing."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.rules import Matcher, load_rules
from auditor.rules.loader import rule_files, write_rule_files
from auditor.store import Store, listing_from_row
from auditor.times import local_time

UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """'30d', '12h', '2w' -> a timedelta."""
    text = text.strip()
    if len(text) < 2 or text[-1] not in UNITS or not text[:-1].isdigit():
        raise AuditorError(tr("--since {text!r}: give a number and a unit, e.g. 30d, 12h or 2w", text=text))
    return timedelta(**{UNITS[text[-1]]: int(text[:-1])})


@dataclass(frozen=True)
class Change:
    rule_id: str
    severity: str
    site: str
    item_id: str
    title: str
    url: str
    spans: tuple[str, ...]


@dataclass
class Backtest:
    listings: int
    added: list[Change]
    removed: list[Change]
    baseline: str = "the rules folder"  # what the candidate was compared with


def backtest(store: Store, rules_dir: Path, candidate: Path | None, since: timedelta, now: datetime,
             zone: ZoneInfo | None = None) -> Backtest:
    """Stored listings matched with the rules the last run used, and with the candidate: FILE in place of its
    namesake (or added), or, with no FILE, the rules folder as it is now. So a file edited in place shows
    what the edit changes. Without a recorded run, the rules folder is the baseline."""
    last = store.last_rule_set()
    with tempfile.TemporaryDirectory() as tmp:
        if last is not None:
            run, files = last
            base_files = write_rule_files(Path(tmp) / "base", files)
            baseline = f"the rules of run #{run['id']} ({local_time(run['started_at'], zone or ZoneInfo('UTC'))})"
        else:
            base_files = rule_files([rules_dir])
            baseline = f"the rules folder ({rules_dir})"
        if candidate is None:
            if last is None:
                raise AuditorError(tr("no run has kept its rules yet: give the FILE to compare with the rules folder"))
            proposed_files = rule_files([rules_dir])
        else:
            proposed_files = [f for f in base_files if f.name != candidate.name] + [candidate]
        before, after = Matcher(load_rules(base_files)), Matcher(load_rules(proposed_files))
    result = Backtest(0, [], [], baseline)
    for row in store.listings_since(now - since):
        listing = listing_from_row(row)
        result.listings += 1
        old = {h.rule_id: h for h in before.match_listing(listing)}
        new = {h.rule_id: h for h in after.match_listing(listing)}
        for rule_id in sorted(new.keys() - old.keys()):
            result.added.append(_change(new[rule_id], listing))
        for rule_id in sorted(old.keys() - new.keys()):
            result.removed.append(_change(old[rule_id], listing))
    return result


def _change(hit, listing) -> Change:
    return Change(hit.rule_id, hit.severity, listing.site, listing.item_id, listing.title, listing.url,
                  tuple(m.text for m in hit.matches))
