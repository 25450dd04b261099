"""``manage.py marketplace connect|shops|pull-orders|push-stock|push-prices|listings|pull-listings|map|push-url``.

Thin callers of the services; commands that reach a platform call it from this
process, outside any open transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone

import click

from core.cli import CliError, business_command

from .platforms import OutcomeUnknown
from .services import listings as listing_services
from .services import orders, push, shops, stock


@click.group("marketplace")
def group():
    """Marketplace shops (Shopee, Lazada, TikTok Shop): connect, orders in, stock and prices out."""


def _base(cli) -> str:
    return cli.runtime.config["BASE_URL"].rstrip("/")


def _shop_ids(cli, shop_id):
    with cli.session() as session:
        if shop_id is not None:
            return [shops.get_shop(session, shop_id).id]
        return [s.id for s in shops.list_shops(session) if s.status in ("connected", "error")]


def _since(value):
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--since: {value!r} is not an ISO date or time (2026-12-01 or 2026-12-01T08:00:00+07:00)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@group.command("connect")
@click.argument("platform")
@click.option("--shop", "name", required=True, help="A name for the shop (yours; e.g. 'GTG Shopee VN').")
@business_command
def connect(cli, platform, name):
    """Start (or renew) a shop's authorisation: prints the URL the seller opens."""
    with cli.transaction() as session:
        shop = shops.connect(cli.runtime, session, cli.business_id, platform, name)
        url = shops.authorize_url(cli.runtime, session, cli.business_id, shop, _base(cli))
        data = {"shop_id": shop.id, "platform": platform, "shop": shop.name, "url": url,
                "callback": shops.callback_url(_base(cli), platform)}
    if cli.as_json:
        cli.emit(data)
    else:
        click.echo(url)


def _shop_row(s) -> dict:
    return {"id": s.id, "platform": s.platform, "name": s.name, "external_id": s.external_id, "region": s.region,
            "status": s.status, "buffer": s.stock_buffer, "last_sync": s.last_sync_at, "sync_age": shops.sync_age(s),
            "token_expires_at": s.token_expires_at, "last_error": s.last_error}


@group.command("shops")
@business_command
def shops_(cli):
    """The business's shops with their status and the age of their last sync."""
    with cli.session() as session:
        rows = [_shop_row(s) for s in shops.list_shops(session)]
    cli.emit(rows, columns=["id", "platform", "name", "external_id", "region", "status", "buffer", "sync_age"])


@group.command("pull-orders")
@click.option("--shop", "shop_id", type=int, default=None, help="Only this shop (id; default: every connected).")
@click.option("--since", default=None, help="ISO date or time (default: the last pull less 10 minutes).")
@business_command
def pull_orders(cli, shop_id, since):
    """Pull the orders updated since the last pull (or --since) and ingest them."""
    moment, results = _since(since), []
    for sid in _shop_ids(cli, shop_id):
        try:
            results.append({"shop_id": sid, **orders.pull(cli.runtime, cli.business_id, sid, since=moment)})
        except OutcomeUnknown as exc:
            raise CliError(f"shop #{sid}: no clear answer from the platform ({exc}); try again")
    cli.emit(results, columns=["shop_id", "orders", "linked", "failed", "since", "until"])


@group.command("push-stock")
@click.option("--shop", "shop_id", type=int, default=None, help="Only this shop (id; default: every connected).")
@click.option("--sku", "skus", multiple=True, help="Only this SKU (repeatable; default: every mapped listing).")
@click.option("--dry-run", is_flag=True, help="Show what would be pushed; push nothing.")
@business_command
def push_stock(cli, shop_id, skus, dry_run):
    """Push available stock (on hand - reserved - the shop's buffer) of mapped listings."""
    results = []
    for sid in _shop_ids(cli, shop_id):
        try:
            results.append(stock.push_stock(cli.runtime, cli.business_id, sid, skus=skus, everything=not skus,
                                            dry_run=dry_run))
        except OutcomeUnknown as exc:
            raise CliError(f"shop #{sid}: no clear answer from the platform ({exc}); try again")
    if cli.as_json:
        cli.emit(results)
    else:
        cli.emit([dict(shop_id=r["shop_id"], **u) for r in results for u in r["units"]],
                 columns=["shop_id", "sku", "item_id", "model_id", "quantity"])


@group.command("push-prices")
@click.option("--shop", "shop_id", type=int, default=None)
@click.option("--sku", "skus", multiple=True)
@click.option("--dry-run", is_flag=True)
@business_command
def push_prices(cli, shop_id, skus, dry_run):
    """Push each mapped listing's price (the shop's channel price list, else the variant's price)."""
    results = [stock.push_prices(cli.runtime, cli.business_id, sid, skus=skus, dry_run=dry_run)
               for sid in _shop_ids(cli, shop_id)]
    cli.emit(results if cli.as_json else [dict(shop_id=r["shop_id"], **u) for r in results for u in r["units"]])


def _listing_row(ln) -> dict:
    return {"id": ln.id, "shop_id": ln.shop_id, "item_id": ln.item_id, "model_id": ln.model_id, "sku": ln.sku,
            "name": ln.name, "variant_id": ln.variant_id, "mapped": ln.variant_id is not None,
            "platform_stock": ln.platform_stock, "pushed_stock": ln.pushed_stock}


@group.command("listings")
@click.option("--unmapped", is_flag=True, help="Only units not mapped to a variant.")
@click.option("--shop", "shop_id", type=int, default=None)
@business_command
def listings_(cli, unmapped, shop_id):
    """The shops' sellable units and the variant each is mapped to."""
    with cli.session() as session:
        rows = [_listing_row(ln) for ln in listing_services.listings(session, shop_id=shop_id, unmapped=unmapped)]
    cli.emit(rows, columns=["id", "shop_id", "item_id", "model_id", "sku", "name", "mapped", "pushed_stock"])


@group.command("pull-listings")
@click.option("--shop", "shop_id", type=int, required=True)
@click.option("--create-missing", is_flag=True, help="Create a product for each unit whose SKU is not in the catalog.")
@business_command
def pull_listings(cli, shop_id, create_missing):
    """Import the shop's listings and match them to variants by SKU."""
    cli.emit(listing_services.pull_listings(cli.runtime, cli.business_id, shop_id, create_missing=create_missing))


@group.command("map")
@click.argument("sku")
@click.option("--shop", "shop_id", type=int, required=True)
@click.option("--item", "item_id", required=True, help="The platform's item id.")
@click.option("--model", "model_id", default="", help="The platform's model / SKU id (empty: no variations).")
@business_command
def map_(cli, sku, shop_id, item_id, model_id):
    """Map our variant SKU to the shop's item / model."""
    with cli.transaction() as session:
        row = listing_services.map_sku(session, sku, shop_id, item_id, model_id)
        data = _listing_row(row)
    cli.emit(data)


@group.command("publish")
@click.argument("product_id", type=int)
@click.option("--shop", "shop_id", type=int, required=True)
@click.option("--category", default="", help="The platform's category id.")
@business_command
def publish(cli, product_id, shop_id, category):
    """Publish a catalog product with its variants at the shop."""
    cli.emit(listing_services.publish(cli.runtime, cli.business_id, shop_id, product_id, category))


@group.command("push-url")
@click.argument("platform")
@business_command
def push_url(cli, platform):
    """The address to give the platform for pushes (secret per business)."""
    if platform not in shops.registered(cli.runtime):
        raise CliError(f"PLATFORM: {platform!r} is not installed")
    cli.emit({"platform": platform, "url": push.push_url(cli.runtime, cli.business_id, platform, _base(cli))})
