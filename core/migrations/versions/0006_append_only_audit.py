"""The audit trail is append-only: the database refuses UPDATE and DELETE on auditevent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

REFUSAL = "the audit trail is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("CREATE TRIGGER auditevent_no_change BEFORE UPDATE OR DELETE ON auditevent "
                   "FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()")
        op.execute("CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
                   "FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER auditevent_no_{verb.lower()} BEFORE {verb} ON auditevent "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auditevent_no_truncate ON auditevent")
        op.execute("DROP TRIGGER auditevent_no_change ON auditevent")
        op.execute("DROP FUNCTION auditevent_append_only()")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER auditevent_no_{verb}")
