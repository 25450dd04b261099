"""The seller's XMLDSig signature of an invoice XML: enveloped, RSA-SHA256, over ``DLHDon`` by its Id (signxml).

The signature goes into ``DSCKS/NBan`` with ``Reference URI="#<DLHDon Id>"``, inclusive
C14N 1.0 and the signer's certificate in ``KeyInfo/X509Data``, as the samples and the
tax authority's format have it. The key and certificate come from a PKCS#12 file
(``load_pkcs12``); ``make_test_pkcs12`` makes a throw-away one (demo, tests).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lxml import etree

from core.errors import UserError
from core.i18n import _

DS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


def load_pkcs12(data: bytes, password: str):
    """(private key, certificate) of a PKCS#12 file; UserError naming the field when it cannot be read."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, (password or "").encode() or None)
    except (ValueError, TypeError):
        raise UserError(_("certificate: the PKCS#12 file cannot be opened with this password")) from None
    if key is None or cert is None:
        raise UserError(_("certificate: the PKCS#12 file holds no private key and certificate"))
    return key, cert


def describe(cert) -> dict:
    from cryptography.x509.oid import NameOID
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {"subject": names[0].value if names else cert.subject.rfc4514_string(),
            "serial": format(cert.serial_number, "X"), "valid_from": cert.not_valid_before_utc,
            "valid_to": cert.not_valid_after_utc}


def check_valid(cert, at: datetime | None = None) -> None:
    at = at or datetime.now(timezone.utc)
    if at > cert.not_valid_after_utc:
        raise UserError(_("certificate %(subject)s expired on %(date)s; upload a valid one",
                          subject=describe(cert)["subject"], date=cert.not_valid_after_utc.date().isoformat()))
    if at < cert.not_valid_before_utc:
        raise UserError(_("certificate %(subject)s is valid only from %(date)s", subject=describe(cert)["subject"],
                          date=cert.not_valid_before_utc.date().isoformat()))


def sign(xml: bytes, key, cert, *, data="DLHDon", place="DSCKS/NBan") -> bytes:
    """``xml`` (an unsigned HDon, or a TBao with ``data="DLTBao", place="DSCKS/NNT"``) with the signature."""
    from cryptography.hazmat.primitives import serialization
    from signxml import SignatureMethod, XMLSigner, methods
    root = etree.fromstring(xml)
    dl = root.find(data)
    target = root.find(place)
    for old in list(target):
        target.remove(old)
    etree.SubElement(target, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=SignatureMethod.RSA_SHA256,
                       digest_algorithm="sha256", c14n_algorithm=C14N)
    signer.namespaces = {"ds": DS}
    pem = cert.public_bytes(serialization.Encoding.PEM)
    signed = signer.sign(root, key=key, cert=pem, reference_uri=f"#{dl.get('Id')}")
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify(xml: bytes, reference_id: str | None = None):
    """Verify the seller's signature with its embedded certificate (integrity, not trust); raises when broken."""
    from signxml import SignatureConfiguration, XMLVerifier
    root = etree.fromstring(xml)
    sig = root.find(f".//DSCKS/NBan/{{{DS}}}Signature")
    if sig is None:
        raise ValueError("no signature")
    cert_el = sig.find(f".//{{{DS}}}X509Certificate")
    if cert_el is None:
        raise ValueError("no X509Certificate in the signature")
    body = "".join(cert_el.text.split())
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
          "\n-----END CERTIFICATE-----\n"
    config = SignatureConfiguration(location=".//DSCKS/NBan/", expect_references=1)
    result = XMLVerifier().verify(root, x509_cert=pem, expect_config=config)
    uri = sig.find(f".//{{{DS}}}Reference").get("URI")
    if reference_id and uri != f"#{reference_id}":
        raise ValueError(f"the signature covers {uri}, not #{reference_id}")
    return result


def make_test_pkcs12(name: str, tax_id: str, password: str, *, days: int = 365) -> bytes:
    """A throw-away self-signed certificate and RSA key as PKCS#12 (subject UID "MST:<tax id>", as CAs write it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_id}")])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"tessera", key, cert, None,
                                                 BestAvailableEncryption(password.encode()))
