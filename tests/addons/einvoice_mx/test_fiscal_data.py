"""SAT catalog fields of products and partners, RFC rules, and the CSD: checks, refusals, secrecy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.errors import FieldErrors, UserError

from .conftest import FIXTURES, RFC, build_mx_shop
from .csd_helpers import PASSWORD, make_csd


@pytest.fixture(scope="module")
def bare(runtime):
    """A Mexican shop without a CSD yet."""
    return build_mx_shop(runtime, csd=False)


def test_catalog_checks_name_the_field():
    from addons.einvoice_mx import sat
    assert sat.check_clave_prod_serv("43211503") == "43211503"
    assert sat.check_clave_unidad("h87") == "H87"
    for fn, bad, field in ((sat.check_clave_prod_serv, "99999999", "clave_prod_serv"),
                           (sat.check_clave_unidad, "ZZZ", "clave_unidad"),
                           (sat.check_postcode, "00997", "fiscal_postcode"),
                           (sat.check_regimen, "999", "regimen_fiscal"),
                           (sat.check_uso_cfdi, "X99", "uso_cfdi"),
                           (sat.check_rfc, "EKU9013173C9", "rfc")):
        with pytest.raises(FieldErrors) as err:
            fn(bad)
        assert err.value.problems[0].startswith(f"{field}: ")


def test_generic_rfc_rules():
    from addons.einvoice_mx import sat
    node = sat.receptor_rules("XAXX010101000", name="anyone", regimen="601", postcode="06000", uso="G03",
                              lugar_expedicion="42501")
    assert (node["UsoCFDI"], node["RegimenFiscalReceptor"], node["DomicilioFiscalReceptor"], node["Nombre"]) == \
        ("S01", "616", "42501", "PUBLICO EN GENERAL")
    with pytest.raises(FieldErrors) as err:
        sat.receptor_rules("URE180429TM6", name="", regimen="616", postcode="1", uso="ZZZ", lugar_expedicion="42501")
    assert {p.split(":")[0] for p in err.value.problems} == {"receptor.regimen_fiscal", "receptor.fiscal_postcode",
                                                            "receptor.uso_cfdi", "receptor.name"}


def test_product_and_partner_sat_data_refused_whole(bare):
    from addons.einvoice_mx.models import PartnerSat, ProductSat
    from addons.einvoice_mx.services import fiscal
    with bare.session() as s:
        product_id = s.scalar(select(ProductSat.product_id).limit(1))
    with pytest.raises(FieldErrors) as err, bare.tx() as s:
        fiscal.set_product_sat(s, product_id, clave_prod_serv="1", clave_unidad="H87", ieps_rate="1.5")
    assert {p.split(":")[0] for p in err.value.problems} == {"clave_prod_serv", "ieps_rate"}
    with bare.session() as s:
        assert s.scalar(select(ProductSat.clave_prod_serv).where(ProductSat.product_id == product_id)) == "43211503"
    with pytest.raises(FieldErrors, match="regimen_fiscal: 616"), bare.tx() as s:
        fiscal.set_partner_sat(s, bare.customer_id, legal_name="X", regimen_fiscal="616", fiscal_postcode="86991")
    with bare.session() as s:
        assert s.scalar(select(PartnerSat.regimen_fiscal).where(PartnerSat.partner_id == bare.customer_id)) == "601"


def test_issue_without_csd_is_refused_and_numbers_nothing(bare):
    from addons.einvoice.models import Document
    doc_id = bare.draft()
    with pytest.raises(UserError, match="no CSD uploaded"):
        bare.issue(doc_id)
    with bare.session() as s:
        assert s.scalar(select(Document.state).where(Document.id == doc_id)) == "draft"


def test_sat_test_csd_is_expired_and_refused(bare):
    from addons.einvoice_mx.services import csd
    cer = (FIXTURES / "eku9003173c9_csd.cer").read_bytes()
    key = (FIXTURES / "eku9003173c9_csd.key").read_bytes()
    with pytest.raises(UserError, match="certificate 30001000000400002434 expired on 2023-06-17"), bare.tx() as s:
        csd.upload_csd(s, certificate=cer, key=key, password="12345678a")
    with pytest.raises(FieldErrors, match="key: the .key file cannot be opened with this password"), bare.tx() as s:
        csd.upload_csd(s, certificate=cer, key=key, password="wrong")


def test_csd_of_another_rfc_or_not_yet_valid_is_refused(bare):
    from addons.einvoice_mx.services import csd
    cer, key = make_csd("URE180429TM6", "UNIVERSIDAD ROBOTICA", "30001000000500003417")
    with pytest.raises(UserError, match=f"belongs to RFC URE180429TM6, not to the emisor {RFC}"), bare.tx() as s:
        csd.upload_csd(s, certificate=cer, key=key, password=PASSWORD)
    later = datetime.now(timezone.utc) + timedelta(days=3)
    cer, key = make_csd(RFC, "ESCUELA KEMPER URGATE", "30001000000500003418", starts=later)
    with pytest.raises(UserError, match="is valid only from"), bare.tx() as s:
        csd.upload_csd(s, certificate=cer, key=key, password=PASSWORD)
    other_cer, _ = make_csd(RFC, "ESCUELA KEMPER URGATE", "30001000000500003419")
    _, foreign_key = _other_key()
    with pytest.raises(FieldErrors, match="does not belong to the certificate"), bare.tx() as s:
        csd.upload_csd(s, certificate=other_cer, key=foreign_key, password=PASSWORD)


def _other_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return None, key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.BestAvailableEncryption(PASSWORD.encode()))


def test_key_and_password_are_encrypted_at_rest(mx):
    from sqlalchemy import text
    from addons.einvoice_mx.models import Csd
    from addons.einvoice_mx.services import csd
    with mx.session() as s:
        row = s.scalar(select(Csd).where(Csd.active.is_(True)))
        raw = s.execute(text("SELECT key_encrypted, password_encrypted FROM einvoice_mx_csd WHERE id = :id"),
                        {"id": row.id}).one()
        shown = csd.describe(row)
    assert PASSWORD.encode() not in bytes(raw[1]) and b"\x30\x82" != bytes(raw[0])[:2]
    assert set(shown) == {"certificate_number", "rfc", "legal_name", "valid_from", "valid_to", "active", "expired"}


def test_signing_refuses_a_csd_expired_since_upload(runtime):
    """Validity is checked again when signing, at the moment of signing."""
    from addons.einvoice_mx.services import csd
    shop = build_mx_shop(runtime, csd=False)
    cer, key = make_csd(RFC, "ESCUELA KEMPER URGATE", "30001000000500003420",
                        starts=datetime.now(timezone.utc) - timedelta(days=10), days=11)
    with shop.tx() as s:
        csd.upload_csd(s, certificate=cer, key=key, password=PASSWORD)
    with pytest.raises(UserError, match="expired on"), shop.tx() as s:
        csd.signer_of(s, at=datetime.now(timezone.utc) + timedelta(days=2))
