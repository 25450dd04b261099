"""A CSD made at test time (SAT's published test CSDs expired in 2023): the addon's ``make_test_csd``.

One RSA key is reused for every certificate of the session, so the tests pay for
key generation once.
"""
from __future__ import annotations

from addons.einvoice_mx.demo import PASSWORD, make_test_csd

_KEY: list = []


def make_csd(rfc: str, name: str, number: str = "30001000000500003416", **kw) -> tuple[bytes, bytes]:
    if not _KEY:
        from cryptography.hazmat.primitives.asymmetric import rsa
        _KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return make_test_csd(rfc, name, number, key=_KEY[0], **kw)


__all__ = ["PASSWORD", "make_csd"]
