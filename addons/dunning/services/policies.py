"""Policies (levels, fees, interest, minimum balance) and customer accounts (pause, promise, do-not-remind).

A business gets a default policy when the addon is enabled: a friendly note a
week before the due date, on the day and three days after, a firmer one after
two weeks and a final notice after a month. Customers without an account row
follow the default; an account names another policy or pauses reminders.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import NotFound, UserError
from core.i18n import _
from core.money import fit_column
from core.numbers import parse_decimal, parse_int
from core.text import clean_text

from addons.partners.models import Partner

from ..models import TONES, Account, Level, Policy
from . import context

DEFAULT_LEVELS = (  # (days relative to the due date, tone, name)
    (-7, "friendly", "A week before the due date"),
    (0, "friendly", "On the due date"),
    (3, "friendly", "Three days overdue"),
    (14, "firm", "Two weeks overdue"),
    (30, "final", "Final notice"),
)


def on_enable(session, business_id: int) -> None:
    """The default policy, once, and receivables for the invoices issued before the addon was enabled
    (idempotent: enabling again changes nothing)."""
    if session.scalar(select(Policy.id).limit(1)) is None:
        create_policy(session, name="Standard", is_default=True, levels=[
            {"days": d, "tone": t, "name": n, "fee": "0"} for d, t, n in DEFAULT_LEVELS])
    from .receivables import backfill
    backfill(session)


def policies(session) -> list[Policy]:
    return list(session.scalars(select(Policy).options(selectinload(Policy.levels)).order_by(Policy.id)))


def default_policy(session) -> Policy:
    policy = session.scalar(select(Policy).where(Policy.is_default.is_(True))
                            .options(selectinload(Policy.levels)).limit(1))
    if policy is None:
        raise UserError(_("policy: this business has no default dunning policy; mark one as the default"))
    return policy


def _level(raw: dict, i: int) -> Level:
    field = f"levels[{i}]"
    days = parse_int(raw.get("days"), field=f"{field}.days", minimum=-365, maximum=3650)
    tone = str(raw.get("tone") or "friendly")
    if tone not in TONES:
        raise UserError(_("%(field)s.tone: %(tone)s is not one of %(tones)s", field=field, tone=repr(tone),
                          tones=", ".join(TONES)))
    name = clean_text(raw.get("name"), f"{field}.name", max_len=80) or _("Level %(n)s", n=i + 1)
    fee = fit_column(parse_decimal(raw.get("fee") or "0", field=f"{field}.fee", minimum=0),
                     Level.__table__.c.fee, f"{field}.fee")
    return Level(days=days, tone=tone, name=name, fee=fee)


def create_policy(session, *, name: str, levels: list[dict], is_default: bool = False, min_balance="0",
                  max_reminders=5, interest_percent="0", attach_letter: bool = False) -> Policy:
    name = clean_text(name, "name", max_len=120)
    if not name:
        raise UserError(_("name: required"))
    if session.scalar(select(Policy.id).where(Policy.name == name)):
        raise UserError(_("name: a policy named %(name)s exists", name=repr(name)))
    built = [_level(raw, i) for i, raw in enumerate(levels)]
    if not built:
        raise UserError(_("levels: a policy needs at least one level"))
    if len({lv.days for lv in built}) != len(built):
        raise UserError(_("levels: two levels on the same day"))
    policy = Policy(name=name, is_default=bool(is_default),
                    min_balance=fit_column(parse_decimal(min_balance, field="min_balance", minimum=0),
                                           Policy.__table__.c.min_balance, "min_balance"),
                    max_reminders=parse_int(max_reminders, field="max_reminders", minimum=1, maximum=100),
                    interest_percent=fit_column(parse_decimal(interest_percent, field="interest_percent",
                                                              minimum=0, maximum=100),
                                                Policy.__table__.c.interest_percent, "interest_percent"),
                    attach_letter=bool(attach_letter), levels=built)
    if policy.is_default:
        _clear_default(session)
    session.add(policy)
    session.flush()
    return policy


def _clear_default(session) -> None:
    for other in session.scalars(select(Policy).where(Policy.is_default.is_(True))):
        other.is_default = False


def make_default(session, policy_id: int) -> Policy:
    policy = session.scalar(select(Policy).where(Policy.id == policy_id))
    if policy is None:
        raise NotFound(_("no policy #%(id)s in this business", id=policy_id))
    _clear_default(session)
    policy.is_default = True
    session.flush()
    return policy


# ---------------------------------------------------------------- customers

def find_customer(session, ref) -> Partner:
    """A customer as staff name them: code (C00042), id, tax id, e-mail or exact name."""
    from addons.partners.services import find_partner, partner_by_code
    text = str(ref or "").strip()
    if not text:
        raise UserError(_("customer: required"))
    try:
        return partner_by_code(session, text)
    except NotFound:
        pass
    try:
        return find_partner(session, text)
    except NotFound:
        pass
    matches = session.scalars(select(Partner).where(Partner.name == text).limit(2)).all()
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UserError(_("customer: %(ref)s names several customers; give the code (C00042)", ref=repr(text)))
    raise NotFound(_("customer: no customer %(ref)s (give the code, the id, the tax id, the e-mail or the name)",
                     ref=repr(text)))


def account_for(session, partner_id: int, *, create: bool = True) -> Account | None:
    account = session.scalar(select(Account).where(Account.partner_id == partner_id))
    if account is None and create:
        account = Account(partner_id=partner_id, do_not_remind=False)
        session.add(account)
        session.flush()
    return account


def pause(session, customer, until, *, amount=None, note: str | None = None) -> Account:
    """A promise to pay by ``until``: no reminders for the customer until that day (inclusive)."""
    partner = find_customer(session, customer)
    day = context.parse_day(until, "until")
    if day < context.today(session):
        raise UserError(_("until: %(day)s is in the past", day=day.isoformat()))
    account = account_for(session, partner.id)
    account.paused_until = day
    account.promise_amount = (fit_column(parse_decimal(amount, field="amount", minimum=0),
                                         Account.__table__.c.promise_amount, "amount")
                              if amount not in (None, "") else None)
    account.pause_note = clean_text(note, "note", max_len=300)
    session.flush()
    return account


def resume(session, customer) -> Account:
    partner = find_customer(session, customer)
    account = account_for(session, partner.id)
    account.paused_until, account.promise_amount, account.pause_note = None, None, None
    session.flush()
    return account


def set_do_not_remind(session, customer, value: bool = True) -> Account:
    partner = find_customer(session, customer)
    account = account_for(session, partner.id)
    account.do_not_remind = bool(value)
    session.flush()
    return account


def set_policy(session, customer, policy_id: int | None) -> Account:
    partner = find_customer(session, customer)
    if policy_id is not None and session.scalar(select(Policy.id).where(Policy.id == policy_id)) is None:
        raise NotFound(_("policy: no policy #%(id)s in this business", id=policy_id))
    account = account_for(session, partner.id)
    account.policy_id = policy_id
    session.flush()
    return account


def leave_collections(session, customer) -> Account:
    partner = find_customer(session, customer)
    account = account_for(session, partner.id)
    account.collections_since = None
    session.flush()
    return account


def interest(outstanding: Decimal, percent: Decimal, days_overdue: int) -> Decimal:
    """Yearly interest on what is overdue: outstanding x rate / 365 x days (unrounded; callers quantize)."""
    if days_overdue <= 0 or not percent:
        return Decimal(0)
    return outstanding * percent / Decimal(100) / Decimal(365) * days_overdue


def paused(account: Account | None, day: date) -> bool:
    return account is not None and account.paused_until is not None and account.paused_until >= day
