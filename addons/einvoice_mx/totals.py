"""Anexo 20 arithmetic: concept amounts, taxes and comprobante totals, exact and rounded as SAT says.

Pure functions over Decimals. Per concept: ``Importe = Cantidad x ValorUnitario``
rounded to the currency's decimals, the discount rounded the same way, and each
tax ``Importe = Base x TasaOCuota`` rounded half up (IVA's base includes the
IEPS of the concept, LIVA art. 18). The comprobante's taxes are the concept
taxes grouped by Impuesto, TipoFactor and TasaOCuota with the rounded concept
amounts added up, and ``Total = SubTotal - Descuento + traslados - retenciones``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

IVA, ISR, IEPS = "002", "001", "003"
RATE_PLACES = Decimal("0.000001")


def rnd(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def trim(value: Decimal, decimals: int) -> Decimal:
    """``value`` without trailing zeros past ``decimals`` (stored 100.0000 prints 100.00; 2.5 stays 2.5)."""
    value = Decimal(value)
    exact = value.normalize()
    return exact if -exact.as_tuple().exponent > decimals else value.quantize(Decimal(1).scaleb(-decimals))


@dataclass
class Tax:
    impuesto: str
    factor: str            # Tasa, Cuota or Exento
    rate: Decimal | None
    base: Decimal
    importe: Decimal | None

    def node(self) -> dict:
        node = {"Base": self.base, "Impuesto": self.impuesto, "TipoFactor": self.factor}
        if self.factor != "Exento":
            node["TasaOCuota"] = self.rate.quantize(RATE_PLACES)
            node["Importe"] = self.importe
        return node


@dataclass
class Concept:
    cantidad: Decimal
    valor_unitario: Decimal
    descuento_rate: Decimal = Decimal(0)          # a fraction of Importe
    iva: Decimal | str | None = None              # a rate, "exento", or None (not subject)
    ieps: Decimal | None = None
    retains_isr: Decimal | None = None
    retains_iva: Decimal | None = None
    importe: Decimal = Decimal(0)
    descuento: Decimal = Decimal(0)
    traslados: list = field(default_factory=list)
    retenciones: list = field(default_factory=list)

    @property
    def objeto_imp(self) -> str:
        return "02" if (self.traslados or self.retenciones) else "01"


def compute_concept(c: Concept, decimals: int) -> Concept:
    c.importe = rnd(c.cantidad * c.valor_unitario, decimals)
    c.descuento = rnd(c.importe * c.descuento_rate, decimals) if c.descuento_rate else Decimal(0)
    base = c.importe - c.descuento
    c.traslados, c.retenciones = [], []
    ieps_amount = Decimal(0)
    if c.ieps is not None and base > 0:
        ieps_amount = rnd(base * c.ieps, decimals)
        c.traslados.append(Tax(IEPS, "Tasa", c.ieps, base, ieps_amount))
    if c.iva == "exento" and base > 0:
        c.traslados.append(Tax(IVA, "Exento", None, base, None))
    elif c.iva is not None and c.iva != "exento" and base > 0:
        iva_base = base + ieps_amount
        c.traslados.append(Tax(IVA, "Tasa", Decimal(c.iva), iva_base, rnd(iva_base * Decimal(c.iva), decimals)))
    if c.retains_isr and base > 0:
        c.retenciones.append(Tax(ISR, "Tasa", c.retains_isr, base, rnd(base * c.retains_isr, decimals)))
    if c.retains_iva and base > 0:
        c.retenciones.append(Tax(IVA, "Tasa", c.retains_iva, base, rnd(base * c.retains_iva, decimals)))
    return c


@dataclass
class Totals:
    subtotal: Decimal
    descuento: Decimal
    traslados: list          # [{"Base", "Impuesto", "TipoFactor", "TasaOCuota", "Importe"}]
    retenciones: list        # [{"Impuesto", "Importe"}]
    total_trasladados: Decimal | None
    total_retenidos: Decimal | None
    total: Decimal


def compute_totals(concepts: list[Concept]) -> Totals:
    subtotal = sum((c.importe for c in concepts), Decimal(0))
    descuento = sum((c.descuento for c in concepts), Decimal(0))
    grouped: dict[tuple, dict] = {}
    for c in concepts:
        for t in c.traslados:
            key = (t.impuesto, t.factor, t.rate)
            row = grouped.setdefault(key, {"Base": Decimal(0), "Impuesto": t.impuesto, "TipoFactor": t.factor,
                                           "TasaOCuota": t.rate.quantize(RATE_PLACES) if t.rate is not None else None,
                                           "Importe": Decimal(0) if t.factor != "Exento" else None})
            row["Base"] += t.base
            if t.importe is not None:
                row["Importe"] += t.importe
    retained: dict[str, Decimal] = {}
    for c in concepts:
        for t in c.retenciones:
            retained[t.impuesto] = retained.get(t.impuesto, Decimal(0)) + t.importe
    traslados = [{k: v for k, v in row.items() if v is not None} for row in grouped.values()]
    retenciones = [{"Impuesto": k, "Importe": v} for k, v in sorted(retained.items())]
    charged = [row["Importe"] for row in traslados if "Importe" in row]
    total_trasladados = sum(charged, Decimal(0)) if charged else None
    total_retenidos = sum(retained.values(), Decimal(0)) if retained else None
    total = subtotal - descuento + (total_trasladados or 0) - (total_retenidos or 0)
    return Totals(subtotal, descuento, traslados, retenciones, total_trasladados, total_retenidos, total)
