"""Languages and translations: the six languages and one catalog per addon.

Like Odoo's ``i18n/`` folder, every addon keeps the translations of its own
strings beside its code, in ``translations/`` (``messages.pot`` and
``<lang>/LC_MESSAGES/messages.po`` + the compiled ``.mo``); core's are in
``core/translations``. Flask-Babel merges the catalogs of one domain found in
several directories, so an addon's screens, states, flash messages and mails are
translated by its own catalog and no addon edits another's.

Code marks strings with ``_`` (translated now, in the request's or the forced
language) or ``_l`` (translated when shown: form labels, column names, anything
built at import time). Outside a request or app context both return the English
text, so the CLI and tests need nothing special.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path



# Flask-Babel (and so Flask) is imported on first use, not here: models, services and the
# money and text parsers mark their messages with ``_`` and must stay importable by the
# light CLI paths (``addons list`` imports no Flask; tests/cli/test_speed.py).

def _(string: str, **variables) -> str:
    """Translate now (the request's or the forced language); English outside an app."""
    from flask_babel import gettext
    return gettext(string, **variables)


def _l(string: str, **variables):
    """Translate when shown: for labels built at import time (view names, columns, forms)."""
    from flask_babel import lazy_gettext
    return lazy_gettext(string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    from flask_babel import ngettext as babel_ngettext
    return babel_ngettext(singular, plural, num, **variables)


def force_locale(locale):
    from flask_babel import force_locale as babel_force_locale
    return babel_force_locale(locale)

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "_", "_l", "ngettext", "force_locale", "translation_directories",
           "COUNTRY_LANGUAGES", "country_language", "buyer_language", "in_language", "use_catalogs"]

# Every screen, document and mail exists in these six; each name is in its own language.
LANGUAGE_NAMES = {"en": "English", "ko": "한국어", "vi": "Tiếng Việt", "zh": "中文", "ru": "Русский",
                  "es": "Español"}
LANGUAGES = tuple(LANGUAGE_NAMES)

CORE_TRANSLATIONS = Path(__file__).parent / "translations"


def translation_directories(manifests) -> list[str]:
    """Core's catalog directory, then each addon's ``translations/`` that exists, in load order."""
    dirs = [str(CORE_TRANSLATIONS)]
    dirs += [str(m.path / "translations") for m in manifests if (m.path / "translations").is_dir()]
    return dirs


# ---------------------------------------------------------------- the buyer's language

# The language a buyer from a country reads, among the six (ISO 3166 alpha-2). A country
# missing here has no one obvious language of the six (TW, HK: traditional Chinese,
# which is not zh; CA, CH, BE: several) and falls through to the business's language.
COUNTRY_LANGUAGES = {
    "VN": "vi",
    "KR": "ko",
    "CN": "zh", "SG": "en",
    "RU": "ru", "BY": "ru", "KZ": "ru", "KG": "ru",
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY", "SV",
                     "NI", "CR", "PA", "UY", "PR", "GQ"), "es"),
    **dict.fromkeys(("US", "GB", "IE", "AU", "NZ", "PH", "IN", "ZA", "NG", "KE", "GH", "JM", "TT", "MY"), "en"),
}


def _code(language) -> str | None:
    """'vi', 'vi_VN', 'zh-Hans' -> the six-language code, or None for empty/unknown."""
    if not language:
        return None
    base = str(language).replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGE_NAMES else None


def country_language(country) -> str | None:
    return COUNTRY_LANGUAGES.get((country or "").strip().upper())


def buyer_language(partner_language, country, business_language) -> str:
    """The language a document or mail goes out in: the partner's own, else their country's, else the business's.

    A walk-in buyer with no partner record passes None and the shop's country (a
    Vietnamese shop's walk-in reads Vietnamese). English when nothing is known.
    """
    return _code(partner_language) or country_language(country) or _code(business_language) or "en"


_apps: dict[str, object] = {}
_apps_lock = threading.Lock()
_default_directories: str | None = None
BUILTIN_ADDONS = Path(__file__).parent.parent / "addons"


def use_catalogs(manifests) -> None:
    """The catalogs ``in_language`` reads outside the web app: set by ``core.runtime.build_runtime``
    (so jobs, the scheduler and the CLI see every addon of the runtime, external ones too)."""
    global _default_directories
    _default_directories = ";".join(translation_directories(manifests))


def _translation_app(manifests=None):
    """A bare Flask app whose Babel reads core's and the addons' catalogs, for work outside the web app.

    The catalogs are those of ``manifests``, else of the last runtime built, else core's and
    the built-in addons' (found on disk: this module imports nothing of the addon machinery).
    """
    if manifests is not None:
        directories = ";".join(translation_directories(manifests))
    elif _default_directories is not None:
        directories = _default_directories
    else:
        directories = ";".join([str(CORE_TRANSLATIONS)] + sorted(
            str(p) for p in BUILTIN_ADDONS.glob("*/translations") if p.is_dir()))
    with _apps_lock:
        app = _apps.get(directories)
        if app is None:
            from flask import Flask
            from flask_babel import Babel
            app = Flask("tessera.i18n")
            app.config["BABEL_TRANSLATION_DIRECTORIES"] = directories
            Babel(app)
            _apps[directories] = app
        return app


@contextmanager
def in_language(code, manifests=None):
    """Translate ``_``/``_l`` (and Flask-Babel's formatting) into ``code`` inside the block.

    In a request or app context this is Flask-Babel's ``force_locale``; in a job,
    the scheduler or the CLI, where there is no app, it pushes one whose Babel
    reads the same catalogs (core's and every addon's: pass ``manifests`` to name
    the addons, else those of the last runtime built are used). Unknown or empty codes
    mean English.
    """
    from flask import current_app, has_app_context
    lang = _code(code) or "en"
    if has_app_context() and "babel" in current_app.extensions:
        with force_locale(lang):
            yield lang
        return
    with _translation_app(manifests).app_context(), force_locale(lang):
        yield lang
