"""reminder charge document: the fee and interest booked when the customer paid them

Revision ID: 9d2f4c1a7b3e
Revises: 3ca5fb6efeab
Create Date: 2026-12-01 17:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '9d2f4c1a7b3e'
down_revision: Union[str, Sequence[str], None] = '3ca5fb6efeab'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dunning_reminder') as batch:
        batch.add_column(sa.Column('charge_document_id', sa.Integer(), nullable=True))
        batch.create_unique_constraint('uq_dunning_reminder_charge_document_id', ['charge_document_id'])
        batch.create_foreign_key('fk_dunning_reminder_charge_document_id_einvoice_document', 'einvoice_document',
                                 ['charge_document_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('dunning_reminder') as batch:
        batch.drop_constraint('fk_dunning_reminder_charge_document_id_einvoice_document', type_='foreignkey')
        batch.drop_constraint('uq_dunning_reminder_charge_document_id', type_='unique')
        batch.drop_column('charge_document_id')
