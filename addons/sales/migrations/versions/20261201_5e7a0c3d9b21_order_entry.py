"""order entry: shipping address snapshot and entry digest on orders

Revision ID: 5e7a0c3d9b21
Revises: 2792909e0c34
Create Date: 2026-12-01 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '5e7a0c3d9b21'
down_revision: Union[str, Sequence[str], None] = '2792909e0c34'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order') as batch:
        batch.add_column(sa.Column('shipping_address', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('entry_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_order') as batch:
        batch.drop_column('entry_digest')
        batch.drop_column('shipping_address')
