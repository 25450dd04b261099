"""regime tax lines (IEPS, withholdings) frozen with the document

Revision ID: 7c1e5a9d2b40
Revises: 5544bd7169ad
Create Date: 2026-12-01 17:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from addons.einvoice.immutability import drop_ddl, trigger_ddl

BEFORE = ['type', 'order_id', 'corrects_id', 'correction_reason', 'full_correction', 'buyer_agreement_ref', 'buyer_agreement_date', 'series', 'year', 'number', 'display_number', 'issue_date', 'due_date', 'payment_terms', 'early_discount_percent', 'early_discount_days', 'customer_po', 'currency', 'exchange_rate', 'language', 'seller', 'buyer', 'buyer_name', 'buyer_country', 'payment_method', 'notes', 'subtotal', 'tax_total', 'total', 'rounding', 'issued_at', 'business_id', 'created_at', 'prices_include_tax']
FROZEN_COLUMNS = BEFORE + ['tax_lines']

revision: str = '7c1e5a9d2b40'
down_revision: Union[str, Sequence[str], None] = '5544bd7169ad'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_ddl(dialect):
        op.execute(statement)
    with op.batch_alter_table('einvoice_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_lines', sa.JSON(), nullable=True))
    for statement in trigger_ddl(dialect, FROZEN_COLUMNS):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_ddl(dialect):
        op.execute(statement)
    with op.batch_alter_table('einvoice_document', schema=None) as batch_op:
        batch_op.drop_column('tax_lines')
    for statement in trigger_ddl(dialect, BEFORE):
        op.execute(statement)
