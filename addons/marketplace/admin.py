"""Marketplace admin: shops (status, last-sync age, buffer), listings (unmapped filter, manual map),
platform orders (flagged for a clerk); and the public routes: the OAuth callback and the pushes.

Views are thin: changes are one service call (``ServiceForms`` / ``run_service``);
platform calls happen in the routes' own short transactions or in jobs.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, IntEqualFilter
from flask_admin.contrib.sqla.filters import FilterEmpty

from core.admin import SecureModelView, ServiceForms, run_service
from core.errors import UserError
from core.formatting import register_labels
from core.i18n import _, _l
from core.web.context import current_runtime

from .models import LINK_STATUSES, SHOP_STATUSES, Listing, OrderLink, Shop
from .platforms import OutcomeUnknown, PushRequest
from .services import listings, push, shops

SHOP_STATUS_LABELS = {"pending": _l("Waiting for authorisation"), "connected": _l("Connected"),
                      "token_expired": _l("Token expired"), "error": _l("Error"),
                      "disconnected": _l("Disconnected")}
ORDER_STATUS_LABELS = {"unpaid": _l("Unpaid"), "ready_to_ship": _l("Ready to ship"), "shipped": _l("Shipped"),
                       "completed": _l("Completed"), "cancelled": _l("Cancelled"), "returned": _l("Returned")}
register_labels("marketplace_shop_status", SHOP_STATUS_LABELS)
register_labels("marketplace_order_status", ORDER_STATUS_LABELS)

# The labels and help texts of addon.toml (the settings screen translates them through the catalog).
SETTING_TEXTS = (
    _l("Marketplaces"),
    _l("Sell on Shopee, Lazada and TikTok Shop: shop connections, listings, orders in, stock and prices out"),
    _l("Wait before pushing a stock change (seconds)"),
    _l("Changes within this time are pushed together, in the platform's batch size."),
    _l("Refresh access tokens this long before they expire (seconds)"),
)


def _choices(values, labels):
    return [(v, labels[v]) for v in values]


class ShopView(ServiceForms, SecureModelView):
    addon = "marketplace"
    permission = "marketplace.shop"
    allow_create = allow_delete = False       # connected with `marketplace connect` (the seller authorises)
    service_update = staticmethod(shops.update_shop)
    column_list = ("platform", "name", "external_id", "region", "status", "stock_buffer", "last_sync_at",
                   "token_expires_at", "last_error")
    column_labels = {"platform": _l("Platform"), "name": _l("Shop"), "external_id": _l("Platform shop id"),
                     "region": _l("Shop region"), "status": _l("Status"), "stock_buffer": _l("Stock buffer"),
                     "last_sync_at": _l("Last sync"), "token_expires_at": _l("Token expires"),
                     "last_error": _l("Last error"), "price_channel": _l("Price list channel")}
    column_formatters = {"last_sync_at": lambda v, c, m, n: shops.sync_age(m)}
    column_kinds = {"stock_buffer": "quantity"}
    status_column = "status"
    status_kind = "marketplace_shop_status"
    status_colours = {"connected": "success", "token_expired": "danger", "error": "danger", "pending": "warning"}
    column_filters = (FilterEqual(Shop.status, _l("Status"), options=_choices(SHOP_STATUSES, SHOP_STATUS_LABELS)),
                      FilterEqual(Shop.platform, _l("Platform")))
    form_columns = ("stock_buffer", "price_channel")
    column_default_sort = ("id", False)
    column_sortable_list = ()

    @action("authorise", _l("Authorisation link (connect again)"))
    def action_authorise(self, ids):
        """A fresh authorisation link per chosen shop (a new shop: ``manage.py marketplace connect``)."""
        if not self.allowed("edit"):
            abort(403)
        runtime = current_runtime()
        base = runtime.config["BASE_URL"].rstrip("/")

        def links(session):
            business_id = session.info["business_id"]
            found = []
            for raw in ids:
                shop = shops.get_shop(session, int(raw))
                shops.connect(runtime, session, business_id, shop.platform, shop.name)
                found.append((shop.name, shops.authorize_url(runtime, session, business_id, shop, base)))
            return found
        _done, found = run_service(links)
        for name, url in found or ():
            flash(_("Open this link to authorise %(name)s: %(url)s", name=name, url=url), "info")
        return redirect(url_for(".index_view"))


class ListingView(ServiceForms, SecureModelView):
    addon = "marketplace"
    permission = "marketplace.listing"
    allow_create = allow_delete = False
    service_update = staticmethod(listings.set_variant)
    column_list = ("shop", "item_id", "model_id", "sku", "name", "variant", "platform_stock", "pushed_stock",
                   "last_error")
    column_labels = {"shop": _l("Shop"), "item_id": _l("Item id"), "model_id": _l("Model id"), "sku": _l("SKU"),
                     "name": _l("Title on the platform"), "variant": _l("Our variant"), "platform_stock": _l("Stock at the platform"),
                     "pushed_stock": _l("Stock pushed"), "last_error": _l("Last error")}
    column_formatters = {"shop": lambda v, c, m, n: m.shop.name, "variant": lambda v, c, m, n: m.variant.sku
                         if m.variant is not None else ""}
    column_kinds = {"platform_stock": "quantity", "pushed_stock": "quantity"}
    column_filters = (FilterEmpty(Listing.variant_id, _l("Not mapped")), IntEqualFilter(Listing.shop_id, _l("Shop id")),
                      FilterEqual(Listing.sku, _l("SKU")))
    form_columns = ("variant",)
    form_ajax_refs = {"variant": {"fields": ("sku",), "page_size": 20}}
    column_default_sort = ("id", False)
    column_sortable_list = ()


class OrderLinkView(SecureModelView):
    addon = "marketplace"
    permission = "marketplace.order"
    allow_create = allow_edit = allow_delete = False
    column_list = ("shop", "external_id", "order", "status", "platform_status", "paid", "cod", "needs_attention",
                   "problem", "updated_at")
    column_labels = {"shop": _l("Shop"), "external_id": _l("Platform order"), "order": _l("Order"),
                     "status": _l("Status"), "platform_status": _l("Platform status"), "paid": _l("Paid"),
                     "cod": _l("COD"), "needs_attention": _l("Needs a clerk"), "problem": _l("Problem"),
                     "updated_at": _l("Updated")}
    column_formatters = {"shop": lambda v, c, m, n: m.shop.name,
                         "order": lambda v, c, m, n: m.order.number if m.order is not None else ""}
    status_column = "status"
    status_kind = "marketplace_order_status"
    status_colours = {"completed": "success", "cancelled": "secondary", "returned": "warning", "shipped": "info"}
    column_filters = (BooleanEqualFilter(OrderLink.needs_attention, _l("Needs a clerk")),
                      FilterEqual(OrderLink.status, _l("Status"), options=_choices(LINK_STATUSES,
                                                                                   ORDER_STATUS_LABELS)),
                      FilterEqual(OrderLink.external_id, _l("Platform order")))
    column_default_sort = ("id", True)
    column_sortable_list = ()


# ---------------------------------------------------------------- public: OAuth callback and pushes

public = Blueprint("marketplace_public", __name__)


@public.route("/marketplace/callback/<platform>", methods=("GET",))
def callback(platform):
    """The seller authorised the app: exchange the code for tokens (single-use state)."""
    runtime = current_runtime()
    if platform not in shops.registered(runtime):
        return {"code": 404, "message": _("unknown platform")}, 404
    try:
        shop = shops.complete_authorisation(runtime, platform, request.args.to_dict())
    except OutcomeUnknown:
        return {"code": 502, "message": _("the platform did not answer; open the authorisation link again")}, 502
    except UserError as exc:
        return {"code": 400, "message": str(exc)}, 400
    return {"code": 200, "message": _("Shop %(name)s is connected.", name=shop.name), "shop_id": shop.id}, 200


@public.route("/marketplace/push/<platform>/<token>", methods=("POST",))
def push_route(platform, token):
    """Answered fast: verified on the raw body, stored once, processed in a job.

    The URL a platform signs (Shopee) is the one the business registered, ``push-url``'s
    (``BASE_URL`` + this path), not the one Flask sees, which behind a reverse proxy names
    the internal host."""
    runtime = current_runtime()
    body = request.get_data(cache=False)[:1_000_000]
    url = runtime.config["BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    status, message = push.receive(runtime, platform, token,
                                   PushRequest(url=url, body=body, headers=dict(request.headers)))
    return {"code": status, "message": message}, status


def register(admin, ctx):
    app = getattr(admin, "app", None)
    if app is not None and "marketplace_public" not in app.blueprints:
        app.register_blueprint(public)
        csrf = app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(public)    # platforms call without a session; their signature is the credential
    admin.add_view(ShopView(Shop, ctx.session, name=_l("Marketplace shops"), endpoint="marketplace_shop"),
                   menu="sales")
    admin.add_view(ListingView(Listing, ctx.session, name=_l("Marketplace listings"), endpoint="marketplace_listing"),
                   menu="sales")
    admin.add_view(OrderLinkView(OrderLink, ctx.session, name=_l("Marketplace orders"),
                                 endpoint="marketplace_order"), menu="sales")
