"""The carrier contract, the built-in manual carrier, and choosing a carrier.

A carrier is a class registered by an addon in its manifest::

    [[providers]]
    kind = "courier"
    code = "ghn"
    target = ".carrier:GhnCarrier"
    label = "Giao Hàng Nhanh"

It gets the business's settings of its addon (base URL, token, shop id; secrets
decrypted) and is called only from jobs and commands outside any open
transaction, with plain snapshots (``ShipmentData``), never ORM rows. Calls that
time out, break off or get a 5xx raise ``OutcomeUnknown``: the caller then looks
the client code up (``lookup``) before it sends again. A refusal of the carrier
(bad address, unknown service, an error inside an HTTP 200) raises
``CarrierError``, which names what the carrier said.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from core.addons.state import enabled_addons
from core.errors import UserError
from core.i18n import _

from . import states

KIND = "courier"
# Codes of a carrier's 2025 two-level lists (34 provinces, wards directly under them) start with this,
# so they live beside its three-level codes (whose numbers they may reuse) and addresses can tell them
# apart: a two-level address prefers them, a three-level one the others (``addresses.resolve_area``).
TWO_LEVEL = "2025:"


class OutcomeUnknown(Exception):
    """The call may or may not have reached the carrier (timeout, reset, 5xx): look up before resending."""


class CarrierError(UserError):
    """The carrier answered and refused (its message is kept; ``status`` is the HTTP status, if any)."""
    status: int | None = None


@dataclass(frozen=True)
class ParcelData:
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    tracking_number: str | None = None


@dataclass(frozen=True)
class ShipmentData:
    """What a carrier needs to know about a shipment, detached from the database."""
    number: str
    client_code: str
    service: str
    receiver: dict                  # name, phone, street, ward, district, province, country
    area: dict                      # the carrier's codes: province, district, ward
    parcels: tuple
    cod_amount: Decimal
    insurance_value: Decimal
    payer: str                      # shop | receiver
    required_note: str
    currency: str = "VND"
    content: str = ""
    note: str = ""
    tracking_number: str | None = None
    carrier_status: str | None = None

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)


@dataclass(frozen=True)
class Service:
    code: str
    label: str


@dataclass(frozen=True)
class Quote:
    service: str
    label: str
    fee: Decimal
    lead_time: date | None = None


@dataclass(frozen=True)
class Created:
    """The carrier's answer to a creation (or a lookup of one): a tracking number per parcel."""
    tracking_numbers: tuple
    fee: Decimal | None = None
    expected_delivery: date | None = None
    carrier_status: str | None = None


@dataclass(frozen=True)
class TrackEvent:
    """A status the carrier reports. ``key`` is unique per carrier for one real event."""
    tracking_number: str
    key: str
    carrier_status: str
    state: str
    at: datetime
    note: str = ""

    def __post_init__(self):
        if self.state not in states.STATES:
            raise ValueError(f"track event state {self.state!r}: one of {', '.join(states.STATES)}")


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request a carrier reads (so adapters need no Flask)."""
    body: bytes
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AreaRow:
    level: str                      # province | district | ward
    code: str
    name: str
    parent_code: str | None = None


class Carrier(ABC):
    """Base class of carrier adapters. ``settings`` are the business's settings of the adapter's addon."""
    code = ""
    name = ""                       # what staff read ("Giao Hàng Nhanh")
    prints_labels = False           # True: ``label`` returns the carrier's own PDF
    needs_areas = True              # False: addresses are not mapped to carrier codes (manual)
    webhook_trusted = False         # False: a webhook body is a hint; the state is read back with ``track``

    def __init__(self, runtime, settings: dict | None = None):
        self.runtime = runtime
        self.settings = dict(settings or {})

    @abstractmethod
    def services(self, shipment: ShipmentData) -> list[Service]:
        """The services the carrier offers for this shipment's route."""

    @abstractmethod
    def quote(self, shipment: ShipmentData) -> list[Quote]:
        """Fee and lead time of each available service."""

    @abstractmethod
    def create(self, shipment: ShipmentData, client_code: str) -> Created:
        """Create the parcel(s) at the carrier under ``client_code``."""

    @abstractmethod
    def lookup(self, client_code: str) -> Created | None:
        """What the carrier holds for ``client_code``; None when it never received it."""

    @abstractmethod
    def cancel(self, shipment: ShipmentData) -> None:
        """Cancel at the carrier (refused by the carrier once picked up)."""

    @abstractmethod
    def track(self, shipment: ShipmentData) -> list[TrackEvent]:
        """The parcel's status history as the carrier reports it now."""

    def return_to_sender(self, shipment: ShipmentData) -> None:
        """Ask the carrier to bring back a parcel whose delivery failed (instead of trying again)."""
        raise CarrierError(_("carrier %(carrier)s takes no requests to send a parcel back", carrier=self.code))

    def label(self, shipments: list[ShipmentData], size: str) -> bytes | None:
        """The carrier's label PDF for these shipments; None: Tessera prints its own."""
        return None

    def parse_webhook(self, request: WebhookRequest) -> list[TrackEvent]:
        """The events a webhook call reports (for an untrusted carrier: hints, re-read with ``track``)."""
        raise CarrierError(_("carrier %(carrier)s sends no webhooks", carrier=self.code))

    def areas(self) -> list[AreaRow]:
        """Every province, district and ward of the carrier's master data (``sync-areas``)."""
        raise CarrierError(_("carrier %(carrier)s has no area lists", carrier=self.code))


class ManualCarrier(Carrier):
    """Own delivery staff, or a courier without an API: the clerk types the tracking number and sets
    each state by hand; labels are Tessera's own."""
    code = "manual"
    name = "Manual (own staff or any courier)"
    needs_areas = False

    SERVICES = (("own", "Own delivery staff"), ("other", "Other courier"))

    def services(self, shipment):
        return [Service(code, label) for code, label in self.SERVICES]

    def quote(self, shipment):
        fee = Decimal(str(self.settings.get("manual_fee", 0) or 0))
        return [Quote(code, label, fee) for code, label in self.SERVICES]

    def create(self, shipment, client_code):
        tracking = shipment.tracking_number or shipment.number
        return Created(tuple(p.tracking_number or tracking if i == 0 else p.tracking_number or f"{tracking}-{i + 1}"
                             for i, p in enumerate(shipment.parcels)),
                       fee=Decimal(str(self.settings.get("manual_fee", 0) or 0)))

    def lookup(self, client_code):
        return None      # nothing leaves Tessera: a retry simply creates again, locally

    def cancel(self, shipment):
        return None

    def track(self, shipment):
        return []        # states are set by hand (services.tracking.set_state)


# ---------------------------------------------------------------- choosing

def registered(runtime) -> dict[str, tuple[str, object, str]]:
    """code -> (addon, class, label) of every carrier of the installation."""
    return {code: entry for (kind, code), entry in runtime.registry.providers.items() if kind == KIND}


def enabled_codes(runtime, session, business_id: int) -> list[str]:
    on = enabled_addons(session, business_id)
    return sorted(code for code, (addon, _cls, _label) in registered(runtime).items() if addon in on)


def instantiate(runtime, session, business_id: int, code: str) -> Carrier:
    """The carrier ``code`` configured with its addon's settings for the business."""
    from core.settings import get_settings
    known = registered(runtime)
    if code not in known:
        raise UserError(_("carrier: %(code)r is not installed (installed: %(known)s)", code=code,
                          known=", ".join(sorted(known)) or "-"))
    addon, cls, _label = known[code]
    if addon not in enabled_addons(session, business_id):
        raise UserError(_("carrier: %(code)r needs the addon %(addon)r, not enabled for this business",
                          code=code, addon=addon))
    settings = get_settings(session, runtime.registry, addon, runtime.config["SECRET_KEY"])
    return cls(runtime, settings)
