"""config.yaml as typed, validated models; the one place that reads the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, PrivateAttr, field_validator, model_validator

from auditor.channels import NoticeSettings
from auditor.databases import is_postgres_url, redacted
from auditor.errors import ConfigError, Location, Problem
from auditor.i18n import tr
from auditor.yamlsource import load_located

DEFAULT_CONFIG = Path("config.yaml")
DEFAULT_USER_AGENT = "auditor/0.1 (trust-and-safety listing audit)"


@dataclass(frozen=True)
class Allowance:
    """One `crawl.allow_addresses` entry."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    host: str | None = None  # a host name, lower-case
    port: int | None = None  # None: any port

    @classmethod
    def parse(cls, text: str) -> "Allowance":
        text = text.strip()
        port = None
        head = text
        if text.startswith("["):  # [v6]:port
            inner, _, rest = text[1:].partition("]")
            head, port = inner, (_port(rest[1:]) if rest.startswith(":") else None)
        elif text.count(":") == 1:
            head, raw = text.split(":")
            port = _port(raw)
        try:
            return cls(network=ipaddress.ip_network(head, strict=False), port=port)
        except ValueError:
            pass
        if not head or any(c in head for c in "/ @?#") or head.startswith("."):
            raise ValueError(tr("{text!r} is neither an address, a network nor a host name", text=text))
        return cls(host=head.lower().rstrip("."), port=port)

    def allows(self, host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return host == self.host
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # IPv4 written inside IPv6 is judged as the IPv4 it is
        return ip is not None and ip in self.network


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(tr("{raw!r} is not a port", raw=raw))
    return int(raw)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def auto_concurrency() -> int:
    """Browser tabs for this machine: two per core (a tab costs ~80 ms of CPU a page), ~300 MB each."""
    cores = os.cpu_count() or 2
    try:
        free_mb = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 1_000_000
    except (ValueError, OSError):
        free_mb = 4000
    return max(1, min(2 * cores, free_mb // 300, 12))


class BrowserSettings(_Model):
    headless: bool = True
    executable: str | None = Field(
        None, description="Chromium binary; empty picks Playwright's browser, then the system one"
    )
    concurrency: int = Field(0, ge=0, le=32, description="tabs loading at once; 0: from the machine's cores and memory")
    recycle_after: int = Field(40, ge=1, description="reopen a tab after this many pages")
    context_recycle_after: int = Field(500, ge=1, description="start a fresh browser context after this many pages")
    block_resources: bool = Field(True, description="skip images, fonts, media and styles")
    endpoint: str | None = Field(None, description="ws://host:port/ of a `playwright run-server` (same Playwright "
                                 "version) to use instead of launching Chromium here")
    egress_listen: str = Field("127.0.0.1", description="with an endpoint: where this machine's egress proxy listens "
                               "for that browser (0.0.0.0: every interface; it asks for a per-process password)")
    egress_host: str | None = Field(None, description="with an endpoint: the address the browser server reaches this "
                                    "machine at (default: egress_listen)")

    @field_validator("endpoint")
    @classmethod
    def _ws(cls, v: str | None) -> str | None:
        if v and not v.startswith(("ws://", "wss://")):
            raise ValueError(tr("{v!r} is not a ws:// or wss:// address of a Playwright browser server", v=v))
        return v or None

    @property
    def tabs(self) -> int:
        return self.concurrency or auto_concurrency()


class CrawlSettings(_Model):
    requests_per_second: float = Field(1.0, gt=0, description="per host")
    max_per_host: int = Field(4, ge=1, description="requests in flight per host")
    http_concurrency: int = Field(4, ge=1, le=64, description="plain HTTP requests in flight in all")
    max_page_mb: float = Field(10, gt=0, description="a larger page is given up (too_large)")
    retries: int = Field(2, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0)
    page_timeout_seconds: float = Field(30.0, gt=0)
    max_pages_per_target: int = Field(5000, ge=1)
    max_run_minutes: float = Field(240, gt=0, description="a run still going after this is stopped and recorded")
    user_agent: str = DEFAULT_USER_AGENT
    max_retry_after_seconds: float = Field(120, ge=0, description="a longer Retry-After gives the page up for the run")
    refresh_days: int = Field(7, ge=0, le=365, description=(
        "a listing whose search card shows nothing new has its item page read again after this many days, the "
        "re-reads spread evenly over the days (followed listings are read on every run); 0: every item page on "
        "every run, as `auditor run --full`"))
    known_pages_stop: int = Field(2, ge=0, le=100, description=(
        "a search sorted newest first (a target's `queries`, on a profile that sorts them so) stops paging after "
        "this many pages in a row whose every listing is known and unchanged; 0: page to the end"))
    partial_failure_share: float = Field(0.2, ge=0, le=1, description=(
        "a target with a larger share of its pages failed is not read completely: the run is partial"))
    allow_addresses: list[str] = Field([], description=(
        "private addresses auditor may reach (all others are refused): a network 10.1.0.0/16, an address "
        "and port 127.0.0.1:8080, or a host name mirror.internal[:port]; for a local marketplace mirror"))

    @field_validator("allow_addresses")
    @classmethod
    def _allowances(cls, v: list[str]) -> list[str]:
        for entry in v:
            Allowance.parse(entry)  # a ValueError names the entry
        return v

    @property
    def max_page_bytes(self) -> int:
        return int(self.max_page_mb * 1_000_000)


class ScheduleSettings(_Model):
    cron: str = "0 6 * * *"
    timezone: str = "Asia/Tokyo"
    followups: str | None = Field(None, description="a cron for follow-up runs between the daily ones (e.g. "
                                  "'0 */6 * * *'): each reads only the followed listings, so a removal after a "
                                  "takedown request is seen within that interval")

    @field_validator("cron", "followups")
    @classmethod
    def _cron_has_five_fields(cls, v: str | None) -> str | None:
        if v is not None and len(v.split()) != 5:
            raise ValueError(tr("a cron needs five fields: minute hour day month weekday"))
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(tr("unknown time zone {v!r}", v=v)) from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class EvidenceSettings(_Model):
    enabled: bool = Field(True, description="screenshot, HTML and images of every flagged listing")
    dir: Path | None = Field(None, description="where evidence is kept; default: <reports_dir>/evidence")
    images: bool = Field(True, description="also keep the listing's images")
    archive: bool = Field(True, description="also keep the page as the browser received it: a signed WACZ web "
                                            "archive (archive.wacz) that any WACZ player replays")
    max_image_mb: float = Field(10.0, gt=0, description="larger images are not kept")
    concurrency: int = Field(2, ge=1, le=8, description="captures at once")
    retention_days: int | None = Field(None, ge=1, description="`auditor evidence prune` removes captures older than "
                                       "this, except those of listings a decision keeps (confirmed, escalated, "
                                       "takedown); none: kept for ever")
    tsa_url: str | None = Field(None, description="an RFC 3161 time-stamping authority: each day's manifest is "
                                                  "time-stamped by it after every run (e.g. http://timestamp.digicert.com)")
    tsa_certs: Path | None = Field(None, description="a PEM file of the authority's root (and intermediate) "
                                                     "certificates, for `auditor evidence verify`")


class FloodSettings(_Model):
    """When a bank entry is held: its matches in one run (distinct listings) pass both `min_listings` and `factor`
    times its busiest run of the last `days` days. A held entry flags nothing more until a lead releases it
    (`auditor banks release`, or the console's Banks page)."""

    min_listings: int = Field(20, ge=1, description="never held below this many listings in one run")
    factor: float = Field(10.0, ge=1, description="held above this many times its busiest earlier run")
    days: int = Field(30, ge=1, le=3650, description="how far back its usual rate is measured")


class ImageSettings(_Model):
    dir: Path | None = Field(None, description="where listing images are kept, once each by SHA-256; default: "
                                                "<database folder>/images")
    per_listing: int = Field(4, ge=1, le=20, description="a listing's first N images are fetched")
    max_mb: float = Field(10.0, gt=0, description="larger images are not kept")
    concurrency: int = Field(4, ge=1, le=32, description="image downloads at once, beside the crawl")
    requests_per_second: float = Field(4.0, gt=0, description="per image host")
    flood: FloodSettings = FloodSettings()  # a bank entry matching far above its usual rate is held for a lead
    confirm_bank: str | None = Field("confirmed", description="a violation confirmed in review adds the listing's "
                                                              "images to this bank (none: no bank is fed)")


class DemoSettings(_Model):
    seed: int = 7
    listings: int = Field(300, ge=10, le=200_000)
    day: int = Field(1, ge=1, le=3650, description="which simulated day `demo:` targets see (auditor demo walks days itself)")
    database: Path = Field(Path("data/demo/auditor.db"), description="`auditor demo` keeps its runs here, apart")
    reports_dir: Path = Field(Path("reports/demo"), description="and writes its reports here")


class ServeSettings(_Model):
    host: str = Field("127.0.0.1", description="where `auditor serve` listens")
    port: int = Field(8765, ge=1, le=65535)
    claim_minutes: float = Field(15, gt=0, description="opening a case claims it for this long")
    secure_cookies: bool = Field(False, description="mark cookies Secure (always, when served over https)")
    trusted_proxy_header: str | None = Field(None, description="a header a trusted reverse proxy sets to the user's name")
    trusted_proxies: list[str] = Field([], description="the proxy addresses that header is taken from")
    allowed_hosts: list[str] = Field([], description="the names the console is reached by (the Host header; "
                                     "a reverse proxy's public name); empty: only 127.0.0.1 and localhost when "
                                     "it listens on a loopback address, any name otherwise")

    @property
    def hosts(self) -> list[str]:
        """The Host names a request may carry: a page of another site whose name resolves to 127.0.0.1 (DNS
        rebinding) is refused."""
        if self.allowed_hosts:
            return self.allowed_hosts
        return ["127.0.0.1", "localhost"] if self.host in ("127.0.0.1", "localhost", "::1") else ["*"]


EVENTS = ("run_failed", "run_partial", "target_empty", "new_critical", "seller_rule", "network_grew", "rule_flood", "drift",
          "unreviewed", "no_run", "notice_due", "bank_held")


class NotifySettings(_Model):
    """Where alerts go: an Apprise URL (mailto://, slack://, msteams://, json://, ... about 190 services)."""

    url: str = Field(description="an Apprise URL; ${NAME} is read from the environment (keep secrets out of the file)")
    on: list[Literal[EVENTS]] = Field(list(EVENTS), description="which events are sent here")
    min_severity: Literal["info", "low", "medium", "high", "critical"] = Field(
        "critical", description="new hits, seller rules and unreviewed listings at or above this severity are told")
    unreviewed_hours: float = Field(24, gt=0, description="flagged listings with no decision for longer are told (unreviewed)")
    language: Literal["ja", "en"] | None = Field(None, description="the alerts' language (ja, en); unset: the reports' "
                                                 "(report.language)")


class WorkerSettings(_Model):
    enabled: bool = Field(False, description="runs are done by `auditor worker` processes (needs PostgreSQL)")
    batch: int = Field(20, ge=1, le=500, description="item pages in one job")
    concurrency: int = Field(2, ge=1, le=32, description="jobs one `auditor worker` runs at once")
    stalled_seconds: float = Field(30, ge=5, description="a worker silent this long is taken for dead: its jobs "
                                   "are given to others")


class ReportSettings(_Model):
    language: Literal["ja", "en"] = Field("ja", description="the language of the static reports")


class Target(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    site: str
    enabled: bool = True
    start_urls: list[str] = []
    queries: list[str] = []
    base_url: str | None = None
    requests_per_second: float | None = Field(None, gt=0)
    ignore_robots: bool = Field(False, description="crawl pages robots.txt disallows; every report says so")
    images: Literal["none", "flagged", "all"] = Field(
        "flagged", description="whose images are fetched, hashed and matched against the banks: none, the listings a "
                               "text rule flags, or every listing (needed to catch a confirmed picture under a new title)")
    fetch: Literal["auto", "http", "browser"] = Field(
        "auto", description="auto: HTTP for server-rendered profiles, the browser for the rest and as a fallback")
    proxy: str | None = Field(None, description="an http:// proxy every request of this target goes through, both "
                                                "paths (e.g. one in Japan for Yahoo! Auctions); credentials as "
                                                "http://user:${PROXY_PASSWORD}@host:port, read from the environment")

    headers: dict[str, str] = Field(default_factory=dict, description="extra HTTP headers on every request of this target")
    locale: str | None = Field(None, description="the browser's locale and Accept-Language for this target (default ja-JP)")
    notices: list[str] = Field([], description="the notice channels (notices.channels) that apply to this target, in "
                                               "order: the first when a takedown is requested, the next when it is due")

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, v: str | None) -> str | None:
        if v is not None:
            parts = urlsplit(v)
            if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError(tr("{value!r} is not an http://host:port proxy (socks5 is not supported yet)",
                                    value=_redacted_proxy(v)))
        return v

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not url.startswith(("http://", "https://", "demo:")):
                raise ValueError(tr("{url!r} is not an http(s) or demo: URL", url=url))
        return v


class NetworkSettings(_Model):
    tlp: Literal["clear", "green", "amber", "amber+strict", "red"] = Field(
        "amber", description="the Traffic Light Protocol marking of an exported STIX bundle (`auditor networks export`)")
    team: str = Field("auditor", max_length=200, description="the team named as the bundle's creator")


class Config(_Model):
    database: Path | str = Field(Path("data/auditor.db"), description="a SQLite file, or a postgresql:// URL "
                                 "(its password from PGPASSWORD, ~/.pgpass or ${NAME} in the URL)")
    data_dir: Path | None = Field(None, description="sessions and images; default: the SQLite file's folder, "
                                  "or data/ beside config.yaml with PostgreSQL")
    reports_dir: Path = Path("reports")
    rules_dir: Path = Path("rules")
    log_file: Path | None = Path("data/auditor.log")
    browser: BrowserSettings = BrowserSettings()
    crawl: CrawlSettings = CrawlSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    demo: DemoSettings = DemoSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    images: ImageSettings = ImageSettings()
    report: ReportSettings = ReportSettings()
    serve: ServeSettings = ServeSettings()
    workers: WorkerSettings = WorkerSettings()
    notify: list[NotifySettings] = []
    targets: list[Target] = []
    notices: NoticeSettings = NoticeSettings()
    networks: NetworkSettings = NetworkSettings()
    _warnings: list[str] = PrivateAttr(default_factory=list)  # what load_config found worth a warning, located

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)

    @field_validator("database", mode="before")
    @classmethod
    def _database(cls, v: object) -> object:
        if isinstance(v, str) and not is_postgres_url(v):
            if "://" in v:
                raise ValueError(tr("{value!r}: a database is a SQLite file or a postgresql:// URL",
                                    value=redacted(v)))
            return Path(v)
        return v

    @model_validator(mode="after")
    def _workers_need_postgres(self) -> "Config":
        if self.workers.enabled and not self.postgres:
            raise ValueError(tr("workers.enabled needs a PostgreSQL database (database: postgresql://…): the job queue "
                             "lives there"))
        return self

    @property
    def postgres(self) -> bool:
        return is_postgres_url(self.database)

    @property
    def data_folder(self) -> Path:
        """Where sessions and downloaded images live: beside the SQLite file, or data_dir."""
        return self.data_dir or (Path("data") if self.postgres else Path(self.database).parent)

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, v: list[Target]) -> list[Target]:
        names = [t.name for t in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(tr("target names must be unique: {value}", value=', '.join(dupes)))
        return v

    def enabled_targets(self) -> list[Target]:
        return [t for t in self.targets if t.enabled]

    @property
    def evidence_dir(self) -> Path:
        return self.evidence.dir or self.reports_dir / "evidence"

    @property
    def sessions_dir(self) -> Path:
        """Signed-in sessions (`auditor login TARGET`), one Playwright storage-state file per target."""
        return self.data_folder / "sessions"

    @property
    def images_dir(self) -> Path:
        return self.images.dir or self.data_folder / "images"

    def resolved(self, base: Path) -> "Config":
        """Paths in the file are relative to the file's folder."""
        fix: dict = {k: (base / getattr(self, k)) for k in ("database", "reports_dir", "rules_dir", "log_file", "data_dir")
                     if isinstance(getattr(self, k), Path) and not getattr(self, k).is_absolute()}
        if self.postgres and self.data_dir is None:
            fix["data_dir"] = base / "data"
        if self.evidence.dir is not None and not self.evidence.dir.is_absolute():
            fix["evidence"] = self.evidence.model_copy(update={"dir": base / self.evidence.dir})
        if self.images.dir is not None and not self.images.dir.is_absolute():
            fix["images"] = self.images.model_copy(update={"dir": base / self.images.dir})
        fix["demo"] = self.demo.model_copy(update={k: base / getattr(self.demo, k) for k in ("database", "reports_dir")
                                                   if not getattr(self.demo, k).is_absolute()})
        return self.model_copy(update=fix)

    def for_demo(self) -> "Config":
        """The same settings over the demo's own database and reports, so a demo never touches the team's data."""
        return self.model_copy(update={"database": self.demo.database, "reports_dir": self.demo.reports_dir,
                                       "evidence": self.evidence.model_copy(update={"dir": None}),
                                       "images": self.images.model_copy(update={"dir": None})})


def load_config(path: Path | str = DEFAULT_CONFIG, *, known_sites: set[str] | None = None,
                check_target=None) -> Config:
    """Read and validate config.yaml; every problem is reported with file:line:column. `check_target(target)`
    gives what the target's venue says of it, as (level, message): an "error" refuses the file, a "warning" is
    kept, located, in the config's `notices`."""
    path = Path(path)
    located = load_located(path, ConfigError)
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(located.location(()), tr("the top level must be a mapping of settings"))])
    data = _apply_environment(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(located.problems_from(e, model=Config)) from None
    if known_sites is not None:
        problems = [
            Problem(located.location(("targets", i, "site")),
                    tr("targets[{i}].site: unknown site profile {site!r} (known: {value})",
                       i=i, site=t.site, value=', '.join(sorted(known_sites))))
            for i, t in enumerate(config.targets) if t.site not in known_sites
        ]
        if problems:
            raise ConfigError(problems)
    known = ", ".join(c.name for c in config.notices.channels) or "none configured in notices.channels"
    problems = [Problem(located.location(("targets", i, "notices", j)),
                        tr("targets[{i}].notices: unknown channel {name!r} (known: {known})",
                           i=i, name=name, known=known))
                for i, t in enumerate(config.targets) for j, name in enumerate(t.notices)
                if config.notices.channel(name) is None]
    if problems:
        raise ConfigError(problems)
    notices = []
    for i, t in enumerate(config.targets if check_target else ()):
        for level, message in check_target(t) if t.enabled else ():
            where = located.location(("targets", i, "start_urls" if level == "error" else "name"))
            (problems if level == "error" else notices).append(Problem(where, tr("target {name}: {message}",
                                                                                 name=t.name, message=message)))
    if problems:
        raise ConfigError(problems)
    resolved = config.resolved(path.resolve().parent)
    resolved._warnings = [f"{p.location}: warning: {p.message}" for p in notices]  # noqa: SLF001
    return resolved


def environment_secret(name: str) -> str | None:
    """A secret the file names but never holds (notices' SMTP password): read from the environment when used."""
    return os.environ.get(name)


def _apply_environment(data: dict) -> dict:
    """AUDITOR_BROWSER_EXECUTABLE and AUDITOR_DATABASE override the file (for CI and containers)."""
    data = dict(data)
    if exe := os.environ.get("AUDITOR_BROWSER_EXECUTABLE"):
        data["browser"] = {**(data.get("browser") or {}), "executable": exe}
    if db := os.environ.get("AUDITOR_DATABASE"):
        data["database"] = db
    if is_postgres_url(data.get("database")) and "${" in data["database"]:  # a password from the environment
        data["database"] = _expand(data["database"], "database")
    if isinstance(data.get("notify"), list):  # secrets in alert URLs come from the environment, never the file
        data["notify"] = [{**n, "url": _expand(n["url"])} if isinstance(n, dict) and isinstance(n.get("url"), str) else n
                          for n in data["notify"]]
    if isinstance(data.get("targets"), list):  # and so do proxy credentials
        data["targets"] = [{**t, "proxy": _expand(t["proxy"], f"target {t.get('name')} proxy")}
                           if isinstance(t, dict) and isinstance(t.get("proxy"), str) else t for t in data["targets"]]
    return data


def _expand(url: str, what: str = "notify url") -> str:
    import re

    def value(m) -> str:
        found = os.environ.get(m.group(1))
        if found is None:
            raise ConfigError([Problem(Location(Path("config.yaml")), tr("{what} needs ${{{value}}}, which is not set "
                                                                         "in the environment",
                                                                         what=what, value=m.group(1)))])
        return found

    return re.sub(r"\$\{([A-Z0-9_]+)\}", value, url)


def _redacted_proxy(url: str) -> str:
    """A proxy URL without its credentials, as logs and messages show it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.hostname and parts.port else f"{parts.scheme}://…"


def config_problem(path: Path, message: str) -> ConfigError:
    return ConfigError([Problem(Location(path), message)])
