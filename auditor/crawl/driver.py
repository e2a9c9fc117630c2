"""Playwright's driver in a process group of its own, so a terminal's Ctrl-C reaches auditor alone.

A terminal sends Ctrl-C to its whole foreground process group. Playwright starts its Node driver in
ours, so the first Ctrl-C killed the driver and every browser call in flight ended in a traceback
("Connection closed while reading from the driver") before auditor could stop the run in order:
146 to 220 lines of them. With the driver in its own group, auditor stops the run, closes the
browser and then the driver. (Chromium is already started detached by the driver. If auditor is
killed, the driver exits when its stdin pipe closes.)

Playwright has no option for this, so its transport module is given an `asyncio` whose
create_subprocess_exec adds start_new_session=True; everything else is asyncio itself.
"""

from __future__ import annotations

import asyncio
import logging
import types

log = logging.getLogger(__name__)


class _OwnSession(types.ModuleType):
    def __getattr__(self, name: str):
        return getattr(asyncio, name)

    @staticmethod
    async def create_subprocess_exec(*args, **kwargs):
        kwargs.setdefault("start_new_session", True)
        return await asyncio.create_subprocess_exec(*args, **kwargs)


def driver_in_own_session() -> bool:
    """Make Playwright start its driver in a session of its own; False where its layout is not the one known."""
    try:
        from playwright._impl import _transport as transport  # noqa: PLC2701
    except ImportError:
        try:
            from playwright._impl import transport  # type: ignore[no-redef]
        except ImportError:
            transport = None
    if transport is None or getattr(transport, "asyncio", None) is None:
        log.debug("Playwright's transport module is not where it was: its driver shares auditor's process group")
        return False
    if not isinstance(transport.asyncio, _OwnSession):
        transport.asyncio = _OwnSession("asyncio")
    return True
