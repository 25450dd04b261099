"""Orders through the REST API: the order entry payload, external_ref, transitions and their 409s,
payments, the change feed, and tenancy (a token of B gets 404 for every order of A)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.core.api.helpers import app_for, bearer, make_world, token_for


@pytest.fixture(scope="module")
def world(runtime):
    return make_world(runtime)


@pytest.fixture(scope="module")
def other(runtime):
    return make_world(runtime)


@pytest.fixture(scope="module")
def client(runtime):
    return app_for(runtime).test_client()


@pytest.fixture(scope="module")
def token(runtime, world):
    return token_for(runtime, world.business, scopes=["sales.order.create", "sales.order.read", "sales.order.edit",
                                                      "sales.payment.create"])


def order_payload(world, ref, **extra):
    return {"customer": {"id": world.customer_id}, "lines": [{"sku": world.skus[0], "qty": 2},
                                                             {"sku": world.skus[1], "qty": "1"}],
            "shipping_fee": "30000", "external_ref": ref, **extra}


def test_create_order_like_sales_create_file(client, world, token):
    response = client.post("/api/v1/orders", json=order_payload(world, "WEB-1"), headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert order["channel"] == "web" and order["state"] == "new" and order["currency"] == "VND"
    assert order["total"] == "480000" and order["customer"]["id"] == world.customer_id
    assert [line["sku"] for line in order["lines"]] == world.skus[:2]
    read = client.get(f"/api/v1/orders/{order['id']}", headers=bearer(token)).get_json()
    assert read["number"] == order["number"]


def test_a_retried_post_never_makes_two_orders(runtime, client, world, token):
    from addons.sales.models import Order
    payload = order_payload(world, "WEB-RETRY")
    first = client.post("/api/v1/orders", json=payload, headers=bearer(token))
    again = client.post("/api/v1/orders", json=payload, headers=bearer(token))
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["number"] == first.get_json()["number"]
    changed = client.post("/api/v1/orders", json=order_payload(world, "WEB-RETRY", note="other"),
                          headers=bearer(token))
    assert changed.status_code == 422 and changed.get_json()["errors"][0]["field"] == "external_ref"
    with runtime.session(world.business.id) as session:
        assert session.scalar(select(func.count()).select_from(Order).where(Order.external_ref == "WEB-RETRY")) == 1


def test_inline_customer_cod_and_field_errors(runtime, client, world, token):
    payload = {"customer": {"name": "Lê Văn C", "phone": "0901234567", "address": {"street": "1 Lê Lợi",
                                                                                 "province": "HCM"}},
               "lines": [{"sku": world.skus[0], "qty": 1}], "cod": True, "external_ref": "WEB-COD"}
    order = client.post("/api/v1/orders", json=payload, headers=bearer(token)).get_json()
    assert order["cod_amount"] == order["total"] == "100000" and order["customer"]["name"] == "Lê Văn C"
    bad = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id},
                                               "lines": [{"sku": "NOPE", "qty": 0}]}, headers=bearer(token))
    body = bad.get_json()
    assert bad.status_code == 422 and {e["field"] for e in body["errors"]} >= {"lines[0].sku", "lines[0].qty"}
    price = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id}, "lines": [
        {"sku": world.skus[0], "qty": 1, "unit_price": "1"}]}, headers=bearer(token))
    assert price.status_code == 422 and "override_price" in price.get_json()["detail"]
    both = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id, "code": "C00001"},
                                                "lines": [{"sku": world.skus[0], "qty": 1}]}, headers=bearer(token))
    assert both.status_code == 422 and both.get_json()["errors"][0]["field"] == "customer.id"
    overriding = bearer(token_for(runtime, world.business, scopes=["sales.order.create", "sales.order.override_price"]))
    cheap = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id}, "lines": [
        {"sku": world.skus[0], "qty": 1, "unit_price": "1"}]}, headers=overriding)
    assert cheap.status_code == 201 and cheap.get_json()["total"] == "1"


def test_transitions_and_409s(client, world, token):
    order = client.post("/api/v1/orders", json=order_payload(world, "WEB-FLOW"), headers=bearer(token)).get_json()
    url = f"/api/v1/orders/{order['id']}"
    confirmed = client.post(url + "/confirm", headers=bearer(token))
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "processing"
    again = client.post(url + "/confirm", headers=bearer(token))
    assert again.status_code == 409 and "Processing" in again.get_json()["detail"]
    too_much = client.post(url + "/payments", json={"amount": "9999999", "method": "card"}, headers=bearer(token))
    assert too_much.status_code == 422
    paid = client.post(url + "/payments", json={"amount": order["total"], "method": "bank_transfer"},
                       headers=bearer(token))
    assert paid.status_code == 201 and paid.get_json()["payment_status"] == "paid"
    twice = client.post(url + "/payments", json={"amount": "1", "method": "card"}, headers=bearer(token))
    assert twice.status_code == 409
    cancel = client.post(url + "/cancel", json={"reason": "changed mind"}, headers=bearer(token))
    assert cancel.status_code == 409 and "refund" in cancel.get_json()["detail"]
    fresh = client.post("/api/v1/orders", json=order_payload(world, "WEB-CANCEL"), headers=bearer(token)).get_json()
    cancelled = client.post(f"/api/v1/orders/{fresh['id']}/cancel", json={}, headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert client.post(f"/api/v1/orders/{fresh['id']}/confirm", headers=bearer(token)).status_code == 409


def test_list_filters_by_state_and_updated_since(client, world, token):
    everything = client.get("/api/v1/orders?limit=200", headers=bearer(token)).get_json()["data"]
    assert len(everything) >= 4
    stamps = [o["updated_at"] for o in everything]
    assert stamps == sorted(stamps)
    cancelled = client.get("/api/v1/orders?state=cancelled", headers=bearer(token)).get_json()["data"]
    assert cancelled and {o["state"] for o in cancelled} == {"cancelled"}
    since = everything[-1]["updated_at"]
    recent = client.get("/api/v1/orders", query_string={"updated_since": since}, headers=bearer(token)).get_json()
    assert recent["data"] and all(o["updated_at"] >= since for o in recent["data"])
    page = client.get("/api/v1/orders?limit=1", headers=bearer(token)).get_json()
    following = client.get(page["next"], headers=bearer(token)).get_json()
    assert following["data"][0]["id"] == everything[1]["id"]


def test_a_token_of_another_business_gets_404_for_every_order_of_this_one(runtime, client, world, other, token):
    order = client.post("/api/v1/orders", json=order_payload(world, "WEB-MINE"), headers=bearer(token)).get_json()
    theirs = bearer(token_for(runtime, other.business))
    url = f"/api/v1/orders/{order['id']}"
    assert client.get(url, headers=theirs).status_code == 404
    for action, body in (("/confirm", None), ("/cancel", {}), ("/payments", {"amount": "1", "method": "cash"})):
        assert client.post(url + action, json=body, headers=theirs).status_code == 404
    listed = client.get("/api/v1/orders?limit=200", headers=theirs).get_json()["data"]
    assert order["id"] not in {o["id"] for o in listed}
    # A's customer cannot be used by B's token either
    foreign = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id},
                                                   "lines": [{"sku": other.skus[0], "qty": 1}]}, headers=theirs)
    assert foreign.status_code == 422 and foreign.get_json()["errors"][0]["field"].startswith("customer")


def test_scopes_are_checked_per_operation(runtime, client, world):
    reader = bearer(token_for(runtime, world.business, scopes=["sales.order.read"]))
    assert client.get("/api/v1/orders", headers=reader).status_code == 200
    refused = client.post("/api/v1/orders", json=order_payload(world, "WEB-NO"), headers=reader)
    assert refused.status_code == 403 and "sales.order.create" in refused.get_json()["detail"]


def test_a_virtual_account_payment_and_the_methods_in_the_schema(client, world, token):
    schema = client.get("/api/v1/openapi.json").get_json()
    methods = schema["components"]["schemas"]["PaymentIn"]["properties"]["method"]["enum"]
    assert "virtual_account" in methods and "bank_transfer" in methods
    order = client.post("/api/v1/orders", json=order_payload(world, "WEB-VA", confirm=True),
                        headers=bearer(token)).get_json()
    wrong = client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": "1", "method": "giro"},
                        headers=bearer(token))
    assert wrong.status_code == 422
    paid = client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": order["total"],
                       "method": "virtual_account"}, headers=bearer(token))
    assert paid.status_code == 201 and paid.get_json()["payment_status"] == "paid"
