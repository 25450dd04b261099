"""What the list's per-request shortcuts must not change (core/admin_rows.py, the per-request
memo of ``is_accessible`` and of the enabled addons, the user read on the request's system
session): a right or an addon taken away, or a password changed, is seen on the very next
request; another business's rows never appear; the row links are the ones Flask-Admin builds."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from addons.partners.services import create_partner
from core.models import Membership, Role, User

LIST = "/admin/partners_partner/"
READ_ONLY = ["partners.partner.read"]


def _role_of(runtime, email, business):
    with runtime.session(all_businesses=True) as s:
        return s.scalar(select(Membership.role_id).join(User, User.id == Membership.user_id)
                        .where(User.email == email, Membership.business_id == business.id))


def _shop(runtime, make_business, make_user, client_for, permissions=READ_ONLY):
    business, other = make_business(addons=["partners"]), make_business(addons=["partners"])
    with runtime.transaction(business.id) as s:
        mine = [create_partner(s, name=f"Mine {i}", country="VN").id for i in range(3)]
    with runtime.transaction(other.id) as s:
        theirs = [create_partner(s, name=f"Theirs {i}", country="VN").id for i in range(3)]
    email = make_user(business, permissions=permissions)
    return business, email, client_for(email), mine, theirs


def test_a_right_taken_away_is_seen_on_the_next_request(runtime, make_business, make_user, client_for):
    business, email, client, _mine, _theirs = _shop(runtime, make_business, make_user, client_for)
    page = client.get(LIST)
    assert page.status_code == 200
    assert f'href="{LIST}"' in client.get("/admin/").get_data(as_text=True)   # in the menu
    with runtime.transaction(business.id) as s:
        s.execute(update(Role).where(Role.id == _role_of(runtime, email, business)).values(permissions=[]))
    assert client.get(LIST).status_code == 403
    assert f'href="{LIST}"' not in client.get("/admin/").get_data(as_text=True)


def test_a_right_granted_is_seen_on_the_next_request(runtime, make_business, make_user, client_for):
    business, email, client, _mine, _theirs = _shop(runtime, make_business, make_user, client_for)
    assert "/admin/partners_partner/edit/" not in client.get(LIST).get_data(as_text=True)
    with runtime.transaction(business.id) as s:
        s.execute(update(Role).where(Role.id == _role_of(runtime, email, business))
                  .values(permissions=["partners.partner.read", "partners.partner.edit"]))
    assert "/admin/partners_partner/edit/" in client.get(LIST).get_data(as_text=True)


def test_an_addon_switched_off_is_seen_on_the_next_request(runtime, make_business, make_user, client_for):
    from core.addons import state
    business, _email, client, _mine, _theirs = _shop(runtime, make_business, make_user, client_for)
    assert client.get(LIST).status_code == 200
    with runtime.transaction(business.id) as s:
        state.disable(s, runtime.registry, business.id, "partners", with_dependents=True)
    assert client.get(LIST).status_code in (403, 404)


def test_a_changed_password_logs_the_session_out_on_the_next_request(runtime, make_business, make_user,
                                                                     client_for):
    _business, email, client, _mine, _theirs = _shop(runtime, make_business, make_user, client_for)
    assert client.get(LIST).status_code == 200
    with runtime.transaction(all_businesses=True) as s:
        s.execute(update(User).where(User.email == email)
                  .values(credential_version=User.credential_version + 1))
    response = client.get(LIST)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rows_and_row_links_are_the_business_own(runtime, make_business, make_user, client_for):
    _business, _email, client, mine, theirs = _shop(runtime, make_business, make_user, client_for,
                                                    permissions=["partners.partner.*"])
    page = client.get(LIST).get_data(as_text=True)
    assert "Mine 0" in page and "Theirs" not in page
    shown = {int(i) for i in re.findall(r'/admin/partners_partner/details/\?id=(\d+)&amp;url=', page)}
    edits = {int(i) for i in re.findall(r'/admin/partners_partner/edit/\?id=(\d+)&amp;url=', page)}
    assert shown == edits == set(mine)
    assert not shown & set(theirs)
    for other_id in theirs:     # and another business's row is not reachable by its link either
        assert client.get(f"/admin/partners_partner/details/?id={other_id}").status_code == 404


def test_row_links_match_flask_admins_own_macro(app, runtime, make_business, make_user, client_for):
    """The links RowLinks pastes together are, to the character, what the row_actions macro renders
    (the same URL, escaping and title); an id that is not a plain integer goes through the macro."""
    from flask_admin.model.template import EditRowAction, ViewRowAction
    from core.admin_rows import RowLinks
    view = next(v for admin in app.extensions["admin"] for v in admin._views
                if getattr(v, "endpoint", None) == "partners_partner")
    return_url = "/admin/partners_partner/?search=a%26b&page_size=20"
    with app.test_request_context("/admin/partners_partner/"):
        template = app.jinja_env.get_template("admin/model/row_actions.html")
        module = template.make_module({"get_url": view.get_url, "return_url": return_url,
                                       "_gettext": lambda s: s})
        links = RowLinks(view, return_url)
        squash = lambda html: re.sub(r">\s+<", "><", str(html).strip())   # noqa: E731
        for action, macro in ((ViewRowAction(), module.view_row), (EditRowAction(), module.edit_row)):
            fast = links._split(action)
            assert fast is not None
            built = fast[0] + "42" + fast[1]
            assert squash(built) == squash(macro(action, 42, None))
            assert "?id=42&amp;url=/admin/partners_partner/?search%3Da%2526b%26page_size%3D20" in built
        assert links._split(ViewRowAction()) is links._split(ViewRowAction())   # built once per page
        odd = ViewRowAction()
        odd.render_ctx = lambda context, row_id, row: f"macro:{row_id}"
        assert links(None, odd, "7<b>", None) == "macro:7<b>"       # not a plain integer: the macro
        assert links(None, odd, 7, None).startswith('<a class="icon" href="/admin/partners_partner/details/?id=7&amp;')


def _menu(page: str) -> str:
    return page.split('<ul class="nav navbar-nav mr-auto">', 1)[1].split("</ul>\n", 1)[0]


def test_the_menu_is_drawn_once_per_page_language_and_rights(runtime, make_business, make_user, client_for):
    """core.admin_menu.menu_html reuses a drawn menu only while everything it shows is the same:
    the page (its active entry), the language of its labels, the business, its addons and the
    user's rights there."""
    from core import admin_menu
    business, email, client, _mine, _theirs = _shop(runtime, make_business, make_user, client_for)
    drawn = []
    original = admin_menu.menu_html

    def counting(admin_view, render):
        return original(admin_view, lambda: drawn.append(admin_view.endpoint) or render())
    client.c.application.jinja_env.globals["tessera_menu"] = counting
    for admin in client.c.application.extensions["admin"]:
        admin_menu.drawn_menus(admin).clear()
    try:
        first = _menu(client.get(LIST).get_data(as_text=True))
        again = _menu(client.get(LIST + "?search=Mine").get_data(as_text=True))
        assert first == again and drawn == ["partners_partner"]        # the same page: drawn once
        home = _menu(client.get("/admin/").get_data(as_text=True))
        assert drawn == ["partners_partner", "admin"] and home != first  # another active entry
        client.post("/language", {"locale": "vi"})
        vietnamese = _menu(client.get(LIST).get_data(as_text=True))
        assert len(drawn) == 3 and vietnamese != first                  # the labels' language
        with runtime.transaction(business.id) as s:
            s.execute(update(Role).where(Role.id == _role_of(runtime, email, business)).values(permissions=[]))
        client.post("/language", {"locale": "en"})
        fewer = _menu(client.get("/admin/").get_data(as_text=True))
        assert len(drawn) == 4 and f'href="{LIST}"' in home and f'href="{LIST}"' not in fewer   # rights
    finally:
        client.c.application.jinja_env.globals["tessera_menu"] = original
