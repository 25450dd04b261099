"""Is the database schema up to date? Answered from the revision files' text and the version
table, without Alembic.

``create_app`` (and every production process) refuses a database with pending
migrations, so this is asked at every start-up; importing Alembic and building its
revision map for the answer "nothing pending" cost about 0.3 s. ``core.addons.migrate``
asks here first and only falls back to Alembic when the answer is not a plain yes.
"""
from __future__ import annotations

import ast
import re


_HEAD_END = re.compile(r"^(?=def |async def |class |@)", re.MULTILINE)   # the first top-level definition


def _identifiers(tree) -> dict | None:
    """revision, down_revision and depends_on assigned at the top level of ``tree``; None when one
    is not a literal."""
    values = {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else \
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision", "depends_on"):
            try:
                values[target.id] = ast.literal_eval(node.value)
            except ValueError:
                return None
    return values


def _head_identifiers(text: str, name: str) -> dict | None:
    head = _HEAD_END.split(text, 1)[0]
    if head == text:
        return None
    try:
        return _identifiers(ast.parse(head, name))
    except SyntaxError:     # the cut fell inside a string (a docstring line starting "class "...)
        return None


def graph_on_disk(folders) -> dict[str, set[str]] | None:
    """{revision: its parents (down revisions and depends_on)} read from the revision files'
    text, without importing Alembic; None when a file is not in the plain generated form
    (the caller then asks Alembic)."""
    graph = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.glob("*.py"):
            try:
                text = path.read_text(encoding="utf-8")
                # The identifiers stand above upgrade(): parsing only that head skips the bulk of the
                # file (the migration's operations), most of this check's time; a file whose head
                # does not name its revision is parsed whole, as before.
                values = _head_identifiers(text, str(path))
                if values is None or "revision" not in values:
                    values = _identifiers(ast.parse(text, str(path)))
            except (OSError, SyntaxError, ValueError):
                return None
            if values is None:
                return None
            revision = values.get("revision")
            if not isinstance(revision, str) or revision in graph:
                return None
            parents = set()
            for key in ("down_revision", "depends_on"):
                value = values.get(key)
                if isinstance(value, str):
                    parents.add(value)
                elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                    parents.update(value)
                elif value is not None:
                    return None
            graph[revision] = parents
    return graph


def up_to_date(runtime, folders, version_table: str) -> bool:
    """True when the version table holds exactly the heads of the revisions on disk, which
    means every revision is applied (each recorded head implies all its ancestors).

    Checked on every start-up (``create_app``), so it reads the revision files and the
    version table directly: importing Alembic and building its revision map costs about
    0.3 s. False means "ask Alembic" (``pending``), not necessarily "out of date"."""
    from sqlalchemy import inspect, text
    graph = graph_on_disk(folders)
    if not graph:
        return False
    heads = set(graph) - set().union(*graph.values())
    with runtime.db.engine.connect() as conn:
        if not inspect(conn).has_table(version_table):
            return False
        recorded = {row[0] for row in conn.execute(text(f"SELECT version_num FROM {version_table}"))}
    return recorded == heads
