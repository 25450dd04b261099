"""Reprint rules: the original's bytes with the copy mark, reason, PIN, limit, audit, list per day and cashier."""
from __future__ import annotations

import pytest

from addons.pos_print import decoder, services
from core.audit import acting_as
from core.errors import UserError


def _issued(shop):
    number = shop.paid_order()
    with shop.tx() as session:
        receipt, _ = services.issue_for_number(session, number)
        return receipt.code, receipt.content


def _settings(shop, **values):
    with shop.tx() as session:
        services.receipts.save_settings(session, values)


@pytest.fixture(scope="module")
def clerk(runtime, vn_shop):
    from core.auth import create_user
    with runtime.transaction(vn_shop.id) as session:
        user = create_user(session, f"clerk-{vn_shop.id}@example.com", "clerk-password-1", name="Thu Ngân Lan",
                           business_id=vn_shop.id, role="Administrator")
        return user.id


def test_copy_keeps_the_original_bytes_and_marks_them(vn_shop, clerk):
    code, original = _issued(vn_shop)
    with acting_as(clerk), vn_shop.tx() as session:
        row, content = services.reprint(session, code, reason="vat_invoice")
        assert row.number == 1 and row.user_name == "Thu Ngân Lan"
    out = decoder.decode(content)
    assert out.text_lines.count("BẢN SAO 1") == 2          # at the top and above the cut
    assert "Thu Ngân Lan" in out.text_lines
    assert out.drawer_kicks == 0 and out.cuts == 1         # a copy never opens the drawer
    body = original[5 + 5:]                                # head (init, code page) and the drawer kick
    body = body[:body.rindex(b"\x1bd\x06")]
    assert body in content                                 # the original, byte for byte
    with vn_shop.session() as session:
        receipt = services.find_receipt(session, code)
        assert receipt.reprint_count == 1 and receipt.content == original
        from core.audit import history
        from addons.pos_print.models import Reprint
        entries = history(session, Reprint, row.id)
        assert entries and entries[0].action == "create" and entries[0].user_id == clerk
        assert entries[0].after["reason"] == "vat_invoice"


@pytest.mark.parametrize("language, mark, texts, images", [
    ("ko", "재발행 1", [], 1), ("zh", "补打 1", [], 1), ("en", "COPY 1", ["COPY 1"], 0),
    ("es", "DUPLICADO 1", ["DUPLICADO 1"], 0), ("ru", "КОПИЯ 1", ["КОПИЯ 1"], 0)])
def test_copy_mark_in_the_receipts_language(language, mark, texts, images):
    from addons.pos_print import paper, writer
    from addons.pos_print.services.reprints import COPY_MARKS
    assert COPY_MARKS[language].format(n=1) == mark
    page, number = paper.choose_code_page("TM-T20II", language)
    aim = writer.Target("TM-T20II", paper.geometry(80, "TM-T20II"), page, number)
    out = decoder.decode(writer.render([writer.Line(mark, align="center", bold=True, big=True)], aim))
    assert (out.text_lines, len(out.images)) == (texts, images)   # Hangul and Han as raster, the rest as text


def test_reason_is_required_and_other_needs_a_note(vn_shop):
    code, _ = _issued(vn_shop)
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="reason"):
            services.reprint(session, code, reason="because")
        with pytest.raises(UserError, match="note"):
            services.reprint(session, code, reason="other")
        row, content = services.reprint(session, code, reason="other", note="coffee spilled on it")
        assert "coffee spilled on it" in "\n".join(decoder.decode(content).text_lines)


def test_limit_of_reprints(vn_shop):
    code, _ = _issued(vn_shop)
    _settings(vn_shop, max_reprints=2)
    try:
        for n in (1, 2):
            with vn_shop.tx() as session:
                assert services.reprint(session, code, reason="paper_jam")[0].number == n
        with vn_shop.tx() as session:
            with pytest.raises(UserError, match="most allowed"):
                services.reprint(session, code, reason="paper_jam")
        with vn_shop.session() as session:
            assert services.find_receipt(session, code).reprint_count == 2
    finally:
        _settings(vn_shop, max_reprints=3)


def test_supervisor_pin(runtime, vn_shop, clerk):
    from core.auth import create_user
    code, _ = _issued(vn_shop)
    with runtime.transaction(vn_shop.id) as session:
        boss = create_user(session, f"boss-{vn_shop.id}@example.com", "boss-password-1", name="Quản lý",
                           business_id=vn_shop.id, role="Administrator").id
        services.set_pin(session, boss, "4321")
        with pytest.raises(UserError, match="4 to 8 digits"):
            services.set_pin(session, boss, "12a4")
    with vn_shop.session() as session:
        from addons.pos_print.models import SupervisorPin
        stored = session.query(SupervisorPin).filter_by(user_id=boss).one().pin_hash
        assert stored.startswith("$argon2id$") and "4321" not in stored
    _settings(vn_shop, require_pin=True)
    try:
        with acting_as(clerk), vn_shop.tx() as session:
            with pytest.raises(UserError, match="PIN is required"):
                services.reprint(session, code, reason="customer_request")
            with pytest.raises(UserError, match="not the PIN"):
                services.reprint(session, code, reason="customer_request", pin="0000")
            row, _ = services.reprint(session, code, reason="customer_request", pin="4321")
            assert (row.supervisor_id, row.user_id) == (boss, clerk)
        with vn_shop.session() as session:
            assert services.find_receipt(session, code).reprint_count == 1   # refusals counted nothing
    finally:
        _settings(vn_shop, require_pin=False)


def test_reprints_per_day_and_cashier(vn_shop, clerk):
    code, _ = _issued(vn_shop)
    with acting_as(clerk), vn_shop.tx() as session:
        row, _ = services.reprint(session, code, reason="return")
        day = row.day
    with vn_shop.session() as session:
        mine = services.reprints_by_day(session, day, clerk)
        assert mine and all(r.user_id == clerk and r.day == day for r in mine)
        assert row.id in [r.id for r in mine]
        assert services.reprints_by_day(session, day, clerk + 10_000) == []
