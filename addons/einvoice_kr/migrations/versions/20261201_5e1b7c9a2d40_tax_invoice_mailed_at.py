"""tax invoice mailed_at

Revision ID: 5e1b7c9a2d40
Revises: 0204f3d429a2
Create Date: 2026-12-01 20:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '5e1b7c9a2d40'
down_revision: Union[str, Sequence[str], None] = '0204f3d429a2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('einvoice_kr_tax_invoice') as batch_op:
        batch_op.add_column(sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('einvoice_kr_tax_invoice') as batch_op:
        batch_op.drop_column('mailed_at')
