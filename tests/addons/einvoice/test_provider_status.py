"""What the authority said reaches the document: QR codes of issued documents, and the scheduled status pull."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from addons.einvoice import providers
from addons.einvoice.models import Submission
from addons.einvoice.providers import EInvoiceProvider, ProviderResult
from addons.einvoice.rendering.qr import qr_payload
from addons.einvoice.services import submission
from addons.einvoice.services.documents import create_document, ensure_pdf, get_document
from addons.einvoice.services.issue import issue_document

from .random_docs import make_shop
from .test_pdf import images_of

MX_BUYER = dict(kind="company", name="Distribuidora Peña SA de CV", tax_id="XAXX010101000", country="MX",
                address="Calle Niños Héroes 12", city="Guadalajara")


class StampingProvider(EInvoiceProvider):
    """A PAC-like adapter: accepts with the stamp's UUID and seal; reports each status pull."""
    code = "stamping"
    pulls: list = []
    received: dict = {}
    answer = "accepted"

    def submit(self, document, idempotency_key):
        type(self).received[idempotency_key] = f"UUID-{document.id}"
        return ProviderResult("processing", authority_uuid=f"UUID-{document.id}")

    def lookup(self, idempotency_key):
        uuid = type(self).received.get(idempotency_key)
        return ProviderResult("processing", authority_uuid=uuid) if uuid else None

    def fetch_status(self, sub):
        type(self).pulls.append((self.code, sub.id, dict(self.options)))
        return ProviderResult(self.answer, authority_code=f"SEAL{sub.document_id:012d}ABCDEFGH",
                              authority_uuid=sub.authority_uuid)


class OtherProvider(StampingProvider):
    code = "other"


@pytest.fixture
def stamping(runtime):
    for cls in (StampingProvider, OtherProvider):
        runtime.registry.providers[("einvoice", cls.code)] = ("einvoice", cls, cls.code)
    StampingProvider.pulls = []
    yield StampingProvider
    for cls in (StampingProvider, OtherProvider):
        del runtime.registry.providers[("einvoice", cls.code)]


def _submission_of(shop, doc_id) -> Submission:
    with shop.session() as s:
        return s.scalar(select(Submission).where(Submission.document_id == doc_id))


class LookupCodeProvider(EInvoiceProvider):
    """A Vietnamese-style provider: the authority's lookup code comes back with the acceptance."""
    code = "lookupcode"

    def submit(self, document, idempotency_key):
        return ProviderResult("accepted", authority_code=f"K7X2-{document.id}")

    def lookup(self, idempotency_key):
        return None


def test_vietnamese_qr_of_an_issued_document_carries_the_lookup_code(shop, runtime, run_jobs):
    runtime.registry.providers[("einvoice", "lookupcode")] = ("einvoice", LookupCodeProvider, "lookup")
    try:
        with shop.tx() as s:
            providers.set_provider(s, runtime, doc_type=None, provider="lookupcode")
        doc_id = shop.draft()
        shop.issue(doc_id)
        run_jobs(shop.id)
    finally:
        del runtime.registry.providers[("einvoice", "lookupcode")]
    code = _submission_of(shop, doc_id).authority_code
    assert code == f"K7X2-{doc_id}"
    with shop.session() as s:
        doc = get_document(s, doc_id)
        payload = qr_payload(doc)
    assert payload["payload"].split("|")[-1] == code and code in payload["caption"]


def test_mexican_qr_appears_once_the_cfdi_is_stamped(runtime, make_business, stamping, run_jobs):
    shop = make_shop(runtime, make_business, "MX")
    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type=None, provider="stamping")
        draft = create_document(s, type="sales_invoice", buyer=MX_BUYER, lines=[
            {"description": "Servicio", "quantity": "1", "unit_price": "100", "tax_rate": "0.16"}])
        doc_id = issue_document(s, draft.id, render_pdf=False).id
    run_jobs(shop.business.id)
    with shop.session() as s:
        assert qr_payload(get_document(s, doc_id)) is None  # processing: not stamped yet
    with shop.tx() as s:
        assert submission.pull_statuses(s) == 1
    run_jobs(shop.business.id)
    sub = _submission_of(shop, doc_id)
    assert sub.state == "accepted"
    with shop.tx() as s:  # issued without its PDF: rendered when first needed, after the stamp, QR included
        doc = get_document(s, doc_id)
        url = qr_payload(doc)["payload"]
        assert images_of(ensure_pdf(s, doc)) == 1
    query = parse_qs(urlsplit(url).query)
    assert query["id"] == [sub.authority_uuid] and query["fe"] == [sub.authority_code[-8:]]
    assert query["tt"] == ["116.00"]


def test_status_pull_is_scheduled_and_uses_each_submissions_own_provider_options(shop, runtime, stamping,
                                                                                 run_jobs):
    schedules = {(entry.name, entry.job) for entry in runtime.registry["einvoice"].schedules}
    assert ("pull_submission_status", "pull_status") in schedules and "einvoice.pull_status" in runtime.registry.jobs
    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type=None, provider="stamping", options={"url": "https://pac-a"})
    first = shop.draft()
    shop.issue(first)
    run_jobs(shop.id)
    with shop.tx() as s:  # the business moves invoices to another provider: the first submission keeps its own
        providers.set_provider(s, runtime, doc_type="sales_invoice", provider="other",
                               options={"url": "https://other"})
    second = shop.draft()
    shop.issue(second)
    run_jobs(shop.id)
    OtherProvider.answer = StampingProvider.answer = "accepted"
    from addons.einvoice import jobs
    from core.jobs import JobContext
    jobs.pull_status(JobContext(runtime, shop.id, 0))
    run_jobs(shop.id)
    first_sub, second_sub = _submission_of(shop, first), _submission_of(shop, second)
    assert sorted(StampingProvider.pulls) == sorted([
        ("stamping", first_sub.id, {"url": "https://pac-a"}), ("other", second_sub.id, {"url": "https://other"})])
    assert first_sub.state == second_sub.state == "accepted"
    StampingProvider.pulls.clear()
    with shop.tx() as s:  # accepted ones are pulled again (a later cancellation or code), settled state stays
        assert submission.pull_statuses(s) == 2
    run_jobs(shop.id)
    assert len(StampingProvider.pulls) == 2 and _submission_of(shop, first).state == "accepted"
