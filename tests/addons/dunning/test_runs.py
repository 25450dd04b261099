"""The dunning run: one message per customer, never twice, never after a payment; real SMTP on loopback."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from .conftest import TODAY, smtp  # noqa: F401  (smtp: fixture)


def cli(books, *args):
    from core.cli_main import cli as main
    result = CliRunner().invoke(main, ["--database-url", books.runtime.db.url, "dunning", *args,
                                       "--business", books.business.slug], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Out(result.stdout)


class Out:
    """What the command printed on stdout (the progress bar goes to stderr)."""
    def __init__(self, text):
        self.output = text


def reminders(books):
    from addons.dunning.models import Reminder
    with books.session() as s:
        return list(s.execute(select(Reminder.partner_id, Reminder.state, Reminder.skip_reason, Reminder.level_days)
                              .order_by(Reminder.id)).all())


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def scene(fresh_books):
    """Six customers, each a rule: reminded, paused, disputed, do-not-remind, below the minimum, no e-mail."""
    from addons.dunning.models import Policy
    from addons.dunning.services import policies, receivables
    b = fresh_books
    c = {k: b.customer(name=f"{k.title()} Co", language="en", country="GB") for k in
         ("due", "paused", "disputed", "dnr", "small")}
    c["noemail"] = b.customer(name="Noemail Co", email=None, language="en", country="GB")
    numbers = {k: b.invoice(c[k], "200000", due=TODAY - timedelta(days=3)) for k in c if k != "small"}
    numbers["small"] = b.invoice(c["small"], "10000", due=TODAY - timedelta(days=3))
    numbers["second"] = b.invoice(c["due"], "50000", due=TODAY - timedelta(days=1))
    with b.tx() as s:
        s.scalar(select(Policy).where(Policy.is_default.is_(True))).min_balance = Decimal(20000)
        policies.pause(s, str(c["paused"]), TODAY + timedelta(days=400))
        receivables.set_dispute(s, numbers["disputed"], True)
        policies.set_do_not_remind(s, str(c["dnr"]), True)
    return b, c, numbers


def test_dry_run_json_contract_and_every_skip_reason(scene):
    b, c, numbers = scene
    data = json.loads(cli(b, "run", "--dry-run", "--as-of", TODAY.isoformat(), "--json").output)
    assert set(data) == {"reminders", "skipped", "sent"} and data["sent"] == 0
    assert data["reminders"] == [{"customer": "Due Co", "level": 3, "invoices": [numbers["due"], numbers["second"]],
                                  "amount": "250000"}]
    assert {(s["customer"], s["reason"]) for s in data["skipped"]} == {
        ("Paused Co", "paused"), ("Disputed Co", "disputed"), ("Dnr Co", "do_not_remind"),
        ("Small Co", "below_minimum"), ("Noemail Co", "no_email")}
    assert reminders(b) == []  # a dry run writes nothing
    text = cli(b, "run", "--dry-run", "--as-of", TODAY.isoformat())
    assert "level 3" in text.output and "Due Co" in text.output and "skipped Paused Co: paused" in text.output


def test_run_sends_one_mail_with_the_pdfs_and_never_twice(scene, smtp):
    b, c, numbers = scene
    data = json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)
    assert data["sent"] == 1 and [r["customer"] for r in data["reminders"]] == ["Due Co"]
    again = json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)
    assert again["sent"] == 0 and again["reminders"] == []
    assert ("Due Co", "already_reminded") in {(s["customer"], s["reason"]) for s in again["skipped"]}
    b.run_jobs()
    assert len(smtp.messages) == 1
    _sender, rcpts, message = smtp.messages[0]
    assert rcpts[0].startswith("c") and "Hello Due Co," in body(message)
    assert numbers["due"] in body(message) and numbers["second"] in body(message)
    names = sorted(part.get_filename() for part in message.iter_attachments())
    assert names == sorted([f"{numbers['due']}.pdf", f"{numbers['second']}.pdf"])
    assert reminders(b) == [(c["due"], "sent", None, 3)]
    rec = b.receivable(numbers["due"])
    assert (rec.reminders, rec.level, rec.last_reminded_on) == (1, 3, TODAY)
    # The next day nothing new is due (the invoices are at their level): nobody is reminded again.
    tomorrow = json.loads(cli(b, "run", "--as-of", (TODAY + timedelta(days=1)).isoformat(), "--json").output)
    assert tomorrow["reminders"] == [] and tomorrow["sent"] == 0


def test_two_runs_at_once_write_one_reminder(fresh_books):
    from addons.dunning.services import runs
    b = fresh_books
    customer = b.customer(language="en", country="GB")
    b.invoice(customer, "90000", due=TODAY - timedelta(days=3))
    from addons.dunning.models import Run
    with b.session() as first:  # this scheduler planned before the other one wrote
        plan = runs.plan(first, TODAY)
    with b.tx() as second:  # the other scheduler commits first
        assert runs.run(second, TODAY)["sent"] == 1
    with b.tx() as first:
        batch = Run(as_of=TODAY)
        first.add(batch)
        first.flush()
        assert runs._write(first, batch, plan.reminders[0]) is False
    assert [r[1] for r in reminders(b)] == ["queued"]


@pytest.mark.parametrize("change, reason", [("payment", "payment_since_run"), ("dispute", "disputed"),
                                            ("pause", "paused"), ("statement", "payment_since_run")])
def test_a_change_between_the_run_and_the_send_stops_the_mail(fresh_books, smtp, change, reason):
    from addons.dunning.services import policies, receivables, statements
    b = fresh_books
    customer = b.customer(name="Late Payer Ltd", language="en", country="GB")
    number = b.invoice(customer, "120000", due=TODAY - timedelta(days=3))
    from addons.dunning.services import runs
    with b.tx() as s:  # the run commits; its sending job waits in the outbox
        assert runs.run(s, TODAY)["sent"] == 1
    with b.tx() as s:  # committed after the run, before its sending job
        if change == "payment":
            receivables.pay_invoice(s, number, "1000", paid_on=TODAY)
        elif change == "dispute":
            receivables.set_dispute(s, number, True)
        elif change == "pause":
            policies.pause(s, str(customer), TODAY + timedelta(days=400))
        else:
            statements.import_statement(s, f"date,amount,currency,reference,counterparty\n{TODAY},500,VND,"
                                           f"transfer,Late Payer Ltd\n".encode(), fmt="csv")
    b.run_jobs("dunning.")
    assert [(r[1], r[2]) for r in reminders(b)] == [("skipped", reason)]
    assert not any("Late Payer" in body(m[2]) for m in smtp.messages)


def test_not_a_working_day_sends_nothing(fresh_books):
    b = fresh_books
    customer = b.customer(language="en", country="GB")
    b.invoice(customer, "90000", due=TODAY - timedelta(days=10))
    sunday = TODAY - timedelta(days=1)
    data = json.loads(cli(b, "run", "--as-of", sunday.isoformat(), "--json").output)
    assert data["reminders"] == [] and data["sent"] == 0
    assert [s["reason"] for s in data["skipped"]] == ["not_working_day"]
    b.settings(working_days="mon,tue,wed,thu,fri,sat,sun", holidays=TODAY.isoformat())
    assert json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)["skipped"][0]["reason"] == \
        "not_working_day"
    assert json.loads(cli(b, "run", "--dry-run", "--as-of", sunday.isoformat(), "--json").output)["reminders"]


def test_final_notice_moves_the_customer_to_collections_with_fee_and_interest(fresh_books, smtp):
    from addons.dunning.models import Account, Level, Policy, Reminder
    from addons.dunning.services.collections import collections_rows
    b = fresh_books
    with b.tx() as s:
        policy = s.scalar(select(Policy).where(Policy.is_default.is_(True)))
        policy.interest_percent = Decimal(12)
        s.scalar(select(Level).where(Level.policy_id == policy.id, Level.days == 30)).fee = Decimal(50000)
    customer = b.customer(name="Gone Quiet Ltd", language="en", country="GB")
    number = b.invoice(customer, "365000", due=TODAY - timedelta(days=40))
    data = json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)
    assert data["reminders"][0]["level"] == 5 and data["sent"] == 1
    with b.session() as s:
        reminder = s.scalar(select(Reminder))
        # 365000 x 12 % / 365 x 40 days = 4800
        assert (reminder.fee, reminder.interest, reminder.final) == (Decimal(50000), Decimal(4800), True)
    b.run_jobs()
    text = body(smtp.messages[-1][2])
    assert "final reminder" in text and "50,000" in text and "4,800" in text
    with b.session() as s:
        assert s.scalar(select(Account.collections_since).where(Account.partner_id == customer)) == TODAY
        rows = collections_rows(s)
    assert [(r["customer"], r["invoice"], r["open_amount"]) for r in rows] == [("Gone Quiet Ltd", number, "365000")]
    later = json.loads(cli(b, "run", "--as-of", (TODAY + timedelta(days=7)).isoformat(), "--json").output)
    assert later["reminders"] == []
    export = cli(b, "collections")
    assert export.output.splitlines()[0].startswith("customer_code,customer") and number in export.output


def test_pre_due_reminder_mentions_the_early_payment_discount_in_the_customers_language(fresh_books, smtp):
    b = fresh_books
    customer = b.customer(name="Nguyễn Thị Hoa", language="vi", country="VN")
    number = b.invoice(customer, "500000", due=TODAY + timedelta(days=7), issued=TODAY - timedelta(days=23),
                       early_discount_percent="2", early_discount_days=25)
    data = json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)
    assert data["reminders"] == [{"customer": "Nguyễn Thị Hoa", "level": 1, "invoices": [number],
                                  "amount": "500000"}]
    b.run_jobs()
    message = smtp.messages[-1][2]
    text = body(message)
    assert "Xin chào Nguyễn Thị Hoa" in text and "2 %" in text and "10.000" in text  # 2 % of 500 000 ₫
    assert number in message["Subject"]


def test_daily_schedule_runs_today(fresh_books):
    from core.jobs import JobContext
    b = fresh_books
    customer = b.customer(language="en", country="GB")
    b.invoice(customer, "90000", due=TODAY - timedelta(days=400))
    job = b.runtime.registry.jobs["dunning.daily_run"][1]
    sent = job(JobContext(runtime=b.runtime, business_id=b.id, job_id=0))
    from addons.dunning.models import Reminder
    with b.session() as s:
        assert s.scalar(select(func.count(Reminder.id))) == sent


def test_the_dry_runs_summary_agrees_with_the_invoice_rows(scene):
    from addons.dunning.services import runs
    b, c, numbers = scene
    with b.session() as s:
        for day in (TODAY, TODAY + timedelta(days=30), TODAY - timedelta(days=2)):
            fast, rows = runs.plan(s, day, detail=False), runs.plan(s, day, detail=True)
            assert [(x.partner_id, x.level_id, x.amount, x.numbers) for x in fast.reminders] \
                == [(x.partner_id, x.level_id, x.amount, [i["number"] for i in x.invoices]) for x in rows.reminders]
            assert fast.skipped == rows.skipped
            assert bool(fast.reminders) == (day.weekday() < 5)  # TODAY - 2 is a Saturday: nobody is reminded
