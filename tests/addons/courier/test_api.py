"""Shipments through the REST API: the change feed with its filters, a shipment with its parcels
and tracking timeline, scopes, tenancy (another business's token gets 404), a shop without
couriers (404), and the signed shipment.delivered / shipment.returned webhooks."""
from __future__ import annotations

import json

import pytest

from addons.courier import states
from addons.courier.services import tracking
from core.api import webhooks
from tests.core.api.helpers import allow_private_webhooks, app_for, bearer, make_world, token_for
from tests.core.api.test_webhooks import Receiver, deliver_all

from .conftest import Shop

WALKS = {"delivered": (states.READY_TO_PICK, states.PICKED, states.IN_TRANSIT, states.DELIVERED),
         "picked": (states.PICKED,),
         "returned": (states.PICKED, states.DELIVERY_FAILED, states.RETURNING, states.RETURNED)}


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module", autouse=True)
def private_receivers(runtime):
    """The receiver lives on 127.0.0.1: private webhook addresses are allowed explicitly here."""
    with allow_private_webhooks(runtime):
        yield


@pytest.fixture(scope="module")
def shipped(runtime, receiver, private_receivers):
    """A shop with couriers and a webhook endpoint: three paid orders shipped by the manual carrier
    and walked to delivered, picked up and returned."""
    world = make_world(runtime, addons=("sales", "warehouse", "courier"))
    shop = Shop(world.business, runtime, customer_id=world.customer_id, variants=world.variant_ids)
    with shop.tx() as session:
        _row, secret = webhooks.create_endpoint(session, runtime.registry, runtime.config["SECRET_KEY"],
                                                url=receiver.url, events=["shipment.delivered", "shipment.returned"],
                                                allow_private=True)
    made = {}
    for name, walk in WALKS.items():
        order_id = shop.order(pay=True, qty=("1", "1"))
        shipment_id = shop.ship(order_id)
        for state in walk:
            with shop.tx() as session:
                tracking.set_state(session, shipment_id, state, note=f"walk {state}")
        made[name] = shipment_id
    return world, made, secret


@pytest.fixture(scope="module")
def client(runtime):
    return app_for(runtime).test_client()


@pytest.fixture(scope="module")
def headers(runtime, shipped):
    return bearer(token_for(runtime, shipped[0].business, scopes=["courier.shipment.read"]))


def test_a_shipment_with_its_parcels_and_timeline(client, shipped, headers):
    world, made, _secret = shipped
    body = client.get(f"/api/v1/shipments/{made['delivered']}", headers=headers)
    assert body.status_code == 200, body.get_data(as_text=True)
    shipment = body.get_json()
    assert shipment["state"] == "delivered" and shipment["carrier"] == "manual" and shipment["currency"] == "VND"
    assert shipment["order"]["number"].startswith("SO") and shipment["receiver"]["province"] == "Hà Nội"
    assert shipment["cod_amount"] == "0" and shipment["weight_g"] > 0
    assert len(shipment["parcels"]) == 1 and len(shipment["parcels"][0]["lines"]) == 2
    applied = [(e["state"], e["source"], e["note"]) for e in shipment["events"] if e["applied"]]
    assert applied[-4:] == [(s, "manual", f"walk {s}") for s in WALKS["delivered"]]
    stamps = [e["at"] for e in shipment["events"]]
    assert stamps == sorted(stamps)


def test_the_change_feed_and_its_filters(client, shipped, headers):
    world, made, _secret = shipped
    everything = client.get("/api/v1/shipments?limit=200", headers=headers).get_json()
    assert {s["id"] for s in everything["data"]} == set(made.values()) and everything["next"] is None
    assert "events" not in everything["data"][0]
    stamps = [(s["updated_at"], s["id"]) for s in everything["data"]]
    assert stamps == sorted(stamps)
    returned = client.get("/api/v1/shipments?state=returned", headers=headers).get_json()["data"]
    assert [s["id"] for s in returned] == [made["returned"]]
    number = next(s["order"]["number"] for s in everything["data"] if s["id"] == made["picked"])
    of_order = client.get("/api/v1/shipments", query_string={"order_number": number}, headers=headers)
    assert [s["id"] for s in of_order.get_json()["data"]] == [made["picked"]]
    nothing = client.get("/api/v1/shipments", query_string={"order_number": "SO-1999-9999"}, headers=headers)
    assert nothing.get_json()["data"] == []
    since = everything["data"][-1]["updated_at"]
    recent = client.get("/api/v1/shipments", query_string={"updated_since": since}, headers=headers).get_json()
    assert recent["data"] and all(s["updated_at"] >= since for s in recent["data"])
    page = client.get("/api/v1/shipments?limit=1", headers=headers).get_json()
    following = client.get(page["next"], headers=headers).get_json()
    assert following["data"][0]["id"] == everything["data"][1]["id"]
    bad = client.get("/api/v1/shipments?state=flying", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "state"


def test_scope_tenancy_and_a_shop_without_couriers(runtime, client, shipped):
    world, made, _secret = shipped
    orders_only = bearer(token_for(runtime, world.business, scopes=["sales.order.read"]))
    assert client.get("/api/v1/shipments", headers=orders_only).status_code == 403
    other = make_world(runtime, addons=("sales", "courier"), prices=("1",))
    theirs = bearer(token_for(runtime, other.business))
    for shipment_id in made.values():
        assert client.get(f"/api/v1/shipments/{shipment_id}", headers=theirs).status_code == 404
    assert client.get("/api/v1/shipments?limit=200", headers=theirs).get_json()["data"] == []
    without = make_world(runtime, addons=("sales",), prices=("1",))
    everything = bearer(token_for(runtime, without.business))
    for url in ("/api/v1/shipments", f"/api/v1/shipments/{made['delivered']}"):
        answer = client.get(url, headers=everything)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_signed_shipment_webhooks_to_a_receiver_on_loopback(runtime, client, shipped, headers, receiver):
    world, made, secret = shipped
    receiver.received.clear()
    assert set(deliver_all(runtime, world.business.id)) == {"done"}
    sent = {}
    for hook_headers, body in receiver.received:
        assert webhooks.verify(secret, hook_headers[webhooks.SIGNATURE_HEADER], body)
        assert not webhooks.verify("whsec_other", hook_headers[webhooks.SIGNATURE_HEADER], body)
        event = json.loads(body)
        assert event["type"] == hook_headers["Tessera-Event"]
        sent.setdefault(event["type"], []).append(event["data"])
    assert {t: [d["id"] for d in data] for t, data in sent.items()} == {
        "shipment.delivered": [made["delivered"]], "shipment.returned": [made["returned"]]}
    read = client.get(f"/api/v1/shipments/{made['delivered']}", headers=headers).get_json()
    assert sent["shipment.delivered"][0] == read
    assert sent["shipment.returned"][0]["state"] == "returned"


def test_the_openapi_document_describes_the_shipments(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/shipments", "/shipments/{shipment_id}"} <= set(document["paths"])
    listing = document["paths"]["/shipments"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"state", "order_number", "updated_since", "cursor", "limit"}
    schemas = document["components"]["schemas"]
    assert "events" in schemas["ShipmentDetailOut"]["properties"] and "parcels" in schemas["ShipmentOut"]["properties"]
