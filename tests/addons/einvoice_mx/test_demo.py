"""The Mexican demo business: every kind of CFDI, signed with a test CSD, stamped offline, all valid."""
from __future__ import annotations

import os

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import undefer

from . import sat_rules

NS = sat_rules.NS


def test_demo_business_issues_every_kind(runtime):
    from addons.einvoice_mx.demo import seed_business
    from addons.einvoice_mx.models import Cfdi
    slug = f"demo-mx-{os.getpid()}"
    seeded = seed_business(runtime, slug)
    assert seeded["created"] == 7
    assert seed_business(runtime, slug)["created"] == 0      # a second run tops up, creates nothing twice
    with runtime.session(seeded["business_id"]) as s:
        rows = list(s.scalars(select(Cfdi).options(undefer(Cfdi.stamped_xml), undefer(Cfdi.signed_xml))
                              .order_by(Cfdi.id)))
    kinds = [(r.tipo, r.metodo_pago, r.state) for r in rows]
    assert ("I", "PUE", "stamped") in kinds and ("I", "PPD", "stamped") in kinds
    assert ("P", None, "stamped") in kinds and ("E", "PUE", "stamped") in kinds
    cancelled = [r for r in rows if r.cancel_motive == "01"]
    assert len(cancelled) == 1 and cancelled[0].state in ("cancel_requested", "cancelled")
    replacement = next(r for r in rows if r.uuid == cancelled[0].replacement_uuid)
    global_rows = [r for r in rows if etree.fromstring(r.signed_xml).find("cfdi:InformacionGlobal", NS) is not None]
    assert len(global_rows) == 1 and replacement.state == "stamped"
    for row in rows:
        sat_rules.assert_valid(row.stamped_xml)


def test_manage_py_demo_seeds_the_mexican_business_too(runtime):
    """``seed_demo`` (``manage.py demo``, ``run --demo``) runs the addon's ``demo_business``: ``demo-mx``."""
    from addons.einvoice_mx.models import Cfdi
    from core.demo import seed_demo
    from core.models import Business
    slug = f"demo-vn-{os.getpid()}"
    result = seed_demo(runtime, slug, addons=["einvoice_mx"])
    assert result["business"] == slug and result["businesses"] == [slug, "demo-mx"]
    with runtime.session(all_businesses=True) as s:
        mx_id = s.scalar(select(Business.id).where(Business.slug == "demo-mx"))
    with runtime.session(mx_id) as s:
        kinds = {(tipo, state) for tipo, state in s.execute(select(Cfdi.tipo, Cfdi.state))}
    assert {("I", "stamped"), ("P", "stamped"), ("E", "stamped")} <= kinds
    assert seed_demo(runtime, slug, addons=["einvoice_mx"])["businesses"] == [slug, "demo-mx"]  # idempotent
