"""Courier benchmarks: webhook ingest and the scheduled tracking pull.

``webhook_ingest``: distinct GHN webhook bodies through ``tracking.receive_webhook``
(token check, the carrier's parse, the body stored once under its digest, the
refresh job written to the outbox), next to a floor that writes the same two
rows (webhook hit + outbox job) with SQLAlchemy Core, one transaction per event.

``tracking_pull``: ``tracking.pull_open`` over every open shipment (10,000; 1,000
with --quick) against the fake GHN gateway on 127.0.0.1 (tests/addons/courier/
fake_ghn.py), next to a floor making the same HTTP calls and inserting the
same event rows with Core. In the steady state most pulls change nothing: every
round after the first finds the events stored and moves nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from harness import bench_runtime, default_backend, interleave, result, temp_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _shop(rt, fake_url: str, shipments: int):
    """A business with courier + courier_ghn, one confirmed order and ``shipments`` open GHN shipments
    (written with Core: the benchmark is about tracking, not creation)."""
    from sqlalchemy import insert
    from addons.catalog.services import create_product
    from addons.courier.models import Shipment
    from addons.partners.services import create_partner
    from addons.sales.services import confirm_order, create_order
    from core.addons import state
    from core.business import create_business
    from core.settings import set_settings
    from tests.addons.courier.fake_ghn import SHOP, TOKEN
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="Bench courier", slug=f"bench-courier-{os.getpid()}-{time.time_ns() % 10**6}",
                                   country="VN", currency="VND")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["courier", "courier_ghn"])
    with rt.transaction(business.id) as s:
        set_settings(s, rt.registry, "courier_ghn", {"base_url": fake_url, "token": TOKEN, "shop_id": SHOP,
                                                     "timeout_seconds": "5"}, rt.config["SECRET_KEY"])
        customer = create_partner(s, name="Khách hàng", country="VN").id
        variant = create_product(s, sku="B-1", name="Bench", sale_price="10000").variants[0].id
        order = create_order(s, partner_id=customer, lines=[{"variant_id": variant, "qty": "1"}])
        confirm_order(s, order.id)
        order_id = order.id
    now = datetime.now(timezone.utc)
    rows = [dict(business_id=business.id, number=f"SHP-B-{i:06d}", order_id=order_id, carrier="ghn", service="2",
                 state="requested", state_at=now, tracking_number=f"GHN{i + 1:05d}", client_code=f"B-{i}",
                 attempt=1, request_state="done", currency="VND", cod_amount=0, insurance_value=0, payer="shop",
                 required_note="CHOXEMHANGKHONGTHU", receiver={"name": "A", "phone": "1"}, label_prints=0,
                 created_at=now, updated_at=now) for i in range(shipments)]
    with rt.transaction(business.id) as s:
        for start in range(0, len(rows), 2000):
            s.execute(insert(Shipment), rows[start:start + 2000])
    return business.id


def webhook_ingest(quick: bool, backend: str | None = None) -> list[dict]:
    from sqlalchemy import insert
    from addons.courier.models import WebhookHit
    from addons.courier.services import tracking
    from core.models import OutboxJob
    from tests.addons.courier.fake_ghn import FakeGhn
    backend = backend or default_backend()
    rounds, per_round = 5, (100 if quick else 500)
    with temp_database(backend, "courier-webhook") as (url, folder), FakeGhn() as fake:
        rt = bench_runtime(url, folder)
        try:
            business_id = _shop(rt, fake.url, 50)
            token = tracking.webhook_token(rt, business_id, "ghn")
            counter = iter(range(10 ** 9))
            hits, jobs = WebhookHit.__table__, OutboxJob.__table__

            def body(i):
                return json.dumps({"OrderCode": f"GHN{i % 50 + 1:05d}", "Status": "picked", "Type": "switch_status",
                                   "Time": f"2026-12-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z", "n": i}).encode()

            def subject():
                batch = [body(next(counter)) for _ in range(per_round)]
                started = time.perf_counter()
                for data in batch:
                    status, _message = tracking.receive_webhook(rt, "ghn", token, data, {})
                    assert status == 200
                return per_round / (time.perf_counter() - started)

            def floor():
                batch = [body(next(counter)) for _ in range(per_round)]
                started = time.perf_counter()
                for data in batch:
                    with rt.db.engine.begin() as conn:
                        conn.execute(insert(hits).values(business_id=business_id, carrier="ghn",
                                                         digest=hashlib.sha256(data).hexdigest(),
                                                         tracking_number="GHN00001", body=data.decode(),
                                                         received_at=datetime.now(timezone.utc)))
                        conn.execute(insert(jobs).values(business_id=business_id, actor="courier.refresh_shipment",
                                                         args={"shipment_id": 1}, state="done", attempts=0,
                                                         max_attempts=1, available_at=datetime.now(timezone.utc),
                                                         created_at=datetime.now(timezone.utc)))
                return per_round / (time.perf_counter() - started)
            values, floors = interleave(subject, floor, rounds)
        finally:
            rt.db.dispose()
    return [result("courier.webhook_ingest", 0, "events/s", 0, "events/s (Core insert of hit + job)", backend,
                   {"events_per_round": per_round}, values=values, floors=floors)]


def tracking_pull(quick: bool, backend: str | None = None) -> list[dict]:
    from sqlalchemy import insert, select
    from addons.courier.carriers import instantiate
    from addons.courier.models import ShipmentEvent
    from addons.courier.services import tracking
    from addons.courier.services.shipments import snapshot
    from tests.addons.courier.fake_ghn import FakeGhn
    backend = backend or default_backend()
    shipments, rounds = (1000 if quick else 10_000), 5
    with temp_database(backend, "courier-pull") as (url, folder), FakeGhn() as fake:
        rt = bench_runtime(url, folder)
        try:
            for i in range(shipments):
                code = f"GHN{i + 1:05d}"
                fake.orders[code] = {"order_code": code, "client_order_code": f"B-{i}", "status": "picked",
                                     "updated_date": "2026-12-01T10:00:00Z",
                                     "log": [{"status": "ready_to_pick", "updated_date": "2026-12-01T08:00:00Z"}]}
            business_id = _shop(rt, fake.url, shipments)
            events = ShipmentEvent.__table__

            def subject():
                started = time.perf_counter()
                done = tracking.pull_open(rt, business_id)
                assert done["asked"] == shipments and done["failed"] == 0, done
                return shipments / (time.perf_counter() - started)

            floor_round = iter(range(10 ** 6))

            def floor():
                n = next(floor_round)
                started = time.perf_counter()
                after = 0
                while True:
                    with rt.session(business_id) as s:
                        rows = tracking.open_shipments(s, after, tracking.PULL_BATCH)
                        carrier = instantiate(rt, s, business_id, "ghn")
                        work = [(r.id, snapshot(r)) for r in rows]
                    if not work:
                        break
                    after = work[-1][0]
                    values = []
                    for shipment_id, data in work:
                        for e in carrier.track(data):
                            values.append(dict(business_id=business_id, shipment_id=shipment_id, carrier="floor",
                                               event_key=f"{n}:{e.key}", at=e.at, carrier_status=e.carrier_status,
                                               state=e.state, applied=False, source="pull",
                                               received_at=datetime.now(timezone.utc)))
                    with rt.db.engine.begin() as conn:
                        conn.execute(insert(events), values)
                return shipments / (time.perf_counter() - started)
            values, floors = interleave(subject, floor, rounds)
            with rt.session(business_id) as s:
                stored = len(s.scalars(select(ShipmentEvent.id).where(ShipmentEvent.carrier == "ghn")).all())
        finally:
            rt.db.dispose()
    return [result("courier.tracking_pull", 0, "shipments/s", 0, "shipments/s (same HTTP calls + Core insert)",
                   backend, {"open_shipments": shipments, "events_stored_once": stored}, values=values,
                   floors=floors)]


BENCHMARKS = [webhook_ingest, tracking_pull]
