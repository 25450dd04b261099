"""The Korean demo business through the offline path: every kind of document the issue names."""
from __future__ import annotations


def test_demo_business_shows_every_document(runtime):
    from addons.einvoice_kr.demo import seed_business
    result = seed_business(runtime, "demo-kr-test")
    receipts = result["cash_receipts"]
    assert receipts.get("approval:deduction:issued") == 1          # the order with a return keeps its receipt
    assert receipts.get("approval:proof:issued") == 1
    assert receipts.get("approval:self:issued") == 1
    assert receipts.get("cancel:deduction:issued") == 1            # the partial cancellation of the return
    assert sorted((t["amendment_code"] or 0, t["state"]) for t in result["tax_invoices"]) == [(0, "issued"),
                                                                                              (2, "issued")]
    again = seed_business(runtime, "demo-kr-test")                  # idempotent
    assert again["cash_receipts"] == receipts and again["created"] == {"receipts": 0}
