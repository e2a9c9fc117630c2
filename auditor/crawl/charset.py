"""Page bytes to text: the declared charset (header or <meta>), else UTF-8, else Shift_JIS / EUC-JP.

Japanese marketplaces still serve Shift_JIS and EUC-JP pages, some with no charset declared.
"""

from __future__ import annotations

import re

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Bytes of a saved page as text: its declared charset, else UTF-8, else the Japanese legacy ones."""
    candidates = [declared] if declared else []
    m = _CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii"))
    for name in (*candidates, "utf-8", "shift_jis", "cp932", "euc_jp"):
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


