"""``manage.py marketplace ...``: the issue's command names, options and --json keys; one-line errors."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS

SHOP_KEYS = {"id", "platform", "name", "external_id", "region", "status", "buffer", "last_sync", "sync_age",
             "token_expires_at", "last_error"}
LISTING_KEYS = {"id", "shop_id", "item_id", "model_id", "sku", "name", "variant_id", "mapped", "platform_stock",
                "pushed_stock"}


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def _slug(runtime, seller):
    with runtime.session(all_businesses=True) as s:
        return s.get(Business, seller.id).slug


def test_connect_shops_listings_map_push_and_pull(runtime, seller, fake, cli):
    slug = _slug(runtime, seller)
    out = cli("marketplace", "connect", "shopee", "--shop", "GTG Shopee 2", "--business", slug).stdout.strip()
    url = urlparse(out)
    assert url.path == "/api/v2/shop/auth_partner" and out.startswith(fake.url)
    assert "/marketplace/callback/shopee" in parse_qs(url.query)["redirect"][0]
    shops = cli.json("marketplace", "shops", "--business", slug)
    assert [set(s) for s in shops] == [SHOP_KEYS, SHOP_KEYS]
    assert {(s["name"], s["status"]) for s in shops} == {("GTG Shopee", "connected"), ("GTG Shopee 2", "pending")}
    rows = cli.json("marketplace", "listings", "--business", slug)
    assert rows and all(set(r) == LISTING_KEYS for r in rows)
    mine = [r for r in rows if r["item_id"] == str(seller.item_id)]
    assert [r["mapped"] for r in mine] == [True, True]
    fake.add_item(seller.item_id + 70_000, {0: ("FREE-SKU", 5000, 1)})
    cli("marketplace", "pull-listings", "--shop", seller.shop_id, "--business", slug)
    unmapped = cli.json("marketplace", "listings", "--unmapped", "--business", slug)
    assert str(seller.item_id + 70_000) in {r["item_id"] for r in unmapped} and not any(r["mapped"] for r in unmapped)
    from addons.catalog.services import create_product
    with seller.tx() as s:
        create_product(s, sku=f"FREE-{seller.id}", name="Tất", sale_price="20000")
    mapped = cli.json("marketplace", "map", f"FREE-{seller.id}", "--shop", seller.shop_id,
                      "--item", seller.item_id + 70_000, "--model", "", "--business", slug)
    assert mapped["mapped"] and mapped["item_id"] == str(seller.item_id + 70_000)
    dry = cli.json("marketplace", "push-stock", "--shop", seller.shop_id, "--sku", seller.skus[0], "--dry-run",
                   "--business", slug)
    assert dry == [{"shop_id": seller.shop_id, "dry_run": True, "pushed": 0, "failed": 0,
                    "units": [{"sku": seller.skus[0], "item_id": str(seller.item_id),
                               "model_id": str(seller.item_id * 10 + 1), "quantity": 5}]}]
    pushed = cli.json("marketplace", "push-stock", "--shop", seller.shop_id, "--business", slug)
    assert pushed[0]["pushed"] == 3 and fake.stock[(seller.item_id + 70_000, 0)] == 0
    sn = f"2612CLI{seller.id}"
    fake.add_order(sn, [(seller.item_id, seller.item_id * 10 + 2, seller.skus[1], 1, 90000, 90000)],
                   update_time=int(time.time()) - 30)
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 120))
    pulled = cli.json("marketplace", "pull-orders", "--shop", seller.shop_id, "--since", since, "--business", slug)
    assert pulled[0]["orders"] >= 1 and sn in {link.external_id for link in seller.links()}


def test_errors_are_one_line(runtime, seller, cli):
    slug = _slug(runtime, seller)
    assert "platform" in cli.fails("marketplace", "connect", "nosuch", "--shop", "X", "--business", slug)
    assert "--since" in cli.fails("marketplace", "pull-orders", "--since", "yesterday", "--business", slug)
    assert "shop #999999" in cli.fails("marketplace", "push-stock", "--shop", "999999", "--business", slug)
    assert "sku" in cli.fails("marketplace", "map", "NOPE", "--shop", seller.shop_id, "--item", "1",
                              "--business", slug)
    assert "sku" in cli.fails("marketplace", "push-stock", "--shop", seller.shop_id, "--sku", "NOPE",
                              "--business", slug)


def test_publish_reads_the_images_from_the_media_folder(runtime, seller, fake, cli, tmp_path):
    from addons.catalog.services import create_product
    slug = _slug(runtime, seller)
    with seller.tx() as s:
        product_id = create_product(s, sku=f"CLIPUB-{seller.id}", name="Dép", sale_price="70000",
                                    images=["cli/dep.jpg"]).id
    line = cli.fails("marketplace", "publish", product_id, "--shop", seller.shop_id, "--business", slug)
    assert "cli/dep.jpg" in line and "media" in line
    (tmp_path / "media" / "cli").mkdir(parents=True)
    (tmp_path / "media" / "cli" / "dep.jpg").write_bytes(b"\xff\xd8\xff-dep")
    out = cli.json("marketplace", "publish", product_id, "--shop", seller.shop_id, "--business", slug)
    [unit] = out["units"]
    assert unit["sku"] == f"CLIPUB-{seller.id}" and fake.items[int(unit["item_id"])]["images"] == \
        [i for i, data in fake.images.items() if data == b"\xff\xd8\xff-dep"]
