"""Listing states: what a run's reading of a flagged listing means against what was known of it before.

Pure functions, no I/O. The picture (`picture` table) holds, per listing ever flagged, its last known
state, status, firing rules and the text version they matched; each daily run moves it on:

    new        flagged for the first time (or again after it was cleared or came down)
    escalated  a rule that had not fired on it, or a higher severity, fires now
    active     still flagged and up, nothing new
    evaded     still up, its text changed, and no rule matches any more
    gone       it came down: sold, ended, or removed (404, 410, a "deleted" page)
    cleared    still up and unchanged, and no rule flags it any more (the rules changed, or a
               false-positive decision)
    unchecked  its page failed, its target was not read completely, or the run failed: nothing is
               known today, and nothing is inferred (never gone without a page read that shows it)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.models import DOWN, NEEDS_DECISION, OPEN_STATES, SEVERITY_RANK, STATES  # noqa: F401 - the words


@dataclass(frozen=True)
class Known:
    """The picture's last word on a listing."""

    state: str
    status: str
    rules: dict[str, str]  # rule id -> severity, as last matched
    version_id: int | None  # the text version those rules matched

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES and self.status not in DOWN


@dataclass(frozen=True)
class Read:
    """What this run learnt of a listing: how it was read (or why not), and what it showed."""

    how: str  # item | card | removed | unread
    status: str | None = None
    rules: dict[str, str] = field(default_factory=dict)  # rules firing now (decided false positives left out)
    version_id: int | None = None
    text_changed: bool = False  # against the version the known rules matched
    why: str | None = None  # for unread: why it was not read


@dataclass(frozen=True)
class Transition:
    state: str
    reason: str | None = None
    added: tuple[str, ...] = ()  # escalated: the rules that are new or more severe


def next_state(known: Known | None, read: Read) -> Transition | None:
    """The listing's state in this run, or None when it is not part of the picture."""
    tracked = known is not None and known.open
    if read.how == "unread":
        return Transition("unchecked", read.why) if tracked else None
    if read.how == "removed":
        return Transition("gone", "removed") if tracked else None
    flagged = bool(read.rules)
    down = read.status in DOWN
    if not tracked:
        if not flagged:
            return None
        if known is not None and known.status in DOWN and down:
            return None  # it came down before and stays down: closed
        return Transition("new", f"already {read.status}" if down else None)
    if read.how == "card" and not flagged:
        return Transition("unchecked", "only its search card could be read")
    if down:
        return Transition("gone", read.status)
    if flagged:
        added = tuple(sorted(r for r, sev in read.rules.items()
                             if r not in known.rules or SEVERITY_RANK[sev] > SEVERITY_RANK[known.rules[r]]))
        return Transition("escalated", "new or more severe rules", added) if added else Transition("active")
    if read.text_changed:
        return Transition("evaded", "edited; no rule matches any more")
    return Transition("cleared", "unchanged; no rule flags it any more")


def remember(known: Known | None, read: Read, t: Transition) -> Known | None:
    """The picture's new row after a transition, or None to leave it as it was."""
    if t.state == "unchecked":
        return None  # nothing was learnt
    if t.state in ("new", "escalated", "active") or (t.state == "gone" and read.rules):
        return Known(t.state, read.status or "active", dict(read.rules), read.version_id)
    assert known is not None
    status = "removed" if read.how == "removed" else (read.status or known.status)
    return Known(t.state, status, known.rules, known.version_id)
