"""The buyer's language rule and rendering in a language outside a request."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel

from core.i18n import COUNTRY_LANGUAGES, LANGUAGES, _, buyer_language, country_language, in_language, \
    translation_directories


@pytest.mark.parametrize("partner,country,business,expected", [
    ("ko", "VN", "en", "ko"),          # the partner's own language wins
    (None, "VN", "en", "vi"),          # a Vietnamese walk-in buyer reads Vietnamese
    ("", "vn", "en", "vi"),            # empty means unset; country codes in any case
    (None, "KR", "vi", "ko"),
    (None, "CN", "en", "zh"),
    (None, "RU", "en", "ru"),
    (None, "MX", "en", "es"),
    (None, "AR", "vi", "es"),
    (None, "US", "vi", "en"),
    (None, "TW", "vi", "vi"),          # traditional Chinese is not zh: the business's language
    (None, None, "ru", "ru"),
    ("vi_VN", "US", "en", "vi"),       # locale spellings are reduced to the six
    ("zh-Hans", None, "en", "zh"),
    ("fr", "FR", "es", "es"),          # not one of the six, no table entry: the business's
    (None, None, None, "en"),
])
def test_buyer_language(partner, country, business, expected):
    assert buyer_language(partner, country, business) == expected


def test_country_table_speaks_only_the_six():
    assert set(COUNTRY_LANGUAGES.values()) <= set(LANGUAGES)
    assert country_language(" es ") == "es" and country_language("XX") is None and country_language(None) is None


def test_in_language_without_an_app_translates_and_restores():
    assert _("Disabled: %(names)s", names="x") == "Disabled: x"  # no app: English
    with in_language("ko") as lang:
        assert lang == "ko"
        assert _("Disabled: %(names)s", names="x") == "비활성화됨: x"
        with in_language("vi"):
            assert _("Disabled: %(names)s", names="x") == "Đã tắt: x"
        assert _("Disabled: %(names)s", names="x") == "비활성화됨: x"
    assert _("Disabled: %(names)s", names="x") == "Disabled: x"
    with in_language("xx"):  # unknown: English, not an error
        assert _("Disabled: %(names)s", names="x") == "Disabled: x"


def test_in_language_inside_an_app_forces_that_app_locale():
    from core.addons.registry import Registry
    app = Flask("t")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(
        Registry.discover().manifests.values()))
    Babel(app, locale_selector=lambda: "vi")
    with app.test_request_context():
        assert _("Disabled: %(names)s", names="x") == "Đã tắt: x"
        with in_language("ko"):
            assert _("Disabled: %(names)s", names="x") == "비활성화됨: x"
        assert _("Disabled: %(names)s", names="x") == "Đã tắt: x"


def test_a_context_keeps_one_word_apart_across_merged_catalogs():
    """Catalogs merge (a later addon's msgstr wins), so core's audit action 'Created' has its own context."""
    import core.admin_core  # noqa: F401  registers the audit_action labels
    from core.formatting import code_label
    with in_language("ko"):
        assert code_label("audit_action", "create") == "생성"
        assert _("Created") == "생성일"  # partners' and catalog's date column
