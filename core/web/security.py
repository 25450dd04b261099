"""Response security headers, the per-request CSP nonce, and trusted reverse proxies.

The Content-Security-Policy allows scripts and styles only from this origin and
scripts that carry the request's nonce (Flask-Admin's templates put it on their
``<script>`` tags through ``csp_nonce_generator``); no inline event handlers,
no ``javascript:`` URLs, no framing, no plugins. Templates that need an inline
script write ``<script nonce="{{ csp_nonce() }}">``.

Behind a reverse proxy the peer address is the proxy's. ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed only when the peer is one of
``TESSERA_TRUSTED_PROXIES`` (and, hop by hop, only as far back as the chain
stays among them); anyone else could write those headers themselves and pick
the address the login throttle sees.
"""
from __future__ import annotations

import ipaddress
import secrets

from flask import g
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """The nonce of the request being served (one per request, unguessable)."""
    if "_csp_nonce" not in g:
        g._csp_nonce = secrets.token_urlsafe(18)
    return g._csp_nonce


def add_security_headers(response, production: bool):
    """Every response: CSP, framing, sniffing, referrer and feature policies; HSTS in production."""
    response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if production:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class TrustedProxies:
    """WSGI middleware: werkzeug's ``ProxyFix`` for requests that come through named proxies only."""

    def __init__(self, app, proxies):
        self.app = app
        self.networks = [ipaddress.ip_network(p, strict=False) for p in proxies]
        self._fixes: dict[int, ProxyFix] = {}

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def hops(self, environ) -> int:
        """How many X-Forwarded-For entries (from the right) were added by trusted proxies."""
        if not self._trusted(environ.get("REMOTE_ADDR", "")):
            return 0
        chain = [a for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        hops = 1
        # The rightmost entry came from our proxy; keep going left while it is a proxy of ours too.
        while hops < len(chain) and self._trusted(chain[-hops]):
            hops += 1
        return hops

    def __call__(self, environ, start_response):
        hops = self.hops(environ)
        if not hops:
            return self.app(environ, start_response)
        if hops not in self._fixes:
            self._fixes[hops] = ProxyFix(self.app, x_for=hops, x_proto=1)
        return self._fixes[hops](environ, start_response)
