"""The issued e-tax invoice to the buyer's e-mail: ours (Korean PDF and the NTS XML, delivered to an
aiosmtpd server on loopback) or Popbill's SendEmail (fake Popbill); once per invoice."""
from __future__ import annotations

from sqlalchemy import select

from addons.einvoice_kr import kec
from addons.einvoice_kr.models import TaxInvoice
from addons.einvoice_kr.services import taxinvoices, taxmail
from core.models import MailMessage
from tests.core.jobs.helpers import smtp  # noqa: F401  fixture

from .conftest import BUYER_BRN

BUYER = {"brn": BUYER_BRN, "name": "주식회사 한빛", "ceo": "최한빛", "address": "부산 해운대구", "email": "tax@hanbit.kr"}
LINES = [{"name": "이천쌀 10kg", "quantity": "2", "unit_price": "50000"}]


def _issue(kr, buyer=BUYER, **settings):
    kr.settings(**settings)
    try:
        with kr.tx() as s:
            row_id = taxinvoices.create(s, buyer=buyer, lines=LINES).id
        outcomes = kr.run_jobs()
    finally:
        kr.settings(taxinvoice_mail="off")
    with kr.session() as s:
        return s.get(TaxInvoice, row_id), outcomes


def _mails(kr, number):
    """(to, subject, body, [(filename, content type, bytes)]) of the mails about ``number``."""
    with kr.runtime.session(all_businesses=True) as s:
        rows = s.scalars(select(MailMessage).where(MailMessage.reference == f"einvoice_kr:{number}")).all()
        return [(m.to, m.subject, m.body_text, [(a.filename, a.content_type, a.content) for a in m.attachments])
                for m in rows]


def test_our_mail_carries_the_korean_pdf_and_the_nts_xml(kr, popbill, smtp):  # noqa: F811
    row, outcomes = _issue(kr, taxinvoice_mail="ours")
    assert row.state == "issued" and row.mailed_at is not None
    assert ("einvoice_kr.mail_tax_invoice", "done") in outcomes
    assert popbill.taxinvoices[row.mgt_key]["invoiceeEmail1"] == ""   # Popbill sends no second notice
    assert not any(key == row.mgt_key for key, _ in popbill.tax_emails)
    ((to, subject, body, (pdf, xml)),) = _mails(kr, row.number)
    assert to == "tax@hanbit.kr" and "전자세금계산서" in subject and row.number in subject
    assert row.nts_confirm_num in body and "주식회사 한빛" in body
    assert pdf[1] == "application/pdf" and pdf[2].startswith(b"%PDF")
    assert xml[0] == f"{row.number}.xml" and xml[1] == "application/xml" and kec.check(xml[2]) == []
    kr.run_jobs(prefix="core.send_mail")
    (sender, rcpts, message), = [m for m in smtp.messages if row.number in m[2]["Subject"]]
    assert rcpts == ["tax@hanbit.kr"]
    assert [a.get_filename() for a in message.iter_attachments()] == [f"{row.number}.pdf", f"{row.number}.xml"]
    # the job run again sends nothing more
    from core.jobs import enqueue
    with kr.tx() as s:
        enqueue(s, "einvoice_kr.mail_tax_invoice", tax_invoice_id=row.id)
    kr.run_jobs()
    assert len(_mails(kr, row.number)) == 1


def test_the_pdf_is_korean_and_names_both_parties(kr):
    row, _ = _issue(kr)
    with kr.session() as s:
        pdf = taxmail.tax_invoice_pdf(s, s.get(TaxInvoice, row.id))
    from pypdf import PdfReader
    import io
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for word in ("전자세금계산서", "공급자", "공급받는자", "104-81-25258", "116-82-00276", "이천쌀 10kg",
                 row.nts_confirm_num):
        assert word in text, word


def test_popbill_mails_it_when_asked(kr, popbill):
    row, outcomes = _issue(kr, taxinvoice_mail="popbill")
    assert popbill.taxinvoices[row.mgt_key]["invoiceeEmail1"] == "tax@hanbit.kr"
    assert (row.mgt_key, "tax@hanbit.kr") in popbill.tax_emails and row.mailed_at is not None
    assert _mails(kr, row.number) == []


def test_no_mail_without_an_address_or_when_off(kr, popbill):
    row, outcomes = _issue(kr, buyer={**BUYER, "email": ""}, taxinvoice_mail="ours")
    assert row.mailed_at is None and not any(a == "einvoice_kr.mail_tax_invoice" for a, _ in outcomes)
    row, outcomes = _issue(kr, taxinvoice_mail="off")
    assert row.mailed_at is None and _mails(kr, row.number) == []
