"""UBL 2.1 export following Peppol BIS Billing 3.0 (EN 16931).

``build_ubl(document)`` writes an Invoice (vat/sales invoice, receipt,
replacement, adjustment) or a CreditNote (credit_note) from any object with
the e-invoice contract's attributes; ``validate_ubl(xml)`` (in ubl_validate)
checks it against the UBL XSD and the EN 16931 and Peppol rule sets.

Choices a reader should know:
* Amounts carry the currency's minor units (KRW/VND: none). BIS allows at
  most two decimals, so fewer is valid; only a line's discount (an allowance)
  may show cents on a KRW/VND line, because the rule that checks line nets
  (PEPPOL-EN16931-R120) allows a 0.02 slack, not half a won.
* Electronic addresses (EndpointID) must use a Peppol EAS scheme. A party's
  ``peppol_id`` snapshot value ("0088:5790000435975") wins; otherwise an
  EU/EEA VAT number is used with its country's VAT scheme (9930 for DE...).
  Peppol requires both (PEPPOL-EN16931-R010/R020), so a document where either
  party has neither (a Korean consumer, a Vietnamese buyer without a GLN) is
  written as plain EN 16931 UBL (CustomizationID urn:cen.eu:en16931:2017):
  valid e-invoice, not for the Peppol network. ``peppol_ready`` tells which.
* Credit notes are written with positive amounts; a credit note stored with
  negative amounts is flipped.
* Invoice type code: 380 for every invoice type (384 is allowed only between
  two German parties); replacements and adjustments name the corrected
  invoice in BillingReference.
* Early-payment discount terms are printed in PaymentTerms/Note.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_territory_currencies
from lxml import etree

from core import taxid
from core.errors import UserError
from core.money import minor_units

from ..totals import net_unit_price, tax_breakdown
from .common import CREDIT_TYPES, DOCUMENT_TYPES, category_of, corrected_document, lines_of, party_value
from .ubl_validate import validate_ubl  # noqa: F401  (part of this module's contract)

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
EN16931_CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# Peppol Electronic Address Scheme of each country's VAT number.
VAT_EAS = {
    "AD": "9922", "AL": "9923", "AT": "9914", "BA": "9924", "BE": "9925", "BG": "9926", "CH": "9927",
    "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "GB": "9932", "GR": "9933", "EL": "9933",
    "HR": "9934", "IE": "9935", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939", "MC": "9940",
    "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947",
    "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951", "TR": "9952", "VA": "9953", "FR": "9957",
    "ES": "9920", "HU": "9910", "IT": "0211", "FI": "0213",
}
PAYMENT_MEANS = {"cash": ("10", "In cash"), "card": ("54", "Credit card"), "bank_transfer": ("30", "Credit transfer"),
                 "cod": ("10", "In cash"), "e_wallet": ("68", "Online payment service")}
EXEMPTION = {  # category -> (VATEX code, reason) where EN 16931 wants one
    "E": (None, "Exempt from VAT"), "AE": ("VATEX-EU-AE", "Reverse charge"),
    "K": ("VATEX-EU-IC", "Intra-community supply"), "G": ("VATEX-EU-G", "Export outside the EU"),
    "O": ("VATEX-EU-O", "Not subject to VAT"),
}


_QUALIFIED: dict[str, str] = {}  # "cbc:ID" -> "{urn:...CommonBasicComponents-2}ID"
_sub = etree.SubElement


class _Writer:
    """Appends UBL elements in schema order, skipping empty values (PEPPOL-EN16931-R008)."""

    def __init__(self, currency: str, sign: int):
        self.currency, self.sign = currency, sign

    @staticmethod
    def el(parent, tag: str, text=None, **attrs):
        # A hundred-odd elements per document: the qualified name is looked up, not rebuilt.
        qualified = _QUALIFIED.get(tag)
        if qualified is None:
            prefix, name = tag.split(":")
            qualified = _QUALIFIED[tag] = f"{{{NS[prefix]}}}{name}"
        node = _sub(parent, qualified, {k: str(v) for k, v in attrs.items()}) if attrs else _sub(parent, qualified)
        if text is not None:
            node.text = text if type(text) is str else str(text)
        return node

    def text(self, parent, tag: str, value, **attrs):
        if value is None or str(value).strip() == "":
            return None
        return self.el(parent, tag, str(value).strip(), **attrs)

    def amount(self, parent, tag: str, value, currency: str | None = None):
        currency = currency or self.currency
        return self.el(parent, tag, _plain(ubl_amount(Decimal(value) * self.sign, currency)), currencyID=currency)


def ubl_amount(value, currency: str) -> Decimal:
    """``value`` with the currency's minor units, at most two (BR-DEC: BIS amounts have <= 2 decimals)."""
    digits = min(minor_units(currency), 2)
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text.strip("-0.") == "" and text.startswith("-") else text


def _number(value) -> str:
    return format(Decimal(value).normalize(), "f")


def _percent(rate) -> str:
    return _number(Decimal(rate) * 100) if rate is not None else "0"


def vat_identifier(snapshot) -> str:
    """The party's tax id with its country prefix, as BR-CO-09 requires (see core.taxid.vat_identifier)."""
    return taxid.vat_identifier(party_value(snapshot, "country"), party_value(snapshot, "tax_id"))


def endpoint(snapshot) -> tuple[str, str] | None:
    """(schemeID, id) of the party's Peppol address, or None when it has none (see module doc)."""
    explicit = party_value(snapshot, "peppol_id")
    if explicit:
        scheme, sep, value = explicit.partition(":")
        if not sep or not scheme.isdigit() or not value:
            raise UserError(f"peppol_id {explicit!r} must look like '0088:5790000435975' (scheme:identifier)")
        return scheme, value
    scheme = VAT_EAS.get(party_value(snapshot, "country").upper())
    vat = vat_identifier(snapshot)
    return (scheme, vat) if scheme and vat else None


def peppol_ready(document) -> bool:
    """Both parties have a Peppol electronic address, so the document can be a Peppol BIS 3 invoice."""
    return endpoint(document.seller) is not None and endpoint(document.buyer) is not None


def build_ubl(document) -> bytes:
    """The document as UBL 2.1 XML bytes (UTF-8, with declaration)."""
    if document.type not in DOCUMENT_TYPES:
        raise UserError(f"document type {document.type!r} cannot be exported as UBL")
    lines = lines_of(document)
    if not lines:
        raise UserError("a UBL document needs at least one line")
    credit = document.type in CREDIT_TYPES
    root_name = "CreditNote" if credit else "Invoice"
    sign = -1 if credit and Decimal(document.total) < 0 else 1
    w = _Writer(document.currency, sign)
    root = etree.Element(f"{{{NS[root_name]}}}{root_name}",
                         nsmap={None: NS[root_name], "cac": NS["cac"], "cbc": NS["cbc"]})
    if peppol_ready(document):
        w.el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
        w.el(root, "cbc:ProfileID", PROFILE_ID)
    else:
        w.el(root, "cbc:CustomizationID", EN16931_CUSTOMIZATION_ID)
    w.el(root, "cbc:ID", document.display_number or f"DRAFT-{document.id}")
    w.el(root, "cbc:IssueDate", document.issue_date.isoformat())
    due = getattr(document, "due_date", None)
    if not credit and due:
        w.el(root, "cbc:DueDate", due.isoformat())
    w.el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", "381" if credit else "380")
    note = " — ".join(filter(None, [(getattr(document, "correction_reason", None) or "").strip(),
                                    (getattr(document, "notes", None) or "").strip()]))
    w.text(root, "cbc:Note", note)  # Peppol allows a single document-level note
    w.el(root, "cbc:DocumentCurrencyCode", document.currency)
    tax_currency = _tax_currency(document)
    if tax_currency:
        w.el(root, "cbc:TaxCurrencyCode", tax_currency)
    w.el(root, "cbc:BuyerReference", getattr(document, "customer_po", None) or
         getattr(document, "buyer_agreement_ref", None) or party_value(document.buyer, "name") or "-")
    if getattr(document, "customer_po", None):
        w.el(w.el(root, "cac:OrderReference"), "cbc:ID", document.customer_po)
    corrected = corrected_document(document)
    if corrected is not None and getattr(corrected, "display_number", None):
        ref = w.el(w.el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        w.el(ref, "cbc:ID", corrected.display_number)
        w.text(ref, "cbc:IssueDate", corrected.issue_date.isoformat() if getattr(corrected, "issue_date", None)
               else None)
    _party(w, w.el(root, "cac:AccountingSupplierParty"), document.seller, seller=True)
    _party(w, w.el(root, "cac:AccountingCustomerParty"), document.buyer, seller=False)
    _payment(w, root, document, credit)
    breakdown = ubl_breakdown(document)
    vat = sum((group["tax"] for group in breakdown), Decimal(0))
    tax_total = w.el(root, "cac:TaxTotal")
    w.amount(tax_total, "cbc:TaxAmount", vat)
    for group in breakdown:
        sub = w.el(tax_total, "cac:TaxSubtotal")
        w.amount(sub, "cbc:TaxableAmount", group["base"])
        w.amount(sub, "cbc:TaxAmount", group["tax"])
        _tax_category(w, sub, "cac:TaxCategory", group["category"], group["rate"], with_reason=True)
    if tax_currency:
        accounting = w.el(root, "cac:TaxTotal")
        w.amount(accounting, "cbc:TaxAmount", vat * Decimal(document.exchange_rate), tax_currency)
    _totals(w, root, document, lines, vat)
    for index, line in enumerate(lines, start=1):
        _line(w, root, line, index, credit, net_unit_price(document, line))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _tax_currency(document) -> str | None:
    """The seller's accounting currency when the document is in another one and has a rate."""
    rate = getattr(document, "exchange_rate", None)
    if rate in (None, "") or Decimal(rate) in (0, 1):
        return None
    country = party_value(document.seller, "country").upper()
    currencies = get_territory_currencies(country) if country else []
    local = currencies[0] if currencies else None
    return local if local and local != document.currency else None


def _party(w: _Writer, holder, snapshot, *, seller: bool) -> None:
    party = w.el(holder, "cac:Party")
    address = endpoint(snapshot)
    if address:
        w.el(party, "cbc:EndpointID", address[1], schemeID=address[0])
    name = party_value(snapshot, "legal_name" if seller else "name")
    if not name:
        raise UserError(f"the {'seller' if seller else 'buyer'} has no name; UBL needs one")
    w.el(w.el(party, "cac:PartyName"), "cbc:Name", name)
    postal = w.el(party, "cac:PostalAddress")
    w.text(postal, "cbc:StreetName", party_value(snapshot, "address"))
    w.text(postal, "cbc:CityName", party_value(snapshot, "city"))
    w.text(postal, "cbc:PostalZone", party_value(snapshot, "postal_code"))
    country = party_value(snapshot, "country").upper()
    if not country:
        raise UserError(f"the {'seller' if seller else 'buyer'} has no country; UBL needs one")
    w.el(w.el(postal, "cac:Country"), "cbc:IdentificationCode", country)
    is_company = seller or party_value(snapshot, "kind", "company") == "company"
    vat = vat_identifier(snapshot)
    if vat and is_company:
        scheme = w.el(party, "cac:PartyTaxScheme")
        w.el(scheme, "cbc:CompanyID", vat)
        w.el(w.el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    w.el(w.el(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", name)
    phone, email = party_value(snapshot, "phone"), party_value(snapshot, "email")
    if phone or email:
        contact = w.el(party, "cac:Contact")
        w.text(contact, "cbc:Name", name if seller else None)
        w.text(contact, "cbc:Telephone", phone)
        w.text(contact, "cbc:ElectronicMail", email)


def _payment(w: _Writer, root, document, credit: bool) -> None:
    method = getattr(document, "payment_method", None) or "bank_transfer"
    account = party_value(document.seller, "bank_account").replace(" ", "")
    code, label = PAYMENT_MEANS.get(method, ("1", "Instrument not defined"))
    if code == "30" and not account:
        code, label = "1", "Instrument not defined"  # BR-50: a credit transfer names the account
    means = w.el(root, "cac:PaymentMeans")
    w.el(means, "cbc:PaymentMeansCode", code, name=label)
    due = getattr(document, "due_date", None)
    if credit and due:
        w.el(means, "cbc:PaymentDueDate", due.isoformat())
    w.text(means, "cbc:PaymentID", document.display_number)
    if code == "30":
        fin = w.el(means, "cac:PayeeFinancialAccount")
        w.el(fin, "cbc:ID", account)
        w.text(fin, "cbc:Name", party_value(document.seller, "legal_name"))
        bic = party_value(document.seller, "bic")
        if bic:
            w.el(w.el(fin, "cac:FinancialInstitutionBranch"), "cbc:ID", bic)
    terms = [getattr(document, "payment_terms", None) or ""]
    percent, days = getattr(document, "early_discount_percent", None), getattr(document, "early_discount_days", None)
    if percent and days:
        terms.append(f"{_number(percent)}% discount if paid within {int(days)} days")
    text = "; ".join(t.strip() for t in terms if t and t.strip())
    if text:
        w.el(w.el(root, "cac:PaymentTerms"), "cbc:Note", text)


def _tax_category(w: _Writer, parent, tag: str, category: str, rate, *, with_reason: bool) -> None:
    node = w.el(parent, tag)
    w.el(node, "cbc:ID", category)
    if category != "O":  # BR-O-05: "not subject to VAT" carries no rate
        w.el(node, "cbc:Percent", _percent(rate))
    if with_reason and category in EXEMPTION:
        code, reason = EXEMPTION[category]
        w.text(node, "cbc:TaxExemptionReasonCode", code)
        w.el(node, "cbc:TaxExemptionReason", reason)
    w.el(w.el(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_breakdown(document) -> list[dict]:
    """The VAT breakdown as EN 16931 states it: each category's tax within one unit of base x rate (BR-CO-17).

    A document rounded per line states the sum of its lines' taxes. In a
    currency without minor units (KRW, VND) a few lines can drift a whole unit
    or more from base x rate (two lines whose tax ends in .5 already do); such a
    category states the EN 16931 figure instead, and the difference to what was
    charged becomes the payable rounding amount (BT-114), so the amount due is
    still exactly the document's total.
    """
    groups = []
    for group in tax_breakdown(document):
        if not group.get("vat", True):  # a regime's excise or withholding (einvoice_mx): no VAT category
            continue
        figure = ubl_amount(Decimal(group["base"]) * Decimal(group["rate"] or 0), document.currency)
        groups.append(dict(group, tax=figure) if abs(Decimal(group["tax"]) - figure) >= 1 else group)
    return groups


def _totals(w: _Writer, root, document, lines, vat: Decimal) -> None:
    net = sum((Decimal(line.net_amount) for line in lines), Decimal(0))
    exclusive = ubl_amount(net, document.currency)
    inclusive = exclusive + ubl_amount(vat, document.currency)
    total = ubl_amount(document.total, document.currency)
    monetary = w.el(root, "cac:LegalMonetaryTotal")
    w.amount(monetary, "cbc:LineExtensionAmount", exclusive)
    w.amount(monetary, "cbc:TaxExclusiveAmount", exclusive)
    w.amount(monetary, "cbc:TaxInclusiveAmount", inclusive)
    if total != inclusive:  # rounding "total" regimes: BR-CO-16 wants the difference stated
        w.amount(monetary, "cbc:PayableRoundingAmount", total - inclusive)
    w.amount(monetary, "cbc:PayableAmount", total)


def _line(w: _Writer, root, line, index: int, credit: bool, net_price: Decimal) -> None:
    """One line; ``net_price`` is the price without tax (a tax-inclusive price is converted)."""
    node = w.el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    w.el(node, "cbc:ID", getattr(line, "position", None) or index)
    quantity, price = Decimal(line.quantity) * w.sign, net_price
    if price < 0:  # BR-27: prices are never negative; a negative line is a negative quantity
        quantity, price = -quantity, -price
    w.el(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", _number(quantity),
         unitCode=getattr(line, "unit", None) or "C62")
    w.amount(node, "cbc:LineExtensionAmount", line.net_amount)
    discount = (quantity * price - Decimal(line.net_amount) * w.sign).quantize(Decimal("0.01"))
    if discount != 0:
        allowance = w.el(node, "cac:AllowanceCharge")
        w.el(allowance, "cbc:ChargeIndicator", "false" if discount > 0 else "true")
        w.el(allowance, "cbc:AllowanceChargeReason", "Discount" if discount > 0 else "Surcharge")
        w.el(allowance, "cbc:Amount", _plain(abs(discount)), currencyID=w.currency)
    item = w.el(node, "cac:Item")
    w.el(item, "cbc:Name", (line.description or "").strip()[:1000] or "-")
    sku = getattr(line, "sku", None)
    if sku:
        w.el(w.el(item, "cac:SellersItemIdentification"), "cbc:ID", sku)
    _tax_category(w, item, "cac:ClassifiedTaxCategory", category_of(line), line.tax_rate, with_reason=False)
    w.el(w.el(node, "cac:Price"), "cbc:PriceAmount", _number(price) if price else "0", currencyID=w.currency)

