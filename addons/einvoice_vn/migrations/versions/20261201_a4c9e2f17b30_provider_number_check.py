"""provider number check: the provider's template+symbol and a mismatch flag

Revision ID: a4c9e2f17b30
Revises: 7ef8fa7d13d8
Create Date: 2026-12-01 20:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'a4c9e2f17b30'
down_revision: Union[str, Sequence[str], None] = '7ef8fa7d13d8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('einvoice_vn_invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_series', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('number_mismatch', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('einvoice_vn_invoice', schema=None) as batch_op:
        batch_op.drop_column('number_mismatch')
        batch_op.drop_column('provider_series')
