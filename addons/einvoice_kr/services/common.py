"""What every service of the addon reads: settings, the business, the secret key, today's date in Korea."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.errors import UserError
from core.i18n import _
from core.jobs import addon_settings, binding_for
from core.models import Business

ADDON = "einvoice_kr"


def settings(session) -> dict:
    return addon_settings(session, ADDON)


def secret_key(session) -> str:
    return binding_for(session).runtime.config["SECRET_KEY"]


def business(session) -> Business:
    return session.get(Business, session.info["business_id"])


def today(session) -> date:
    return datetime.now(ZoneInfo(business(session).timezone or "Asia/Seoul")).date()


def corp_num(session) -> str:
    """The seller's business registration number, 10 digits (Popbill's CorpNum)."""
    from ..identity import brn_ok
    number = "".join(ch for ch in (business(session).tax_id or "") if ch.isdigit())
    if not brn_ok(number):
        raise UserError(_("Tax id: the business needs a valid Korean business registration number "
                          "(business settings)"))
    return number


def make_provider(session, code: str):
    from .. import providers
    return providers.make(code, settings(session), corp_num(session) if code == "popbill" else "")
