"""The page tree the profiles read (auditor/sites/tree.py, Lexbor through selectolax): every selector a profile
writes is one Lexbor takes, and the few BeautifulSoup calls the profiles use answer as they did, on a page made to
trip them up and on every saved real page (../shared/fixtures/real-pages, skipped where absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.crawl.charset import decode_html
from auditor.sites.base import visible_text
from auditor.sites.tree import tree

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT.parent / "shared" / "fixtures" / "real-pages"
_SELECT = re.compile(r"""select(?:_one)?\((["'])(.+?)\1""")

TRICKY = """<html><body>
<div class="card a" id="c1" data-x="1"><h2 class=" title  main ">T<a href="/i/1?a=1&amp;b=2" rel="next nofollow">x</a></h2>
  <template><p class="price">9</p></template><p class="price">1</p><span class="price-tag">p</span>
  <script>var hidden = "この商品は存在しません";</script><style>.p{}</style>
  <ul><li class="card"><a>inner</a></li></ul><input disabled></div>
<div class="card" data-x="12-3" lang="en-US"><p class="price strike">2</p><!-- a comment --><a href="https://e/itm/5">y</a></div>
<section><div><p data-testid="price" class="price">  3 <b>yen</b> </p></div></section>
</body></html>"""


def profile_selectors() -> list[str]:
    """The selectors written in every profile's file and their shared helpers."""
    found = set()
    for path in (ROOT / "auditor" / "sites").glob("*.py"):
        found.update(m.group(2) for m in _SELECT.finditer(path.read_text(encoding="utf-8")))
    return sorted(found)


def test_every_selector_a_profile_writes_is_one_lexbor_takes():
    selectors = profile_selectors()
    assert len(selectors) > 100
    doc = tree(TRICKY)
    card = doc.select_one("div.card")
    for css in selectors:  # an unknown selector raises in Lexbor: every one is asked of a page and of a card
        doc.select(css)
        card.select_one(css)


def test_a_page_made_to_trip_the_tree_up():
    doc = tree(TRICKY)
    assert [p.get_text() for p in doc.select(".price")] == ["1", "2", "  3 yen "]  # the <template>'s is not the page
    card = doc.select_one("div.card")
    assert card.select_one("div.card").el == card.el  # as in querySelectorAll and cssselect, a scope may match itself
    assert card.select("li.card a")[0].get_text() == "inner"
    assert [a["href"] for a in doc.select("a[rel~=next][href]")] == ["/i/1?a=1&b=2"]  # entities decoded
    assert card.select_one("input").get("disabled") == "" and card.select_one("input").get("nope", "-") == "-"
    with pytest.raises(KeyError):
        card.select_one("input")["nope"]
    assert doc.select_one("[data-testid=price]").get_text(" ", strip=True) == "3 yen"
    # get_text leaves scripts, styles and comments out, as BeautifulSoup's does
    assert card.get_text(" ", strip=True) == "T x 1 p inner"
    assert card.get_text(" ", strip=True) == BeautifulSoup(str(card), "html.parser").get_text(" ", strip=True)
    assert doc.select_one("b").find_parent("p", class_="price").get("data-testid") == "price"
    assert doc.select_one("b").find_parent("li") is None
    assert doc.select_one("a[href]").find_parent(href=True) is None and doc.select_one("b").find_parent("div").name == "div"
    assert "この商品は存在しません" not in visible_text(TRICKY) and "inner" in visible_text(TRICKY)
    assert "9" not in visible_text(TRICKY).split()  # nor a <template>'s


def test_the_auction_pages_steps_answer_as_beautifulsoups_do():
    """Own text (a price without its converted amount), a direct child link and the next element beside a label."""
    page = """<ul><li class="p"><a>no</a><div><a href="/deep">deep</a></div><a href="/i/1">one</a>
      <span class="price">248,000 yen <span>(€1 974,08)</span> now</span>
      <dl><dt>開始価格</dt> <!-- c --> <dd>：1,000円</dd></dl><em class="n">3<small>件</small></em></li></ul>"""
    ours, theirs = tree(page), BeautifulSoup(page, "lxml")
    price, their_price = ours.select_one(".price"), theirs.select_one(".price")
    assert price.own_texts() == list(their_price.find_all(string=True, recursive=False)) == ["248,000 yen ", " now"]
    assert price.own_text() == "248,000 yen  now"
    assert ours.select_one(".n").first_own_text() == theirs.select_one(".n").find(string=True, recursive=False) == "3"
    assert ours.select_one("li").child("a", href=True)["href"] == theirs.select_one("li").find(
        "a", href=True, recursive=False)["href"] == "/i/1"  # not the deeper link, not the link without an href
    assert ours.select_one("li").child("a").get_text() == "no" and ours.select_one("dd").child("a") is None
    assert ours.select_one("dt").next_element().get_text() == theirs.select_one("dt").find_next_sibling().get_text()
    assert ours.select_one("dd").next_element() is None and ours.select_one(".n").first_own_text() == "3"


@pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")
def test_on_every_saved_page_a_cards_text_is_what_beautifulsoup_reads_of_it():
    """For every element of every saved page that a profile selector finds (up to 40 a selector), its text as the
    profiles read it equals BeautifulSoup's get_text of the same markup."""
    pages = sorted(PAGES.rglob("*.html"))
    assert len(pages) > 20
    selectors = profile_selectors()
    compared = 0
    for page in pages:
        doc = tree(decode_html(page.read_bytes()))
        for css in selectors:
            for node in doc.select(css)[:40]:
                if node.name in ("html", "body", "head"):
                    continue
                ours = node.get_text(" ", strip=True)
                theirs = BeautifulSoup(str(node), "html.parser").get_text(" ", strip=True)
                assert ours == theirs, (page.name, css, ours[:80], theirs[:80])
                compared += 1
    assert compared > 2_000
