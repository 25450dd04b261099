"""Business registration numbers: NTS check digit, then the NTS status (cached per number and date).

``check`` answers for many numbers at once, asking the NTS only about those not
checked within ``brn_cache_days`` (1: today); ``require_trading`` refuses a closed
(폐업) business with that reason before a proof receipt or tax invoice is issued.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from ..identity import brn_ok, digits
from ..models import BrnStatus
from . import common


def _client(session):
    from ..nts import NtsClient
    conf = common.settings(session)
    return NtsClient(base_url=conf["nts_api_url"], service_key=conf["nts_api_key"], timeout=conf["nts_timeout"])


def normalise(value) -> str:
    number = digits(value)
    if not brn_ok(number):
        raise UserError(_("number: %(number)s is not a valid business registration number (NTS check digit)",
                          number=str(value)))
    return number


def check(session, values, *, start_date: date | None = None, representative: str | None = None) -> list[dict]:
    numbers = [normalise(v) for v in values]
    today = common.today(session)
    days = max(int(common.settings(session)["brn_cache_days"]), 1)
    rows = {r.brn: r for r in session.scalars(select(BrnStatus).where(BrnStatus.brn.in_(numbers)))}
    validating = bool(start_date and representative)
    stale = [n for n in dict.fromkeys(numbers) if n not in rows or rows[n].checked_on <= today - timedelta(days=days)
             or (validating and rows[n].validated is None)]
    fresh: dict[str, dict] = {}
    validated: dict[str, bool] = {}
    if stale:
        client = _client(session)
        fresh = client.status(stale)
        if validating:
            for number in stale:
                validated[number], status = client.validate(number, start_date, representative)
                if validated[number]:   # a refused validation says nothing of the status: keep the status call's
                    fresh[number] = status
    for number in stale:
        answer = fresh.get(number, {"status": "unknown", "tax_type": "", "closed_on": None})
        row = rows.get(number)
        if row is None:
            row = rows[number] = BrnStatus(brn=number)
            session.add(row)
        row.status, row.tax_type, row.closed_on = answer["status"], answer["tax_type"][:100], answer["closed_on"]
        row.checked_on, row.validated = today, validated.get(number)
    session.flush()
    return [{"number": f"{n[:3]}-{n[3:5]}-{n[5:]}", "status": rows[n].status, "tax_type": rows[n].tax_type,
             "closed_on": rows[n].closed_on, "checked_on": rows[n].checked_on, "validated": rows[n].validated,
             "cached": n not in stale} for n in numbers]


def require_trading(session, value) -> dict:
    """The buyer's status; UserError when the business is closed (or not registered, or the check fails)."""
    if not common.settings(session)["check_brn_status"]:
        normalise(value)
        return {"status": "unchecked"}
    result = check(session, [value])[0]
    if result["status"] == "closed":
        raise UserError(_("business number %(number)s is closed (폐업) since %(date)s: no receipt or tax invoice",
                          number=result["number"], date=result["closed_on"] or "?"))
    if result["status"] == "unknown":
        raise UserError(_("business number %(number)s is not registered with the NTS", number=result["number"]))
    return result
