"""Finding and installing a headless Chromium (Playwright's own, else the system's), and Japanese fonts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from auditor.errors import BrowserError
from auditor.i18n import tr

SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
INSTALL_HINT = ("install one: `python -m playwright install chromium` where it can be downloaded, "
                "or Debian's package (`apt-get install chromium`), or set browser.executable in config.yaml")


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
            raise BrowserError(tr("browser.executable {configured!r} does not exist; {hint}",
                                  configured=configured, hint=tr(INSTALL_HINT)))
        return configured
    if bundled_chromium():
        return None
    system = system_chromium()
    if system:
        return str(system)
    raise BrowserError(tr("no Chromium found; {hint}", hint=tr(INSTALL_HINT)))


def _apt_install(packages: list[str]) -> str | None:
    """apt-get install as root; returns the error, or None when it worked."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return tr("needs root and apt-get")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if done.returncode != 0:
            return tr("`{command}` failed: {why}", command=" ".join(cmd), why=done.stderr.strip()[-400:])
    return None


def has_cjk_fonts() -> bool:
    if not shutil.which("fc-list"):
        return False
    done = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
    return bool(done.stdout.strip())


def ensure_cjk_fonts(echo=print) -> str:
    """Evidence screenshots of Japanese listings need Japanese fonts (else every character is a box)."""
    if has_cjk_fonts():
        return tr("Japanese fonts: present")
    echo(tr("auditor: installing Japanese fonts for evidence screenshots (fonts-noto-cjk) ..."))
    error = _apt_install(["fonts-noto-cjk"])
    if error is None and has_cjk_fonts():
        return tr("Japanese fonts: fonts-noto-cjk installed")
    return tr("Japanese fonts: missing ({why}); screenshots will show boxes for Japanese text: install a CJK font "
              "(Debian: fonts-noto-cjk)", why=error or tr("not found after install"))


def install_browser(echo=print) -> str:
    """Make sure a headless Chromium is there: Playwright's download, else Debian's package."""
    if found := bundled_chromium():
        return tr("Playwright's Chromium: {path}", path=found)
    echo(tr("auditor: trying Playwright's own Chromium download ..."))
    try:
        done = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode == 0 and (found := bundled_chromium()):
            return tr("Playwright's Chromium: {path}", path=found)
        echo(tr("auditor: Playwright's download is not available here; using the system Chromium instead"))
    except (OSError, subprocess.TimeoutExpired) as e:
        echo(tr("auditor: Playwright's download failed ({e}); using the system Chromium instead", e=e))
    if found := system_chromium():
        return tr("system Chromium: {path}", path=found)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        echo(tr("auditor: installing Debian's chromium package (apt-get) ..."))
        if error := _apt_install(["chromium"]):
            raise BrowserError(error)
        if found := system_chromium():
            return tr("system Chromium: {path}", path=found)
    raise BrowserError(tr("no Chromium could be installed automatically; {hint}", hint=tr(INSTALL_HINT)))
