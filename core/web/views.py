"""Login, logout, the business switcher and the language switcher."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired

from ..auth import end_sessions
from ..i18n import LANGUAGE_NAMES as LANGUAGES
from ..login import attempt_login, audit_login
from ..models import User
from .context import allowed_business_ids, current_runtime, db, system_session

bp = Blueprint("tessera", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/tessera")



class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])
    remember = BooleanField(lazy_gettext("Remember me"))


def safe_next(target: str | None, default: str) -> str:
    """Only a relative path on this host: no scheme, no host, no '//' or backslash tricks."""
    if not target:
        return default
    target = target.strip()
    if target.startswith(("//", "\\", "/\\")) or "\\" in target or not target.startswith("/"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    joined = urlsplit(urljoin(request.host_url, target))
    if joined.netloc != urlsplit(request.host_url).netloc:
        return default
    return target


def client_ip() -> str:
    """The peer's address; behind TESSERA_TRUSTED_PROXIES the client's (see core.web.security)."""
    return request.remote_addr or "-"


# The fonts the PDFs embed (core/fonts), served to the browser too: tessera.css names them in
# @font-face, so Hangul, Han, Vietnamese and Cyrillic render on a machine with no such system
# font (a bare server's headless Chromium draws boxes otherwise). Only these files (the folder
# also holds licences and a README), rewritten as browsers accept them (core/web/fonts.py);
# nothing comes from a CDN. URL name -> file in core/fonts.
WEB_FONTS = {"DejaVuSans.ttf": "DejaVuSans.ttf", "DejaVuSans-Bold.ttf": "DejaVuSans-Bold.ttf",
             "NanumGothic.ttf": "NanumGothic.ttf", "NanumGothicBold.ttf": "NanumGothicBold.ttf",
             "wqy-microhei.ttf": "wqy-microhei.ttc"}
FONT_CACHE_SECONDS = 7 * 24 * 3600


@bp.route("/static/tessera-fonts/<name>")
def web_font(name: str):
    """One bundled font, cacheable for a week (the files change only with a release)."""
    if name not in WEB_FONTS:
        abort(404)
    from ..pdf import FONTS_DIR   # here, not at import: the PDF module is not needed to start the web app
    from .fonts import web_font as browser_ready
    response = Response(browser_ready(FONTS_DIR / WEB_FONTS[name]), mimetype="font/ttf")
    response.cache_control.public = True
    response.cache_control.max_age = FONT_CACHE_SECONDS
    return response


@bp.route("/")
def home():
    return redirect(url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"), url_for("admin.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user, wait = attempt_login(db(), current_app.extensions["tessera_throttle"], form.email.data,
                                   form.password.data, client_ip(), request.user_agent.string)
        db().commit()  # the audit entry, the failure count, a rehashed password
        if wait:
            flash(gettext("Too many login attempts. Try again in %(seconds)s seconds.", seconds=wait), "error")
            status = 429
        elif user is None:
            flash(gettext("Wrong e-mail or password."), "error")
            status = 401
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user, remember=form.remember.data)
            if user.locale:
                session["locale"] = user.locale
            return redirect(next_url)
    elif request.method == "POST":
        status = 400
    return render_template("tessera/login.html", form=form, next=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End this user's sessions everywhere, and delete the remember cookie of this browser.

    The session is cleared *before* ``logout_user``: that call leaves the flag
    that makes Flask-Login delete the remember cookie on the response.
    """
    if current_user.is_authenticated:
        # No business session: the user's own rows and a business-less audit entry, which
        # row-level security lets only a session without a business write (as at login).
        with current_runtime().transaction() as own:
            user = own.get(User, current_user.id)
            end_sessions(user)
            audit_login(own, "logout", user.email, client_ip(), request.user_agent.string, user_id=user.id)
    session.clear()
    logout_user()
    return redirect(url_for("tessera.login"))


@bp.route("/switch-business", methods=["POST"])
@login_required
def switch_business():
    try:
        business_id = int(request.form.get("business_id", ""))
    except ValueError:
        business_id = None
    if business_id not in allowed_business_ids():
        flash(gettext("You are not a member of that business."), "error")
    else:
        session["business_id"] = business_id
        for key in ("_tessera_business", "_tessera_accessible"):   # both follow the business
            g.pop(key, None)
    return redirect(safe_next(request.form.get("next"), url_for("admin.index")))


@bp.route("/language", methods=["POST"])
def switch_language():
    code = request.form.get("locale", "")
    if code not in LANGUAGES:
        flash(gettext("Unknown language."), "error")
    else:
        session["locale"] = code
        if current_user.is_authenticated:
            user = db().get(User, current_user.id)
            user.locale = code
            db().commit()
    return redirect(safe_next(request.form.get("next"), url_for("admin.index")))


def load_user(user_id: str):
    """Flask-Login's loader: a detached User, read outside the business-bound session.

    The id is ``"<id>:<credential version>"`` (``User.get_id``), from the session
    or the remember cookie alike; one of an older version (the user logged out or
    the password changed since) loads nobody, so the request is anonymous.
    """
    try:
        ident, version = (int(part) for part in str(user_id).split(":"))
    except (TypeError, ValueError):
        return None
    # The request's read-only system session (core.web.context), which the same request then uses for
    # the memberships, the role's permissions and the business row: one connection instead of two.
    own = system_session()
    user = own.get(User, ident, populate_existing=True)   # fresh from the database on every request
    if user is None or not user.active or (user.credential_version or 0) != version:
        return None
    own.expunge(user)
    return user
