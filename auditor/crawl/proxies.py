"""Per-target proxies: which requests of a run go out through which upstream proxy.

A target's `proxy:` (an http:// forward proxy, say one in Japan for a marketplace that refuses
visitors from abroad) carries every request of that target: its pages over plain HTTP and in the
browser, robots.txt, listing images and evidence captures. Plain HTTP requests are matched to a
target by the origins of its start URLs; the browser, images and captures by the target itself.

Through an upstream proxy the connection to the marketplace is made by the proxy, from its network:
auditor still refuses URLs that are not http(s) or that name an internal address it can see, but
the address a name resolves to at the proxy is the proxy's to police.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


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


@dataclass(frozen=True)
class Proxies:
    by_target: dict[str, str] = field(default_factory=dict)
    by_origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, targets, resolve=lambda url: url) -> "Proxies":
        """From config targets; `resolve` turns a start URL into the address requested (a demo: alias)."""
        by_target = {t.name: t.proxy for t in targets if getattr(t, "proxy", None)}
        by_origin = {origin(resolve(u)): t.proxy for t in targets if getattr(t, "proxy", None)
                     for u in [*t.start_urls, *([t.base_url] if t.base_url else [])]}
        return cls(by_target, by_origin)

    def for_url(self, url: str) -> str | None:
        return self.by_origin.get(origin(url))

    def for_target(self, target: str | None) -> str | None:
        return self.by_target.get(target or "")

    def __bool__(self) -> bool:
        return bool(self.by_target)
