"""The demo marketplace over successive days, with the ground truth of every listing's state each day.

Day 1 is the generated catalogue. Each later day is the day before, changed the way a real
marketplace changes: new listings, bids and prices moving, auctions ending (sold or not), flea items
selling, listings removed, one poster's description growing an adult term (an escalation), two
posters edited to dodge the label (「生成美人」, 【エーアイ美女】: evasions), and from day 2 on, pictures
of the day before's flagged posters re-listed by other accounts under innocent titles, re-encoded,
resized, with a sticker or mirrored (caught only through the bank of confirmed images, which the
demo's reviewer fills by confirming each day's flagged listings). On day 3 the whole flea-market
section fails (every page answers 500), so its followed listings are unchecked that day. From day 2 on
the marketplace also shows the pages that hold nothing to read: one removed listing answers with the
venue's own "deleted" page (gone, its page kept as proof), one flagged listing sits behind a bot wall and
another behind an age gate (both unchecked that day: nothing was read of them).

The truth of each day's states comes from the reference state model (auditor.run.states) fed with the
truth (each listing version's expected rules, its status, whether it was served) instead of what a
crawl read: an audit is right when its states equal these.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from auditor.demo.catalog import EPOCH, SITE_OF_SECTION, Catalog, DemoListing, DemoSeller, _make, generate, sellers_of
from auditor.run.states import Known, Read, next_state, remember

FAILING_DAY = 3  # the flea-market section answers 500 on every page that day
FAILING_PREFIXES = ("/flea/", "/api/flea/")
SKELETON_DAY = 2  # the auction search's second page comes as a skeleton that only the browser draws
SKELETON_PAGE = "/auction/search?p=2&q="
LABELS = ("【AI美女】", "ＡＩ美女", "A I 美 女", "AI美少女")
PRINT_RULES = frozenset({"ai_poster.label", "ai_poster.sold_as_print"})
EVASIONS = ("【生成美人】", "【エーアイ美女】")  # labels no starter rule knows (yet): "AI" spelled in katakana
EVASIVE_DESCRIPTION = "オリジナル作品です。A3光沢紙に印刷して発送します。"
ESCALATION = "セクシーな仕上がりです。"
ESCALATED_RULES = frozenset({"adult.terms", "ai_poster.adult_print"})
RELISTED_RULES = frozenset({"images.relisted_confirmed"})
RELISTERS = (DemoSeller("print_relay_77", "プリント便77"), DemoSeller("artposter_outlet", "Art Poster Outlet"))
RELISTED_TITLE = "オリジナル アートポスター 光沢紙 No.{n}"  # no label, no term: only the picture gives it away
RELIST_VARIANTS = ("jpeg", "resize", "sticker", "mirror")


@dataclass
class Day:
    catalog: Catalog
    events: dict[tuple[str, str], str] = field(default_factory=dict)  # key -> what was done to it that day


def _digest(x: DemoListing) -> str:
    return hashlib.sha256(json.dumps([x.title, x.description, list(x.tags), x.category, x.seller.id, x.seller.name],
                                     ensure_ascii=False).encode()).hexdigest()


class DemoWorld:
    """Day N's catalogue (1-based), its faults, and the truth of its states; deterministic from the seed."""

    def __init__(self, seed: int = 7, size: int = 300, epoch: datetime = EPOCH):
        self.seed, self.size, self.epoch = seed, size, epoch
        self._days = [Day(generate(seed, size, epoch))]
        self._truth: list[dict[tuple[str, str], str]] = []
        self._known: dict[tuple[str, str], Known] = {}

    def day(self, n: int) -> Day:
        while len(self._days) < n:
            self._days.append(self._next(len(self._days) + 1, self._days[-1].catalog))
        return self._days[n - 1]

    def catalog(self, n: int) -> Catalog:
        return self.day(n).catalog

    def faults(self, n: int) -> dict[str, str]:
        faults = {p: "500" for p in FAILING_PREFIXES} if n == FAILING_DAY else {}
        if n == SKELETON_DAY:
            faults[SKELETON_PAGE] = "skeleton-js"
        for key, kind in self.refusals(n).items():
            faults[f"/auction/item/{key[1]}"] = kind
        return faults

    def refusals(self, n: int) -> dict[tuple[str, str], str]:
        """Day n's flagged auction listings whose item page holds nothing to read: a bot wall, an age gate, and
        one the venue has just deleted (its search card still shows; its page says so; gone from the next day)."""
        if n < 2:
            return {}
        served = sorted(x.key for x in self.catalog(n).listings if x.section == "auction" and x.expected_rules
                        and x.status == "active" and self.day(n).events.get(x.key) is None)
        rng = random.Random(self.seed * 7919 + n)
        chosen = rng.sample(served, min(3, len(served)))
        return dict(zip(chosen, ("botwall", "age-gate", "removed")))

    def failing_sections(self, n: int) -> set[str]:
        return {"flea"} if n == FAILING_DAY else set()

    def flagged_truth(self, n: int) -> set[tuple[str, str]]:
        """The listings a correct audit flags on day n (those of a failing section cannot be read)."""
        failing, refused = self.failing_sections(n), self.refusals(n)
        return {x.key for x in self.catalog(n).listings if x.expected_rules and x.section not in failing
                and x.key not in refused}

    def networks(self, n: int) -> set[frozenset[tuple[str, str]]]:
        """Sellers (site, seller id) linked by re-listed pictures up to day n, as groups of two or more."""
        source = {x.item_id: x for d in range(1, n + 1) for x in self.catalog(d).listings}
        parent: dict[tuple[str, str], tuple[str, str]] = {}

        def find(k):
            while parent.setdefault(k, k) != k:
                k = parent[k]
            return k

        for d in range(2, n + 1):
            failing = self.failing_sections(d)
            for x in self.catalog(d).listings:
                if x.design and x.section not in failing and x.design in source:
                    a = (SITE_OF_SECTION[x.section], x.seller.id)
                    o = source[x.design]
                    parent[find(a)] = find((SITE_OF_SECTION[o.section], o.seller.id))
        groups: dict = {}
        for k in parent:
            groups.setdefault(find(k), set()).add(k)
        return {frozenset(g) for g in groups.values() if len(g) > 1}

    def states(self, n: int) -> dict[tuple[str, str], str]:
        """Every listing's true state on day n (listings outside the picture are left out)."""
        while len(self._truth) < n:
            self._truth.append(self._settle(len(self._truth) + 1))
        return self._truth[n - 1]

    # --- the truth ------------------------------------------------------------------------------
    def _settle(self, n: int) -> dict[tuple[str, str], str]:
        catalog, failing, refused = self.catalog(n), self.failing_sections(n), self.refusals(n)
        served = {x.key: x for x in catalog.listings}
        out: dict[tuple[str, str], str] = {}
        section_of = {v: k for k, v in SITE_OF_SECTION.items()}
        for key in sorted(set(served) | set(self._known)):
            known = self._known.get(key)
            if section_of[key[0]] in failing:
                read = Read("unread", why="section failing")
            elif key in refused:
                read = Read("removed") if refused[key] == "removed" else Read("unread", why=refused[key])
            elif key not in served:
                read = Read("removed")
            else:
                x = served[key]
                rules = {r: "high" for r in x.expected_rules}
                digest = _digest(x)
                read = Read("item", x.status, rules, digest, known is not None and known.version_id != digest)
            t = next_state(known, read)
            if t is None:
                continue
            out[key] = t.state
            new = remember(known, read, t)
            if new is not None:
                self._known[key] = new
        return out

    # --- how the marketplace changes overnight --------------------------------------------------
    def _next(self, n: int, before: Catalog) -> Day:
        rng = random.Random(self.seed * 1000 + n)
        today = self.epoch + timedelta(days=n - 1)
        events: dict[tuple[str, str], str] = {}
        deleted = {k for k, kind in self.refusals(n - 1).items() if kind == "removed"}  # its page said so yesterday
        items = [x for x in before.listings if x.key not in deleted]
        up = [i for i, x in enumerate(items) if x.status == "active" and x.end_time > today]
        rng.shuffle(up)
        planted = set()

        def pick(pred) -> int | None:
            for i in up:
                if i not in planted and pred(items[i]):
                    planted.add(i)
                    return i
            return None

        def labelled_print(x: DemoListing) -> bool:
            return x.section == "auction" and x.expected_rules == PRINT_RULES and any(a in x.title for a in LABELS)

        i = pick(lambda x: labelled_print(x) and ESCALATION not in x.description)
        if i is not None:  # a poster's description grows an adult term
            x = items[i]
            items[i] = replace(x, description=x.description + ESCALATION, expected_rules=x.expected_rules | ESCALATED_RULES)
            events[x.key] = "escalated"
        i = pick(lambda x: x.section == "auction" and bool(x.expected_rules) and not x.design)
        if i is not None:  # a seller rewrites a flagged listing without the label and keeps selling (labels take turns),
            # its picture saved again without the generator's settings (a confirmed picture re-listed is not picked)
            x = items[i]
            label = EVASIONS[n % len(EVASIONS)]
            items[i] = replace(x, title=f"{label}オリジナル アートポスター A3 光沢紙 No.{rng.randrange(1, 999)}",
                               description=EVASIVE_DESCRIPTION, tags=(), category="ポスター", sd_metadata=False,
                               labels=(), expected_rules=frozenset())  # and unticks the venue's R-18 and AI marks
            events[x.key] = "evaded"
        removed = set()
        for i in up:
            if i in planted:
                continue
            x, roll = items[i], rng.random()
            if roll < 0.06:
                status = "sold" if x.bids or x.section == "flea" else "ended"
                items[i] = replace(x, status=status, end_time=today - timedelta(hours=rng.randrange(1, 20)))
                events[x.key] = status
            elif roll < 0.09:
                removed.add(i)
                events[x.key] = "removed"
            elif roll < 0.30 and x.section == "auction":
                more = rng.randrange(1, 4)
                items[i] = replace(x, bids=x.bids + more, price=x.price + 100 * more)
                events[x.key] = "bids"
        items = [x for i, x in enumerate(items) if i not in removed]
        heavy, ordinary = sellers_of(self.seed)
        start = max(int(x.item_id[1:]) - 100000 for x in before.listings) + 1
        originals = {x.key for x in before.listings if not x.design}
        confirmed = sorted(self.flagged_truth(n - 1) & originals)  # the reviewer confirmed these
        for j, key in enumerate(rng.sample(confirmed, min(4, len(confirmed)))):  # their pictures come back
            src = next(x for x in before.listings if x.key == key)
            prefix, section = ("x", "auction") if j % 2 == 0 else ("m", "flea")
            x = DemoListing(
                section=section, item_id=f"{prefix}{100000 + start}", title=RELISTED_TITLE.format(n=rng.randrange(1, 999)),
                description="光沢紙に印刷して発送します。", price=rng.randrange(20, 60) * 100, buy_now=None,
                bids=0, seller=RELISTERS[j % len(RELISTERS)], category="ポスター", tags=(), images=1,
                end_time=today + timedelta(hours=rng.randrange(24, 200)), status="active",
                design=src.item_id, variant=RELIST_VARIANTS[(j + n) % len(RELIST_VARIANTS)], expected_rules=RELISTED_RULES)
            start += 1
            items.append(x)
            events[x.key] = "relisted"
        kinds = ["flagged"] * 3 + ["lookalike"] + ["ordinary"] * max(1, self.size // 25)
        rng.shuffle(kinds)
        counters = {"flagged": rng.randrange(0, 13), "lookalike": rng.randrange(0, 9), "ordinary": rng.randrange(0, 10)}
        for j, kind in enumerate(kinds):
            x = _make(rng, start + j, kind, counters[kind], heavy, ordinary, today)
            counters[kind] += 1
            if x.status != "active":
                x = replace(x, status="active", end_time=today + timedelta(hours=rng.randrange(24, 200)))
            items.append(x)
            events[x.key] = "new"
        return Day(Catalog(self.seed, items, before.sellers), events)
