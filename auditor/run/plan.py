"""What a run fetches from and with: its targets as crawl jobs, and fetchers under the address policy."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from auditor.config import Config, Target
from auditor.crawl import BrowserFetcher, CrawlJob, CrawlPolicy, Memory
from auditor.crawl.adaptive import AdaptiveFetcher
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.http import HttpFetcher
from auditor.crawl.routes import Access, Routes
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.sites import SiteProfile, get_profile
from auditor.sites.saved import load_file


def adhoc_target(site: str | None, queries: tuple[str, ...] | list[str], urls: tuple[str, ...] | list[str],
                 base_url: str | None = None) -> Target:
    """A one-off target for `auditor run --site NAME --query Q / --url URL`."""
    if not site:
        raise AuditorError(tr("--query and --url need --site NAME (see `auditor sites`)"))
    profile = get_profile(site)
    if not queries and not urls:
        raise AuditorError(tr("say what to audit on {site}: --query TEXT or --url URL", site=site))
    base = base_url or profile.base_url
    if queries and not base:
        raise AuditorError(tr("{site} has no address of its own: give --base-url with --query", site=site))
    return Target(name=f"adhoc-{site.replace('_', '-')}", site=site, start_urls=list(urls), queries=list(queries),
                  base_url=base if queries else None)


SECRET = "(kept in the config, not in the database)"


def plan_of(targets: list[Target]) -> list[dict]:
    """The targets as a run records them (so a resumed run, or a worker, audits the same), without a secret:
    a proxy's password and the values of a target's headers stay in the config and the environment."""
    out = []
    for t in targets:
        row = t.model_dump(mode="json")
        if t.proxy:
            row["proxy"] = _without_password(t.proxy)
        if t.headers:
            row["headers"] = {name: SECRET for name in t.headers}
        out.append(row)
    return out


def targets_of_plan(plan: list[dict], config: Config) -> list[Target]:
    """A recorded run's targets, their secrets taken again from this process's config (the target of the same
    name, with the same proxy); a target the config no longer has goes without them."""
    known = {t.name: t for t in config.targets}
    out = []
    for row in plan:
        t = Target.model_validate(row)
        mine = known.get(t.name)
        same_proxy = mine is not None and mine.proxy and t.proxy and _without_password(mine.proxy) == t.proxy
        proxy = mine.proxy if same_proxy else t.proxy
        headers = {k: (mine.headers[k] if mine and k in mine.headers else v) for k, v in t.headers.items()}
        out.append(t.model_copy(update={"proxy": proxy,
                                        "headers": {k: v for k, v in headers.items() if v != SECRET}}))
    return out


# What a run decides for every process that works on it: how it asks (the crawl's pace, retries, timeouts) and
# what it captures and fetches. Left to each machine: where it keeps files, which addresses it may reach, the
# time-stamping authority and its credentials.
_RUN_DECIDES = {"crawl": {"exclude": {"allow_addresses"}},
                "images": {"exclude": {"dir", "confirm_bank"}},
                "evidence": {"include": {"enabled", "images", "max_image_mb", "concurrency"}}}


def settings_of(config: Config) -> dict:
    """The settings a run records when it starts (runs.settings), in JSON."""
    out = {}
    for section, which in _RUN_DECIDES.items():
        out[section] = getattr(config, section).model_dump(mode="json", **which)
    return out


def config_for_run(config: Config, settings: dict | None) -> Config:
    """This process's config with the run's own settings over it: a worker whose file says `evidence: off`, or
    other rates, does what the run decided. A run recorded before runs carried settings keeps the config's."""
    if not settings:
        return config
    update = {}
    for section in _RUN_DECIDES:
        if isinstance(settings.get(section), dict):
            mine = getattr(config, section)
            update[section] = type(mine).model_validate({**mine.model_dump(), **settings[section]})
    return config.model_copy(update=update)


def _without_password(proxy: str) -> str:
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else (parts.hostname or "")
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def resolve(url: str, aliases: dict[str, str]) -> str:
    """A configured URL with its alias (e.g. `demo:`) replaced by the address serving it in this run."""
    for prefix, address in aliases.items():
        if url.startswith(prefix):
            return address + url[len(prefix):]
    if ":" in url and not url.startswith(("http://", "https://")):
        raise AuditorError(tr("{url} needs a local marketplace that is not running (start it with `auditor demo "
                              "serve`)", url=url))
    return url


def build_jobs(config: Config, targets: list[Target], aliases: dict[str, str],
               follow: dict[str, tuple[str, ...]] | None = None, memory: Memory | None = None, *,
               followup: bool = False) -> list[CrawlJob]:
    """The targets as crawl jobs; with a `memory`, item pages that can tell nothing new are spared. A follow-up
    run's jobs read no search page: only the item pages of the listings followed (a target with none: no job)."""
    jobs = []
    for t in targets:
        profile = get_profile(t.site)
        if followup:
            if (follow or {}).get(t.name):
                jobs.append(CrawlJob(t.name, profile, (), config.crawl.max_pages_per_target,
                                     t.requests_per_second or config.crawl.requests_per_second,
                                     obey_robots=not t.ignore_robots, mode=t.fetch,
                                     follow_urls=tuple(follow[t.name])))
            continue
        urls = [resolve(u, aliases) for u in t.start_urls]
        if t.queries:
            if not t.base_url:
                raise AuditorError(tr("target {name}: queries need a base_url", name=t.name))
            urls += [profile.search_url(resolve(t.base_url, aliases), q) for q in t.queries]
        if not urls:
            raise AuditorError(tr("target {name}: give start_urls or queries", name=t.name))
        newest = memory is not None and t.queries and not t.start_urls and getattr(profile, "newest_first", False)
        jobs.append(CrawlJob(t.name, profile, tuple(urls), config.crawl.max_pages_per_target,
                             t.requests_per_second or config.crawl.requests_per_second, obey_robots=not t.ignore_robots,
                             mode=t.fetch, follow_urls=tuple((follow or {}).get(t.name, ())), memory=memory,
                             known_stop=config.crawl.known_pages_stop if newest else 0))
    return jobs


def policy_from(config: Config) -> CrawlPolicy:
    c = config.crawl
    return CrawlPolicy(retries=c.retries, backoff_seconds=c.backoff_seconds, page_timeout=c.page_timeout_seconds,
                       max_per_host=c.max_per_host, concurrency=max(config.browser.tabs, c.http_concurrency),
                       max_retry_after=c.max_retry_after_seconds, user_agent=c.user_agent)


def address_policy(config: Config, aliases: dict[str, str] | None = None) -> AddressPolicy:
    """What the run may reach: public addresses, the config's allowances, and the exact address of each
    local marketplace the run started itself (the demo)."""
    local = [urlsplit(address).netloc for address in (aliases or {}).values()]
    return AddressPolicy.allowing(*config.crawl.allow_addresses, *local)


def adaptive_for(config: Config, policy: AddressPolicy | None = None, routes: Routes | None = None) -> AdaptiveFetcher:
    """Plain HTTP for server-rendered pages; the browser, started when first needed, for the rest (one browser more
    for each target with its own proxy, session or headers)."""
    policy = policy or address_policy(config)
    routes = routes or Routes()
    http = HttpFetcher(user_agent=config.crawl.user_agent, max_connections=config.crawl.http_concurrency,
                       max_bytes=config.crawl.max_page_bytes, policy=policy, routes=routes)
    return AdaptiveFetcher(http, lambda access=None: browser_for(config, policy, access), routes)


def browser_for(config: Config, policy: AddressPolicy | None = None, access: Access | None = None) -> BrowserFetcher:
    b = config.browser
    return BrowserFetcher(executable=b.executable, headless=b.headless, concurrency=b.tabs,
                          recycle_after=b.recycle_after, block_resources=b.block_resources,
                          context_recycle_after=b.context_recycle_after,
                          max_bytes=config.crawl.max_page_bytes,
                          user_agent=config.crawl.user_agent, policy=policy or address_policy(config), access=access,
                          endpoint=b.endpoint, egress_listen=b.egress_listen, egress_host=b.egress_host)


def moved(url: str, before: list[dict[str, str]], now: dict[str, str]) -> str:
    """A URL recorded under an alias's earlier address (a local marketplace on another port), as it reads now."""
    for old_map in before:
        for prefix, old in old_map.items():
            new = now.get(prefix)
            if new and new != old and url.startswith(old):
                return new + url[len(old):]
    return url


def load_source(source: str, profile: SiteProfile, config: Config, allow: tuple[str, ...] = ()) -> tuple[str, str]:
    """(html, url) of a saved file, or of a URL fetched the way the profile needs (HTTP or browser), under
    the config's address policy plus the addresses in `allow`."""
    if source.startswith(("http://", "https://")):
        policy = address_policy(config).extended(*allow)

        async def go():
            async with adaptive_for(config, policy) as fetcher:  # the same fetchers, configured the same, as a run
                chosen = await fetcher.fetcher_for("parse", "auto", profile.needs_browser)
                return await chosen.fetch(source, ready_selector=profile.ready_selector,
                                          timeout=config.crawl.page_timeout_seconds)

        page = asyncio.run(go())
        return page.html, page.final_url or source
    return load_file(source)
