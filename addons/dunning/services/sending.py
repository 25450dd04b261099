"""Sending one reminder: the last look (``recheck`` below), the mail with the invoices' PDFs, the bookkeeping.

The mail goes through core.mail's outbox in the customer's language; its words
are the merchant's own text for the level and language if there is one
(``texts``), else the addon's catalog (templates ``dunning/mail/reminder``), so
every level's tone reads naturally in the six languages. Sending moves each listed invoice to
its level and, after the policy's last level, the customer to collections.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow
from core.errors import NotFound
from core.i18n import in_language
from core.mail import queue_mail, render
from core.money import quantize

from addons.einvoice.models import Document
from addons.einvoice.services import documents
from addons.partners.models import Partner

from ..models import ReceivedPayment, Receivable, Reminder, Statement, StatementLine
from ..wording import day_in, locale_of, money_in
from . import context, policies as policy_service, runs, texts

TEMPLATE = "dunning/mail/reminder"


def deliver(session, reminder: Reminder) -> str:
    """Send it, or record why not; returns the reminder's new state ("sent" or "skipped")."""
    reason = recheck(session, reminder)
    partner = session.get(Partner, reminder.partner_id)
    if reason is None and not (partner.email or "").strip():
        reason = "no_email"
    if reason is not None:
        reminder.state, reminder.skip_reason = "skipped", reason
        session.flush()
        return reminder.state
    conf = context.settings(session)
    ids = [i["receivable_id"] for i in reminder.invoices]
    recs = {r.id: r for r in session.scalars(select(Receivable).where(Receivable.id.in_(ids)))}
    docs = {d.id: d for d in session.scalars(select(Document).where(
        Document.id.in_([r.document_id for r in recs.values()])))}
    attachments = []
    if conf["attach_invoices"]:
        for rec in recs.values():
            doc = docs[rec.document_id]
            attachments.append((f"{doc.display_number.replace('/', '_')}.pdf", "application/pdf",
                                documents.ensure_pdf(session, doc)))
    mail = queue_mail(session, partner.email.strip(), TEMPLATE, mail_context(session, reminder, partner, recs, docs),
                      reminder.language, attachments=attachments, reply_to=conf["reply_to"] or None,
                      reference=f"dunning:reminder:{reminder.id}")
    for item in reminder.invoices:
        rec = recs[item["receivable_id"]]
        rec.level = max(rec.level, item["level"]) if rec.reminded else item["level"]
        rec.reminded, rec.reminders, rec.last_reminded_on = True, rec.reminders + 1, reminder.as_of
    if reminder.final:
        policy_service.account_for(session, reminder.partner_id).collections_since = reminder.as_of
    reminder.state, reminder.mail_id, reminder.sent_at, reminder.to = "sent", mail.id, utcnow(), partner.email
    session.flush()
    return reminder.state


def mail_context(session, reminder: Reminder, partner: Partner, recs: dict, docs: dict) -> dict:
    """What the templates print: amounts and dates written in the customer's language."""
    lang = reminder.language
    business = context.business_of(session)
    invoices, discounts = [], []
    for item in reminder.invoices:
        rec = recs[item["receivable_id"]]
        doc = docs[rec.document_id]
        days = item["days"]
        invoices.append({"number": rec.number, "amount": money_in(rec.open_amount, rec.currency, lang),
                         "due_date": day_in(rec.due_date, lang), "days_overdue": max(days, 0),
                         "days_left": max(-days, 0)})
        if days < 0 and doc.early_discount_percent and doc.early_discount_days:
            until = doc.issue_date + timedelta(days=doc.early_discount_days)
            if until >= reminder.as_of:
                discounts.append({"number": rec.number, "until": day_in(until, lang),
                                  "percent": f"{doc.early_discount_percent.normalize():f} %",
                                  "amount": money_in(_discount(rec, doc), rec.currency, lang)})
    first = invoices[0] if invoices else {"number": "", "amount": "", "due_date": "", "days_left": 0,
                                          "days_overdue": 0}
    c = {"name": partner.name, "tone": reminder.tone, "final": reminder.final,
            "before_due": reminder.level_days < 0, "on_due": reminder.level_days == 0,
            "invoices": invoices, "count": len(invoices), "first": first,
            "total": money_in(reminder.amount, reminder.currency, lang),
            "fee": money_in(reminder.fee, reminder.currency, lang) if reminder.fee else "",
            "interest": money_in(reminder.interest, reminder.currency, lang) if reminder.interest else "",
            "fee_amount": money_in(reminder.fee, reminder.currency, lang),
            "interest_amount": money_in(reminder.interest, reminder.currency, lang),
            "discounts": discounts, "seller": business.legal_name or business.name,
            "seller_email": business.email or "", "locale": locale_of(lang)}
    with in_language(lang):  # the merchant's text for the level, if any (else the catalog's wording)
        c.update(texts.custom(session, reminder.level_id, lang, c))
    return c


def preview(session, partner_id: int, as_of: date | None = None) -> dict | None:
    """The message the customer would get from a run on ``as_of``: {"customer", "to", "language", "level",
    "invoices", "subject", "text", "html"} rendered exactly as the sending job renders it (the merchant's text for the
    level and language, else the catalog's); None when the run would not remind them. Writes nothing."""
    result = runs.plan(session, as_of, detail=True, partner_id=partner_id)
    if not result.reminders:
        return None
    c = result.reminders[0]
    reminder = runs.reminder_of(c, result.as_of)  # transient: never added to the session
    recs = {r.id: r for r in session.scalars(select(Receivable).where(
        Receivable.id.in_([i["receivable_id"] for i in c.invoices])))}
    docs = {d.id: d for d in session.scalars(select(Document).where(
        Document.id.in_([r.document_id for r in recs.values()])))}
    partner = session.get(Partner, partner_id)
    subject, text, html = render(context.runtime_of(session).registry, TEMPLATE,
                                 mail_context(session, reminder, partner, recs, docs), c.language)
    return {"customer": c.customer, "to": c.email, "language": c.language, "level": c.level_name,
            "invoices": [i["number"] for i in c.invoices], "subject": subject, "text": text, "html": html}


def _discount(rec: Receivable, doc: Document) -> Decimal:
    return quantize(doc.total * doc.early_discount_percent / Decimal(100), rec.currency)


# ---------------------------------------------------------------- the sending job's recheck

def get_reminder(session, reminder_id: int) -> Reminder:
    reminder = session.scalar(select(Reminder).where(Reminder.id == reminder_id))
    if reminder is None:
        raise NotFound(f"no reminder #{reminder_id} in this business")
    return reminder


def recheck(session, reminder: Reminder) -> str | None:
    """Why the reminder must not go out now (a code of SKIP_REASONS), or None: nothing changed since the run."""
    account = policy_service.account_for(session, reminder.partner_id, create=False)
    if account is not None and account.do_not_remind:
        return "do_not_remind"
    if account is not None and account.collections_since is not None:
        return "collections"
    if policy_service.paused(account, max(reminder.as_of, context.today(session))):
        return "paused"
    ids = [i["receivable_id"] for i in reminder.invoices]
    recs = {r.id: r for r in session.scalars(select(Receivable).where(Receivable.id.in_(ids)))}
    for item in reminder.invoices:
        rec = recs.get(item["receivable_id"])
        if rec is None or rec.state != "open":
            return "paid_since_run"
        if rec.disputed:
            return "disputed"
        if rec.changed_at > reminder.created_at or rec.open_amount != Decimal(item["open"]):
            return "payment_since_run"
    money_since = session.scalar(select(ReceivedPayment.id).where(ReceivedPayment.partner_id == reminder.partner_id,
                                                          ReceivedPayment.created_at > reminder.created_at).limit(1))
    if money_since is not None:
        return "payment_since_run"
    # A statement line from the customer not matched to an invoice (an unexpected amount): a person should
    # look before the customer is reminded.
    line_since = session.scalar(select(StatementLine.id).join(Statement, Statement.id == StatementLine.statement_id)
                                .where(StatementLine.partner_id == reminder.partner_id,
                                       Statement.created_at > reminder.created_at).limit(1))
    if line_since is not None:
        return "payment_since_run"
    return None
