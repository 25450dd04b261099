"""The marketplace platform contract: what a connector addon implements.

A platform is a class registered by a connector addon in its manifest::

    [[providers]]
    kind = "marketplace"
    code = "shopee"
    target = ".platform:ShopeePlatform"
    label = "Shopee"

It is built with the connector addon's settings of the business (app / partner id,
key or secret decrypted, base URL, timeouts) and is called only from jobs, commands
and the callback / push routes, outside any open transaction, with the plain
dataclasses below in and out, never ORM rows. Signing is the platform's business:
every request it sends carries the documented signature, and ``verify_push``
checks a push's signature on the raw body with ``hmac.compare_digest``.

Errors: a call that times out, breaks off or gets a 5xx raises ``OutcomeUnknown``
(read back before writing again); an answer that refuses (including an error
inside an HTTP 200) raises ``PlatformError`` naming what the platform said;
an expired or revoked access token raises ``TokenExpired`` (the caller refreshes
and retries once); a rate-limit answer raises ``RateLimited`` with the seconds to
wait (the caller backs off).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.errors import UserError

KIND = "marketplace"

# Our order statuses, in the only order they may move (cancelled / returned are ends off the path).
STATUSES = ("unpaid", "ready_to_ship", "shipped", "completed")
ENDS = ("cancelled", "returned")


class OutcomeUnknown(Exception):
    """The call may or may not have reached the platform (timeout, reset, 5xx)."""


class PlatformError(UserError):
    """The platform answered and refused; ``code`` is its error code, ``status`` the HTTP status."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.code, self.status = code, status


class TokenExpired(PlatformError):
    """The access token is expired or revoked: refresh, then retry once."""


class RateLimited(PlatformError):
    """Too many requests: wait ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float = 1.0, code: str = "", status: int | None = 429):
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class PushRejected(Exception):
    """A push whose signature (or shape) does not hold: answered 401, changes nothing."""


@dataclass(frozen=True)
class Tokens:
    """One shop's authorisation at the platform."""
    access_token: str
    refresh_token: str
    expires_at: datetime                      # aware, UTC
    shop_id: str                              # the platform's id of the shop (Lazada: seller id)
    refresh_expires_at: datetime | None = None
    region: str = ""                          # VN, TH, MY, ... as the platform reports it
    shop_name: str = ""
    extra: Mapping = field(default_factory=dict)   # platform specifics (TikTok: shop_cipher)


@dataclass(frozen=True)
class OrderLineData:
    sku: str                                  # the seller SKU we map by
    item_id: str
    model_id: str                             # "" when the listing has no variations
    name: str
    qty: Decimal
    unit_price: Decimal                       # before discounts, tax included as the platform shows it
    discount: Decimal = Decimal(0)            # seller-borne discount on this line (total, not per unit)


@dataclass(frozen=True)
class OrderData:
    """A platform order, normalised. ``status`` is one of STATUSES + ENDS; ``platform_status`` is raw."""
    external_id: str
    status: str
    platform_status: str
    created_at: datetime
    updated_at: datetime
    currency: str
    lines: tuple                              # OrderLineData, ...
    buyer: Mapping = field(default_factory=dict)     # name, phone, email (as far as the platform tells)
    address: Mapping = field(default_factory=dict)   # name, phone, street, ward, district, city, region, postcode, country
    shipping_fee: Decimal = Decimal(0)        # what the buyer pays for shipping
    voucher: Decimal = Decimal(0)             # seller-borne order-level voucher / discount
    cod: bool = False
    paid: bool = False
    payment_method: str = ""
    note: str = ""
    tracking_number: str = ""

    def __post_init__(self):
        if self.status not in STATUSES + ENDS:
            raise ValueError(f"order status {self.status!r}: one of {', '.join(STATUSES + ENDS)}")


@dataclass(frozen=True)
class ReturnLineData:
    """Units of one SKU whose goods came back to the seller in a return."""
    sku: str
    item_id: str                              # "" when the platform's return does not name it
    model_id: str
    qty: Decimal


@dataclass(frozen=True)
class ReturnData:
    """A return (reverse order) at the platform. ``lines`` are only the units received back so far
    (a return still asked for, refused or refund-only has none); the base opens each unit once."""
    return_id: str
    order_id: str                             # the platform order id
    platform_status: str
    updated_at: datetime
    lines: tuple = ()                         # ReturnLineData, ...


@dataclass(frozen=True)
class ListingData:
    """One sellable unit of a listing (an item, or a model / SKU of an item with variations)."""
    item_id: str
    model_id: str
    sku: str
    name: str
    price: Decimal | None = None
    stock: int | None = None
    status: str = ""


@dataclass(frozen=True)
class StockUpdate:
    item_id: str
    model_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class PriceUpdate:
    item_id: str
    model_id: str
    sku: str
    price: Decimal


@dataclass(frozen=True)
class UpdateResult:
    item_id: str
    model_id: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class ProductData:
    """A product to publish: its variants as (sku, options, price, stock) and what a listing shows."""
    name: str
    description: str
    variants: tuple                           # (sku, {"Color": "Red"}, price, stock), ...
    images: tuple = ()                        # the platform's image ids / URLs (from ``upload_image``)
    category_id: str = ""
    weight_g: int = 0


@dataclass(frozen=True)
class PushEvent:
    """A verified push. ``event_id`` is unique per platform for one real event (stored once)."""
    event_id: str
    shop_id: str
    kind: str                                 # "order" (order_ids changed) | "other"
    order_ids: tuple = ()
    raw: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class PushRequest:
    """The parts of an HTTP push a platform reads (so adapters need no Flask)."""
    url: str                                  # the full URL the platform called, as it signed it
    body: bytes
    headers: Mapping = field(default_factory=dict)


class Platform(ABC):
    """Base class of platform adapters. ``settings`` are the business's settings of the connector addon."""
    code = ""
    name = ""                                 # what staff read ("Shopee")
    stock_batch = 50                          # most stock / price updates per call, as documented
    own_logistics = False                     # True: shipping goes through the platform's logistics

    def __init__(self, settings: Mapping | None = None):
        self.settings = dict(settings or {})

    @abstractmethod
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where the seller authorises the app; the platform redirects back to ``redirect_uri``."""

    @abstractmethod
    def exchange_code(self, params: Mapping) -> Tokens:
        """Tokens from the callback's query parameters (code, shop_id, ...)."""

    @abstractmethod
    def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens before (or after) the access token expires."""

    @abstractmethod
    def updated_orders(self, tokens: Tokens, since: datetime, until: datetime) -> Iterable[OrderData]:
        """Every order updated in [since, until), pages and detail calls included."""

    @abstractmethod
    def get_orders(self, tokens: Tokens, ids: Sequence[str]) -> list[OrderData]:
        """These orders as the platform holds them now (after a push names them)."""

    def returns(self, tokens: Tokens, order_ids: Sequence[str]) -> list[ReturnData] | None:
        """The returns of these orders (at most 50 ids per call from the base). ``None``: the platform
        has no separate return API, its order status ``returned`` says it all."""
        return None

    def updated_returns(self, tokens: Tokens, since: datetime, until: datetime) -> Iterable[ReturnData] | None:
        """Every return updated in [since, until) (the scheduled pull); ``None`` as for ``returns``."""
        return None

    @abstractmethod
    def listings(self, tokens: Tokens) -> Iterable[ListingData]:
        """Every sellable unit of the shop."""

    @abstractmethod
    def push_stock(self, tokens: Tokens, updates: Sequence[StockUpdate]) -> list[UpdateResult]:
        """Set stock of at most ``stock_batch`` units."""

    @abstractmethod
    def push_price(self, tokens: Tokens, updates: Sequence[PriceUpdate]) -> list[UpdateResult]:
        """Set prices of at most ``stock_batch`` units."""

    def upload_image(self, tokens: Tokens, filename: str, data: bytes) -> str:
        """Upload one image file; the platform's id or URL of it, as ``publish`` takes it in ``images``."""
        raise PlatformError(f"{self.name or self.code}: this platform cannot take image uploads")

    @abstractmethod
    def publish(self, tokens: Tokens, product: ProductData) -> list[ListingData]:
        """Create the product with its variants at the platform; its new units."""

    @abstractmethod
    def verify_push(self, request: PushRequest) -> PushEvent:
        """The event of a signed push; ``PushRejected`` when the signature does not hold."""

    @abstractmethod
    def ship(self, tokens: Tokens, external_id: str, tracking_number: str, carrier: str) -> None:
        """Tell the platform the order shipped (or arrange its own logistics when ``own_logistics``)."""
