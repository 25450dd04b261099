"""Screens in the six languages: core's own strings and Flask-Admin's (List, Create, Add Filter...)."""
from __future__ import annotations

import pytest
from babel.support import Translations

from core import i18n_catalogs
from core.i18n import LANGUAGES


def flask_admin_says(lang: str, msgid: str) -> str:
    """What Flask-Admin's own catalog for ``lang`` (under Flask-Admin's locale name) makes of ``msgid``."""
    po = i18n_catalogs.flask_admin_catalog(lang)  # <dir>/<locale>/LC_MESSAGES/admin.po
    return Translations.load(str(po.parents[2]), [po.parents[1].name], domain="admin").gettext(msgid)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_flask_admin_strings_follow_the_language(lang, make_business, make_user, client_for):
    client = client_for(make_user(make_business()))
    client.post("/language", {"locale": lang})
    page = client.get("/admin/core_job/").get_data(as_text=True)
    for msgid in ("List", "Add Filter"):
        translated = flask_admin_says(lang, msgid)
        assert translated != msgid, f"Flask-Admin has no {lang} for {msgid!r}"
        assert translated in page, f"{lang}: Flask-Admin's {msgid!r} shows as English"
    assert "Add Filter" not in page


def test_core_keeps_every_catalog_flask_admin_names_otherwise():
    assert i18n_catalogs.check_flask_admin() == []
    assert set(i18n_catalogs.FLASK_ADMIN_LOCALES) <= set(LANGUAGES)


@pytest.mark.parametrize("lang,words", [
    ("ko", ("고객 및 공급업체", "공급업체", "납세자 번호", "필터 추가", "연락처")),
    ("zh", ("客户和供应商", "供应商", "税号", "添加筛选器", "联系人")),
    ("ru", ("Клиенты и поставщики", "Поставщик", "ИНН", "Контакты")),
])
def test_partner_screen_in_the_clerks_language(lang, words, make_business, make_user, client_for):
    client = client_for(make_user(make_business(addons=["partners"])))
    client.post("/language", {"locale": lang})
    page = client.get("/admin/partners_partner/").get_data(as_text=True)
    for word in words:
        assert word in page, f"{lang}: {word!r} missing"
    assert "Supplier" not in page and "Tax ID" not in page
    assert "Customers and suppliers" not in page and ">Contacts<" not in page  # view name, menu group


def test_partner_form_errors_in_the_clerks_language(make_business, make_user, client_for):
    client = client_for(make_user(make_business(addons=["partners"])))
    client.post("/language", {"locale": "vi"})
    page = client.post("/admin/partners_partner/new/", {"kind": "person", "name": "An", "country": "ZZ",
                                                         "language": "vi", "email": "nope"},
                       follow_redirects=True).get_data(as_text=True)
    assert "đối tác: email: &#39;nope&#39; không phải là địa chỉ email" in page


def test_catalog_screens_and_csv_report_in_the_clerks_language(make_business, make_user, client_for):
    import io
    client = client_for(make_user(make_business(addons=["catalog"])))
    client.post("/language", {"locale": "es"})
    page = client.get("/admin/catalog_product/").get_data(as_text=True)
    assert "Precio de venta" in page and "Clase de impuesto" in page and "Sale price" not in page
    assert "Inventario" in page and ">Inventory<" not in page  # the menu group
    client.post("/language", {"locale": "ko"})
    page = client.get("/admin/catalog_import/").get_data(as_text=True)
    assert "상품 및 변형 가져오기 (CSV)" in page and "시험 실행 (검사만)" in page
    page = client.post("/admin/catalog_import/", {}).get_data(as_text=True)
    assert "가져올 CSV 파일을 선택하세요" in page
    client.post("/language", {"locale": "ru"})
    bad = io.BytesIO(b"sku,colour\nA1,red\n")
    page = client.post("/admin/catalog_import/", {"file": (bad, "bad.csv"), "dry_run": "1"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "ошибочн" in page and "ничего не записано" in page          # the plural row count, in Russian
    assert "неизвестные столбцы" in page or "отсутствуют столбцы" in page  # the row reasons too


def test_core_parsers_speak_the_clerks_language(make_business, make_user, client_for):
    """A number typed wrong is refused by core.money's one parser, in the clerk's language."""
    client = client_for(make_user(make_business(addons=["catalog"])))
    client.post("/language", {"locale": "ru"})
    page = client.post("/admin/catalog_tax_class/new/", {"code": "X1", "name": "X", "rate": "1e5x"},
                       follow_redirects=True).get_data(as_text=True)
    assert "не число" in page, page[-3000:]
