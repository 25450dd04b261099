"""Partners through the REST API: create with tax id validation, read, update (re-validated)."""
from __future__ import annotations

from tests.core.api.helpers import app_for, bearer, make_world, token_for


def test_create_read_update_with_tax_id_checks(runtime):
    world = make_world(runtime, addons=("partners",), prices=())
    client = app_for(runtime).test_client()
    headers = bearer(token_for(runtime, world.business, scopes=["partners.partner.*"]))
    made = client.post("/api/v1/partners", json={"name": "Công ty ABC", "country": "VN", "kind": "company",
                                                 "tax_id": "0100109106", "email": "KeToan@ABC.vn"}, headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    partner = made.get_json()
    assert partner["tax_id"] == "0100109106" and partner["email"] == "ketoan@abc.vn" and partner["language"] == "vi"
    assert partner["code"] == f"C{partner['id']:05d}"
    url = f"/api/v1/partners/{partner['id']}"
    assert client.get(url, headers=headers).get_json() == partner
    bad = client.patch(url, json={"tax_id": "0100109107"}, headers=headers)
    assert bad.status_code == 422 and [e["field"] for e in bad.get_json()["errors"]] == ["tax_id"]
    moved = client.patch(url, json={"country": "KR"}, headers=headers)   # the VN tax id is not a Korean one
    assert moved.status_code == 422 and moved.get_json()["errors"][0]["field"] == "tax_id"
    changed = client.patch(url, json={"phone": "0901234567", "notes": "VIP"}, headers=headers).get_json()
    assert changed["phone"] == "0901234567" and changed["tax_id"] == "0100109106"
    assert client.get(url, headers=headers).get_json()["phone"] == "0901234567"
