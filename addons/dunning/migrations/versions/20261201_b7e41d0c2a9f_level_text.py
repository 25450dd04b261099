"""level texts: the merchant's own subject and body per reminder level and language

Revision ID: b7e41d0c2a9f
Revises: 9d2f4c1a7b3e
Create Date: 2026-12-01 19:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = 'b7e41d0c2a9f'
down_revision: Union[str, Sequence[str], None] = '9d2f4c1a7b3e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('dunning_level_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("language IN ('en', 'ko', 'vi', 'zh', 'ru', 'es')",
                       name=op.f('ck_dunning_level_text_language')),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'],
                            name=op.f('fk_dunning_level_text_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['level_id'], ['dunning_level.id'],
                            name=op.f('fk_dunning_level_text_level_id_dunning_level'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_level_text')),
    sa.UniqueConstraint('level_id', 'language', name=op.f('uq_dunning_level_text_level_id_language'))
    )
    with op.batch_alter_table('dunning_level_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dunning_level_text_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dunning_level_text_level_id'), ['level_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dunning_level_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dunning_level_text_level_id'))
        batch_op.drop_index(batch_op.f('ix_dunning_level_text_business_id'))
    op.drop_table('dunning_level_text')
