"""A Mexican shop (EKU9003173C9) with the addon enabled, its CSD, a customer with SAT data, and a job runner.

Module-scoped: each test module makes one business (creating a business,
enabling four addons and making a CSD costs more than the tests themselves);
tests take fresh documents, so they stay independent.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .csd_helpers import PASSWORD, make_csd

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "einvoice_mx"
RFC, NAME = "EKU9003173C9", "ESCUELA KEMPER URGATE SA DE CV"
CUSTOMER_RFC, CUSTOMER_NAME = "URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA"
_n = itertools.count(1)


@dataclass
class MxShop:
    runtime: object
    business: object
    customer_id: int = 0
    variants: list = field(default_factory=list)
    skus: list = field(default_factory=list)

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def settings(self, addon="einvoice_mx", **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, addon, values, self.runtime.config["SECRET_KEY"])

    def draft(self, lines=None, buyer=None, **kw):
        from addons.einvoice.services.documents import create_document
        lines = lines or [{"description": "Laptop", "sku": self.skus[0], "quantity": "2", "unit_price": "100.00",
                           "tax_rate": "0.16"}]
        buyer = buyer or {"kind": "company", "name": CUSTOMER_NAME, "tax_id": CUSTOMER_RFC, "country": "MX"}
        kw.setdefault("type", "sales_invoice")
        kw.setdefault("currency", "MXN")
        with self.tx() as s:
            return create_document(s, buyer=buyer, lines=lines, **kw).id

    def issue(self, doc_id, **kw):
        from addons.einvoice.services.issue import issue_document
        kw.setdefault("render_pdf", False)
        with self.tx() as s:
            return issue_document(s, doc_id, **kw).id

    def cfdi(self, doc_id):
        from sqlalchemy import select
        from sqlalchemy.orm import undefer
        from addons.einvoice_mx.models import Cfdi
        with self.session() as s:
            return s.scalar(select(Cfdi).where(Cfdi.document_id == doc_id)
                            .options(undefer(Cfdi.signed_xml), undefer(Cfdi.stamped_xml)))

    def run_jobs(self, prefix=""):
        """Run every pending outbox job of the business now, as the in-process worker would."""
        from sqlalchemy import select
        from core.jobs import execute
        from core.models import OutboxJob
        states = []
        for _ in range(6):
            with self.runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == self.id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                states.append((actor, execute(self.runtime, actor, job_id)))
        return states


def build_mx_shop(runtime, *, csd=True, provider="mx_offline") -> MxShop:
    from core.addons import state
    from core.business import create_business
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from addons.einvoice_mx.services import csd as csd_service
    from addons.einvoice_mx.services import fiscal
    n = next(_n)
    with runtime.transaction(all_businesses=True) as s:
        business = create_business(s, name=f"Kemper {n}", slug=f"mx{n}-{os.getpid()}", country="MX", currency="MXN",
                                   timezone="America/Mexico_City", tax_id=RFC, legal_name=NAME)
    with runtime.transaction(business.id) as s:
        state.enable(s, runtime.registry, business.id, ["einvoice_mx"])
    shop = MxShop(runtime, business)
    shop.settings(regimen_fiscal="601", lugar_expedicion="42501")
    with shop.tx() as s:
        from addons.einvoice.providers import set_provider
        set_provider(s, runtime, doc_type=None, provider=provider)
        shop.customer_id = create_partner(s, name="Universidad Robótica", kind="company", tax_id=CUSTOMER_RFC,
                                          country="MX", email="compras@ure.mx").id
        fiscal.set_partner_sat(s, shop.customer_id, legal_name=CUSTOMER_NAME, regimen_fiscal="601",
                               fiscal_postcode="86991", uso_cfdi="G03")
        for price, key in (("100.00", "43211503"), ("25.50", "50181900")):
            sku = f"MX-{n}-{len(shop.skus) + 1}"
            product = create_product(s, sku=sku, name=f"Product {sku}", sale_price=price)
            fiscal.set_product_sat(s, product.id, clave_prod_serv=key, clave_unidad="H87")
            shop.skus.append(sku)
            shop.variants.append(product.variants[0].id)
        if csd:
            cer, key = make_csd(RFC, NAME)
            csd_service.upload_csd(s, certificate=cer, key=key, password=PASSWORD)
    return shop


@pytest.fixture(scope="module")
def mx(runtime):
    return build_mx_shop(runtime)
