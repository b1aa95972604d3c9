"""report jobs: reports and ZIPs made in the background, their progress and their files

And the queue's tables (huey's PostgresStorage with the prefix report_queue), made here
rather than by every server process at start; used on PostgreSQL only, since on SQLite the
queue is a file of its own beside the database (see services/reports/jobs.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import audit.storage.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('report_jobs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('preset', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('checklist', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('started_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', audit.storage.models.UTCDateTime(), nullable=False),
    sa.Column('finished_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.Column('expires_at', audit.storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_jobs_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_jobs_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_jobs_heartbeat_at'), ['heartbeat_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_jobs_expires_at'), ['expires_at'], unique=False)

    op.create_table('report_job_chunks',
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['report_jobs.id'], ),
    sa.PrimaryKeyConstraint('job_id', 'attempt', 'seq')
    )
    # huey's PostgresStorage task table, as its DDL makes it (used on PostgreSQL only)
    op.create_table('report_queue_task',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('queue', sa.Text(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('priority', sa.Double(), server_default='0.0', nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('report_queue_task_queue_priority_id', 'report_queue_task',
                    ['queue', 'priority', 'id'], unique=False)
    op.create_table('report_queue_kv',
    sa.Column('queue', sa.Text(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('queue', 'key')
    )


def downgrade() -> None:
    op.drop_table('report_queue_kv')
    op.drop_index('report_queue_task_queue_priority_id', table_name='report_queue_task')
    op.drop_table('report_queue_task')
    op.drop_table('report_job_chunks')
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_jobs_expires_at'))
        batch_op.drop_index(batch_op.f('ix_report_jobs_heartbeat_at'))
        batch_op.drop_index(batch_op.f('ix_report_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_report_jobs_user_id'))

    op.drop_table('report_jobs')
