"""Named points where a test stops the process, to prove a run survives being stopped there.

    AUDITOR_FAILPOINTS="report=kill"        SIGKILL at the first time the run reaches `report`
    AUDITOR_FAILPOINTS="item-page=term@20"  SIGTERM the 20th time it reaches `item-page`

Actions: kill (SIGKILL), term (SIGTERM), int (SIGINT, as Ctrl-C). The points a run passes, in order:
search-page, item-page, evidence (a capture on disk, not yet recorded), seller-rules, report (the
run's report written, the day's not yet). Unset, as always outside tests, a point costs one lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ACTIONS = {"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}
POINTS = ("search-page", "item-page", "evidence", "seller-rules", "report")
_passed: Counter = Counter()


def _armed() -> dict[str, tuple[signal.Signals, int]]:
    out = {}
    for part in filter(None, os.environ.get("AUDITOR_FAILPOINTS", "").split(",")):
        name, _, action = part.strip().partition("=")
        action, _, nth = action.partition("@")
        if name not in POINTS or action not in ACTIONS:
            raise ValueError(f"AUDITOR_FAILPOINTS: {part!r} is not POINT=kill|term|int[@N] "
                             f"(points: {', '.join(POINTS)})")
        out[name] = (ACTIONS[action], int(nth or 1))
    return out


_ARMED = _armed()


def reached(name: str) -> None:
    """The process passes the point `name`: signal itself if a test armed it."""
    if not _ARMED:
        return
    armed = _ARMED.get(name)
    if armed is None:
        return
    _passed[name] += 1
    if _passed[name] == armed[1]:
        os.kill(os.getpid(), armed[0])
