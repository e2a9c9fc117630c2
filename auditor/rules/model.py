"""The rule format: typed models of what staff write in rules/*.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SEVERITIES = ("info", "low", "medium", "high", "critical")
TEXT_FIELDS = ("title", "description", "tags", "category", "seller_id", "seller_name", "site")
DEFAULT_FIELDS = ("title", "description", "tags")

Severity = Literal["info", "low", "medium", "high", "critical"]
FieldName = Literal["title", "description", "tags", "category", "seller_id", "seller_name", "site"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Selection(_Model):
    """One named test on a listing: keywords and/or regular expressions over some fields."""

    fields: list[FieldName] = Field(default_factory=lambda: list(DEFAULT_FIELDS), min_length=1)
    keywords: list[str] = []
    mode: Literal["any", "all"] = "any"
    regex: list[str] = []
    except_: list[str] = Field([], alias="except")
    word: bool = True  # a keyword with a Latin letter at an edge must not touch another one there

    @field_validator("keywords", "regex", "except_")
    @classmethod
    def _not_blank(cls, v: list[str]) -> list[str]:
        for s in v:
            if not str(s).strip():
                raise ValueError("entries must not be empty")
        return v


class Example(_Model):
    """A listing, given by its fields, that a rule must (or must not) flag."""

    title: str = ""
    description: str = ""
    tags: list[str] = []
    category: str = ""
    seller_id: str = ""
    seller_name: str = ""
    site: str = "example"


class Examples(_Model):
    match: list[Example] = []
    no_match: list[Example] = []


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str
    description: str = ""
    severity: Severity
    status: Literal["experimental", "test", "stable", "deprecated"] = "stable"
    tags: list[str] = []
    references: list[str] = []
    selections: dict[str, Selection] = Field(min_length=1)
    condition: str | None = None
    examples: Examples = Examples()

    @property
    def effective_condition(self) -> str:
        return self.condition or " and ".join(self.selections)


class RuleFile(_Model):
    rules: list[Rule] = Field(min_length=1)
