"""The demo's Vietnamese documents: a throw-away certificate, every kind issued and signed, offline."""
from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import undefer

from addons.einvoice_vn import tctxml

from .conftest import build_vn_shop


def test_demo_issues_signed_invoices_of_every_kind(runtime):
    from addons.einvoice_vn.demo import load
    from addons.einvoice_vn.models import VnInvoice
    shop = build_vn_shop(runtime, certificate=False)
    with shop.tx() as s:
        result = load(s, shop.id, random.Random(1))
    assert result["signed_invoices"] == 6
    assert result["kinds"] == ["adjustment", "original", "replacement"]
    with shop.session() as s:
        rows = list(s.scalars(select(VnInvoice).options(undefer(VnInvoice.xml))))
        assert {(r.template, r.symbol[3]) for r in rows} == {("1", "T"), ("2", "T"), ("1", "M")}
        assert all(tctxml.check(r.xml, require_signature=True) == [] for r in rows)
    shop.run_jobs("einvoice.submit")
    from addons.einvoice.models import Submission
    with shop.session() as s:
        states = set(s.scalars(select(Submission.state)))
        providers = set(s.scalars(select(Submission.provider)))
    assert states == {"accepted"} and providers == {"offline_vn"}


def test_manage_demo_signs_einvoice_own_documents_of_the_vietnamese_business(runtime):
    """The certificate is made before any demo runs, so einvoice's own demo invoices are signed too."""
    import os
    from addons.einvoice.models import Document
    from addons.einvoice_vn.models import VnInvoice
    from core.demo import seed_demo
    result = seed_demo(runtime, f"vndemo-{os.getpid()}", addons=["partners", "einvoice", "einvoice_vn"])
    assert result["seeded"][-2:] == ["einvoice", "einvoice_vn"]
    with runtime.session(result["business_id"]) as s:
        rows = s.execute(select(VnInvoice, Document.type).join(Document, Document.id == VnInvoice.document_id)
                         .options(undefer(VnInvoice.xml))).all()
        vn_demo = {r.document_id for r, _t in rows[-6:]}
        einvoice_own = [r for r, _t in rows if r.document_id not in vn_demo]
        assert einvoice_own, "einvoice's demo issued no Vietnamese invoice"
        assert all(r.signer is not None for r, _t in rows)
        assert all(tctxml.check(r.xml, require_signature=True) == [] for r, _t in rows)
    again = seed_demo(runtime, f"vndemo-{os.getpid()}", addons=["partners", "einvoice", "einvoice_vn"])
    assert again["seeded"] == []  # preparations and demos run once
