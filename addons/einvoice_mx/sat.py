"""SAT catalog checks and the generic-RFC rules: pure functions, no database, no services.

The catalogs are SAT's (c_ClaveProdServ, c_ClaveUnidad, c_RegimenFiscal,
c_CodigoPostal, c_UsoCFDI, c_FormaPago) as packaged by ``satcfdi`` in its
``catalogs.db``; we look codes up there instead of shipping a second copy.
The XML itself is checked against SAT's catalog XSD (``validate``).
"""
from __future__ import annotations

import re
from decimal import Decimal

from core.errors import FieldErrors
from core.i18n import _

PUBLICO_EN_GENERAL = "XAXX010101000"
EXTRANJERO = "XEXX010101000"
GENERIC_RFCS = (PUBLICO_EN_GENERAL, EXTRANJERO)
# What SAT's filling guide (Anexo 20, Receptor) requires of a generic receiver.
GENERIC_USO_CFDI = "S01"
GENERIC_REGIMEN = "616"
PUBLICO_EN_GENERAL_NAME = "PUBLICO EN GENERAL"
RFC_RE = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$")
IVA_RATES = (Decimal("0.16"), Decimal("0.08"), Decimal("0"))


def lookup(catalog: str, code):
    from satcfdi.catalogs import select
    return select(catalog, code)


def _in_catalog(catalog: str, pattern: str, code: str, problem) -> str:
    """``code`` when it has the catalog's shape and is in SAT's catalog, else FieldErrors with ``problem(code)``."""
    if not re.fullmatch(pattern, code) or lookup(catalog, code) is None:
        raise FieldErrors([problem(repr(code))])
    return code


def check_clave_prod_serv(code: str, field: str = "clave_prod_serv") -> str:
    return _in_catalog("C756_c_ClaveProdServ", r"[0-9]{8}", (code or "").strip(), lambda c: _(
        "%(field)s: %(code)s is not a key of the SAT catalog c_ClaveProdServ", field=field, code=c))


def check_clave_unidad(code: str, field: str = "clave_unidad") -> str:
    return _in_catalog("C756_c_ClaveUnidad", r"[A-Z0-9]{1,3}", (code or "").strip().upper(), lambda c: _(
        "%(field)s: %(code)s is not a key of the SAT catalog c_ClaveUnidad", field=field, code=c))


def check_postcode(code: str, field: str = "fiscal_postcode") -> str:
    return _in_catalog("C756_c_CodigoPostal", r"[0-9]{5}", (code or "").strip(), lambda c: _(
        "%(field)s: %(code)s is not a postcode of the SAT catalog c_CodigoPostal", field=field, code=c))


def check_regimen(code: str, field: str = "regimen_fiscal") -> str:
    return _in_catalog("C756_c_RegimenFiscal", r"[0-9]{3}", (code or "").strip(), lambda c: _(
        "%(field)s: %(code)s is not a régimen of the SAT catalog c_RegimenFiscal", field=field, code=c))


def check_uso_cfdi(code: str, field: str = "uso_cfdi") -> str:
    return _in_catalog("C756_c_UsoCFDI", r"[A-Z0-9]{3,4}", (code or "").strip().upper(), lambda c: _(
        "%(field)s: %(code)s is not a use of the SAT catalog c_UsoCFDI", field=field, code=c))


def check_rfc(rfc: str, field: str = "rfc") -> str:
    """A Mexican RFC: 12 characters (moral) or 13 (física), a real date, a right check digit; or a generic one."""
    from stdnum.exceptions import ValidationError
    from stdnum.mx import rfc as stdnum_rfc
    value = (rfc or "").strip().upper().replace("-", "").replace(" ", "")
    if value in GENERIC_RFCS:
        return value
    try:
        if not RFC_RE.fullmatch(value):
            raise ValidationError()
        stdnum_rfc.validate(value, validate_check_digits=True)
    except ValidationError:
        raise FieldErrors([_("%(field)s: %(rfc)s is not a valid RFC (letters, a date YYMMDD, a check digit)",
                             field=field, rfc=repr(rfc))]) from None
    return value


def is_persona_moral(rfc: str) -> bool:
    return len(rfc) == 12


def receptor_rules(rfc: str, *, name: str, regimen: str, postcode: str, uso: str, lugar_expedicion: str) -> dict:
    """The Receptor node's values after SAT's rules for the generic RFCs; FieldErrors listing every problem.

    XAXX010101000 (público en general) and XEXX010101000 (foreigners): UsoCFDI
    S01, RegimenFiscalReceptor 616, DomicilioFiscalReceptor = LugarExpedicion;
    público en general is named "PUBLICO EN GENERAL".
    """
    rfc = check_rfc(rfc, "receptor.rfc")
    if rfc in GENERIC_RFCS:
        return {"Rfc": rfc, "Nombre": PUBLICO_EN_GENERAL_NAME if rfc == PUBLICO_EN_GENERAL else (name or "").upper(),
                "DomicilioFiscalReceptor": lugar_expedicion, "RegimenFiscalReceptor": GENERIC_REGIMEN,
                "UsoCFDI": GENERIC_USO_CFDI}
    problems = []
    for check, value, fld in ((check_regimen, regimen, "receptor.regimen_fiscal"),
                              (check_postcode, postcode, "receptor.fiscal_postcode"),
                              (check_uso_cfdi, uso, "receptor.uso_cfdi")):
        try:
            check(value, fld)
        except FieldErrors as exc:
            problems += exc.problems
    if not (name or "").strip():
        problems.append(_("receptor.name: the name exactly as registered at SAT is required"))
    if regimen == GENERIC_REGIMEN:
        problems.append(_("receptor.regimen_fiscal: 616 is only for the generic RFCs XAXX010101000 "
                          "and XEXX010101000"))
    if problems:
        raise FieldErrors(problems)
    return {"Rfc": rfc, "Nombre": name.strip().upper(), "DomicilioFiscalReceptor": postcode,
            "RegimenFiscalReceptor": regimen, "UsoCFDI": uso.upper()}


def timezone_of(postcode: str) -> str:
    """The IANA time zone of a postcode (c_CodigoPostal's huso horario), for the CFDI's local Fecha."""
    from satcfdi.transform import get_timezone
    return str(get_timezone(postcode))
