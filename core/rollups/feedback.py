"""Roll-ups for the feedback area (see `core.rollups`): community messages, pre-joined and pre-resolved.

Two narrow tables, one row per community message and one per (message, theme) it mentions, with
the author's segments copied in and the effective sentiment and themes (a specialist's
correction wins) already resolved. Staff, bots and staff-authored messages are left out, as
every feedback view leaves them out. The views aggregate them in SQL (`core.metrics.feedback`).

Why per message and not per day: sentiment windows are 7-day spans ending at the data's "now"
(any second of a day), so day buckets could not reproduce the numbers exactly; a narrow,
index-covered row per message lets a GROUP BY cut windows at the exact moment, and never
reads the message text or joins the member table.
"""

import datetime as dt

from sqlalchemy import (Column, Connection, Float, Index, Integer, MetaData, String, Table, and_, delete, false, func,
                        insert, not_, select, text)

from core.models import Feedback, Member

NAME = "feedback"
VERSION = 4
ENTITIES: frozenset[str] = frozenset({"feedback", "members"})
METADATA = MetaData()  # this area's roll-up tables

# Above this many changed ids a full rebuild is quicker than deleting and re-inserting them.
FULL_REBUILD_IDS = 20_000
_CHUNK = 5_000

_created = Feedback.__table__.c.created_at.type

messages = Table(
    "rollup_feedback_message", METADATA,
    Column("feedback_id", String, primary_key=True),
    Column("created_at", _created, nullable=False),
    Column("channel", String),
    Column("project_id", String),
    Column("member_id", String),
    Column("region", String),
    Column("country", String),
    Column("language", String),
    Column("vendor", String),
    Column("tenure_band", String),
    Column("sentiment", Float),  # computed (NULL = not scored, e.g. another language)
    Column("score", Float),      # effective: the correction where there is one
    Column("triage_status", String),
    # covering: counts, sentiment sums and unscored languages never read the table itself
    Index("ix_rollup_feedback_message_scope", "created_at", "project_id", "region", "channel", "score", "sentiment",
          "language", "triage_status"),
    Index("ix_rollup_feedback_message_member", "member_id"),
)

mentions = Table(
    "rollup_feedback_mention", METADATA,
    Column("feedback_id", String, primary_key=True),
    Column("theme", String, primary_key=True),
    Column("created_at", _created, nullable=False),
    Column("channel", String),
    Column("project_id", String),
    Column("member_id", String),
    Column("region", String),
    Column("score", Float),
    Column("text_length", Integer),  # of the raw text: quotes are picked without reading every text
    Index("ix_rollup_feedback_mention_scope", "created_at", "theme", "project_id", "region", "channel", "score"),
    # covering for one theme's quotes and authors
    Index("ix_rollup_feedback_mention_theme", "theme", "created_at", "project_id", "region", "channel", "score",
          "text_length", "member_id"),
    Index("ix_rollup_feedback_mention_member", "member_id"),
)


def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""
    _insert(connection, None, None)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None) -> None:
    """Re-derive the rows of the changed messages (feedback ids) or authors (member ids); all without ids."""
    if ids is None or len(ids) > FULL_REBUILD_IDS:
        for table in (mentions, messages):
            connection.execute(table.delete())
        rebuild(connection)
        return
    # Ids are feedback ids after a feedback write and member ids after a member write. Ids that are
    # all stored messages need no pass by author (which scans the messages: they have no author index).
    source = Feedback.__table__
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        found = set(connection.execute(select(source.c.feedback_id).where(source.c.feedback_id.in_(chunk))).scalars())
        for column in ("feedback_id", "member_id") if len(found) < len(set(chunk)) else ("feedback_id",):
            connection.execute(delete(mentions).where(mentions.c[column].in_(chunk)))
            connection.execute(delete(messages).where(messages.c[column].in_(chunk)))
            _insert(connection, column, chunk)


def _insert(connection: Connection, column: str | None, chunk: list[str] | None) -> None:
    message, member = Feedback.__table__, Member.__table__
    community = and_(
        not_(message.c.author_is_staff),
        not_(func.coalesce(member.c.is_staff, false())),
        not_(func.coalesce(member.c.is_bot, false())),
    )
    if column is not None:
        community = and_(community, message.c[column].in_(chunk))
    rows = (
        select(
            message.c.feedback_id, message.c.created_at, message.c.channel, message.c.project_id,
            message.c.member_id, member.c.region, member.c.country,
            func.coalesce(message.c.language, member.c.language),
            func.coalesce(member.c.vendor, "direct"),  # a blank vendor means a direct tasker (DESIGN §5)
            member.c.attributes["tenure_band"].as_string(),
            message.c.sentiment,
            func.coalesce(message.c.sentiment_override, message.c.sentiment),
            message.c.triage_status,
        )
        .select_from(message.outerjoin(member, message.c.member_id == member.c.member_id))
        .where(community)
    )
    connection.execute(insert(messages).from_select([c.name for c in messages.c], rows))
    where = "" if column is None else f"AND r.{column} IN ({', '.join(f':id{i}' for i in range(len(chunk)))})"
    statement = text(_MENTIONS[connection.dialect.name].format(where=where))
    connection.execute(statement, {f"id{i}": value for i, value in enumerate(chunk or [])})


# Each message's effective themes (the correction where there is one; a JSON null is no
# correction), one row per distinct theme. Expanding a JSON array is the one dialect-specific step.
_COLUMNS = "feedback_id, theme, created_at, channel, project_id, member_id, region, score, text_length"
_MENTIONS = {
    "sqlite": f"""
        INSERT INTO rollup_feedback_mention ({_COLUMNS})
        SELECT DISTINCT r.feedback_id, j.value, r.created_at, r.channel, r.project_id, r.member_id, r.region, r.score,
               length(f.text)
        FROM rollup_feedback_message r
        JOIN feedback f ON f.feedback_id = r.feedback_id,
             json_each(CASE WHEN f.themes_override IS NOT NULL AND f.themes_override != 'null'
                            THEN f.themes_override ELSE f.themes END) j
        WHERE json_type(CASE WHEN f.themes_override IS NOT NULL AND f.themes_override != 'null'
                             THEN f.themes_override ELSE f.themes END) = 'array'
          AND j.value IS NOT NULL {{where}}
    """,
    "postgresql": f"""
        INSERT INTO rollup_feedback_mention ({_COLUMNS})
        SELECT DISTINCT r.feedback_id, j.value, r.created_at, r.channel, r.project_id, r.member_id, r.region, r.score,
               length(f.text)
        FROM rollup_feedback_message r
        JOIN feedback f ON f.feedback_id = r.feedback_id
        CROSS JOIN LATERAL (SELECT CASE WHEN f.themes_override IS NOT NULL AND json_typeof(f.themes_override) <> 'null'
                                        THEN f.themes_override ELSE f.themes END AS found) t
        CROSS JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(t.found) = 'array'
                                                         THEN t.found ELSE '[]'::json END) j(value)
        WHERE j.value IS NOT NULL {{where}}
    """,
}
