"""Planning: a roster of shifts (who works which hours, in-house or per vendor) and the handling time of queue items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 09:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'roster',
        sa.Column('shift_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('person', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('vendor', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('starts_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('shift_id'),
    )
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.create_index('ix_roster_starts_at', ['starts_at'], unique=False)
    with op.batch_alter_table('queueitem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handle_seconds', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queueitem', schema=None) as batch_op:
        batch_op.drop_column('handle_seconds')
    op.drop_table('roster')
