"""Stock through the REST API: available = on hand - reserved, per variant and warehouse."""
from __future__ import annotations

from tests.core.api.helpers import app_for, bearer, make_world, token_for


def test_stock_availability_follows_reservations(runtime):
    from addons.sales.services import confirm_order, create_order_from_entry
    world = make_world(runtime, stock="10")
    client = app_for(runtime).test_client()
    headers = bearer(token_for(runtime, world.business, scopes=["warehouse.stock.read"]))
    rows = client.get("/api/v1/stock", headers=headers).get_json()["data"]
    assert {(r["sku"], r["warehouse"], r["on_hand"], r["reserved"], r["available"]) for r in rows} == {
        (sku, world.warehouse, "10", "0", "10") for sku in world.skus}
    with runtime.transaction(world.business.id) as session:
        order = create_order_from_entry(session, {"customer": {"code": str(world.customer_id)},
                                                  "lines": [{"sku": world.skus[0], "qty": "2.5"}]}).order
        confirm_order(session, order.id)
    one = client.get("/api/v1/stock", query_string={"sku": world.skus[0].lower()}, headers=headers).get_json()["data"]
    assert [(r["on_hand"], r["reserved"], r["available"]) for r in one] == [("10", "2.5", "7.5")]
    assert client.get("/api/v1/stock?warehouse=NOPE", headers=headers).get_json()["data"] == []
    assert len(client.get(f"/api/v1/stock?warehouse={world.warehouse}", headers=headers).get_json()["data"]) == 2
