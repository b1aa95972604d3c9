"""audits found by their planned visit: an index on audits.assignment_id

"My visits" leaves out every visit already reported and the visits board finds the
audit of each visit by `audits.assignment_id`; without an index each visit scanned
every audit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.create_index('ix_audits_assignment_id', ['assignment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_assignment_id')
