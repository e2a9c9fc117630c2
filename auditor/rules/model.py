"""The rule format: typed models of what staff write in rules/*.yaml."""

from __future__ import annotations

import importlib.util

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from auditor.i18n import tr

SEVERITIES = ("info", "low", "medium", "high", "critical")
TEXT_FIELDS = ("title", "description", "tags", "category", "seller_id", "seller_name", "site", "currency",
               "image_meta", "item_id", "url", "labels")
NUMERIC_FIELDS = ("price", "buy_now_price", "bids")
LIST_FIELDS = ("tags", "image_meta", "labels")  # text fields that hold several values
DEFAULT_FIELDS = ("title", "description", "tags")
NUDITY_EXTRA_MISSING = ("image_nudity needs the opt-in nudity extra, which is not installed: "
                        "pip install 'auditor[nudity]' (NudeNet; its licence is AGPL-3.0, see the README)")

Severity = Literal["info", "low", "medium", "high", "critical"]
FieldName = Literal["title", "description", "tags", "category", "seller_id", "seller_name", "site", "currency",
                    "image_meta", "item_id", "url", "labels"]
AnyField = Literal["title", "description", "tags", "category", "seller_id", "seller_name", "site", "currency",
                   "image_meta", "item_id", "url", "labels", "price", "buy_now_price", "bids"]
Label = Literal["adult", "ai_generated", "shop", "auction"]  # auditor.models.LABELS


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Range(_Model):
    """A numeric test: min <= value <= max (either end may be left open)."""

    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _one_end(self) -> "Range":
        if self.min is None and self.max is None:
            raise ValueError(tr("give min, max or both"))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(tr("min is greater than max"))
        return self

    def contains(self, value: Decimal | int | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class ImageBankTest(_Model):
    """True when one of the listing's images is within max_distance (PDQ bits of 256) of a hash in these banks."""

    banks: list[str] = Field(default_factory=lambda: ["confirmed"], min_length=1)
    max_distance: int = Field(31, ge=0, le=64)


class NudityTest(_Model):
    """True when the opt-in nudity detector gives one of these labels at min_score or more (needs the extra)."""

    labels: list[str] = Field(min_length=1)
    min_score: float = Field(0.6, ge=0, le=1)

    @model_validator(mode="after")
    def _installed(self) -> "NudityTest":
        if importlib.util.find_spec("nudenet") is None:  # the detector itself lives in images/nudity
            raise ValueError(NUDITY_EXTRA_MISSING)
        return self


class LabelTest(_Model):
    """The venue's own marks on a listing: `labels: [adult, ai_generated]` needs all of them,
    `labels: {any: [adult, ai_generated]}` one of them."""

    all: list[Label] = []
    any: list[Label] = []

    @model_validator(mode="before")
    @classmethod
    def _a_list_is_all(cls, v):
        return {"all": v} if isinstance(v, list) else v

    @model_validator(mode="after")
    def _some(self) -> "LabelTest":
        if not self.all and not self.any:
            raise ValueError(tr("name at least one label (adult, ai_generated, shop, auction)"))
        return self

    def holds(self, labels) -> bool:
        have = set(labels)
        return all(x in have for x in self.all) and (not self.any or any(x in have for x in self.any))


class Selection(_Model):
    """One named test on a listing; every test it gives must pass for it to be true.

    Text tests (keywords, regex) look at `fields`; numeric tests (price, buy_now_price, bids) and
    presence tests (present, absent) look at the field they name.
    """

    fields: list[FieldName] = Field(default_factory=lambda: list(DEFAULT_FIELDS), min_length=1)
    keywords: list[str] = []
    mode: Literal["any", "all"] = "any"
    regex: list[str] = []
    except_: list[str] = Field([], alias="except")
    word: bool = True  # a keyword with a Latin letter at an edge must not touch another one there
    lookalikes: bool = True  # 1 / l for I and 0 for O count too (【A1美女】); never where "A1" reads as a paper size
    price: Range | None = None
    buy_now_price: Range | None = None
    bids: Range | None = None
    present: list[AnyField] = []
    absent: list[AnyField] = []
    image_bank: ImageBankTest | None = None  # a listing image near a bank entry (a confirmed picture, re-listed)
    image_nudity: NudityTest | None = None
    labels: LabelTest | None = None  # the venue's own marks (BOOTH's R-18, DLsite's AI生成, ...)

    @field_validator("keywords", "regex", "except_")
    @classmethod
    def _not_blank(cls, v: list[str]) -> list[str]:
        for s in v:
            if not str(s).strip():
                raise ValueError(tr("entries must not be empty"))
        return v

    @property
    def has_text_test(self) -> bool:
        return bool(self.keywords or self.regex)

    @property
    def ranges(self) -> dict[str, Range]:
        return {f: r for f in NUMERIC_FIELDS if (r := getattr(self, f)) is not None}

    @property
    def has_test(self) -> bool:
        return self.has_text_test or bool(self.ranges or self.present or self.absent or self.image_bank
                                          or self.image_nudity or self.labels)


class Example(_Model):
    """A listing, given by its fields, that a rule must (or must not) flag.

    For a seller rule, an example gives the seller's flagged `listings` and their `total` price.
    """

    title: str = ""
    description: str = ""
    tags: list[str] = []
    category: str = ""
    seller_id: str = ""
    seller_name: str = ""
    site: str = "example"
    currency: str = ""
    image_meta: list[str] = []
    item_id: str = ""
    url: str = ""
    labels: list[Label] = []
    price: Decimal | None = None
    buy_now_price: Decimal | None = None
    bids: int | None = None
    listings: int | None = None
    total: Decimal | None = None
    image_bank: dict[str, int] = {}  # bank -> how far (PDQ bits) the listing's nearest image is from one of its entries
    image_nudity: dict[str, float] = {}  # detector label -> its best score among the listing's images


class Examples(_Model):
    match: list[Example] = []
    no_match: list[Example] = []


class SellerTest(_Model):
    """A repeat seller: at least min_listings flagged listings, or flagged listings worth more than
    min_total, within the last within_days days (optionally only hits of some rules or tags)."""

    min_listings: int | None = Field(None, ge=1)
    min_total: Decimal | None = Field(None, ge=0)
    within_days: int = Field(30, ge=1)
    rules: list[str] = []  # rule ids; * wildcards allowed
    tags: list[str] = []

    @model_validator(mode="after")
    def _a_threshold(self) -> "SellerTest":
        if self.min_listings is None and self.min_total is None:
            raise ValueError(tr("give min_listings, min_total or both"))
        return self

    def fires(self, listings: int, total: Decimal) -> bool:
        return (self.min_listings is not None and listings >= self.min_listings) or (
            self.min_total is not None and total > self.min_total)


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str
    description: str = ""
    severity: Severity
    status: Literal["experimental", "test", "stable", "deprecated"] = "stable"
    tags: list[str] = []
    references: list[str] = []
    falsepositives: list[str] = []
    selections: dict[str, Selection] = {}
    condition: str | None = None
    exceptions: dict[str, Selection] = {}
    seller: SellerTest | None = None
    examples: Examples = Examples()

    @model_validator(mode="after")
    def _one_kind(self) -> "Rule":
        if self.seller is None and not self.selections:
            raise ValueError(tr("a rule needs selections (a listing rule) or seller (a seller rule)"))
        if self.seller is not None and (self.selections or self.exceptions or self.condition):
            raise ValueError(tr("a seller rule takes no selections, exceptions or condition"))
        return self

    @property
    def is_seller_rule(self) -> bool:
        return self.seller is not None

    @property
    def effective_condition(self) -> str:
        return self.condition or " and ".join(self.selections)


class RuleFile(_Model):
    rules: list[Rule] = Field(min_length=1)
