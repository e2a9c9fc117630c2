"""`auditor login TARGET`: a signed-in session that the target's runs reuse."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from auditor.cli.base import AuditorError, _config, cli
from auditor.i18n import tr


def _check_state(data: bytes, source: str) -> dict:
    try:
        state = json.loads(data)
    except (UnicodeDecodeError, ValueError) as e:
        raise AuditorError(tr("{source}: not a Playwright storage-state file (JSON: {why})", source=source, why=e)) from None
    if not isinstance(state, dict) or not isinstance(state.get("cookies", []), list) \
            or not isinstance(state.get("origins", []), list) or not all(
            isinstance(c, dict) and {"name", "value", "domain"} <= set(c) for c in state.get("cookies", [])):
        raise AuditorError(tr("{source}: not a Playwright storage-state file (it needs {shape}; `playwright codegen "
                              "--save-storage FILE` writes one)", source=source,
                              shape='"cookies": [{name, value, domain, ...}] and "origins": [...]'))
    return state


def _save(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False)
    os.replace(tmp, path)


@cli.command()
@click.argument("target")
@click.option("--storage-state", "state_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Import a Playwright storage-state file (cookies and local storage) instead of signing in here.")
@click.option("--forget", is_flag=True, help="Remove the target's saved session.")
@click.pass_context
def login(ctx: click.Context, target: str, state_file: Path | None, forget: bool) -> None:
    """Sign in to a target once; its runs then reuse the session (cookies on both paths, local storage in the
    browser). Opens a visible browser at the target's first URL where a display exists; sign in there, then
    press Enter here. Without a display, import a storage-state file made elsewhere with --storage-state.
    The session is kept readable by this user alone, under <database folder>/sessions/TARGET.json."""
    from auditor.crawl.routes import session_path

    config = _config(ctx)
    found = next((t for t in config.targets if t.name == target), None)
    if found is None:
        raise AuditorError(tr("no target {target} in the config (targets: {known})", target=repr(target),
                              known=", ".join(t.name for t in config.targets) or "–"))
    path = session_path(config.sessions_dir, target)
    if forget:
        path.unlink(missing_ok=True)
        click.echo(tr("session of {target} removed", target=target))
        return
    if state_file is not None:
        state = _check_state(state_file.read_bytes(), str(state_file))
    elif os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        state = _sign_in_here(config, found)
    else:
        raise AuditorError(tr("no display here to open a browser on: sign in on a machine with one (`playwright "
                              "codegen --save-storage state.json URL`), then `auditor login {target} --storage-state "
                              "state.json`", target=target))
    _save(path, state)
    click.echo(tr("session of {target} saved ({n} cookies): its runs use it from now on", target=target,
                  n=len(state.get("cookies", []))))


def _sign_in_here(config, target) -> dict:
    import asyncio

    from auditor.crawl.install import choose_executable

    url = (target.start_urls or [target.base_url or ""])[0]
    if not url.startswith(("http://", "https://")):
        raise AuditorError(tr("target {target} has no http(s) address to sign in at", target=target.name))

    async def go() -> dict:
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            browser = await p.chromium.launch(headless=False, executable_path=choose_executable(config.browser.executable))
            context = await browser.new_context(locale=target.locale or "ja-JP")
            page = await context.new_page()
            await page.goto(url)
            await asyncio.to_thread(click.prompt, tr("Sign in in the browser window, then press Enter here"),
                                    default="", show_default=False)
            state = await context.storage_state()
            await browser.close()
            return state

    return asyncio.run(go())
