"""A generated shop of another shape than the demo's, for bench/crawl.py: 25 list pages of 20 items each (525
pages in all), item pages of ~30 KB with 30 related links and a large inline JSON state, read by the schema_org
profile from their JSON-LD (ItemList on list pages, Product on item pages). Served on 127.0.0.1."""

from __future__ import annotations

import html
import json
import random
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

LISTS, PER_LIST = 25, 20
WORDS = ("poster print art frame canvas A2 A3 limited signed vintage anime idol photo glossy matte wall decor "
         "gift collection rare new unused shipping included").split()


def _item(i: int) -> str:
    rng = random.Random(i)
    name = f"{' '.join(rng.choice(WORDS) for _ in range(5))} #{i}"
    product = {"@context": "https://schema.org", "@type": "Product", "name": name, "sku": f"S{i:05d}",
               "description": " ".join(rng.choice(WORDS) for _ in range(60)),
               "image": [f"/img/{i}-{k}.jpg" for k in range(3)],
               "offers": {"@type": "Offer", "price": str(500 + i * 7), "priceCurrency": "JPY",
                          "availability": "https://schema.org/InStock", "seller": {"name": f"seller{i % 37}"}}}
    state = {"item": i, "reviews": [{"user": f"u{rng.randrange(9999)}", "stars": rng.randrange(1, 6),
                                     "text": " ".join(rng.choice(WORDS) for _ in range(12))} for _ in range(150)]}
    related = "".join(f'<li><a class="related" href="/shop/item/{(i + k * 17) % (LISTS * PER_LIST)}">'
                      f'{html.escape(rng.choice(WORDS))} {k}</a></li>' for k in range(1, 31))
    filler = "".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(40))}</p>" for _ in range(30))
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{html.escape(name)}</title>'
            f'<script type="application/ld+json">{json.dumps(product, ensure_ascii=False)}</script></head>'
            f'<body><header><nav>{"".join(f"<a href=/shop/list/{n}>{n}</a> " for n in range(1, LISTS + 1))}</nav></header>'
            f'<main><h1 class="name">{html.escape(name)}</h1><div class="desc">{filler}</div>'
            f'<section><h2>related</h2><ul>{related}</ul></section></main>'
            f'<script>window.__STATE__ = {json.dumps(state)};</script></body></html>')


def _list(n: int) -> str:
    ids = range((n - 1) * PER_LIST, n * PER_LIST)
    entries = [{"@type": "ListItem", "position": k + 1, "url": f"/shop/item/{i}"} for k, i in enumerate(ids)]
    ld = {"@context": "https://schema.org", "@type": "ItemList", "numberOfItems": LISTS * PER_LIST,
          "itemListElement": entries}
    links = "".join(f'<li><a class="item" href="/shop/item/{i}">item {i}</a></li>' for i in ids)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>list {n}</title>'
            f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body><ul>{links}</ul></body></html>')


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.split("?")[0].strip("/").split("/")
        body, status = b"not found", 404
        if self.path == "/robots.txt":
            body, status = b"User-agent: *\nAllow: /\n", 200
        elif len(parts) == 3 and parts[:2] == ["shop", "item"] and parts[2].isdigit():
            body, status = self.server.items[int(parts[2]) % len(self.server.items)], 200
        elif len(parts) == 3 and parts[:2] == ["shop", "list"] and parts[2].isdigit() and 1 <= int(parts[2]) <= LISTS:
            body, status = _list(int(parts[2])).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_shop() -> Iterator[str]:
    """The shop on a free port; yields its address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.items = [_item(i).encode() for i in range(LISTS * PER_LIST)]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def start_urls(base: str) -> list[str]:
    return [f"{base}/shop/list/{n}" for n in range(1, LISTS + 1)]


if __name__ == "__main__":
    print(len(_item(1)), "bytes an item page")
