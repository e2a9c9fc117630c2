"""Logs: one line per event, on the terminal and in a rotating file, each with the run it belongs to."""

from __future__ import annotations

import contextvars
import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

current_run: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_run", default=None)
FORMAT = "%(asctime)s %(levelname)-7s run=%(run_id)s %(name)s: %(message)s"


class _RunId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = current_run.get() or "-"
        return True


def log_to_file(path: Path, level: int = logging.INFO, max_bytes: int = 5_000_000, backups: int = 5) -> None:
    """Add the rotating log file (once per path); the file always gets INFO and up."""
    root = logging.getLogger()
    path = Path(path)
    if any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_RunId())
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        for h in root.handlers:  # the terminal keeps the level the user chose
            if h is not handler and h.level == logging.NOTSET:
                h.setLevel(root.level or logging.WARNING)
        root.setLevel(level)
