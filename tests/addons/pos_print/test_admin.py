"""The receipt printing screens: lists, the receipt page with its PNG preview and reprint form, printers'
test page and status actions, retrying a failed job, search by code or QR payload, permissions."""
from __future__ import annotations

from sqlalchemy import select

from addons.pos_print import decoder, services
from addons.pos_print.models import Receipt

from .conftest import run_jobs

from tests.web.conftest import app, client_for, make_user  # noqa: E402,F401

SCREENS = ["pos_print_receipt", "pos_print_reprint", "pos_print_job", "pos_print_printer"]


def test_screens_preview_reprint_and_printers(vn_shop, make_user, client_for, fake_printer):
    admin = client_for(make_user(vn_shop.business))
    for endpoint in SCREENS:
        assert admin.get(f"/admin/{endpoint}/").status_code == 200
    created = admin.post("/admin/pos_print_printer/new/", {
        "name": "Quầy 2", "kind": "network", "host": "127.0.0.1", "port": str(fake_printer.port),
        "profile": "TM-T20II", "paper_width": "80", "code_page": "auto", "drawer_pin": "2", "has_cutter": "y",
        "active": "y"})
    assert created.status_code == 302
    with vn_shop.session() as session:
        printer = session.scalar(select(services.printers.Printer).where(services.printers.Printer.name == "Quầy 2"))
        printer_id = printer.id
    bad = admin.post("/admin/pos_print_printer/new/", {"name": "Bad", "kind": "network", "host": "",
                                                       "profile": "TM-T20II", "paper_width": "80",
                                                       "drawer_pin": "2"})
    assert "host" in bad.get_data(as_text=True)
    fake_printer.reset()
    assert admin.post("/admin/pos_print_printer/action/", {"action": "test_page", "rowid": str(printer_id)},
                      follow_redirects=True).status_code == 200
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert decoder.decode(fake_printer.content()).qr_payloads == ["TEST:Quầy 2"]

    number = vn_shop.paid_order()
    with vn_shop.tx() as session:
        receipt, _ = services.issue_for_number(session, number)
        receipt_id, code = receipt.id, receipt.code
        payload = decoder.decode(receipt.content).qr_payloads[0]
    page = admin.get(f"/admin/pos_print_receipt/details/?id={receipt_id}").get_data(as_text=True)
    assert code in page and number in page
    assert f'src="/admin/pos_print_receipt/preview/?id={receipt_id}"' in page
    png = admin.c.get(f"/admin/pos_print_receipt/preview/?id={receipt_id}")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    found = admin.get("/admin/pos_print_receipt/", query_string={"search": payload}).get_data(as_text=True)
    assert f"details/?id={receipt_id}" in found
    forged = admin.get("/admin/pos_print_receipt/", query_string={"search": payload[:-1] + ("Y" if payload.endswith("Z") else "Z")}).get_data(
        as_text=True)
    assert f"details/?id={receipt_id}" not in forged and "altered" in forged

    fake_printer.reset()
    refused = admin.post(f"/admin/pos_print_receipt/reprint/?id={receipt_id}",
                         {"reason": "other", "printer": str(printer_id)}, follow_redirects=True)
    assert refused.status_code == 200
    with vn_shop.session() as session:
        assert session.get(Receipt, receipt_id).reprint_count == 0
    admin.post(f"/admin/pos_print_receipt/reprint/?id={receipt_id}",
               {"reason": "paper_jam", "printer": str(printer_id)})
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert "BẢN SAO 1" in decoder.decode(fake_printer.content()).text_lines
    assert "Paper jam" in admin.get("/admin/pos_print_reprint/").get_data(as_text=True)

    reader = client_for(make_user(vn_shop.business, permissions=["pos_print.receipt.read"]))
    assert reader.get(f"/admin/pos_print_receipt/details/?id={receipt_id}").status_code == 200
    assert reader.post(f"/admin/pos_print_receipt/reprint/?id={receipt_id}",
                       {"reason": "paper_jam", "printer": str(printer_id)}).status_code == 403
    with vn_shop.session() as session:
        assert session.get(Receipt, receipt_id).reprint_count == 1
