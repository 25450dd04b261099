"""Who issues a Korean document: Popbill (``popbill``) or the offline path (``offline``: demo, tests, no fiscal validity).

A provider takes the Popbill-shaped facts of a document (``services.facts``) and
answers ``{"confirm_num", "trade_date", "state_code"}`` (cash receipts) or
``{"nts_confirm_num", "state_code"}`` (tax invoices); it raises
``popbill.PopbillError`` when Popbill refuses and ``OutcomeUnknown`` when the answer
was lost. ``lookup_*`` answers None when Popbill never received the mgtKey.

The offline provider makes the approval number from the mgtKey (9 digits, the
length of an NTS approval number), so sending the same document twice gives the
same answer; it never transmits anything to the NTS.
"""
from __future__ import annotations

import hashlib
from datetime import date

from .popbill import STATE_ISSUED, STATE_TRANSMITTED, TAXINVOICE_SCOPE, PopbillClient

PROVIDERS = ("offline", "popbill")


def _yyyymmdd(text) -> date | None:
    text = str(text or "")[:8]
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 and text.isdigit() else None


class OfflineProvider:
    code = "offline"

    def issue_cashbill(self, facts: dict) -> dict:
        return self._answer(facts["mgtKey"], facts.get("tradeDT") or facts.get("tradeDate"))

    def revoke_cashbill(self, facts: dict) -> dict:
        return self._answer(facts["mgtKey"], facts.get("tradeDT"))

    def lookup_cashbill(self, mgt_key: str) -> dict | None:
        return None  # an offline document is recorded in the step that makes it

    def send_cashbill_email(self, mgt_key: str, to: str) -> None:
        raise NotImplementedError("offline receipts are mailed by Tessera (setting receipt_mail = ours)")

    def issue_taxinvoice(self, facts: dict) -> dict:
        digest = hashlib.sha256(facts["invoicerMgtKey"].encode()).hexdigest()
        return {"nts_confirm_num": facts["writeDate"] + str(int(digest, 16) % 10 ** 16).zfill(16),
                "state_code": STATE_ISSUED}

    def lookup_taxinvoice(self, mgt_key: str) -> dict | None:
        return None

    def send_taxinvoice_email(self, mgt_key: str, to: str) -> None:
        raise NotImplementedError("offline tax invoices are mailed by Tessera (setting taxinvoice_mail = ours)")

    @staticmethod
    def _answer(mgt_key: str, trade_dt) -> dict:
        digest = hashlib.sha256(mgt_key.encode()).hexdigest()
        return {"confirm_num": str(int(digest, 16) % 10 ** 9).zfill(9),
                "trade_date": _yyyymmdd(trade_dt) or date.today(), "state_code": STATE_ISSUED}


class PopbillProvider:
    code = "popbill"

    def __init__(self, settings: dict, corp_num: str):
        common = dict(link_id=settings["popbill_link_id"], secret_key=settings["popbill_secret_key"],
                      corp_num=corp_num, test=settings["popbill_test"], api_url=settings["popbill_api_url"],
                      auth_url=settings["popbill_auth_url"], timeout=settings["popbill_timeout"])
        self.client = PopbillClient(**common)
        self.tax_client = PopbillClient(**common, scope=TAXINVOICE_SCOPE)

    def issue_cashbill(self, facts: dict) -> dict:
        answer = self.client.cashbill_regist_issue(facts)
        return _cashbill_answer(answer, facts)

    def revoke_cashbill(self, facts: dict) -> dict:
        return _cashbill_answer(self.client.cashbill_revoke_issue(facts), facts)

    def lookup_cashbill(self, mgt_key: str) -> dict | None:
        info = self.client.cashbill_info(mgt_key)
        if info is None or not info.get("confirmNum"):
            return None
        return {"confirm_num": info["confirmNum"], "trade_date": _yyyymmdd(info.get("tradeDate")),
                "state_code": int(info.get("stateCode") or STATE_ISSUED)}

    def send_cashbill_email(self, mgt_key: str, to: str) -> None:
        self.client.cashbill_send_email(mgt_key, to)

    def issue_taxinvoice(self, facts: dict) -> dict:
        answer = self.tax_client.taxinvoice_regist_issue(facts)
        return {"nts_confirm_num": answer.get("ntsConfirmNum"), "state_code": STATE_ISSUED}

    def send_taxinvoice_email(self, mgt_key: str, to: str) -> None:
        self.tax_client.taxinvoice_send_email(mgt_key, to)

    def lookup_taxinvoice(self, mgt_key: str) -> dict | None:
        info = self.tax_client.taxinvoice_info(mgt_key)
        if info is None:
            return None
        return {"nts_confirm_num": info.get("ntsconfirmNum") or info.get("ntsConfirmNum"),
                "state_code": int(info.get("stateCode") or STATE_ISSUED)}


def _cashbill_answer(answer: dict, facts: dict) -> dict:
    return {"confirm_num": answer.get("confirmNum"),
            "trade_date": _yyyymmdd(answer.get("tradeDate")) or _yyyymmdd(facts.get("tradeDT")) or date.today(),
            "state_code": STATE_ISSUED}


def make(code: str, settings: dict, corp_num: str):
    if code == "popbill":
        return PopbillProvider(settings, corp_num)
    return OfflineProvider()


__all__ = ["OfflineProvider", "PopbillProvider", "make", "PROVIDERS", "STATE_TRANSMITTED"]
