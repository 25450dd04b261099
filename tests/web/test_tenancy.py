"""A user of business A reaches none of business B's rows, whatever the URL kind."""
from __future__ import annotations

import json

import pytest


BASE = "/admin/tfx_notes_note"


@pytest.fixture(autouse=True)
def _models(runtime):
    """The fixture addon is importable once the runtime put its folder on the path."""
    global Note, Tag
    from tfx_notes.models import Note, Tag  # noqa: F811


@pytest.fixture
def two_businesses(runtime, make_business, make_user, client_for):
    a = make_business(addons=["tfx_notes"])
    b = make_business(addons=["tfx_notes"])
    ids = {}
    for business, label in ((a, "alpha"), (b, "bravo")):
        with runtime.transaction(business.id) as session:
            tag = Tag(name=f"{label}-tag")
            session.add(tag)
            session.flush()
            note = Note(title=f"{label}-note", body="secret " + label, tag_id=tag.id)
            session.add(note)
            session.flush()
            ids[label] = (note.id, tag.id)
    return a, b, ids, client_for(make_user(a))


def test_list_and_search_show_only_own_rows(two_businesses):
    _a, _b, _ids, client = two_businesses
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "alpha-note" in page and "bravo-note" not in page
    page = client.get(f"{BASE}/?search=bravo").get_data(as_text=True)
    assert "bravo-note" not in page


def test_details_edit_of_other_business_are_404(two_businesses):
    _a, _b, ids, client = two_businesses
    own, other = ids["alpha"][0], ids["bravo"][0]
    assert client.get(f"{BASE}/details/?id={own}").status_code == 200
    assert client.get(f"{BASE}/details/?id={other}").status_code == 404
    assert client.get(f"{BASE}/edit/?id={other}").status_code == 404
    response = client.post(f"{BASE}/edit/?id={other}", {"title": "stolen"})
    assert response.status_code == 404


def test_delete_of_other_business_is_404_and_row_survives(runtime, two_businesses):
    _a, b, ids, client = two_businesses
    other = ids["bravo"][0]
    assert client.post(f"{BASE}/delete/", {"id": str(other)}).status_code == 404
    with runtime.session(b.id) as session:
        assert session.get(Note, other) is not None


def test_actions_with_a_foreign_id_are_404_and_change_nothing(runtime, two_businesses):
    a, b, ids, client = two_businesses
    own, other = ids["alpha"][0], ids["bravo"][0]
    for action in ("archive", "delete"):
        response = client.post(f"{BASE}/action/", {"action": action, "rowid": [str(own), str(other)]})
        assert response.status_code == 404
    with runtime.session(b.id) as session:
        assert session.get(Note, other).archived is False
    with runtime.session(a.id) as session:
        assert session.get(Note, own).archived is False
    # the same action on own rows works
    response = client.post(f"{BASE}/action/", {"action": "archive", "rowid": [str(own)]})
    assert response.status_code == 302
    with runtime.session(a.id) as session:
        assert session.get(Note, own).archived is True
    response = client.post(f"{BASE}/action/", {"action": "delete", "rowid": [str(own)]})
    assert response.status_code == 302
    with runtime.session(a.id) as session:
        assert session.get(Note, own) is None
    assert client.post(f"{BASE}/action/", {"action": "archive", "rowid": ["not-a-number"]}).status_code == 404


def test_export_contains_only_own_rows(two_businesses):
    _a, _b, _ids, client = two_businesses
    response = client.get(f"{BASE}/export/csv/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "alpha-note" in text and "bravo-note" not in text


def test_ajax_lookup_and_update_are_fenced(runtime, two_businesses):
    _a, b, ids, client = two_businesses
    found = json.loads(client.get(f"{BASE}/ajax/lookup/?name=tag&query=tag").get_data(as_text=True))
    assert [label for _pk, label in found] == ["alpha-tag"]
    response = client.post(f"{BASE}/ajax/update/", {"list_form_pk": str(ids["bravo"][0]), "title": "x"})
    assert response.status_code == 404
    with runtime.session(b.id) as session:
        assert session.get(Note, ids["bravo"][0]).title == "bravo-note"


def test_a_foreign_tag_cannot_be_attached_through_the_form(runtime, two_businesses):
    a, _b, ids, client = two_businesses
    own, foreign_tag = ids["alpha"][0], ids["bravo"][1]
    response = client.post(f"{BASE}/edit/?id={own}", {"title": "alpha-note", "body": "", "tag": str(foreign_tag)})
    assert response.status_code in (200, 302)
    with runtime.session(a.id) as session:
        # the fenced loader does not find B's tag, so nothing of B's is attached
        assert session.get(Note, own).tag_id != foreign_tag


def test_create_stamps_the_current_business(runtime, two_businesses):
    a, _b, _ids, client = two_businesses
    response = client.post(f"{BASE}/new/", {"title": "fresh", "body": "b"})
    assert response.status_code == 302
    with runtime.session(a.id) as session:
        assert session.query(Note).filter_by(title="fresh").one().business_id == a.id


def test_core_screens_are_fenced_too(runtime, two_businesses):
    from core.models import Membership, Role
    a, b, _ids, client = two_businesses
    with runtime.session(b.id) as session:
        role_b = session.query(Role).first().id
        membership_b = session.query(Membership).first()
    assert client.get(f"/admin/core_role/edit/?id={role_b}").status_code == 404
    if membership_b is not None:
        assert client.get(f"/admin/core_user/edit/?id={membership_b.id}").status_code == 404
    assert client.get(f"/admin/core_business/edit/?id={b.id}").status_code == 404
    assert client.get(f"/admin/core_business/edit/?id={a.id}").status_code == 200
    listing = client.get("/admin/core_business/").get_data(as_text=True)
    assert b.name not in listing.replace(a.name, "")
