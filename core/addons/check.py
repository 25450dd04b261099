"""``addons check``: find addon mistakes statically, without importing addon code.

Importing an addon runs its code and drags in Flask-Admin, the PDF stack and
printer drivers; a check that an integrator runs on every save must answer in a
fraction of a second and must work on an addon too broken to import. So the
checks read manifests and parse source files with ``ast``:

- every import string resolves to an existing module and a top-level name in it,
  and points at the conventional module for its kind (``check_shape``);
- schedules name a function of a jobs module;
- an addon imports from, subscribes to events of, and references tables of only
  the addons it declares in ``depends`` / ``optional_depends`` (plus core);
- its tables carry its name as prefix, and every one is created by a revision in
  its own ``migrations/versions``.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .check_shape import misplaced_kinds
from .discovery import discover
from .errors import AddonError
from .graph import closure, demo_order
from .manifest import Manifest
from .migrate import owner_of, versions_dir

IDENT_RE = re.compile(r"[a-z][a-z0-9_]*")
COLUMN_REF_RE = re.compile(r"^([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*$")
CREATE_TABLE_RE = re.compile(r"create_table\(\s*['\"]([A-Za-z0-9_]+)['\"]")


def check_addons(config, only=None) -> tuple[list[tuple[str, str]], list[str]]:
    """Return (problems as (addon, message), names checked)."""
    try:
        manifests = discover(config["ADDONS_PATH"],
                             entry_point_group=None if config.get("DISABLE_ENTRY_POINTS") else "tessera.addons")
    except AddonError as exc:
        return [(_who(line), line) for line in exc.problems], []
    problems: list[tuple[str, str]] = []
    try:
        demo_order(manifests, manifests)  # the load order first, then the demos' order on top of it
    except AddonError as exc:
        problems.extend((_who(line), line) for line in exc.problems)
    names = sorted(manifests) if not only else list(only)
    for name in names:
        if name not in manifests:
            problems.append((name, f"not found (known: {', '.join(sorted(manifests)) or 'none'})"))
    names = [n for n in names if n in manifests]
    tables = {m.name: _declared_tables(m) for m in manifests.values()}
    table_owner = {t: addon for addon, ts in tables.items() for t in ts}
    for name in names:
        m = manifests[name]
        for message in _check_one(m, manifests, tables, table_owner):
            problems.append((name, message))
    return problems, names


def _who(line: str) -> str:
    word = re.split(r"[\s:(]", line.strip("'\""), maxsplit=1)[0]
    return word.strip("'\"") or "-"


def _check_one(m: Manifest, manifests, tables, table_owner) -> list[str]:
    out: list[str] = []
    # What an addon depends on is loaded before it, and so is everything that needs:
    # a dependency's own dependencies are as certain as the declared ones.
    allowed = {m.name, "core", *closure(manifests, [d for d in (*m.depends, *m.optional_depends) if d in manifests])}

    for key, target in m.provides.items():
        error = resolve_static(m, target)
        if error:
            out.append(f"provides.{key} = {target!r}: {error}")
    for sub in m.subscribes:
        error = resolve_static(m, sub.handler)
        if error:
            out.append(f"events.subscribe {sub.event} handler {sub.handler!r}: {error}")
        publishers = [n for n, other in manifests.items() if sub.event in other.publishes]
        namespace = sub.event.split(".")[0]
        if namespace == "core":
            continue
        if not publishers:
            out.append(f"subscribes to {sub.event!r}, which no addon publishes; declare it in the "
                       f"publisher's [events] publishes")
        elif not set(publishers) & allowed or (namespace in manifests and namespace not in allowed):
            owner = namespace if namespace in manifests else publishers[0]
            out.append(f"subscribes to {sub.event!r} of '{owner}' but does not declare '{owner}' in depends "
                       f"or optional_depends")
    for hook in m.webhooks:
        error = resolve_static(m, hook.payload)
        if error:
            out.append(f"webhooks {hook.event} payload {hook.payload!r}: {error}")
        if not any(hook.on in other.publishes for n, other in manifests.items() if n in allowed):
            out.append(f"webhooks {hook.event} follows {hook.on!r}, which neither '{m.name}' nor what it depends "
                       f"on publishes; fix 'on' or declare the event in [events] publishes")
    out.extend(misplaced_kinds(m))
    for spec in m.providers:
        error = resolve_static(m, spec.target)
        if error:
            out.append(f"providers {spec.kind}/{spec.code} target {spec.target!r}: {error}")
    out.extend(_check_schedules(m, manifests, allowed))
    out.extend(_check_sources(m, manifests, allowed, tables, table_owner))
    out.extend(_check_migrations(m, tables[m.name]))
    return out


# ---------------------------------------------------------------- import strings

def module_file(m: Manifest, module: str) -> Path | None:
    """The source file of ``module`` found without importing it (the addon's own modules by path)."""
    if module == m.package or module.startswith(m.package + "."):
        rel = [p for p in module[len(m.package):].split(".") if p]
        base = m.path.joinpath(*rel) if rel else m.path
        for candidate in (base.with_suffix(".py") if rel else None, base / "__init__.py"):
            if candidate is not None and candidate.is_file():
                return candidate
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return Path(spec.origin)


def _parse(path: Path):
    return _parse_at(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=512)
def _parse_at(path: Path, mtime_ns: int):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def top_level_names(tree) -> set[str]:
    """Names bound at module level, including inside top-level if/try blocks."""
    names: set[str] = set()

    def visit(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            names.add(sub.id)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add("*" if alias.name == "*" else (alias.asname or alias.name.split(".")[0]))
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, (ast.With, ast.For)):
                visit(node.body)
    visit(tree.body)
    return names


def resolve_static(m: Manifest, target: str) -> str | None:
    """Why ``target`` cannot be imported, or None when its module and attribute exist."""
    full = m.resolve(target)
    module, _, attr = full.partition(":")
    path = module_file(m, module)
    if path is None:
        return f"module {module!r} not found"
    try:
        tree = _parse(path)
    except SyntaxError as exc:
        return f"{path.name} line {exc.lineno}: syntax error ({exc.msg})"
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path}: cannot be read ({exc})"
    if attr:
        names = top_level_names(tree)
        first = attr.split(".")[0]
        if first not in names and "*" not in names and "__getattr__" not in names:
            return f"{module!r} has no attribute {first!r}"
    return None


def _check_schedules(m: Manifest, manifests, allowed) -> list[str]:
    out = []
    for schedule in m.schedules:
        owner, _, func = schedule.job.rpartition(".")
        owner = owner or m.name
        if owner not in manifests:
            out.append(f"schedule {schedule.name!r} runs {schedule.job!r}: no addon {owner!r}")
            continue
        if owner not in allowed:
            out.append(f"schedule {schedule.name!r} runs a job of '{owner}' but does not declare it in depends")
        jobs = manifests[owner].provides.get("jobs")
        if not jobs:
            out.append(f"schedule {schedule.name!r} runs {schedule.job!r} but '{owner}' has no [provides] jobs")
            continue
        path = module_file(manifests[owner], manifests[owner].resolve(jobs).partition(":")[0])
        try:
            defined = path is not None and func in top_level_names(_parse(path))
        except SyntaxError:
            continue  # reported by the import-string check
        if not defined:
            out.append(f"schedule {schedule.name!r} runs {schedule.job!r}, which is not a function in "
                       f"{owner}'s jobs module")
    return out


# ---------------------------------------------------------------- sources

def _python_files(m: Manifest):
    for path in sorted(m.path.rglob("*.py")):
        rel = path.relative_to(m.path).parts
        if "migrations" in rel or "__pycache__" in rel:
            continue
        yield path


def _module_of(m: Manifest, path: Path) -> tuple[str, bool]:
    rel = list(path.relative_to(m.path).with_suffix("").parts)
    is_package = rel[-1] == "__init__"
    if is_package:
        rel = rel[:-1]
    return ".".join([m.package, *rel]), is_package


@dataclass(frozen=True)
class FileFacts:
    """Imports and syntax of one source file: statements only, never a walk of every expression."""
    imports: tuple = ()      # (absolute module, line)
    error: str | None = None


TABLENAME_RE = re.compile(r"""__tablename__\s*(?::[^=\n]*)?=\s*["']([A-Za-z0-9_]+)["']""")
TABLE_CALL_RE = re.compile(r"""\bTable\(\s*["']([A-Za-z0-9_]+)["']""")


def _facts(m: Manifest, path: Path) -> FileFacts:
    return _facts_at(path, path.stat().st_mtime_ns, *_module_of(m, path))


def _statements(body):
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(node, name, ()) or ())
        for handler in getattr(node, "handlers", ()) or ():
            yield from _statements(handler.body)


@lru_cache(maxsize=1024)
def _facts_at(path: Path, mtime_ns: int, module_name: str, is_package: bool) -> FileFacts:
    try:
        tree = _parse(path)
    except SyntaxError as exc:
        return FileFacts(error=f"{exc.lineno}: syntax error ({exc.msg})")
    package = module_name if is_package else module_name.rpartition(".")[0]
    imports = []
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            imports.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                absolute = ".".join(base + ([node.module] if node.module else []))
            else:
                absolute = node.module or ""
            imports.append((absolute, node.lineno))
            imports.extend((f"{absolute}.{alias.name}", node.lineno) for alias in node.names)
    return FileFacts(tuple(imports))


@lru_cache(maxsize=256)
def _strings_at(path: Path, mtime_ns: int) -> tuple:
    """String constants that are not docstrings, with their line (one full AST walk)."""
    prose, out = set(), []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            prose.add(id(node.value))  # a docstring: prose may name any table
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            out.append((node.value, node.lineno))
    return tuple(out)


def _addon_of_module(module: str, manifests) -> str | None:
    best = None
    for name, other in manifests.items():
        if module == other.package or module.startswith(other.package + "."):
            if best is None or len(other.package) > len(manifests[best].package):
                best = name
    return best


def _check_sources(m: Manifest, manifests, allowed, tables, table_owner) -> list[str]:
    out, seen = [], set()

    def report(kind, other, path, line, message):
        key = (kind, other, path)
        if key not in seen:
            seen.add(key)
            out.append(f"{path.relative_to(m.path)}:{line}: {message}")

    undeclared = sorted((n for n in manifests if n not in allowed), key=len, reverse=True)
    # Only a file whose text names an undeclared addon can reference its tables: walk just those.
    suspicious = re.compile(r"\b(?:%s)" % "|".join(map(re.escape, undeclared))) if undeclared else None
    for path in _python_files(m):
        facts = _facts(m, path)
        if facts.error:
            out.append(f"{path.relative_to(m.path)}:{facts.error}")
            continue
        for module, line in facts.imports:
            other = _addon_of_module(module, manifests)
            if other and other not in allowed:
                report("import", other, path, line, f"imports from '{other}' ({module}) but does not declare "
                                                    f"'{other}' in depends or optional_depends")
        if suspicious is None or not suspicious.search(path.read_text(encoding="utf-8")):
            continue
        for value, line in _strings_at(path, path.stat().st_mtime_ns):
            for table, other in _referenced_tables(value, manifests, table_owner):
                if other not in allowed:
                    report("table", other, path, line,
                           f"references table {table!r} of '{other}' but does not declare '{other}' in depends "
                           f"or optional_depends")
    for table in sorted(tables[m.name]):
        if not table.startswith(m.name + "_"):
            out.append(f"table {table!r} must be prefixed with the addon name ('{m.name}_...') so migrations "
                       f"know whose it is")
    return out


def _referenced_tables(text: str, manifests, table_owner):
    found = {}
    match = COLUMN_REF_RE.match(text.strip())
    if match:
        owner = owner_of(match.group(1), manifests)
        if owner and owner != "core":
            found[match.group(1)] = owner
    for word in IDENT_RE.findall(text):
        if word in table_owner:
            found[word] = table_owner[word]
    return sorted(found.items())


def _declared_tables(m: Manifest) -> set[str]:
    """Tables an addon declares (``__tablename__`` / ``Table("...")``), read from its source."""
    out = set()
    for path in _python_files(m):
        if "tests" in path.relative_to(m.path).parts:
            continue
        text = path.read_text(encoding="utf-8")
        out.update(TABLENAME_RE.findall(text))
        out.update(TABLE_CALL_RE.findall(text))
    return out


def _check_migrations(m: Manifest, tables: set[str]) -> list[str]:
    if not tables:
        return []
    created = set()
    folder = versions_dir(m)
    if folder.is_dir():
        for path in folder.glob("*.py"):
            created.update(CREATE_TABLE_RE.findall(path.read_text(encoding="utf-8")))
    missing = sorted(tables - created)
    if not missing:
        return []
    if not created:
        return [f"has models ({', '.join(missing)}) but no migration; run "
                f"'python manage.py addons revision {m.name} -m initial'"]
    return [f"tables {', '.join(missing)} have no migration; run "
            f"'python manage.py addons revision {m.name} -m \"add {missing[0]}\"'"]
