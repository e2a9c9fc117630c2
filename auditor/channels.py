"""config.yaml's `notices:`: where takedown notices go (the channels), who sends them, and when to ask again.

A channel is one way of reporting a listing: the venue's own form (`venue_form`), an abuse address auditor
mails itself (`email`), a hotline's web form (`hotline`: the Internet Hotline Center, SafeLine), or a
notice under Art. 16 of the EU's Digital Services Act (`dsa_notice`). A target names the channels that apply
to it, in order: the first is offered when a takedown is requested, the next when a notice is due again.
A channel missing what it needs is refused when the file is read, naming the key.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from auditor.i18n import tr

KINDS = ("venue_form", "email", "hotline", "dsa_notice")

# what a form's field can be filled with, from the case (auditor.notices.facts says how each is written)
SOURCES = ("urls", "item_ids", "titles", "seller", "reason", "rules", "captured", "evidence", "timestamp",
           "category", "reporter_name", "reporter_email", "reporter_organisation", "summary")
DEFAULT_FIELDS = {  # what most report forms ask, in the order they ask it
    "ja": {"商品のURL": "urls", "商品ID": "item_ids", "商品名": "titles", "出品者": "seller", "違反の内容": "reason",
           "証拠（取得日時）": "captured", "証拠（SHA-256）": "evidence", "申告者": "reporter_name",
           "連絡先": "reporter_email"},
    "en": {"Listing URL": "urls", "Item ID": "item_ids", "Title": "titles", "Seller": "seller", "Reason": "reason",
           "Captured": "captured", "Evidence (SHA-256)": "evidence", "Reporter": "reporter_name",
           "Contact": "reporter_email"},
}
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reporter(_Model):
    """Who the notices come from: what a venue, a hotline or an Art. 16 notice asks of the notifier."""

    name: str = Field("", description="the notifier's name (a person or the team)")
    email: str = Field("", description="where the venue answers")
    organisation: str = Field("", description="the team or company the notices are sent for")

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if v and not _ADDRESS.match(v):
            raise ValueError(tr("{v!r} is not an e-mail address", v=v))
        return v


class SmtpSettings(_Model):
    host: str = Field(description="the SMTP server auditor sends through")
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = Field(True, description="upgrade the connection with STARTTLS before signing in")
    user: str | None = Field(None, description="the account to sign in with (none: no sign-in)")
    password_env: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]*$",
                                     description="the environment variable holding its password (never the file)")
    sender: str = Field(description="the From address")
    timeout: float = Field(30, gt=0, le=300, description="seconds before a silent server counts as a failed send")

    @model_validator(mode="after")
    def _password_with_user(self) -> "SmtpSettings":
        if self.user and not self.password_env:
            raise ValueError(tr("smtp.password_env: a user signs in with a password; name the environment variable "
                             "that holds it"))
        if not _ADDRESS.match(self.sender):
            raise ValueError(tr("smtp.sender: {sender!r} is not an e-mail address", sender=self.sender))
        return self


class Channel(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    kind: Literal[KINDS]
    title: str = Field("", description="as staff read it (「ヤフオク! 違反商品の申告」); default: the name")
    language: Literal["ja", "en"] | None = Field(None, description="the notice's language; default: ja, "
                                                                    "en for dsa_notice")
    url: str | None = Field(None, description="the form's address (venue_form, hotline) or where a DSA notice is "
                                              "filed")
    fields: dict[str, Literal[SOURCES]] | None = Field(None, description="the form's fields, each as the form labels "
                                                                         "it, with what fills it")
    category: str = Field("", description="the category the form asks for (a hotline's 「わいせつ物公然陳列」)")
    to: list[str] = Field([], description="email, dsa_notice: the addresses the notice is mailed to")
    smtp: SmtpSettings | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(tr("{v!r} is not an http(s) address", v=v))
        return v

    @field_validator("to")
    @classmethod
    def _to(cls, v: list[str]) -> list[str]:
        for address in v:
            if not _ADDRESS.match(address):
                raise ValueError(tr("{address!r} is not an e-mail address", address=address))
        return v

    @model_validator(mode="after")
    def _complete(self) -> "Channel":
        if self.kind in ("venue_form", "hotline") and not self.url:
            raise ValueError(tr("channel {name}: url: a {kind} needs the form's address",
                                name=self.name, kind=self.kind))
        if self.kind == "hotline" and not self.category:
            raise ValueError(tr("channel {name}: category: a hotline's form asks for the category (e.g. わいせつ物公然陳列)",
                                name=self.name))
        if self.kind == "email" and not self.to:
            raise ValueError(tr("channel {name}: to: an email channel needs the address it mails", name=self.name))
        if self.to and self.smtp is None:
            raise ValueError(tr("channel {name}: smtp: mailing {value} needs the SMTP server",
                                name=self.name, value=', '.join(self.to)))
        if self.kind == "dsa_notice" and not (self.url or self.to):
            raise ValueError(tr("channel {name}: url or to: a DSA notice is filed at the venue's address or mailed",
                                name=self.name))
        return self

    @property
    def lang(self) -> str:
        return self.language or ("en" if self.kind == "dsa_notice" else "ja")

    @property
    def label(self) -> str:
        return self.title or self.name

    @property
    def mails(self) -> bool:
        """auditor sends it itself (over SMTP); otherwise a person files it and records the receipt."""
        return bool(self.to)

    @property
    def form_fields(self) -> dict[str, str]:
        return self.fields if self.fields is not None else DEFAULT_FIELDS[self.lang]


class NoticeSettings(_Model):
    renotice_days: float = Field(7, gt=0, description="a notice with no removal this long after it was sent is due "
                                                      "again (the next channel of the target is offered)")
    reporter: Reporter = Reporter()
    channels: list[Channel] = []

    @field_validator("channels")
    @classmethod
    def _unique(cls, v: list[Channel]) -> list[Channel]:
        names = [c.name for c in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(tr("channel names must be unique: {value}", value=', '.join(dupes)))
        return v

    @model_validator(mode="after")
    def _reporter_for_dsa(self) -> "NoticeSettings":
        if any(c.kind == "dsa_notice" for c in self.channels) and not (self.reporter.name and self.reporter.email):
            raise ValueError(tr("reporter.name and reporter.email: an Art. 16 DSA notice must name the notifier and "
                             "their e-mail"))
        return self

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)
