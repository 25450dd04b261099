"""The demo: one business with an admin and realistic data from every built-in addon.

``seed_demo`` is idempotent: run twice, it creates nothing twice. The business
and its admin are created once; addons enabled later are enabled and seeded on
the next run. Each addon's ``demo`` provide (``load(session, business_id, rng)``)
runs once per business, in dependency order (and after the demos named in its
manifest's ``demo_after``; see ``core.addons.graph.demo_order``), in its own
transaction, with a random generator seeded by the addon's name so the data is
the same every time.
Whether it ran is remembered as a core setting row (addon ``core``, key
``demo:<addon>``) so a re-run never duplicates data.

An addon whose setup must exist before *other* addons' demos run (einvoice_vn's
signing certificate, so einvoice's own demo invoices are signed) provides
``demo_prepare`` (``prepare(session, business_id, rng)``): every addon's runs
first, before any ``demo``, once per business (marker ``demo-prepare:<addon>``).

An addon whose demo needs a business of its own (a country's fiscal regime: the
Mexican CFDI demo wants a Mexican business) provides ``demo_business``
(``seed(runtime) -> {"business": slug, ...}``, idempotent): ``load`` runs inside
one business's transaction and cannot create another, so these run after the
demo business is seeded, each making its own transactions. Their slugs are
listed in the result's ``businesses`` (the demo business first).
"""
from __future__ import annotations

import random
import secrets

from sqlalchemy import select

from .addons import state
from .addons.graph import demo_order
from .models import Business, SettingValue, User

DEMO_EMAIL = "admin@example.com"
DEMO_NAME = "Demo Shop"
# A seller complete enough for legal documents (tax id valid per python-stdnum's vn.mst).
DEMO_SELLER = {"legal_name": "Công ty TNHH Demo Shop", "tax_id": "0312345673",
               "address": "12 Nguyễn Huệ, Bến Nghé, Quận 1, TP. Hồ Chí Minh", "phone": "+84 28 3822 1234",
               "email": "billing@demo-shop.example"}


def _builtin_addons(runtime) -> list[str]:
    """Addons shipped in addons/ (fixture and third-party addons are not part of the demo)."""
    return [name for name, m in runtime.registry.manifests.items() if m.package == f"addons.{name}"]


def seed_demo(runtime, slug: str = "demo", *, addons=None) -> dict:
    """Create or top up the demo business; returns business slug, admin e-mail, the new
    password (only when the admin was created now, else None), and the addons seeded now."""
    from .auth import create_user
    from .business import create_business
    names = list(addons) if addons is not None else _builtin_addons(runtime)
    password = None
    with runtime.transaction(all_businesses=True) as session:
        business = session.scalar(select(Business).where(Business.slug == slug))
        if business is None:
            business = create_business(session, name=DEMO_NAME, slug=slug, country="VN", currency="VND",
                                       timezone="Asia/Ho_Chi_Minh", languages=("en", "vi", "ko"),
                                       **DEMO_SELLER)
        user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is None:
            password = secrets.token_urlsafe(12)
            create_user(session, DEMO_EMAIL, password, name="Demo Admin", business_id=business.id,
                        role="Administrator", superuser=True)
        business_id = business.id
    if names:
        with runtime.transaction(business_id) as session:
            state.enable(session, runtime.registry, business_id, names)
    seeded = []
    order = demo_order(runtime.registry.manifests, names)
    for provide, marker_of in (("demo_prepare", "demo-prepare:{}"), ("demo", "demo:{}")):
        for name in order:
            load = runtime.registry.get(name, provide)
            if load is None:
                continue
            with runtime.transaction(business_id) as session:
                marker = session.scalar(select(SettingValue).where(SettingValue.addon == "core",
                                                                   SettingValue.key == marker_of.format(name)))
                if marker is not None:
                    continue
                load(session, business_id, random.Random(f"tessera-{provide.replace('_', '-')}-{name}"))
                session.add(SettingValue(addon="core", key=marker_of.format(name), value="true"))
            if provide == "demo":
                seeded.append(name)
    businesses = [slug]
    for name in demo_order(runtime.registry.manifests, names):
        seed_own = runtime.registry.get(name, "demo_business")
        if seed_own is not None:
            businesses.append(seed_own(runtime)["business"])
    return {"business": slug, "business_id": business_id, "email": DEMO_EMAIL, "password": password,
            "addons": names, "seeded": seeded, "businesses": businesses}
