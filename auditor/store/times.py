"""How the store writes a time: UTC, ISO 8601, to the second (so text order is time order)."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")
