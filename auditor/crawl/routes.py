"""How each target's requests go out: its upstream proxy, its signed-in session, its headers and locale.

A target's `proxy:` (an http:// forward proxy, say one in Japan for a marketplace that refuses
visitors from abroad) carries every request of that target: its pages over plain HTTP and in the
browser, robots.txt, listing images and evidence captures. A signed-in session (`auditor login
TARGET`: a Playwright storage-state file under <database folder>/sessions/) gives its cookies to
both paths and its local storage to the browser; `locale:` goes with every request, and `headers:` (a
partner token, a session cookie) only with requests to the target's own origins (its start URLs' and
base URL's): never to a host a redirect, a page's images and scripts or a listing's pictures point at.
Plain HTTP requests are matched to a target by the origins of its start URLs; the browser, images
and captures by the target itself. Targets with none of these share the default clients and browser.

Through an upstream proxy the connection to the marketplace is made by the proxy, from its network:
auditor still refuses URLs that are not http(s) or that name an internal address it can see, but
the address a name resolves to at the proxy is the proxy's to police.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

SESSION_SUFFIX = ".json"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


def shown(proxy: str) -> str:
    """A proxy URL without its credentials, for logs."""
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 80}"


def basic_auth(proxy: str) -> str | None:
    """The Proxy-Authorization value for a proxy URL's user:password, if it has them."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return None
    raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def session_path(sessions_dir: Path, target: str) -> Path:
    return Path(sessions_dir) / f"{target}{SESSION_SUFFIX}"


@dataclass(frozen=True)
class Access:
    """How one target's requests go out (hashable: clients and browsers are shared by equal ones)."""

    proxy: str | None = None
    session: str | None = None  # a Playwright storage-state file
    headers: tuple[tuple[str, str], ...] = ()
    locale: str | None = None
    origins: tuple[str, ...] = ()  # where its headers may go (scheme://host[:port], lower-case)

    def cookie_jar(self) -> list[dict]:
        """A `Cookie:` header of the target as browser cookies of each of its origins (Playwright's form)."""
        raw = "; ".join(v for k, v in self.headers if k.lower() == "cookie")
        pairs = [p.strip().partition("=") for p in raw.split(";") if "=" in p]
        return [{"name": name.strip(), "value": value.strip(), "url": own} for own in self.origins
                for name, _, value in pairs if name.strip()]

    def headers_for(self, url: str) -> dict[str, str]:
        """The target's headers, for a request to one of its own origins; none for any other."""
        return dict(self.headers) if self.headers and origin(url) in self.origins else {}

    def cookies(self) -> list[dict]:
        """The session's cookies (Playwright's storage-state form)."""
        if not self.session:
            return []
        return list(json.loads(Path(self.session).read_text(encoding="utf-8")).get("cookies") or [])


@dataclass(frozen=True)
class Routes:
    by_target: dict[str, Access] = field(default_factory=dict)
    by_origin: dict[str, Access] = field(default_factory=dict)

    @classmethod
    def of(cls, targets, resolve=lambda url: url, sessions_dir: Path | None = None,
           headers=lambda t: getattr(t, "headers", None) or {}) -> "Routes":
        """From config targets; `resolve` turns a start URL into the address requested (a demo: alias);
        `headers(target)` what goes with its every request (its venue's needs beneath its own)."""
        by_target = {}
        for t in targets:
            session = session_path(sessions_dir, t.name) if sessions_dir else None
            extra = tuple(sorted(headers(t).items()))
            own = tuple(sorted({origin(resolve(u)) for u in [*t.start_urls, *([t.base_url] if t.base_url else [])]}))
            access = Access(getattr(t, "proxy", None), str(session) if session and session.is_file() else None,
                            extra, getattr(t, "locale", None), own if extra else ())
            if access != Access():
                by_target[t.name] = access
        by_origin = {origin(resolve(u)): by_target[t.name] for t in targets if t.name in by_target
                     for u in [*t.start_urls, *([t.base_url] if t.base_url else [])]}
        return cls(by_target, by_origin)

    def for_url(self, url: str) -> Access | None:
        return self.by_origin.get(origin(url))

    def for_target(self, target: str | None) -> Access | None:
        return self.by_target.get(target or "")

    def __bool__(self) -> bool:
        return bool(self.by_target)
