"""A Vietnamese shop with einvoice_vn enabled and a throw-away signing certificate (module-scoped)."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest

_n = itertools.count(1)
SELLER_TAX = "0100233488"
BUYER = {"kind": "company", "name": "Công ty Cổ phần Khách Hàng", "tax_id": "0314409058", "country": "VN",
         "address": "35 Lê Lợi, Quận 1, TP Hồ Chí Minh", "email": "ketoan@khachhang.vn"}
LINES = [{"description": "Áo thun cotton", "sku": "SP001", "quantity": "3", "unit_price": "150000",
          "tax_rate": "0.10"},
         {"description": "Dịch vụ giao hàng", "sku": "SP002", "quantity": "1", "unit_price": "30000",
          "tax_rate": "0.08"}]
PASSWORD = "p12-secret"


@dataclass
class VnShop:
    runtime: object
    business: object

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def settings(self, addon="einvoice_vn", **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, addon, values, self.runtime.config["SECRET_KEY"])

    def draft(self, doc_type="vat_invoice", lines=None, buyer=None, **kw):
        from addons.einvoice.services.documents import create_document
        kw.setdefault("currency", "VND")
        with self.tx() as s:
            return create_document(s, type=doc_type, buyer=buyer or BUYER, lines=lines or LINES, **kw).id

    def issue(self, doc_id, **kw):
        from addons.einvoice.services.issue import issue_document
        kw.setdefault("render_pdf", False)
        with self.tx() as s:
            return issue_document(s, doc_id, **kw).id

    def invoice(self, doc_id):
        from sqlalchemy import select
        from sqlalchemy.orm import undefer
        from addons.einvoice_vn.models import VnInvoice
        with self.session() as s:
            row = s.scalar(select(VnInvoice).where(VnInvoice.document_id == doc_id).options(undefer(VnInvoice.xml)))
            if row is not None:
                s.expunge(row)
            return row

    def run_jobs(self, prefix=""):
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


def build_vn_shop(runtime, *, certificate=True) -> VnShop:
    from core.addons import state
    from core.business import create_business
    from addons.einvoice_vn.services.certificate import upload_certificate
    from addons.einvoice_vn.signing import make_test_pkcs12
    n = next(_n)
    with runtime.transaction(all_businesses=True) as s:
        business = create_business(s, name=f"Tessera VN {n}", slug=f"vn{n}-{os.getpid()}", country="VN",
                                   currency="VND", timezone="Asia/Ho_Chi_Minh", tax_id=SELLER_TAX,
                                   legal_name="Công ty TNHH Thử Nghiệm Tessera", address="12 Phố Huế, Hà Nội",
                                   phone="0241234567", languages=("vi", "en"))
    with runtime.transaction(business.id) as s:
        state.enable(s, runtime.registry, business.id, ["einvoice_vn"])
    shop = VnShop(runtime, business)
    if certificate:
        with shop.tx() as s:
            upload_certificate(s, make_test_pkcs12("Công ty TNHH Thử Nghiệm Tessera", SELLER_TAX, PASSWORD), PASSWORD)
    return shop


@pytest.fixture(scope="module")
def vn(runtime):
    return build_vn_shop(runtime)
