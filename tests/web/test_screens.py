"""Core screens: permissions, addons per business, settings, switchers, users, roles, jobs, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Business, Membership, OutboxJob, Role, User


def test_role_without_permission_cannot_see_the_view(make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business, permissions=["tfx_notes.tag.read"]))
    home = client.get("/admin/").get_data(as_text=True)
    assert "/admin/tfx_notes_tag/" in home and "/admin/tfx_notes_note/" not in home
    assert "/admin/core_role/" not in home
    assert client.get("/admin/tfx_notes_note/").status_code == 403
    assert client.get("/admin/core_role/").status_code == 403
    assert client.get("/admin/tfx_notes_tag/").status_code == 200


def test_read_only_role_cannot_create_edit_delete_or_export(runtime, make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business, permissions=["tfx_notes.note.read"]))
    page = client.get("/admin/tfx_notes_note/").get_data(as_text=True)
    assert "/admin/tfx_notes_note/new/" not in page
    assert client.get("/admin/tfx_notes_note/new/").status_code == 403
    assert client.post("/admin/tfx_notes_note/new/", {"title": "x"}).status_code == 403
    assert client.get("/admin/tfx_notes_note/export/csv/").status_code == 403
    assert client.post("/admin/tfx_notes_note/action/", {"action": "delete", "rowid": []}).status_code == 403


def test_disabled_addon_menu_is_gone_and_url_refused(runtime, make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business))
    assert "/admin/tfx_notes_note/" in client.get("/admin/").get_data(as_text=True)
    response = client.post("/admin/core_addons/tfx_notes/disable")
    assert response.status_code == 302
    assert "Disabled: tfx_notes" in client.get("/admin/core_addons/").get_data(as_text=True)
    assert "/admin/tfx_notes_note/" not in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/tfx_notes_note/").status_code == 403
    client.post("/admin/core_addons/tfx_notes/enable")
    assert client.get("/admin/tfx_notes_note/").status_code == 200


def test_addon_never_enabled_is_refused(make_business, make_user, client_for):
    business = make_business()
    client = client_for(make_user(business))
    assert client.get("/admin/tfx_notes_note/").status_code == 403
    page = client.get("/admin/core_addons/").get_data(as_text=True)
    assert 'id="addon-tfx_notes"' in page


def test_disable_refused_with_dependency_message(runtime, make_business, make_user, client_for):
    deps = [m for m in runtime.registry.manifests.values() if m.depends]
    assert deps, "the built-in addons include some with dependencies (sales needs partners and catalog)"
    child = deps[0]
    business = make_business(addons=[child.name])
    client = client_for(make_user(business))
    client.post(f"/admin/core_addons/{child.depends[0]}/disable")
    page = client.get("/admin/core_addons/").get_data(as_text=True)
    assert f"cannot disable &#39;{child.depends[0]}&#39;" in page


def test_settings_form_validates_and_masks_secrets(runtime, make_business, make_user, client_for):
    from core.settings import get_settings
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business))
    url = "/admin/core_addons/tfx_notes/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'name="max_notes"' in page and 'value="100"' in page and 'type="password"' in page
    bad = client.post(url, {"max_notes": "many", "greeting": "Hi", "mode": "loose", "rate": "abc"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "max_notes" in text and "mode" in text and "rate" in text
    with runtime.session(business.id) as session:
        assert get_settings(session, runtime.registry, "tfx_notes", "test-secret-key")["max_notes"] == 100
    good = client.post(url, {"max_notes": "7", "greeting": "Hi", "mode": "strict", "rate": "2.25",
                             "archive_old": "on", "api_key": "sk-live-123456"})
    assert good.status_code == 302
    with runtime.session(business.id) as session:
        values = get_settings(session, runtime.registry, "tfx_notes", "test-secret-key")
    assert values["max_notes"] == 7 and values["mode"] == "strict" and str(values["rate"]) == "2.25"
    assert values["archive_old"] is True and values["api_key"] == "sk-live-123456"
    page = client.get(url).get_data(as_text=True)
    assert "sk-live-123456" not in page and "56" in page  # masked: last characters only
    client.post(url, {"max_notes": "7", "greeting": "Hi", "mode": "strict", "rate": "2.25", "api_key": ""})
    with runtime.session(business.id) as session:
        assert get_settings(session, runtime.registry, "tfx_notes", "test-secret-key")["api_key"] == "sk-live-123456"


def test_business_switcher(runtime, make_business, make_user, client_for):
    a = make_business(addons=["tfx_notes"], name="Alpha Shop")
    b = make_business(addons=["tfx_notes"], name="Bravo Shop")
    stranger = make_business(name="Stranger Shop")
    client = client_for(make_user(a, extra=[(b, ["*"])]))
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="business-switcher"' in page and "Bravo Shop" in page and "Stranger Shop" not in page
    client.post("/admin/tfx_notes_note/new/", {"title": "in-alpha"})
    client.post("/switch-business", {"business_id": str(b.id), "next": "/admin/tfx_notes_note/"})
    listing = client.get("/admin/tfx_notes_note/").get_data(as_text=True)
    assert "in-alpha" not in listing
    client.post("/admin/tfx_notes_note/new/", {"title": "in-bravo"})
    response = client.post("/switch-business", {"business_id": str(stranger.id)})
    assert response.status_code == 302
    assert "not a member" in client.get("/admin/").get_data(as_text=True)
    listing = client.get("/admin/tfx_notes_note/").get_data(as_text=True)
    assert "in-bravo" in listing  # still in Bravo
    with runtime.session(b.id) as session:
        from tfx_notes.models import Note
        assert session.scalar(select(Note.title).where(Note.title == "in-bravo")) == "in-bravo"


def test_language_switcher_shows_korean_and_is_remembered(runtime, app, make_business, make_user, client_for):
    email = make_user(make_business(addons=["tfx_notes"]))
    client = client_for(email)
    assert "Log out" in client.get("/admin/").get_data(as_text=True)
    client.post("/language", {"locale": "ko", "next": "/admin/"})
    page = client.get("/admin/").get_data(as_text=True)
    assert "로그아웃" in page and "사용자" in page   # Log out, Users (in the Settings menu)
    with runtime.session() as session:
        assert session.scalar(select(User.locale).where(User.email == email)) == "ko"
    client.post("/language", {"locale": "vi"})
    assert "Đăng xuất" in client.get("/admin/").get_data(as_text=True)
    client.post("/language", {"locale": "en"})
    client.post("/language", {"locale": "xx"})
    assert "Unknown language" in client.get("/admin/").get_data(as_text=True)


def test_login_page_follows_accept_language(client):
    page = client.get("/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert "로그인" in page


def test_superuser_creates_business_through_the_service(runtime, make_user, client_for, make_business):
    client = client_for(make_user(make_business(), superuser=True))
    bad = client.post("/admin/core_business/new/", {"name": "", "slug": "Bad Slug", "country": "XX",
                                                     "timezone": "UTC", "languages": "en"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "slug" in text and "country" in text
    ok = client.post("/admin/core_business/new/", {"name": "Seoul Store", "slug": "seoul-store-web",
                                                    "country": "KR", "timezone": "Asia/Seoul",
                                                    "languages": ["ko", "en"]})
    assert ok.status_code == 302
    with runtime.session() as session:
        business = session.scalar(select(Business).where(Business.slug == "seoul-store-web"))
        assert business.currency == "KRW"
        roles = session.scalars(select(Role.name).where(Role.business_id == business.id),
                                execution_options={"all_businesses": True}).all()
        assert roles == ["Administrator"]


def test_business_admin_cannot_create_businesses(make_business, make_user, client_for):
    client = client_for(make_user(make_business()))
    assert client.get("/admin/core_business/new/").status_code == 403


def test_edit_business_validates_tax_id(runtime, make_business, make_user, client_for):
    business = make_business(country="VN")
    client = client_for(make_user(business))
    response = client.post(f"/admin/core_business/edit/?id={business.id}",
                           {"name": business.name, "currency": "VND", "timezone": "Asia/Ho_Chi_Minh",
                            "languages": "vi", "tax_id": "0100109105"})
    assert "tax_id" in response.get_data(as_text=True)
    with runtime.session() as session:
        assert session.get(Business, business.id).tax_id is None


def test_users_and_roles_screens(runtime, make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business))
    page = client.get("/admin/core_role/new/").get_data(as_text=True)
    assert "tfx_notes.note.read" in page and "core.user.create" in page
    response = client.post("/admin/core_role/new/", {"name": "Clerk", "permissions": ["tfx_notes.note.read"]})
    assert response.status_code == 302
    assert client.post("/admin/core_role/new/", {"name": "Bad", "permissions": ["made.up.perm"]}).status_code == 200
    with runtime.session(business.id) as session:
        clerk = session.scalar(select(Role).where(Role.name == "Clerk"))
        assert clerk.permissions == ["tfx_notes.note.read"]
        assert session.scalar(select(Role).where(Role.name == "Bad")) is None
    response = client.post("/admin/core_user/new/", {"email": "clerk-web@example.com", "name": "Clerk",
                                                     "password": "long enough pw", "role": str(clerk.id)})
    assert response.status_code == 302
    weak = client.post("/admin/core_user/new/", {"email": "weak-web@example.com", "password": "short",
                                                 "role": str(clerk.id)})
    assert "at least 8" in weak.get_data(as_text=True)
    with runtime.session(business.id) as session:
        member = session.scalar(select(Membership).join(User).where(User.email == "clerk-web@example.com"))
        assert member.role_id == clerk.id
    from .conftest import Client
    c = Client(client.c.application.test_client())
    assert c.post("/login", {"email": "clerk-web@example.com", "password": "long enough pw"}).status_code == 302
    assert c.get("/admin/tfx_notes_note/").status_code == 200
    assert c.get("/admin/core_user/").status_code == 403


def test_user_error_from_a_view_is_flashed_not_500(make_business, make_user, client_for):
    client = client_for(make_user(make_business(addons=["tfx_notes"])))
    response = client.post("/admin/tfx_notes_note/new/", {"title": "forbidden"}, follow_redirects=True)
    assert response.status_code == 200
    assert "&#39;forbidden&#39; is not allowed here" in response.get_data(as_text=True)


def test_jobs_list_and_retry(runtime, make_business, make_user, client_for):
    a = make_business()
    b = make_business()
    with runtime.transaction(all_businesses=True) as session:
        mine = OutboxJob(business_id=a.id, actor="tfx_notes.noop", args={}, state="dead", attempts=5,
                         last_error="boom-a")
        theirs = OutboxJob(business_id=b.id, actor="tfx_notes.noop", args={}, state="dead", last_error="boom-b")
        session.add_all([mine, theirs])
    client = client_for(make_user(a))
    listing = client.get("/admin/core_job/").get_data(as_text=True)
    assert "boom-a" in listing and "boom-b" not in listing
    assert client.get(f"/admin/core_job/details/?id={theirs.id}").status_code == 404
    assert client.post("/admin/core_job/action/", {"action": "retry", "rowid": [str(theirs.id)]}).status_code == 404
    response = client.post("/admin/core_job/action/", {"action": "retry", "rowid": [str(mine.id)]})
    assert response.status_code == 302
    with runtime.session(all_businesses=True) as session:
        assert session.get(OutboxJob, mine.id).state == "pending"
        assert session.get(OutboxJob, theirs.id).state == "dead"


def test_audit_log_lists_this_business_changes_read_only(runtime, make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business))
    client.post("/admin/tfx_notes_note/new/", {"title": "audited-note"})
    listing = client.get("/admin/core_audit/").get_data(as_text=True)
    assert "tfx_notes_note" in listing and "audited-note" in listing
    assert client.get("/admin/core_audit/new/").status_code in (302, 403)
