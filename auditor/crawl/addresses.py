"""Which addresses auditor may reach: public ones, and the private ones the config names.

Marketplace pages are written by the people being audited, and auditor runs inside a company
network. Every connection auditor or its browser makes (pages, redirects, images, robots.txt,
scripts, beacons) goes through one check, made on the address actually connected to:

- only http and https;
- a host name is resolved, and every address it resolves to must be public: loopback,
  private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast and reserved
  addresses are refused, IPv4 written inside IPv6 included;
- unless `crawl.allow_addresses` names it: a network (`10.1.0.0/16`), an address with a port
  (`127.0.0.1:8080`), or a host name (`mirror.internal`, optionally with `:port`). A local
  marketplace auditor starts itself (the demo) is allowed by its exact address and port.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from auditor.config import Allowance

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
DNS_SECONDS = 300  # how long a resolved name is trusted
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refusal(Exception):
    """An address the policy does not let auditor reach; the message says why, in plain words."""


def _plain(ip: IP) -> IP:
    """IPv4 written inside IPv6 (::ffff:127.0.0.1, 64:ff9b::7f00:1 aside) is judged as the IPv4 it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def why_not_public(ip: IP) -> str | None:
    """None for a public address; else what kind of address it is."""
    ip = _plain(ip)
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private or reserved address"
    return None


@dataclass
class AddressPolicy:
    """The check every connection passes; `resolve` gives the one address to connect to."""

    allow: tuple[Allowance, ...] = ()
    _names: dict[str, tuple[float, list[IP]]] = field(default_factory=dict, repr=False)

    @classmethod
    def allowing(cls, *entries: str) -> "AddressPolicy":
        return cls(tuple(Allowance.parse(e) for e in entries))

    def extended(self, *entries: str) -> "AddressPolicy":
        return AddressPolicy(self.allow + tuple(Allowance.parse(e) for e in entries), self._names)

    def check_url(self, url: str) -> tuple[str, int]:
        """The host and port of an http(s) URL; Refusal for any other kind of address."""
        try:
            parts = urlsplit(url)
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            raise Refusal(f"{url[:200]!r} is not a valid address") from None
        if parts.scheme.lower() not in DEFAULT_PORTS:
            raise Refusal(f"only http and https are fetched, not {parts.scheme or 'a relative address'}:")
        if not parts.hostname:
            raise Refusal("the address has no host")
        return parts.hostname, port

    def check_literal(self, host: str, port: int) -> None:
        """Refusal for an internal address written out (an IP literal, localhost), without resolving a name: what
        is still checked here when an upstream proxy resolves names (auditor/crawl/proxies.py)."""
        name = host.lower().rstrip(".").strip("[]")
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            if name == "localhost" or name.endswith(".localhost"):
                raise Refusal(f"{name} is this machine") from None
            return
        reason = why_not_public(ip)
        if reason and not any(a.allows(name, ip, port) for a in self.allow):
            raise Refusal(f"{name} is {reason}; crawl.allow_addresses can allow it")

    def resolve(self, host: str, port: int) -> IP | str:
        """The address to connect to (an IP, or the host name itself when an allowance names the host).

        Blocking (DNS): call it from a thread or a loop's executor."""
        host = host.lower().rstrip(".").strip("[]")
        if any(a.host is not None and a.allows(host, None, port) for a in self.allow):
            return host
        try:
            ips = [ipaddress.ip_address(host)]
        except ValueError:
            ips = self._lookup(host, port)
        for ip in ips:
            reason = why_not_public(ip)
            if reason and not any(a.allows(host, ip, port) for a in self.allow):
                shown = host if host == str(ip) else f"{host} ({ip})"
                raise Refusal(f"{shown} is {reason}; crawl.allow_addresses can allow it")
        return ips[0]

    def _lookup(self, host: str, port: int) -> list[IP]:
        cached = self._names.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise LookupError(f"{host}: the name does not resolve ({e})") from None
        ips = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        self._names[host] = (time.monotonic() + DNS_SECONDS, ips)
        return ips
