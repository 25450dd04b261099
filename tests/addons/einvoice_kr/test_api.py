"""``PUT /api/v1/orders/{number}/cash-receipt``: the web shop sets the receipt identity at checkout."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from addons.einvoice_kr.models import ReceiptRequest
from tests.core.api.helpers import app_for, bearer, token_for

from .conftest import CLOSED_BRN, build_kr_shop


@pytest.fixture(scope="module")
def client(runtime):
    return app_for(runtime).test_client()


@pytest.fixture(scope="module")
def token(runtime, kr):
    return token_for(runtime, kr.business, scopes=["einvoice_kr.receipt.identity", "einvoice_kr.receipt.read"])


def _number(kr, order_id):
    from addons.sales.services import get_order
    with kr.session() as s:
        return get_order(s, order_id).number


def test_put_records_the_identity_masked_and_is_idempotent(kr, client, token, popbill):
    order_id = kr.order(pay=False)
    url = f"/api/v1/orders/{_number(kr, order_id)}/cash-receipt"
    body = {"purpose": "deduction", "identity": "010-9876-5432"}
    first = client.put(url, json=body, headers=bearer(token))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json() == {"order_number": _number(kr, order_id), "purpose": "deduction",
                                "identity_kind": "mobile", "identity": "010-****-5432", "email": None}
    again = client.put(url, json=body, headers=bearer(token))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert "01098765432" not in first.get_data(as_text=True)
    with kr.session() as s:
        rows = s.scalars(select(ReceiptRequest).where(ReceiptRequest.order_id == order_id)).all()
        assert len(rows) == 1 and b"01098765432" not in rows[0].identity_encrypted
    read = client.get(url, headers=bearer(token))
    assert read.status_code == 200 and read.get_json()["identity"] == "010-****-5432"
    # a proof receipt to a business number replaces it; paying then issues the receipt to that number
    proof = client.put(url, json={"purpose": "proof", "identity": "104-81-25258"}, headers=bearer(token))
    assert proof.status_code == 200 and proof.get_json()["identity"] == "104-81-*****"
    from addons.sales.services import get_order, register_payment
    with kr.tx() as s:
        register_payment(s, order_id, get_order(s, order_id).total, "virtual_account")
    kr.run_jobs()
    receipt = kr.receipts(order_id)[-1]
    assert receipt["purpose"] == "proof" and popbill.cashbills[receipt["mgt_key"]]["identityNum"] == "1048125258"


def test_bad_identity_is_a_422_and_changes_nothing(kr, client, token):
    order_id = kr.order(pay=False)
    url = f"/api/v1/orders/{_number(kr, order_id)}/cash-receipt"
    assert client.put(url, json={"purpose": "deduction", "identity": "010-1111-2222"},
                      headers=bearer(token)).status_code == 200
    for body, field in (({"purpose": "deduction", "identity": "4111-1111-1111-1112"}, "identity"),   # Luhn
                        ({"purpose": "proof", "identity": "104-81-25250"}, "identity"),           # check digit
                        ({"purpose": "proof", "identity": CLOSED_BRN}, "identity"),               # closed (폐업)
                        ({"purpose": "gift", "identity": "010-1111-2222"}, "purpose")):
        answer = client.put(url, json=body, headers=bearer(token))
        assert answer.status_code == 422, (body, answer.get_data(as_text=True))
        problem = answer.get_json()
        assert field in problem["detail"] or any(e["field"] == field for e in problem.get("errors", [])), problem
    assert client.get(url, headers=bearer(token)).get_json()["identity"] == "010-****-2222"


def test_unknown_order_scope_and_disabled_addon(runtime, kr, client, token):
    assert client.put("/api/v1/orders/SO-0000-99999/cash-receipt", json={"purpose": "deduction",
                      "identity": "010-1111-2222"}, headers=bearer(token)).status_code == 404
    order_id = kr.order(pay=False)
    url = f"/api/v1/orders/{_number(kr, order_id)}/cash-receipt"
    reader = token_for(runtime, kr.business, scopes=["einvoice_kr.receipt.read"], name="reader")
    body = {"purpose": "deduction", "identity": "010-1111-2222"}
    assert client.put(url, json=body, headers=bearer(reader)).status_code == 403
    other = build_kr_shop(runtime)
    other_order = other.order(pay=False)
    other_url = f"/api/v1/orders/{_number(other, other_order)}/cash-receipt"
    other_token = token_for(runtime, other.business, scopes=["*"])
    assert client.put(other_url, json=body, headers=bearer(other_token)).status_code == 200
    from core.addons import state
    with other.tx() as s:
        state.disable(s, runtime.registry, other.id, "einvoice_kr")
    assert client.put(other_url, json=body, headers=bearer(other_token)).status_code == 404
    assert client.get(other_url, headers=bearer(other_token)).status_code == 404
    # a token of one business never reaches the other's orders
    assert client.put(url, json=body, headers=bearer(other_token)).status_code == 404


def test_an_order_not_in_won_gets_no_cash_receipt(kr, client, token):
    from addons.sales.services import get_order
    order_id = kr.order(pay=False)
    with kr.tx() as s:
        get_order(s, order_id).currency = "USD"    # an order in another currency (say, a foreign channel's)
    answer = client.put(f"/api/v1/orders/{_number(kr, order_id)}/cash-receipt",
                        json={"purpose": "deduction", "identity": "010-1111-2222"}, headers=bearer(token))
    assert answer.status_code == 422 and "KRW" in answer.get_json()["detail"]
    with kr.session() as s:
        assert s.scalar(select(ReceiptRequest).where(ReceiptRequest.order_id == order_id)) is None
