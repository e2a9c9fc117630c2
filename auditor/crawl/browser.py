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

from auditor.errors import BadStatus, BrowserError, FetchTimeout, NetworkError
from auditor.evidence import Snapshot

log = logging.getLogger(__name__)

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


class BrowserFetcher:
    """A long-lived headless Chromium with a pool of reused tabs; one fetch = one tab for one page."""

    def __init__(self, *, executable: str | None = None, headless: bool = True, concurrency: int = 4,
                 recycle_after: int = 40, block_resources: bool = True, user_agent: str | None = None):
        self._executable = executable
        self._headless = headless
        self._size = concurrency
        self._recycle_after = recycle_after
        self._block = block_resources
        self._user_agent = user_agent
        self._pw = None
        self._browser = None
        self._context = None
        self._idle: asyncio.Queue = asyncio.Queue()
        self._uses: dict[int, int] = {}
        self._evidence_tabs: asyncio.Queue | None = None
        self.pages_opened = 0

    async def __aenter__(self) -> "BrowserFetcher":
        from playwright.async_api import async_playwright

        exe = choose_executable(self._executable)
        self._pw = await async_playwright().start()
        try:
            await self._launch(exe)
        except Exception:
            await self._pw.stop()
            raise
        self._exe = exe
        return self

    async def _launch(self, exe: str | None) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            self._browser = await self._pw.chromium.launch(executable_path=exe, headless=self._headless, args=LAUNCH_ARGS)
        except PlaywrightError as e:
            raise BrowserError(f"Chromium did not start ({exe or 'Playwright default'}): {e.message.splitlines()[0]}") from None
        self._context = await self._browser.new_context(user_agent=self._user_agent, locale="ja-JP", service_workers="block")
        for _ in range(self._size):
            self._idle.put_nowait(None)  # tabs are opened lazily

    async def __aexit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            await self._pw.stop()

    async def _new_page(self):
        page = await self._context.new_page()
        self.pages_opened += 1
        if self._block:
            cdp = await self._context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send("Network.setBlockedURLs", {"urls": BLOCKED_URLS})
        self._uses[id(page)] = 0
        return page

    async def _discard(self, page) -> None:
        self._uses.pop(id(page), None)
        try:
            await asyncio.wait_for(page.close(), 5)
        except Exception:  # a stuck or crashed tab: nothing more to save
            pass

    async def _relaunch_if_gone(self) -> None:
        if self._browser is not None and not self._browser.is_connected():
            log.warning("browser disconnected; relaunching")
            await self._launch(self._exe)

    async def snapshot(self, url: str, *, ready_selector: str | None, timeout: float, image_urls: tuple[str, ...] = (),
                       max_image_bytes: int = 10_000_000, tabs: int = 2) -> Snapshot:
        """Load a page with everything (images, styles) for evidence: full-page PNG, rendered HTML, images."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        if self._evidence_tabs is None:
            self._evidence_tabs = asyncio.Queue()
            for _ in range(tabs):
                self._evidence_tabs.put_nowait(None)
        page = await self._evidence_tabs.get()
        ms = timeout * 1000
        try:
            if page is None:
                await self._relaunch_if_gone()
                page = await self._context.new_page()
            response = await page.goto(url, wait_until="domcontentloaded", timeout=ms)
            if response is not None and response.status >= 400:
                raise BadStatus(url, response.status)
            if ready_selector:
                await page.wait_for_selector(ready_selector, state="attached", timeout=ms)
            try:
                await page.wait_for_load_state("load", timeout=min(ms, 10_000))
            except PlaywrightTimeout:
                pass  # a slow image must not cost the evidence of the page itself
            png = await page.screenshot(full_page=True, type="png", timeout=ms)
            html, final_url = await page.content(), page.url
        except PlaywrightTimeout:
            await self._discard(page)
            page = None
            raise FetchTimeout(url, f"no evidence within {timeout:g} s") from None
        except PlaywrightError as e:
            await self._discard(page)
            page = None
            raise NetworkError(url, e.message.splitlines()[0]) from None
        finally:
            self._evidence_tabs.put_nowait(page)
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

        page = await self._idle.get()
        healthy = False
        try:
            if page is None:
                await self._relaunch_if_gone()
                page = await self._new_page()
            ms = timeout * 1000
            response = await page.goto(url, wait_until="domcontentloaded", timeout=ms)
            status = response.status if response else 0
            if status >= 400:  # the crawler tells errors from block pages
                healthy = True
                return FetchedPage(url, page.url, status, await page.content(), response.headers.get("retry-after"))
            if ready_selector:
                await page.wait_for_selector(ready_selector, state="attached", timeout=ms)
            html = await page.content()
            healthy = True
            return FetchedPage(url, page.url, status, html)
        except PlaywrightTimeout:
            raise FetchTimeout(url, f"no complete page within {timeout:g} s") from None
        except PlaywrightError as e:
            raise NetworkError(url, e.message.splitlines()[0]) from None
        finally:
            if page is not None:
                self._uses[id(page)] = self._uses.get(id(page), 0) + 1
                if not healthy or self._uses[id(page)] >= self._recycle_after:
                    asyncio.get_running_loop().create_task(self._discard(page))
                    page = None
            self._idle.put_nowait(page)
