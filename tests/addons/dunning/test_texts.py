"""The merchant's own reminder texts per level and language: checked on save, escaped, previewed, sent, printed."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import NotFound, UserError
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .conftest import TODAY, smtp  # noqa: F401  (smtp: fixture)
from .test_letter import text_of
from .test_runs import body, cli

KO_SUBJECT = "{name}님, 송장 {number} 결제 안내"
KO_BODY = ("{name}님, 안녕하세요.\n\n송장 {number}의 결제 기한({date})이 {days}일 지났습니다. 미결제 금액은 {amount}입니다."
           "\n\n{invoices}\n\n수수료 {fee}, 이자 {interest}.\n{seller} 드림 {{참조}}")


@pytest.fixture(scope="module")
def texted(runtime):
    """A business whose +3 level speaks the merchant's Korean (fee 15 000, 10 % interest), a Korean customer whose
    name would be markup, an English one on the same level (no English text: the catalog's wording)."""
    from addons.dunning.models import Level, Policy
    from addons.dunning.services import texts
    from .conftest import make_books
    b = make_books(runtime)
    with b.tx() as s:
        policy = s.scalar(select(Policy).where(Policy.is_default.is_(True)))
        policy.interest_percent, policy.attach_letter = Decimal(10), True
        level = s.scalar(select(Level).where(Level.policy_id == policy.id, Level.days == 3))
        level.fee = Decimal(15000)
        texts.set_text(s, level.id, "ko", subject=KO_SUBJECT, body=KO_BODY)
        texts.set_text(s, level.id, "vi", subject="Nhắc {name}: hóa đơn {number}")  # subject only
        level_id = level.id
    ko = b.customer(name="<b>김</b> & Co", language="ko", country="KR")
    en = b.customer(name="Plain Co", language="en", country="GB")
    vi = b.customer(name="Lê Văn Tám", language="vi", country="VN")
    numbers = {k: b.invoice(c, "365000", due=TODAY - timedelta(days=4)) for k, c in
               (("ko", ko), ("en", en), ("vi", vi))}
    return b, level_id, {"ko": ko, "en": en, "vi": vi}, numbers


@pytest.mark.parametrize("part, text, message", [
    ("body", "Hello {nme}, pay {amount}", r"body \(en\): unknown placeholder \{nme\}; use one of \{name\}"),
    ("subject", "Invoice {number", r"subject \(en\): a \{ or \} is not closed"),
    ("body", "Pay {amount:>20}", r"body \(en\): write the placeholder \{amount\} alone"),
    ("body", "Hi {name.__class__}", r"unknown placeholder \{name.__class__\}"),
    ("body", "Hi {0}", r"unknown placeholder \{0\}"),
    ("subject", "Due: {invoices}", r"subject \(en\): \{invoices\} belongs in the body"),
    ("subject", "two\nlines", r"subject \(en\): a subject is one line"),
])
def test_a_bad_placeholder_is_refused_naming_it_and_nothing_changes(texted, part, text, message):
    from addons.dunning.models import LevelText
    from addons.dunning.services import texts
    b, level_id, _c, _n = texted
    with pytest.raises(UserError, match=message):
        with b.tx() as s:
            texts.set_text(s, level_id, "en", **{part: text})
    with b.session() as s:
        assert s.scalar(select(func.count(LevelText.id)).where(LevelText.language == "en")) == 0


def test_set_text_refuses_an_unknown_language_or_level_and_empty_texts_remove_the_row(texted):
    from addons.dunning.models import LevelText
    from addons.dunning.services import texts
    b, level_id, _c, _n = texted
    with pytest.raises(UserError, match="language: 'de' is not one of en, ko, vi, zh, ru, es"):
        with b.tx() as s:
            texts.set_text(s, level_id, "de", body="Hallo {name}")
    with pytest.raises(NotFound, match="level: no level #999999"):
        with b.tx() as s:
            texts.set_text(s, 999999, "en", body="Hello {name}")
    with b.tx() as s:
        assert texts.set_text(s, level_id, "es", body="Hola {name}, {{nota}}").body == "Hola {name}, {{nota}}"
        assert texts.set_text(s, level_id, "es", subject="  ", body="") is None
        assert s.scalar(select(func.count(LevelText.id)).where(LevelText.language == "es")) == 0


def test_the_dry_run_screen_previews_the_merchants_text_and_the_default(texted, make_user, client_for):
    b, level_id, c, numbers = texted
    web = client_for(make_user(b.business, permissions=["dunning.reminder.read"]))
    page = web.get(f"/admin/dunning_run/?as_of={TODAY.isoformat()}").get_data(as_text=True)
    assert f"/admin/dunning_run/preview?partner_id={c['ko']}" in page.replace("&amp;", "&")
    preview = web.get(f"/admin/dunning_run/preview?partner_id={c['ko']}&as_of={TODAY.isoformat()}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    subject = re.search(r'id="dunning-preview-subject">([^<]*)<', html).group(1)
    assert subject == f"&lt;b&gt;김&lt;/b&gt; &amp; Co님, 송장 {numbers['ko']} 결제 안내"
    assert "4일 지났습니다" in html and "수수료 ₫15,000, 이자 ₫400" in html and "{참조}" in html
    assert "<b>김</b>" not in html  # the customer's name is text, in the page and in the framed mail
    english = web.get(f"/admin/dunning_run/preview?partner_id={c['en']}&as_of={TODAY.isoformat()}")
    assert "We have not received payment for the invoices below yet" in english.get_data(as_text=True)
    from addons.dunning.models import Reminder
    with b.session() as s:
        assert s.scalar(select(func.count(Reminder.id))) == 0  # a preview writes nothing
    assert web.get(f"/admin/dunning_run/preview?partner_id=abc&as_of={TODAY.isoformat()}").status_code == 302


def test_the_sending_job_sends_the_merchants_text_escaped_in_html_and_the_letter_prints_it(texted, smtp):
    from addons.dunning.models import Reminder
    from addons.dunning.services.letter import letter_pdf
    b, level_id, c, numbers = texted
    data = json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)
    assert data["sent"] == 3
    b.run_jobs()
    mails = {m[2]["Subject"]: m[2] for m in smtp.messages}  # exact: core.mail folds long subjects keeping spaces
    ko = mails[f"<b>김</b> & Co님, 송장 {numbers['ko']} 결제 안내"]
    text = body(ko)
    # 365 000 x 10 % / 365 x 4 days = 400
    assert text.startswith("<b>김</b> & Co님, 안녕하세요.") and "결제 기한" in text and "4일 지났습니다" in text
    assert f"- {numbers['ko']}: ₫365,000" in text and "(연체)" in text and "합계: ₫365,000" in text
    assert "수수료 ₫15,000, 이자 ₫400." in text and "Công ty TNHH Nhắc Nợ 드림 {참조}" in text
    html = ko.get_body(("html",)).get_content()
    assert "&lt;b&gt;김&lt;/b&gt; &amp; Co님" in html and "<b>김</b>" not in html
    assert f"<ul><li>{numbers['ko']}:" in html and "<p><strong>" in html
    assert sorted(p.get_filename() for p in ko.iter_attachments()) == [f"{numbers['ko']}.pdf"]
    vi = mails[f"Nhắc Lê Văn Tám: hóa đơn {numbers['vi']}"]  # own subject, the catalog's body
    assert "Xin chào Lê Văn Tám" in body(vi)
    en = mails["Friendly reminder: invoices from Công ty TNHH Nhắc Nợ"]  # no English text: the catalog's
    assert "Hello Plain Co," in body(en) and "We have not received payment" in body(en)
    with b.session() as s:
        reminder_id = s.scalar(select(Reminder.id).where(Reminder.partner_id == c["ko"]))
        _name, pdf = letter_pdf(s, reminder_id)
    letter = text_of(pdf)
    assert "송장" in letter and numbers["ko"] in letter and "<b>김</b> & Co님" in letter


def test_the_admin_level_form_saves_texts_and_refuses_an_unknown_placeholder(texted, make_user, client_for):
    from addons.dunning.models import LevelText
    b, level_id, _c, _n = texted
    web = client_for(make_user(b.business, permissions=["dunning.policy.read", "dunning.policy.edit"]))
    policies = web.get("/admin/dunning_policy/").get_data(as_text=True)
    link = re.search(r'href="(/admin/dunning_level/\?[^"]+)">Texts per level and language<', policies)
    assert link is not None
    assert "Three days overdue" in web.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    with b.session() as s:
        from addons.dunning.models import Level
        policy_id = s.scalar(select(Level.policy_id).where(Level.id == level_id))
    assert 'name="attach_letter"' in web.get(f"/admin/dunning_policy/edit/?id={policy_id}").get_data(as_text=True)
    listing = web.get("/admin/dunning_level/").get_data(as_text=True)
    assert "ko, vi" in listing and "standard wording" in listing
    form = web.get(f"/admin/dunning_level/edit/?id={level_id}").get_data(as_text=True)
    assert 'name="texts-0-language"' in form and "Placeholders: {name}" in form
    with b.session() as s:
        rows = s.execute(select(LevelText.id, LevelText.language, LevelText.subject, LevelText.body)
                         .where(LevelText.level_id == level_id).order_by(LevelText.language)).all()
    data = {"name": "Three days overdue"}
    for i, (row_id, language, subject, text) in enumerate(rows):
        data.update({f"texts-{i}-id": str(row_id), f"texts-{i}-language": language,
                     f"texts-{i}-subject": subject or "", f"texts-{i}-body": text or ""})
    n = len(rows)
    bad = dict(data, **{f"texts-{n}-language": "ru", f"texts-{n}-subject": "Счёт {numbr}",
                        f"texts-{n}-body": "Здравствуйте, {name}"})
    page = web.post(f"/admin/dunning_level/edit/?id={level_id}", bad, follow_redirects=True).get_data(as_text=True)
    assert "subject (ru): unknown placeholder {numbr}" in page
    with b.session() as s:
        assert s.scalar(select(func.count(LevelText.id)).where(LevelText.language == "ru")) == 0
    good = dict(data, **{f"texts-{n}-language": "ru", f"texts-{n}-subject": "Счёт {number}",
                         f"texts-{n}-body": "Здравствуйте, {name}! Сумма: {amount}."})
    web.post(f"/admin/dunning_level/edit/?id={level_id}", good, follow_redirects=True)
    with b.session() as s:
        assert s.execute(select(LevelText.subject, LevelText.body).where(LevelText.language == "ru")).one() == (
            "Счёт {number}", "Здравствуйте, {name}! Сумма: {amount}.")
    reader = client_for(make_user(b.business, permissions=["dunning.reminder.read"]))
    assert reader.get(f"/admin/dunning_level/edit/?id={level_id}").status_code == 403


def test_the_preview_page_pauses_a_customer_and_marks_an_invoice_disputed(texted, make_user, client_for):
    from datetime import date as _date
    from addons.dunning.models import Account
    b, _level_id, _c, _n = texted
    promising = b.customer(name="Promising Co", language="en", country="GB")
    b.invoice(promising, "80000", due=TODAY - timedelta(days=4))
    arguing = b.customer(name="Arguing Co", language="en", country="GB")
    first = b.invoice(arguing, "70000", due=TODAY - timedelta(days=4))
    web = client_for(make_user(b.business, permissions=["dunning.reminder.read", "dunning.account.edit",
                                                         "dunning.receivable.edit"]))
    page = web.get(f"/admin/dunning_run/preview?partner_id={arguing}&as_of={TODAY.isoformat()}")
    assert f'<option value="{first}">' in page.get_data(as_text=True) and 'id="dunning-pause"' in page.get_data(
        as_text=True)
    until = _date.today() + timedelta(days=10)
    refused = web.post("/admin/dunning_run/pause", {"partner_id": str(promising), "until": "soon",
                                                    "as_of": TODAY.isoformat()}, follow_redirects=True)
    assert "until: &#39;soon&#39; is not a date" in refused.get_data(as_text=True)
    web.post("/admin/dunning_run/pause", {"partner_id": str(promising), "until": until.isoformat(), "amount": "80000",
                                         "as_of": TODAY.isoformat()})
    with b.session() as s:
        account = s.scalar(select(Account).where(Account.partner_id == promising))
        assert (account.paused_until, account.promise_amount) == (until, Decimal(80000))
    web.post("/admin/dunning_run/dispute", {"invoice": first, "note": "wrong quantity", "as_of": TODAY.isoformat()})
    assert b.receivable(first).disputed and b.receivable(first).dispute_note == "wrong quantity"
    data = json.loads(cli(b, "run", "--dry-run", "--as-of", TODAY.isoformat(), "--json").output)
    assert {(s["customer"], s["reason"]) for s in data["skipped"]} >= {("Promising Co", "paused"),
                                                                       ("Arguing Co", "disputed")}
    reader = client_for(make_user(b.business, permissions=["dunning.reminder.read", "dunning.reminder.send"]))
    assert reader.post("/admin/dunning_run/pause", {"partner_id": str(arguing), "until": until.isoformat()}
                       ).status_code == 403
    assert reader.post("/admin/dunning_run/dispute", {"invoice": first}).status_code == 403
