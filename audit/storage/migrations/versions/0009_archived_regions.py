"""regions can be archived, as stores can

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('archived')
