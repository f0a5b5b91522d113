"""Roll-ups for the feedback area (see `core.rollups`): community messages and survey answers, pre-joined and
pre-resolved.

Two narrow tables, one row per community message and one per (message, theme) it mentions, with
the author's segments copied in and the effective sentiment and themes (a specialist's
correction wins) already resolved. Staff, bots and staff-authored messages are left out, as
every feedback view leaves them out. The views aggregate them in SQL (`core.feedback.messages`,
`core.feedback.surveys`).
Survey answers get the same pair of tables (one row per answer, one per theme its comment
mentions), so wave scorecards and theme NPS impact are counted in SQL instead of loading 50k
answers with their comments.

Why per message and not per day: sentiment windows are 7-day spans ending at the data's "now"
(any second of a day), so day buckets could not reproduce the numbers exactly; a narrow,
index-covered row per message lets a GROUP BY cut windows at the exact moment, and never
reads the message text or joins the member table.
"""

import datetime as dt

from sqlalchemy import (Column, Connection, Float, Index, Integer, MetaData, String, Table, and_, delete, false, func,
                        insert, not_, select, text)

from core.models import Feedback, Member, SurveyResponse

NAME = "feedback"
VERSION = 5
ENTITIES: frozenset[str] = frozenset({"feedback", "survey_responses", "members"})
METADATA = MetaData()  # this area's roll-up tables

# Above this many changed ids a full rebuild is quicker than deleting and re-inserting them.
FULL_REBUILD_IDS = 20_000
_CHUNK = 5_000

_created = Feedback.__table__.c.created_at.type
_submitted = SurveyResponse.__table__.c.submitted_at.type

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
    Index("ix_rollup_feedback_mention_theme", "theme", "created_at", "feedback_id", "project_id", "region", "channel",
          "score", "text_length", "member_id"),
    Index("ix_rollup_feedback_mention_member", "member_id"),
)

answers = Table(
    "rollup_survey_response", METADATA,
    Column("response_id", String, primary_key=True),
    Column("survey_id", String, nullable=False),
    Column("submitted_at", _submitted, nullable=False),
    Column("member_id", String),
    Column("region", String),
    Column("country", String),
    Column("language", String),
    Column("vendor", String),
    Column("tenure_band", String),
    Column("score", Integer),
    Column("csat", Integer),
    Column("sentiment", Float),  # effective: the correction where there is one
    # covering: wave scorecards and their first answers never read the table itself
    Index("ix_rollup_survey_response_wave", "survey_id", "member_id", "score", "csat", "region", "submitted_at"),
    Index("ix_rollup_survey_response_member", "member_id"),
)

answer_mentions = Table(
    "rollup_survey_mention", METADATA,
    Column("response_id", String, primary_key=True),
    Column("theme", String, primary_key=True),
    Column("survey_id", String, nullable=False),
    Column("member_id", String),
    Column("region", String),
    Column("score", Integer),
    Index("ix_rollup_survey_mention_scope", "theme", "region", "score"),
    Index("ix_rollup_survey_mention_member", "member_id"),
)

def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""
    _insert(connection, None, None)
    _insert_answers(connection, None, None)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None, entity: str | None = None) -> None:
    """Re-derive the rows of the changed messages (feedback ids), answers (response ids) or authors (member ids).

    Without ids, the tables of the written entity are rebuilt (all of them after a members write).
    """
    if entity == "survey_responses":
        _refresh_answers(connection, ids)
        return
    if entity == "members" and ids is not None and len(ids) <= FULL_REBUILD_IDS:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            for table in (answer_mentions, answers):
                connection.execute(delete(table).where(table.c.member_id.in_(chunk)))
            _insert_answers(connection, "member_id", chunk)
    elif entity == "members":
        _refresh_answers(connection, None)
    if ids is None or len(ids) > FULL_REBUILD_IDS:
        for table in (mentions, messages):
            connection.execute(table.delete())
        _insert(connection, None, None)
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
    _insert_mentions(connection, _MENTIONS, column, chunk)


def _insert_mentions(connection: Connection, templates: dict[str, str], column: str | None,
                     chunk: list[str] | None) -> None:
    where = "" if column is None else f"AND r.{column} IN ({', '.join(f':id{i}' for i in range(len(chunk)))})"
    statement = text(templates[connection.dialect.name].format(where=where))
    connection.execute(statement, {f"id{i}": value for i, value in enumerate(chunk or [])})


def _refresh_answers(connection: Connection, ids: list[str] | None) -> None:
    """Re-derive the rows of the changed answers (response ids); all of them without ids."""
    if ids is None or len(ids) > FULL_REBUILD_IDS:
        for table in (answer_mentions, answers):
            connection.execute(table.delete())
        _insert_answers(connection, None, None)
        return
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for table in (answer_mentions, answers):
            connection.execute(delete(table).where(table.c.response_id.in_(chunk)))
        _insert_answers(connection, "response_id", chunk)


def _insert_answers(connection: Connection, column: str | None, chunk: list[str] | None) -> None:
    """Insert the rows of the answers whose `column` is in `chunk` (all answers without a column)."""
    answer, member = SurveyResponse.__table__, Member.__table__
    respondents = and_(not_(func.coalesce(member.c.is_staff, false())), not_(func.coalesce(member.c.is_bot, false())))
    if column is not None:
        respondents = and_(respondents, answer.c[column].in_(chunk))
    rows = (
        select(
            answer.c.response_id, answer.c.survey_id, answer.c.submitted_at, answer.c.member_id, member.c.region,
            member.c.country, func.coalesce(answer.c.language, member.c.language),
            func.coalesce(member.c.vendor, "direct"),  # a blank vendor means a direct tasker (DESIGN §5)
            member.c.attributes["tenure_band"].as_string(), answer.c.score, answer.c.csat,
            func.coalesce(answer.c.sentiment_override, answer.c.sentiment),
        )
        .select_from(answer.outerjoin(member, answer.c.member_id == member.c.member_id))
        .where(respondents)
    )
    connection.execute(insert(answers).from_select([c.name for c in answers.c], rows))
    _insert_mentions(connection, _ANSWER_MENTIONS, column, chunk)


# Each text's effective themes (the correction where there is one; a JSON null is no correction),
# one row per distinct theme. Expanding a JSON array is the one dialect-specific step.
_EXPAND = {
    "sqlite": """
        INSERT INTO {rollup} ({columns})
        SELECT DISTINCT {selected}
        FROM {source} r
        JOIN {raw} f ON f.{key} = r.{key},
             json_each(CASE WHEN f.themes_override IS NOT NULL AND f.themes_override != 'null'
                            THEN f.themes_override ELSE f.themes END) j
        WHERE json_type(CASE WHEN f.themes_override IS NOT NULL AND f.themes_override != 'null'
                             THEN f.themes_override ELSE f.themes END) = 'array'
          AND j.value IS NOT NULL {{where}}
    """,
    "postgresql": """
        INSERT INTO {rollup} ({columns})
        SELECT DISTINCT {selected}
        FROM {source} r
        JOIN {raw} f ON f.{key} = r.{key}
        CROSS JOIN LATERAL (SELECT CASE WHEN f.themes_override IS NOT NULL AND json_typeof(f.themes_override) <> 'null'
                                        THEN f.themes_override ELSE f.themes END AS found) t
        CROSS JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(t.found) = 'array'
                                                         THEN t.found ELSE '[]'::json END) j(value)
        WHERE j.value IS NOT NULL {{where}}
    """,
}


def _templates(rollup: Table, source: Table, raw: str, key: str, selected: str) -> dict[str, str]:
    columns = ", ".join(c.name for c in rollup.c)
    return {dialect: template.format(rollup=rollup.name, columns=columns, selected=selected, source=source.name,
                                     raw=raw, key=key)
            for dialect, template in _EXPAND.items()}


_MENTIONS = _templates(mentions, messages, "feedback", "feedback_id",
                       "r.feedback_id, j.value, r.created_at, r.channel, r.project_id, r.member_id, r.region, r.score, "
                       "length(f.text)")
_ANSWER_MENTIONS = _templates(answer_mentions, answers, "surveyresponse", "response_id",
                              "r.response_id, j.value, r.survey_id, r.member_id, r.region, r.score")
