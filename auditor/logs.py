"""Logs: one line per event, on the terminal and in a rotating file, each with the run it belongs to."""

from __future__ import annotations

import contextvars
import logging
import os
import re
from datetime import datetime, timezone, tzinfo
from logging.handlers import RotatingFileHandler
from pathlib import Path

current_run: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_run", default=None)
FORMAT = "%(asctime)s %(levelname)-7s run=%(run_id)s %(name)s: %(message)s"
_zone: list[tzinfo] = [timezone.utc]  # the configured zone: every time a user reads is in it
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def set_zone(zone: tzinfo) -> None:
    _zone[0] = zone


def stamp(t: datetime) -> str:
    """ISO 8601 in the configured zone, with its offset: 2026-11-26T07:24:05+09:00."""
    return t.astimezone(_zone[0]).isoformat(timespec="seconds")


def terminal_time(t: datetime) -> str:
    """The time column of terminal log lines (rich calls this)."""
    return stamp(t if t.tzinfo else t.astimezone())


def visible(text: str) -> str:
    """Scraped text for a terminal or a log line: control and direction characters shown as \\uXXXX, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class _Formatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return stamp(datetime.fromtimestamp(record.created, timezone.utc))

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        return visible(super().formatMessage(record))


class _RunId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = current_run.get() or "-"
        return True


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_credentials(text: str) -> str:
    """Text with the user:password of every URL in it taken out (`https://u:p@host/` reads `https://host/`)."""
    return _USERINFO.sub(r"\1", text)


class _PrivateLog(RotatingFileHandler):
    """The log file, and each one rotation starts, readable by the team's account alone (0600), whatever the umask."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def log_to_file(path: Path, level: int = logging.INFO, max_bytes: int = 5_000_000, backups: int = 5) -> None:
    """Add the rotating log file (once per path); the file always gets INFO and up."""
    root = logging.getLogger()
    path = Path(path)
    if any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers):
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line per request names every URL, credentials too
    handler = _PrivateLog(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(_Formatter(FORMAT))
    handler.addFilter(_RunId())
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        for h in root.handlers:  # the terminal keeps the level the user chose
            if h is not handler and h.level == logging.NOTSET:
                h.setLevel(root.level or logging.WARNING)
        root.setLevel(level)
