"""Alembic revisions of this addon's branch (loaded by path, not imported)."""
