"""The e-invoice provider framework, and the built-in "offline" provider.

A provider is a class registered by an addon in its manifest::

    [[providers]]
    kind = "einvoice"
    code = "misa"
    target = ".provider:MisaProvider"
    label = "MISA meInvoice (Vietnam)"

It is chosen per business and document type (``ProviderConfig`` rows, else the
``provider`` setting) and is only ever called from a job (``submission``), with
an idempotency key that was committed before the call. An adapter raises
``OutcomeUnknown`` for a timeout, a reset connection or a 5xx: the framework
then looks the key up before it sends again.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.addons.state import enabled_addons
from core.errors import UserError

from .models import DOC_TYPES, ProviderConfig

KIND = "einvoice"
RESULT_STATES = ("accepted", "rejected", "processing")


@dataclass(frozen=True)
class ProviderResult:
    """What the authority (or the provider in front of it) said about one submission.

    ``processing``: received but not decided yet; the framework asks again by key.
    """
    status: str
    authority_code: str | None = None
    authority_uuid: str | None = None
    reason: str | None = None

    def __post_init__(self):
        if self.status not in RESULT_STATES:
            raise ValueError(f"provider result status {self.status!r}: one of {', '.join(RESULT_STATES)}")


class OutcomeUnknown(Exception):
    """The call may or may not have reached the provider (timeout, reset, 5xx). Look up before resending."""


class EInvoiceProvider(ABC):
    """Base class of provider adapters: subclass and implement ``submit`` and ``lookup``.

    ``options`` are the non-secret settings of the ProviderConfig row; ``runtime``
    gives config (INSTANCE_PATH, SECRET_KEY) to adapters that need it.
    """
    code = ""
    label = ""

    def __init__(self, runtime, options: dict | None = None):
        self.runtime = runtime
        self.options = dict(options or {})

    def validate(self, document) -> list[str]:
        """Problems that make the authority refuse the document; empty when it may be sent."""
        return []

    @abstractmethod
    def submit(self, document, idempotency_key: str) -> ProviderResult:
        """Send the document; raise OutcomeUnknown when the call may or may not have arrived."""

    @abstractmethod
    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        """The outcome of an earlier call with this key; None when the provider never received it."""

    # Regimes where a correction is an ordinary document (EU, MX) need nothing more;
    # others (VN, KR) override these with their authority's own calls.
    def cancel(self, document, idempotency_key: str) -> ProviderResult:
        return self.submit(document, idempotency_key)

    def replace(self, document, idempotency_key: str) -> ProviderResult:
        return self.submit(document, idempotency_key)

    def adjust(self, document, idempotency_key: str) -> ProviderResult:
        return self.submit(document, idempotency_key)

    def fetch_status(self, submission) -> ProviderResult | None:
        """The current status of an accepted or processing submission (a scheduled pull)."""
        return self.lookup(submission.idempotency_key)


class OfflineProvider(EInvoiceProvider):
    """No authority connection: the document is issued locally and its files exported for manual upload.

    Files go to ``<INSTANCE_PATH>/einvoice-export/<business id>/``; a small
    receipt per idempotency key makes ``lookup`` exact, so a crashed export is
    finished, not duplicated.
    """
    code = "offline"
    label = "Offline (export files for manual upload)"

    def folder(self, business_id: int) -> Path:
        path = self.folder_root() / str(business_id)
        (path / "keys").mkdir(parents=True, exist_ok=True)
        return path

    def submit(self, document, idempotency_key: str) -> ProviderResult:
        folder = self.folder(document.business_id)
        stem = safe_filename(document.display_number)
        written = []
        if document.xml is not None:
            (folder / f"{stem}.xml").write_bytes(document.xml)
            written.append(f"{stem}.xml")
        if document.pdf is not None:
            (folder / f"{stem}.pdf").write_bytes(document.pdf)
            written.append(f"{stem}.pdf")
        (folder / f"{stem}.json").write_text(json.dumps(export_summary(document), ensure_ascii=False, indent=2,
                                                        default=str), encoding="utf-8")
        written.append(f"{stem}.json")
        receipt = {"number": document.display_number, "files": written}
        (folder / "keys" / f"{safe_filename(idempotency_key)}.json").write_text(json.dumps(receipt))
        return ProviderResult("accepted", authority_code=f"OFFLINE:{document.display_number}",
                              reason="exported for manual upload: " + ", ".join(written))

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        for path in self.folder_root().glob(f"*/keys/{safe_filename(idempotency_key)}.json"):
            receipt = json.loads(path.read_text())
            return ProviderResult("accepted", authority_code=f"OFFLINE:{receipt['number']}",
                                  reason="exported for manual upload: " + ", ".join(receipt["files"]))
        return None

    def folder_root(self) -> Path:
        return Path(self.options.get("export_dir") or Path(self.runtime.config["INSTANCE_PATH"]) / "einvoice-export")


def safe_filename(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(text))[:120] or "document"


def export_summary(document) -> dict:
    return {"number": document.display_number, "type": document.type, "issue_date": document.issue_date,
            "currency": document.currency, "subtotal": str(document.subtotal), "tax_total": str(document.tax_total),
            "total": str(document.total), "seller": document.seller, "buyer": document.buyer}


# ---------------------------------------------------------------- choosing

def registered(runtime) -> dict[str, tuple[str, object, str]]:
    """code -> (addon, class, label) of every e-invoice provider of the installation."""
    return {code: entry for (kind, code), entry in runtime.registry.providers.items() if kind == KIND}


def provider_code_for(session, doc_type: str, default: str) -> tuple[str, dict]:
    """The provider for ``doc_type``: its own ProviderConfig row, else the all-types row, else the setting."""
    rows = {row.doc_type: row for row in session.scalars(
        select(ProviderConfig).where(ProviderConfig.active.is_(True),
                                     (ProviderConfig.doc_type == doc_type) | ProviderConfig.doc_type.is_(None)))}
    row = rows.get(doc_type) or rows.get(None)
    return (row.provider, dict(row.options or {})) if row else (default, {})


def provider_options(session, code: str, doc_type: str) -> dict:
    """The options configured for provider ``code`` (its row for ``doc_type``, else its all-types row).

    A submission talks to the provider it was made with, configured as that
    provider: after the business moves a document type to another provider,
    the other provider's options must never reach this one.
    """
    rows = session.scalars(select(ProviderConfig).where(ProviderConfig.provider == code)
                           .order_by(ProviderConfig.id))
    ranked = sorted(rows, key=lambda row: (row.doc_type != doc_type, row.doc_type is not None, not row.active))
    return dict(ranked[0].options or {}) if ranked else {}


def instantiate(runtime, session, business_id: int, code: str, options: dict) -> EInvoiceProvider:
    known = registered(runtime)
    if code not in known:
        raise UserError(f"e-invoice provider {code!r} is not installed (installed: {', '.join(sorted(known)) or 'none'})")
    addon, cls, _label = known[code]
    if addon not in enabled_addons(session, business_id):
        raise UserError(f"e-invoice provider {code!r} needs the addon '{addon}', not enabled for this business")
    return cls(runtime, options)


def set_provider(session, runtime, *, doc_type: str | None, provider: str, options: dict | None = None,
                 active: bool = True) -> ProviderConfig:
    """Choose the provider of a document type (None: every type without its own choice)."""
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise UserError(f"document type {doc_type!r}: one of {', '.join(DOC_TYPES)}")
    if provider not in registered(runtime):
        raise UserError(f"e-invoice provider {provider!r} is not installed")
    row = session.scalar(select(ProviderConfig).where(
        ProviderConfig.doc_type == doc_type if doc_type else ProviderConfig.doc_type.is_(None)))
    if row is None:
        row = ProviderConfig(doc_type=doc_type, provider=provider)
        session.add(row)
    row.provider, row.options, row.active = provider, dict(options or {}), bool(active)
    session.flush()
    return row
