"""Receipts rendered from paid orders and read back with our decoder: text, QR, width, cut, languages."""
from __future__ import annotations

import pytest

from addons.pos_print import decoder, signing
from addons.pos_print import services


def _receipt(shop, number=None, **kw):
    number = number or shop.paid_order()
    with shop.tx() as session:
        receipt, created = services.issue_for_number(session, number, **kw)
        return receipt.code, receipt.content, receipt.chars_per_line, receipt.dots, created, receipt.language


def test_vietnamese_receipt_is_text_in_cp1258(vn_shop):
    code, content, chars, dots, created, lang = _receipt(vn_shop)
    assert created and lang == "vi"
    out = decoder.decode(content)
    assert out.code_page == "CP1258"
    text = "\n".join(out.text_lines)
    assert "Phở bò tái" in text and "Cà phê sữa đá" in text
    assert "TỔNG CỘNG" in text and "Tiền thối" not in text   # translated; no change line without --tendered
    assert f"{code}" in text
    assert out.cuts == 1
    assert out.max_columns() <= chars and out.max_image_width() <= dots
    from core.formatting import datetime_
    with vn_shop.session() as session:                      # the payment's moment in the shop's time zone
        paid_at = services.find_receipt(session, code).order.payments[-1].created_at
    assert datetime_(paid_at, "Asia/Ho_Chi_Minh", "vi") in out.text_lines
    [payload] = out.qr_payloads
    with vn_shop.session() as session:
        assert services.find_receipt(session, payload).code == code


def test_korean_and_chinese_receipts_draw_their_script_as_raster(kr_shop, cn_shop):
    for shop, word in ((kr_shop, "소고기"), (cn_shop, "牛肉面")):
        code, content, chars, dots, _, lang = _receipt(shop)
        assert lang == {"KR": "ko", "CN": "zh"}[shop.business.country]
        out = decoder.decode(content)
        text = "\n".join(out.text_lines)
        assert word not in text                     # not as code-page text ...
        assert len(out.images) >= 3                 # ... but as raster lines
        assert all(image.width == dots for image in out.images)
        assert out.max_columns() <= chars
        [payload] = out.qr_payloads                 # the code line itself is Hangul/Han, so raster too
        assert payload.split(":")[2] == code


def test_mixed_line_falls_back_per_glyph():
    from addons.pos_print import raster
    image = raster.line_image("Phở 소고기 牛肉 Щи", "", 576)
    assert image.getbbox() is not None
    assert raster._face_for("소", False)[0] == "NanumGothic.ttf"
    assert raster._face_for("牛", False)[0] in ("NanumGothic.ttf", "wqy-microhei.ttc")
    assert raster._face_for("肉", False) != raster._face_for("ở", False)
    assert raster._face_for("ở", False)[0] == "DejaVuSans.ttf"


def test_vietnamese_without_a_vietnamese_code_page_is_raster(vn_shop):
    from addons.pos_print import paper, writer
    page, number = paper.choose_code_page("TM-T88IV", "vi")
    assert page != "CP1258"
    aim = writer.Target("TM-T88IV", paper.geometry(80, "TM-T88IV"), page, number)
    out = decoder.decode(writer.render([writer.Line("Phở bò tái", "85.000"), writer.Line("Total", "85")], aim))
    assert out.text_lines[0] == "Total" + " " * (aim.geometry.chars - 7) + "85"
    assert len(out.images) == 1 and out.images[0].width == aim.geometry.dots == 512


def test_58mm_paper_wraps_to_32_columns(vn_shop):
    from addons.pos_print import paper, writer
    aim = writer.Target("default", paper.geometry(58), "CP1258", 52)
    assert aim.geometry.chars == 32 and aim.geometry.dots == 384
    lines = [writer.Line(part) for part in paper.wrap("Bánh mì thịt nướng đặc biệt với pate và rau thơm", 32)]
    out = decoder.decode(writer.render(lines, aim))
    assert len(out.text_lines) == 2 and out.max_columns() <= 32


def test_receipt_is_stored_once_and_frozen(vn_shop):
    number = vn_shop.paid_order()
    code, content, *_ = _receipt(vn_shop, number)
    again_code, again, _, _, created, _ = _receipt(vn_shop, number)
    assert (again_code, again, created) == (code, content, False)
    from core.errors import UserError
    with pytest.raises(UserError, match="cannot be changed"):
        with vn_shop.tx() as session:
            services.find_receipt(session, code).content = b"forged"
    from sqlalchemy import text
    with pytest.raises(Exception, match="cannot be changed"):
        with vn_shop.tx() as session:
            session.execute(text("UPDATE pos_print_receipt SET content = :c WHERE code = :code"),
                            {"c": b"x", "code": code})
    with vn_shop.session() as session:
        assert services.find_receipt(session, code).content == content


def test_forged_or_altered_qr_payload_is_refused(vn_shop, kr_shop):
    from core.errors import UserError
    code, content, *_ = _receipt(vn_shop)
    [payload] = decoder.decode(content).qr_payloads
    head, sig = payload.rsplit(":", 1)
    altered = [head + ":" + ("A" if sig[0] != "A" else "B") + sig[1:],
               payload.replace(code, signing.new_code()),
               signing.payload("not-our-secret", vn_shop.business.slug, code)]
    with vn_shop.session() as session:
        for bad in altered:
            with pytest.raises(UserError, match="altered"):
                services.find_receipt(session, bad)
        assert services.find_receipt(session, code.lower().replace("-", " ")).code == code
    with kr_shop.session() as session:      # another shop's receipt is not found by its payload
        with pytest.raises(UserError):
            services.find_receipt(session, payload)


def test_unpaid_order_has_no_receipt(vn_shop):
    from addons.sales import services as sales
    from core.errors import UserError
    with vn_shop.tx() as session:
        order = sales.create_order(session, channel="counter", lines=[{"variant_id": vn_shop.variants[0], "qty": 1}])
        number = order.number
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="not paid"):
            services.issue_for_number(session, number)


def test_cash_receipt_approval_hook(vn_shop):
    """The documented hook a Korean e-invoice addon fills: its approval number is printed."""
    services.CASH_RECEIPT_LOOKUPS.append(lambda session, order: "123456789")
    try:
        code, content, *_ = _receipt(vn_shop)
    finally:
        services.CASH_RECEIPT_LOOKUPS.clear()
    assert any(line.endswith("123456789") for line in decoder.decode(content).text_lines)


def test_customer_language_and_business_time_zone(vn_shop):
    """Setting language=customer: a Korean customer of a Vietnamese shop gets a Korean receipt."""
    from addons.partners.services import create_partner
    with vn_shop.tx() as session:
        partner_id = create_partner(session, name="김민준", country="KR", is_customer=True).id
        services.receipts.save_settings(session, {"language": "customer"})
    try:
        number = vn_shop.paid_order(partner_id=partner_id)
        with vn_shop.tx() as session:
            receipt, _ = services.issue_for_number(session, number)
            language, content = receipt.language, receipt.content
    finally:
        with vn_shop.tx() as session:
            services.receipts.save_settings(session, {"language": "business"})
    assert language == "ko"
    out = decoder.decode(content)
    assert out.code_page == "CP858" and len(out.images) > 5          # Korean labels drawn as raster
    assert out.text_lines[0] == vn_shop.business.name               # Latin the page holds stays text ...
    assert "Phở bò tái" not in out.text_lines                        # ... "ở" is not in CP858: raster


def test_writer_command_bytes_are_python_escpos_own():
    # writer spells ESC, GS and the drawer kicks itself so that start-up does not import escpos;
    # they must stay the library's bytes.
    import escpos.constants as escpos_constants
    from addons.pos_print import writer
    assert writer.ESC == escpos_constants.ESC and writer.GS == escpos_constants.GS
    assert writer.KICKS == {2: escpos_constants.CD_KICK_2, 5: escpos_constants.CD_KICK_5}
