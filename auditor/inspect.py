"""Read one page through a site profile, for staff checking a profile on a page they saved or a URL.

`auditor parse --site NAME FILE_OR_URL` prints what this returns: a search page's listings and
next page, or an item page's listing, as plain JSON.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from auditor.config import Config
from auditor.crawl.charset import decode_html  # noqa: F401 - re-exported for `auditor parse`
from auditor.errors import AuditorError
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites import SiteProfile

def load_source(source: str, profile: SiteProfile, config: Config, allow: tuple[str, ...] = ()) -> tuple[str, str]:
    """(html, url) of a saved file, or of a URL fetched the way the profile needs (HTTP or browser), under
    the config's address policy plus the addresses in `allow`."""
    if source.startswith(("http://", "https://")):
        from auditor.pipeline import adaptive_for, address_policy

        policy = address_policy(config).extended(*allow)

        async def go():
            async with adaptive_for(config, policy) as fetcher:  # the same fetchers, configured the same, as a run
                chosen = await fetcher.fetcher_for("parse", "auto", profile.needs_browser)
                return await chosen.fetch(source, ready_selector=profile.ready_selector,
                                          timeout=config.crawl.page_timeout_seconds)

        page = asyncio.run(go())
        return page.html, page.final_url or source
    path = Path(source)
    if not path.is_file():
        raise AuditorError(f"{source}: no such file (give a saved page or an http(s) URL)")
    return decode_html(path.read_bytes()), path.resolve().as_uri()


def parse_page(profile: SiteProfile, html: str, url: str, kind: str | None = None) -> SearchPage | Listing:
    return profile.parse(html, url, PageKind(kind) if kind else None)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def as_json(result: SearchPage | Listing) -> dict:
    """{"kind": "search", "total", "next_url", "item_urls", "listings": [...]} or {"kind": "item", "listing": {...}}"""
    if isinstance(result, SearchPage):
        return {"kind": "search", "total": result.total, "next_url": result.next_url,
                "item_urls": list(result.item_urls), "listings": [_plain(asdict(x)) for x in result.listings]}
    assert is_dataclass(result)
    return {"kind": "item", "listing": _plain(asdict(result))}
