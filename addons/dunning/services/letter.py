"""The printable reminder letter (policy setting ``attach_letter``): a PDF per reminder.

Rendered with core.pdf (the renderer of einvoice's PDFs: PDF/A-3b, the fonts of
every language, no network) from ``templates/dunning/pdf/letter.html``. The PDF
template has no translation functions, so every sentence is translated here, in
the customer's language, reusing the reminder mail's own sentences: the letter
and the mail say the same thing. A level with the merchant's own text in that
language (``services.texts``) prints that text (escaped) instead of the greeting,
the table, the notes and the closing, as the mail does; its subject is the title.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _, in_language
from core.pdf import font_stack, render_pdf

from addons.einvoice.models import Document
from addons.partners.models import Partner

from ..models import Level, Policy, Receivable, Reminder
from ..wording import day_in
from . import context, sending

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def letter_enabled(session, reminder: Reminder) -> bool:
    """Whether the reminder's policy prints letters (the level's policy; a deleted level: the default)."""
    policy_id = session.scalar(select(Level.policy_id).where(Level.id == reminder.level_id)) \
        if reminder.level_id else None
    query = select(Policy.attach_letter)
    query = query.where(Policy.id == policy_id) if policy_id else query.where(Policy.is_default.is_(True))
    return bool(session.scalar(query))


def _intro(c: dict) -> str:
    """The mail's opening sentence for the level (the same msgids as templates/dunning/mail/reminder.*)."""
    first = c["first"]
    if c["before_due"] and c["count"] == 1:
        return _("A quick reminder that invoice %(number)s for %(amount)s is due on %(date)s.",
                 number=first["number"], amount=first["amount"], date=first["due_date"])
    if c["before_due"]:
        return _("A quick reminder that these invoices are due soon:")
    if c["on_due"] and c["count"] == 1:
        return _("Just a reminder that invoice %(number)s for %(amount)s is due today.", number=first["number"],
                 amount=first["amount"])
    if c["final"]:
        return _("This is our final reminder about the invoices below, which are still unpaid well past their due "
                 "date. If we do not receive payment within seven days, we will have to hand the matter to our "
                 "collections agency, which we would much rather avoid.")
    if c["tone"] == "firm":
        return _("Our records show that the invoices below are still unpaid, although they are past their due date. "
                 "Please arrange payment within the next seven days, or let us know if something is wrong with them.")
    return _("We have not received payment for the invoices below yet. Perhaps it slipped through; it happens to "
             "all of us.")


def letter_pdf(session, reminder_id: int) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the reminder's letter; refused when its policy prints no letters."""
    reminder = sending.get_reminder(session, reminder_id)
    if not letter_enabled(session, reminder):
        raise UserError(_("reminder: its policy prints no letters (turn on the policy's letter setting)"))
    partner = session.get(Partner, reminder.partner_id)
    ids = [i["receivable_id"] for i in reminder.invoices]
    recs = {r.id: r for r in session.scalars(select(Receivable).where(Receivable.id.in_(ids)))}
    docs = {d.id: d for d in session.scalars(select(Document).where(
        Document.id.in_([r.document_id for r in recs.values()])))}
    business = context.business_of(session)
    lang = reminder.language
    with in_language(lang):
        c = sending.mail_context(session, reminder, partner, recs, docs)
        notes = [_("If you pay invoice %(number)s by %(date)s, you may deduct the %(percent)s early-payment discount "
                   "(%(amount)s).", number=d["number"], date=d["until"], percent=d["percent"], amount=d["amount"])
                 for d in c["discounts"]]
        if c["interest"]:
            notes.append(_("Late-payment interest of %(interest)s has accrued so far; it is charged only when the "
                           "invoices are paid.", interest=c["interest"]))
        notes.append(_("If you have already paid, thank you, and please disregard this letter."))
        ctx = {**c, "language": lang, "fonts": font_stack(lang), "date": day_in(reminder.as_of, lang),
               "title": _("Payment reminder"), "greeting": _("Hello %(name)s,", name=partner.name),
               "intro": _intro(c), "notes": notes, "closing": _("Kind regards,"),
               "labels": {"invoice": _("Invoice"), "due_date": _("Due date"), "days_overdue": _("Days overdue"),
                          "amount": _("Amount"), "fee": _("Reminder fee"), "interest": _("Late-payment interest"),
                          "total": _("Total")},
               "seller_lines": [x for x in (business.legal_name or business.name, business.email) if x],
               "customer_lines": [x for x in (partner.name, partner.street, " ".join(
                   filter(None, (partner.postal_code, partner.city))), partner.country) if x]}
        if c["custom_subject"]:  # the merchant's own text for the level (services.texts), as in the mail
            ctx["title"] = c["custom_subject"]
    pdf = render_pdf("dunning/pdf/letter.html", ctx, search_paths=[TEMPLATES],
                     title=f"{ctx['title']} {reminder.as_of.isoformat()}", author=ctx["seller"])
    return f"reminder-{reminder.id}-{reminder.as_of.isoformat()}.pdf", pdf
