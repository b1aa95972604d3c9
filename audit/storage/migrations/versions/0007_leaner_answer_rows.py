"""leaner answer rows: no (item_key, failed) index, answers and section scores without rowid on SQLite

Every audit writes 36 or so answer rows and 7 section rows, so each B-tree an
answer row goes into is paid for on every submission. No query filters answers
by item key alone (each reaches them through their audit), so the index on
(item_key, failed) only cost writes. On SQLite both tables are stored in their
primary key's B-tree (WITHOUT ROWID) instead of a rowid table plus a separate
index on the same key: one insert per row instead of two. PostgreSQL ignores
that option.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_item_failed')
    if op.get_bind().dialect.name == 'sqlite':
        for table in ('answers', 'audit_sections'):
            with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_with_rowid': False}):
                pass


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in ('answers', 'audit_sections'):
            with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_with_rowid': True}):
                pass
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_item_failed', ['item_key', 'failed'], unique=False)
