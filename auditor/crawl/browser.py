"""Headless Chromium through Playwright: fetching pages with a pool of tabs, and confined evidence captures."""

from __future__ import annotations

import asyncio
import json
import secrets
import logging
from dataclasses import dataclass

from auditor.crawl.addresses import AddressPolicy, Refusal
from auditor.crawl.confine import NO_DIALOGS, Notes, close_popup, dismiss, origin_of
from auditor.crawl.driver import driver_in_own_session
from auditor.crawl.egress import REFUSED_HEADER, EgressProxy
from auditor.crawl.install import choose_executable
from auditor.crawl.record import Recorder
from auditor.crawl.routes import Access
from auditor.errors import AddressRefused, BadStatus, BrowserCrashed, BrowserError, FetchTimeout, NetworkError, PageTooLarge
from auditor.i18n import tr
from auditor.models import Snapshot

log = logging.getLogger(__name__)

BROWSER_GONE = "has been closed"  # Playwright's TargetClosedError: the page, its context or the browser went away
STUCK_LIMIT = 3  # hard deadlines missed in a row before the browser is restarted
SERVER_PATIENCE = 60.0  # seconds a lost browser server is waited for (restarted, its machine rebooting)
# Chromium honours only the last --disable-features, and Playwright puts its own list before ours: so ours
# carries Playwright's (this is 1.65's; test_the_browser_keeps_playwrights_disabled_features_beside_ours checks it) and
# RenderDocument, a fresh frame for every navigation, which cost a third of the browser path's pages/s.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying",
    "AimEnabled", "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion")
DISABLED_FEATURES = (*PLAYWRIGHT_DISABLED_FEATURES, "RenderDocument")
LAUNCH_ARGS = ["--disable-gpu", "--disable-quic", "--disable-dev-shm-usage",
               "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",  # WebRTC may not go around the proxy
               "--disable-features=" + ",".join(DISABLED_FEATURES)]
BLOCKED_URLS = [f"*.{ext}*" for ext in (
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "m4a", "ogg", "css")]


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    html: str
    retry_after: str | None = None  # the Retry-After header, if any
    etag: str | None = None  # validators for a conditional request next time (plain HTTP only)
    last_modified: str | None = None


@dataclass
class _Tab:
    page: object
    generation: int  # the browser context it belongs to
    uses: int = 0
    cdp: object = None  # its DevTools session: resource blocking, and reading the DOM


class BrowserFetcher:
    """A long-lived headless Chromium with a pool of reused tabs; one fetch = one tab for one page.

    Tabs are reopened every `recycle_after` pages and the whole context every `context_recycle_after`
    (memory stays flat on long runs). A browser that crashed or stopped answering is relaunched on the
    next fetch; tabs of an old context or browser are dropped as they come back to the pool.
    """

    def __init__(self, *, executable: str | None = None, headless: bool = True, concurrency: int = 4,
                 recycle_after: int = 40, block_resources: bool = True, user_agent: str | None = None,
                 context_recycle_after: int = 500, max_bytes: int = 10_000_000, policy: AddressPolicy | None = None,
                 access: Access | None = None, endpoint: str | None = None, egress_listen: str = "127.0.0.1",
                 egress_host: str | None = None):
        self.endpoint = endpoint  # ws://host:port/ of a `playwright run-server`: its browser, not one of ours
        self.access = access or Access()  # a target's upstream proxy, signed-in session, headers, locale
        # every request of the browser goes through the egress proxy, and on through the target's upstream proxy when
        # it has one; it asks for a password made afresh by this process, local browser or remote, so no other
        # process on the machine (or the network) can ride it to the addresses the config allows
        self._egress_password = secrets.token_urlsafe(24)
        self.egress = EgressProxy(policy or AddressPolicy(), upstream=self.access.proxy, listen=egress_listen,
                                  announce=egress_host, password=self._egress_password)
        self._executable = executable
        self._headless = headless
        self._size = concurrency
        self._recycle_after = recycle_after
        self._context_recycle_after = context_recycle_after
        self._max_bytes = max_bytes
        self._block = block_resources
        self._user_agent = user_agent
        self._pw = None
        self._browser = None
        self._context = None
        self._generation = 0
        self._context_loads = 0
        self._open_tabs: dict[int, int] = {}  # generation -> tabs still open in that context
        self._old_contexts: dict[int, object] = {}
        self._lock = asyncio.Lock()
        self._idle: asyncio.Queue = asyncio.Queue()
        self._evidence_idle: asyncio.Queue | None = None
        self.pages_opened = 0
        self.contexts_opened = 0
        self.relaunches = 0
        self._stuck = 0  # hard deadlines missed in a row

    async def __aenter__(self) -> "BrowserFetcher":
        from playwright.async_api import async_playwright

        self._exe = self._executable if self.endpoint else choose_executable(self._executable)
        self.egress.__enter__()
        driver_in_own_session()
        self._pw = await async_playwright().start()
        try:
            await (self._reach_server() if self.endpoint else self._launch())
        except Exception:
            await self._pw.stop()
            self.egress.__exit__(None, None, None)
            raise
        for _ in range(self._size):
            self._idle.put_nowait(None)  # tabs are opened lazily
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                await asyncio.wait_for(self._browser.close(), 15)
        except Exception:  # a browser that no longer answers: the driver's stop ends it
            pass
        finally:
            await self._pw.stop()
            self.egress.__exit__(*exc)

    async def _launch(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            if self.endpoint:
                self._browser = await self._connect()
            else:
                # Playwright also sends loopback addresses through the proxy (it adds `<-loopback>`).
                self._browser = await self._pw.chromium.launch(
                    executable_path=self._exe, headless=self._headless, args=LAUNCH_ARGS,
                    proxy={"server": self.egress.url, "username": "auditor", "password": self._egress_password})
        except PlaywrightError as e:
            where = f"the browser server at {self.endpoint}" if self.endpoint else self._exe or "Playwright default"
            raise BrowserError(tr("Chromium did not start ({where}): {value}",
                                  where=where, value=e.message.splitlines()[0])) from None
        self._old_contexts.clear()
        self._open_tabs.clear()
        try:
            await self._new_context()
        except PlaywrightError as e:  # it went away as soon as it came (a browser server killed at that moment)
            raise BrowserError(tr("Chromium went away as it started: {value}", value=e.message.splitlines()[0])) from None

    async def _reach_server(self) -> None:
        """The remote browser, waited for while its server is away (killed and restarted, a reboot) for up to
        SERVER_PATIENCE seconds, at the start as after a loss; the pages waiting meanwhile go on once it is back."""
        loop = asyncio.get_running_loop()
        started, attempt = loop.time(), 0
        while True:
            try:
                await self._launch()
            except BrowserError as e:
                if loop.time() - started > SERVER_PATIENCE:
                    raise
                if attempt == 0:
                    log.warning("%s; trying again for up to %.0f s", e, SERVER_PATIENCE)
                await asyncio.sleep(min(0.5 * 2 ** attempt, 3.0))
                attempt += 1
                continue
            if attempt:
                log.warning("connected to the browser server at %s after %.1f s", self.endpoint,
                            loop.time() - started)
            return

    async def _connect(self):
        """The browser of a remote `playwright run-server` (client and server of the same Playwright version).
        Its pages still go through this process's egress proxy, set on each context; the server launches the
        browser with our arguments, and with browser.executable only when started with --unsafe."""
        options = {"headless": self._headless, "args": LAUNCH_ARGS,
                   **({"executablePath": self._exe} if self._exe else {})}
        return await self._pw.chromium.connect(self.endpoint, timeout=30_000,
                                               headers={"x-playwright-launch-options": json.dumps(options)})

    def _context_options(self) -> dict:
        a = self.access
        proxy = {"server": self.egress.url, "username": "auditor", "password": self._egress_password}
        return {"locale": a.locale or "ja-JP", **({"proxy": proxy} if self.endpoint else {}), **({"storage_state": a.session} if a.session else {})}

    async def _new_context(self) -> None:
        self._context = await self._browser.new_context(user_agent=self._user_agent, service_workers="block",
                                                        **self._context_options())
        await self._context.add_init_script(NO_DIALOGS)
        # the target's headers only on requests to its own origins (never extra_http_headers): a Cookie header as
        # cookies of those origins (Chromium keeps them to their hosts), the rest added to each such request
        if cookies := self.access.cookie_jar():
            await self._context.add_cookies(cookies)
        if any(name.lower() != "cookie" for name, _ in self.access.headers):
            await self._context.route("**/*", self._own_headers)
        self._generation += 1
        self._context_loads = 0
        self.contexts_opened += 1

    async def _own_headers(self, route, request) -> None:
        extra = {k: v for k, v in self.access.headers_for(request.url).items() if k.lower() != "cookie"}
        try:
            await (route.fallback(headers={**request.headers, **extra}) if extra else route.fallback())
        except PlaywrightError:  # the page was closed meanwhile
            pass

    async def _ready(self) -> None:
        """Relaunch a browser that is gone; move to a fresh context when this one has loaded enough."""
        async with self._lock:
            if not self._browser.is_connected():
                self.relaunches += 1
                if self.endpoint:
                    log.warning("the browser server at %s went away; connecting again", self.endpoint)
                    await self._reach_server()
                else:
                    log.warning("the browser crashed or was closed; relaunching it")
                    await self._launch()
            elif self._context_loads >= self._context_recycle_after:
                self._old_contexts[self._generation] = self._context
                await self._new_context()
                await self._close_drained()

    async def unresponsive(self) -> None:
        """A page passed its hard deadline; after a few in a row the browser is taken as stuck and restarted."""
        self._stuck += 1
        if self._stuck >= STUCK_LIMIT and self._browser is not None and self._browser.is_connected():
            log.warning("the browser missed %d hard deadlines in a row: restarting it", self._stuck)
            self._stuck = 0
            try:
                await asyncio.wait_for(self._browser.close(), 5)
            except Exception:  # noqa: BLE001 - stuck: the next page relaunches it anyway
                pass

    async def _close_drained(self) -> None:
        for generation in [g for g in self._old_contexts if not self._open_tabs.get(g)]:
            context = self._old_contexts.pop(generation)
            try:
                await asyncio.wait_for(context.close(), 10)
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

    async def _open(self, block: bool) -> _Tab:
        page = await self._context.new_page()
        page.on("popup", close_popup)  # a listing's window.open() gets no window
        page.on("dialog", dismiss)
        self.pages_opened += 1
        self._open_tabs[self._generation] = self._open_tabs.get(self._generation, 0) + 1
        cdp = None
        if block:
            cdp = await self._context.new_cdp_session(page)
            if self._block:
                await cdp.send("Network.enable")
                await cdp.send("Network.setBlockedURLs", {"urls": BLOCKED_URLS})
        return _Tab(page, self._generation, cdp=cdp)

    @staticmethod
    async def _html(tab: _Tab) -> str:
        """The rendered DOM as HTML, read through DevTools: about three times faster than page.content(),
        and, like it, out of reach of the page's own scripts (no JavaScript of the page is involved)."""
        if tab.cdp is None:
            return await tab.page.content()
        root = await tab.cdp.send("DOM.getDocument", {"depth": 0})
        return (await tab.cdp.send("DOM.getOuterHTML", {"nodeId": root["root"]["nodeId"]}))["outerHTML"]

    async def _take(self, pool: asyncio.Queue, block: bool) -> _Tab:
        tab = await pool.get()
        try:
            await self._ready()
            if tab is not None and tab.generation != self._generation:
                await self._discard(tab)
                tab = None
            return tab or await self._open(block)
        except BaseException:
            if tab is not None:
                await self._discard(tab)
            pool.put_nowait(None)
            raise

    def _give_back(self, pool: asyncio.Queue, tab: _Tab | None, healthy: bool, recycle_after: int | None) -> None:
        if tab is not None:
            tab.uses += 1
            if not healthy or (recycle_after and tab.uses >= recycle_after) or tab.generation != self._generation:
                asyncio.get_running_loop().create_task(self._discard(tab))
                tab = None
        pool.put_nowait(tab)

    async def _discard(self, tab: _Tab) -> None:
        try:
            await asyncio.wait_for(tab.page.close(), 5)
        except Exception:  # a stuck or crashed tab: nothing more to save
            pass
        self._open_tabs[tab.generation] = max(0, self._open_tabs.get(tab.generation, 0) - 1)
        if tab.generation in self._old_contexts:
            await self._close_drained()

    def _error(self, url: str, e) -> NetworkError | AddressRefused:
        message = e.message.splitlines()[0] if getattr(e, "message", None) else str(e)
        if "ERR_TUNNEL_CONNECTION_FAILED" in message and (refused := self.egress.refusal_for(url)):
            return AddressRefused(url, refused.reason)
        if (self._browser is not None and not self._browser.is_connected()) or BROWSER_GONE in message:
            return BrowserCrashed(url, f"the browser crashed ({message})")
        return NetworkError(url, message)

    def _allowed(self, url: str) -> None:
        """Refuse, before the browser sees it, an address the policy does not let auditor reach."""
        try:
            self.egress.policy.check_url(url)
        except Refusal as e:
            raise AddressRefused(url, str(e)) from None

    async def snapshot(self, url: str, *, ready_selector: str | None, timeout: float, tabs: int = 2,
                       block: str | None = None, archive: bool = False) -> Snapshot:
        """The crawled page, loaded with everything for evidence: a full-page PNG and the rendered HTML.

        Confined to that page: navigations away from its origin are stopped, popups closed, dialogs
        refused, requests to addresses the policy refuses are not made; each is noted in the capture.
        A page that does not settle in time is captured again with its scripts off, marked partial. With `block`
        (a CSS selector: the listing's main block), that block is screenshotted alone too; with `archive`, every
        request and response of the page is recorded for its web archive."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        self._allowed(url)
        if self._evidence_idle is None:
            self._evidence_idle = asyncio.Queue()
            for _ in range(tabs):
                self._evidence_idle.put_nowait(None)
        try:
            tab = await self._take(self._evidence_idle, block=False)
        except PlaywrightError as e:
            raise self._error(url, e) from None
        page, healthy, ms = tab.page, False, timeout * 1000
        self._context_loads += 1  # captures count toward recycling the context too: memory stays flat
        notes = Notes(self.egress)
        recorder = Recorder(page) if archive else None
        exchanges: tuple = ()
        try:
            await notes.watch(page, url)
            response = await page.goto(url, wait_until="commit", timeout=ms)
            if response is not None and (reason := response.headers.get(REFUSED_HEADER.lower())):
                healthy = True
                raise AddressRefused(url, reason)
            if response is not None and response.status >= 400:
                healthy = True
                raise BadStatus(url, response.status)
            for state in ("domcontentloaded", "load"):  # a third-party script or image that never comes
                try:                                      # must not cost the evidence of the page itself
                    await page.wait_for_load_state(state, timeout=min(ms, 10_000))
                except PlaywrightTimeout:
                    log.info("evidence of %s taken before the page reached %s", url, state)
                    break
            if ready_selector:
                await page.wait_for_selector(ready_selector, state="attached", timeout=ms)
            png = await page.screenshot(full_page=True, type="png", timeout=ms)
            block_png = await self._listing_block(page, block, ms, notes) if block else None
            html, final_url = await page.content(), page.url
            if recorder is not None:
                exchanges = await recorder.collect(timeout)
                for line in recorder.notes:
                    notes.add(line)
            healthy = True
        except PlaywrightTimeout:
            log.warning("evidence of %s: the page did not settle in %g s; capturing it with its scripts off", url, timeout)
            png, html, final_url = await self._without_scripts(url, ms)
            return Snapshot(url, final_url, png, html, notes=tuple(notes.lines),
                            partial=f"the page did not settle within {timeout:g} s: captured with its scripts off")
        except PlaywrightError as e:
            raise self._error(url, e) from None
        finally:
            self._give_back(self._evidence_idle, tab, healthy, 1)  # a fresh tab for every capture
        if origin_of(final_url) != origin_of(url):
            notes.add(f"the server sent the page on to another site: {final_url[:300]}")
        return Snapshot(url, final_url, png, html, notes=tuple(notes.lines), block_png=block_png, exchanges=exchanges)

    @staticmethod
    async def _listing_block(page, selector: str, ms: float, notes) -> bytes | None:
        """The listing's main block alone, as the page shows it; a page without it is noted (the full page stays)."""
        from playwright.async_api import Error as PlaywrightError

        try:
            found = page.locator(selector).first
            if not await found.count() or not await found.is_visible():
                notes.add(f"the listing's block ({selector}) is not on the page: only the whole page is kept")
                return None
            return await found.screenshot(type="png", timeout=min(ms, 10_000), animations="disabled")
        except PlaywrightError as e:  # a selector the page breaks, a block that will not hold still
            notes.add(f"the listing's block ({selector}) could not be screenshotted: {e.message.splitlines()[0][:200]}")
            return None

    async def _without_scripts(self, url: str, ms: float) -> tuple[bytes, str, str]:
        """The page as its server sent it, in a fresh context with JavaScript off (a page that loops cannot stop it)."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        context = await self._browser.new_context(java_script_enabled=False, user_agent=self._user_agent,
                                                  service_workers="block", **self._context_options())
        try:
            page = await context.new_page()
            try:
                await page.goto(url, wait_until="load", timeout=ms)
            except PlaywrightTimeout:
                pass  # what has arrived is captured
            png = await page.screenshot(full_page=True, type="png", timeout=ms)
            return png, await page.content(), page.url
        except PlaywrightTimeout:
            raise FetchTimeout(url, f"no evidence within {ms / 1000:g} s, even with the page's scripts off") from None
        except PlaywrightError as e:
            raise self._error(url, e) from None
        finally:
            try:
                await asyncio.wait_for(context.close(), 10)
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

    async def fetch(self, url: str, *, ready_selector: str | None, timeout: float) -> FetchedPage:
        """Load url in a pooled tab and return the rendered HTML; errors become CrawlError kinds."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            tab = await self._take(self._idle, block=True)
        except PlaywrightError as e:  # the browser went away while a tab was being opened
            raise self._error(url, e) from None
        page, healthy, ms = tab.page, False, timeout * 1000
        try:
            self._context_loads += 1
            self._allowed(url)
            response = await page.goto(url, wait_until="commit", timeout=ms)
            if response is not None and (reason := response.headers.get(REFUSED_HEADER.lower())):
                healthy = True
                raise AddressRefused(url, reason)
            declared = int((response.headers.get("content-length") or "0") if response else "0")
            if declared > self._max_bytes:  # stop it now, before the browser reads it all
                healthy = True
                await page.goto("about:blank", timeout=ms)
                raise PageTooLarge(url, f"the page is {declared:,} bytes, over the {self._max_bytes:,} byte cap")
            await page.wait_for_load_state("domcontentloaded", timeout=ms)
            status = response.status if response else 0
            if status >= 400:  # the crawler tells errors from block pages
                healthy = True
                return FetchedPage(url, page.url, status, await self._html(tab), response.headers.get("retry-after"))
            if ready_selector:
                await page.wait_for_selector(ready_selector, state="attached", timeout=ms)
            html = await self._html(tab)
            healthy, self._stuck = True, 0
            if len(html) > self._max_bytes:
                raise PageTooLarge(url, f"the page is over the {self._max_bytes:,} byte cap")
            return FetchedPage(url, page.url, status, html)
        except PlaywrightTimeout:
            raise FetchTimeout(url, f"no complete page within {timeout:g} s") from None
        except PlaywrightError as e:
            raise self._error(url, e) from None
        finally:
            self._give_back(self._idle, tab, healthy, self._recycle_after)

