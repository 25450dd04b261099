"""The merchant's CSD (certificado de sello digital): upload, checks, and the signer built from it.

The ``.key`` file and its password are encrypted at rest (Fernet, with a key
derived from the instance's SECRET_KEY, like secret settings) and never shown
again. A certificate is refused when it is not a CSD, has expired or is not yet
valid, or carries another RFC than the business's (the emisor's); signing checks
the validity again, at the moment of signing.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from sqlalchemy import select, update

from core.errors import FieldErrors, UserError
from core.i18n import _
from core.jobs import binding_for

from ..models import Csd


def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    digest = hashlib.sha256(("tessera-einvoice-mx-csd:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secret_key(session) -> str:
    return binding_for(session).runtime.config["SECRET_KEY"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def read_signer(certificate: bytes, key: bytes, password: str):
    """The satcfdi Signer of a .cer (DER) and .key (PKCS#8 DER, encrypted) pair; FieldErrors on bad files."""
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    from OpenSSL import crypto
    from satcfdi.models import Signer
    problems = []
    try:
        cert = crypto.load_certificate(crypto.FILETYPE_ASN1, certificate)
    except Exception:  # noqa: BLE001 - any parse failure is the same mistake for the clerk
        problems.append(_("certificate: not a DER certificate (.cer) file"))
        cert = None
    try:
        private = load_der_private_key(key, password=(password or "").encode() or None)
    except (ValueError, TypeError):
        problems.append(_("key: the .key file cannot be opened with this password"))
        private = None
    if problems:
        raise FieldErrors(problems)
    try:
        return Signer(cert, private)
    except Exception:  # noqa: BLE001 - satcfdi raises CFDIError when the key is not the certificate's
        raise FieldErrors([_("key: this key does not belong to the certificate")]) from None


def check_signer(signer, emisor_rfc: str, at: datetime | None = None) -> dict:
    """Refuse an expired (or not yet valid) certificate, a FIEL, or one whose RFC is not the emisor's."""
    at = at or _now()
    x509 = signer.certificate.to_cryptography()
    valid_from, valid_to = x509.not_valid_before_utc, x509.not_valid_after_utc
    rfc = str(signer.rfc or "")
    if at > valid_to:
        raise UserError(_("certificate %(number)s expired on %(date)s; upload a valid CSD",
                          number=signer.certificate_number, date=valid_to.date().isoformat()))
    if at < valid_from:
        raise UserError(_("certificate %(number)s is valid only from %(date)s",
                          number=signer.certificate_number, date=valid_from.date().isoformat()))
    if not rfc:
        raise UserError(_("certificate %(number)s carries no RFC in its subject", number=signer.certificate_number))
    if rfc != emisor_rfc:
        raise UserError(_("certificate %(number)s belongs to RFC %(rfc)s, not to the emisor %(emisor)s",
                          number=signer.certificate_number, rfc=rfc, emisor=emisor_rfc or "-"))
    from satcfdi.models.certificate import CertificateType
    if signer.type == CertificateType.Fiel:
        raise UserError(_("certificate %(number)s is an e.firma (FIEL); CFDIs are signed with a CSD",
                          number=signer.certificate_number))
    return {"certificate_number": signer.certificate_number, "rfc": rfc, "legal_name": signer.legal_name or "",
            "valid_from": valid_from, "valid_to": valid_to}


def emisor_rfc(session) -> str:
    from core.models import Business
    business = session.get(Business, session.info["business_id"])
    return (business.tax_id or "").strip().upper()


def upload_csd(session, *, certificate: bytes, key: bytes, password: str) -> Csd:
    """Store a CSD for the business (the newest active one signs); refused unless it can sign now."""
    if not certificate or not key:
        raise FieldErrors([p for p, v in ((_("certificate: the .cer file is required"), certificate),
                                          (_("key: the .key file is required"), key)) if not v])
    signer = read_signer(certificate, key, password)
    facts = check_signer(signer, emisor_rfc(session))
    existing = session.scalar(select(Csd).where(Csd.certificate_number == facts["certificate_number"]))
    if existing is not None:
        raise UserError(_("certificate %(number)s is already uploaded", number=facts["certificate_number"]))
    fernet = _fernet(_secret_key(session))
    session.execute(update(Csd).where(Csd.active.is_(True)).values(active=False))
    row = Csd(certificate_number=facts["certificate_number"], rfc=facts["rfc"], legal_name=facts["legal_name"],
              valid_from=facts["valid_from"], valid_to=facts["valid_to"],
              certificate=certificate, key_encrypted=fernet.encrypt(key),
              password_encrypted=fernet.encrypt((password or "").encode()), active=True)
    session.add(row)
    session.flush()
    return row


def active_csd(session) -> Csd:
    row = session.scalar(select(Csd).where(Csd.active.is_(True)).order_by(Csd.id.desc()).limit(1))
    if row is None:
        raise UserError(_("no CSD uploaded: upload the certificate (.cer), key (.key) and its password "
                          "(Invoicing > CSD certificates, or manage.py einvoice_mx csd-upload)"),
                        cli_hint="manage.py einvoice_mx csd-upload --cer FILE --key FILE")
    return row


def signer_of(session, row: Csd | None = None, at: datetime | None = None):
    """The signer of the active CSD, checked against the emisor and the moment of signing."""
    row = row or active_csd(session)
    fernet = _fernet(_secret_key(session))
    signer = read_signer(row.certificate, fernet.decrypt(row.key_encrypted),
                         fernet.decrypt(row.password_encrypted).decode())
    check_signer(signer, emisor_rfc(session), at=at)
    return signer


def describe(row: Csd) -> dict:
    """What may be shown of a CSD: never the key or the password."""
    return {"certificate_number": row.certificate_number, "rfc": row.rfc, "legal_name": row.legal_name,
            "valid_from": row.valid_from, "valid_to": row.valid_to, "active": row.active,
            "expired": _aware(row.valid_to) < _now()}

