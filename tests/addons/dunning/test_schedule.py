"""The rules left untested before: the reminder cap, the business's own day, the confirmation over SMTP,
and the daily run fired by the scheduler itself."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from .conftest import TODAY, make_books, smtp  # noqa: F401  (smtp: fixture)
from .test_runs import body, cli


def test_an_invoice_gets_at_most_max_reminders(fresh_books, smtp):
    from addons.dunning.models import Policy
    b = fresh_books
    with b.tx() as s:
        s.scalar(select(Policy).where(Policy.is_default.is_(True))).max_reminders = 2
    customer = b.customer(language="en", country="GB")
    number = b.invoice(customer, "120000", due=TODAY)
    for day in (TODAY - timedelta(days=7), TODAY):  # the levels -7 and 0: two reminders sent
        data = json.loads(cli(b, "run", "--as-of", day.isoformat(), "--json").output)
        assert [r["invoices"] for r in data["reminders"]] == [[number]]
        b.run_jobs("dunning.")
    assert b.receivable(number).reminders == 2
    later = json.loads(cli(b, "run", "--as-of", (TODAY + timedelta(days=3)).isoformat(), "--json").output)
    assert later["reminders"] == [] and later["sent"] == 0  # level +3 is due, but the cap is reached
    assert b.receivable(number).reminders == 2


class _Clock(datetime):
    """datetime whose now() is 2026-11-02 17:30 UTC: already 00:30 on the 3rd in Ho Chi Minh City."""
    @classmethod
    def now(cls, tz=None):
        moment = datetime(2026, 11, 2, 17, 30, tzinfo=timezone.utc)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


def test_the_run_s_day_is_the_business_s_day_just_after_midnight(runtime, monkeypatch):
    from addons.dunning.models import Reminder
    from addons.dunning.services import context, runs
    from core.business import Business
    monkeypatch.setattr(context, "datetime", _Clock)
    hanoi = make_books(runtime)                       # Asia/Ho_Chi_Minh
    london = make_books(runtime)
    with runtime.transaction(all_businesses=True) as s:
        s.get(Business, london.id).timezone = "UTC"
    for books in (hanoi, london):
        books.invoice(books.customer(language="en", country="GB"), "90000", due=date(2026, 10, 1))
        with books.tx() as s:
            assert runs.run(s)["sent"] == 1            # no as_of: today, in the business's zone
    with hanoi.session() as s:
        assert context.today(s) == date(2026, 11, 3) and s.scalar(select(Reminder.as_of)) == date(2026, 11, 3)
    with london.session() as s:
        assert context.today(s) == date(2026, 11, 2) and s.scalar(select(Reminder.as_of)) == date(2026, 11, 2)


def test_the_payment_confirmation_arrives_over_smtp(fresh_books, smtp):
    from addons.dunning.services import receivables
    b = fresh_books
    customer = b.customer(name="Prompt Payer", language="en", country="GB")
    number = b.invoice(customer, "64000", due=TODAY + timedelta(days=5))
    with b.tx() as s:
        receivables.pay_invoice(s, number, "64000", paid_on=TODAY)
    before = len(smtp.messages)
    b.run_jobs()
    arrived = [m for m in smtp.messages[before:] if number in m[2]["Subject"]]
    assert len(arrived) == 1
    mail_from, rcpt, message = arrived[0]
    assert message["Subject"] == f"Thank you: invoice {number} is paid"
    from addons.partners.models import Partner
    with b.session() as s:
        assert rcpt == [s.get(Partner, customer).email]
    assert "Prompt Payer" in body(message) and "64,000" in body(message)


def test_the_scheduler_fires_the_daily_run(fresh_books):
    from addons.dunning.models import Reminder
    from addons.dunning.services import context
    from core.db import utcnow
    from core.scheduler import tick
    b = fresh_books
    b.settings(working_days="mon,tue,wed,thu,fri,sat,sun")
    b.invoice(b.customer(language="en", country="GB"), "90000", due=TODAY - timedelta(days=400))
    later = utcnow() + timedelta(days=1)  # the next 09:00 in the business's zone after it enabled the addon
    fired = [f for f in tick(b.runtime, now=later) if f.business_id == b.id and f.addon == "dunning"]
    assert [(f.addon, f.schedule, f.job) for f in fired] == [("dunning", "daily_run", "dunning.daily_run")]
    assert fired[0].job_id is not None
    assert fired[0].tick.astimezone(timezone(timedelta(hours=7))).hour == 9  # 09:00 in Ho Chi Minh City
    assert [f for f in tick(b.runtime, now=later) if f.business_id == b.id and f.addon == "dunning"] == []  # once
    ran = b.run_jobs("dunning.daily_run")
    assert ran == [("dunning.daily_run", ran[0][1])]
    with b.session() as s:
        assert s.scalar(select(func.count(Reminder.id))) == 1
        assert s.scalar(select(Reminder.as_of)) == context.today(s)


def test_the_confirmation_speaks_the_customers_language_and_the_setting_turns_it_off(fresh_books, smtp):
    from addons.dunning.services import receivables
    b = fresh_books
    customer = b.customer(name="Phạm Thị Lan", language="vi", country="VN")
    number = b.invoice(customer, "64000", due=TODAY + timedelta(days=5))
    with b.tx() as s:
        receivables.pay_invoice(s, number, "64000", paid_on=TODAY)
    before = len(smtp.messages)
    b.run_jobs()
    arrived = [m[2] for m in smtp.messages[before:] if number in m[2]["Subject"]]
    assert len(arrived) == 1
    assert " ".join(arrived[0]["Subject"].split()) == f"Cảm ơn quý khách: hóa đơn {number} đã được thanh toán"
    assert "Xin chào Phạm Thị Lan" in body(arrived[0]) and "64.000" in body(arrived[0])
    b.settings(payment_confirmation=False)
    quiet = b.invoice(customer, "32000", due=TODAY + timedelta(days=5))
    with b.tx() as s:
        receivables.pay_invoice(s, quiet, "32000", paid_on=TODAY)
    before = len(smtp.messages)
    b.run_jobs()
    assert b.receivable(quiet).state == "paid"
    assert not [m for m in smtp.messages[before:] if quiet in m[2]["Subject"]]


def test_a_promise_to_pay_pauses_until_its_day_and_not_after(fresh_books):
    from addons.dunning.services import policies
    b = fresh_books
    customer = b.customer(name="Will Pay Ltd", language="en", country="GB")
    number = b.invoice(customer, "90000", due=TODAY - timedelta(days=3))
    with b.tx() as s:  # what `dunning pause` writes (it refuses a day before the real today, the fixture's is past)
        account = policies.account_for(s, customer)
        account.paused_until, account.promise_amount = TODAY + timedelta(days=2), Decimal(90000)
    for day, reminded in ((TODAY, False), (TODAY + timedelta(days=2), False), (TODAY + timedelta(days=3), True)):
        data = json.loads(cli(b, "run", "--dry-run", "--as-of", day.isoformat(), "--json").output)
        assert bool(data["reminders"]) is reminded, day
        if not reminded:
            assert data["skipped"] == [{"customer": "Will Pay Ltd", "reason": "paused"}]
    assert data["reminders"][0]["invoices"] == [number]
