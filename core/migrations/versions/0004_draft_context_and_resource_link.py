"""Comms studio: a draft's fill-in context, unapplied (conflicting) revisions, a link per resource

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 11:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('draftrevision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applied', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('base_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_column('url')
    with op.batch_alter_table('draftrevision', schema=None) as batch_op:
        batch_op.drop_column('base_version')
        batch_op.drop_column('applied')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_column('context')
