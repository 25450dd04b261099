"""The API frame: tokens (CLI and service), problem details, scopes, disabled addons, paging,
Idempotency-Key, the rate limit, the OpenAPI document and the reference page."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.api.models import ApiToken
from core.api.tokens import hash_token

from .helpers import bearer, make_world, token_for


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["type"].startswith("/api/v1/problems/") and body["title"]
    return body


def test_cli_token_create_prints_it_once_and_stores_only_its_hash(runtime, shop_a, api_client):
    from core.cli_main import cli
    overrides = {"--database-url": runtime.config.database_url}
    runner = CliRunner()
    args = ["--database-url", overrides["--database-url"], "api", "token", "create", "--business",
            shop_a.business.slug, "--scope", "catalog.product.read", "--scope", "sales.order.create",
            "--name", "web shop", "--json"]
    result = runner.invoke(cli, args, env={"TESSERA_SECRET_KEY": "test-secret-key", "TESSERA_ENV": "test"})
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert set(made) == {"token", "name", "scopes"}
    assert made["name"] == "web shop" and made["scopes"] == ["catalog.product.read", "sales.order.create"]
    with runtime.session(shop_a.business.id) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "web shop"))
        assert row.token_hash == hash_token(made["token"]) and made["token"] not in (row.prefix, row.token_hash)
        assert row.last_used_at is None
    me = api_client.get("/api/v1/token", headers=bearer(made["token"]))
    assert me.status_code == 200 and me.get_json()["business"] == shop_a.business.slug
    with runtime.session(shop_a.business.id) as session:
        assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == row.id)) is not None
    listed = runner.invoke(cli, ["--database-url", overrides["--database-url"], "api", "token", "list",
                                 "--business", shop_a.business.slug, "--json"])
    assert made["token"] not in listed.output and "web shop" in listed.output
    bad = runner.invoke(cli, ["--database-url", overrides["--database-url"], "api", "token", "create",
                              "--business", shop_a.business.slug, "--scope", "sales.order.fly", "--name", "x"])
    assert bad.exit_code == 1 and "error: scopes: 'sales.order.fly' is not a permission" in bad.output
    revoked = runner.invoke(cli, ["--database-url", overrides["--database-url"], "api", "token", "revoke",
                                  str(row.id), "--business", shop_a.business.slug])
    assert revoked.exit_code == 0, revoked.output
    assert problem(api_client.get("/api/v1/token", headers=bearer(made["token"])), 401)["detail"]


def test_missing_or_wrong_token_is_401_with_a_challenge(api_client):
    response = api_client.get("/api/v1/products")
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem(api_client.get("/api/v1/products", headers=bearer("tsk_not-a-token")), 401)
    problem(api_client.get("/api/v1/products", headers={"Authorization": "Basic eDp5"}), 401)


def test_scope_unknown_route_and_method(runtime, shop_a, api_client, token_a):
    narrow = token_for(runtime, shop_a.business, scopes=["partners.partner.read"])
    body = problem(api_client.get("/api/v1/products", headers=bearer(narrow)), 403)
    assert "catalog.product.read" in body["detail"]
    problem(api_client.get("/api/v1/no-such-thing", headers=bearer(token_a)), 404)
    response = api_client.delete("/api/v1/products", headers=bearer(token_a))
    problem(response, 405)
    assert response.headers["Allow"] == "GET"


def test_a_disabled_addons_resources_are_404(runtime, api_client):
    world = make_world(runtime, addons=("catalog",))
    token = token_for(runtime, world.business)
    assert api_client.get("/api/v1/products", headers=bearer(token)).status_code == 200
    problem(api_client.get("/api/v1/orders", headers=bearer(token)), 404)
    problem(api_client.get("/api/v1/stock", headers=bearer(token)), 404)


def test_cursor_pages_and_a_forged_cursor(runtime, api_client, shop_a, token_a):
    first = api_client.get("/api/v1/products?limit=1", headers=bearer(token_a)).get_json()
    assert [p["id"] for p in first["data"]] == shop_a.product_ids[:1] and first["next"]
    second = api_client.get(first["next"], headers=bearer(token_a)).get_json()
    assert [p["id"] for p in second["data"]] == shop_a.product_ids[1:2] and second["next"] is None
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    body = problem(api_client.get(f"/api/v1/partners?cursor={cursor}", headers=bearer(token_a)), 422)
    assert body["errors"][0]["field"] == "cursor"
    problem(api_client.get("/api/v1/products?cursor=garbage", headers=bearer(token_a)), 422)
    body = problem(api_client.get("/api/v1/products?limit=0", headers=bearer(token_a)), 422)
    assert body["errors"][0]["field"] == "limit"


def test_bad_bodies_are_problems_naming_the_field(api_client, token_a):
    headers = bearer(token_a)
    problem(api_client.post("/api/v1/partners", data="{", headers=headers, content_type="application/json"), 422)
    problem(api_client.post("/api/v1/partners", data="x", headers=headers, content_type="text/plain"), 415)
    body = problem(api_client.post("/api/v1/partners", json={"name": "X", "country": "VN", "colour": 1},
                                   headers=headers), 422)
    assert {"field": "colour", "message": "Extra inputs are not permitted"} in body["errors"]
    body = problem(api_client.post("/api/v1/partners", json={"name": "X", "country": "VN", "tax_id": "123"},
                                   headers=headers), 422)
    assert [e["field"] for e in body["errors"]] == ["tax_id"]


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(runtime, api_client, shop_a, token_a):
    from addons.partners.models import Partner
    headers = bearer(token_a, **{"Idempotency-Key": "partner-create-1"})
    first = api_client.post("/api/v1/partners", json={"name": "Once Only", "country": "VN"}, headers=headers)
    again = api_client.post("/api/v1/partners", json={"name": "Once Only", "country": "VN"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    with runtime.session(shop_a.business.id) as session:
        assert len(session.scalars(select(Partner).where(Partner.name == "Once Only")).all()) == 1
    other = api_client.post("/api/v1/partners", json={"name": "Someone Else", "country": "VN"}, headers=headers)
    assert problem(other, 422)["errors"][0]["field"] == "Idempotency-Key"
    # a refused request keeps nothing: the same key may be used again once the body is right
    key = bearer(token_a, **{"Idempotency-Key": "partner-create-2"})
    problem(api_client.post("/api/v1/partners", json={"name": "", "country": "XX"}, headers=key), 422)
    assert api_client.post("/api/v1/partners", json={"name": "Fixed", "country": "VN"}, headers=key).status_code == 201


def test_rate_limit_per_token(runtime, api_client, shop_a):
    from core.api.blueprint import api_of
    assert api_of(api_client.application).operations  # the app's operations are collected once
    from core.api.ratelimit import RateLimiter
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit(1)[0] and limiter.hit(1)[0]
    allowed, _remaining, retry = limiter.hit(1)
    assert not allowed and retry == 60
    assert limiter.hit(2)[0]          # another token has its own window
    now[0] = 60.0
    assert limiter.hit(1)[0]


def test_rate_limit_answers_429_with_retry_after(runtime, shop_a, api_client):
    token = token_for(runtime, shop_a.business, scopes=["catalog.product.read"])
    limiter = api_client.application.extensions["tessera_api_limiter"]
    saved, limiter.limit = limiter.limit, 3
    try:
        answers = [api_client.get("/api/v1/token", headers=bearer(token)) for _ in range(4)]
    finally:
        limiter.limit = saved
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Remaining"] == "2"
    assert int(answers[-1].headers["Retry-After"]) > 0
    problem(answers[-1], 429)


def test_openapi_document_is_valid_3_1_and_lists_every_operation(api_client):
    from openapi_spec_validator import validate
    document = api_client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert {("GET", "/products"), ("GET", "/stock"), ("POST", "/orders"), ("POST", "/orders/{order_id}/confirm"),
            ("POST", "/partners"), ("PATCH", "/partners/{partner_id}")} <= operations
    create = document["paths"]["/orders"]["post"]
    assert create["x-scope"] == "sales.order.create"
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_reference_page_is_served_from_this_app_under_the_csp(api_client):
    page = api_client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/static/swagger-ui/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "reference.js"):
        assert api_client.get(f"/api/v1/static/{asset}").status_code == 200


@pytest.mark.parametrize("path,ids", [("/api/v1/products", "product_ids"), ("/api/v1/partners", "customer_id"),
                                      ("/api/v1/stock", "variant_ids")])
def test_a_token_of_b_never_lists_a(api_client, shop_a, shop_b, token_b, path, ids):
    rows = api_client.get(path + "?limit=200", headers=bearer(token_b)).get_json()["data"]
    key = "variant_id" if path.endswith("stock") else "id"
    mine = getattr(shop_b, ids)
    theirs = getattr(shop_a, ids)
    mine, theirs = ({mine}, {theirs}) if isinstance(mine, int) else (set(mine), set(theirs))
    seen = {row[key] for row in rows}
    assert mine <= seen and not seen & theirs


def test_a_token_of_b_gets_404_for_each_record_of_a(api_client, shop_a, token_b):
    headers = bearer(token_b)
    problem(api_client.get(f"/api/v1/products/{shop_a.product_ids[0]}", headers=headers), 404)
    problem(api_client.get(f"/api/v1/partners/{shop_a.customer_id}", headers=headers), 404)
    problem(api_client.patch(f"/api/v1/partners/{shop_a.customer_id}", json={"name": "Stolen"}, headers=headers), 404)


@pytest.mark.skipif(not os.environ.get("TESSERA_TEST_BROKER_URL", "").startswith("redis"),
                    reason="the shared window needs the Redis of TESSERA_TEST_BROKER_URL")
def test_the_redis_window_is_shared_by_every_process():
    from core.api.ratelimit import RedisRateLimiter
    url = os.environ["TESSERA_TEST_BROKER_URL"]
    now = [1_000_000_040.0]      # 20 s into a minute window (they start at multiples of 60 s)
    first, second = (RedisRateLimiter(2, url, clock=lambda: now[0]) for _ in range(2))   # two web processes
    token = 10 ** 9 + int.from_bytes(os.urandom(3), "big")      # a token id no other run uses
    assert first.hit(token)[0] and second.hit(token)[0]
    allowed, _remaining, retry = first.hit(token)
    assert not allowed and retry == 40
    now[0] += 40
    assert second.hit(token)[0]
