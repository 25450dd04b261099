"""list indexes: payments filtered by kind or method, newest first

Revision ID: f2b1dfd13c4b
Revises: 5e7a0c3d9b21
Create Date: 2026-12-01 12:45:00

The payment list pages by keyset on (id) and filters by kind and method: each filter
needs an index that returns its rows already in that order (core/admin_keyset.py).
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'f2b1dfd13c4b'
down_revision: Union[str, Sequence[str], None] = '5e7a0c3d9b21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_sales_payment_business_kind', 'sales_payment', ['business_id', 'kind', 'id'])
    op.create_index('ix_sales_payment_business_method', 'sales_payment', ['business_id', 'method', 'id'])


def downgrade() -> None:
    op.drop_index('ix_sales_payment_business_method', table_name='sales_payment')
    op.drop_index('ix_sales_payment_business_kind', table_name='sales_payment')
