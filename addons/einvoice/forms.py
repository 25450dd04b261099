"""Reading the admin's plain forms: buyer fields and lines typed one per row.

Lines are ``description | quantity | unit price | tax rate % | unit | discount %``
(the last three optional), the way a person types them; a bad row is a
UserError naming it, before any service runs.
"""
from __future__ import annotations

from decimal import Decimal

from core.errors import UserError
from core.i18n import _
from core.money import parse_decimal

BUYER_FIELDS = ("kind", "name", "tax_id", "country", "address", "city", "postal_code", "email", "phone")


def parse_buyer(form) -> dict:
    return {key: (form.get(f"buyer_{key}") or "").strip() or None for key in BUYER_FIELDS}


def _percent(text: str, label: str) -> Decimal:
    """A percentage typed as '10' or '10 %', through the core's one number parser ('१२', NaN and
    1e309 are refused here, before anything quantizes)."""
    return parse_decimal(text.strip().rstrip("%"), field=label, places=4, minimum=0,
                         maximum=100)


def parse_lines(text: str | None) -> list[dict]:
    lines = []
    for row, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 3:
            raise UserError(_("line %(row)d: write 'description | quantity | unit price | tax rate %% | unit'",
                              row=row))
        line = {"description": parts[0], "quantity": parts[1], "unit_price": parts[2]}
        if len(parts) > 3 and parts[3] not in ("", "-", "exempt"):
            line["tax_rate"] = _percent(parts[3], _("line %(row)d: tax rate", row=row)) / 100
        elif len(parts) > 3:
            line["tax_rate"] = None
        if len(parts) > 4 and parts[4]:
            line["unit"] = parts[4]
        if len(parts) > 5 and parts[5]:
            line["discount_percent"] = _percent(parts[5], _("line %(row)d: discount", row=row))
        lines.append(line)
    return lines
