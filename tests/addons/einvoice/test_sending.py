"""E-mail in the buyer's language with PDF and XML, the signed confirmation link, auto-issue after payment."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from addons.einvoice.services import sending
from addons.einvoice.models import Delivery
from core.errors import UserError
from core.models import MailMessage, OutboxJob


def _mails(shop):
    with shop.session() as s:
        return list(s.scalars(select(MailMessage).order_by(MailMessage.id)))


def test_send_queues_mail_in_buyer_language_with_files(shop, runtime):
    doc_id = shop.draft()
    shop.issue(doc_id, issue_date=date(2026, 7, 1))
    with shop.tx() as s:
        delivery = sending.send_document(s, doc_id)
        delivery_id, mail_id = delivery.id, delivery.mail_id
    with shop.session() as s:
        mail = s.get(MailMessage, mail_id)
        names = sorted(a.filename for a in mail.attachments)
        assert mail.language == "vi" and mail.to == "muahang@donga.vn"
        assert "Hóa đơn bán hàng INV-2026-000001" in mail.subject
        assert "/einvoice/confirm/" in mail.body_text and "Xác nhận đã nhận" in mail.body_html
        assert names == ["INV-2026-000001.pdf", "INV-2026-000001.xml"]
        assert [a.content[:5] for a in mail.attachments if a.filename.endswith("pdf")] == [b"%PDF-"]
    doc = shop.doc(doc_id)
    assert doc.state == "sent" and doc.sent_at and doc.pdf.startswith(b"%PDF-")
    with shop.session() as s:
        assert sending.deliveries(s, doc_id)[0]["status"] == "queued"
    with pytest.raises(UserError, match="already sent"):
        with shop.tx() as s:
            sending.send_document(s, doc_id)
    # The buyer opens the link.
    token = sending.confirm_url(runtime, shop.id, delivery_id).rsplit("/", 1)[1]
    business_id, read_id = sending.read_token(runtime, token)
    assert (business_id, read_id) == (shop.id, delivery_id)
    with shop.tx() as s:
        sending.confirm_receipt(s, delivery_id)
    assert shop.doc(doc_id).state == "delivered"
    with shop.session() as s:
        assert sending.deliveries(s, doc_id)[0]["status"] == "confirmed"


def test_forged_token_is_refused(runtime):
    good = sending.confirm_token(runtime, 1, 2)
    with pytest.raises(UserError, match="not valid"):
        sending.read_token(runtime, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))


def test_send_needs_an_issued_document_and_an_address(shop):
    doc_id = shop.draft(buyer=dict(kind="person", name="Walk-in", country="VN"))
    with pytest.raises(UserError, match="draft"):
        with shop.tx() as s:
            sending.send_document(s, doc_id)
    shop.issue(doc_id)
    with pytest.raises(UserError, match="no e-mail address"):
        with shop.tx() as s:
            sending.send_document(s, doc_id)
    with shop.tx() as s:
        assert sending.send_document(s, doc_id, to="walkin@example.com").to == "walkin@example.com"


def test_auto_issue_on_payment_sends_without_staff(shop, run_jobs, runtime, monkeypatch):
    shop.settings(auto_issue="invoice", invoice_type="vat_invoice")
    order_id = shop.order(paid=True)
    states = run_jobs(shop.id)
    assert ("einvoice.issue_for_order", "done") in states and ("einvoice.send_document", "done") in states
    with shop.session() as s:
        from addons.einvoice.models import Document
        doc = s.scalar(select(Document).where(Document.order_id == order_id))
        assert doc.type == "vat_invoice" and doc.state == "paid" and doc.sent_at is not None
        assert s.scalar(select(Delivery.mail_id).where(Delivery.document_id == doc.id))
    # The SMTP server is down: the mail job fails visibly and is retryable.
    import core.mail

    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError("SMTP server down")
    monkeypatch.setattr(core.mail, "smtp_send", refuse)
    mail_states = run_jobs(shop.id, actor_prefix="core.send_mail", rounds=1)
    assert mail_states and mail_states[0][1] in ("pending", "dead", "failed")
    with shop.session() as s:
        assert sending.deliveries(s, doc.id)[0]["status"] == "failed"
        assert sending.deliveries(s, doc.id)[0]["error"]


def test_auto_issue_off_does_nothing_and_receipt_mode(shop, run_jobs):
    shop.order(paid=True)
    assert run_jobs(shop.id) == []
    shop.settings(auto_issue="receipt")
    order_id = shop.order(paid=True)
    run_jobs(shop.id)
    with shop.session() as s:
        from addons.einvoice.models import Document
        assert s.scalar(select(Document.type).where(Document.order_id == order_id)) == "receipt"


def test_auto_issue_failure_is_visible(shop_factory, run_jobs):
    shop = shop_factory(customer=dict(name="No Mail Co", kind="company", tax_id="0301234509", country="VN"))
    shop.settings(auto_issue="invoice")
    shop.order(paid=True)
    states = dict(run_jobs(shop.id))
    assert states["einvoice.issue_for_order"] == "done"
    assert states["einvoice.send_document"] == "failed"
    with shop.session() as s:
        job = s.scalar(select(OutboxJob).where(OutboxJob.actor == "einvoice.send_document",
                                               OutboxJob.business_id == shop.id))
        assert "no e-mail address" in job.last_error
