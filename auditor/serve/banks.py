"""The console's Banks page, a lead's: the bank entries held for a flood, the listings waiting on each, and Release."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from auditor.errors import AuditorError
from auditor.i18n import tr


def banks_page(console, request: Request, form) -> Response:
    store = console.store
    held = store.held_entries()
    waiting = {e["id"]: store.held_listings(e["id"], limit=10) for e in held}
    flood = console.config.images.flood
    return console.render(request, "banks.html.j2", held=held, waiting=waiting, flood=flood,
                          released=request.query_params.get("released", ""),
                          released_n=request.query_params.get("n", ""))


def release_page(console, request: Request, form) -> Response:
    entry = str(form.get("entry", ""))
    done = console.store.release_bank_entry(int(entry), request.state.user.name, console.clock()) \
        if entry.isdigit() and len(entry) < 19 else None
    if done is None:
        raise AuditorError(tr("bank entry #{id} is not held (`auditor banks held` lists those that are)", id=entry[:20]))
    n = len({(m["site"], m["item_id"]) for m in done["matches"]})
    return RedirectResponse(f"/banks?released={int(entry)}&n={n}", 303)
