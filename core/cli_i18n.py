"""``manage.py i18n ...``: extract, update, compile and check the translation catalogs.

Core and every addon have their own catalog (see ``core/i18n_catalogs.py``).
Without an argument a command acts on every catalog; with ``ADDON`` ('core' or
an addon name) on that one. This reads manifests and source files only: no
database, no Flask.
"""
from __future__ import annotations

import click

from .cli import CliError

# core.i18n imports Flask-Babel; like every command module this one imports it only when a command runs.


def _roots(name: str | None):
    from . import i18n_catalogs
    from .addons.registry import Registry
    from .config import load_config
    manifests = Registry.discover(load_config()).manifests.values()
    if name:
        try:
            return [i18n_catalogs.find_root(name, manifests)]
        except ValueError as exc:
            raise CliError(str(exc)) from None
    return [r for r in i18n_catalogs.catalog_roots(manifests) if i18n_catalogs.needs_catalog(r)]


def _languages(values) -> tuple[str, ...]:
    from .i18n import LANGUAGES
    unknown = [v for v in values if v not in LANGUAGES]
    if unknown:
        raise CliError(f"--lang: unknown language {', '.join(unknown)} (known: {', '.join(LANGUAGES)})")
    return tuple(values) or LANGUAGES


addon_argument = click.argument("addon", required=False, metavar="[ADDON]")
lang_option = click.option("--lang", "langs", multiple=True, metavar="CODE",
                           help="Only this language (repeatable; default all six: en ko vi zh ru es).")


@click.group()
def i18n():
    """Translation catalogs: core/translations and addons/<name>/translations."""


@i18n.command("update")
@addon_argument
@lang_option
def update(addon, langs):
    """Extract marked strings into messages.pot and merge them into each language's .po.

    New strings arrive untranslated (English gets the source text), changed ones
    fuzzy; translate them, then run 'i18n compile'. A catalog that does not exist
    yet is created, with a babel.cfg that extracts the addon's Python and templates.
    """
    from . import i18n_catalogs
    languages = _languages(langs)
    for root in _roots(addon):
        counts = i18n_catalogs.update(root, languages)
        todo = ", ".join(f"{lang} {n}" for lang, n in counts.items() if n) or "none"
        click.echo(f"{root.name}: {len(i18n_catalogs.msgids(i18n_catalogs.extract(root)))} msgids; "
                   f"to translate: {todo}")


@i18n.command("compile")
@addon_argument
@lang_option
def compile_(addon, langs):
    """Compile each .po into its .mo (fuzzy and untranslated entries are left out)."""
    from . import i18n_catalogs
    languages = _languages(langs)
    for root in _roots(addon):
        done = i18n_catalogs.compile_catalog(root, languages)
        click.echo(f"{root.name}: compiled {' '.join(done) or 'nothing (no .po yet)'}")


@i18n.command("check")
@addon_argument
@lang_option
@click.option("--no-templates", is_flag=True, help="Skip the untranslated-literal scan of templates.")
def check(addon, langs, no_templates):
    """Fail when a marked string is missing from messages.pot, a .po lacks a translation (or keeps
    different placeholders), a .mo is stale, or a template shows an untranslated literal."""
    from . import i18n_catalogs
    languages = _languages(langs)
    problems = []
    for root in _roots(addon):
        found = i18n_catalogs.check(root, languages, templates=not no_templates)
        click.echo(f"{root.name}: {'complete' if not found else f'{len(found)} problem(s)'}")
        problems += found
    for problem in problems:
        click.echo(f"  {problem}")
    if problems:
        raise CliError(f"{len(problems)} translation problem(s)")


COMMANDS = [i18n]
