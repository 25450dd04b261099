"""Checks of a CFDI against SAT's publications in ../shared/standards, for the tests.

``problems(xml)`` returns (rule, message) pairs, empty for a good CFDI:

- CFDI-XSD: SAT's XSDs (CFDI 4.0 with the catalogs and data types, TimbreFiscalDigital 1.1, Pagos 2.0);
- CFDI-SELLO: the Sello is RSA-SHA256 over the cadena original made by SAT's own XSLT, with the key
  of the Certificado; NoCertificado is that certificate's number;
- MX-SUB: SubTotal is the sum of the concepts' Importe;
- MX-IMPTO: each concept tax Importe is Base x TasaOCuota (rounded to the currency's decimals);
- MX-IMPC: the comprobante's taxes are the sums of the concept taxes and Total adds up;
- MX-RFC: both RFCs are valid (a real date, the check digit) or a generic one;
- TFD: a stamp's SelloCFD is the comprobante's Sello and the stamp passes its XSD.
"""
from __future__ import annotations

import base64
import functools
import os
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
STANDARDS = Path(os.environ.get("TESSERA_STANDARDS_DIR") or ROOT.parent / "shared" / "standards")
SAT = STANDARDS / "rules" / "cfdi" / "sat" / "cfd"
NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital",
      "pago20": "http://www.sat.gob.mx/Pagos20"}
DECIMALS = {"MXN": 2, "USD": 2, "EUR": 2, "XXX": 0}


@functools.cache
def schema() -> etree.XMLSchema:
    """One schema importing the three SAT XSDs, so the Complemento's stamp and payments are checked too."""
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{(SAT / path).as_uri()}"/>' for ns, path in (
        ("http://www.sat.gob.mx/cfd/4", "4/cfdv40.xsd"),
        ("http://www.sat.gob.mx/TimbreFiscalDigital", "TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"),
        ("http://www.sat.gob.mx/Pagos20", "Pagos/Pagos20.xsd")))
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=(SAT / "wrapper.xsd").as_uri()))


@functools.cache
def cadena_xslt() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(SAT / "4" / "cadenaoriginal_4_0" / "cadenaoriginal_4_0.xslt")))


@functools.cache
def tfd_xslt() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(SAT / "TimbreFiscalDigital" / "cadenaoriginal_TFD_1_1.xslt")))


def cadena_original(xml: bytes) -> str:
    return str(cadena_xslt()(etree.fromstring(xml).getroottree()))


def cadena_tfd(xml: bytes) -> str:
    node = etree.fromstring(xml).find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    return str(tfd_xslt()(etree.ElementTree(etree.fromstring(etree.tostring(node)))))


def _d(value) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _check_sello(root, xml: bytes) -> list:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(root.get("Certificado")))
        cert.public_key().verify(base64.b64decode(root.get("Sello")), cadena_original(xml).encode(),
                                 padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError) as exc:
        return [("CFDI-SELLO", f"the Sello does not verify over SAT's cadena original ({exc.__class__.__name__})")]
    number = f"{cert.serial_number:x}"[1::2]
    if number != root.get("NoCertificado"):
        return [("CFDI-SELLO", f"NoCertificado {root.get('NoCertificado')} is not the certificate's {number}")]
    return []


def _check_amounts(root) -> list:
    out = []
    places = DECIMALS.get(root.get("Moneda"), 2)
    concepts = root.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    if _d(root.get("SubTotal")) != sum((_d(c.get("Importe")) for c in concepts), Decimal(0)):
        out.append(("MX-SUB", "SubTotal is not the sum of the concepts' Importe"))
    traslados, retenciones = defaultdict(lambda: [Decimal(0), Decimal(0)]), defaultdict(Decimal)
    for c in concepts:
        for t in c.findall("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", NS):
            key = (t.get("Impuesto"), t.get("TipoFactor"), t.get("TasaOCuota"))
            traslados[key][0] += _d(t.get("Base"))
            if t.get("Importe") is not None:
                traslados[key][1] += _d(t.get("Importe"))
                if t.get("TipoFactor") == "Tasa" and \
                        _d(t.get("Importe")) != _round(_d(t.get("Base")) * _d(t.get("TasaOCuota")), places):
                    out.append(("MX-IMPTO", f"{c.get('Descripcion')}: tax Importe {t.get('Importe')} is not "
                                            f"Base x TasaOCuota"))
        for r in c.findall("cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion", NS):
            retenciones[r.get("Impuesto")] += _d(r.get("Importe"))
            if _d(r.get("Importe")) != _round(_d(r.get("Base")) * _d(r.get("TasaOCuota")), places):
                out.append(("MX-IMPTO", f"{c.get('Descripcion')}: withholding {r.get('Importe')} is not "
                                        f"Base x TasaOCuota"))
    node = root.find("cfdi:Impuestos", NS)
    declared_t = {(t.get("Impuesto"), t.get("TipoFactor"), t.get("TasaOCuota")): (_d(t.get("Base")), _d(t.get("Importe")))
                  for t in (node.findall("cfdi:Traslados/cfdi:Traslado", NS) if node is not None else [])}
    declared_r = {r.get("Impuesto"): _d(r.get("Importe"))
                  for r in (node.findall("cfdi:Retenciones/cfdi:Retencion", NS) if node is not None else [])}
    if declared_t != {k: tuple(v) for k, v in traslados.items()} or declared_r != dict(retenciones):
        out.append(("MX-IMPC", "the comprobante's taxes are not the sums of the concepts' taxes"))
    total_t = sum((v[1] for v in traslados.values()), Decimal(0))
    total_r = sum(retenciones.values(), Decimal(0))
    expected = _d(root.get("SubTotal")) - _d(root.get("Descuento")) + total_t - total_r
    if root.get("TipoDeComprobante") in ("I", "E") and _d(root.get("Total")) != expected:
        out.append(("MX-IMPC", f"Total {root.get('Total')} is not SubTotal - Descuento + taxes ({expected})"))
    return out


def _check_rfcs(root) -> list:
    from stdnum.exceptions import ValidationError
    from stdnum.mx import rfc
    out = []
    for node in (root.find("cfdi:Emisor", NS), root.find("cfdi:Receptor", NS)):
        value = node.get("Rfc") if node is not None else None
        if value in ("XAXX010101000", "XEXX010101000"):
            continue
        try:
            rfc.validate(value or "", validate_check_digits=True)
        except ValidationError:
            out.append(("MX-RFC", f"RFC {value} is not valid"))
    return out


def _check_tfd(root) -> list:
    node = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    if node is None:
        return []
    if node.get("SelloCFD") != root.get("Sello"):
        return [("TFD", "the stamp's SelloCFD is not the comprobante's Sello")]
    return []


def problems(xml: bytes) -> list[tuple[str, str]]:
    root = etree.fromstring(xml)
    out = []
    if not schema().validate(root.getroottree()):
        out += [("CFDI-XSD", str(e.message)) for e in schema().error_log][:5]
    out += _check_sello(root, xml)
    out += _check_amounts(root)
    out += _check_rfcs(root)
    out += _check_tfd(root)
    return out


def assert_valid(xml: bytes):
    found = problems(xml)
    assert found == [], found
