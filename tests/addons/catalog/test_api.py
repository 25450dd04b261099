"""Products through the REST API: variants with their prices, per channel."""
from __future__ import annotations

from tests.core.api.helpers import app_for, bearer, make_world, token_for


def test_products_with_variants_and_channel_prices(runtime):
    from addons.catalog.services import create_price_list, set_list_price
    world = make_world(runtime, addons=("catalog",), prices=("100000", "19500"))
    with runtime.transaction(world.business.id) as session:
        create_price_list(session, "Web shop", "web")
        set_list_price(session, "web", world.variant_ids[0], "90000")
    client = app_for(runtime).test_client()
    headers = bearer(token_for(runtime, world.business, scopes=["catalog.product.read"]))
    body = client.get("/api/v1/products", headers=headers).get_json()
    assert body["next"] is None and [p["id"] for p in body["data"]] == world.product_ids
    first = body["data"][0]
    assert first["name"] == f"Product {world.skus[0]}"
    assert first["variants"][0] | {"id": 0} == {"id": 0, "sku": world.skus[0], "barcode": None, "attributes": {},
                                                "price": "100000", "channel_prices": {"web": "90000"},
                                                "active": True}
    web = client.get("/api/v1/products?channel=web", headers=headers).get_json()["data"]
    assert [p["variants"][0]["price"] for p in web] == ["90000", "19500"]
    one = client.get(f"/api/v1/products/{world.product_ids[1]}?channel=shopee", headers=headers).get_json()
    assert one["variants"][0]["price"] == "19500"
    assert client.get("/api/v1/products?channel=moon", headers=headers).status_code == 422
    assert client.get("/api/v1/products/999999", headers=headers).status_code == 404
