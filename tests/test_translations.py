"""Six languages, complete: every catalog, every msgid, every template.

Parametrized over core and every addon with something to translate (admin
screens, templates or marked strings; see ``i18n_catalogs.needs_catalog``): an
addon that has screens but no catalog fails here until
``python manage.py i18n update <addon>`` creates one and it is translated.
The checks are the ones ``python manage.py i18n check`` runs; the second half
of this file proves those checks catch what they claim to, on a throw-away addon.
"""
from __future__ import annotations

import shutil

import pytest
from babel.messages.pofile import read_po, write_po

from core import i18n_catalogs as cat
from core.i18n import LANGUAGES
from core.i18n_templates import ALLOWED_WORDS, find_literals

ROOTS = [r for r in cat.catalog_roots() if cat.needs_catalog(r)]
TEMPLATES = [(r, p) for r in ROOTS for p in cat.template_files(r)]


def _fail(problems):
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_pot_is_a_fresh_extraction(root):
    """(a) Everything marked in the code and templates is in the committed messages.pot, and nothing else."""
    assert root.pot.is_file(), f"{root.name}: no catalog; run 'python manage.py i18n update {root.name}'"
    _fail(cat.check_pot(root))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_every_msgid_is_translated(root, lang):
    """(b) A non-fuzzy msgstr for every msgid in each of the six languages, with the msgid's placeholders."""
    _fail(cat.check_po(root, lang))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_mo_is_compiled_from_po(root, lang):
    """(c) The committed .mo is what 'i18n compile' makes of the current .po (the app reads only the .mo)."""
    assert root.po(lang).is_file(), f"{root.name}/{lang}: no .po; run 'python manage.py i18n update {root.name}'"
    _fail(cat.check_mo(root, lang))


@pytest.mark.parametrize("root,path", TEMPLATES, ids=[f"{r.name}:{p.name}" for r, p in TEMPLATES])
def test_template_has_no_untranslated_literal(root, path):
    """(d) Web screens, mails and documents show no words outside _() / {% trans %}."""
    from core.i18n_templates import untranslated_literals
    _fail(untranslated_literals(path, base=cat.CORE_ROOT.parent))


def test_core_and_the_addons_with_screens_are_covered():
    names = {r.name for r in ROOTS}
    assert {"core", "partners", "catalog", "sales", "sales_stock", "warehouse", "einvoice"} <= names
    assert any(p.suffix == ".txt" for _, p in TEMPLATES), "mail templates are scanned too"


# ---------------------------------------------------------------- the checks themselves

@pytest.fixture
def addon(tmp_path):
    """A throw-away addon with one marked string in Python and one in a template."""
    root = tmp_path / "demo_addon"
    (root / "templates" / "demo_addon").mkdir(parents=True)
    (root / "admin.py").write_text(
        "from core.i18n import _, _l\n"
        "LABEL = _l('Customer')\n"
        "def greet(name):\n"
        "    return _('Hello %(name)s', name=name)\n", "utf-8")
    (root / "templates" / "demo_addon" / "page.html").write_text(
        "<h1>{{ _('Orders') }}</h1>\n", "utf-8")
    return cat.CatalogRoot("demo_addon", root)


def _translate(root, lang, strings):
    path = root.po(lang)
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    for message in catalog:
        if message.id in strings:
            message.string = strings[message.id]
            message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog)


KO = {"Customer": "고객", "Hello %(name)s": "%(name)s님, 안녕하세요", "Orders": "주문"}


def test_update_creates_the_catalog_and_english_is_filled(addon):
    counts = cat.update(addon)
    assert addon.cfg.is_file() and addon.pot.is_file()
    assert {m for _c, m in cat.msgids(cat.extract(addon))} == {"Customer", "Hello %(name)s", "Orders"}
    assert counts["en"] == 0 and counts["ko"] == 3
    assert set(counts) == set(LANGUAGES)
    problems = cat.check(addon, ("ko",))
    assert any("untranslated 'Customer'" in p for p in problems)


def test_complete_catalog_passes_and_each_gap_is_named(addon):
    cat.update(addon, ("en", "ko"))
    _translate(addon, "ko", KO)
    cat.compile_catalog(addon, ("en", "ko"))
    assert cat.check(addon, ("en", "ko")) == []

    # A new marked string: the .pot is stale until update, then ko lacks it.
    with (addon.root / "admin.py").open("a") as f:
        f.write("NEW = _l('Supplier')\n")
    assert any("marked but not in messages.pot: 'Supplier'" in p for p in cat.check_pot(addon))
    cat.update(addon, ("en", "ko"))
    assert cat.check_pot(addon) == []
    assert cat.check_po(addon, "ko") == ["demo_addon/ko: untranslated 'Supplier'"]
    # Translated but not compiled: the .mo is stale.
    _translate(addon, "ko", {"Supplier": "공급업체"})
    assert cat.check_po(addon, "ko") == []
    assert "is not compiled from the current" in cat.check_mo(addon, "ko")[0]
    cat.compile_catalog(addon, ("ko",))
    assert cat.check_mo(addon, "ko") == []


def test_fuzzy_and_lost_placeholders_fail(addon):
    cat.update(addon, ("ko",))
    _translate(addon, "ko", {**KO, "Hello %(name)s": "안녕하세요"})
    assert cat.check_po(addon, "ko") == [
        "demo_addon/ko: placeholders [] != ['%(name)s'] in 'Hello %(name)s'"]
    path = addon.po("ko")
    with path.open("rb") as f:
        catalog = read_po(f, locale="ko")
    catalog["Orders"].flags.add("fuzzy")
    catalog["Hello %(name)s"].string = KO["Hello %(name)s"]
    with path.open("wb") as f:
        write_po(f, catalog)
    assert cat.check_po(addon, "ko") == ["demo_addon/ko: fuzzy 'Orders'"]


def test_missing_po_and_missing_catalog_fail(addon):
    assert cat.needs_catalog(addon)
    assert "no catalog" in cat.check(addon)[0]
    cat.update(addon, ("en",))
    assert "no messages.po" in cat.check_po(addon, "vi")[0]
    shutil.rmtree(addon.directory / "en")
    assert "no messages.po" in cat.check_po(addon, "en")[0]


def test_template_literals_are_found():
    source = (
        "<!DOCTYPE html>\n"
        "<h1>{{ _('Orders') }}</h1>\n"
        "<p title=\"Open it\">Total: {{ total }}</p>\n"
        "{% trans n=count %}{{ n }} lines\nshown{% endtrans %}\n"
        "<input type=\"submit\" value=\"Save\"><input type=\"hidden\" value=\"abc\">\n"
        "<button data-tessera-confirm=\"{{ _('Sure?') }}\">{{ _('Delete') }}</button>\n"
        "<style>body { font-family: serif }</style>{# a comment #}\n"
        "<footer>Tessera · {{ a }} / {{ b }} · PDF</footer>\n"
        "<img alt=\"Logo\" src=\"x.png\"><a aria-label=\"{{ _('Next') }}\">→</a>\n"
    )
    assert find_literals(source) == [(3, 'title="Open it"'), (3, "Total: …"), (6, 'value="Save"'),
                                     (10, 'alt="Logo"')]
    assert find_literals("{{ _('Dear %(n)s', n=n) }}\nKind regards,\n{{ sender }}\n", "txt") == [
        (2, "Kind regards,")]
    assert all(reason for reason in ALLOWED_WORDS.values())


def test_manifest_words_are_extracted_into_the_addons_catalog():
    """Title, summary and settings labels/help come from addon.toml; the addon translates them."""
    root = cat.find_root("einvoice")
    strings = {text for text, _comment in cat.manifest_strings(root)}
    assert {"E-invoicing", "Tax rounding", "Issue automatically when an order is paid"} <= strings
    assert any(s.startswith("line: tax rounded on each line") for s in strings)  # a setting's help
    assert strings <= {m for _c, m in cat.msgids(cat.extract(root))}
