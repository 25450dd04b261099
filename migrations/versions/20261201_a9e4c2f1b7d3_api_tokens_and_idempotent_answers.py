"""REST API: tokens of a business and the answers kept for Idempotency-Key

Revision ID: a9e4c2f1b7d3
Revises: 0130eb1bb519
Create Date: 2026-12-01 15:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'a9e4c2f1b7d3'
down_revision: Union[str, Sequence[str], None] = '0130eb1bb519'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('core_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_core_api_token_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by'], ['core_user.id'], name=op.f('fk_core_api_token_created_by_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_core_api_token_token_hash'))
    )
    with op.batch_alter_table('core_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_token_business_id'), ['business_id'], unique=False)
        batch_op.create_index('ix_core_api_token_business_created', ['business_id', 'created_at'], unique=False)

    op.create_table('core_api_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_core_api_idempotency_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['token_id'], ['core_api_token.id'], name=op.f('fk_core_api_idempotency_token_id_core_api_token'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_idempotency')),
    sa.UniqueConstraint('business_id', 'token_id', 'key', name=op.f('uq_core_api_idempotency_business_id'))
    )
    with op.batch_alter_table('core_api_idempotency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_idempotency_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_api_idempotency_token_id'), ['token_id'], unique=False)
        batch_op.create_index('ix_core_api_idempotency_business_created', ['business_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('core_api_idempotency')
    op.drop_table('core_api_token')
