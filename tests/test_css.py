"""The profiles' CSS selectors, matched by auditor/sites/css.py, find exactly what lxml's cssselect finds: the same
elements in the same order, from the page and from inside each card, on a page made to trip a matcher up and on
every saved real page (../shared/fixtures/real-pages, skipped where absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.crawl.charset import decode_html
from auditor.sites.css import compile_css
from auditor.sites.tree import _compiled, _in_template, tree

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT.parent / "shared" / "fixtures" / "real-pages"
_SELECT = re.compile(r"""select(?:_one)?\((["'])(.+?)\1""")

TRICKY = """<html><body>
<div class="card a" id="c1" data-x="1"><h2 class=" title  main ">T<a href="/i/1" rel="next nofollow">x</a></h2>
  <template><p class="price">9</p></template><p class="price">1</p><span class="price-tag">p</span>
  <ul><li class="card"><a>inner</a></li></ul></div>
<div class="card" data-x="12-3" lang="en-US"><p class="price strike">2</p><!-- c --><a href="https://e/itm/5">y</a></div>
<section><div><p data-testid="price" class="price">3</p></div></section>
</body></html>"""

EXTRA = ["div.card a", "div.card > a", ".card .price", "#c1 .price", "[data-x]", "[data-x='1']", "[data-x^='12']",
         "[data-x$='3']", "[data-x*='2-']", "[lang|=en]", "a[rel~=next]", "section > div > p", ".card, .price",
         "p.price.strike", "* a", "li.card a, h2 a", ".title a[href]", "div p", "h2.main"]


def profile_selectors(*modules: str) -> list[str]:
    """The selectors written in the named profiles' files and their shared helpers (every file when none is named)."""
    found = set()
    sites = ROOT / "auditor" / "sites"
    files = [sites / f"{m}.py" for m in (*modules, "base", "extract")] if modules else sites.glob("*.py")
    for path in files:
        found.update(m.group(2) for m in _SELECT.finditer(path.read_text(encoding="utf-8")))
    return sorted(found)


def answers(doc, scope, css):
    where = doc.el.getroottree().getpath
    ours = [where(e) for e in scope._found(css)]
    theirs = [where(e) for e in _compiled(css)(scope.el) if not (doc.page.templates and _in_template(e))]
    first = [where(e) for e in scope._found(css, first=True)]
    return ours, theirs, first


def compare(html: str, selectors: list[str], per_tag: int = 25) -> int:
    doc = tree(html)
    scopes = [doc] + [x for tag in ("li", "div", "section", "a") for x in doc.select(tag)[:per_tag]]
    compared = 0
    for scope in scopes:
        for css in selectors:
            ours, theirs, first = answers(doc, scope, css)
            assert ours == theirs, (css, scope.name, ours[:3], theirs[:3])
            assert first == theirs[:1], css
            compared += 1
    return compared


def test_every_selector_a_profile_writes_is_in_the_subset():
    selectors = profile_selectors()
    assert len(selectors) > 100
    assert [s for s in selectors if compile_css(s) is None] == []


def test_outside_the_subset_cssselect_answers():
    assert compile_css("a:first-child") is None and compile_css("h2 + p") is None and compile_css("a >") is None
    doc = tree(TRICKY)
    assert [e.el.text for e in doc.select("p:not(.strike)")] == ["1", "3"]


def test_a_page_made_to_trip_a_matcher_up():
    doc = tree(TRICKY)
    assert [p.el.text for p in doc.select(".price")] == ["1", "2", "3"]  # the <template>'s copy is not the page
    card = doc.select_one("div.card")
    assert card.select_one("div.card").el is card.el  # as in cssselect, a scope may match itself
    assert card.select("li.card a")[0].el.text == "inner"
    assert compare(TRICKY, EXTRA + profile_selectors()) > 1000


@pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")
def test_on_every_saved_page_the_profiles_selectors_find_what_cssselect_finds():
    sites = ROOT / "auditor" / "sites"
    pages = sorted(p for p in PAGES.rglob("*.html"))
    assert len(pages) > 20
    compared = 0
    for page in pages:
        venue = page.relative_to(PAGES).parts[0].replace("-", "_")
        selectors = profile_selectors(venue if (sites / f"{venue}.py").exists() else "schema_org")
        compared += compare(decode_html(page.read_bytes()), selectors)
    assert compared > 20_000
