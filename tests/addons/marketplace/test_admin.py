"""The marketplace screens: shops with status and last-sync age, listings with the unmapped filter and
the manual map, flagged platform orders; the OAuth callback route; and the permissions behind them."""
from __future__ import annotations

from sqlalchemy import select

from addons.marketplace.models import Listing
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .conftest import build_seller, connect


def test_shops_listings_and_the_manual_map(runtime, seller, fake, make_user, client_for):  # noqa: F811
    admin = client_for(make_user(seller.business))
    page = admin.get("/admin/marketplace_shop/").get_data(as_text=True)
    assert "GTG Shopee" in page and "Connected" in page and "0 min" in page
    refused = admin.post(f"/admin/marketplace_shop/edit/?id={seller.shop_id}",
                         {"stock_buffer": "-3", "price_channel": ""}, follow_redirects=True).get_data(as_text=True)
    assert "stock_buffer" in refused or "Stock buffer" in refused
    with seller.session() as s:
        from addons.marketplace.services.shops import get_shop
        assert get_shop(s, seller.shop_id).stock_buffer == 0
    admin.post(f"/admin/marketplace_shop/edit/?id={seller.shop_id}", {"stock_buffer": "2", "price_channel": "shopee"})
    fake.add_item(seller.item_id + 90_000, {0: (f"LOOSE-{seller.id}", 1000, 0)}, name="Loose item")
    from addons.marketplace.services import listings
    listings.pull_listings(seller.runtime, seller.id, seller.shop_id)
    with seller.session() as s:
        loose = s.scalar(select(Listing).where(Listing.item_id == str(seller.item_id + 90_000)))
        loose_id = loose.id
        from addons.marketplace.services.shops import get_shop
        shop = get_shop(s, seller.shop_id)
        assert (shop.stock_buffer, shop.price_channel) == (2, "shopee")
    unmapped = admin.get("/admin/marketplace_listing/?flt0_0=1").get_data(as_text=True)
    assert f"LOOSE-{seller.id}" in unmapped and seller.skus[0] not in unmapped
    from addons.catalog.services import create_product
    with seller.tx() as s:
        variant_id = create_product(s, sku=f"LOOSE-OURS-{seller.id}", name="Khăn", sale_price="30000").variants[0].id
    response = admin.post(f"/admin/marketplace_listing/edit/?id={loose_id}", {"variant": str(variant_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with seller.session() as s:
        assert s.get(Listing, loose_id).variant_id == variant_id
    refused = admin.post(f"/admin/marketplace_listing/edit/?id={loose_id}",
                         {"variant": str(seller.variants[seller.skus[0]])}, follow_redirects=True)
    assert "already mapped" in refused.get_data(as_text=True)
    assert admin.get("/admin/marketplace_order/?flt0_0=1").status_code == 200
    linked = admin.post("/admin/marketplace_shop/action/", {"action": "authorise", "rowid": str(seller.shop_id)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Open this link to authorise GTG Shopee" in linked and "/api/v2/shop/auth_partner" in linked
    with seller.session() as s:
        assert get_shop(s, seller.shop_id).oauth_state


def test_a_reader_sees_but_may_not_edit(runtime, seller, make_user, client_for):  # noqa: F811
    reader = client_for(make_user(seller.business, permissions=["marketplace.shop.read",
                                                                "marketplace.listing.read"]))
    assert reader.get("/admin/marketplace_shop/").status_code == 200
    assert reader.get(f"/admin/marketplace_shop/edit/?id={seller.shop_id}").status_code == 403
    assert reader.get("/admin/marketplace_order/").status_code == 403


def test_the_callback_route_connects_once(runtime, make_business, fake, app):  # noqa: F811
    seller = build_seller(runtime, make_business, fake)
    client = app.test_client()
    connect(seller, fake, client=client, name="Via callback")
    with seller.session() as s:
        from addons.marketplace.services.shops import get_shop
        assert get_shop(s, seller.shop_id).status == "connected"
    again = client.get("/marketplace/callback/shopee", query_string={"code": "x", "shop_id": "1", "state": "gone"})
    assert again.status_code == 400
    assert client.get("/marketplace/callback/nosuch").status_code == 404
