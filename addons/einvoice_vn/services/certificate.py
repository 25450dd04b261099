"""The business's signing certificate: a PKCS#12 file and its password, both encrypted secret settings.

``upload_certificate`` checks the file opens with the password, is valid now and
carries the business's tax code (when the certificate names one), then stores it
base64 in the secret setting ``certificate_p12`` and the password in
``certificate_password`` (core.settings encrypts both; screens show them masked).
"""
from __future__ import annotations

import base64
import binascii

from core.errors import UserError
from core.i18n import _
from core.jobs import addon_settings, binding_for

from .. import signing


def upload_certificate(session, data: bytes, password: str) -> dict:
    from core.models import Business
    from core.settings import set_settings
    if not data:
        raise UserError(_("certificate: the PKCS#12 (.p12 / .pfx) file is required"))
    key, cert = signing.load_pkcs12(data, password)
    signing.check_valid(cert)
    business = session.get(Business, session.info["business_id"])
    tax_id = (business.tax_id or "").replace("-", "")
    subject = cert.subject.rfc4514_string()
    if "MST:" in subject and tax_id and f"MST:{tax_id}" not in subject.replace("-", ""):
        raise UserError(_("certificate: it belongs to another tax code (%(subject)s), not to %(tax_id)s",
                          subject=subject, tax_id=tax_id))
    runtime = binding_for(session).runtime
    set_settings(session, runtime.registry, "einvoice_vn",
                 {"certificate_p12": base64.b64encode(data).decode(), "certificate_password": password or ""},
                 runtime.config["SECRET_KEY"])
    return signing.describe(cert)


def signer(session):
    """(key, certificate) of the uploaded certificate, or None when there is none."""
    conf = addon_settings(session, "einvoice_vn")
    if not conf["certificate_p12"]:
        return None
    try:
        data = base64.b64decode(conf["certificate_p12"], validate=True)
    except (binascii.Error, ValueError):
        raise UserError(_("certificate: the stored PKCS#12 is not base64; upload it again")) from None
    key, cert = signing.load_pkcs12(data, conf["certificate_password"])
    signing.check_valid(cert)
    return key, cert
