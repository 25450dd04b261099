"""Businesses (tenants): creation with validated country, currency, timezone and tax id."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.numbers import get_territory_currencies
from sqlalchemy import select

from .errors import UserError
from .i18n import LANGUAGES
from .models import Business, Role
from .taxid import validate_tax_id

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def create_business(session, *, name: str, slug: str, country: str, currency: str | None = None,
                    timezone: str = "UTC", languages=("en",), tax_id: str | None = None, **extra) -> Business:
    """Validate everything, then insert the business and its Administrator role."""
    problems = []
    name = (name or "").strip()
    if not name:
        problems.append("name: required")
    if not SLUG_RE.match(slug or ""):
        problems.append(f"slug: {slug!r} must be 2-63 lower-case letters, digits or dashes")
    country = (country or "").upper()
    # Babel also lists "ZZ" (unknown region) and numeric UN regions; neither is a country.
    country_ok = len(country) == 2 and country.isalpha() and country != "ZZ" and country in Locale("en").territories
    if not country_ok:
        problems.append(f"country: {country!r} is not an ISO 3166 two-letter code")
    if currency is None and country_ok:
        found = get_territory_currencies(country)
        currency = found[0] if found else None
    currency = (currency or "").upper()
    if currency not in Locale("en").currencies and (country_ok or currency):
        problems.append(f"currency: {currency!r} is not an ISO 4217 code")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: {timezone!r} is not a known time zone")
    languages = list(languages)
    bad_langs = [lang for lang in languages if lang not in LANGUAGES]
    if bad_langs or not languages:
        problems.append(f"languages: choose from {', '.join(LANGUAGES)}")
    if tax_id:
        try:
            tax_id = validate_tax_id(country, tax_id)
        except UserError as exc:
            problems.append(f"tax_id: {exc}")
    if session.scalar(select(Business.id).where(Business.slug == slug)):
        problems.append(f"slug: {slug!r} is taken")
    if problems:
        raise UserError("; ".join(problems))
    business = Business(name=name, slug=slug, country=country, currency=currency, timezone=timezone,
                        languages=languages, tax_id=tax_id or None, **extra)
    session.add(business)
    session.flush()
    session.add(Role(business_id=business.id, name="Administrator", permissions=["*"]))
    session.flush()
    return business


def get_business(session, slug: str) -> Business:
    business = session.scalar(select(Business).where(Business.slug == slug))
    if business is None:
        raise UserError(f"no business with slug {slug!r} (see 'python manage.py business list')")
    return business
