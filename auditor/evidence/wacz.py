"""Each capture as a signed WACZ web archive: the listing page exactly as the evidence browser received it.

`archive.wacz` beside a capture's other files holds a WARC of every request the page made and the response
the browser received (warcio), `pages/pages.jsonl` naming the page, its CDXJ index and `datapackage.json`
listing each file with its SHA-256 (the `wacz` library builds the package). `datapackage-digest.json` signs the
package per the WACZ signing and verification spec (anonymous signing): the package's hash, an ECDSA P-256
signature of it by this installation's key (`<data folder>/evidence-signing-key.pem`, made on first use, the
team's alone) with its public key, and, where `evidence.tsa_url` names a time-stamping authority, the RFC 3161
token of that signature (`timeSignature`). So an archive verifies offline: `auditor evidence verify` checks every
file against the package, the package against its digest, the signature against the key, and the token against
the signature and the authority's certificates. Any WACZ player (ReplayWeb.page, pywb) replays it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import threading
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from auditor.models import Snapshot

SOFTWARE = "auditor"
_HOP = {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}  # the body is decoded


def write_archive(path: Path, snap: Snapshot, at: datetime, title: str, key_path: Path | None,
                  tsa_url: str | None = None) -> None:
    """The capture's WACZ at path (written whole, then moved into place by the caller's folder rename)."""
    wacz_main = _quiet_wacz()
    with tempfile.TemporaryDirectory(prefix="wacz-") as tmp:
        warc = Path(tmp) / "data.warc.gz"
        _write_warc(warc, snap, at)
        pages = Path(tmp) / "pages.jsonl"
        stamp = at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        pages.write_text(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n"
                         + json.dumps({"id": uuid.uuid4().hex, "url": snap.final_url, "ts": stamp, "title": title[:300]},
                                      ensure_ascii=False) + "\n", encoding="utf-8")
        built = Path(tmp) / "archive.wacz"
        code = wacz_main(["create", "-o", str(built), "-p", str(pages), "--copy-pages", "--title",
                          title[:300] or snap.final_url, str(warc)])
        if code not in (0, None) or not built.is_file():
            raise OSError(f"the web archive could not be built (wacz exit {code})")
        _sign(built, path, key_path, tsa_url)


def _quiet_wacz():
    """The wacz library's `create`, with what it says on standard output kept to itself. Its modules' own `print`
    is replaced (redirecting sys.stdout instead would race: captures run in threads, and the CLI prints beside)."""
    import wacz.main
    import wacz.util
    import wacz.waczindexer

    for module in (wacz.main, wacz.util, wacz.waczindexer):
        module.print = lambda *args, **kwargs: None
    return wacz.main.main


def _write_warc(path: Path, snap: Snapshot, at: datetime) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": SOFTWARE, "format":
                                                                      "WARC File Format 1.1"}))
        for x in snap.exchanges:
            when = x.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts = urlsplit(x.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            headers = [(k, v) for k, v in x.headers if k.lower() not in _HOP] + [("Content-Length", str(len(x.body)))]
            response = writer.create_warc_record(
                x.url, "response", payload=io.BytesIO(x.body), length=len(x.body),
                http_headers=StatusAndHeaders(f"{x.status} {x.status_text or 'OK'}", headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": when})
            sent = [(k, v) for k, v in x.request_headers if not k.startswith(":")]
            request = writer.create_warc_record(
                x.url, "request", payload=io.BytesIO(b""), length=0,
                http_headers=StatusAndHeaders(f"{x.method} {target} HTTP/1.1", sent, is_http_request=True),
                warc_headers_dict={"WARC-Date": when,
                                   "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})
            writer.write_record(response)
            writer.write_record(request)


_KEYS: dict[Path, object] = {}
_MAKING = threading.Lock()


def signing_key(path: Path):
    """This installation's ECDSA P-256 key, made on first use (readable by auditor's user alone). Made whole in a
    file of its own, then linked into place: captures at once, or workers on one disk, never read half a key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = Path(path)
    with _MAKING:
        if path in _KEYS:
            return _KEYS[path]
        if not path.is_file():
            key = ec.generate_private_key(ec.SECP256R1())
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # 0600
            try:
                with open(fd, "wb") as f:
                    f.write(pem)
                    f.flush()
                    os.fsync(f.fileno())
                try:
                    os.link(tmp, path)  # never over a key another process made meanwhile: that one is kept
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        _KEYS[path] = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return _KEYS[path]


def _sign(built: Path, out: Path, key_path: Path | None, tsa_url: str | None) -> None:
    """Copy the package to out with its datapackage-digest.json signed (and time-stamped)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    with zipfile.ZipFile(built) as z:
        package = z.read("datapackage.json")
        members = [(info, z.read(info.filename)) for info in z.infolist() if info.filename != "datapackage-digest.json"]
    digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
    if key_path is not None:
        key = signing_key(key_path)
        signature = key.sign(digest["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        signed = {"hash": digest["hash"], "signature": base64.b64encode(signature).decode(),
                  "publicKey": base64.b64encode(public).decode(), "created": json.loads(package)["created"],
                  "software": SOFTWARE}
        if tsa_url:
            from auditor.evidence.timestamps import token_for

            token = token_for(signature, tsa_url, out.parent.name)
            if token is not None:
                signed["timeSignature"] = base64.b64encode(token).decode()
        digest["signedData"] = signed
    with zipfile.ZipFile(out, "w") as z:
        for info, data in members:
            z.writestr(info, data)
        z.writestr(zipfile.ZipInfo("datapackage-digest.json", date_time=members[0][0].date_time),
                   json.dumps(digest, indent=2), compress_type=zipfile.ZIP_DEFLATED)


def verify_archive(path: Path, tsa_certs: Path | None = None) -> str | None:
    """What does not hold in a WACZ (None: it all holds): a file against the package, the package against its
    digest, the signature against its key, the time-stamp token against the signature and the authority."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        with zipfile.ZipFile(path) as z:
            package_bytes = z.read("datapackage.json")
            digest = json.loads(z.read("datapackage-digest.json"))
            package = json.loads(package_bytes)
            for resource in package.get("resources", []):
                algo, _, want = str(resource.get("hash", "")).partition(":")
                if algo != "sha256" or hashlib.sha256(z.read(resource["path"])).hexdigest() != want:
                    return f"{resource.get('path')} differs from the archive's package (datapackage.json)"
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        return f"not a readable WACZ ({type(e).__name__}: {str(e)[:120]})"
    if digest.get("hash") != "sha256:" + hashlib.sha256(package_bytes).hexdigest():
        return "datapackage.json differs from its digest"
    signed = digest.get("signedData")
    if not signed:
        return "not signed"
    try:
        key = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
        signature = base64.b64decode(signed["signature"])
        key.verify(signature, digest["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return "its signature does not hold"
    if signed.get("hash") != digest["hash"] or signed.get("created") != package.get("created"):
        return "its signed data is not of this package"
    if "timeSignature" in signed:
        return _check_token(base64.b64decode(signed["timeSignature"]), signature, tsa_certs)
    return None


def _check_token(token: bytes, signature: bytes, certs: Path | None) -> str | None:
    from rfc3161_client import decode_timestamp_response

    from auditor.evidence.timestamps import holds

    try:
        response = decode_timestamp_response(token)
    except ValueError as e:
        return f"its time-stamp token cannot be read ({str(e)[:100]})"
    if response.tst_info.message_imprint.message != hashlib.sha256(signature).digest():
        return "its time-stamp token is for another signature"
    return holds(response, signature, certs) if certs is not None else None

