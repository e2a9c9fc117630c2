"""One image (or any capped body) over plain HTTP: streamed, given up past a byte cap, never raising."""

from __future__ import annotations

import httpx

from auditor.crawl.addresses import Refusal

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "image/avif": "avif"}


async def fetch_image(client: httpx.AsyncClient, url: str, cap: int, timeout: float) -> tuple[tuple[str, str, bytes] | None, str | None]:
    """(url, content type, body) of one listing image, read as a stream and given up past `cap` bytes; else why not."""
    if not url.lower().startswith(("http://", "https://")):
        return None, f"image not kept: {url[:200]} is not an http(s) address"
    try:
        async with client.stream("GET", url, timeout=timeout) as r:
            ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
            if r.status_code != 200 or ctype not in IMAGE_TYPES:
                return None, f"image not kept: {url[:200]} answered {r.status_code} {ctype[:50]}"
            body = bytearray()
            async for chunk in r.aiter_bytes():
                body += chunk
                if len(body) > cap:
                    return None, f"image not kept: {url[:200]} is over the {cap:,} byte cap"
    except Refusal as e:
        return None, f"image not fetched: {url[:200]}: {e}"
    except httpx.HTTPError as e:
        return None, f"image not kept: {url[:200]}: {type(e).__name__}: {str(e)[:200]}"
    return (url, ctype, bytes(body)), None
