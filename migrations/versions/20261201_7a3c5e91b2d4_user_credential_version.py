"""user credential version: logout and password changes end every session

Revision ID: 7a3c5e91b2d4
Revises: d13663ae0f26
Create Date: 2026-12-01 09:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '7a3c5e91b2d4'
down_revision: Union[str, Sequence[str], None] = 'd13663ae0f26'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('credential_version')
