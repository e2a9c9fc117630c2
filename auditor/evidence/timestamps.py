"""RFC 3161 time-stamps of the daily evidence manifests: a third party vouches for when they existed.

After a run writes manifests/DAY.sha256, and `evidence.tsa_url` names a time-stamping authority, the
manifest's SHA-256 is sent to it (rfc3161-client builds the request and reads the answer; it makes no
network call of its own) and the signed answer is kept beside the manifest as DAY.sha256.tsr. The
manifest lists every evidence file of the day with its SHA-256 (each capture.json among them), so one
token vouches for all of them. A TSA that fails is logged and leaves the manifest unstamped; the run
goes on. `auditor evidence verify` checks each token against the manifest as it is now and against
the authority's certificates (`evidence.tsa_certs`, a PEM file of its root and intermediates).

The same files can be checked without auditor:
`openssl ts -verify -data manifests/DAY.sha256 -in manifests/DAY.sha256.tsr -CAfile tsa-root.pem`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path

import httpx

from auditor.files import write_atomic
from auditor.logs import without_credentials

log = logging.getLogger(__name__)
TOKEN_SUFFIX = ".tsr"
TIMEOUT = 20.0


def token_path(manifest: Path) -> Path:
    return manifest.with_name(manifest.name + TOKEN_SUFFIX)


def stamp(manifest: Path, tsa_url: str) -> datetime | None:
    """Ask the TSA to time-stamp the manifest as it is now; keep its token beside it. The time it vouches for, or
    None (logged) when it could not be had."""
    from rfc3161_client import decode_timestamp_response

    token = token_for(manifest.read_bytes(), tsa_url, manifest.name)
    if token is None:
        return None
    write_atomic(token_path(manifest), token)
    return decode_timestamp_response(token).tst_info.gen_time


def token_for(data: bytes, tsa_url: str, what: str) -> bytes | None:
    """The TSA's signed answer (an RFC 3161 time-stamp response, DER) for data, or None (logged)."""
    from rfc3161_client import HashAlgorithm, PKIStatus, TimestampRequestBuilder, decode_timestamp_response

    request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
               .cert_request(cert_request=True).build())
    try:
        r = httpx.post(tsa_url, content=request.as_bytes(), timeout=TIMEOUT, trust_env=False,
                       headers={"Content-Type": "application/timestamp-query"})
        r.raise_for_status()
        response = decode_timestamp_response(r.content)
    except (httpx.HTTPError, ValueError) as e:
        log.error("no time-stamp for %s from %s: %s", what, without_credentials(tsa_url),
                  without_credentials(str(e))[:200])
        return None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        log.error("the TSA refused to time-stamp %s (status %s)", what, response.status)
        return None
    if response.tst_info.nonce != request.nonce or \
            response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        log.error("the TSA's answer for %s is not for this request", what)
        return None
    return response.as_bytes()


def check(manifest: Path, certs: Path | None) -> tuple[datetime | None, str | None]:
    """(the time the token vouches for, what does not hold or None) for a manifest and its token."""
    from rfc3161_client import decode_timestamp_response

    token = token_path(manifest)
    if not token.is_file():
        return None, "not time-stamped"
    try:
        response = decode_timestamp_response(token.read_bytes())
    except ValueError as e:
        return None, f"its time-stamp token cannot be read ({str(e)[:100]})"
    when = response.tst_info.gen_time
    if certs is None:
        return when, "its time-stamp is not checked: set evidence.tsa_certs to the authority's certificates"
    return when, holds(response, manifest.read_bytes(), certs)


def holds(response, data: bytes, certs: Path) -> str | None:
    """What does not hold of a time-stamp response for data, checked against the authority's certificates (a PEM
    file of its root and intermediates), or None."""
    from cryptography import x509
    from rfc3161_client import VerificationError, VerifierBuilder

    chain = x509.load_pem_x509_certificates(Path(certs).read_bytes())
    roots = [c for c in chain if c.issuer == c.subject]
    builder = VerifierBuilder(roots=roots, intermediates=[c for c in chain if c.issuer != c.subject])
    try:
        builder.build().verify_message(response, data)
    except VerificationError as e:
        return f"its time-stamp does not hold: {str(e)[:200]}"
    return None
