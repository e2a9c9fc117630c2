"""Which database a setting names: a SQLite file (the default) or a PostgreSQL server's postgresql:// URL."""

from __future__ import annotations

import re


def is_postgres_url(database: object) -> bool:
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """The URL as logs and errors may show it: without a password."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)
