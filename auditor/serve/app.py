"""`auditor serve`: the review console, a thin Starlette layer over auditor.review.

Every page but the login needs a session (a server-side row; the cookie holds a random token, HttpOnly,
SameSite=Strict, Secure over https); every POST carries the session's CSRF token. Pages load only
the app's own script and style, under a Content-Security-Policy without inline script or any remote
load. Pictures are blurred and greyscale until revealed (the user's setting chooses the default).
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from auditor.config import Config
from auditor.errors import AuditorError
from auditor.i18n import LANGUAGES, reason, speaking, text, word
from auditor.models import SOLD_OR_ENDED
from auditor.report.render import CSP as REPORT_CSP
from auditor.report.render import INDEX_HASH, SCRIPT_HASH, local_time, money, safe_url
from auditor.review import decisions as dec
from auditor.review import queue as q
from auditor.review.casefile import case_file
from auditor.review.users import LoginError, User, login, open_session, session_user, token_hash
from auditor.serve import banks, notices
from auditor.serve.adhoc import adhoc_page
from auditor.serve.notices import case_notices, draft_after_takedown, notice_choices, takedown_ticket
from auditor.store import Store
from auditor.values import stored_labels

COOKIE = "auditor_session"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Cache-Control": "no-store"}
STATIC = {"console.js": "application/javascript", "console.css": "text/css"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Console:
    """The app's state: config, a database connection per thread, templates, the clock."""

    def __init__(self, config: Config, clock: Callable[[], datetime] = utc_now):
        self.config, self.clock = config, clock
        self.claim_for = timedelta(minutes=config.serve.claim_minutes)
        self._local = threading.local()
        self.env = Environment(loader=PackageLoader("auditor.serve", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        zone = config.schedule.zone
        self.env.filters.update(ts=lambda iso: local_time(iso, zone), money=money, safe_url=safe_url, labels=stored_labels)
        self.static = {name: resources.files("auditor.serve").joinpath(f"static/{name}").read_bytes() for name in STATIC}

    @property
    def store(self) -> Store:
        s = getattr(self._local, "store", None)
        if s is None:
            s = self._local.store = Store(self.config.database)
        return s

    def render(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        user: User | None = getattr(request.state, "user", None)
        lang = language_of(request, user)
        if user is not None and "recorded" not in context:
            context.update(recorded=dec.just_recorded(self.store, user, request.query_params.get("recorded", ""),
                                                     self.clock()), undone=request.query_params.get("undone"))
        body = self.env.get_template(name).render(
            user=user, csrf=getattr(request.state, "csrf", ""), lang=lang,
            t=lambda key, **kw: text(lang, key, **kw), w=lambda kind, value: word(lang, kind, value),
            why=lambda value: reason(lang, value), media=(user.media if user else "blurred"), **context)
        return HTMLResponse(body, status_code=status)


def language_of(request: Request, user: User | None) -> str:
    if user and user.language in LANGUAGES:
        return user.language
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "ja"


def _secure(request: Request, console: Console) -> bool:
    return console.config.serve.secure_cookies or request.url.scheme == "https"


def _authenticate(console: Console, request: Request) -> tuple[User, str] | None:
    s = console.config.serve
    if s.trusted_proxy_header and request.client and request.client.host in s.trusted_proxies:
        name = request.headers.get(s.trusted_proxy_header)
        row = console.store.user_named(name) if name else None
        if row and not row["disabled"]:
            user = User(row["id"], row["name"], row["role"], row["media"] or "blurred", row["language"])
            return user, token_hash(f"proxy:{row['id']}:{row['password_hash']}")[:32]
    return session_user(console.store, request.cookies.get(COOKIE), console.clock())


def page(console: Console, handler, *, role: str | None = "reviewer", public: bool = False):
    """An endpoint: the session checked (and the role), the form read, the CSRF token checked on POST,
    then the handler run in a worker thread (the database is synchronous)."""

    async def endpoint(request: Request) -> Response:
        if any("\x00" in v or len(v) > 2_000 for v in (request.url.path, *request.query_params.values())):
            return PlainTextResponse("bad request", 400)  # a NUL or a page of text in a parameter: never a 500
        if request.method == "POST":  # before a byte of the body is read
            refused = _refuse_post(request, public)
            if refused is not None:
                return refused
        found = None
        if not public:  # the session first: nobody unknown gets their body read
            found = await run_in_threadpool(_authenticate, console, request)
            if found is None:
                if request.method == "GET":
                    return RedirectResponse("/login?" + urlencode({"next": request.url.path}), 303)
                return PlainTextResponse("sign in first", 401)
        form = await request.form() if request.method == "POST" else None

        def run() -> Response:
            if not public:
                request.state.user, request.state.csrf = found
                if role and not request.state.user.can(role):
                    return console.render(request, "error.html.j2", 403, message=text(
                        language_of(request, request.state.user), "error.forbidden"))
                if request.method == "POST" and not secrets.compare_digest(str(form.get("csrf", "")), request.state.csrf):
                    return console.render(request, "error.html.j2", 403, message=text(
                        language_of(request, request.state.user), "error.csrf"))
            try:
                with speaking(language_of(request, getattr(request.state, "user", None))):  # errors in her words
                    return handler(console, request, form)
            except AuditorError as e:
                return console.render(request, "error.html.j2", 400, message=str(e))

        response = await run_in_threadpool(run)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    return endpoint


MAX_BODY = {True: 8_000, False: 1_000_000}  # bytes a POST may carry: a sign-in form (public), any other form
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_post(request: Request, public: bool) -> Response | None:
    """A POST from another site (a login CSRF, a forged decision), one too big or of a type no form sends, is
    refused before its body is read: the browser's Sec-Fetch-Site and Origin name where it came from."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}  # behind a proxy
    # the console's no-referrer policy makes a browser send `Origin: null` on its own forms: Sec-Fetch-Site (every
    # current browser) decides where present, Origin where it is not
    if (site is not None and site not in ("same-origin", "none")) or (
            site is None and origin is not None and (origin == "null" or urlsplit(origin).netloc not in hosts)):
        return PlainTextResponse("refused: a form from another site", 403)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return PlainTextResponse("a form needs its Content-Length", 411)
    if int(length) > MAX_BODY[public]:
        return PlainTextResponse("too large", 413)
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return PlainTextResponse("not a form", 415)
    return None


FAILED_LOGIN_DELAY = 0.3  # seconds every failed sign-in waits before its answer


def client_address(request: Request, console: Console) -> str:
    """Where a sign-in comes from: the client, or behind a trusted reverse proxy the address it forwards."""
    host = request.client.host if request.client else ""
    if host in console.config.serve.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        return forwarded[:100] or host
    return host


# --- pages -----------------------------------------------------------------------------------------------
def login_page(console: Console, request: Request, form) -> Response:
    nxt = request.query_params.get("next", "/queue")
    nxt = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/queue"
    if form is None:
        return console.render(request, "login.html.j2", next=nxt, error=None)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    try:
        user = login(console.store, name, password, console.clock(), address=client_address(request, console))
    except LoginError as e:
        time.sleep(FAILED_LOGIN_DELAY)  # the same for every failure, whatever the name
        return console.render(request, "login.html.j2", 401, next=nxt, error=str(e))
    token, _ = open_session(console.store, user, console.clock())
    response = RedirectResponse(nxt, 303)
    response.set_cookie(COOKIE, token, max_age=12 * 3600, httponly=True, samesite="strict", secure=_secure(request, console),
                        path="/")
    return response


def logout(console: Console, request: Request, form) -> Response:
    console.store.end_sessions(token_hash=token_hash(request.cookies.get(COOKIE, "")))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


FILTER_KEYS = tuple(q.Filters.__dataclass_fields__)
PICTURE_KINDS = ("screenshot", "listing", "annotated", "image")  # evidence files that are pictures, shown blurred


def _filters(request: Request) -> q.Filters:
    p = request.query_params
    return q.Filters(site=p.get("site", ""), rule=p.get("rule", ""), severity=p.get("severity", ""),
                     seller=p.get("seller", ""), state=p.get("state", ""), text=p.get("text", "")[:200],
                     seller_rule=p.get("seller_rule", ""),
                     queue=p.get("queue", "needs_decision") if p.get("queue") in ("needs_decision", "sold_ended", "escalated",
                                                                                   "followed", "all") else "needs_decision")


def _query(filters: q.Filters, **extra) -> str:
    values = {k: v for k, v in filters.__dict__.items() if v and not (k == "queue" and v == "needs_decision")}
    return urlencode({**values, **extra})


def queue_page(console: Console, request: Request, form) -> Response:
    filters = _filters(request)
    if filters.queue == "escalated" and not request.state.user.can("lead"):
        raise AuditorError(text(language_of(request, request.state.user), "error.forbidden"))
    try:
        page_no = max(1, int(request.query_params.get("page", "1") or 1))
    except ValueError:
        page_no = 1
    total, shown = q.queue_page(console.store, filters, console.clock(), page_no)
    sites = console.store.sites_in_picture()
    return console.render(request, "queue.html.j2", cases=shown, total=total, filters=filters, sites=sites,
                          seller_rules=console.store.seller_rules_judged(),
                          query=_query(filters), page=page_no, more=total > page_no * 100)


def next_page(console: Console, request: Request, form) -> Response:
    filters = _filters(request)
    after = request.query_params.get("after_site"), request.query_params.get("after_item")
    case = q.next_case(console.store, request.state.user, filters, console.clock(), after if all(after) else None)
    recorded = {"recorded": request.query_params["recorded"]} if request.query_params.get("recorded") else {}
    if case is None:
        return RedirectResponse("/queue?" + _query(filters) + ("&" + urlencode(recorded) if recorded else ""), 303)
    return RedirectResponse("/case?" + urlencode({"site": case.site, "item": case.item_id, **recorded}) + "&"
                            + _query(filters), 303)


def case_page(console: Console, request: Request, form) -> Response:
    """A case, as it is: looking at it claims nothing (starting to decide does, through /case/take)."""
    site, item = request.query_params.get("site", ""), request.query_params.get("item", "")
    detail = q.case_detail(console.store, site, item)
    user = request.state.user
    holder = console.store.claims(console.clock()).get((site, item))
    theirs = holder if holder and holder["user_id"] != user.id else None
    return console.render(request, "case.html.j2", c=detail, site=site, item=item,
                          taken=theirs["user_name"] if theirs else None,
                          taken_until=theirs["expires_at"] if theirs else None,
                          claimed_until=holder["expires_at"] if holder and not theirs else None,
                          verdicts=_verdicts(detail, request.state.user),
                          filters=_filters(request), query=_query(_filters(request)),
                          takedown=q.takedown_hours(console.store, site, item),
                          notices=case_notices(console, site, item), **notice_choices(console, site, item))


def _verdicts(detail: dict, user: User) -> list[str]:
    """The verdicts a case page offers: for a listing flagged and then sold or ended, the seller's (follow-up,
    no action, false positive, escalate); for the rest, all but the follow-up; a lead's reopen on both."""
    status = (detail.get("picture") or {}).get("status") or (detail.get("listing") or {}).get("status") or "active"
    offered = dec.SOLD_VERDICTS if status in SOLD_OR_ENDED else tuple(v for v in dec.VERDICTS if v != "seller_followup")
    return [v for v in dec.VERDICTS if (v in offered and v not in dec.LEAD_ONLY) or (v in dec.LEAD_ONLY and user.can("lead"))]


def decide_page(console: Console, request: Request, form) -> Response:
    site, item = str(form.get("site", "")), str(form.get("item", ""))
    verdict, user, now = str(form.get("verdict", "")), request.state.user, console.clock()
    holder = console.store.claims(now).get((site, item))
    if holder and holder["user_id"] != user.id and not user.can("lead"):
        raise AuditorError(text(language_of(request, user), "case.taken", name=holder["user_name"]))
    keys = [(site, item)]
    if form.get("bulk") == "seller":
        seller = console.store.listings_by_key(keys)[(site, item)]["seller_id"]
        cases = q.queue(console.store, q.Filters(queue="all", site=site, seller=seller), now)
        if not form.get("listed"):  # first the list of what it would decide, each earlier decision left alone
            return console.render(request, "bulk.html.j2", cases=cases, verdict=verdict, seller=seller, site=site,
                                  item=item, ticket=str(form.get("ticket", "")), note=str(form.get("note", "")))
        chosen = set(form.getlist("chosen"))  # only what the reviewer ticked, and only this seller's open listings
        keys = [c.key for c in cases if f"{c.site}/{c.item_id}" in chosen]
        if not keys:
            return RedirectResponse("/case?" + urlencode({"site": site, "item": item}), 303)
    ticket, channel = str(form.get("ticket", "")), None
    if verdict == "takedown_requested" and len(keys) == 1:
        ticket, channel = takedown_ticket(console, site, item, ticket)
    ids = dec.decide(console.store, user, keys, verdict, now, note=str(form.get("note", "")),
                     ticket=ticket, bank=console.config.images.confirm_bank)
    if channel:  # the request's notice, to send or file from the case
        draft_after_takedown(console, user, site, item, channel)
        return RedirectResponse("/case?" + urlencode({"site": site, "item": item}) + "#notices", 303)
    return RedirectResponse("/queue/next?" + urlencode({"after_site": site, "after_item": item,
                                                        "recorded": ",".join(map(str, ids))}) + _back(form), 303)


def take_page(console: Console, request: Request, form) -> Response:
    """Starting to decide (the first key, the decision bar, or "take"): the case is claimed for this user unless
    someone else holds it. Answers JSON for the page's script, a redirect back for a plain form."""
    site, item = str(form.get("site", "")), str(form.get("item", ""))
    now = console.clock()
    other = q.claim(console.store, request.state.user, site, item, now, console.claim_for)
    holder = console.store.claims(now).get((site, item))
    if "json" in request.headers.get("accept", ""):
        return JSONResponse({"held_by": other, "until": local_time(holder["expires_at"], console.config.schedule.zone)
                             if holder else None})
    return RedirectResponse("/case?" + urlencode({"site": site, "item": item}), 303)


def release_page(console: Console, request: Request, form) -> Response:
    """Give a claim back: on leaving the page (its script's beacon), by the "release" button, or by a lead."""
    site, item = str(form.get("site", "")), str(form.get("item", ""))
    q.release(console.store, request.state.user, site, item, console.clock())
    if form.get("beacon"):
        return Response(status_code=204)
    return RedirectResponse("/case?" + urlencode({"site": site, "item": item}), 303)


def _back(form) -> str:
    """The queue a case was opened from (its filters), carried through a form so "next" stays in it."""
    back = str(form.get("back", ""))[:1000]
    return "&" + urlencode(dict(x for x in parse_qsl(back) if x[0] in FILTER_KEYS)) if back else ""


def undo_page(console: Console, request: Request, form) -> Response:
    """Undo the decisions just made: appended decisions that put each listing back as it was (nothing erased)."""
    undone = dec.undo(console.store, request.state.user, str(form.get("ids", "")), console.clock())
    if not undone:
        return RedirectResponse("/queue", 303)
    site, item = undone[0]
    return RedirectResponse("/case?" + urlencode({"site": site, "item": item, "undone": f"{site}/{item}"}), 303)


def casefile_page(console: Console, request: Request, form) -> Response:
    site, item = request.query_params.get("site", ""), request.query_params.get("item", "")
    data = case_file(console.store, site, item, Path(console.config.evidence_dir), console.config.schedule.zone)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{site}-{item}")[:100]
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="case-{safe}.zip"'})


def evidence_page(console: Console, request: Request, form) -> Response:
    """An evidence file: pictures as pictures (the pages show them blurred), HTML only as inert text."""
    raw = request.query_params.get("id", "0")
    row = console.store.evidence_file(int(raw)) if raw.isdigit() and len(raw) <= 18 else None  # an id, not a bignum
    root = Path(console.config.evidence_dir).resolve()
    path = (root / row["path"]).resolve() if row else None
    if row is None or not path.is_relative_to(root) or not path.is_file():
        return PlainTextResponse("not found", 404)
    if row["kind"] in PICTURE_KINDS:  # the annotated copy for legal too: a picture, byte for byte
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not ctype.startswith("image/") or ctype == "image/svg+xml":
            ctype = "application/octet-stream"
        headers = {"Content-Security-Policy": "default-src 'none'; sandbox"}
        if request.query_params.get("download"):
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in path.name)[:100]
            headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return Response(path.read_bytes(), media_type=ctype, headers=headers)
    return PlainTextResponse(path.read_text(encoding="utf-8", errors="replace"),
                             headers={"Content-Security-Policy": "default-src 'none'; sandbox"})


def rules_page(console: Console, request: Request, form) -> Response:
    """Every rule in the folder now (a new one with no hit yet too, shadow rules as such), and those with hits."""
    from auditor.rules import load_rules

    problem = None
    try:
        loaded = [(r.rule.id, r.rule.title, r.rule.severity, r.rule.status == "experimental")
                  for r in load_rules(Path(console.config.rules_dir)).listing_rules]
    except AuditorError as e:
        loaded, problem = None, str(e).splitlines()[0]
    return console.render(request, "rules.html.j2", stats=q.rule_stats(console.store, console.clock(), loaded=loaded),
                          days=30, problem=problem)


def reviewers_page(console: Console, request: Request, form) -> Response:
    return console.render(request, "reviewers.html.j2",
                          stats=q.reviewer_stats(console.store, console.clock(), console.config.schedule.zone))


def users_page(console: Console, request: Request, form) -> Response:
    from auditor.review.users import LOCK_AFTER, add_user, disable, enable, unlock

    if form is not None:
        if form.get("action") == "unlock":  # every place may try this name's sign-in again now
            unlock(console.store, str(form.get("name", "")))
        elif form.get("action") == "disable":
            disable(console.store, str(form.get("name", "")), by=request.state.user.name)
        elif form.get("action") == "enable":
            enable(console.store, str(form.get("name", "")))
        else:
            add_user(console.store, str(form.get("name", "")), str(form.get("role", "")), str(form.get("password", "")),
                     console.clock())
        return RedirectResponse("/users", 303)
    return console.render(request, "users.html.j2", users=console.store.users(),
                          waiting=console.store.waiting_logins(console.clock(), LOCK_AFTER))


def settings_page(console: Console, request: Request, form) -> Response:
    if form is not None:
        media = str(form.get("media", "blurred"))
        language = str(form.get("language", ""))
        console.store.update_user(request.state.user.id, media=media if media in ("blurred", "grey", "clear") else "blurred",
                                  language=language if language in LANGUAGES else None)
        return RedirectResponse("/settings", 303)
    return console.render(request, "settings.html.j2")


def reports_page(console: Console, request: Request, form) -> Response:
    """The static reports, to signed-in users; evidence HTML only as text."""
    root = Path(console.config.reports_dir).resolve()
    rel = request.path_params.get("path", "") or "index.html"
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        return PlainTextResponse("not found", 404)
    if path.is_dir():
        path = path / "report.html" if (path / "report.html").is_file() else path / "index.html"
    if not path.is_file():
        return PlainTextResponse("not found", 404)
    evidence = path.is_relative_to(Path(console.config.evidence_dir).resolve())
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if ctype == "text/html" and not evidence:  # a report, or the index: each runs its own one script
        pinned = INDEX_HASH if path.name == "index.html" else SCRIPT_HASH
        user = request.state.user
        if path.name == "report.html":  # in the reader's language, where the report was written in it too
            own = path.with_name(f"report.{language_of(request, user)}.html")
            path = own if own.is_file() else path
        body = path.read_bytes()
        if path.name.startswith("report.") and user.media in ("grey", "clear"):  # and pictures as the reader chose
            body = body.replace(b'<body class="media-blurred">', f'<body class="media-{user.media}">'.encode(), 1).replace(
                f'<option value="{user.media}">'.encode(), f'<option value="{user.media}" selected>'.encode(), 1)
        return Response(body, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": REPORT_CSP.format(h=pinned)})
    if not ctype.startswith("image/") or ctype == "image/svg+xml":
        ctype = "text/plain; charset=utf-8"
    return Response(path.read_bytes(), media_type=ctype, headers={"Content-Security-Policy": "default-src 'none'; sandbox"})


def static_page(console: Console, request: Request, form) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        return PlainTextResponse("not found", 404)
    return Response(console.static[name], media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})


def home(console: Console, request: Request, form) -> Response:
    return RedirectResponse("/queue", 303)


def create_app(config: Config, *, clock: Callable[[], datetime] = utc_now) -> Starlette:
    console = Console(config, clock)
    with Store(config.database):  # create or migrate the schema once, before any request
        pass
    p = lambda h, **kw: page(console, h, **kw)  # noqa: E731
    routes = [
        Route("/login", p(login_page, public=True), methods=["GET", "POST"]),
        Route("/static/{name}", p(static_page, public=True)),
        Route("/logout", p(logout, role=None), methods=["POST"]),
        Route("/", p(home)),
        Route("/queue", p(queue_page)),
        Route("/queue/next", p(next_page)),
        Route("/case", p(case_page)),
        Route("/case/decide", p(decide_page), methods=["POST"]),
        Route("/case/undo", p(undo_page), methods=["POST"]),
        Route("/case/take", p(take_page), methods=["POST"]),
        Route("/case/release", p(release_page), methods=["POST"]),
        Route("/casefile", p(casefile_page)),
        Route("/notice/draft", p(notices.draft_page), methods=["POST"]),
        Route("/notice/send", p(notices.send_page), methods=["POST"]),
        Route("/notice/mark", p(notices.mark_page), methods=["POST"]),
        Route("/notices", p(notices.notices_page, role="lead")),
        Route("/banks", p(banks.banks_page, role="lead")),
        Route("/banks/release", p(banks.release_page, role="lead"), methods=["POST"]),
        Route("/adhoc", p(adhoc_page)),
        Route("/evidence", p(evidence_page)),
        Route("/rules", p(rules_page)),
        Route("/reviewers", p(reviewers_page, role="lead")),
        Route("/users", p(users_page, role="admin"), methods=["GET", "POST"]),
        Route("/settings", p(settings_page), methods=["GET", "POST"]),
        Route("/reports/{path:path}", p(reports_page)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=config.serve.hosts)])
    app.state.console = console
    return app


def serve(config: Config, host: str, port: int) -> None:
    import uvicorn

    config = config.model_copy(update={"serve": config.serve.model_copy(update={"host": host})})  # --host decides
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", proxy_headers=False)
