"""Images in SQL.

`images` holds each distinct image once (by SHA-256) with its PDQ hash and MD5; `listing_images` which
listing showed it, where; `image_links` which listings show the same picture. The hash banks are in
store/banks.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from auditor.store import sql
from auditor.store.times import iso


class ImageTables:
    """Mixed into Store: `images`, `listing_images`, `image_links`, `network_members`."""

    db: object

    # --- images ----------------------------------------------------------------------------------
    def record_images(self, run_id: int, site: str, item_id: str, images: Iterable[dict], at: datetime) -> None:
        """A listing's images ({position, url, sha256, md5, bytes, content_type, pdq, quality, dihedral, meta, nudity}), in
        one transaction: each distinct image once (its detector labels added when a later run first ran it), and
        which listing showed it where."""
        now = iso(at)
        with self.write():
            for im in images:
                self.db.execute(sql.insert_new('images', ['sha256', 'md5', 'bytes', 'content_type', 'pdq', 'quality', 'dihedral', 'meta', 'first_seen']),
                                [im["sha256"], im.get("md5"), im["bytes"], im["content_type"], im["pdq"], im["quality"],
                                 " ".join(im["dihedral"]), json.dumps(im["meta"], ensure_ascii=False), now])
                if im.get("md5"):
                    self.db.execute("update images set md5 = ? where sha256 = ? and md5 is null", [im["md5"], im["sha256"]])
                if im.get("nudity") is not None:
                    self.db.execute("update images set nudity = ? where sha256 = ? and nudity is null",
                                    [json.dumps(im["nudity"]), im["sha256"]])
                self.db.execute(sql.upsert('listing_images', ['site', 'item_id', 'position', 'url', 'sha256', 'run_id', 'seen_at'], ('site', 'item_id', 'url')),
                                [site, item_id, im["position"], im["url"], im["sha256"], run_id, now])

    def images_owed(self, run_id: int, urls: Iterable[str]) -> list[tuple[dict, list[dict], int | None]]:
        """Of these item pages, the listings this run stored from their page whose pictures it has not checked
        (no image recorded in this run): a worker died between the two. Each as (its listings row, its hits in
        this run, the version its observation stored)."""
        urls = list(urls)
        if not urls:
            return []
        rows = list(self.db.query(
            "select l.*, o.version_id as observed_version from observations o join listings l"
            " on l.site = o.site and l.item_id = o.item_id where o.run_id = ? and o.source = 'item'"
            f" and l.url in ({', '.join('?' * len(urls))}) and l.image_urls is not null and l.image_urls != '[]'"
            " and not exists (select 1 from listing_images li where li.site = l.site and li.item_id = l.item_id"
            " and li.run_id = ?)", [run_id, *urls, run_id]))
        out = []
        for r in rows:
            hits = list(self.db.query("select rule_id, rule_title, severity, tags from hits where run_id = ? and site = ?"
                                      " and item_id = ?", [run_id, r["site"], r["item_id"]]))
            out.append((r, hits, r["observed_version"]))
        return out

    def known_images(self, site: str, item_id: str) -> dict[str, dict]:
        """The images this listing showed before, by URL (a run does not fetch and hash them again)."""
        return {r["url"]: r for r in self.db.query(
            "select li.url, im.* from listing_images li join images im on im.sha256 = li.sha256"
            " where li.site = ? and li.item_id = ?", [site, item_id])}

    def images_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
        """The images each listing showed (latest URL set first), with their hashes."""
        out: dict[tuple[str, str], list[dict]] = {}
        wanted = sorted(set(keys))
        for i in range(0, len(wanted), 400):
            chunk = wanted[i:i + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            for r in self.db.query(f"with k (site, item_id) as (values {values}) select li.*, im.pdq, im.quality, im.meta, im.content_type, im.dihedral"
                                   " from k join listing_images li on li.site = k.site and li.item_id = k.item_id"
                                   " join images im on im.sha256 = li.sha256 order by li.position",
                                   [v for key in chunk for v in key]):
                out.setdefault((r["site"], r["item_id"]), []).append(r)
        return out

    def add_image_hits(self, run_id: int, site: str, item_id: str, version_id: int | None, hits, at: datetime) -> None:
        """Hits found once the listing's images were matched (a rule with an image test), beside its text hits."""
        with self.write():
            self._insert_hits(run_id, site, item_id, hits, iso(at), version_id)

    # --- pictures shared between listings ------------------------------------------------------
    def link_images(self, run_id: int, site: str, item_id: str, others: Iterable[tuple[str, str, int, str]],
                    at: datetime) -> None:
        """This listing shows the same picture as these (other site, other item, distance, how found)."""
        rows = [[site, item_id, s, i, d, how, run_id, iso(at)] for s, i, d, how in others if (s, i) != (site, item_id)]
        if rows:
            with self.write():
                self.db.conn.executemany(sql.upsert('image_links', ['site', 'item_id', 'other_site', 'other_item_id', 'distance', 'how', 'run_id', 'seen_at'], ('site', 'item_id', 'other_site', 'other_item_id')), rows)

    def record_network_members(self, sellers: Iterable[tuple[str, str]], run_id: int, at: datetime) -> set[tuple[str, str]]:
        """Record sellers now in a seller network; returns those first seen in one in this run (the same answer when
        asked again in the same run)."""
        wanted = set(sellers)
        known = {(r[0], r[1]): r[2] for r in self.db.execute("select site, seller_id, run_id from network_members")}
        new = wanted - set(known)
        if new:
            with self.write():
                self.db.conn.executemany(sql.insert_new('network_members', ['site', 'seller_id', 'run_id', 'seen_at']), [[s, i, run_id, iso(at)] for s, i in sorted(new)])
        return new | {k for k in wanted if known.get(k) == run_id}

    def ever_flagged_keys(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute("select distinct site, item_id from hits")]

    def same_picture(self, site: str, item_id: str) -> list[dict]:
        """Other listings showing a picture of this one (linked through a bank, or the same file or hash), with
        their seller and title."""
        return list(self.db.query(
            "with pairs (s, i, how) as ("
            " select other_site, other_item_id, how from image_links where site = ? and item_id = ?"
            " union select site, item_id, how from image_links where other_site = ? and other_item_id = ?"
            " union select b.site, b.item_id, 'same picture' from listing_images a join images ia on ia.sha256 = a.sha256"
            "  join images ib on ib.pdq = ia.pdq join listing_images b on b.sha256 = ib.sha256"
            "  where a.site = ? and a.item_id = ? and (b.site, b.item_id) != (?, ?) and ia.quality >= 50)"
            " select l.site, l.item_id, l.title, l.seller_id, l.seller_name, l.price, l.status, min(p.how) as how"
            " from pairs p join listings l on l.site = p.s and l.item_id = p.i group by l.site, l.item_id"
            " order by l.site, l.item_id", [site, item_id] * 4))

    def image_links(self) -> list[dict]:
        return list(self.db.query("select * from image_links"))

    def shared_images(self) -> list[dict]:
        """Pairs of listings that showed the very same file or the same PDQ hash."""
        return list(self.db.query(
            "select a.site, a.item_id, b.site as other_site, b.item_id as other_item_id from listing_images a"
            " join images ia on ia.sha256 = a.sha256 join images ib on ib.pdq = ia.pdq"
            " join listing_images b on b.sha256 = ib.sha256 where (a.site, a.item_id) < (b.site, b.item_id)"
            " and ia.quality >= 50 group by a.site, a.item_id, b.site, b.item_id"))
