"""The merchant's own reminder texts: a subject and a body per level and language, with placeholders.

A level may carry, per language (en ko vi zh ru es), a subject and a body
written by the merchant; a language (or a part) left empty uses the catalog's
wording of the level's tone (``templates/dunning/mail/reminder.*``). The
texts are plain text with placeholders in braces, ``{name}``; ``{{`` and
``}}`` write a brace. The placeholders are checked when a text is saved: an
unknown one (or a format such as ``{amount:>10}``, an attribute, an index) is
refused, naming it. Values are filled in the customer's language (amounts and
dates through the one formatter) and, in the HTML mail and the letter, escaped:
a text is never markup.

The mail (``sending.deliver``), the dry run's preview (``runs.preview``) and
the letter (``letter.letter_pdf``) all render the same text through ``render``.
"""
from __future__ import annotations

from string import Formatter

from markupsafe import Markup, escape
from sqlalchemy import select

from core.errors import NotFound, UserError
from core.i18n import LANGUAGES, _

from ..models import Level, LevelText

# placeholder -> what it is (shown in the form's help and the README)
PLACEHOLDERS = ("name", "number", "amount", "date", "days", "invoices", "fee", "interest", "discount", "seller")
BODY_ONLY = ("invoices",)
SUBJECT_MAX = 200
BODY_MAX = 5000


def placeholder_help() -> str:
    return _("Placeholders: %(list)s. {number}: the invoice numbers; {amount}: what is open; {date}: the earliest "
             "due date; {days}: days until it (before the due date) or overdue; {invoices}: the list with the "
             "total (body only); {discount}: the early-payment discount sentence, if any. Write {{ and }} for a "
             "brace. Leave empty to use the standard wording.",
             list=", ".join("{%s}" % p for p in PLACEHOLDERS))


def _field(part: str, language: str) -> str:
    return f"{part} ({language})"


def check(text: str | None, part: str, language: str) -> str | None:
    """The text cleaned (None when empty), or a UserError naming the field and the placeholder at fault."""
    where = _field(part, language)
    if text is None or not str(text).strip():
        return None
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in text or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise UserError(_("%(field)s: contains a control character", field=where))
    if part == "subject":
        if "\n" in text:
            raise UserError(_("%(field)s: a subject is one line", field=where))
        if len(text) > SUBJECT_MAX:
            raise UserError(_("%(field)s: longer than %(n)s characters", field=where, n=SUBJECT_MAX))
    elif len(text) > BODY_MAX:
        raise UserError(_("%(field)s: longer than %(n)s characters", field=where, n=BODY_MAX))
    for name, spec, conversion in _fields(text, where):
        if name not in PLACEHOLDERS:
            raise UserError(_("%(field)s: unknown placeholder {%(name)s}; use one of %(list)s", field=where,
                              name=name, list=", ".join("{%s}" % p for p in PLACEHOLDERS)))
        if spec or conversion:
            raise UserError(_("%(field)s: write the placeholder {%(name)s} alone, without a format", field=where,
                              name=name))
        if part == "subject" and name in BODY_ONLY:
            raise UserError(_("%(field)s: {%(name)s} belongs in the body, not the subject", field=where, name=name))
    return text


def _fields(text: str, where: str):
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise UserError(_("%(field)s: a { or } is not closed; write {{ or }} for a brace", field=where)) from None
    return [(name, spec, conversion) for _lit, name, spec, conversion in parsed if name is not None]


def set_text(session, level_id: int, language: str, *, subject: str | None = None,
             body: str | None = None) -> LevelText | None:
    """Write (or, both empty, remove) a level's text in one language; checked first, nothing changed on error."""
    if language not in LANGUAGES:
        raise UserError(_("language: %(code)s is not one of %(list)s", code=repr(language), list=", ".join(LANGUAGES)))
    level = session.scalar(select(Level).where(Level.id == level_id))
    if level is None:
        raise NotFound(_("level: no level #%(id)s in this business", id=level_id))
    subject, body = check(subject, "subject", language), check(body, "body", language)
    row = session.scalar(select(LevelText).where(LevelText.level_id == level.id, LevelText.language == language))
    if subject is None and body is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = LevelText(level_id=level.id, language=language)
        session.add(row)
    row.subject, row.body = subject, body
    session.flush()
    return row


def text_for(session, level_id: int | None, language: str) -> tuple[str | None, str | None]:
    """(subject, body) the merchant wrote for the level in that language; (None, None): the catalog's."""
    if not level_id:
        return None, None
    row = session.execute(select(LevelText.subject, LevelText.body).where(
        LevelText.level_id == level_id, LevelText.language == (language or "en")[:2])).first()
    return (row.subject, row.body) if row is not None else (None, None)


# ---------------------------------------------------------------- rendering

def values(c: dict) -> dict:
    """The placeholders' values from the mail's context (already in the customer's language). Call it inside
    ``in_language`` of the customer: the invoice lines and the discount sentence are the catalog's."""
    invoices = c["invoices"]
    first = c["first"]
    lines = [(_("%(number)s: %(amount)s, due on %(date)s (overdue)", number=i["number"], amount=i["amount"],
                date=i["due_date"]) if i["days_overdue"] else
              _("%(number)s: %(amount)s, due on %(date)s", number=i["number"], amount=i["amount"],
                date=i["due_date"])) for i in invoices]
    discount = " ".join(_("If you pay invoice %(number)s by %(date)s, you may deduct the %(percent)s early-payment "
                          "discount (%(amount)s).", number=d["number"], date=d["until"], percent=d["percent"],
                          amount=d["amount"]) for d in c["discounts"])
    days = first.get("days_left", 0) if c["before_due"] else first.get("days_overdue", 0)
    return {"name": c["name"], "number": ", ".join(i["number"] for i in invoices), "amount": c["total"],
            "date": first["due_date"], "days": str(days or 0), "fee": c["fee_amount"],
            "interest": c["interest_amount"], "discount": discount, "seller": c["seller"],
            "invoices": (lines, _("Total: %(total)s", total=c["total"]))}


def _pieces(text: str):
    for literal, name, _spec, _conv in Formatter().parse(text):
        yield literal, name


def render_subject(text: str, vals: dict) -> str:
    out = "".join(literal + (str(vals[name]) if name else "") for literal, name in _pieces(text))
    return " ".join(out.split())


def render_text(text: str, vals: dict) -> str:
    lines, total = vals["invoices"]
    block = "\n".join(f"- {line}" for line in lines) + f"\n{total}"
    return "".join(literal + ((block if name == "invoices" else str(vals[name])) if name else "")
                   for literal, name in _pieces(text)).strip() + "\n"


def render_html(text: str, vals: dict) -> Markup:
    """Paragraphs (blank lines), line breaks, and every character of the text and the values escaped; a
    paragraph that is only ``{invoices}`` is the list."""
    lines, total = vals["invoices"]
    listing = Markup("<ul>%s</ul><p><strong>%s</strong></p>") % (
        Markup("").join(Markup("<li>%s</li>") % line for line in lines), total)
    out = []
    for paragraph in [p.strip() for p in text.split("\n\n") if p.strip()]:
        if paragraph == "{invoices}":
            out.append(listing)
            continue
        parts = []
        for literal, name in _pieces(paragraph):
            parts.append(escape(literal).replace("\n", Markup("<br>\n")))
            if name == "invoices":
                parts.append(escape("; ".join(lines + [total])))
            elif name:
                parts.append(escape(str(vals[name])))
        out.append(Markup("<p>%s</p>") % Markup("").join(parts))
    return Markup("\n").join(out)


def custom(session, reminder_level_id: int | None, language: str, c: dict) -> dict:
    """The mail context's ``custom_subject``, ``custom_text`` and ``custom_html`` ("" when the catalog speaks)."""
    subject, body = text_for(session, reminder_level_id, language)
    out = {"custom_subject": "", "custom_text": "", "custom_html": ""}
    if subject is None and body is None:
        return out
    vals = values(c)
    if subject:
        out["custom_subject"] = render_subject(subject, vals)
    if body:
        out["custom_text"] = render_text(body, vals)
        out["custom_html"] = render_html(body, vals)
    return out
