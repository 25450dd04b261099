"""row-level security on every business-scoped table (PostgreSQL only)

The policies live in core.rls; later upgrades extend them to tables created
after this revision (addon tables included), so no addon revision has to.

Revision ID: 0130eb1bb519
Revises: 7a3c5e91b2d4
Create Date: 2026-12-01 09:45:00
"""
from typing import Sequence, Union

from alembic import op

from core import rls

revision: str = '0130eb1bb519'
down_revision: Union[str, Sequence[str], None] = '7a3c5e91b2d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        rls.enable(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        rls.disable(bind)
