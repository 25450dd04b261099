"""The dunning run: who is reminded of what today, and the sending job's last look before it sends.

``plan`` is set-based: per policy, one query over the open receivables in the
reminder window computes each invoice's level in SQL (a CASE over the level
cut-off dates) with the customer's name and address joined in; Python only
groups the rows per customer and applies the customer's flags. A real run
writes one ``Reminder`` per customer (unique per customer and day, so the same
day's run twice, or two schedulers at once, cannot write a second) and
enqueues its sending job through the outbox. The job (``sending.deliver``) looks
again (``sending.recheck``) just before sending: a payment, credit note or statement line since the run, a
dispute, a pause or do-not-remind, and nothing is sent.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError

from core.db import utcnow
from core.i18n import buyer_language
from core.jobs import enqueue
from core.money import quantize, quantum, sum_of

from addons.partners.models import Partner

from ..models import Account, Receivable, Reminder, Run
from . import context, policies as policy_service

# Why a customer is not reminded (JSON codes; the screens show SKIP_LABELS from admin.py).
SKIP_REASONS = ("do_not_remind", "collections", "paused", "disputed", "below_minimum", "no_email",
                "already_reminded", "not_working_day", "paid_since_run", "payment_since_run")


@dataclass
class Candidate:
    partner_id: int
    customer: str
    email: str | None
    language: str
    country: str | None
    policy_id: int
    level_id: int
    level_name: str
    level_days: int
    tone: str
    final: bool
    fee: Decimal
    amount: Decimal
    currency: str
    interest: Decimal = Decimal(0)
    invoices: list = field(default_factory=list)  # per invoice (a real run): what the sending job rechecks
    numbers: list = field(default_factory=list)   # the invoices' numbers, due date order


@dataclass
class Plan:
    as_of: date
    currency: str
    working_day: bool
    reminders: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (partner_id, customer, reason)


def _accounts(session, as_of: date) -> dict[int, Account]:
    """Only accounts that change something: another policy, a pause, do-not-remind, collections."""
    rows = session.scalars(select(Account).where(
        Account.policy_id.is_not(None) | (Account.paused_until >= as_of) | Account.do_not_remind.is_(True)
        | Account.collections_since.is_not(None)))
    return {a.partner_id: a for a in rows}


# Columns of a receivable row, by position (rows are plain tuples: 100,000 of them are grouped in Python).
ID, PARTNER, NUMBER, CURRENCY, RATE, OPEN, DUE, LEVEL, REMINDED, REMINDERS, DISPUTED, TARGET = range(12)


def _rows(session, policy, as_of: date, only: set | None, exclude: set):
    """Open receivables in the policy's window, ordered by customer, each with its level (a CASE in SQL)."""
    levels = sorted(policy.levels, key=lambda lv: lv.days, reverse=True)
    target = case(*[(Receivable.due_date <= as_of - timedelta(days=lv.days), lv.days) for lv in levels],
                  else_=None)
    query = (select(Receivable.id, Receivable.partner_id, Receivable.number, Receivable.currency,
                    Receivable.exchange_rate, Receivable.open_amount, Receivable.due_date, Receivable.level,
                    Receivable.reminded, Receivable.reminders, Receivable.disputed, target.label("target"))
             .where(Receivable.state == "open", Receivable.partner_id.is_not(None),
                    Receivable.due_date <= as_of - timedelta(days=levels[-1].days)))
    if only is not None:
        query = query.where(Receivable.partner_id.in_(sorted(only)))
    elif exclude:
        query = query.where(Receivable.partner_id.not_in(sorted(exclude)))
    return session.execute(query.order_by(Receivable.partner_id, Receivable.due_date, Receivable.id)).tuples()


def _partners(session, ids: list[int]) -> dict:
    """{id: (name, email, language, country)} of the customers a run considers, in chunks of an IN list."""
    out = {}
    for start in range(0, len(ids), 5000):
        out.update((r[0], r[1:]) for r in session.execute(
            select(Partner.id, Partner.name, Partner.email, Partner.language, Partner.country)
            .where(Partner.id.in_(ids[start:start + 5000]))).tuples())
    return out


def _listed_numbers(session, listed):
    """The invoice numbers of a customer's listed rows, due date order, aggregated by the database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by
        number = case((listed, Receivable.number), else_=None)
        return func.array_to_string(func.array_agg(aggregate_order_by(number, Receivable.due_date, Receivable.id)),
                                    SEP)
    # SQLite 3.40 has no ORDER BY inside an aggregate: each piece carries its sort key, Python sorts.
    piece = func.printf("%s:%012d:%s", Receivable.due_date, Receivable.id, Receivable.number)
    return func.group_concat(case((listed, piece), else_=None), SEP)


SEP = "\x1f"


def _summary(session, policy, as_of: date, only: set | None, exclude: set, rules, people: dict):
    """Per customer in one GROUP BY: the highest level due for a reminder, whether a disputed invoice was
    due for one, what the listed invoices owe (per currency) and their numbers. The dry run's fast path."""
    levels = sorted(policy.levels, key=lambda lv: lv.days, reverse=True)
    target = case(*[(Receivable.due_date <= as_of - timedelta(days=lv.days), lv.days) for lv in levels],
                  else_=None)
    eligible = and_(target.is_not(None), or_(Receivable.reminded.is_(False), target > Receivable.level),
                    Receivable.reminders < rules.max_reminders)
    listed = and_(Receivable.disputed.is_(False), target.is_not(None))
    who = (Partner.name, Partner.email, Partner.language, Partner.country)
    query = (select(Receivable.partner_id, *who, Receivable.currency, Receivable.exchange_rate,
                    func.max(case((and_(Receivable.disputed.is_(False), eligible), target), else_=None)),
                    func.max(case((and_(Receivable.disputed.is_(True), eligible), 1), else_=None)),
                    sum_of(case((listed, Receivable.open_amount), else_=literal_column("0"))),
                    _listed_numbers(session, listed))
             .join(Partner, Partner.id == Receivable.partner_id)
             .where(Receivable.state == "open", Receivable.partner_id.is_not(None),
                    Receivable.due_date <= as_of - timedelta(days=levels[-1].days)))
    if only is not None:
        query = query.where(Receivable.partner_id.in_(sorted(only)))
    elif exclude:
        query = query.where(Receivable.partner_id.not_in(sorted(exclude)))
    query = query.group_by(Receivable.partner_id, *who, Receivable.currency, Receivable.exchange_rate)
    sqlite = session.get_bind().dialect.name != "postgresql"
    merged: dict = {}
    for partner_id, name, email, language, country, currency, rate, due, disputed, amount, numbers in \
            session.execute(query.order_by(Receivable.partner_id)).tuples():
        people[partner_id] = (name, email, language, country)
        entry = merged.setdefault(partner_id, [None, False, Decimal(0), []])
        if due is not None and (entry[0] is None or due > entry[0]):
            entry[0] = due
        entry[1] = entry[1] or disputed is not None
        entry[2] += _in_base(amount, currency, rate, rules.base)
        entry[3].extend(n for n in (numbers or "").split(SEP) if n)
    for partner_id, (due, disputed, amount, numbers) in merged.items():
        if sqlite:
            numbers = [n.split(":", 2)[2] for n in sorted(numbers)]
        yield partner_id, due, disputed, amount, numbers


def plan(session, as_of: date | None = None, *, detail: bool = True, partner_id: int | None = None) -> Plan:
    """What a run on ``as_of`` (default: today in the business's zone) would send, and whom it skips why.

    ``detail=False`` (the dry run) aggregates per customer in SQL and lists only the invoices' numbers; a real
    run, or a policy with interest (computed per invoice), reads the invoices' rows (``detail``).
    ``partner_id``: that one customer only (the preview of their message)."""
    with context.no_gc():
        return _plan(session, as_of, detail=detail, only_partner=partner_id)


def _plan(session, as_of: date | None, *, detail: bool, only_partner: int | None = None) -> Plan:
    conf = context.settings(session)
    business = context.business_of(session)
    as_of = as_of or context.today(session)
    out = Plan(as_of=as_of, currency=business.currency, working_day=context.is_working_day(conf, as_of))
    all_policies = policy_service.policies(session)
    default = policy_service.default_policy(session)
    accounts = _accounts(session, as_of)
    assigned = defaultdict(set)
    for partner_id, account in accounts.items():
        if account.policy_id is not None and account.policy_id != default.id:
            assigned[account.policy_id].add(partner_id)
    already = set(session.scalars(select(Reminder.partner_id).where(Reminder.as_of == as_of)))
    facts = _Facts(as_of=as_of, base=business.currency, working_day=out.working_day, accounts=accounts,
                   already=already, language=(business.languages or ["en"])[0])
    decided, people = [], {}
    for policy in all_policies:
        if not policy.levels:
            continue
        if policy.id == default.id:
            only, exclude = None, set().union(*assigned.values()) if assigned else set()
        elif assigned.get(policy.id):
            only, exclude = assigned[policy.id], set()
        else:
            continue
        if only_partner is not None:
            if only_partner in exclude or (only is not None and only_partner not in only):
                continue
            only, exclude = {only_partner}, set()
        rules = _Rules.of(policy, business.currency)
        if not detail and not rules.interest_percent:
            for partner_id, due, disputed, amount, numbers in _summary(session, policy, as_of, only, exclude, rules,
                                                                       people):
                if due is None:
                    if disputed:
                        decided.append((partner_id, rules, None, [], Decimal(0), "disputed"))
                    continue
                decided.append((partner_id, rules, due, numbers, amount, _reason(facts, rules, partner_id, amount)))
            continue
        current, rows = None, []
        for row in _rows(session, policy, as_of, only, exclude):
            if row[PARTNER] != current and rows:
                decided.append(_decide(facts, rules, rows))
                rows = []
            current = row[PARTNER]
            rows.append(row)
        if rows:
            decided.append(_decide(facts, rules, rows))
    decided = [d for d in decided if d is not None]
    missing = sorted({d[0] for d in decided} - set(people))
    if missing:
        people.update(_partners(session, missing))
    for partner_id, rules, level_days, listed, amount, reason in decided:
        name, email, language, country = people[partner_id]
        if reason is None and not email:
            reason = "no_email"
        elif reason is None and partner_id in already:
            reason = "already_reminded"
        elif reason is None and not out.working_day:
            reason = "not_working_day"
        if reason:
            out.skipped.append((partner_id, name, reason))
            continue
        level = rules.by_days[level_days]
        invoices, interest, numbers = [], Decimal(0), None
        if listed and isinstance(listed[0], str):  # the summary: numbers only
            numbers, listed = listed, []
        for r in listed:
            days = (as_of - r[DUE]).days
            if rules.interest_percent and days > 0:
                interest += policy_service.interest(_in_base(r[OPEN], r[CURRENCY], r[RATE], facts.base),
                                                    rules.interest_percent, days)
            invoices.append({"receivable_id": r[ID], "number": r[NUMBER], "currency": r[CURRENCY],
                             "open": str(r[OPEN]), "due_date": r[DUE].isoformat(), "days": days,
                             "level": r[TARGET]})
        out.reminders.append(Candidate(
            partner_id=partner_id, customer=name, email=email,
            language=buyer_language(language, country, facts.language), country=country,
            policy_id=rules.policy_id, level_id=level.id, level_name=level.name, level_days=level.days,
            tone=level.tone, final=level.days == rules.last_days, fee=level.fee, amount=amount,
            currency=facts.base, interest=quantize(interest, facts.base) if interest else Decimal(0),
            invoices=invoices, numbers=numbers if numbers is not None else [i["number"] for i in invoices]))
    out.reminders.sort(key=lambda c: (c.level_days, c.customer, c.partner_id))
    out.skipped.sort(key=lambda s: (s[1], s[0]))
    return out


@dataclass
class _Facts:
    as_of: date
    base: str
    working_day: bool
    accounts: dict
    already: set
    language: str


@dataclass
class _Rules:
    """A policy's numbers as plain values (read once per run, not once per row)."""
    policy_id: int
    by_days: dict
    last_days: int
    max_reminders: int
    min_balance: Decimal
    interest_percent: Decimal
    base: str

    @classmethod
    def of(cls, policy, base: str):
        by_days = {lv.days: lv for lv in policy.levels}
        return cls(policy.id, by_days, max(by_days), policy.max_reminders, policy.min_balance,
                   policy.interest_percent, base)


def _decide(facts: _Facts, rules: _Rules, rows):
    """One customer's rows -> (partner, rules, level days, listed rows, amount, skip reason) or None (nothing due)."""
    listed, due_level, disputed_only = [], None, False
    max_reminders = rules.max_reminders
    for r in rows:
        target = r[TARGET]
        if target is None:
            continue
        fresh = (not r[REMINDED] or target > r[LEVEL]) and r[REMINDERS] < max_reminders
        if r[DISPUTED]:
            disputed_only = disputed_only or fresh
            continue
        listed.append(r)
        if fresh and (due_level is None or target > due_level):
            due_level = target
    partner_id = rows[0][PARTNER]
    if due_level is None:
        return (partner_id, rules, None, [], Decimal(0), "disputed") if disputed_only else None
    base = facts.base
    amount = Decimal(0)
    for r in listed:
        amount += r[OPEN] if r[CURRENCY] == base else _in_base(r[OPEN], r[CURRENCY], r[RATE], base)
    return partner_id, rules, due_level, listed, amount, _reason(facts, rules, partner_id, amount)


def _reason(facts: _Facts, rules: _Rules, partner_id: int, amount: Decimal) -> str | None:
    """Why a customer with invoices due for a reminder is skipped, by their account and the policy."""
    account = facts.accounts.get(partner_id)
    reason = None
    if account is not None and account.do_not_remind:
        reason = "do_not_remind"
    elif account is not None and account.collections_since is not None:
        reason = "collections"
    elif policy_service.paused(account, facts.as_of):
        reason = "paused"
    elif amount < rules.min_balance:
        reason = "below_minimum"
    return reason


def _in_base(value: Decimal, currency: str, rate: Decimal, base: str) -> Decimal:
    if currency == base:
        return value
    return quantize(value * (rate or Decimal(1)), base)


def run(session, as_of: date | None = None, *, dry_run: bool = False, progress=None) -> dict:
    """Plan, and unless ``dry_run`` write the reminders and enqueue their sending; the JSON of the CLI.

    ``progress(length)`` (optional) returns a context manager with ``update(n)``: click's progress bar."""
    result = plan(session, as_of, detail=not dry_run)
    numbers = _level_numbers(session)
    sent = 0
    if not dry_run and result.reminders:
        batch = Run(as_of=result.as_of, reminders=0, skipped=len(result.skipped), created_at=utcnow())
        session.add(batch)
        session.flush()
        kept = []
        bar = progress(len(result.reminders)) if progress is not None else None
        with bar if bar is not None else _Quiet() as ticker:
            for candidate in result.reminders:
                ticker.update(1)
                if _write(session, batch, candidate):
                    kept.append(candidate)
                    sent += 1
                else:
                    result.skipped.append((candidate.partner_id, candidate.customer, "already_reminded"))
        result.reminders = kept
        batch.reminders = sent
        batch.skipped = len(result.skipped)
    step = quantum(result.currency)
    return {"reminders": [{"customer": c.customer, "level": numbers.get(c.level_id, 0),
                           "invoices": c.numbers,
                           "amount": str(c.amount.quantize(step))}
                          for c in result.reminders],
            "skipped": [{"customer": name, "reason": reason} for _, name, reason in result.skipped],
            "sent": sent, "_plan": result}


class _Quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _level_numbers(session) -> dict[int, int]:
    """1 for a policy's first level, 2 for the next...: what the CLI and the screens call a level."""
    out = {}
    for policy in policy_service.policies(session):
        for n, level in enumerate(sorted(policy.levels, key=lambda lv: lv.days), start=1):
            out[level.id] = n
    return out


def reminder_of(c: Candidate, as_of: date, run_id: int | None = None) -> Reminder:
    return Reminder(run_id=run_id, partner_id=c.partner_id, level_id=c.level_id, level_name=c.level_name,
                    level_days=c.level_days, tone=c.tone, as_of=as_of, currency=c.currency, amount=c.amount,
                    fee=c.fee, interest=c.interest, final=c.final, state="queued", language=c.language, to=c.email,
                    invoices=c.invoices, created_at=utcnow())


def _write(session, batch: Run, c: Candidate) -> bool:
    """One reminder in a savepoint: a concurrent run that wrote the customer's first makes this one a skip."""
    try:
        with session.begin_nested():
            reminder = reminder_of(c, batch.as_of, batch.id)
            session.add(reminder)
            session.flush()
    except IntegrityError:
        return False
    enqueue(session, "dunning.send_reminder", reminder_id=reminder.id)
    return True
