"""One business on Lazada and TikTok Shop: the last unit sold on both at the same moment is reserved
once, the other order is flagged for a clerk, and both platforms are then told zero."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from addons.marketplace.services import listings, orders

from tests.addons.marketplace_lazada import conftest as lazada
from tests.addons.marketplace_lazada.fake_lazada import FakeLazada
from tests.web.conftest import app  # noqa: F401  fixture

from . import conftest as tiktok


@pytest.fixture(scope="module")
def fake_lazada():
    with FakeLazada() as server:
        yield server


@pytest.fixture
def client(app):  # noqa: F811
    return app.test_client()


def test_the_last_unit_on_lazada_and_tiktok_is_reserved_once_and_zero_everywhere(
        runtime, make_business, fake, fake_lazada, client, monkeypatch):
    monkeypatch.setattr(lazada, "ADDONS", lazada.ADDONS + ("marketplace_tiktok",))
    seller = lazada.build_seller(runtime, make_business, fake_lazada, stock=("1", "0"))
    lazada.connect(seller, fake_lazada, client)
    lazada_shop = seller.shop_id
    listings.pull_listings(runtime, seller.id, lazada_shop)
    seller.settings("marketplace_tiktok", **fake.settings())
    product_id = str(1729500000 + seller.id)
    fake.add_product(product_id, {product_id + "1": (seller.skus[0], 150000, 1),
                                  product_id + "2": (seller.skus[1], 90000, 0)})
    tiktok.connect(seller, fake, client)
    tiktok_shop = seller.shop_id
    listings.pull_listings(runtime, seller.id, tiktok_shop)

    laz_id, tt_id = str(62000000 + seller.id), str(577000000000 + seller.id)
    item = seller.item_id
    fake_lazada.add_order(laz_id, [(item, item * 10 + 1, seller.skus[0], 1, 150000, 0)])
    fake.add_order(tt_id, [(product_id, product_id + "1", seller.skus[0], 1, 150000, 0)])
    fake_lazada.products[str(item)]["skus"][str(item * 10 + 1)]["quantity"] = 1     # what both show before
    start = threading.Barrier(2)
    errors = []

    def ingest(shop, ids):
        start.wait()
        try:
            orders.fetch_and_ingest(runtime, seller.id, shop, ids)
        except Exception as exc:        # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(lazada_shop, [laz_id])),
               threading.Thread(target=ingest, args=(tiktok_shop, [tt_id]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    on_hand, reserved, free = seller.balance(seller.skus[0])
    assert (on_hand, reserved, free) == (Decimal(1), Decimal(1), Decimal(0))
    links = {lk.external_id: lk for lk in seller.links()}
    assert set(links) == {laz_id, tt_id}
    assert sorted(lk.needs_attention for lk in links.values()) == [False, True]     # one reserved, one flagged
    seller.run_jobs()               # the reservation's debounced stock push, to every shop of the variant
    assert fake_lazada.products[str(item)]["skus"][str(item * 10 + 1)]["quantity"] == 0
    assert fake.products[product_id]["skus"][product_id + "1"]["quantity"] == 0
