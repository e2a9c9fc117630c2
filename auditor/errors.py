"""One exception tree: every error a user can see is an AuditorError with a readable message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.i18n import tr


@dataclass(frozen=True)
class Location:
    """A place in a source file, 1-based, as editors show it."""

    path: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One finding about a source file: where, and what is wrong."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class AuditorError(Exception):
    """Base of every error auditor raises on purpose; the CLI prints its message and exits 2."""

    exit_code = 2


class SourceError(AuditorError):
    """A file the user wrote is wrong; carries every problem found, each with file:line:column."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(SourceError):
    """config.yaml is missing, unreadable or invalid."""


class RuleError(SourceError):
    """A rule file is unreadable or invalid."""


class NotWritable(AuditorError):
    """A folder auditor must write (the database's, the reports', the evidence's) refuses it: read-only, not this
    user's, or full. Said before anything is written."""

    def __init__(self, folder, role: str, key: str, why: str):
        self.folder, self.role = folder, role
        super().__init__(tr("cannot write the {role} folder {folder}: {why}. Make it writable for this user (or free "
                            "space), or point `{key}` in config.yaml at another folder, then run again; nothing was "
                            "written", role=tr(role), folder=folder, why=why, key=key))


class DiskFull(AuditorError):
    """The disk under the database (or a folder the run writes) filled up mid-run. The run stops there; what it had
    stored is kept, and `auditor run --resume` carries it on once there is room."""

    def __init__(self, where: str, run_id: int | None):
        self.where, self.run_id = where, run_id
        resume = tr("`auditor run --resume` carries run #{run} on", run=run_id) if run_id else tr("run again")
        super().__init__(tr("the disk holding {where} is full: the run stopped, and what it had stored is kept. Free "
                            "space there (or move it: config.yaml), then {resume}", where=where, resume=resume))


def disk_full(e: BaseException) -> bool:
    """Whether an error says the disk is full: a file's ENOSPC or EDQUOT, SQLite's SQLITE_FULL, PostgreSQL's 53100."""
    import errno
    import sqlite3

    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(e, sqlite3.OperationalError):
        return "database or disk is full" in str(e)
    return getattr(e, "sqlstate", None) == "53100"  # psycopg's DiskFull


class StoreError(AuditorError):
    """The database cannot be opened or written."""


class BrowserError(AuditorError):
    """No usable browser, or the browser could not start."""


class CrawlError(AuditorError):
    """A page could not be fetched or read; carries the URL and what kind of failure it was."""

    kind = "error"

    def __init__(self, url: str, message: str):
        self.url = url
        super().__init__(f"{url}: {message}")
        self.detail = message


class FetchTimeout(CrawlError):
    kind = "timeout"


class BadStatus(CrawlError):
    kind = "http_status"

    def __init__(self, url: str, status: int, retry_after: float | None = None):
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)
        super().__init__(url, f"HTTP {status}" + (f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""))

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429


class NetworkError(CrawlError):
    kind = "network"


class BrowserCrashed(NetworkError):
    """The browser went away while it held the page: not the page's fault, so it is tried once more
    (after the relaunch) without counting as one of its attempts."""


class PageTooLarge(CrawlError):
    """The page is over the size cap (crawl.max_page_mb): not read."""

    kind = "too_large"


class Removed(CrawlError):
    """The listing's page is gone: 404, 410, or the marketplace's own "deleted" page (kept as `page`: the proof)."""

    kind = "removed"
    page: str | None = None


class AddressRefused(CrawlError):
    """The address is not one auditor may reach (a private or internal host, a file: URL, ...): not requested."""

    kind = "refused"


class TooManyRedirects(CrawlError):
    kind = "redirects"


class Blocked(CrawlError):
    """The site answered with a block or a captcha page instead of the page: we are not let in."""

    kind = "blocked"


class Unrendered(CrawlError):
    """A skeleton or shell that JavaScript had not filled (or a page the browser left half-drawn): nothing on it
    can be read, so the listing is unchecked, never "0 results" and never gone."""

    kind = "unrendered"


class AgeGate(CrawlError):
    """An age confirmation instead of the content: the listing is unchecked until the target lets a reviewer
    through (the profile's documented cookie or parameter, set per target in config)."""

    kind = "age_gate"


class RobotsDisallowed(CrawlError):
    """robots.txt asks crawlers to stay off this page: it is not requested."""

    kind = "robots"


class ParseError(CrawlError):
    """The page arrived but is not what the site profile expects (broken or unknown markup)."""

    kind = "parse"


class RunLocked(AuditorError):
    """Another audit run holds the database."""

    exit_code = 3
