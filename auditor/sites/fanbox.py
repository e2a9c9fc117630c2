"""pixiv FANBOX (www.fanbox.cc): a creator's posts, read from FANBOX's own API JSON.

A post is a listing: its fee (`feeRequired`, yen) is its price, the creator is the seller, its
`publishedDatetime` the publish time, its tags the tags; a creator with `hasAdultContent` marks every
post `adult`. Two formats of the answer are read: the newer one (`body.creator`, `body.plans`,
`body.post.items`, `body.post.nextUrl`) and the older list (`body.items`, `body.nextUrl`, each post
carrying its `user`). The next page is the answer's own `nextUrl`. FANBOX answers its API only to
requests from its site: a target sets `headers: {Origin: "https://www.fanbox.cc"}` (no account is
needed for the list; a post's paid body is never read).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import quote

from auditor.errors import CrawlError, ParseError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, parse_time
from auditor.sites.extract import to_decimal

ORIGIN = "https://www.fanbox.cc"


def _load(text: str, url: str) -> dict:
    try:
        data = _parsed(text)
    except ValueError as e:
        raise ParseError(url, f"not FANBOX API JSON: {e}") from None
    if not isinstance(data, dict) or "body" not in data:
        raise ParseError(url, "not FANBOX API JSON: no body")
    return data


@lru_cache(maxsize=4)
def _parsed(text: str):
    return json.loads(text)


def _posts(body) -> tuple[list, str | None]:
    if isinstance(body, dict) and isinstance(body.get("post"), dict):
        return body["post"].get("items") or [], body["post"].get("nextUrl")
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"], body.get("nextUrl")
    return [], None


class Fanbox(SiteProfile):
    name = "fanbox"
    seller_page = r"^https?://www\.pixiv\.net/fanbox/creator/(?P<id>\d+)"
    title = "pixiv FANBOX (creator posts, API JSON)"
    base_url = "https://api.fanbox.cc"
    domains = ("fanbox.cc", "fanbox.pixiv.net")  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("creator posts (API JSON, old and new format)", "removed (the API's error)", "blocked")
    labels = ("adult",)
    headers = {"Origin": ORIGIN}  # FANBOX answers its API only to its own site; no account is needed

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/post.listCreator?creatorId={quote(query)}&limit=10"  # a query is a creator id

    def page_kind(self, url: str) -> PageKind:
        return PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        return PageKind.SEARCH if html.lstrip().startswith("{") and '"body"' in html[:5000] else None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        if not html.lstrip().startswith("{"):
            return super().page_state(html, url)
        try:
            data = _parsed(html)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("error") and not data.get("body"):
            return Removed(url, f"FANBOX answers {str(data.get('error'))[:100]!r}: the creator or post is not there")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        data = _load(html, url)
        body = data["body"]
        posts, next_url = _posts(body)
        creator = body.get("creator") if isinstance(body, dict) and isinstance(body.get("creator"), dict) else {}
        adult_creator = bool(creator.get("hasAdultContent")) or any(
            isinstance(p, dict) and p.get("hasAdultContent") for p in (body.get("plans") or [] if isinstance(body, dict) else []))
        listings = []
        for post in posts:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            user = post.get("user") if isinstance(post.get("user"), dict) else creator.get("user") or {}
            user_id = str(user.get("userId") or "")
            post_body = post.get("body") if isinstance(post.get("body"), dict) else {}
            images = [i.get("thumbnailUrl") or i.get("originalUrl") for i in post_body.get("images") or []
                      if isinstance(i, dict)] or [post.get("coverImageUrl")]
            listings.append(Listing(
                site=self.name, item_id=str(post["id"]),
                url=f"{ORIGIN}/@{user.get('creatorId')}/posts/{post['id']}" if user.get("creatorId")
                else f"https://www.pixiv.net/fanbox/creator/{user_id}/post/{post['id']}",
                title=str(post.get("title") or ""), description=str(post.get("excerpt") or post_body.get("text") or ""),
                price=to_decimal(post.get("feeRequired")), currency="JPY",
                seller_id=user_id or None, seller_name=user.get("name"),
                seller_url=f"https://www.pixiv.net/fanbox/creator/{user_id}" if user_id else None,
                tags=tuple(str(t) for t in post.get("tags") or [] if isinstance(t, str)),
                image_urls=tuple(u for u in images if isinstance(u, str)),
                published_at=parse_time(post.get("publishedDatetime")), category=post.get("type"),
                labels=("adult",) if adult_creator or post.get("hasAdultContent") else (),
            ))
        if not listings and not posts:
            raise self.not_a("search", url, "no posts in the answer (body.post.items or body.items)")
        return SearchPage(tuple(x.url for x in listings), next_url if isinstance(next_url, str) and
                          re.match(r"https://(?:api\.fanbox\.cc|fanbox\.pixiv\.net)/", next_url) else None, tuple(listings))

    def parse_item(self, html: str, url: str) -> Listing:
        page = self.parse_search(html, url)
        if len(page.listings) != 1:
            raise self.not_a("item", url, f"an answer with {len(page.listings)} posts")
        return page.listings[0]
