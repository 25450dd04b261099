"""MISA meInvoice adapter (the meInvoice integration API, v3, invoices signed by MISA's HSM / eSign).

Documented calls used (base ``misa_url``, default https://api.meinvoice.vn/api/integration; MISA's test
environment is https://testapi.meinvoice.vn/api/integration):

* ``POST /auth/token`` ``{"appid", "taxcode", "username", "password"}`` -> ``{"Success", "Data": token,
  "ErrorCode", "Errors"}``; every other call sends ``Authorization: Bearer <token>`` and ``CompanyTaxCode``;
* ``POST /code/itg/invoicepublishing/publishhsm`` ``[{... OriginalInvoiceData ...}]``: publish (MISA signs),
  ``RefID`` = the framework's key as a UUID, so a second publish of the same invoice answers
  ``DuplicateInvoiceRefID``; replacements and adjustments carry ``ReferenceType`` (1 replacement,
  2 adjustment), ``OrgInvTemplateNo``, ``OrgInvSeries``, ``OrgInvNo``, ``OrgInvDate`` and the agreement;
* ``POST /code/itg/invoicepublished/invoicestatus?inputType=2`` ``[RefID]``: status and the tax
  authority's code by reference (the lookup before any resend, and the status pull);
* ``POST /code/itg/invoicepublished/downloadinvoice?downloadDataType=pdf`` ``[TransactionID]``;
* ``POST /code/itg/invoicepublished/cancel`` ``{"TransactionID", "InvNo", "RefDate", "CancelReason"}``.

Answers are ``{"Success", "ErrorCode", "Errors", "Data"}`` with HTTP 200 even for errors (``Success``
false, or an item's ``ErrorCode``): those are errors. ``Data`` is a JSON string or a list.
"""
from __future__ import annotations

import base64
import json

from addons.einvoice.providers import ProviderResult
from core.errors import UserError

from . import http
from .payload import num, transaction_uuid
from .taxcodes import percent
from .vnprovider import VnProvider, rejected

DUPLICATE = "DuplicateInvoiceRefID"
REFERENCE_TYPE = {"replace": 1, "adjust": 2}
# invoicestatus' EInvoiceStatus of a cancelled invoice. Not verified against the live service (README).
CANCELLED_STATUSES = (5, "5")
ITEM_TYPE = {"1": 1, "2": 2, "3": 3, "4": 4}  # goods, promotion, discount, note


def _data(body) -> list:
    data = body.get("Data") if isinstance(body, dict) else None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return []
    return data if isinstance(data, list) else [data] if isinstance(data, dict) else []


class MisaProvider(VnProvider):
    code = "misa"
    label = "MISA meInvoice (Vietnam)"

    def _session(self, business_id: int) -> dict:
        conf = self.conf(business_id)
        if not (conf["misa_app_id"] and conf["misa_username"] and conf["misa_password"]):
            raise UserError("MISA app id, user and password are not set (Settings › Addons › Vietnam e-invoices)")
        url, timeout, tax = conf["misa_url"].rstrip("/"), conf["http_timeout"], self.seller_tax_code(business_id)
        answer = http.call("POST", url + "/auth/token", timeout=timeout, json_body={
            "appid": conf["misa_app_id"], "taxcode": tax, "username": conf["misa_username"],
            "password": conf["misa_password"]})
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status != 200 or not body.get("Success") or not body.get("Data"):
            raise UserError(f"MISA login refused ({body.get('ErrorCode') or answer.status}): check the app id, "
                            f"user and password")
        return {"url": url, "timeout": timeout, "tax_code": tax,
                "headers": {"Authorization": f"Bearer {body['Data']}", "CompanyTaxCode": tax}}

    def _post(self, s: dict, path: str, body) -> http.Answer:
        return http.call("POST", s["url"] + path, timeout=s["timeout"], headers=s["headers"], json_body=body)

    def invoice_json(self, facts: dict, key: str, action: str) -> dict:
        buyer = facts["buyer"]
        details = []
        for line in facts["lines"]:
            pct = percent(line["tsuat"]) if line["tsuat"] else None
            details.append({"ItemType": ITEM_TYPE[line["nature"]], "LineNumber": line["number"],
                            "SortOrder": line["number"], "ItemCode": line["code"], "ItemName": line["name"],
                            "UnitName": line["unit"], "Quantity": num(line["quantity"]),
                            "UnitPrice": num(line["price"]), "DiscountRate": num(line["discount_percent"]),
                            "DiscountAmountOC": num(line["discount_amount"]), "AmountOC": num(line["amount"]),
                            "AmountWithoutVATOC": num(line["amount"]), "VATRateName": line["tsuat"] or "KCT",
                            "VATAmountOC": num(line["amount"] * (pct or 0) / 100)})
        data = {"RefID": transaction_uuid(key), "InvSeries": facts["template"] + facts["symbol"],
                "InvoiceName": "Hóa đơn giá trị gia tăng" if facts["template"] == "1" else "Hóa đơn bán hàng",
                "InvDate": facts["issue_date"].isoformat(), "CurrencyCode": facts["currency"],
                "ExchangeRate": num(facts["exchange_rate"]), "PaymentMethodName": facts["payment"] or "TM/CK",
                "BuyerLegalName": buyer["name"], "BuyerTaxCode": buyer["tax_id"], "BuyerAddress": buyer["address"],
                "BuyerFullName": buyer["contact"], "BuyerIDNumber": buyer["personal_id"],
                "BuyerPhoneNumber": buyer["phone"], "BuyerEmail": buyer["email"],
                "TotalSaleAmountOC": num(facts["base"] + (facts["discount"] or 0)),
                "TotalDiscountAmountOC": num(facts["discount"] or 0),
                "TotalAmountWithoutVATOC": num(facts["base"]), "TotalVATAmountOC": num(facts["tax"]),
                "TotalAmountOC": num(facts["total"]), "TotalAmountInWords": facts["words"],
                "OriginalInvoiceDetail": details,
                "TaxRateInfo": [{"VATRateName": g["tsuat"], "AmountWithoutVATOC": num(g["base"]),
                                 "VATAmountOC": num(g["tax"])} for g in facts["rates"]],
                "OptionUserDefined": {"MainCurrency": "VND", "AmountDecimalDigits": "0",
                                      "QuantityDecimalDigits": "4", "UnitPriceDecimalDigits": "4"}}
        if facts["related"]:
            rel = facts["related"]
            data.update(ReferenceType=REFERENCE_TYPE[action], OrgInvoiceType=1, OrgInvTemplateNo=rel["template"],
                        OrgInvSeries=rel["template"] + rel["symbol"], OrgInvNo=f"{rel['number']:08d}",
                        OrgInvDate=rel["date"].isoformat(), InvoiceNote=rel["note"],
                        ReferenceDocNo=facts["agreement_ref"], ReferenceDocDate=facts["agreement_date"])
        return data

    # ------------------------------------------------------------ the framework's calls

    def submit(self, document, idempotency_key: str) -> ProviderResult:
        return self._publish(document, idempotency_key, "submit")

    def replace(self, document, idempotency_key: str) -> ProviderResult:
        return self._publish(document, idempotency_key, "replace")

    def adjust(self, document, idempotency_key: str) -> ProviderResult:
        return self._publish(document, idempotency_key, "adjust")

    def _publish(self, document, key: str, action: str) -> ProviderResult:
        row, facts = self.invoice(document.business_id, document.id)
        s = self._session(document.business_id)
        answer = self._post(s, "/code/itg/invoicepublishing/publishhsm",
                            [{"OriginalInvoiceData": self.invoice_json(facts, key, action)}])
        body = answer.body if isinstance(answer.body, dict) else {}
        items = _data(body)
        item = items[0] if items else {}
        if answer.status == 200 and body.get("Success") and item and not item.get("ErrorCode"):
            return self._accepted(document.business_id, document.id, item)
        code = item.get("ErrorCode") or body.get("ErrorCode") or f"HTTP {answer.status}"
        if code == DUPLICATE or answer.status != 200 or not body.get("Success") or item.get("ErrorCode"):
            found = self._status(s, key, document.business_id, document.id)
            if found is not None:
                return found  # the invoice published before under this RefID: adopted, never issued twice
        return rejected("MISA", code, "; ".join(map(str, body.get("Errors") or [])) or item.get("ErrorMessage"))

    def _accepted(self, business_id: int, document_id: int, item: dict) -> ProviderResult:
        mismatch = self.record_number(business_id, document_id, item.get("InvNo"), item.get("InvSeries"))
        row, _facts = self.invoice(business_id, document_id) if mismatch else (None, None)
        return ProviderResult("accepted", authority_code=item.get("TransactionID"),
                              authority_uuid=item.get("InvoiceCode") or item.get("TaxAuthorityCode"),
                              reason=f"MISA invoice {item.get('InvSeries') or ''} {item.get('InvNo') or ''}".strip()
                              + self.mismatch_note(str(row), mismatch))

    def _status(self, s: dict, key: str, business_id: int, document_id: int) -> ProviderResult | None:
        answer = self._post(s, "/code/itg/invoicepublished/invoicestatus?invoiceWithCode=true&inputType=2",
                            [transaction_uuid(key)])
        body = answer.body if isinstance(answer.body, dict) else {}
        found = [i for i in _data(body) if i.get("TransactionID")]
        if answer.status != 200 or not body.get("Success") or not found:
            return None
        return self._accepted(business_id, document_id, found[0])

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        cancelled = self.cancelled_by_key(idempotency_key)
        if cancelled is not None:  # a cancellation: did it happen? (the original's status says)
            return self._cancelled(self._session(cancelled[0]), *cancelled)
        business_id, document_id = self.document_of_key(idempotency_key)
        return self._status(self._session(business_id), idempotency_key, business_id, document_id)

    def _cancelled(self, s: dict, business_id: int, original_id: int) -> ProviderResult | None:
        """``accepted`` when MISA's invoicestatus shows the original invoice cancelled, else None."""
        key = self.accepted_key(business_id, original_id)
        if key is None:
            return None
        answer = self._post(s, "/code/itg/invoicepublished/invoicestatus?invoiceWithCode=true&inputType=2",
                            [transaction_uuid(key)])
        body = answer.body if isinstance(answer.body, dict) else {}
        found = _data(body)
        if answer.status == 200 and body.get("Success") and found and \
                found[0].get("EInvoiceStatus") in CANCELLED_STATUSES:
            return ProviderResult("accepted", reason=f"MISA cancelled {found[0].get('TransactionID')}")
        return None

    def _transaction_of(self, business_id: int, document_id: int) -> str | None:
        from sqlalchemy import select
        from addons.einvoice.models import Submission
        with self.runtime.session(business_id) as session:
            return session.scalar(select(Submission.authority_code).where(
                Submission.document_id == document_id, Submission.provider == self.code,
                Submission.state == "accepted").order_by(Submission.id.desc()).limit(1))

    def cancel(self, document, idempotency_key: str) -> ProviderResult:
        original, _facts = self.invoice(document.business_id, document.corrects_id)
        transaction = self._transaction_of(document.business_id, document.corrects_id)
        if original is None or not transaction:
            return ProviderResult("rejected", reason="the cancelled invoice was never accepted by MISA")
        s = self._session(document.business_id)
        answer = self._post(s, "/code/itg/invoicepublished/cancel", {
            "TransactionID": transaction, "InvNo": original.provider_number, "RefDate": document.issue_date.isoformat(),
            "CancelReason": (document.correction_reason or "")[:255]})
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 200 and body.get("Success"):
            return ProviderResult("accepted", reason=f"MISA cancelled {transaction}")
        done = self._cancelled(s, document.business_id, document.corrects_id)  # cancelled by an earlier attempt
        if done is not None:
            return done
        return rejected("MISA", body.get("ErrorCode") or f"HTTP {answer.status}",
                        "; ".join(map(str, body.get("Errors") or [])))

    def download_pdf(self, document) -> bytes:
        transaction = self._transaction_of(document.business_id, document.id)
        if not transaction:
            raise UserError(f"{document.label}: not accepted by MISA yet; no PDF to download")
        s = self._session(document.business_id)
        answer = self._post(s, "/code/itg/invoicepublished/downloadinvoice?downloadDataType=pdf", [transaction])
        body = answer.body if isinstance(answer.body, dict) else {}
        items = _data(body)
        if answer.status != 200 or not body.get("Success") or not items or not items[0].get("Data"):
            raise UserError(f"MISA: no PDF ({body.get('ErrorCode') or answer.status})")
        return base64.b64decode(items[0]["Data"])
