"""Survey responses: human overrides of sentiment and themes, and a version for optimistic locking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveyresponse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentiment_override', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('themes_override', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=sa.text('1')))


def downgrade() -> None:
    with op.batch_alter_table('surveyresponse', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('themes_override')
        batch_op.drop_column('sentiment_override')
