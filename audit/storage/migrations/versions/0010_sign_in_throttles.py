"""sign-in throttles: failures counted per email, client address and known device

Counted with a row lock taken before the password is checked, so concurrent attempts
cannot all pass; replaces counting sign_in_failed events, which a successful sign-in
reset and concurrent attempts all read before any was written.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import audit.storage.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_throttles',
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('clear_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('last_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'subject')
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_clear_at'), ['clear_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_clear_at'))

    op.drop_table('sign_in_throttles')
