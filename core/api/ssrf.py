"""Webhook URLs must not reach inside the network (SSRF): a merchant's clerk types the URL, the
server POSTs to it, so a URL naming 127.0.0.1, 10.x or the cloud metadata address
169.254.169.254 would let them probe or call what only the server can reach.

The rule is checked twice: when an endpoint is registered and again at every delivery, because
DNS can change between the two (and between a check and a connect: "DNS rebinding"). So a
delivery resolves the name once, checks every address, and connects to the address it checked
(``pinned_post``), sending the name as Host header and TLS SNI / certificate name; it follows no
redirect and has a timeout. ``TESSERA_WEBHOOK_ALLOW_PRIVATE`` (default false) lifts the rule for
a set-up whose receivers live on a private network (and for tests' loopback receivers).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import UserError
from ..i18n import _


class RefusedAddress(UserError):
    """The URL's host is, or resolves to, an address webhooks may not be sent to."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself). Tests replace this."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def forbidden(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified or otherwise not public;
    an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])   # drop an IPv6 zone id (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_addresses(url: str, addresses: list[str]) -> None:
    bad = [a for a in addresses if forbidden(a)]
    if bad:
        raise RefusedAddress(_("url: %(url)s points at a private or reserved address (%(addresses)s); webhooks are "
                               "only sent to public addresses (TESSERA_WEBHOOK_ALLOW_PRIVATE lifts this)",
                               url=repr(url), addresses=", ".join(bad)))


def check_url(url: str, *, allow_private: bool) -> None:
    """At registration: refuse a URL whose host is or resolves to a forbidden address. A name that
    does not resolve yet (a domain not live yet) is accepted: every delivery checks again."""
    if allow_private:
        return
    _scheme, host, port = target(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return
    check_addresses(url, addresses)


def checked_address(url: str, *, allow_private: bool) -> str:
    """At delivery: resolve once and return the address to connect to, refused if any address
    the name resolves to is forbidden (so a round-robin name cannot slip one in)."""
    _scheme, host, port = target(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise RefusedAddress(_("url: the host %(host)s cannot be resolved (%(error)s)", host=host, error=exc)) \
            from None
    if not addresses:
        raise RefusedAddress(_("url: the host %(host)s cannot be resolved (%(error)s)", host=host, error="-"))
    if not allow_private:
        check_addresses(url, addresses)
    return addresses[0]


def pinned_post(url: str, address: str, body: bytes, headers: dict, timeout: float):
    """POST to ``address`` (the one checked) as if to the URL's host: Host header, SNI and the
    certificate check use the name; no redirects, no retries. Returns (status, text)."""
    import certifi
    import urllib3
    scheme, host, port = target(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if scheme == "https" else 80
    host_header = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, timeout=limits, retries=False, server_hostname=host,
                                           assert_hostname=host, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=limits, retries=False)
    try:
        response = pool.urlopen("POST", path, body=body, headers={**headers, "Host": host_header},
                                redirect=False, retries=False, preload_content=True, assert_same_host=False)
        return response.status, response.data[:2000].decode("utf-8", "replace")
    finally:
        pool.close()
