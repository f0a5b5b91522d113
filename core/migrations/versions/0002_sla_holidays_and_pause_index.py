"""SLA policy holidays; queue events indexed by status for pause lookups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('slapolicy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holidays', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table('queueevent', schema=None) as batch_op:
        batch_op.create_index('ix_queue_event_status_item', ['status', 'item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('queueevent', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_event_status_item')
    with op.batch_alter_table('slapolicy', schema=None) as batch_op:
        batch_op.drop_column('holidays')
