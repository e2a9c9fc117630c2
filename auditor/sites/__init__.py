"""Site profiles, one module per marketplace, looked up by their slug: what a page is, its search URLs,
and the listings its search and item pages carry; `saved` reads a saved page as `auditor parse` does.

May import crawl/ (decoding a page) and the shared vocabulary; never the store, run/ or above.
"""

from __future__ import annotations

import re

from auditor.errors import AuditorError
from auditor.sites.base import SiteProfile
from auditor.sites.extract import urls_in
from auditor.sites.demo_auction import DemoAuction
from auditor.sites.demo_fleamarket import DemoFleamarket

from auditor.i18n import tr
from auditor.sites.booth import Booth
from auditor.sites.buyee import Buyee
from auditor.sites.dlsite import Dlsite
from auditor.sites.ebay import Ebay
from auditor.sites.fanbox import Fanbox
from auditor.sites.fanza import Fanza
from auditor.sites.mercari import Mercari
from auditor.sites.paypay_fleamarket import PaypayFleamarket
from auditor.sites.rakuma import Rakuma
from auditor.sites.schema_org import SchemaOrg
from auditor.sites.surugaya import Surugaya
from auditor.sites.yahoo_auctions import YahooAuctions

PROFILES: dict[str, SiteProfile] = {p.name: p for p in (DemoAuction(), DemoFleamarket(), YahooAuctions(), PaypayFleamarket(), Buyee(), Mercari(), Ebay(), SchemaOrg(), Booth(), Rakuma(), Dlsite(), Fanza(), Fanbox(), Surugaya())}


def get_profile(name: str) -> SiteProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise AuditorError(tr("unknown site profile {name!r} (known: {value})",
                              name=name, value=', '.join(sorted(PROFILES)))) from None


__all__ = ["PROFILES", "SiteProfile", "get_profile"]


MAX_SELLER_LINKS = 40  # URLs looked at in one listing


def linked_sellers(listing) -> set[tuple[str, str, str]]:
    """The seller's accounts on other venues (or other accounts on this one) that a listing links: its shop's own
    links and the seller pages named in its description, as (site, seller id, URL). Only URLs of a known venue's
    seller pages count, each read by that venue's profile."""
    if not listing.seller_id:
        return set()
    urls = [*listing.seller_links, *urls_in(listing.description, MAX_SELLER_LINKS)][:MAX_SELLER_LINKS]
    found = set()
    for url in urls:
        for profile in PROFILES.values():
            seller = profile.seller_in_url(url)
            if seller:
                if (profile.name, seller) != (listing.site, listing.seller_id):
                    found.add((profile.name, seller, url))
                break
    return found


_ADDRESSES = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)|<meta[^>]+property=["']og:url["'][^>]*"""
                        r"""content=["']([^"']+)""", re.I)


def guess_profile(text: str, url: str) -> tuple[SiteProfile, str] | None:
    """The profile of a page given without a site (`auditor parse FILE`), and why: the venue its own address names
    (the URL, its canonical link, its og:url), else the venue whose hosts it names most. None: no venue named."""
    from html import unescape
    from urllib.parse import urlsplit

    head = text[:300_000]
    named = [url, *(unescape(a or b) for a, b in _ADDRESSES.findall(head))]
    for address in named:
        host = (urlsplit(address).hostname or "").lower()
        for profile in PROFILES.values():
            if any(host == d or host.endswith("." + d) for d in profile.domains):
                return profile, tr("its address {address!r} is on {profile}", address=address[:200], profile=profile.name)
    counts = {p.name: sum(head.count(d) for d in p.domains) for p in PROFILES.values() if p.domains}
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] == 0:
        return None
    return PROFILES[best], tr("it names {profile}'s hosts most ({n} times)", profile=best, n=counts[best])


def target_notes(target) -> list[tuple[str, str]]:
    """What a config target's venue says of it before it runs (SiteProfile.target_notes); nothing for an unknown
    profile (that is its own error) or a demo: target."""
    profile = PROFILES.get(target.site)
    urls = [u for u in target.start_urls if not u.startswith("demo:")]
    if profile is None or (target.start_urls and not urls):
        return []
    return profile.target_notes(urls, dict(target.headers))


def default_headers(target) -> dict[str, str]:
    """The headers the target's venue needs on every request (its profile's), beneath the target's own."""
    profile = PROFILES.get(target.site)
    return {**(profile.headers if profile else {}), **dict(target.headers)}
