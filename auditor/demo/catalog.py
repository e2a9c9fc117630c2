"""The demo marketplace's catalogue: generated deterministically from a seed, with its ground truth.

Ordinary goods in Japanese and English; AI-generated poster listings labelled the ways real sellers
write them; look-alikes that a correct audit must not flag. Nothing explicit: labels and titles as
real listings carry them, and placeholder images.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime, timedelta, timezone

SECTIONS = ("auction", "flea")
SITE_OF_SECTION = {"auction": "demo_auction", "flea": "demo_fleamarket"}  # site profile names
EPOCH = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class DemoSeller:
    id: str
    name: str


@dataclass(frozen=True)
class DemoListing:
    section: str  # auction | flea
    item_id: str
    title: str
    description: str
    price: int  # yen
    buy_now: int | None
    bids: int
    seller: DemoSeller
    category: str
    tags: tuple[str, ...]
    images: int
    end_time: datetime
    status: str  # active | ended | sold
    sd_metadata: bool = False  # placeholder PNG carries Stable Diffusion style 'parameters' text
    photo_urls: tuple[str, ...] = ()  # image URLs as the page gives them; default: posters drawn by this server
    design: str = ""  # the first image's design (default: the listing's own); a re-listing shows another's
    variant: str = ""  # how the re-lister uploaded it (demo.posters.VARIANTS)
    expected_rules: frozenset[str] = frozenset()
    labels: tuple[str, ...] = ()  # what the venue itself marks it with (an R-18 badge, an AI生成 mark)

    @property
    def key(self) -> tuple[str, str]:
        return (SITE_OF_SECTION[self.section], self.item_id)

    @property
    def photos(self) -> tuple[str, ...]:
        return self.photo_urls or tuple(f"/img/{self.item_id}-{k}.png" for k in range(1, self.images + 1))


@dataclass
class Catalog:
    seed: int
    listings: list[DemoListing]
    sellers: list[DemoSeller] = field(default_factory=list)

    def section(self, name: str) -> list[DemoListing]:
        return self._sections.get(name, [])

    def get(self, section: str, item_id: str) -> DemoListing | None:
        return self._index.get((section, item_id))

    @cached_property
    def _sections(self) -> dict[str, list[DemoListing]]:  # a catalogue is not changed in place: make a new one
        out: dict[str, list[DemoListing]] = {}
        for x in self.listings:
            out.setdefault(x.section, []).append(x)
        return out

    @cached_property
    def _index(self) -> dict[tuple[str, str], DemoListing]:
        return {(x.section, x.item_id): x for x in self.listings}

    def truth(self) -> dict[tuple[str, str], frozenset[str]]:
        """Which listings a correct audit flags, and with which rules (site profile, item id)."""
        return {x.key: x.expected_rules for x in self.listings if x.expected_rules}

    def without(self, section: str, item_id: str) -> "Catalog":
        return Catalog(self.seed, [x for x in self.listings if (x.section, x.item_id) != (section, item_id)], self.sellers)

    def with_listing(self, listing: DemoListing) -> "Catalog":
        return Catalog(self.seed, [*self.listings, listing], self.sellers)


LABEL = frozenset({"ai_poster.label"})
PROVENANCE = "images.ai_provenance_print"  # fires when a printed listing's image carries generator settings (sd_metadata)
_PRINTED = ("ポスター", "poster", "a3", "a4", "b2", "光沢紙", "glossy", "プリント", "print", "印刷", "タペストリー", "tapestry")
PRINT = frozenset({"ai_poster.label", "ai_poster.sold_as_print"})
VENUE = "ai_poster.venue_adult_print"  # fires where the venue marks a printed listing adult and AI-made
# The venue's own marks by title template: the seller ticked "R-18" and "AI生成" (or only "R-18")
_MARKS = {"AIイラスト セクシー美人画 ポスター A3 #{n}": ("adult", "ai_generated"), "セクシー 写真集 {n}": ("adult",)}

# Flagged templates: (title, description, tags, category, expected rules). {n} is a number.
_FLAGGED = [
    ("【AI美女】オリジナル アートポスター A3 光沢紙 No.{n}", "AIで生成したオリジナル作品です。A3光沢紙に印刷して発送します。", (), "ポスター", PRINT),
    ("ＡＩ美女 グラビア風 ポスター A4 #{n}", "オリジナルデザインのポスターです。", (), "ポスター", PRINT),
    ("A I 美 女 オリジナルポスター {n}", "高画質プリント。", ("アート",), "ポスター", PRINT),
    ("AI-Beauty original poster A3 glossy #{n}", "Printed on glossy A3 paper. Original artwork.", (), "Posters", PRINT),
    ("オリジナル アートポスター A3 No.{n}", "光沢紙に印刷しています。", ("AI美女", "ポスター"), "ポスター", PRINT),
    ("美麗イラスト 作品{n}", "AIグラビア作品です。データ販売のみ。", (), "イラスト", LABEL),
    ("A.I-Beauty collection vol.{n}", "Digital collection, download only.", (), "Art", LABEL),
    ("【AIグラビア】限定ポスター A3 {n}", "局部にモザイク加工を施して発送します。モデルはすべて18歳以上です。セクシーな仕上がり。", (),
     "ポスター", PRINT | {"ai_poster.evasion_phrase", "adult.terms", "ai_poster.adult_print"}),
    ("AI美少女 タペストリー B2 {n}", "B2サイズ。", (), "タペストリー", PRINT),
    ("セクシー 写真集 {n}", "成人向け。", (), "本", frozenset({"adult.terms"})),
    ("AIイラスト セクシー美人画 ポスター A3 #{n}", "光沢紙にプリントしてお届けします。", (), "ポスター",
     frozenset({"ai_poster.generated", "ai_poster.adult_print", "adult.terms"})),
    # deepfake.lookalike also fires here, in shadow mode (status: experimental): not a production rule yet
    ("AI生成 人気女優似 ポスター {n}", "高画質。", (), "ポスター", frozenset({"ai_poster.generated"})),
    ("有名アイドル アイコラ 写真 {n}", "L判プリント。", (), "写真", frozenset({"deepfake.face_swap"})),
]

# Look-alikes: a correct audit must NOT flag these.
_LOOKALIKES = [
    ("AIスピーカー 第{n}世代 美品", "スマートスピーカー。動作確認済み。", (), "家電"),
    ("美女と野獣 DVD ディズニー {n}", "再生確認済みです。", (), "DVD"),
    ("イエロー Tシャツ Lサイズ {n}", "鮮やかなイエローです。", ("イエロー",), "ファッション"),
    ("ピエロ フィギュア {n}", "サーカスのピエロ人形。", (), "おもちゃ"),
    ("Beauty and the Beast poster A3 #{n}", "Movie poster, reprint.", (), "Posters"),
    ("AI搭載 ロボット掃除機 {n}", "AI搭載で部屋を自動マッピング。", (), "家電"),
    ("エロイカより愛をこめて 全巻セット {n}", "漫画 全巻。", (), "本"),
    ("セクシー ワンピース 花柄 {n}", "夏物です。", (), "ファッション"),
    ("手描きイラスト 原画 {n}", "一点物の原画です。", (), "イラスト"),
]

_ORDINARY = [
    ("遊戯王 ブルーアイズ PSA10 {n}", "鑑定品です。", ("遊戯王",), "トレカ"),
    ("ポケモンカード リザードン {n}", "美品。スリーブ保管。", ("ポケカ",), "トレカ"),
    ("Nike Air Jordan 1 red basketball shoes size {n}", "Worn twice, great condition.", (), "Shoes"),
    ("NVIDIA RTX 3080 10GB graphics card #{n}", "Used for gaming only.", (), "Computers"),
    ("アニメ セル画 当時物 {n}", "昭和のセル画です。", ("セル画",), "アニメグッズ"),
    ("Vintage floppy disks lot of {n}", "3.5 inch, untested.", (), "Computers"),
    ("木製 ベッドフレーム シングル {n}", "引き取り限定。", (), "家具"),
    ("シルバー ネックレス {n}", "925シルバー。", (), "アクセサリー"),
    ("Movie poster collection A3 vol.{n}", "Classic films, reprints.", (), "Posters"),
    ("文庫本 まとめ売り {n}冊", "古本です。", (), "本"),
]


def _sellers(rng: random.Random) -> tuple[list[DemoSeller], list[DemoSeller]]:
    heavy = [DemoSeller("ai_gallery_jp", "AIギャラリー"), DemoSeller("beauty_print_lab", "Beauty Print Lab"),
             DemoSeller("poster_factory_9", "ポスター工房9")]
    ordinary = [DemoSeller(f"user_{rng.randrange(10**6, 10**7)}", name) for name in
                ("たなか商店", "Sakura Goods", "レトロ堂", "CardKing", "みどり書房", "Tokyo Sneakers",
                 "ホビーショップ星", "PC Parts JP", "古道具こばやし", "Vintage Lab")]
    return heavy, ordinary


def _make(rng: random.Random, i: int, kind: str, k: int, heavy: list[DemoSeller], ordinary: list[DemoSeller],
          epoch: datetime, first_id: int = 100000) -> DemoListing:
    """Listing number i of a catalogue: the k-th of its kind (flagged, lookalike or ordinary)."""
    section = "auction" if i % 3 else "flea"
    n = rng.randrange(1, 999)
    if kind == "flagged":
        title, desc, tags, cat, rules = _FLAGGED[k % len(_FLAGGED)]
        if (k // len(_FLAGGED)) % 2:  # alternate sections per round so each template shows in both
            section = "flea" if section == "auction" else "auction"
        seller = heavy[k % len(heavy)] if k % 4 else rng.choice(ordinary)
        price = rng.randrange(20, 90) * 100
        sd = k % 3 == 0
    elif kind == "lookalike":
        title, desc, tags, cat = _LOOKALIKES[k % len(_LOOKALIKES)]
        rules, sd = frozenset(), False
        seller = rng.choice(ordinary)
        price = rng.randrange(5, 300) * 100
    else:
        title, desc, tags, cat = _ORDINARY[k % len(_ORDINARY)]
        rules, sd = frozenset(), False
        seller = rng.choice(ordinary)
        price = rng.randrange(3, 800) * 100
    bids = rng.randrange(0, 25) if section == "auction" else 0
    if kind == "flagged" and seller.id == "ai_gallery_jp":
        bids = rng.randrange(5, 30)  # the big seller: hundreds of thousands of yen a month
        price = rng.randrange(150, 400) * 100
    end = epoch + timedelta(hours=rng.randrange(-96, 240))
    if kind == "flagged" and seller.id == "ai_gallery_jp" and rng.random() < 0.8:
        end = epoch - timedelta(hours=rng.randrange(1, 600))  # most of its posters already sold this month
    status = "active" if end > epoch else ("sold" if bids or section == "flea" else "ended")
    prefix = "x" if section == "auction" else "m"
    if sd and any(w in f"{title} {desc} {' '.join(tags)} {cat}".casefold() for w in _PRINTED):
        rules = rules | {PROVENANCE}
    labels = _MARKS.get(title, ()) if kind == "flagged" else ()
    if {"adult", "ai_generated"} <= set(labels):
        rules = rules | {VENUE}
    return DemoListing(
        section=section, item_id=f"{prefix}{first_id + i}", title=title.format(n=n),
        description=desc, price=price, buy_now=price * 2 if section == "auction" and i % 4 == 0 else None,
        bids=bids, seller=seller, category=cat, tags=tuple(tags), images=1 + i % 3, end_time=end,
        status=status, sd_metadata=sd, expected_rules=rules, labels=labels,
    )


def sellers_of(seed: int) -> tuple[list[DemoSeller], list[DemoSeller]]:
    return _sellers(random.Random(seed))


def generate(seed: int = 7, size: int = 300, epoch: datetime = EPOCH, flagged_share: float | None = None,
             first_id: int = 100000) -> Catalog:
    """A reproducible catalogue of about `size` listings over both sections (a sixth flagged, unless told); item
    ids count from first_id (several marketplaces that must not share listings take different ones)."""
    rng = random.Random(seed)
    heavy, ordinary = _sellers(rng)
    n_flagged = max(len(_FLAGGED), size // 6 if flagged_share is None else int(size * flagged_share))
    n_look = max(len(_LOOKALIKES), size // 10)
    kinds = (["flagged"] * n_flagged + ["lookalike"] * n_look + ["ordinary"] * max(0, size - n_flagged - n_look))
    rng.shuffle(kinds)
    # Every template appears at least once, in each section, whatever the shuffle did.
    counters = {"flagged": 0, "lookalike": 0, "ordinary": 0}
    listings: list[DemoListing] = []
    for i, kind in enumerate(kinds):
        listings.append(_make(rng, i, kind, counters[kind], heavy, ordinary, epoch, first_id))
        counters[kind] += 1
    return Catalog(seed, listings, heavy + ordinary)


def bump(listing: DemoListing, **changes) -> DemoListing:
    """A copy of a listing with some fields changed (for tests of change tracking)."""
    return replace(listing, **changes)
