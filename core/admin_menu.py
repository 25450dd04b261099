"""The admin's menu, six groups as a merchant thinks in a fixed order, and addon registration.

Addons do not invent top-level menus (a menu per addon reads "Einvoice",
"Sales Stock" and runs off the screen once a business has ten addons): each view
is placed by its addon in one of these groups, by code, when it is added
(``admin.add_view(view, menu="inventory")``). Core's own screens are under
Settings. The groups are created before any view is added, so their order is
this one whatever the addons' load order; a group with no view the user may see
is not shown (Flask-Admin hides a category whose children are all inaccessible).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import request
from flask_login import current_user

from .addons.errors import AddonError
from .admin import SecureAccess, SecureModelView, SecureView
from .i18n import _l
from .web.context import current_business_id, current_permissions, enabled_addons_here, request_session
from .web.formatting import current_locale

# code -> label; the order is the menu's order
MENU_GROUPS = {
    "sales": _l("Sales"),
    "inventory": _l("Inventory"),
    "purchasing": _l("Purchasing"),
    "invoicing": _l("Invoicing"),
    "contacts": _l("Contacts"),
    "settings": _l("Settings"),
}
DEFAULT_MENU = "settings"   # a view whose addon names no group: configuration is the least surprising place


def add_menu_groups(admin) -> None:
    """Create the six groups, in order, before any view is added."""
    for code, label in MENU_GROUPS.items():
        admin.add_category(label, class_name=f"tessera-menu tessera-menu-{code}")


def menu_group(code: str, addon: str = "core"):
    """The label (the category Flask-Admin files a view under) of the group ``code``."""
    try:
        return MENU_GROUPS[code]
    except KeyError:
        raise AddonError([f"{addon}: menu {code!r} is not one of {', '.join(MENU_GROUPS)}; "
                          f"pass menu= one of those to add_view"]) from None


@dataclass
class AdminContext:
    """What an addon's ``register(admin, ctx)`` gets."""
    runtime: object
    registry: object
    addon: str
    category: str
    SecureModelView: type = SecureModelView
    SecureView: type = SecureView
    session: object = request_session


class AddonAdmin:
    """The admin as an addon sees it: its views must be secure and land in one of the six menu
    groups (core.admin_menu), named by the addon: ``add_view(view, menu="inventory")`` or a
    ``menu_group`` attribute on the view class (Flask-Admin's own ``menu`` is its menu entry)."""

    def __init__(self, admin, addon: str, category: str):
        self._admin, self._addon, self._category = admin, addon, category

    def add_view(self, view, menu: str | None = None):
        if not isinstance(view, SecureAccess):
            raise AddonError([f"{self._addon}: admin view {type(view).__name__} must subclass "
                              f"core.admin.SecureModelView (or SecureView)"])
        if view.addon is None:
            view.addon = self._addon
        if view.addon != self._addon:
            raise AddonError([f"{self._addon}: admin view {type(view).__name__} says addon={view.addon!r}"])
        if not view.permission:
            raise AddonError([f"{self._addon}: admin view {type(view).__name__} has no permission"])
        if view.category is None:
            view.category = menu_group(menu or getattr(view, "menu_group", None) or DEFAULT_MENU, self._addon)
        return self._admin.add_view(view)

    def add_views(self, *views, menu: str | None = None):
        for view in views:
            self.add_view(view, menu=menu)

    def __getattr__(self, name):
        return getattr(self._admin, name)


def register_addon_views(admin, runtime) -> list[str]:
    """Call each addon's ``register(admin, ctx)`` in dependency order; return the addons registered."""
    done = []
    for name in runtime.registry.names:
        register = runtime.registry.get(name, "admin")
        if register is None:
            continue
        if not callable(register):
            register = getattr(register, "register", None)
        if not callable(register):
            raise AddonError([f"{name}: provides.admin must point at a register(admin, ctx) function"])
        label = runtime.registry.manifests[name].title
        register(AddonAdmin(admin, name, label),
                 AdminContext(runtime=runtime, registry=runtime.registry, addon=name, category=label))
        done.append(name)
    return done


# ------------------------------------------------------------------ the rendered menu
_MENUS_LOCK = threading.Lock()
MENU_CACHE_SIZE = 512   # drawn menus kept per admin (one app's), oldest dropped first


def drawn_menus(admin) -> OrderedDict:
    """The menus drawn for this admin (kept on it, so two apps in one process never share one)."""
    menus = admin.__dict__.get("_tessera_menus")
    if menus is None:
        with _MENUS_LOCK:
            menus = admin.__dict__.setdefault("_tessera_menus", OrderedDict())
    return menus


def menu_html(admin_view, render):
    """The admin menu of this page (``render`` is Flask-Admin's ``layout.menu`` macro), rendered
    once per process for each combination of what it depends on and then reused.

    Why: every admin page draws the whole menu, asking each of some forty entries whether the
    user may see it and building its URL; on a list page that was a tenth of the request. What
    the menu shows rests on the page (its active entry), the language of its labels, the business
    and its enabled addons, the user's permissions there (``SecureAccess.is_accessible``: the
    only accessibility check of any entry) and the script root of its URLs, and these make the
    key: a right or an addon taken away changes the key, so the next page draws the new menu.
    """
    if not current_user.is_authenticated or current_business_id() is None:
        return render()
    menus = drawn_menus(admin_view.admin)
    key = (admin_view.endpoint, current_locale(), current_business_id(), frozenset(current_permissions()),
           enabled_addons_here(), request.script_root)
    html = menus.get(key)
    if html is None:
        html = render()
        with _MENUS_LOCK:
            menus[key] = html
            while len(menus) > MENU_CACHE_SIZE:
                menus.popitem(last=False)
    return html
