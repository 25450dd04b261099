"""Viettel S-Invoice and MISA meInvoice adapters against fake servers: timeouts after accepting, duplicates
adopted, errors inside HTTP 200, lookups by transactionUuid / RefID before any resend, corrections, cancel, PDF."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from .conftest import build_vn_shop
from .fakes import FakeMisa, FakeViettel
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures


def _submission(shop, doc_id):
    from addons.einvoice.models import Submission
    with shop.session() as s:
        sub = s.scalars(select(Submission).where(Submission.document_id == doc_id).order_by(Submission.id)).all()[-1]
        s.expunge(sub)
        return sub


def _attempt(shop, doc_id) -> str:
    from addons.einvoice.services.submission import SubmissionPending, run_submission
    sub = _submission(shop, doc_id)
    try:
        return run_submission(shop.runtime, shop.id, sub.id)
    except SubmissionPending:
        return "pending"


def _issue(shop, **kw):
    from addons.einvoice.services.issue import issue_document
    doc_id = shop.draft(**kw)
    with shop.tx() as s:
        issue_document(s, doc_id, render_pdf=False, submit=True)
    return doc_id


def _provider(shop, code):
    from addons.einvoice.providers import instantiate
    with shop.session() as s:
        return instantiate(shop.runtime, s, shop.id, code, {})


@pytest.fixture(scope="module")
def viettel(runtime):
    fake = FakeViettel()
    shop = build_vn_shop(runtime)
    shop.settings(viettel_url=fake.url, viettel_username="0100233488", viettel_password="secret", http_timeout=1)
    with shop.tx() as s:
        from addons.einvoice.providers import set_provider
        set_provider(s, runtime, doc_type=None, provider="viettel")
    yield shop, fake
    fake.close()


@pytest.fixture(scope="module")
def misa(runtime):
    fake = FakeMisa()
    shop = build_vn_shop(runtime)
    shop.settings(misa_url=fake.url, misa_app_id="app-1", misa_username="misa-user", misa_password="secret",
                  http_timeout=1)
    with shop.tx() as s:
        from addons.einvoice.providers import set_provider
        set_provider(s, runtime, doc_type=None, provider="misa")
    yield shop, fake
    fake.close()


def test_viettel_create_shape_and_accept(viettel):
    shop, fake = viettel
    doc_id = _issue(shop)
    assert _attempt(shop, doc_id) == "accepted"
    body = fake.bodies[-1]
    general = body["generalInvoiceInfo"]
    row = shop.invoice(doc_id)
    assert general["invoiceSeries"] == row.symbol and general["templateCode"] == "1/001"
    assert general["adjustmentType"] == "1" and len(general["transactionUuid"]) == 36
    assert {t["taxPercentage"] for t in body["taxBreakdowns"]} == {10, 8}
    assert body["summarizeInfo"]["totalAmountWithTax"] == 527400
    assert body["buyerInfo"]["buyerTaxCode"] == "0314409058"
    assert body["summarizeInfo"]["totalAmountWithTaxInWords"] == "Năm trăm hai mươi bảy nghìn bốn trăm đồng"
    sub = _submission(shop, doc_id)
    assert sub.authority_code.startswith("RSV") and sub.authority_uuid.startswith("00")
    assert shop.invoice(doc_id).provider_number == f"{row.symbol}1"
    assert _provider(shop, "viettel").download_pdf(_doc(shop, doc_id)).startswith(b"%PDF")


def _doc(shop, doc_id):
    from addons.einvoice.models import Document
    with shop.session() as s:
        doc = s.get(Document, doc_id)
        s.expunge(doc)
        return doc


def test_viettel_timeout_after_accepting_is_looked_up_not_resent(viettel):
    shop, fake = viettel
    fake.hang_after_accept = 2.5
    doc_id = _issue(shop)
    assert _attempt(shop, doc_id) == "pending"
    fake.hang_after_accept = 0
    creates = sum(1 for c in fake.calls if "createInvoice" in c)
    assert _attempt(shop, doc_id) == "accepted"
    assert sum(1 for c in fake.calls if "createInvoice" in c) == creates  # looked up, not created again
    assert fake.calls[-1].endswith("searchInvoiceByTransactionUuid")
    assert len([i for i in fake.invoices.values() if i["body"]["generalInvoiceInfo"]["transactionUuid"]
                == fake.bodies[-1]["generalInvoiceInfo"]["transactionUuid"]]) == 1


def test_viettel_5xx_then_lookup_then_send(viettel):
    shop, fake = viettel
    fake.fail_5xx = 1
    doc_id = _issue(shop)
    before = len(fake.invoices)
    assert _attempt(shop, doc_id) == "pending"
    assert _attempt(shop, doc_id) == "accepted"
    assert len(fake.invoices) == before + 1


def test_viettel_duplicate_is_adopted_and_error_inside_200_rejects(viettel):
    shop, fake = viettel
    doc_id = _issue(shop)
    key = _submission(shop, doc_id).idempotency_key
    provider = _provider(shop, "viettel")
    first = provider.submit(_doc(shop, doc_id), key)
    again = provider.submit(_doc(shop, doc_id), key)  # the duplicate answer: the same invoice, adopted
    assert first.status == again.status == "accepted" and first.authority_code == again.authority_code
    assert "TRANSACTION_UUID_EXISTED" not in (again.reason or "")
    fake.error_200 = "ERR_BUYER_TAXCODE"
    bad = _issue(shop)
    assert _attempt(shop, bad) == "rejected"
    assert "ERR_BUYER_TAXCODE" in _submission(shop, bad).reason


def test_viettel_replacement_adjustment_and_cancel(viettel):
    from addons.einvoice.services import corrections
    from addons.einvoice.services.issue import issue_document
    shop, fake = viettel
    original = _issue(shop)
    assert _attempt(shop, original) == "accepted"
    with shop.tx() as s:
        adj = corrections.adjust(s, original, reason="Giảm giá", agreement_ref="BB-9", agreement_date=date.today(),
                                 lines=[{"description": "Giảm", "quantity": "-1", "unit_price": "10000",
                                         "tax_rate": "0.10"}])
        issue_document(s, adj.id, render_pdf=False)
        adj_id = adj.id
    assert _attempt(shop, adj_id) == "accepted"
    general = fake.bodies[-1]["generalInvoiceInfo"]
    assert general["adjustmentType"] == "5" and general["originalInvoiceId"] == shop.invoice(original).provider_number
    assert general["additionalReferenceDesc"] == "BB-9" and general["originalInvoiceIssueDate"] > 0
    with shop.tx() as s:
        rep = corrections.replace(s, original, reason="Sai tên", agreement_ref="BB-10", agreement_date=date.today())
        issue_document(s, rep.id, render_pdf=False)
        rep_id = rep.id
    assert _attempt(shop, rep_id) == "accepted"
    assert fake.bodies[-1]["generalInvoiceInfo"]["adjustmentType"] == "3"
    other = _issue(shop)
    assert _attempt(shop, other) == "accepted"
    from addons.einvoice_vn.services.notices import cancel_invoice
    with shop.tx() as s:
        _notice, note = cancel_invoice(s, other, reason="Hủy giao dịch")
        note_id = note.id
    assert _attempt(shop, note_id) == "accepted"
    assert fake.calls[-1].endswith("cancelTransactionInvoice")
    assert [i for i in fake.invoices.values() if i["invoiceNo"] == shop.invoice(other).provider_number][0][
        "status"] == "3"


def test_buyer_validated_before_sending(viettel):
    shop, fake = viettel
    calls = len(fake.calls)
    doc_id = _issue(shop, buyer={"kind": "company", "name": "Công ty Không Địa Chỉ", "country": "VN",
                                 "tax_id": "0314409058"})
    assert _attempt(shop, doc_id) == "rejected"
    assert "buyer address: required" in _submission(shop, doc_id).reason
    assert len(fake.calls) == calls  # nothing was sent
    sales = _issue(shop, buyer={"kind": "company", "name": "Công ty Không Mã", "country": "VN",
                                "address": "Hà Nội", "tax_id": None}, doc_type="sales_invoice",
                   lines=[{"description": "Sách", "quantity": "1", "unit_price": "1000", "tax_rate": None,
                           "tax_category": "E"}])
    assert _attempt(shop, sales) == "accepted"  # a sales invoice needs no buyer tax code
    assert len(fake.calls) > calls


def test_misa_publish_timeout_duplicate_error_and_cancel(misa):
    shop, fake = misa
    doc_id = _issue(shop)
    assert _attempt(shop, doc_id) == "accepted"
    data = fake.bodies[-1]
    row = shop.invoice(doc_id)
    assert data["InvSeries"] == row.template + row.symbol and data["RefID"]
    assert {t["VATRateName"] for t in data["TaxRateInfo"]} == {"10%", "8%"} and data["TotalAmountOC"] == 527400
    sub = _submission(shop, doc_id)
    assert sub.authority_code.startswith("TX") and sub.authority_uuid.startswith("M1-")
    # timeout after accepting: looked up by RefID, never published twice
    fake.hang_after_accept = 2.5
    slow = _issue(shop)
    assert _attempt(shop, slow) == "pending"
    fake.hang_after_accept = 0
    published = len(fake.invoices)
    assert _attempt(shop, slow) == "accepted"
    assert len(fake.invoices) == published and fake.calls[-1].endswith("invoicestatus")
    # a duplicate RefID answer adopts the invoice published before
    key = _submission(shop, slow).idempotency_key
    again = _provider(shop, "misa").submit(_doc(shop, slow), key)
    assert again.status == "accepted" and again.authority_code == _submission(shop, slow).authority_code
    # an error inside HTTP 200 is an error
    fake.error_200 = "InvalidBuyerTaxCode"
    bad = _issue(shop)
    assert _attempt(shop, bad) == "rejected" and "InvalidBuyerTaxCode" in _submission(shop, bad).reason
    assert _provider(shop, "misa").download_pdf(_doc(shop, doc_id)).startswith(b"%PDF")
    from addons.einvoice_vn.services.notices import cancel_invoice
    with shop.tx() as s:
        _n, note = cancel_invoice(s, doc_id, reason="Hủy")
        note_id = note.id
    assert _attempt(shop, note_id) == "accepted"
    assert fake.invoices[data["RefID"]]["EInvoiceStatus"] == 5


def test_misa_replacement_carries_the_original(misa):
    from addons.einvoice.services import corrections
    from addons.einvoice.services.issue import issue_document
    shop, fake = misa
    original = _issue(shop)
    assert _attempt(shop, original) == "accepted"
    with shop.tx() as s:
        rep = corrections.replace(s, original, reason="Sai", agreement_ref="BB-1", agreement_date=date.today())
        issue_document(s, rep.id, render_pdf=False)
        rep_id = rep.id
    assert _attempt(shop, rep_id) == "accepted"
    data = fake.bodies[-1]
    orig = shop.invoice(original)
    assert data["ReferenceType"] == 1 and data["OrgInvNo"] == f"{orig.number:08d}"
    assert data["OrgInvSeries"] == orig.template + orig.symbol and data["ReferenceDocNo"] == "BB-1"


def test_viettel_basic_authentication(viettel):
    shop, fake = viettel
    shop.settings(viettel_auth="basic")
    try:
        doc_id = _issue(shop)
        logins = fake.calls.count("/auth/login")
        assert _attempt(shop, doc_id) == "accepted"
        assert fake.calls.count("/auth/login") == logins  # no token: Basic on the call itself
    finally:
        shop.settings(viettel_auth="token")
    shop.settings(viettel_password="wrong")
    try:
        bad = _issue(shop)
        from addons.einvoice.services.submission import run_submission
        from core.errors import UserError
        with pytest.raises(UserError, match="Viettel login refused"):
            run_submission(shop.runtime, shop.id, _submission(shop, bad).id)
    finally:
        shop.settings(viettel_password="secret")


def test_viettel_tax_authority_code_arrives_later_through_the_status_pull(viettel):
    from addons.einvoice.services.submission import run_status_pull
    from addons.einvoice.models import Document
    from addons.einvoice_vn.rendering import fiscal_block
    shop, fake = viettel
    fake.code_later = True
    try:
        doc_id = _issue(shop, language="vi")
        assert _attempt(shop, doc_id) == "accepted"
    finally:
        fake.code_later = False
    assert _submission(shop, doc_id).authority_uuid is None
    with shop.session() as s:
        assert "Mã của cơ quan thuế" not in dict(fiscal_block(s.get(Document, doc_id))["regime_sections"][0]["rows"])
    fake.grant_codes()
    assert run_status_pull(shop.runtime, shop.id, _submission(shop, doc_id).id) == "accepted"
    sub = _submission(shop, doc_id)
    assert sub.authority_uuid and sub.authority_uuid.startswith("00")
    with shop.session() as s:
        rows = dict(fiscal_block(s.get(Document, doc_id))["regime_sections"][0]["rows"])
    assert rows["Mã của cơ quan thuế"] == sub.authority_uuid and rows["Mã tra cứu"] == sub.authority_code


def test_provider_pdf_command(viettel, tmp_path):
    from tests.cli.conftest import Cli, cli_env
    shop, fake = viettel
    doc_id = _issue(shop)
    assert _attempt(shop, doc_id) == "accepted"
    number = _doc(shop, doc_id).display_number
    cli = Cli(cli_env(shop.runtime.db.engine.url.render_as_string(hide_password=False), instance=tmp_path))
    out = tmp_path / "v.pdf"
    shown = cli.json("einvoice_vn", "provider-pdf", number, "--out", out, "--business", shop.business.slug)
    assert shown["provider"] == "viettel" and out.read_bytes().startswith(b"%PDF")
    offline = build_vn_shop(shop.runtime)
    other = offline.issue(offline.draft())
    other_number = _doc(offline, other).display_number
    assert "not accepted by Viettel or MISA" in cli.fails("einvoice_vn", "provider-pdf", other_number, "--out", out,
                                                         "--business", offline.business.slug)


def _interrupted_cancel(shop, fake, cancel_path):
    """Cancel an accepted invoice; the provider cancels, then answers after the client's timeout."""
    from addons.einvoice_vn.services.notices import cancel_invoice
    doc_id = _issue(shop)
    assert _attempt(shop, doc_id) == "accepted"
    with shop.tx() as s:
        _notice, note = cancel_invoice(s, doc_id, reason="Hủy giao dịch")
        note_id = note.id
    fake.hang_after_accept = 2.5
    try:
        assert _attempt(shop, note_id) == "pending"  # cancelled at the provider, the answer lost
    finally:
        fake.hang_after_accept = 0
    cancels = sum(1 for c in fake.calls if c.endswith(cancel_path))
    return doc_id, note_id, cancels


def test_viettel_interrupted_cancellation_is_adopted(viettel):
    shop, fake = viettel
    doc_id, note_id, cancels = _interrupted_cancel(shop, fake, "cancelTransactionInvoice")
    key = _submission(shop, note_id).idempotency_key
    # The retry is answered "already cancelled": that is the cancellation done, not a rejection.
    again = _provider(shop, "viettel").cancel(_doc(shop, note_id), key)
    assert again.status == "accepted", again
    assert sum(1 for c in fake.calls if c.endswith("cancelTransactionInvoice")) == cancels + 1
    # The framework's own retry looks it up first and records it cancelled without cancelling again.
    assert _attempt(shop, note_id) == "accepted"
    assert sum(1 for c in fake.calls if c.endswith("cancelTransactionInvoice")) == cancels + 1
    assert "cancelled" in _submission(shop, note_id).reason
    # A cancellation Viettel refuses for another reason stays refused.
    other = _issue(shop)
    assert _attempt(shop, other) == "accepted"
    with shop.tx() as s:
        from addons.einvoice_vn.services.notices import cancel_invoice
        _n, note = cancel_invoice(s, other, reason="Hủy")
        other_note = note.id
    number = shop.invoice(other).provider_number
    fake.invoices[next(u for u, i in fake.invoices.items() if i["invoiceNo"] == number)]["invoiceNo"] = "GONE"
    assert _attempt(shop, other_note) == "rejected"
    assert "INVOICE_NOT_FOUND" in _submission(shop, other_note).reason


def test_misa_interrupted_cancellation_is_adopted(misa):
    shop, fake = misa
    doc_id, note_id, cancels = _interrupted_cancel(shop, fake, "/cancel")
    key = _submission(shop, note_id).idempotency_key
    again = _provider(shop, "misa").cancel(_doc(shop, note_id), key)
    assert again.status == "accepted", again  # "InvoiceCancelled" inside HTTP 200, confirmed by invoicestatus
    assert sum(1 for c in fake.calls if c.endswith("/cancel")) == cancels + 1
    assert _attempt(shop, note_id) == "accepted"
    assert sum(1 for c in fake.calls if c.endswith("/cancel")) == cancels + 1


def test_provider_numbers_are_compared_with_ours(viettel, misa, tmp_path, make_user, client_for):  # noqa: F811
    from tests.cli.conftest import Cli, cli_env
    from tests.addons.sales.test_document_page import _part
    for shop, fake in (viettel, misa):
        same = _issue(shop)
        fake.next_number = shop.invoice(same).number  # the provider agrees with us
        assert _attempt(shop, same) == "accepted"
        assert shop.invoice(same).number_mismatch is None and shop.invoice(same).provider_number
        other = _issue(shop)
        ours = shop.invoice(other)
        fake.next_number = ours.number + 7  # the provider numbers it otherwise
        assert _attempt(shop, other) == "accepted"  # issued at the provider: its number is the legal one
        row = shop.invoice(other)
        assert row.number_mismatch == f"{ours.template}{ours.symbol} {ours.number + 7:08d}"
        assert "NUMBER MISMATCH" in _submission(shop, other).reason and str(ours) in _submission(shop, other).reason
        page = client_for(make_user(shop.business)).get(f"/admin/einvoice_document/details/?id={other}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "Number mismatch" in text and row.number_mismatch in text
        assert "Number mismatch" not in client_for(make_user(shop.business)).get(
            f"/admin/einvoice_document/details/?id={same}").get_data(as_text=True)
        cli = Cli(cli_env(shop.runtime.db.engine.url.render_as_string(hide_password=False), instance=tmp_path))
        listed = cli.json("einvoice_vn", "invoices", "--mismatch", "--business", shop.business.slug)
        # (earlier tests' invoices rejected before sending left gaps in the provider's numbering: flagged too)
        flagged = {r["invoice"]: r["mismatch"] for r in listed}
        assert flagged[str(ours)] == f"MISMATCH: the provider numbered it {row.number_mismatch}"
        assert str(shop.invoice(same)) not in flagged
        shown = cli("einvoice_vn", "invoices", "--business", shop.business.slug)
        assert f"MISMATCH: the provider numbered it {row.number_mismatch}" in shown.stdout
        assert "numbered otherwise by the provider" in shown.stderr
    assert _part(text, "doc-number")  # the page rendered its header


def test_provider_reading_of_numbers():
    from addons.einvoice_vn.symbols import number_mismatch, provider_reading
    assert provider_reading("1", "C26TAA12") == ("1", "C26TAA", 12)
    assert provider_reading("1", "1C26TAA0000012") == ("1", "C26TAA", 12)
    assert provider_reading("1", "00000012", "2C26TAA") == ("2", "C26TAA", 12)
    assert provider_reading("1", "AA/20E12") is None
    assert number_mismatch("1", "C26TAA", 12, "C26TAA12") is None
    assert number_mismatch("1", "C26TAA", 12, "00000012", "1C26TAA") is None
    assert number_mismatch("1", "C26TAA", 12, "00000012", "2C26TAA") == "2C26TAA 00000012"
    assert number_mismatch("1", "C26TAA", 12, "C26TAB12") == "1C26TAB 00000012"
    assert number_mismatch("1", "C26TAA", 12, "weird-7") == "weird-7"
