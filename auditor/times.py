"""Times as people read them: a stored UTC time in the configured zone, with its offset (2026-11-26 07:24+09:00).
The one formatter behind the reports, the console, the CLI, health and the CSV exports."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def local_time(iso: str | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """A stored UTC time in the configured zone, with its offset: '2026-11-26 07:24+09:00'."""
    if not iso:
        return "–"
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return str(iso)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(zone)
    offset = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + f"{offset[:3]}:{offset[3:]}"
