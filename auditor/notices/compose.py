"""A notice's words, in its channel's language: the subject, the body, each form field, and for a DSA notice
the Art. 16 document (as JSON too). Pure functions of the facts; nothing here reads the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.channels import Channel, NoticeSettings
from auditor.notices.facts import CaseFacts, ListingFacts
from auditor.notices.text import BODY_LIMIT, FIELD_LIMIT, SUBJECT_LIMIT, block, one_line

WORDS = {
    "ja": {
        "subject": "【違反商品の申告】{what}",
        "seller_what": "出品者 {seller} の出品 {n} 件",
        "opening": "以下の出品は貴サービスの規約および法令に違反するものと考えられるため、確認のうえ削除をお願いいたします。",
        "listing": "出品", "url": "URL", "item_id": "商品ID", "title": "商品名（表示のまま）", "seller": "出品者",
        "reason": "違反の理由", "rules": "該当した検知ルール", "note": "担当者の所見", "category": "種別",
        "captured": "証拠の取得日時", "evidence": "証拠ファイル（SHA-256）", "manifest": "その日の証拠一覧",
        "token": "RFC 3161 タイムスタンプ", "none": "なし", "reporter": "申告者", "contact": "連絡先",
        "more": "…ほか {n} 件（添付の事件ファイルを参照）",
        "closing": "画像は本文に含めていません。証拠ファイルは別途提出できます。",
        "good_faith": "申告者は、本通知に記載した情報および主張が正確かつ完全であると誠実に信じていることを表明します。",
        "default_reason": "生成AIによるわいせつな画像を印刷物等として販売していると判断される出品",
    },
    "en": {
        "subject": "Report of illegal listings: {what}",
        "seller_what": "{n} listings of seller {seller}",
        "opening": "We believe the listings below break your terms and the law, and ask you to review and remove them.",
        "listing": "Listing", "url": "URL", "item_id": "Item ID", "title": "Title (as shown)", "seller": "Seller",
        "reason": "Why it is illegal", "rules": "Detection rules that matched", "note": "Reviewer's finding",
        "category": "Category", "captured": "Evidence captured", "evidence": "Evidence files (SHA-256)",
        "manifest": "The day's evidence manifest", "token": "RFC 3161 time-stamp token", "none": "none",
        "reporter": "Notifier", "contact": "Contact", "more": "… and {n} more (see the attached case file)",
        "closing": "No picture is included in this notice; the evidence files can be provided.",
        "good_faith": "The notifier states a bona fide belief that the information and allegations in this notice are "
                      "accurate and complete.",
        "default_reason": "A listing judged to sell obscene AI-generated images (as prints or files)",
    },
}


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    fields: dict[str, str]  # a form's fields, as the form labels them, each ready to paste
    document: dict = field(default_factory=dict)  # a DSA notice's Art. 16 elements


def compose(channel: Channel, settings: NoticeSettings, facts: CaseFacts) -> Draft:
    lang = channel.lang
    w = WORDS[lang]
    listings = facts.listings
    if len(listings) == 1:
        x = listings[0]
        what = f"{x.site} {x.item_id} {x.title}"
    else:
        what = w["seller_what"].format(seller=facts.seller or "–", n=len(listings))
    subject = one_line(w["subject"].format(what=what), SUBJECT_LIMIT)
    body = _body(channel, settings, facts, w)
    fields = {one_line(label, 200): _value(source, channel, settings, facts, w, body)
              for label, source in channel.form_fields.items()}
    document = _dsa(channel, settings, facts, w) if channel.kind == "dsa_notice" else {}
    return Draft(subject, body, fields, document)


def reason(x: ListingFacts, channel: Channel, w: dict) -> str:
    """Why this listing breaks the rules: the reviewer's finding, the category the channel files it under, and
    the rules that matched."""
    parts = [x.note or w["default_reason"]]
    if channel.category:
        parts.append(f"{w['category']}: {one_line(channel.category, 200)}")
    if x.rules:
        parts.append(f"{w['rules']}: " + "; ".join(x.rules))
    return block("\n".join(parts), FIELD_LIMIT)


def _captured(x: ListingFacts) -> str:
    return f"{x.captured_local} / {x.captured_utc} (UTC)" if x.captured_utc != "–" else "–"


def _evidence(x: ListingFacts, w: dict) -> list[str]:
    lines = [f"{f.sha256}  {f.path} ({f.kind})" for f in x.files] or [w["none"]]
    if x.manifest:
        lines.append(f"{w['manifest']}: {x.manifest}")
    if x.token:
        lines.append(f"{w['token']}: {x.token}")
    return lines


def _listing_block(i: int, x: ListingFacts, channel: Channel, w: dict) -> list[str]:
    lines = [f"[{w['listing']} {i}]", f"{w['url']}: {x.url}", f"{w['item_id']}: {x.item_id} ({x.site})",
             f"{w['title']}: {x.title}", f"{w['seller']}: {x.seller}", f"{w['reason']}:"]
    lines += [f"  {line}" for line in reason(x, channel, w).split("\n")]
    lines.append(f"{w['captured']}: {_captured(x)}")
    lines.append(f"{w['evidence']}:")
    lines += [f"  {line}" for line in _evidence(x, w)]
    return lines


def _body(channel: Channel, settings: NoticeSettings, facts: CaseFacts, w: dict) -> str:
    head = [w["opening"], ""]
    r = settings.reporter
    tail = ["", w["closing"]]
    if channel.kind == "dsa_notice":
        tail.append(w["good_faith"])
    tail += ["", f"{w['reporter']}: {one_line(' / '.join(v for v in (r.name, r.organisation) if v) or '–', 300)}",
             f"{w['contact']}: {r.email or '–'}"]
    room = BODY_LIMIT - len("\n".join(head + tail)) - 200
    parts: list[str] = []
    for i, x in enumerate(facts.listings, 1):
        piece = "\n".join(_listing_block(i, x, channel, w)) + "\n"
        if len("\n".join(parts)) + len(piece) > room:
            parts.append(w["more"].format(n=len(facts.listings) - i + 1))
            break
        parts.append(piece)
    return "\n".join(head + parts + tail)


def _value(source: str, channel: Channel, settings: NoticeSettings, facts: CaseFacts, w: dict, body: str) -> str:
    xs, r = facts.listings, settings.reporter
    values = {
        "urls": lambda: "\n".join(x.url for x in xs),
        "item_ids": lambda: ", ".join(x.item_id for x in xs),
        "titles": lambda: "\n".join(x.title for x in xs),
        "seller": lambda: facts.seller or "\n".join(dict.fromkeys(x.seller for x in xs)),
        "reason": lambda: "\n\n".join(f"{x.item_id}: {reason(x, channel, w)}" if len(xs) > 1 else reason(x, channel, w)
                                      for x in xs),
        "rules": lambda: "\n".join(dict.fromkeys(rule for x in xs for rule in x.rules)),
        "captured": lambda: "\n".join(f"{x.item_id}: {_captured(x)}" for x in xs),
        "evidence": lambda: "\n".join(f"{x.item_id}: {line}" for x in xs for line in _evidence(x, w)),
        "timestamp": lambda: "\n".join(dict.fromkeys(x.token for x in xs if x.token)) or w["none"],
        "category": lambda: channel.category,
        "reporter_name": lambda: r.name, "reporter_email": lambda: r.email,
        "reporter_organisation": lambda: r.organisation,
        "summary": lambda: body,
    }
    return block(values[source](), BODY_LIMIT if source == "summary" else FIELD_LIMIT)


def _dsa(channel: Channel, settings: NoticeSettings, facts: CaseFacts, w: dict) -> dict:
    """The elements Art. 16(2) DSA requires of a notice: (a) why the content is illegal, (b) its exact
    electronic location, (c) the notifier's name and e-mail, (d) the statement of good faith."""
    r = settings.reporter
    return {
        "regulation": "Regulation (EU) 2022/2065 (Digital Services Act), Article 16",
        "explanation": [{"url": x.url, "reasons": reason(x, channel, w)} for x in facts.listings],  # (a)
        "locations": [{"url": x.url, "item_id": x.item_id, "venue": x.site, "title": x.title, "seller": x.seller,
                       "captured": _captured(x), "evidence_sha256": [f.sha256 for f in x.files]}
                      for x in facts.listings],  # (b)
        "notifier": {"name": r.name, "email": r.email, "organisation": r.organisation},  # (c)
        "good_faith_statement": w["good_faith"],  # (d)
        "language": channel.lang,
    }
