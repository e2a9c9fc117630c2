"""The console's ad hoc runs: what a one-off search (`auditor run --site … --query …`) flagged, read-only and apart
from the daily queue (an ad hoc run changes no baseline and no queue). Each listing opens as a case, which for a
listing outside the daily picture shows everything but the decision bar."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

RUNS = 10  # the latest ad hoc runs shown


def adhoc_page(console, request: Request, form) -> Response:
    store = console.store
    runs = [r for r in store.runs(200) if r["kind"] == "adhoc"][:RUNS]
    shown = []
    for run in runs:
        listings: dict[tuple[str, str], dict] = {}
        for h in store.hits_for_run(run["id"]):
            row = listings.setdefault((h["site"], h["item_id"]), {**h, "rules": []})
            row["rules"].append({"id": h["rule_id"], "severity": h["severity"]})
        shown.append({"run": run, "listings": list(listings.values())})
    return console.render(request, "adhoc.html.j2", runs=shown)
