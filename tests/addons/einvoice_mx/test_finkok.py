"""Stamping and cancelling through Finkok's SOAP API, against a fake Finkok on 127.0.0.1."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from . import sat_rules
from .conftest import build_mx_shop
from .csd_helpers import PASSWORD, make_csd
from .fake_finkok import FakeFinkok


@pytest.fixture(scope="module")
def finkok():
    from satcfdi.models import Signer
    cer, key = make_csd("FIN1203015JA", "FINKOK SAPI DE CV", "30001000000500009999")
    with FakeFinkok(Signer.load(cer, key, PASSWORD)) as fake:
        yield fake


@pytest.fixture(scope="module")
def shop(runtime, finkok):
    shop = build_mx_shop(runtime, provider="finkok")
    shop.settings(finkok_url=finkok.url, finkok_username=finkok.username, finkok_password=finkok.password,
                  pac_timeout=1)
    return shop


@pytest.fixture(autouse=True)
def _reset(finkok):
    finkok.calls.clear()
    finkok.hang_after_stamp, finkok.fail_5xx = 0, 0
    finkok.acceptance, finkok.decision = "Cancelado sin aceptación", "Cancelado con aceptación"


def _submission(shop, doc_id):
    from addons.einvoice.models import Submission
    with shop.session() as s:
        return s.scalar(select(Submission).where(Submission.document_id == doc_id).order_by(Submission.id.desc()))


def _attempt(shop, doc_id):
    from addons.einvoice.services.submission import run_submission
    return run_submission(shop.runtime, shop.id, _submission(shop, doc_id).id)


def test_stamp(shop, finkok):
    doc_id = shop.issue(shop.draft())
    assert _attempt(shop, doc_id) == "accepted"
    row = shop.cfdi(doc_id)
    assert finkok.calls == ["stamp"]
    assert row.state == "stamped" and row.pac == "finkok" and row.uuid == finkok.stamps[_sello(row)][0]
    assert row.sat_certificate_number == "30001000000500009999"
    assert _submission(shop, doc_id).authority_uuid == row.uuid
    sat_rules.assert_valid(row.stamped_xml)


def test_quick_stamp_when_chosen(shop, finkok):
    shop.settings(finkok_method="quick_stamp")
    try:
        doc_id = shop.issue(shop.draft())
        assert _attempt(shop, doc_id) == "accepted"
        assert finkok.calls == ["quick_stamp"] and shop.cfdi(doc_id).state == "stamped"
    finally:
        shop.settings(finkok_method="stamp")


def _sello(row):
    from lxml import etree
    return etree.fromstring(row.signed_xml).get("Sello")


def test_timeout_after_stamping_is_recovered_not_resent(shop, finkok):
    from addons.einvoice.services.submission import SubmissionPending
    doc_id = shop.issue(shop.draft())
    finkok.hang_after_stamp = 1.5   # Finkok stamps, the answer comes after our 1 s timeout
    with pytest.raises(SubmissionPending, match="outcome unknown"):
        _attempt(shop, doc_id)
    assert _submission(shop, doc_id).state == "unknown" and shop.cfdi(doc_id).uuid is None
    finkok.hang_after_stamp = 0
    assert _attempt(shop, doc_id) == "accepted"
    assert finkok.calls == ["stamp", "stamped"]     # looked up, never stamped twice
    row = shop.cfdi(doc_id)
    assert row.uuid == finkok.stamps[_sello(row)][0]


def test_already_stamped_307_recovers_the_earlier_stamp(shop, finkok):
    doc_id = shop.issue(shop.draft())
    row = shop.cfdi(doc_id)
    import base64
    from lxml import etree
    finkok._stamp({"xml": etree.fromstring(f"<x>{base64.b64encode(row.signed_xml).decode()}</x>")})
    assert _attempt(shop, doc_id) == "accepted"
    assert finkok.calls == ["stamp", "stamped"]
    assert shop.cfdi(doc_id).uuid == finkok.stamps[_sello(row)][0]


def test_5xx_then_lookup_finds_nothing_and_sends(shop, finkok):
    from addons.einvoice.services.submission import SubmissionPending
    doc_id = shop.issue(shop.draft())
    finkok.fail_5xx = 1
    with pytest.raises(SubmissionPending, match="HTTP 500"):
        _attempt(shop, doc_id)
    assert _attempt(shop, doc_id) == "accepted"
    assert finkok.calls == ["stamped", "stamp"]   # 603 "no timbre previo", then the one stamp
    assert len([1 for uuid, _ in finkok.stamps.values() if uuid == shop.cfdi(doc_id).uuid]) == 1


def test_wrong_credentials_reject_with_finkok_message(runtime, finkok):
    other = build_mx_shop(runtime, provider="finkok")
    other.settings(finkok_url=finkok.url, finkok_username="nobody", finkok_password="bad", pac_timeout=1)
    doc_id = other.issue(other.draft())
    assert _attempt(other, doc_id) == "rejected"
    assert "Usuario o contraseña" in _submission(other, doc_id).reason
    assert other.cfdi(doc_id).state == "signed"


def _stamped_doc(shop):
    doc_id = shop.issue(shop.draft(lines=[{"description": "Server", "quantity": "1", "unit_price": "5000",
                                           "tax_rate": "0.16"}]))
    _attempt(shop, doc_id)
    return doc_id, shop.cfdi(doc_id).uuid


def test_cancellation_pending_then_accepted_by_the_status_query(shop, finkok):
    from addons.einvoice_mx.services.cancel import request_cancel
    doc_id, uuid = _stamped_doc(shop)
    finkok.acceptance = "En proceso"
    with shop.tx() as s:
        request_cancel(s, uuid, "02")
    shop.run_jobs("einvoice_mx.")
    row = shop.cfdi(doc_id)
    assert (row.state, row.acceptance, row.cancel_status) == ("cancel_requested", "pending", "En proceso")
    assert finkok.cancellations[uuid]["motive"] == "02"
    _pull(shop)
    assert shop.cfdi(doc_id).state == "cancel_requested"          # the receiver has not answered
    finkok.decide()
    _pull(shop)
    row = shop.cfdi(doc_id)
    assert (row.state, row.acceptance, row.sat_status) == ("cancelled", "accepted", "Cancelado")
    assert finkok.calls.count("cancel_signature") == 1


def test_cancellation_rejected_by_the_receiver(shop, finkok):
    from addons.einvoice_mx.services.cancel import request_cancel
    doc_id, uuid = _stamped_doc(shop)
    finkok.acceptance, finkok.decision = "En proceso", "Solicitud rechazada"
    with shop.tx() as s:
        request_cancel(s, uuid, "03")
    shop.run_jobs("einvoice_mx.")
    finkok.decide()
    _pull(shop)
    row = shop.cfdi(doc_id)
    assert (row.state, row.acceptance) == ("cancel_rejected", "rejected")


def test_cancellation_without_acceptance(shop, finkok):
    from addons.einvoice_mx.services.cancel import request_cancel
    doc_id, uuid = _stamped_doc(shop)
    with shop.tx() as s:
        request_cancel(s, uuid, "02")
    shop.run_jobs("einvoice_mx.")
    row = shop.cfdi(doc_id)
    assert (row.state, row.acceptance) == ("cancelled", "without_acceptance")


def test_motive_01_names_the_replacement_issued_first(shop, finkok):
    from core.errors import FieldErrors
    from addons.einvoice.services.corrections import replace
    from addons.einvoice_mx.services.cancel import request_cancel
    doc_id, uuid = _stamped_doc(shop)
    with pytest.raises(FieldErrors, match="replacement: motive 01 needs"), shop.tx() as s:
        request_cancel(s, uuid, "01")
    other_id, other_uuid = _stamped_doc(shop)
    with pytest.raises(FieldErrors, match="does not relate to"), shop.tx() as s:
        request_cancel(s, uuid, "01", other_uuid)
    with shop.tx() as s:
        new_id = replace(s, doc_id, reason="wrong price").id
    shop.issue(new_id)
    _attempt(shop, new_id)
    new = shop.cfdi(new_id)
    sat_rules.assert_valid(new.stamped_xml)
    with shop.tx() as s:
        request_cancel(s, uuid, "01", new.uuid.lower())
    shop.run_jobs("einvoice_mx.")
    assert finkok.cancellations[uuid] == {"status": "Cancelado sin aceptación", "motive": "01",
                                          "replacement": new.uuid}
    assert shop.cfdi(doc_id).state == "cancelled"


def _pull(shop):
    from core.jobs import enqueue
    with shop.tx() as s:
        enqueue(s, "einvoice_mx.pull_cancellations")
    shop.run_jobs("einvoice_mx.")
