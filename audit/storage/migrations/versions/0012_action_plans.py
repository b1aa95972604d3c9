"""action plans: a store's plan after a weak audit, its failed behaviours and its history

One plan not closed per store: `open_store_id` holds the store's id until the plan closes
(unique; NULLs do not clash on either database).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import audit.storage.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('open_store_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('respond_by', sa.Date(), nullable=False),
    sa.Column('submitted_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.Column('decided_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.Column('closed_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.Column('return_note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['open_store_id'], ['stores.id'], ),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_store_id')
    )
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plans_store_id'), ['store_id'], unique=False)

    op.create_table('plan_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('audit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plan_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_events_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), server_default='', nullable=False),
    sa.Column('found_audit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('found_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('action', sa.Text(), server_default='', nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('verification', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('verified_audit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('verified_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['found_audit_id'], ['audits.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], ),
    sa.ForeignKeyConstraint(['verified_audit_id'], ['audits.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'item_key', name='uq_plan_items_plan_item')
    )
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_items_plan_id'), ['plan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_items_plan_id'))

    op.drop_table('plan_items')
    with op.batch_alter_table('plan_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_events_plan_id'))

    op.drop_table('plan_events')
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_plans_store_id'))

    op.drop_table('action_plans')
