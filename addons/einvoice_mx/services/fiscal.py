"""SAT fields of products and partners, each value checked against SAT's catalogs before it is stored."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.errors import FieldErrors, NotFound, UserError
from core.i18n import _
from core.money import TAX_RATE, parse_decimal

from .. import sat
from ..models import PartnerSat, ProductSat

OBJETO_IMP = ("01", "02", "03", "04", "05", "06", "07", "08")


def _rate(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        rate = parse_decimal(value, field=field, places=TAX_RATE[1])
    except FieldErrors:
        raise
    except UserError as exc:
        raise FieldErrors([str(exc)]) from None
    if not Decimal(0) < rate < Decimal(1):
        raise FieldErrors([_("%(field)s: a rate is a fraction between 0 and 1 (0.08 for 8 %%)", field=field)])
    return rate


def _collect(checks) -> dict:
    out, problems = {}, []
    for key, fn in checks:
        try:
            out[key] = fn()
        except FieldErrors as exc:
            problems += exc.problems
    if problems:
        raise FieldErrors(problems)
    return out


def _store(session, model, key: str, owner_id: int, values: dict):
    """The 1-to-1 extension row of ``owner_id``, created or updated with the checked ``values``."""
    row = session.scalar(select(model).where(getattr(model, key) == owner_id))
    if row is None:
        row = model(**{key: owner_id})
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row


def set_product_sat(session, product_id: int, *, clave_prod_serv: str, clave_unidad: str, objeto_imp: str = "02",
                    ieps_rate=None) -> ProductSat:
    from addons.catalog.models import Product
    if session.get(Product, product_id) is None:
        raise NotFound(_("product: no product #%(id)s in this business", id=product_id))

    def objeto():
        if objeto_imp not in OBJETO_IMP:
            raise FieldErrors([_("objeto_imp: %(value)s is not a key of c_ObjetoImp (01 to 08)", value=repr(objeto_imp))])
        return objeto_imp
    values = _collect((("clave_prod_serv", lambda: sat.check_clave_prod_serv(clave_prod_serv)),
                       ("clave_unidad", lambda: sat.check_clave_unidad(clave_unidad)),
                       ("objeto_imp", objeto), ("ieps_rate", lambda: _rate(ieps_rate, "ieps_rate"))))
    return _store(session, ProductSat, "product_id", product_id, values)


def set_partner_sat(session, partner_id: int, *, legal_name: str, regimen_fiscal: str, fiscal_postcode: str,
                    uso_cfdi: str = "G03", retains_isr_rate=None, retains_iva_rate=None) -> PartnerSat:
    """The customer's fiscal data as on their Constancia de Situación Fiscal; its RFC is the partner's tax id."""
    from addons.partners.models import Partner
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(_("partner: no partner #%(id)s in this business", id=partner_id))

    def name():
        text = (legal_name or "").strip()
        if not text or "|" in text or len(text) > 300:
            raise FieldErrors([_("legal_name: the name exactly as registered at SAT (1 to 300 characters, no |)")])
        return text.upper()

    def rfc():
        if not partner.tax_id:
            raise FieldErrors([_("tax_id: the customer has no RFC; a buyer without one is invoiced to the generic "
                                 "RFC XAXX010101000 and needs no SAT data")])
        return sat.check_rfc(partner.tax_id, "tax_id")

    def regimen():
        code = sat.check_regimen(regimen_fiscal)
        if code == sat.GENERIC_REGIMEN:
            raise FieldErrors([_("regimen_fiscal: 616 is only for the generic RFCs XAXX010101000 and "
                                 "XEXX010101000")])
        return code
    values = _collect((("rfc", rfc), ("legal_name", name), ("regimen_fiscal", regimen),
                       ("fiscal_postcode", lambda: sat.check_postcode(fiscal_postcode)),
                       ("uso_cfdi", lambda: sat.check_uso_cfdi(uso_cfdi)),
                       ("retains_isr_rate", lambda: _rate(retains_isr_rate, "retains_isr_rate")),
                       ("retains_iva_rate", lambda: _rate(retains_iva_rate, "retains_iva_rate"))))
    values.pop("rfc")
    return _store(session, PartnerSat, "partner_id", partner_id, values)
