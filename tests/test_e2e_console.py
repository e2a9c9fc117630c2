"""The review console, end to end: `auditor serve`'s app on a free local port (uvicorn), over a database
filled by real demo audits, driven by real Chromium and a plain HTTP client."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from auditor.config import BrowserSettings, Config, CrawlSettings, DemoSettings
from auditor.crawl.install import choose_executable
from auditor.demo import DemoWorld
from auditor.demo.catalog import DemoSeller
from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.ops.audit import start_audit
from auditor.review import decisions as dec
from auditor.review import queue as q
from auditor.review.users import User, add_user
from auditor.run.pipeline import AuditOptions
from auditor.serve.app import create_app
from auditor.store import Store

from conftest import RULES, FixedClock, untranslated

pytestmark = pytest.mark.e2e
T1 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


class Days:
    """A marketplace whose catalogue per day the test decides."""

    def __init__(self, catalogs: dict):
        self.catalogs = catalogs

    def catalog(self, day):
        return self.catalogs[day]

    def faults(self, day):
        return {}


def hostile(catalog):
    base = next(x for x in catalog.section("auction") if x.expected_rules and x.status == "active")
    seller = DemoSeller('evil"><script>alert(3)</script>', XSS)
    return replace(base, item_id="x777001", title=f"【AI美女】ポスター A3 {XSS}", description=f"AIで生成。 {XSS}",
                   seller=seller, photo_urls=("javascript:alert(4)", "http://127.0.0.1:9/p.png\" onerror=\"alert(5)"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    config = Config(database=tmp / "a.db", reports_dir=tmp / "reports", rules_dir=RULES, log_file=None,
                    browser=BrowserSettings(concurrency=4), demo=DemoSettings(listings=60),
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10))
    day1 = DemoWorld(7, 60, epoch=T1).catalog(1)
    day1 = day1.with_listing(hostile(day1))
    clock = FixedClock(T1)
    env = {"config": config, "clock": clock, "catalogs": {1: day1}}

    def audit(day: int, catalog=None):
        """A day's scheduled audit, in a thread of its own (a test's browser keeps an event loop in this one)."""
        if catalog is not None:
            env["catalogs"][day] = catalog
        clock.now = T1 + timedelta(days=day - 1)
        out = []

        def go() -> None:
            with Store(config.database) as store:
                out.append(start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                                                 hosts=demo_hosts(config, Days(env["catalogs"]), day))))

        thread = threading.Thread(target=go)
        thread.start()
        thread.join(300)
        return out[0]

    env["audit"] = audit
    first = audit(1)
    assert first.incomplete == {} and (first.status == "completed" or first.evidence_failed)
    with Store(config.database) as store:
        for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("carol", "reviewer"), ("lena", "lead"),
                           ("ada", "admin")):
            add_user(store, name, role, PASSWORD, T1)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    env["url"] = f"http://127.0.0.1:{port}"
    yield env
    server.should_exit = True
    thread.join(10)


def client(env, name: str | None = None) -> httpx.Client:
    c = httpx.Client(base_url=env["url"], follow_redirects=False, timeout=30)
    if name:
        r = c.post("/login", data={"name": name, "password": PASSWORD})
        assert r.status_code == 303, r.text
    return c


def csrf_of(c: httpx.Client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/settings").text).group(1)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=choose_executable(None))
        yield b
        b.close()


def sign_in(browser, env, name: str):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(env["url"] + "/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/queue.*"))
    return page


def key_of(page) -> tuple[str, str]:
    return page.input_value("#decide input[name=site]"), page.input_value("#decide input[name=item]")


# --- security ------------------------------------------------------------------------------------------
def test_every_route_needs_a_session(env):
    c = client(env)
    for path in ("/", "/queue", "/queue/next", "/case?site=demo_auction&item=x1", "/casefile?site=a&item=b",
                 "/evidence?id=1", "/rules", "/reviewers", "/users", "/settings", "/reports/index.html"):
        r = c.get(path)
        assert (r.status_code, r.headers["location"].split("?")[0]) == (303, "/login"), path
    for path in ("/case/decide", "/users", "/settings", "/logout"):
        assert c.post(path, data={"csrf": "x"}).status_code == 401, path
    assert c.get("/login").status_code == 200 and c.get("/static/console.js").status_code == 200


def test_cookies_are_http_only_and_same_site_strict(env):
    r = client(env).post("/login", data={"name": "alice", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    page = client(env, "alice").get("/queue")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp


def test_a_post_without_the_csrf_token_is_refused(env):
    c = client(env, "carol")
    assert c.post("/settings", data={"media": "clear"}).status_code == 403
    assert c.post("/settings", data={"media": "clear", "csrf": "forged"}).status_code == 403
    with Store(env["config"].database) as store:
        assert store.user_named("carol")["media"] == "blurred"  # nothing changed
    assert c.post("/settings", data={"media": "grey", "csrf": csrf_of(c)}).status_code == 303
    with Store(env["config"].database) as store:
        assert store.user_named("carol")["media"] == "grey"


def test_a_form_from_another_site_is_refused_even_the_sign_in(env):
    c = httpx.Client(base_url=env["url"], follow_redirects=False, timeout=30)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
                    {"Origin": env["url"], "Sec-Fetch-Site": "cross-site"}):
        r = c.post("/login", data={"name": "carol", "password": PASSWORD}, headers=headers)
        assert r.status_code == 403 and "set-cookie" not in r.headers  # nobody is signed in from elsewhere
    assert c.post("/login", data={"name": "carol", "password": PASSWORD},
                  headers={"Origin": env["url"], "Sec-Fetch-Site": "same-origin"}).status_code == 303


def test_a_request_for_another_name_is_refused_so_a_rebound_dns_name_reaches_nothing(env):
    c = client(env, "carol")
    assert c.get("/queue").status_code == 200
    for host in ("rebind.evil.example", "evil.example:80", "127.0.0.1.evil.example"):
        r = c.get("/queue", headers={"Host": host})  # a page of another site, whose name now resolves to 127.0.0.1
        assert r.status_code == 400 and "queue" not in r.text.lower(), host
    assert c.get("/queue", headers={"Host": "localhost"}).status_code == 200


def test_a_big_body_is_refused_before_it_is_read_and_a_strangers_before_its_form(env):
    import socket
    from urllib.parse import urlsplit

    host, port = urlsplit(env["url"]).hostname, urlsplit(env["url"]).port
    for path, cookie, want in (("/case/decide", "", b" 413 "), ("/login", "", b" 413 ")):
        with socket.create_connection((host, port), timeout=10) as sock:  # headers only: 100 MB promised, none sent
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-"
                         f"urlencoded\r\nContent-Length: 104857600\r\n{cookie}\r\n".encode())
            answer = sock.recv(200)  # answered at once: the server never waits for the body
        assert want in answer.split(b"\r\n")[0] + b" ", (path, answer[:80])
    stranger = httpx.post(env["url"] + "/case/decide", data={"site": "s", "item": "i", "verdict": "confirmed"})
    assert stranger.status_code == 401  # no session: its form is never read
    carol = client(env, "carol")
    big = carol.post("/case/undo", data={"csrf": csrf_of(carol), "ids": "1" * 2_000_000})
    assert big.status_code == 413


def test_a_huge_number_or_a_nul_in_a_parameter_is_a_bad_request_never_a_500(env):
    carol = client(env, "carol")
    assert carol.get("/evidence?id=" + "9" * 40).status_code == 404
    assert carol.get("/evidence?id=-1").status_code == 404
    assert carol.get("/case?site=demo_auction&item=x%00y").status_code == 400
    assert carol.get("/queue?text=" + "a" * 5000).status_code == 400


def test_a_reviewer_cannot_reach_user_management_or_the_leads_pages(env):
    c = client(env, "bob")
    assert c.get("/users").status_code == 403 and c.get("/reviewers").status_code == 403
    assert c.get("/banks").status_code == 403  # a held bank entry is a lead's to release
    assert c.post("/banks/release", data={"csrf": csrf_of(c), "entry": "1"}).status_code == 403
    assert c.post("/users", data={"csrf": csrf_of(c), "name": "mallory", "role": "admin",
                                  "password": "x" * 12}).status_code == 403
    with Store(env["config"].database) as store:
        assert store.user_named("mallory") is None
    admin = client(env, "ada")
    assert admin.get("/users").status_code == 200 and client(env, "lena").get("/reviewers").status_code == 200


def test_the_tenth_failed_login_in_a_row_makes_that_place_wait(env):
    with Store(env["config"].database) as store:
        add_user(store, "dave", "reviewer", PASSWORD, T1)
    c = client(env)
    for _ in range(9):
        assert c.post("/login", data={"name": "dave", "password": "wrong password"}).status_code == 401
    assert c.post("/login", data={"name": "dave", "password": PASSWORD}).status_code == 303  # nine: not yet
    for _ in range(10):
        r = c.post("/login", data={"name": "dave", "password": "wrong password"})
    assert r.status_code == 401 and "waits 15 minutes" in r.text
    refused = c.post("/login", data={"name": "dave", "password": PASSWORD})
    assert refused.status_code == 401 and "waits 15 minutes" in refused.text  # the right password too, for a while
    unknown = c.post("/login", data={"name": "no-such-person", "password": "wrong password"})
    assert unknown.status_code == 401 and unknown.text.replace("no-such-person", "dave") == r.text  # names look alike
    admin = client(env, "ada")  # from elsewhere: an admin sees the place waiting, and lets it try again
    row = lambda: admin.get("/users").text.split("<td>dave</td>", 1)[1].split("</tr>", 1)[0]  # noqa: E731
    assert 'class="waiting"' in row() and 'class="unlock"' in row()
    assert admin.post("/users", data={"csrf": csrf_of(admin), "action": "unlock", "name": "dave"}).status_code == 303
    assert 'class="waiting"' not in row()
    assert c.post("/login", data={"name": "dave", "password": PASSWORD}).status_code == 303


def test_hostile_text_runs_nothing_in_the_queue_the_case_and_the_case_file(env, browser, tmp_path):
    page = sign_in(browser, env, "carol")
    seen = {"dialogs": [], "requests": [], "errors": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(env["url"] + "/queue?text=ポスター")
    assert page.locator("table.cases tbody tr").count() > 0
    page.goto(env["url"] + "/case?site=demo_auction&item=x777001")
    assert XSS in page.inner_text("h1")  # shown as text
    for sel in ("h1", "dl.fields"):
        page.hover(sel)
    handlers = page.evaluate("""Array.from(document.querySelectorAll('*')).flatMap(e =>
        Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))""")
    assert handlers == [] and page.evaluate("document.scripts.length") == 1  # the console's own script only
    data = client(env, "carol").get("/casefile?site=demo_auction&item=x777001").content
    summary = tmp_path / "summary.html"
    summary.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("summary.html"))
    page.goto(summary.as_uri())
    assert XSS in page.inner_text("pre")
    page.wait_for_timeout(300)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith((env["url"], summary.as_uri()))] == []
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    pages = [n for n in names if n.startswith("evidence/") and ".html" in n]
    assert pages and all(n.endswith(".html.txt") for n in pages)  # the seller's HTML, as inert text
    captured = tmp_path / "captured.html.txt"
    captured.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read(pages[0]))
    page.goto(captured.as_uri())
    assert "<html" in page.inner_text("body").lower()  # its source, shown
    assert page.evaluate("document.scripts.length") == 0 and seen["dialogs"] == []


def test_in_japanese_every_page_of_the_console_and_the_reports_reads_japanese(env):
    """Every page a lead reads, with her language set to Japanese: no message of the table shows in English, and
    the tool's own words (severities, states, statuses, roles, run kinds, reasons) are the Japanese ones."""
    from bs4 import BeautifulSoup

    from auditor.i18n import MESSAGES

    with Store(env["config"].database) as store:
        add_user(store, "kenji", "admin", PASSWORD, T1)
        store.update_user(store.user_named("kenji")["id"], language="ja")
        cases = [(r["site"], r["item_id"]) for r in store.db.query("select site, item_id from picture limit 4")]
    c = client(env, "kenji")
    reports = sorted(p.relative_to(env["config"].reports_dir).as_posix()
                     for p in Path(env["config"].reports_dir).rglob("report.html"))
    pages = ["/queue", "/queue?queue=all", "/queue?queue=escalated", "/queue?queue=sold_ended", "/queue?queue=followed",
             "/rules", "/reviewers", "/users", "/settings", "/notices", "/banks", *[f"/case?site={s}&item={i}" for s, i in cases],
             *[f"/reports/{r}" for r in reports[:2]], "/reports/index.html"]
    en, ja = MESSAGES["en"], MESSAGES["ja"]
    own = {en[k] for k in en if k.split(".")[0] in ("severity", "status", "role", "reason") and ja.get(k) != en[k]}
    own |= {en[k] for k in en if k.startswith("state.") and k.endswith(".short") and ja.get(k) != en[k]}
    leaks = []
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, path
        soup = BeautifulSoup(r.text, "lxml")
        for scraped in soup.find_all(["bdi", "pre", "code", "script", "style"]):
            scraped.decompose()  # scraped or staff-written text, shown as it is
        leaks += [(path, key) for key in untranslated(soup.get_text(" "))]
        for tag in soup.select(".sev, .state, .reason, td.muted"):
            said = tag.get_text(" ").strip()
            if said in own:
                leaks.append((path, said))
    assert leaks == [], leaks[:20]


def test_a_served_report_reads_in_each_readers_language_with_pictures_as_they_chose(env, browser):
    with Store(env["config"].database) as store:
        add_user(store, "emma", "reviewer", PASSWORD, T1)
        store.update_user(store.user_named("emma")["id"], language="en", media="clear")
        add_user(store, "yui", "reviewer", PASSWORD, T1)
        store.update_user(store.user_named("yui")["id"], language="ja")
    [day] = sorted(p.parent.name for p in Path(env["config"].reports_dir).glob("20*/report.html"))[:1]
    english, japanese = client(env, "emma").get(f"/reports/{day}/"), client(env, "yui").get(f"/reports/{day}/report.html")
    assert '<html lang="en">' in english.text and '<html lang="ja">' in japanese.text
    assert '<body class="media-clear">' in english.text and '<body class="media-blurred">' in japanese.text
    page = sign_in(browser, env, "emma")
    page.goto(env["url"] + f"/reports/{day}/report.html")
    assert page.evaluate("document.body.className") == "media-clear"  # the report's own script keeps her choice
    assert page.locator("#f-media").input_value() == "clear"


def test_the_venues_labels_stand_beside_the_title_in_the_queue_and_on_the_case(env, browser):
    marked = [x for x in env["catalogs"][1].listings if x.labels and x.status == "active"]
    assert marked, "the demo's day 1 has listings the venue marks R-18 and AI生成"
    x = marked[0]
    page = sign_in(browser, env, "carol")
    page.goto(env["url"] + "/queue?queue=all&text=" + quote(x.title))
    row = page.locator("table.cases tbody tr", has_text=x.item_id)
    assert row.locator(".label").all_inner_texts() == ["adult (venue's mark)", "AI (venue's mark)"]
    site = "demo_auction" if x.section == "auction" else "demo_fleamarket"
    page.goto(env["url"] + f"/case?site={site}&item={x.item_id}")
    assert page.locator("h1 .label").all_inner_texts() == ["adult (venue's mark)", "AI (venue's mark)"]
    unmarked = next(x for x in env["catalogs"][1].listings if x.expected_rules and not x.labels and x.status == "active")
    page.goto(env["url"] + "/queue?queue=all&text=" + quote(unmarked.title))
    assert page.locator("table.cases tbody tr", has_text=unmarked.item_id).locator(".label").count() == 0


# --- the work ------------------------------------------------------------------------------------------
def test_every_evidence_picture_is_served_as_a_picture_byte_for_byte_and_the_index_runs_its_own_script(env):
    from auditor.report.render import INDEX_HASH

    with Store(env["config"].database) as store:
        rows = list(store.db.query("select id, path from evidence where kind = 'annotated' limit 1"))
    assert rows, "the day's captures include the annotated copy for legal"
    web = client(env, "carol")
    shown = web.get(f"/evidence?id={rows[0]['id']}")
    original = (Path(env["config"].evidence_dir) / rows[0]["path"]).read_bytes()
    assert shown.headers["content-type"] == "image/png" and shown.content == original
    saved = web.get(f"/evidence?id={rows[0]['id']}&download=1")
    assert saved.headers["content-disposition"].startswith("attachment;") and saved.content == original
    index = web.get("/reports/")
    assert f"'sha256-{INDEX_HASH}'" in index.headers["content-security-policy"]  # its "no run since" script may run


def test_the_rules_page_lists_every_loaded_rule_with_its_severity_hits_or_not(env):
    from auditor.rules import load_rules

    page = client(env, "carol").get("/rules").text
    shown = set(re.findall(r'<tr data-rule="([^"]+)"', page))
    loaded = {r.rule.id for r in load_rules(env["config"].rules_dir).listing_rules}
    assert loaded <= shown  # a rule with no hit yet is there too
    assert 'class="sev sev-critical"' in page


def test_two_reviewers_never_decide_the_same_case_and_looking_claims_nothing(env):
    config, now = env["config"], env["clock"]()
    with Store(config.database) as store:
        store.db.execute("delete from claims")
        bob = User(store.user_named("bob")["id"], "bob", "reviewer")
        alice = User(store.user_named("alice")["id"], "alice", "reviewer")
        held: dict[str, list] = {"alice": [], "bob": []}

        def work(user: User) -> None:  # each starts deciding the next case nobody holds, three times
            with Store(config.database) as own:
                for _ in range(3):
                    c = q.next_case(own, user, q.Filters(), now)
                    if c is not None and q.claim(own, user, c.site, c.item_id, now) is None:
                        held[user.name].append(c.key)

        threads = [threading.Thread(target=work, args=(u,)) for u in (alice, bob)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a, b = set(held["alice"]), set(held["bob"])
        assert len(a) >= 1 and len(b) >= 1 and not (a & b)  # a case is taken by one of them, never both
        store.db.execute("delete from claims")
    bob_web, alice_web = client(env, "bob"), client(env, "alice")
    first = bob_web.get("/queue/next").headers["location"]
    bob_web.get(first)
    with Store(config.database) as store:
        assert store.claims(now) == {}  # he only looked
    site, item = re.search(r"site=([^&]+)&item=([^&]+)", first).groups()
    taken = bob_web.post("/case/take", data={"csrf": csrf_of(bob_web), "site": site, "item": item},
                         headers={"Accept": "application/json"}).json()
    assert taken["held_by"] is None and taken["until"]
    page = alice_web.get(first).text
    banner = re.search(r'id="taken">(.*?)<', page, re.S)
    assert banner and "bob が" in banner.group(1) and "まで" in banner.group(1)  # who, until when (her console is in Japanese)
    assert page.count(' disabled data-key=') >= 5  # no live buttons for her
    assert alice_web.post("/case/take", data={"csrf": csrf_of(alice_web), "site": site, "item": item},
                          headers={"Accept": "application/json"}).json()["held_by"] == "bob"
    refused = alice_web.post("/case/decide", data={"csrf": csrf_of(alice_web), "site": site, "item": item,
                                                   "verdict": "no_action"})
    assert refused.status_code >= 400 and "bob" in refused.text
    assert alice_web.get("/queue/next").headers["location"] != first  # her next skips his case
    bob_web.post("/case/release", data={"csrf": csrf_of(bob_web), "site": site, "item": item})
    with Store(config.database) as store:
        assert store.claims(now) == {}


def test_claims_follow_work_in_the_browser_taken_on_starting_released_on_leaving_or_by_a_lead(env, browser):
    with Store(env["config"].database) as store:
        store.db.execute("delete from claims")
    page = sign_in(browser, env, "alice")
    page.goto(env["url"] + "/queue/next")
    site, item = key_of(page)
    with Store(env["config"].database) as store:
        assert store.claims(env["clock"]()) == {}  # looking claims nothing
    page.focus("#decide textarea[name=note]")  # starting to decide
    page.wait_for_function("document.body.getAttribute('data-claimed') === '1'")
    with Store(env["config"].database) as store:
        assert [c["user_name"] for c in store.claims(env["clock"]()).values()] == ["alice"]
    lead = sign_in(browser, env, "lena")
    lead.goto(env["url"] + f"/case?site={site}&item={item}")
    assert "alice is working on this case until" in lead.inner_text("#taken")
    page.goto(env["url"] + "/queue")  # alice leaves: her claim goes with her
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Store(env["config"].database) as store:
            if not store.claims(env["clock"]()):
                break
        time.sleep(0.1)
    with Store(env["config"].database) as store:
        assert store.claims(env["clock"]()) == {}
    page.goto(env["url"] + f"/case?site={site}&item={item}")
    page.click("#take")  # an explicit take
    page.wait_for_selector("#claimed")
    lead.reload()
    lead.click("#release")  # and a lead releases it
    lead.wait_for_selector("#free")
    with Store(env["config"].database) as store:
        assert store.claims(env["clock"]()) == {}


def test_a_reviewer_works_the_queue_with_the_keyboard_and_decisions_carry_over(env, browser):
    config = env["config"]
    page = sign_in(browser, env, "alice")
    page.keyboard.press("n")  # the next case, claimed
    page.wait_for_url(re.compile(r".*/case\?.*"))
    images = page.locator(".media img")
    assert images.count() > 0
    filters = page.evaluate("Array.from(document.querySelectorAll('.media img')).map(i => getComputedStyle(i).filter)")
    assert all("blur(" in f and "grayscale(1)" in f for f in filters), filters  # every picture blurred until revealed
    page.keyboard.press("v")
    assert page.evaluate("getComputedStyle(document.querySelector('.media img')).filter") == "none"
    confirmed = key_of(page)
    page.keyboard.press("c")
    page.wait_for_url(lambda u: "item=" + confirmed[1] not in u and "/case?" in u)
    false_positive = key_of(page)
    page.keyboard.press("f")
    page.wait_for_url(lambda u: "item=" + false_positive[1] not in u)
    page.keyboard.press("?")
    assert page.is_visible("#help")
    with Store(config.database) as store:
        verdicts = {(d["site"], d["item_id"]): (d["verdict"], d["user_name"]) for d in store.all_decisions()}
        needs_before = len(q.queue(store, q.Filters(), env["clock"]()))
    assert verdicts[confirmed] == ("confirmed", "alice") and verdicts[false_positive] == ("false_positive", "alice")

    page.goto(env["url"] + "/rules")  # the rules page shows precision from decisions
    with Store(config.database) as store:
        stats = {s.rule_id: s for s in q.rule_stats(store, env["clock"]())}
    judged = [s for s in stats.values() if s.precision is not None]
    assert judged
    for s in judged:
        assert page.inner_text(f"tr[data-rule='{s.rule_id}'] td.precision") == f"{s.precision:.2f}"

    second = env["audit"](2, env["catalogs"][1])  # the next day, nothing changed on the marketplace
    with Store(config.database) as store:
        states = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(second.run_id)}
        queued = {c.key for c in q.queue(store, q.Filters(), env["clock"]())}
    assert states[false_positive] == "cleared" and false_positive not in queued  # it does not come back
    assert states[confirmed] == "active" and confirmed not in queued  # decided: followed, not queued
    assert len(queued) == needs_before
    report = (Path(second.day_report_dir) / "report.html").read_text(encoding="utf-8")
    row = re.search(rf'<tr[^>]*data-item="{confirmed[0]}/{confirmed[1]}".*?</tr>', report, re.S).group(0)
    assert "違反を確認 · alice" in row  # the decision, in the next day's report ("confirmed violation")

    fp_listing = env["catalogs"][1].get("auction" if false_positive[0] == "demo_auction" else "flea", false_positive[1])
    day3 = env["catalogs"][1].without(fp_listing.section, fp_listing.item_id).with_listing(
        replace(fp_listing, title=fp_listing.title + " 再出品"))
    third = env["audit"](3, day3)  # the seller edits the text: the false positive is back in the queue
    with Store(config.database) as store:
        states = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(third.run_id)}
        queued = {c.key for c in q.queue(store, q.Filters(), env["clock"]())}
    assert states[false_positive] == "new" and false_positive in queued


def test_decisions_while_an_audit_writes_to_the_same_database(tmp_path):
    config = Config(database=tmp_path / "a.db", reports_dir=tmp_path / "reports", rules_dir=RULES, log_file=None,
                    browser=BrowserSettings(concurrency=4), demo=DemoSettings(listings=60),
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10))
    world = DemoWorld(7, 60, epoch=T1)
    clock = FixedClock(T1)
    with Store(config.database) as store:
        start_audit(config, store, AuditOptions(targets=demo_targets(), kind="scheduled", clock=clock,
                                              hosts=demo_hosts(config, world, 1)))
        reviewer = add_user(store, "rita", "reviewer", PASSWORD, T1)
        keys = [c.key for c in q.queue(store, q.Filters(), T1)]
    clock.now += timedelta(days=1)
    result, errors = {}, []

    def audit() -> None:
        try:
            with Store(config.database) as own:
                result["summary"] = start_audit(config, own, AuditOptions(targets=demo_targets(), kind="scheduled",
                                                                        clock=clock, hosts=demo_hosts(config, world, 2)))
        except Exception as e:  # noqa: BLE001 - the assertion below names it
            errors.append(e)

    thread = threading.Thread(target=audit)
    thread.start()
    made = 0
    with Store(config.database) as store:
        while thread.is_alive() or made < 20:
            site, item = keys[made % len(keys)]
            dec.decide(store, reviewer, [(site, item)], "no_action", clock(), note=f"decision {made}")
            made += 1
            time.sleep(0.02)
    thread.join()
    summary = result["summary"] if not errors else None
    assert errors == [] and summary.incomplete == {} and (summary.status == "completed" or summary.evidence_failed)
    with Store(config.database) as store:
        assert store.db.execute("select count(*) from decisions").fetchone()[0] == made  # nothing lost


def test_an_admin_is_asked_before_disabling_someone_can_enable_them_again_and_cannot_disable_themself(env, browser):
    with Store(env["config"].database) as store:
        add_user(store, "dora", "reviewer", PASSWORD, T1)
    page = sign_in(browser, env, "ada")
    page.goto(env["url"] + "/users")
    own = page.locator("tr", has_text="ada")
    assert own.locator("button").count() == 0 and "(you)" in own.inner_text()  # no button to disable oneself
    asked: list[str] = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.locator("tr", has_text="dora").locator("button").click()
    page.wait_for_timeout(300)
    with Store(env["config"].database) as store:
        assert not store.user_named("dora")["disabled"]  # dismissed: nothing happened
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.locator("tr", has_text="dora").locator("button").click()
    assert asked == ["Disable dora? They can no longer sign in (their decisions stay)."] * 2
    with Store(env["config"].database) as store:
        assert store.user_named("dora")["disabled"]
    with page.expect_navigation():
        page.locator("tr", has_text="dora").locator("button", has_text="Enable again").click()
    with Store(env["config"].database) as store:
        assert not store.user_named("dora")["disabled"]
    r = client(env, "ada").post("/users", data={"action": "disable", "name": "ada", "csrf": csrf_of(client(env, "ada"))})
    with Store(env["config"].database) as store:
        assert not store.user_named("ada")["disabled"]  # refused even when posted by hand
    assert r.status_code != 303 or "/users" not in r.headers.get("location", "")


def test_n_is_next_case_on_every_page_and_each_decision_names_itself_with_an_undo(env, browser):
    page = sign_in(browser, env, "carol")
    page.keyboard.press("n")  # in the queue: the next case
    page.wait_for_url(re.compile(r".*/case\?.*"))
    first = key_of(page)
    with Store(env["config"].database) as store:
        before = len(store.all_decisions())
    page.keyboard.press("n")  # in a case too: the next case, and no verdict
    page.wait_for_url(lambda u: "item=" + first[1] not in u and "/case?" in u)
    with Store(env["config"].database) as store:
        assert len(store.all_decisions()) == before
    skipped = key_of(page)
    page.keyboard.press("x")  # no action has a key of its own
    page.wait_for_url(lambda u: "item=" + skipped[1] not in u)
    notice = page.inner_text("#recorded")
    assert notice.startswith(f"Recorded: No action on {skipped[0]}/{skipped[1]}") and "Undo" in notice
    with Store(env["config"].database) as store:
        assert store.decisions_for(*skipped)[-1]["verdict"] == "no_action"
    with page.expect_navigation():
        page.click("#recorded button")
    assert page.inner_text("#recorded").startswith(f"Undone: {skipped[0]}/{skipped[1]}") and key_of(page) == skipped
    with Store(env["config"].database) as store:
        history = [d["verdict"] for d in store.decisions_for(*skipped)]
        assert history[-2:] == ["no_action", "reopen"]  # append-only: the undo is a decision of its own
        assert skipped in {c.key for c in q.queue(store, q.Filters(), env["clock"]())}  # needs a decision again
    page.keyboard.press("?")
    assert "x no action" in page.inner_text("#help") and "n or j next case" in page.inner_text("#help")


def test_a_seller_wide_decision_lists_what_it_will_decide_and_leaves_decided_listings_alone(env, browser):
    from decimal import Decimal

    from auditor.models import Hit, Listing, Match, RunSummary
    from auditor.run.settle import settle_run

    now = env["clock"]()
    label = Hit("ai_poster.label", "label", "high", (), (Match("title", "AI美女", 0, 4),))
    with Store(env["config"].database) as store:  # a seller with three open listings, as a run stores them
        run = store.start_run(now, ["bulk"], [], kind="adhoc")
        keys = []
        for i in range(3):
            x = Listing("demo_auction", f"b{i}", f"http://127.0.0.1/auction/item/b{i}", f"AI美女 ポスター {i}",
                        price=Decimal(1000), currency="JPY", seller_id="bulk_seller", seller_name="Bulk Seller")
            store.record_listing(run, "bulk", x, [label], now)
            keys.append(("demo_auction", f"b{i}"))
        store.record_target(run, "bulk", complete=True, reason=None, pages_ok=3, pages_failed=0, listings=3)
        settle_run(store, run, ["bulk"], "manual", now)
        store.finish_run(RunSummary(run, "completed", now, now, ["bulk"], pages_ok=3))
        lena = User(store.user_named("lena")["id"], "lena", "lead")
        dec.decide(store, lena, [keys[1]], "escalate", env["clock"]())  # decided before: left alone unless ticked
    page = sign_in(browser, env, "bob")
    page.goto(env["url"] + f"/case?site={keys[0][0]}&item={keys[0][1]}")
    page.check("input[name=bulk]")
    with page.expect_navigation():
        page.click("#decide button[data-key=f]")
    rows = page.locator("#bulk tbody tr")
    listed = {r.get_attribute("data-item") for r in rows.all()}
    assert {f"{s}/{i}" for s, i in keys} <= listed  # every open listing of the seller is shown first
    assert not page.is_checked(f"tr[data-item='{keys[1][0]}/{keys[1][1]}'] input")  # the escalated one
    assert page.is_checked(f"tr[data-item='{keys[0][0]}/{keys[0][1]}'] input")
    with Store(env["config"].database) as store:
        assert store.decisions_for(*keys[0]) == []  # nothing recorded before the list is confirmed
    left_out = keys[2:3]
    for k in left_out:
        page.uncheck(f"tr[data-item='{k[0]}/{k[1]}'] input")  # the reviewer leaves one out
    with page.expect_navigation():
        page.click("#bulk button[type=submit]")
    with Store(env["config"].database) as store:
        latest = {k: (store.decisions_for(*k) or [{}])[-1].get("verdict") for k in keys[:3]}
    assert latest == {keys[0]: "false_positive", keys[1]: "escalate", **{k: None for k in left_out}}


def test_next_stays_in_the_queue_it_came_from(env):
    lena = client(env, "lena")
    with Store(env["config"].database) as store:
        store.db.execute("delete from claims")
        keys = [c.key for c in q.queue(store, q.Filters(), env["clock"]())][-3:]
        ada = User(store.user_named("ada")["id"], "ada", "admin")
        dec.decide(store, ada, keys, "escalate", env["clock"]())
    first = lena.get("/queue/next?queue=escalated").headers["location"]
    assert "queue=escalated" in first
    site, item = re.search(r"site=([^&]+)&item=([^&]+)", first).groups()
    after = lena.post("/case/decide", data={"csrf": csrf_of(lena), "site": site, "item": item, "verdict": "no_action",
                                            "back": "queue=escalated"})
    nxt = lena.get(after.headers["location"]).headers["location"]
    with Store(env["config"].database) as store:
        escalated = {c.key for c in q.queue(store, q.Filters(queue="escalated"), env["clock"]())}
    assert "queue=escalated" in nxt and tuple(re.search(r"site=([^&]+)&item=([^&]+)", nxt).groups()) in escalated


def test_a_confirmation_overturned_in_the_browser_takes_its_pictures_out_of_the_bank_and_its_export(env, browser,
                                                                                                  tmp_path):
    import subprocess
    import sys

    with Store(env["config"].database) as store:
        store.db.execute("delete from claims")
        shown = store.images_of([c.key for c in q.queue(store, q.Filters(), env["clock"]())])
        key = next(k for k, ims in shown.items() if any((im["quality"] or 0) >= 50 and im["pdq"] for im in ims))
    page = sign_in(browser, env, "alice")
    page.goto(env["url"] + f"/case?site={key[0]}&item={key[1]}")
    page.keyboard.press("c")  # confirmed: its pictures go into the bank
    page.wait_for_selector("#recorded")
    ref = f"{key[0]}/{key[1]}"
    with Store(env["config"].database) as store:
        banked = {e["pdq"] for e in store.bank_entries(["confirmed"]) if e["ref"] == ref}
    assert banked
    page.goto(env["url"] + f"/case?site={key[0]}&item={key[1]}")
    page.keyboard.press("f")  # overturned: a false positive after all
    page.wait_for_selector("#recorded")
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {env['config'].database}\nlog_file: null\n", encoding="utf-8")
    export = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "banks", "export", "confirmed"],
                            capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    assert not banked & set(re.findall(r"[0-9a-f]{64}", export.stdout))  # left out of what partners receive
    listed = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "banks", "list"],
                            capture_output=True, text=True, timeout=120)
    assert re.search(r"confirmed: \d+ hashes, \d+ withdrawn \(their confirmation was replaced\)", listed.stdout)
