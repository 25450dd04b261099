"""list indexes: orders filtered by fulfilment, currency or due date

Revision ID: 4b0de4cd0e67
Revises: f2b1dfd13c4b
Create Date: 2026-12-01 14:00:00

The order list's Fulfilment and Currency filters (and the home page's chart, which links to
Currency) are equalities: (business_id, column, created_at) hands their rows over already in
the list's default order. "Due date" is a range (before a day, the overdue tile): it is read as
a range of (business_id, due_date) and only the matching orders are sorted.
"""
from typing import Sequence, Union

from alembic import op


revision: str = '4b0de4cd0e67'
down_revision: Union[str, Sequence[str], None] = 'f2b1dfd13c4b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_sales_order_business_fulfilment_created', 'sales_order',
                    ['business_id', 'fulfilment_status', 'created_at'])
    op.create_index('ix_sales_order_business_currency_created', 'sales_order', ['business_id', 'currency', 'created_at'])
    op.create_index('ix_sales_order_business_due_date', 'sales_order', ['business_id', 'due_date'])


def downgrade() -> None:
    op.drop_index('ix_sales_order_business_due_date', table_name='sales_order')
    op.drop_index('ix_sales_order_business_currency_created', table_name='sales_order')
    op.drop_index('ix_sales_order_business_fulfilment_created', table_name='sales_order')
