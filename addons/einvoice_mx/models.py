"""Tables of the Mexican CFDI addon: SAT fields of products and partners, the CSD, and each CFDI.

Products and partners belong to other addons; their SAT fields live in 1-to-1
extension tables here (no class patching). A ``Cfdi`` row is the Mexican side of
an einvoice document: the signed XML built in the issuing transaction, the PAC's
stamp (TimbreFiscalDigital) once stamped, and the cancellation with SAT's
acceptance state.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.catalog.models import Product
from addons.einvoice.models import Document
from addons.partners.models import Partner

from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin
from core.i18n import _l
from core.money import TAX_RATE, Amount, Rate

CFDI_STATES = ("signed", "stamped", "cancel_requested", "cancelled", "cancel_rejected")
CFDI_STATE_LABELS = {"signed": _l("Signed"), "stamped": _l("Stamped"), "cancel_requested": _l("Cancellation requested"),
                     "cancelled": _l("Cancelled"), "cancel_rejected": _l("Cancellation rejected")}
CANCEL_MOTIVES = ("01", "02", "03", "04")
CANCEL_MOTIVE_LABELS = {"01": _l("01 Issued with errors, with relation (replaced)"),
                        "02": _l("02 Issued with errors, without relation"),
                        "03": _l("03 Operation not carried out"),
                        "04": _l("04 Nominative operation included in a global invoice")}
# The receiver-acceptance states of a cancellation (SAT's EstatusCancelacion, in words).
ACCEPTANCE_STATES = ("without_acceptance", "pending", "accepted", "rejected")


class ProductSat(BusinessScoped, Base):
    """SAT keys of a catalog product: what the product is (ClaveProdServ) and its unit (ClaveUnidad)."""
    __tablename__ = "einvoice_mx_product"
    __table_args__ = (UniqueConstraint("business_id", "product_id"),
                      CheckConstraint("objeto_imp IN ('01', '02', '03', '04', '05', '06', '07', '08')",
                                      name="objeto_imp"))
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    clave_prod_serv: Mapped[str] = mapped_column(String(8))
    clave_unidad: Mapped[str] = mapped_column(String(3))
    objeto_imp: Mapped[str] = mapped_column(String(2), default="02")
    # IEPS trasladado at this rate (a fraction: 0.080000 for high-calorie food), none when NULL.
    ieps_rate: Mapped[Decimal | None] = mapped_column(Rate(*TAX_RATE))

    product = relationship(Product)

    def __str__(self):
        return f"{self.clave_prod_serv} / {self.clave_unidad}"


class PartnerSat(BusinessScoped, Base):
    """SAT data of a customer: the name exactly as registered, régimen, fiscal postcode, uso CFDI, withholdings."""
    __tablename__ = "einvoice_mx_partner"
    __table_args__ = (UniqueConstraint("business_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id", ondelete="CASCADE"))
    legal_name: Mapped[str] = mapped_column(String(300))
    regimen_fiscal: Mapped[str] = mapped_column(String(3))
    fiscal_postcode: Mapped[str] = mapped_column(String(5))
    uso_cfdi: Mapped[str] = mapped_column(String(4), default="G03")
    # A company buying services from a person withholds ISR (0.10) and two thirds of the IVA (0.106667).
    retains_isr_rate: Mapped[Decimal | None] = mapped_column(Rate(*TAX_RATE))
    retains_iva_rate: Mapped[Decimal | None] = mapped_column(Rate(*TAX_RATE))

    partner = relationship(Partner)

    def __str__(self):
        return f"{self.legal_name} ({self.regimen_fiscal}, {self.uso_cfdi})"


class Csd(Audited, BusinessScoped, TimestampMixin, Base):
    """A certificado de sello digital: the SAT certificate (public) and its private key (encrypted).

    The key file and its password are stored encrypted with the instance's
    secret key (``services.csd``); screens show only the certificate's number,
    RFC and validity, never the key or the password.
    """
    __tablename__ = "einvoice_mx_csd"
    __table_args__ = (UniqueConstraint("business_id", "certificate_number"),
                      Index("ix_einvoice_mx_csd_business_active", "business_id", "active"))
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_number: Mapped[str] = mapped_column(String(20))
    rfc: Mapped[str] = mapped_column(String(13))
    legal_name: Mapped[str] = mapped_column(String(300), default="")
    valid_from: Mapped[datetime] = mapped_column()
    valid_to: Mapped[datetime] = mapped_column()
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    key_encrypted: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    password_encrypted: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return f"{self.certificate_number} ({self.rfc})"


class Cfdi(Audited, BusinessScoped, TimestampMixin, Base):
    """One CFDI: the signed XML of an einvoice document, its stamp and its cancellation."""
    __tablename__ = "einvoice_mx_cfdi"
    __table_args__ = (
        UniqueConstraint("business_id", "document_id"),
        # One payment complement per payment and paid invoice.
        UniqueConstraint("business_id", "payment_id", "related_cfdi_id"),
        UniqueConstraint("uuid"),
        CheckConstraint("state IN ('signed', 'stamped', 'cancel_requested', 'cancelled', 'cancel_rejected')",
                        name="state"),
        CheckConstraint("tipo IN ('I', 'E', 'P', 'T')", name="tipo"),
        Index("ix_einvoice_mx_cfdi_business_state", "business_id", "state", "id"),
        Index("ix_einvoice_mx_cfdi_business_created", "business_id", "created_at"),
        Index("ix_einvoice_mx_cfdi_key", "idempotency_key"),
        Index("ix_einvoice_mx_cfdi_related", "related_cfdi_id"),
        Index("ix_einvoice_mx_cfdi_business_metodo", "business_id", "metodo_pago", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The einvoice document of an I or E; a payment complement (P) has none: it names the
    # payment (sales) and the CFDI it pays.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_payment.id", ondelete="RESTRICT"))
    related_cfdi_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_mx_cfdi.id", ondelete="RESTRICT"))
    partiality: Mapped[int | None] = mapped_column(Integer)
    amount_paid: Mapped[Decimal | None] = mapped_column(Amount())
    tipo: Mapped[str] = mapped_column(String(1))
    metodo_pago: Mapped[str | None] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20), default="signed")
    serie: Mapped[str | None] = mapped_column(String(25))
    folio: Mapped[str | None] = mapped_column(String(40))
    emisor_rfc: Mapped[str] = mapped_column(String(13))
    receptor_rfc: Mapped[str] = mapped_column(String(13))
    total: Mapped[Decimal] = mapped_column(Amount())
    certificate_number: Mapped[str] = mapped_column(String(20))
    signed_xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The submission whose key the PAC was called with (lookup-before-resend finds the CFDI by it).
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    pac: Mapped[str | None] = mapped_column(String(32))
    uuid: Mapped[str | None] = mapped_column(String(36))
    stamped_at: Mapped[datetime | None] = mapped_column()
    sat_certificate_number: Mapped[str | None] = mapped_column(String(20))
    stamped_xml: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    cancel_motive: Mapped[str | None] = mapped_column(String(2))
    replacement_uuid: Mapped[str | None] = mapped_column(String(36))
    cancel_requested_at: Mapped[datetime | None] = mapped_column()
    acceptance: Mapped[str | None] = mapped_column(String(24))
    sat_status: Mapped[str | None] = mapped_column(String(40))
    cancel_status: Mapped[str | None] = mapped_column(String(80))
    cancel_ack: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column()

    document = relationship(Document)

    @property
    def xml(self) -> bytes:
        """What leaves the house: the stamped XML once there is one, else the signed one."""
        return self.stamped_xml if self.stamped_xml is not None else self.signed_xml

    def __str__(self):
        return self.uuid or f"CFDI #{self.id}"


class GlobalReceipt(BusinessScoped, Base):
    """A counter receipt covered by a global invoice (factura global); each receipt goes into one only."""
    __tablename__ = "einvoice_mx_global_receipt"
    __table_args__ = (UniqueConstraint("business_id", "document_id"),
                      Index("ix_einvoice_mx_global_receipt_cfdi", "cfdi_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    cfdi_id: Mapped[int] = mapped_column(ForeignKey("einvoice_mx_cfdi.id", ondelete="RESTRICT"))
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
