"""Viettel S-Invoice adapter (the "SINVOICE" web service, API v2).

Documented calls used (base ``viettel_url``, default https://api-vinvoice.viettel.vn):

* ``POST /auth/login`` ``{"username", "password"}`` -> ``access_token`` (sent as ``Authorization: Bearer`` and
  the ``access_token`` cookie); or HTTP Basic on every call (setting ``viettel_auth = basic``);
* ``POST /services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/createInvoice/{supplierTaxCode}`` with
  ``generalInvoiceInfo`` (``templateCode``, ``invoiceSeries``, ``currencyCode``, ``exchangeRate``,
  ``adjustmentType`` 1 original / 3 replacement / 5 adjustment, ``originalInvoiceId``,
  ``originalInvoiceIssueDate``, ``additionalReferenceDesc`` / ``additionalReferenceDate`` = the buyer's
  agreement, ``transactionUuid``), ``buyerInfo``, ``sellerInfo``, ``payments``, ``itemInfo``,
  ``taxBreakdowns``, ``summarizeInfo`` -> ``{"errorCode", "description", "result": {"invoiceNo",
  "transactionID", "reservationCode", "codeOfTax"}}`` (errors come back inside HTTP 200 as ``errorCode``);
* ``POST .../InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid`` (form ``supplierTaxCode``,
  ``transactionUuid``): the lookup before any resend, and the status pull;
* ``POST .../InvoiceAPI/InvoiceWS/cancelTransactionInvoice`` (form ``supplierTaxCode``, ``invoiceNo``,
  ``strIssueDate``, ``additionalReferenceDesc``, ``additionalReferenceDate``);
* ``POST .../InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile`` ``{"supplierTaxCode", "invoiceNo",
  "templateCode", "fileType": "PDF"}`` -> ``fileToBytes`` (base64): the provider's PDF.

Tax percentages: -2 not subject (KCT), -1 not declared (KKKNT), else 0, 5, 8, 10.
Sources are listed in the addon's README.
"""
from __future__ import annotations

import base64
from datetime import datetime, time, timezone

from addons.einvoice.providers import ProviderResult
from core.errors import UserError

from . import http
from .payload import num, transaction_uuid
from .taxcodes import viettel_percentage
from .vnprovider import VnProvider, rejected

API = "/services/einvoiceapplication/api/InvoiceAPI"
ADJUSTMENT_TYPE = {"submit": "1", "replace": "3", "adjust": "5"}
PAYMENT_NAMES = {"TM": "TM", "CK": "CK", "TM/CK": "TM/CK"}
# The search's ``status`` of a cancelled (xóa bỏ) invoice. Not verified against the live service (README).
CANCELLED_STATUSES = ("3", 3)


def _ms(day) -> int:
    return int(datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp() * 1000)


class ViettelProvider(VnProvider):
    code = "viettel"
    label = "Viettel S-Invoice (Vietnam)"

    # ------------------------------------------------------------ transport

    def _session(self, business_id: int) -> dict:
        conf = self.conf(business_id)
        if not conf["viettel_username"] or not conf["viettel_password"]:
            raise UserError("Viettel user and password are not set (Settings › Addons › Vietnam e-invoices)")
        out = {"url": conf["viettel_url"].rstrip("/"), "timeout": conf["http_timeout"],
               "tax_code": self.seller_tax_code(business_id), "headers": {}}
        if conf["viettel_auth"] == "basic":
            token = base64.b64encode(f"{conf['viettel_username']}:{conf['viettel_password']}".encode()).decode()
            out["headers"] = {"Authorization": f"Basic {token}"}
            return out
        answer = http.call("POST", out["url"] + "/auth/login", timeout=out["timeout"],
                           json_body={"username": conf["viettel_username"], "password": conf["viettel_password"]})
        token = (answer.body or {}).get("access_token") if isinstance(answer.body, dict) else None
        if answer.status != 200 or not token:
            raise UserError(f"Viettel login refused (HTTP {answer.status}): check the user and password")
        out["headers"] = {"Authorization": f"Bearer {token}", "Cookie": f"access_token={token}"}
        return out

    def _post(self, s: dict, path: str, **kw) -> http.Answer:
        return http.call("POST", s["url"] + path, timeout=s["timeout"], headers=s["headers"], **kw)

    # ------------------------------------------------------------ payload

    def invoice_json(self, facts: dict, key: str, action: str, original=None) -> dict:
        template_codes = self.options.get("template_codes") or {}
        template_code = template_codes.get(facts["template"]) or f"{facts['template']}/001"
        general = {"invoiceType": facts["template"], "templateCode": template_code,
                   "invoiceSeries": facts["symbol"], "currencyCode": facts["currency"],
                   "exchangeRate": num(facts["exchange_rate"]), "adjustmentType": ADJUSTMENT_TYPE[action],
                   "paymentStatus": True, "cusGetInvoiceRight": True, "transactionUuid": transaction_uuid(key),
                   "invoiceIssuedDate": _ms(facts["issue_date"])}
        if facts["related"]:
            rel = facts["related"]
            general.update(originalInvoiceId=(original.provider_number if original is not None
                                              and original.provider_number else f"{rel['symbol']}{rel['number']}"),
                           originalInvoiceIssueDate=_ms(rel["date"]), originalTemplateCode=template_code,
                           additionalReferenceDesc=facts["agreement_ref"] or rel["note"],
                           additionalReferenceDate=_ms(datetime.fromisoformat(facts["agreement_date"]).date())
                           if facts["agreement_date"] else _ms(facts["issue_date"]))
            if action == "adjust":
                general["adjustmentInvoiceType"] = "1"
        buyer, seller = facts["buyer"], facts["seller"]
        items = []
        for line in facts["lines"]:
            pct = viettel_percentage(line["tsuat"]) if line["tsuat"] else -2
            amount = line["amount"]
            rate = {-2: 0, -1: 0}.get(pct, pct)
            items.append({"lineNumber": line["number"], "selection": int(line["nature"]), "itemCode": line["code"],
                          "itemName": line["name"], "unitName": line["unit"], "unitPrice": num(line["price"]),
                          "quantity": num(line["quantity"]), "itemTotalAmountWithoutTax": num(amount),
                          "taxPercentage": pct, "taxAmount": num(amount * rate / 100),
                          "discount": num(line["discount_percent"]), "itemDiscount": num(line["discount_amount"]),
                          "isIncreaseItem": None if action != "adjust" else bool(amount >= 0)})
        breakdowns = [{"taxPercentage": viettel_percentage(g["tsuat"]), "taxableAmount": num(g["base"]),
                       "taxAmount": num(g["tax"])} for g in facts["rates"]]
        return {
            "generalInvoiceInfo": general,
            "buyerInfo": {"buyerName": buyer["contact"] or buyer["name"], "buyerLegalName": buyer["name"],
                          "buyerTaxCode": buyer["tax_id"], "buyerIdNo": buyer["personal_id"],
                          "buyerIdType": "1" if buyer["personal_id"] else None,
                          "buyerAddressLine": buyer["address"], "buyerPhoneNumber": buyer["phone"],
                          "buyerEmail": buyer["email"], "buyerNotGetInvoice": 0},
            "sellerInfo": {"sellerLegalName": seller["name"], "sellerTaxCode": seller["tax_id"],
                           "sellerAddressLine": seller["address"], "sellerPhoneNumber": seller["phone"],
                           "sellerEmail": seller["email"]},
            "payments": [{"paymentMethodName": PAYMENT_NAMES.get(facts["payment"], facts["payment"] or "TM/CK")}],
            "itemInfo": items,
            "taxBreakdowns": breakdowns,
            "summarizeInfo": {"sumOfTotalLineAmountWithoutTax": num(facts["base"]),
                              "totalAmountWithoutTax": num(facts["base"]), "totalTaxAmount": num(facts["tax"]),
                              "totalAmountWithTax": num(facts["total"]), "totalAmountWithTaxInWords": facts["words"],
                              "discountAmount": num(facts["discount"] or 0)},
        }

    # ------------------------------------------------------------ the framework's calls

    def submit(self, document, idempotency_key: str) -> ProviderResult:
        return self._create(document, idempotency_key, "submit")

    def replace(self, document, idempotency_key: str) -> ProviderResult:
        return self._create(document, idempotency_key, "replace")

    def adjust(self, document, idempotency_key: str) -> ProviderResult:
        return self._create(document, idempotency_key, "adjust")

    def _create(self, document, key: str, action: str) -> ProviderResult:
        row, facts = self.invoice(document.business_id, document.id)
        original = self.invoice(document.business_id, document.corrects_id)[0] if document.corrects_id else None
        s = self._session(document.business_id)
        body = self.invoice_json(facts, key, action, original)
        answer = self._post(s, f"{API}/InvoiceWS/createInvoice/{s['tax_code']}", json_body=body)
        data = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 200 and not data.get("errorCode") and data.get("result"):
            return self._accepted(document.business_id, document.id, data["result"])
        # An error inside a 200 (or a 4xx): a duplicate transactionUuid is the invoice made before.
        found = self._search(s, key, document.business_id, document.id)
        if found is not None:
            return found
        return rejected("Viettel", data.get("errorCode") or f"HTTP {answer.status}", data.get("description"))

    def _accepted(self, business_id: int, document_id: int, result: dict) -> ProviderResult:
        mismatch = self.record_number(business_id, document_id, result.get("invoiceNo"))
        row, _facts = self.invoice(business_id, document_id) if mismatch else (None, None)
        return ProviderResult("accepted", authority_code=result.get("reservationCode"),
                              authority_uuid=result.get("codeOfTax"),
                              reason=f"Viettel invoice {result.get('invoiceNo')}"
                              + self.mismatch_note(str(row), mismatch))

    def _search(self, s: dict, key: str, business_id: int, document_id: int) -> ProviderResult | None:
        answer = self._post(s, f"{API}/InvoiceWS/searchInvoiceByTransactionUuid",
                            form={"supplierTaxCode": s["tax_code"], "transactionUuid": transaction_uuid(key)})
        data = answer.body if isinstance(answer.body, dict) else {}
        found = data.get("result") or []
        if answer.status != 200 or data.get("errorCode") or not found:
            return None
        return self._accepted(business_id, document_id, found[0])

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        cancelled = self.cancelled_by_key(idempotency_key)
        if cancelled is not None:  # a cancellation: did it happen? (the original's status says)
            return self._cancelled(self._session(cancelled[0]), *cancelled)
        business_id, document_id = self.document_of_key(idempotency_key)
        return self._search(self._session(business_id), idempotency_key, business_id, document_id)

    def _cancelled(self, s: dict, business_id: int, original_id: int) -> ProviderResult | None:
        """``accepted`` when Viettel's search shows the original invoice cancelled, else None."""
        key = self.accepted_key(business_id, original_id)
        if key is None:
            return None
        answer = self._post(s, f"{API}/InvoiceWS/searchInvoiceByTransactionUuid",
                            form={"supplierTaxCode": s["tax_code"], "transactionUuid": transaction_uuid(key)})
        data = answer.body if isinstance(answer.body, dict) else {}
        found = data.get("result") or []
        if answer.status == 200 and not data.get("errorCode") and found and \
                found[0].get("status") in CANCELLED_STATUSES:
            return ProviderResult("accepted", reason=f"Viettel cancelled {found[0].get('invoiceNo')}")
        return None

    def cancel(self, document, idempotency_key: str) -> ProviderResult:
        original, facts = self.invoice(document.business_id, document.corrects_id)
        if original is None or not original.provider_number:
            return ProviderResult("rejected", reason="the cancelled invoice was never accepted by Viettel")
        s = self._session(document.business_id)
        issued = datetime.combine(original.issue_date, time(12)).strftime("%Y%m%d%H%M%S")
        answer = self._post(s, f"{API}/InvoiceWS/cancelTransactionInvoice", form={
            "supplierTaxCode": s["tax_code"], "invoiceNo": original.provider_number, "strIssueDate": issued,
            "additionalReferenceDesc": (document.correction_reason or "")[:255],
            "additionalReferenceDate": _ms(document.issue_date)})
        data = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 200 and not data.get("errorCode"):
            return ProviderResult("accepted", reason=f"Viettel cancelled {original.provider_number}")
        # "already cancelled" (an earlier attempt timed out after cancelling): adopted once the search confirms it
        done = self._cancelled(s, document.business_id, document.corrects_id)
        if done is not None:
            return done
        return rejected("Viettel", data.get("errorCode") or f"HTTP {answer.status}", data.get("description"))

    def download_pdf(self, document) -> bytes:
        row, facts = self.invoice(document.business_id, document.id)
        if row is None or not row.provider_number:
            raise UserError(f"{document.label}: not accepted by Viettel yet; no PDF to download")
        s = self._session(document.business_id)
        template_code = (self.options.get("template_codes") or {}).get(row.template) or f"{row.template}/001"
        answer = self._post(s, f"{API}/InvoiceUtilsWS/getInvoiceRepresentationFile", json_body={
            "supplierTaxCode": s["tax_code"], "invoiceNo": row.provider_number, "templateCode": template_code,
            "fileType": "PDF"})
        data = answer.body if isinstance(answer.body, dict) else {}
        # This call's errorCode is a number, 200 on success (the other calls say null).
        if answer.status != 200 or data.get("errorCode") not in (None, 0, 200, "200") or not data.get("fileToBytes"):
            raise UserError(f"Viettel: no PDF ({data.get('errorCode') or answer.status}: {data.get('description')})")
        return base64.b64decode(data["fileToBytes"])
