"""Headless Chromium through Playwright: finding a browser, and fetching pages with a pool of tabs."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import BadStatus, BrowserError, FetchTimeout, NetworkError, PageTooLarge
from auditor.evidence import Snapshot

log = logging.getLogger(__name__)

STUCK_LIMIT = 3  # hard deadlines missed in a row before the browser is restarted
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
LAUNCH_ARGS = ["--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
BLOCKED_URLS = [f"*.{ext}*" for ext in (
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "m4a", "ogg", "css")]
INSTALL_HINT = ("install one: `python -m playwright install chromium` where it can be downloaded, "
                "or Debian's package (`apt-get install chromium`), or set browser.executable in config.yaml")


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    html: str
    retry_after: str | None = None  # the Retry-After header, if any


def bundled_chromium() -> Path | None:
    """Playwright's own Chromium, if it was downloaded (no driver start needed to look)."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell"):
        found = sorted(root.glob(pattern))
        if found:
            return found[-1]
    return None


def system_chromium() -> Path | None:
    for candidate in SYSTEM_CHROMIUMS:
        if Path(candidate).exists():
            return Path(candidate)
    return None


def choose_executable(configured: str | None) -> str | None:
    """The browser to launch: the configured one, Playwright's own, else the system's (None = Playwright's)."""
    if configured:
        if not Path(configured).exists():
            raise BrowserError(f"browser.executable {configured!r} does not exist; {INSTALL_HINT}")
        return configured
    if bundled_chromium():
        return None
    system = system_chromium()
    if system:
        return str(system)
    raise BrowserError(f"no Chromium found; {INSTALL_HINT}")


def _apt_install(packages: list[str]) -> str | None:
    """apt-get install as root; returns the error, or None when it worked."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "needs root and apt-get"
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if done.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-400:]}"
    return None


def has_cjk_fonts() -> bool:
    if not shutil.which("fc-list"):
        return False
    done = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
    return bool(done.stdout.strip())


def ensure_cjk_fonts(echo=print) -> str:
    """Evidence screenshots of Japanese listings need Japanese fonts (else every character is a box)."""
    if has_cjk_fonts():
        return "Japanese fonts: present"
    echo("auditor: installing Japanese fonts for evidence screenshots (fonts-noto-cjk) ...")
    error = _apt_install(["fonts-noto-cjk"])
    if error is None and has_cjk_fonts():
        return "Japanese fonts: fonts-noto-cjk installed"
    return (f"Japanese fonts: missing ({error or 'not found after install'}); screenshots will show boxes "
            "for Japanese text: install a CJK font (Debian: fonts-noto-cjk)")


def install_browser(echo=print) -> str:
    """Make sure a headless Chromium is there: Playwright's download, else Debian's package."""
    if found := bundled_chromium():
        return f"Playwright's Chromium: {found}"
    echo("auditor: trying Playwright's own Chromium download ...")
    try:
        done = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode == 0 and (found := bundled_chromium()):
            return f"Playwright's Chromium: {found}"
        echo("auditor: Playwright's download is not available here; using the system Chromium instead")
    except (OSError, subprocess.TimeoutExpired) as e:
        echo(f"auditor: Playwright's download failed ({e}); using the system Chromium instead")
    if found := system_chromium():
        return f"system Chromium: {found}"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        echo("auditor: installing Debian's chromium package (apt-get) ...")
        if error := _apt_install(["chromium"]):
            raise BrowserError(error)
        if found := system_chromium():
            return f"system Chromium: {found}"
    raise BrowserError(f"no Chromium could be installed automatically; {INSTALL_HINT}")


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
                 context_recycle_after: int = 500, max_bytes: int = 10_000_000):
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

        self._exe = choose_executable(self._executable)
        self._pw = await async_playwright().start()
        try:
            await self._launch()
        except Exception:
            await self._pw.stop()
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

    async def _launch(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            self._browser = await self._pw.chromium.launch(executable_path=self._exe, headless=self._headless,
                                                           args=LAUNCH_ARGS)
        except PlaywrightError as e:
            raise BrowserError(f"Chromium did not start ({self._exe or 'Playwright default'}): "
                               f"{e.message.splitlines()[0]}") from None
        self._old_contexts.clear()
        self._open_tabs.clear()
        await self._new_context()

    async def _new_context(self) -> None:
        self._context = await self._browser.new_context(user_agent=self._user_agent, locale="ja-JP",
                                                        service_workers="block")
        self._generation += 1
        self._context_loads = 0
        self.contexts_opened += 1

    async def _ready(self) -> None:
        """Relaunch a browser that is gone; move to a fresh context when this one has loaded enough."""
        async with self._lock:
            if not self._browser.is_connected():
                log.warning("the browser crashed or was closed; relaunching it")
                self.relaunches += 1
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

    def _error(self, url: str, e) -> NetworkError:
        message = e.message.splitlines()[0] if getattr(e, "message", None) else str(e)
        if self._browser is not None and not self._browser.is_connected():
            message = f"the browser crashed ({message})"
        return NetworkError(url, message)

    async def snapshot(self, url: str, *, ready_selector: str | None, timeout: float, image_urls: tuple[str, ...] = (),
                       max_image_bytes: int = 10_000_000, tabs: int = 2) -> Snapshot:
        """Load a page with everything (images, styles) for evidence: full-page PNG, rendered HTML, images."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        if self._evidence_idle is None:
            self._evidence_idle = asyncio.Queue()
            for _ in range(tabs):
                self._evidence_idle.put_nowait(None)
        try:
            tab = await self._take(self._evidence_idle, block=False)
        except PlaywrightError as e:
            raise self._error(url, e) from None
        page, healthy, ms = tab.page, False, timeout * 1000
        try:
            response = await page.goto(url, wait_until="commit", timeout=ms)
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
            html, final_url = await page.content(), page.url
            healthy = True
        except PlaywrightTimeout:
            raise FetchTimeout(url, f"no evidence within {timeout:g} s") from None
        except PlaywrightError as e:
            raise self._error(url, e) from None
        finally:
            self._give_back(self._evidence_idle, tab, healthy, None)
        images = []
        for image_url in image_urls:
            if not image_url.lower().startswith(("http://", "https://")):
                continue
            try:
                response = await self._context.request.get(image_url, timeout=ms, max_redirects=3)
                body = await response.body()
            except PlaywrightError as e:
                log.info("evidence image not kept: %s (%s)", image_url, e.message.splitlines()[0])
                continue
            ctype = response.headers.get("content-type", "")
            if response.ok and ctype.startswith("image/") and len(body) <= max_image_bytes:
                images.append((image_url, ctype, body))
        return Snapshot(url, final_url, png, html, tuple(images))

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
            response = await page.goto(url, wait_until="commit", timeout=ms)
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
