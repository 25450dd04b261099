"""schemathesis against the live app on 127.0.0.1, for every operation of the OpenAPI document:
no 5xx, and every answer matches the document (status codes, content types, schemas).

Examples are few per operation (the suite has a time budget); the shop has data, so reads
find rows and writes reach the services, not only the validators.
"""
from __future__ import annotations

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from werkzeug.serving import make_server

from .helpers import app_for, bearer, make_world, token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _ship_one(runtime, world):
    """A confirmed order with a manual-carrier shipment, so the shipment reads find a row."""
    from addons.courier.services.shipments import create_shipment
    from addons.sales.services import confirm_order, create_order_from_entry
    address = {"name": "Trần Thị B", "phone": "0912345678", "street": "12 Phố Huế", "province": "Hà Nội"}
    with runtime.transaction(world.business.id) as session:
        order = create_order_from_entry(session, {"channel": "web", "customer": {"code": str(world.customer_id)},
                                                  "lines": [{"sku": world.skus[0], "qty": 1}],
                                                  "shipping_address": address}).order
        confirm_order(session, order.id)
        create_shipment(session, order.id, carrier="manual", service="own")


@pytest.fixture(scope="module")
def live(runtime):
    """The app served on a free loopback port for the module, and an all-scopes token of a stocked shop."""
    world = make_world(runtime, addons=("sales", "warehouse", "courier"))
    _ship_one(runtime, world)
    server = make_server("127.0.0.1", 0, app_for(runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token_for(runtime, world.business)
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def api_schema(live):
    base, _token = live
    # The examples and fuzzing phases only: the coverage phase's boundary cases multiply the requests
    # past the suite's budget (the fuzzer still sends out-of-schema values through hypothesis).
    config = SchemathesisConfig.from_str("[phases.coverage]\nenabled = false\n[phases.stateful]\nenabled = false\n")
    return schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, live):
    _base, token = live
    case.call_and_validate(headers=bearer(token), checks=CHECKS)
