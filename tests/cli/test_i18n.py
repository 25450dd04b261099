"""``manage.py i18n update|compile|check`` on a throw-away addon: one-line errors, exit codes, what it writes."""
from __future__ import annotations

import pytest

from .conftest import Cli, cli_env


@pytest.fixture
def i18n_cli(tmp_path):
    """The CLI over a folder with one addon ``tfx_words`` that marks two strings."""
    addon = tmp_path / "addons" / "tfx_words"
    (addon / "templates" / "tfx_words").mkdir(parents=True)
    (addon / "__init__.py").write_text("", "utf-8")
    (addon / "addon.toml").write_text('name = "tfx_words"\nversion = "1.0.0"\nsummary = "Words"\n', "utf-8")
    (addon / "admin.py").write_text("from core.i18n import _l\nLABEL = _l('Gizmo')\n", "utf-8")
    (addon / "templates" / "tfx_words" / "page.html").write_text("<p>{{ _('Gizmos') }}</p>\n", "utf-8")
    return Cli(cli_env("sqlite:///" + str(tmp_path / "none.db"), addons_path=(tmp_path / "addons",))), addon


def test_check_update_compile_cycle(i18n_cli):
    cli, addon = i18n_cli
    assert cli.fails("i18n", "check", "tfx_words") == "error: 1 translation problem(s)"
    assert "no catalog" in cli("i18n", "check", "tfx_words", ok=False).stdout

    out = cli("i18n", "update", "tfx_words").stdout
    assert out.strip() == "tfx_words: 4 msgids; to translate: ko 4, vi 4, zh 4, ru 4, es 4"  # + title, summary (addon.toml)
    translations = addon / "translations"
    assert (translations / "babel.cfg").is_file() and (translations / "messages.pot").is_file()
    assert sorted(p.parent.parent.name for p in translations.glob("*/LC_MESSAGES/messages.po")) == \
        ["en", "es", "ko", "ru", "vi", "zh"]
    # English is the source text; the others wait for a translator, and the .mo is missing
    assert cli.fails("i18n", "check", "tfx_words", "--lang", "en") == "error: 1 translation problem(s)"
    assert "run 'python manage.py i18n compile tfx_words'" in cli("i18n", "check", "tfx_words", ok=False).stdout
    assert "tfx_words/ko: untranslated 'Gizmo'" in cli("i18n", "check", "tfx_words", ok=False).stdout

    assert cli("i18n", "compile", "tfx_words").stdout.strip() == "tfx_words: compiled en ko vi zh ru es"
    assert cli("i18n", "check", "tfx_words", "--lang", "en").stdout.strip() == "tfx_words: complete"


def test_bad_arguments_are_one_line_errors(i18n_cli):
    cli, _addon = i18n_cli
    assert cli.fails("i18n", "check", "nope").startswith("error: 'nope' is not core or an addon here (known: core")
    assert cli.fails("i18n", "update", "tfx_words", "--lang", "fr") == \
        "error: --lang: unknown language fr (known: en, ko, vi, zh, ru, es)"
    assert not (_addon / "translations").exists()  # a refused command wrote nothing
