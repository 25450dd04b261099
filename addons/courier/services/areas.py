"""Loading a carrier's provinces, districts and wards (``manage.py courier sync-areas``).

The carrier's master data replaces what was loaded before for that carrier, in
one transaction: a list that fails halfway changes nothing. Names are folded
for matching (``addresses.fold``) as they are stored.
"""
from __future__ import annotations

from sqlalchemy import delete

from core.errors import UserError
from core.i18n import _

from ..carriers import instantiate
from ..models import Area
from .addresses import fold


def sync_areas(runtime, business_id: int, carrier_code: str, progress=None) -> dict:
    with runtime.session(business_id) as session:
        carrier = instantiate(runtime, session, business_id, carrier_code)
    if not carrier.needs_areas:
        raise UserError(_("carrier: %(code)s needs no area lists", code=carrier_code))
    rows = carrier.areas(progress=progress) if progress is not None else carrier.areas()
    counts = {"province": 0, "district": 0, "ward": 0}
    seen = set()
    values = []
    for row in rows:
        if row.level not in counts or (row.level, row.code) in seen:
            continue
        seen.add((row.level, row.code))
        counts[row.level] += 1
        values.append({"carrier": carrier_code, "level": row.level, "code": str(row.code)[:32],
                       "parent_code": str(row.parent_code)[:32] if row.parent_code is not None else None,
                       "name": row.name[:200], "norm": fold(row.name)[:200], "business_id": business_id})
    if not counts["province"]:
        raise UserError(_("carrier %(code)s returned no provinces; nothing was changed", code=carrier_code))
    with runtime.transaction(business_id) as session:
        session.execute(delete(Area).where(Area.carrier == carrier_code))
        for start in range(0, len(values), 1000):
            session.execute(Area.__table__.insert(), values[start:start + 1000])
    return {"carrier": carrier_code, "provinces": counts["province"], "districts": counts["district"],
            "wards": counts["ward"]}
