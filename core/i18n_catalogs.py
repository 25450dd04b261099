"""Translation catalogs: extract, update, compile and check core's and each addon's.

Every catalog has the same layout, like an Odoo addon's ``i18n/``::

    <root>/translations/babel.cfg                       what to extract (paths relative to <root>)
    <root>/translations/messages.pot                    the extracted msgids (committed)
    <root>/translations/<lang>/LC_MESSAGES/messages.po  one per language in core.i18n.LANGUAGES
    <root>/translations/<lang>/LC_MESSAGES/messages.mo  compiled (committed: the app never compiles)

``<root>`` is ``core/`` for core and ``addons/<name>/`` for an addon. This module
is what ``python manage.py i18n update|compile|check`` and
``tests/test_translations.py`` run, so the command and the test can never
disagree about what "complete" means. It uses Babel's API directly (not the
``pybabel`` command line) and imports nothing of Flask.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import LANGUAGES

CORE_ROOT = Path(__file__).parent
DOMAIN = "messages"
PROJECT = "Tessera"

# ``_l`` is core.i18n's lazy gettext; the others are Babel's defaults (gettext, ngettext, ...).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}

# What a new addon catalog extracts when it has no babel.cfg yet: its Python, its templates.
DEFAULT_BABEL_CFG = """\
# What 'python manage.py i18n update' extracts into this catalog; paths are relative to the addon.
[python: **.py]
[jinja2: templates/**.html]
[jinja2: templates/**.txt]
"""

# %(name)s, %s, %d, %%: what python-format strings substitute; a translation must keep the same set.
_PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")


@dataclass(frozen=True)
class CatalogRoot:
    """One catalog: core's or an addon's. ``root`` is the directory the babel.cfg paths start from."""

    name: str
    root: Path

    @property
    def directory(self) -> Path:
        return self.root / "translations"

    @property
    def cfg(self) -> Path:
        return self.directory / "babel.cfg"

    @property
    def pot(self) -> Path:
        return self.directory / f"{DOMAIN}.pot"

    def po(self, lang: str) -> Path:
        return self.directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"

    def mo(self, lang: str) -> Path:
        return self.directory / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def catalog_roots(manifests=None) -> list[CatalogRoot]:
    """Core first, then every discovered addon in load order (whether or not it has a catalog yet)."""
    if manifests is None:
        from .addons.registry import Registry
        manifests = Registry.discover().manifests.values()
    return [CatalogRoot("core", CORE_ROOT)] + [CatalogRoot(m.name, Path(m.path)) for m in manifests]


def find_root(name: str, manifests=None) -> CatalogRoot:
    """The catalog named ``name`` ('core' or an addon), or ValueError listing the known ones."""
    roots = catalog_roots(manifests)
    for root in roots:
        if root.name == name:
            return root
    raise ValueError(f"'{name}' is not core or an addon here (known: {', '.join(r.name for r in roots)})")


# ---------------------------------------------------------------- extract

def _method_map(root: CatalogRoot):
    text = root.cfg.read_text("utf-8") if root.cfg.is_file() else DEFAULT_BABEL_CFG
    method_map, options_map = parse_mapping_cfg(StringIO(text), filename=str(root.cfg))
    return method_map, options_map


def extract(root: CatalogRoot) -> Catalog:
    """A fresh template catalog of every string marked under ``root`` (as ``pybabel extract`` would)."""
    method_map, options_map = _method_map(root)
    catalog = Catalog(project=PROJECT, version="0.1", charset="utf-8", fuzzy=False)
    skip = {"translations", "__pycache__", "node_modules", ".git"}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root.root), method_map, options_map, keywords=KEYWORDS,
            comment_tags=("Translators:",), strip_comment_tags=True,
            directory_filter=lambda d: Path(d).name not in skip):
        catalog.add(message, None, [(filename.replace("\\", "/"), lineno)], auto_comments=comments,
                    context=context)
    if root.name != "core":
        for message, comment in manifest_strings(root):
            catalog.add(message, None, [("addon.toml", 1)], auto_comments=[comment])
    return catalog


def manifest_strings(root: CatalogRoot) -> list[tuple[str, str]]:
    """What people read of an addon that its manifest says: its title (``label``, else its
    name), its summary (the Addons screen) and each setting's label and help (the settings
    screen)."""
    strings = []
    if (root.root / "addon.toml").is_file():
        from .addons.errors import AddonError
        from .addons.manifest import read_manifest
        try:
            manifest = read_manifest(root.root / "addon.toml", root.name)
        except AddonError:  # a broken manifest is 'addons check''s to report; its strings wait for the fix
            return strings
        strings.append((manifest.title, "The addon's name (the Addons and settings screens)"))
        if manifest.summary:
            strings.append((manifest.summary, "The addon's summary (the Addons screen)"))
        for spec in manifest.settings:
            strings.append((spec.label, f"Label of the setting {spec.key}"))
            if spec.help:
                strings.append((spec.help, f"Help of the setting {spec.key}"))
    return strings


def msgids(catalog: Catalog) -> set:
    """The (context, msgid) keys of a catalog, without the header entry."""
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}


def needs_catalog(root: CatalogRoot) -> bool:
    """Anything to translate: admin screens, templates, marked strings, or a catalog already there."""
    return (root.directory.is_dir() or (root.root / "templates").is_dir() or (root.root / "admin.py").is_file()
            or bool(msgids(extract(root))))


# ---------------------------------------------------------------- update / compile

def _read_po(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


_DATE_LINE = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.M)


def _write_po(path: Path, catalog: Catalog, **options):
    """Write a .po/.pot, but leave the file alone when only its header dates would change:
    'i18n update' over every catalog must not touch the catalogs nobody changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = BytesIO()
    write_po(buf, catalog, width=100, **options)
    new = buf.getvalue()
    if path.is_file() and _DATE_LINE.sub(b"", path.read_bytes()) == _DATE_LINE.sub(b"", new):
        return
    path.write_bytes(new)


def update(root: CatalogRoot, languages=LANGUAGES) -> dict:
    """Extract into messages.pot and merge it into each language's .po (created when missing).

    New msgids arrive untranslated (``en`` gets msgstr = msgid, since the source
    text is English); changed ones arrive fuzzy with the old translation, for a
    translator to confirm; gone ones are dropped. Returns {lang: untranslated count}.
    """
    if not root.cfg.is_file():
        root.directory.mkdir(parents=True, exist_ok=True)
        root.cfg.write_text(DEFAULT_BABEL_CFG, "utf-8")
    template = extract(root)
    _write_po(root.pot, _sorted(template))
    counts = {}
    for lang in languages:
        path = root.po(lang)
        if path.is_file():
            catalog = _read_po(path, lang)
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=False, update_header_comment=False)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project=PROJECT, version="0.1", charset="utf-8",
                              fuzzy=False)
            catalog.update(copy.deepcopy(template))  # update() adopts the template's Message objects
        catalog.obsolete.clear()
        if lang == "en":
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
                    message.flags.discard("fuzzy")
        _write_po(path, _sorted(catalog, catalog.locale))
        counts[lang] = sum(1 for m in catalog if m.id and not _translated(m))
    if root.name == "core":
        copy_flask_admin_catalogs()
    return counts


def _sorted(catalog: Catalog, locale=None) -> Catalog:
    """The same catalog with messages ordered by msgid: diffs stay small whatever order files are walked."""
    out = Catalog(locale=locale, domain=DOMAIN, project=PROJECT, version="0.1", charset="utf-8", fuzzy=False,
                  creation_date=catalog.creation_date)
    out.mime_headers = catalog.mime_headers
    for message in sorted((m for m in catalog if m.id), key=lambda m: (str(m.id), m.context or "")):
        message.locations = sorted(message.locations)
        out[message.id] = message  # keyed by (id, context): Catalog reads the context off the message
    return out


def compile_catalog(root: CatalogRoot, languages=LANGUAGES) -> list[str]:
    """Write each existing .po's .mo (fuzzy entries are left out, as gettext does); returns languages compiled."""
    done = []
    for lang in languages:
        path = root.po(lang)
        if not path.is_file():
            continue
        catalog = _read_po(path, lang)
        with root.mo(lang).open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        done.append(lang)
    return done


# ---------------------------------------------------------------- check

def _translated(message) -> bool:
    if "fuzzy" in message.flags:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings)


def placeholders(text: str) -> list[str]:
    return sorted(p for p in _PLACEHOLDER.findall(text or "") if p != "%%")


def check_pot(root: CatalogRoot) -> list[str]:
    """(a) The committed messages.pot holds exactly what a fresh extraction finds."""
    fresh = msgids(extract(root))
    if not root.pot.is_file():
        return [f"{root.name}: no {_rel(root.pot)}; "
                f"run 'python manage.py i18n update {root.name}'"] if fresh else []
    with root.pot.open("rb") as f:
        committed = msgids(read_po(f))
    problems = [f"{root.name}: marked but not in messages.pot: {_show(k)}" for k in sorted(fresh - committed, key=str)]
    problems += [f"{root.name}: in messages.pot but no longer marked: {_show(k)}"
                 for k in sorted(committed - fresh, key=str)]
    if problems:
        problems.append(f"{root.name}: run 'python manage.py i18n update {root.name}'")
    return problems


def check_po(root: CatalogRoot, lang: str) -> list[str]:
    """(b) Every msgid of messages.pot has a non-empty, non-fuzzy msgstr in ``lang`` with the same placeholders."""
    if not root.pot.is_file():
        return [f"{root.name}: no messages.pot"]
    path = root.po(lang)
    if not path.is_file():
        return [f"{root.name}/{lang}: no {path.name}; run 'python manage.py i18n update {root.name}'"]
    with root.pot.open("rb") as f:
        template = read_po(f)
    catalog = _read_po(path, lang)
    problems = []
    for entry in template:
        if not entry.id:
            continue
        message = catalog.get(entry.id, context=entry.context)
        if message is None:
            problems.append(f"{root.name}/{lang}: missing {_show((entry.context, entry.id))}")
            continue
        if not _translated(message):
            why = "fuzzy" if "fuzzy" in message.flags else "untranslated"
            problems.append(f"{root.name}/{lang}: {why} {_show((entry.context, entry.id))}")
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        want = placeholders(ids[-1])
        for s in strings:
            if placeholders(s) != want:
                problems.append(f"{root.name}/{lang}: placeholders {placeholders(s)} != {want} in "
                                f"{_show((entry.context, entry.id))}")
    return problems


def check_mo(root: CatalogRoot, lang: str) -> list[str]:
    """(c) The committed .mo holds exactly the translations of the current .po."""
    po, mo = root.po(lang), root.mo(lang)
    if not po.is_file():
        return []
    if not mo.is_file():
        return [f"{root.name}/{lang}: no {mo.name}; run 'python manage.py i18n compile {root.name}'"]
    want = {(m.context, _key(m.id)): _key(m.string) for m in _read_po(po, lang) if m.id and _translated(m)}
    with mo.open("rb") as f:
        have = {(m.context, _key(m.id)): _key(m.string) for m in read_mo(f) if m.id}
    if want != have:
        return [f"{root.name}/{lang}: {mo.name} is not compiled from the current {po.name}; "
                f"run 'python manage.py i18n compile {root.name}'"]
    return []


def check(root: CatalogRoot, languages=LANGUAGES, templates: bool = True) -> list[str]:
    """Everything ``i18n check`` and the test demand of one catalog; [] when complete."""
    if not needs_catalog(root):
        return []
    if root.name == "core":
        problems_admin = check_flask_admin()
    else:
        problems_admin = []
    if root.pot.is_file():
        problems = check_pot(root)
        for lang in languages:
            problems += check_po(root, lang) + check_mo(root, lang)
    else:
        problems = [f"{root.name}: no catalog ({_rel(root.pot)}); "
                    f"run 'python manage.py i18n update {root.name}'"]
    problems += problems_admin
    if templates:
        from .i18n_templates import untranslated_literals
        for path in template_files(root):
            problems += [f"{root.name}: {p}" for p in untranslated_literals(path, base=CORE_ROOT.parent)]
    return problems


def template_files(root: CatalogRoot) -> list[Path]:
    """Core's web, mail and document templates, or an addon's ``templates/``."""
    dirs = [root.root / "web" / "templates", root.root / "templates"] if root.name == "core" \
        else [root.root / "templates"]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*") if p.suffix in (".html", ".txt"))


# ---------------------------------------------------------------- Flask-Admin's own strings

# Flask-Admin ships its buttons, filters and messages (domain "admin") in ko, vi, ru and es
# under those names, but simplified Chinese as zh_Hans_CN, which a 'zh' locale never finds.
# Core keeps a copy under its own name in core/translations (Admin(translations_path=...)).
FLASK_ADMIN_LOCALES = {"zh": "zh_Hans_CN"}
ADMIN_DOMAIN = "admin"


def flask_admin_catalog(lang: str) -> Path:
    import flask_admin.translations
    name = FLASK_ADMIN_LOCALES.get(lang, lang)
    return Path(flask_admin.translations.__path__[0]) / name / "LC_MESSAGES" / f"{ADMIN_DOMAIN}.po"


def copy_flask_admin_catalogs() -> list[str]:
    """Copy (and compile) Flask-Admin's catalog of each language it names differently; returns them."""
    done = []
    for lang, name in FLASK_ADMIN_LOCALES.items():
        with flask_admin_catalog(lang).open("rb") as f:
            catalog = read_po(f, locale=lang, domain=ADMIN_DOMAIN)
        catalog.header_comment = (f"# Flask-Admin's own strings in {lang}: a copy of its {name} catalog (BSD licence),\n"
                                  f"# made by 'python manage.py i18n update core' because Flask-Admin's locale name\n"
                                  f"# differs from Tessera's. Do not edit: it is overwritten.")
        target = CORE_ROOT / "translations" / lang / "LC_MESSAGES" / f"{ADMIN_DOMAIN}.po"
        _write_po(target, catalog)
        with target.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        done.append(lang)
    return done


def check_flask_admin() -> list[str]:
    """Our copies hold every translated msgid of Flask-Admin's catalog (a Flask-Admin upgrade may add some)."""
    problems = []
    for lang in FLASK_ADMIN_LOCALES:
        target = CORE_ROOT / "translations" / lang / "LC_MESSAGES" / f"{ADMIN_DOMAIN}.mo"
        if not target.is_file():
            problems.append(f"core/{lang}: no Flask-Admin catalog {_rel(target)}; run 'python manage.py i18n update core'")
            continue
        with flask_admin_catalog(lang).open("rb") as f:
            want = {_key(m.id): _key(m.string) for m in read_po(f) if m.id and _translated(m)}
        with target.open("rb") as f:
            have = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
        if want != have:
            problems.append(f"core/{lang}: {_rel(target)} differs from Flask-Admin's {FLASK_ADMIN_LOCALES[lang]} "
                            f"catalog; run 'python manage.py i18n update core'")
    return problems


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(CORE_ROOT.parent))
    except ValueError:
        return str(path)


def _key(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def _show(key) -> str:
    context, msgid = key
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return repr(text) + (f" (context {context!r})" if context else "")
