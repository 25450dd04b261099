"""The Mexican demo: a business issuing every kind of CFDI, signed with a test CSD, stamped offline.

``manage.py demo`` seeds a Vietnamese business, for which this does nothing.
``manage.py einvoice_mx demo`` creates (or tops up) the Mexican demo business,
RFC EKU9003173C9, SAT's test taxpayer, and runs ``load`` for it: a PUE invoice,
a PPD invoice from an order with a partial payment and its payment complement,
a credit note (E related to its I), a replacement with the motive-01
cancellation of the invoice it replaces, and the global invoice of the
month's counter receipts. SAT's own test CSD for EKU9003173C9 expired in 2023,
so the demo makes a CSD of its own carrying that RFC (``make_test_csd``).
Everything is stamped through the offline path (no network).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from .models import Cfdi
from .services import signing

DEMO_RFC, DEMO_NAME = "EKU9003173C9", "ESCUELA KEMPER URGATE SA DE CV"
CUSTOMER = dict(name="Universidad Robótica Española", kind="company", tax_id="URE180429TM6", country="MX",
                email="compras@ure.example.mx", language="es")
PASSWORD = "12345678a"


def make_test_csd(rfc: str, name: str, number: str = "30001000000500003416", *, days: int = 365,
                  starts: datetime | None = None, password: str = PASSWORD, key=None) -> tuple[bytes, bytes]:
    """A CSD for tests and the demo: RSA key and certificate with SAT's subject shape and numbering.

    Subject x500UniqueIdentifier = RFC and O = the name; the serial is the 20-digit
    certificate number in ASCII hex, as SAT numbers certificates; two extensions (a CSD;
    an e.firma has four); ``key`` reuses an RSA key (tests). Returns (DER certificate, PKCS#8 DER key encrypted with ``password``).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / XAXX010101000"),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Sucursal 1")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC UAT (test)")])
    starts = starts or datetime.now(timezone.utc) - timedelta(days=1)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(int(number.encode().hex(), 16)).not_valid_before(starts)
            .not_valid_after(starts + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(password.encode()))
    return cert.public_bytes(serialization.Encoding.DER), der_key


def load(session, business_id, rng) -> dict:
    if not signing.is_mexican(session) or session.scalar(select(Cfdi.id).limit(1)) is not None:
        return {"cfdi": 0}
    shop = _setup(session)
    stamp = _stamper(session)
    made = [stamp(_invoice(session, shop))]
    ppd, order_id = _ppd_invoice(session, shop)
    made.append(stamp(ppd))
    made += [stamp(p) for p in _payment(session, order_id, ppd)]
    made.append(stamp(_credit_note(session, made[0])))
    made += _replacement_and_cancel(session, shop, stamp)
    made += [stamp(g) for g in _global_invoice(session, shop)]
    return {"cfdi": len(made)}


def _setup(session) -> dict:
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from core.jobs import binding_for
    from core.settings import set_settings
    from .services import csd, fiscal
    runtime = binding_for(session).runtime
    set_settings(session, runtime.registry, "einvoice_mx", {"regimen_fiscal": "601", "lugar_expedicion": "42501"},
                 runtime.config["SECRET_KEY"])
    if session.scalar(select(csd.Csd.id).where(csd.Csd.active.is_(True))) is None:
        cer, key = make_test_csd(csd.emisor_rfc(session), DEMO_NAME)
        csd.upload_csd(session, certificate=cer, key=key, password=PASSWORD)
    variants = []
    for sku, name, price, clave in (("MX-LAP-14", "Laptop 14\"", "15999.00", "43211503"),
                                    ("MX-CAF-1K", "Café de Chiapas 1 kg", "289.00", "50201706")):
        product = create_product(session, sku=sku, name=name, sale_price=price, tax_class_code="iva16")
        fiscal.set_product_sat(session, product.id, clave_prod_serv=clave, clave_unidad="H87")
        variants.append((product.variants[0].id, sku, name, price))
    customer = create_partner(session, **CUSTOMER)
    fiscal.set_partner_sat(session, customer.id, legal_name="UNIVERSIDAD ROBOTICA ESPAÑOLA", regimen_fiscal="601",
                           fiscal_postcode="86991", uso_cfdi="G03")
    return {"variants": variants, "customer_id": customer.id}


def _stamper(session):
    """Stamp offline at once (the demo has no worker to wait for); the submission job then finds it stamped."""
    from .providers import offline_stamp
    from .services import csd, stamping
    signer = csd.signer_of(session)

    def stamp(row: Cfdi) -> Cfdi:
        # The PDFs are rendered (and stored) when first asked for: the stamp is there by then.
        stamping.record_stamp(session, row.id, offline_stamp(signer, row.signed_xml), "mx_offline")
        return row
    return stamp


def _issue(session, doc_id: int) -> Cfdi:
    from addons.einvoice.services.issue import issue_document
    issue_document(session, doc_id, render_pdf=False)
    return session.scalar(select(Cfdi).where(Cfdi.document_id == doc_id))


def _lines(shop, qty=("1", "2")):
    return [{"description": name, "sku": sku, "quantity": q, "unit_price": price, "tax_rate": "0.16"}
            for (_vid, sku, name, price), q in zip(shop["variants"], qty)]


def _invoice(session, shop) -> Cfdi:
    from addons.einvoice.services.documents import create_document
    buyer = {k: CUSTOMER[k] for k in ("kind", "name", "tax_id", "country", "email")}
    doc = create_document(session, type="sales_invoice", buyer=buyer, lines=_lines(shop), currency="MXN",
                          language="es", payment_method="bank_transfer")
    return _issue(session, doc.id)


def _ppd_invoice(session, shop) -> tuple[Cfdi, int]:
    from addons.einvoice.services.orders import create_from_order
    from addons.sales.services import confirm_order, create_order
    order = create_order(session, partner_id=shop["customer_id"],
                         lines=[{"variant_id": shop["variants"][0][0], "qty": Decimal(2)}])
    confirm_order(session, order.id)
    return _issue(session, create_from_order(session, order.id, "sales_invoice").id), order.id


def _payment(session, order_id: int, invoice: Cfdi) -> list[Cfdi]:
    from addons.sales.services import register_payment
    from .services.payments import complement_open_payments
    register_payment(session, order_id, Decimal("10000.00"), "bank_transfer")
    return complement_open_payments(session)


def _credit_note(session, invoice: Cfdi) -> Cfdi:
    from addons.einvoice.services.corrections import credit_note
    line = invoice.document.lines[1]
    note = credit_note(session, invoice.document_id, reason="Devolución de un café", lines=[{
        "description": line.description, "sku": line.sku, "quantity": "1", "unit_price": str(line.unit_price),
        "tax_rate": "0.16"}])
    return _issue(session, note.id)


def _replacement_and_cancel(session, shop, stamp) -> list[Cfdi]:
    from addons.einvoice.services.corrections import replace
    from .services.cancel import request_cancel
    wrong = stamp(_invoice(session, shop))
    fixed = replace(session, wrong.document_id, reason="Precio unitario equivocado",
                    lines=_lines(shop, qty=("1", "1")))
    new = stamp(_issue(session, fixed.id))
    request_cancel(session, wrong.uuid, "01", new.uuid)
    return [wrong, new]


def _global_invoice(session, shop) -> list[Cfdi]:
    from addons.einvoice.services.documents import business_today, create_document
    from addons.einvoice.services.issue import issue_document
    from .services.global_invoice import issue_global
    today = business_today(session)
    counter = {"kind": "person", "name": "Mostrador", "country": "MX"}
    for qty in ("1", "3"):
        doc = create_document(session, type="receipt", buyer=counter, currency="MXN", language="es",
                              payment_method="cash", lines=_lines(shop, qty=("0", qty))[1:])
        issue_document(session, doc.id, render_pdf=False, issue_date=today)
    row = issue_global(session, "monthly", today.replace(day=1), today)
    return [row] if row is not None else []


def seed_business(runtime, slug: str = "demo-mx") -> dict:
    """Create or top up the Mexican demo business and run its jobs in-process (``einvoice_mx demo``)."""
    from core.addons import state
    from core.business import create_business
    from core.jobs import execute
    from core.models import Business, OutboxJob, SettingValue
    with runtime.transaction(all_businesses=True) as session:
        business = session.scalar(select(Business).where(Business.slug == slug))
        if business is None:
            business = create_business(session, name="Escuela Kemper (México)", slug=slug, country="MX",
                                       currency="MXN", timezone="America/Mexico_City", languages=("es", "en"),
                                       tax_id=DEMO_RFC, legal_name=DEMO_NAME)
        business_id = business.id
    with runtime.transaction(business_id) as session:
        state.enable(session, runtime.registry, business_id, ["einvoice_mx"])
    made = {"cfdi": 0}
    with runtime.transaction(business_id) as session:
        marker = session.scalar(select(SettingValue).where(SettingValue.addon == "core",
                                                           SettingValue.key == "demo:einvoice_mx"))
        if marker is None:
            import random
            made = load(session, business_id, random.Random("tessera-demo-einvoice_mx"))
            session.add(SettingValue(addon="core", key="demo:einvoice_mx", value="true"))
    ran = 0
    for _round in range(5):
        with runtime.session(all_businesses=True) as session:
            pending = session.execute(select(OutboxJob.id, OutboxJob.actor).where(
                OutboxJob.business_id == business_id, OutboxJob.state == "pending").order_by(OutboxJob.id)).all()
        if not pending:
            break
        for job_id, actor in pending:
            execute(runtime, actor, job_id)
            ran += 1
    with runtime.session(business_id) as session:
        rows = session.execute(select(Cfdi.tipo, Cfdi.state)).all()
    summary: dict = {}
    for tipo, st in rows:
        summary[f"{tipo}:{st}"] = summary.get(f"{tipo}:{st}", 0) + 1
    return {"business": slug, "business_id": business_id, "created": made["cfdi"], "jobs": ran, "cfdi": summary}

