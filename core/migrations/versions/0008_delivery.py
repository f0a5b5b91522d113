"""Delivery: each send of a message, one delivery per recipient and channel (unique key), and suppressed addresses

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'messagesend',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=True),
        sa.Column('kind', TEXT(), nullable=False),
        sa.Column('channel', TEXT(), nullable=False),
        sa.Column('title', TEXT(), nullable=False),
        sa.Column('requested_by', TEXT(), nullable=False),
        sa.Column('requested_at', MOMENT(), nullable=False),
        sa.Column('local_time', TEXT(), nullable=True),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('cancelled_at', MOMENT(), nullable=True),
        sa.Column('cancelled_by', TEXT(), nullable=True),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_messagesend_draft_id', 'messagesend', ['draft_id'])
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', TEXT(), nullable=False),
        sa.Column('send_id', sa.Integer(), nullable=False),
        sa.Column('channel', TEXT(), nullable=False),
        sa.Column('recipient', TEXT(), nullable=False),
        sa.Column('member_id', TEXT(), nullable=True),
        sa.Column('timezone', TEXT(), nullable=False),
        sa.Column('language', TEXT(), nullable=False),
        sa.Column('subject', TEXT(), nullable=False),
        sa.Column('body', TEXT(), nullable=False),
        sa.Column('link', TEXT(), nullable=True),
        sa.Column('status', TEXT(), nullable=False),
        sa.Column('due_at', MOMENT(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_by', TEXT(), nullable=True),
        sa.Column('claimed_at', MOMENT(), nullable=True),
        sa.Column('sent_at', MOMENT(), nullable=True),
        sa.Column('answer', TEXT(), nullable=True),
        sa.Column('error', TEXT(), nullable=True),
        sa.ForeignKeyConstraint(['send_id'], ['messagesend.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_delivery_key'),
    )
    op.create_index('ix_delivery_status_due', 'delivery', ['status', 'due_at'])
    op.create_index('ix_delivery_send_id', 'delivery', ['send_id'])
    op.create_table(
        'suppression',
        sa.Column('channel', TEXT(), nullable=False),
        sa.Column('address', TEXT(), nullable=False),
        sa.Column('reason', TEXT(), nullable=False),
        sa.Column('at', MOMENT(), nullable=False),
        sa.Column('note', TEXT(), nullable=True),
        sa.PrimaryKeyConstraint('channel', 'address'),
    )


def downgrade() -> None:
    op.drop_table('suppression')
    op.drop_index('ix_delivery_send_id', table_name='delivery')
    op.drop_index('ix_delivery_status_due', table_name='delivery')
    op.drop_table('delivery')
    op.drop_index('ix_messagesend_draft_id', table_name='messagesend')
    op.drop_table('messagesend')
