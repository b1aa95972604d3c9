"""store managers: a fourth role, tied to the stores it looks after

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_stores',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'store_id')
    )
    with op.batch_alter_table('user_stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_stores_store_id'), ['store_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_role', type_='check')
        batch_op.create_check_constraint('ck_users_role', "role IN ('owner', 'manager', 'shopper', 'store')")


def downgrade() -> None:
    op.execute("DELETE FROM user_stores")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_role', type_='check')
        batch_op.create_check_constraint('ck_users_role', "role IN ('owner', 'manager', 'shopper')")
    with op.batch_alter_table('user_stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_stores_store_id'))
    op.drop_table('user_stores')
