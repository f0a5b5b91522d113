"""Reading feedback rows: channel messages, survey responses, waves and the people a survey reaches.

Theme lists and imported attributes arrive as JSON text and are parsed once per distinct text.
"""

import json

import pandas as pd
from sqlalchemy import Engine, String, false, func, not_, select, type_coerce

from core.frames import as_timestamp, loader_columns, read_frame
from core.models import Activity, Feedback, Member, Survey, SurveyResponse

THEME_COLUMNS = ("themes", "themes_override")


def load_feedback(
    engine: Engine, *, start=None, end=None, projects=None, channels=None, include_staff: bool = False
) -> pd.DataFrame:
    """Channel messages created in [start, end) with the author's country and region; staff and bots left out."""
    message, member = Feedback.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(message, without=["language", *THEME_COLUMNS]),
            *raw_theme_columns(message),
            *_author_columns(message, member),
        )
        .select_from(message.outerjoin(member, message.c.member_id == member.c.member_id))
        .order_by(message.c.created_at, message.c.feedback_id)
    )
    if not include_staff:
        statement = statement.where(not_(message.c.author_is_staff), *_by_taskers(member))
    if start is not None:
        statement = statement.where(message.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        statement = statement.where(message.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        statement = statement.where(message.c.project_id.in_(list(projects)))
    if channels:
        statement = statement.where(message.c.channel.in_(list(channels)))
    frame = parse_theme_lists(read_frame(engine, statement, timestamps=("created_at",), flags=("author_is_staff",)))
    for score in ("sentiment", "sentiment_override"):
        frame[score] = pd.to_numeric(frame[score]).astype("float64")
    frame["vendor"] = frame["vendor"].fillna("direct")  # a blank vendor means a direct tasker (DESIGN §5)
    return frame


def raw_theme_columns(table) -> list:
    """The theme columns of `table` as JSON text (see `parse_theme_lists`)."""
    # Theme lists come back as JSON text and are parsed in `parse_theme_lists`: SQLAlchemy would
    # json.loads every row (about 2 s for 90k messages), yet a few dozen distinct lists cover them all.
    return [type_coerce(table.c[name], String).label(name) for name in THEME_COLUMNS]


def parse_theme_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Theme columns as Python lists (None stays None), each distinct JSON text parsed once.

    Rows with the same themes share one list object: treat the lists as read-only.
    """
    for name in THEME_COLUMNS:
        parsed: dict = {}

        def as_list(value, parsed=parsed):
            if not isinstance(value, str):  # PostgreSQL drivers hand back JSON already parsed
                return value
            if value not in parsed:
                parsed[value] = json.loads(value)
            return parsed[value]

        frame[name] = pd.Series([as_list(v) for v in frame[name]], index=frame.index, dtype="object")
    frame["themes"] = frame["themes"].map(lambda found: [] if found is None else found)
    return frame


def _author_columns(table, member) -> list:
    # The row's language (the author's when blank), then the author's country, region and segments.
    return [func.coalesce(table.c.language, member.c.language).label("language"), member.c.country,
            member.c.region, *_member_segments(member)]


def _by_taskers(member) -> list:
    # Staff and bots are left out; a row without a known author stays.
    return [not_(func.coalesce(member.c.is_staff, false())), not_(func.coalesce(member.c.is_bot, false()))]


def _member_segments(member) -> list:
    # Read in SQL: parsing 300k JSON attribute documents in Python costs about a second.
    return [member.c.vendor, member.c.attributes["tenure_band"].as_string().label("tenure_band")]


def load_responses(engine: Engine, *, survey_id=None, include_staff: bool = False,
                   with_comments: bool = True) -> pd.DataFrame:
    """Survey responses (one survey or all) with the respondent's country, region and language (and comments)."""
    response, member = SurveyResponse.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(response, without=["language", "attributes", *THEME_COLUMNS,
                                               *([] if with_comments else ["comment"])]),
            *raw_theme_columns(response),
            type_coerce(response.c.attributes, String).label("attributes"),
            *_author_columns(response, member),
        )
        .select_from(response.outerjoin(member, response.c.member_id == member.c.member_id))
        .order_by(response.c.submitted_at, response.c.response_id)
    )
    if not include_staff:
        statement = statement.where(*_by_taskers(member))
    if survey_id is not None:
        statement = statement.where(response.c.survey_id == survey_id)
    frame = parse_theme_lists(read_frame(engine, statement, timestamps=("submitted_at",)))
    for answer in ("score", "csat"):
        frame[answer] = pd.to_numeric(frame[answer]).astype("Int64")
    for score in ("sentiment", "sentiment_override"):
        frame[score] = pd.to_numeric(frame[score]).astype("float64")
    frame["vendor"] = frame["vendor"].fillna("direct")
    return _with_attributes(frame)


def _with_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra import columns kept as attributes become columns of their own, so they can be segments."""
    parsed: dict = {}

    def as_dict(value):
        if not isinstance(value, str):  # PostgreSQL drivers hand back JSON already parsed
            return value or {}
        if value not in parsed:
            parsed[value] = json.loads(value) or {}
        return parsed[value]

    attributes = frame.pop("attributes").map(as_dict)
    if attributes.empty or not attributes.map(bool).any():
        return frame
    extra = pd.DataFrame(list(attributes), index=frame.index)
    extra = extra[[c for c in extra.columns if c not in frame.columns]]
    return frame.join(extra)


def load_surveys(engine: Engine) -> pd.DataFrame:
    """Survey waves, oldest first: survey_id, title, kind, sent_at, audience_size."""
    survey = Survey.__table__
    statement = select(*loader_columns(survey)).order_by(survey.c.sent_at, survey.c.survey_id)
    frame = read_frame(engine, statement, timestamps=("sent_at",))
    frame["audience_size"] = pd.to_numeric(frame["audience_size"]).astype("Float64")
    return frame


def load_survey_population(engine: Engine, *, by: str | None = None) -> pd.DataFrame:
    """Activated non-staff taskers with the attributes segments use: who a survey can reach.

    With `by` (a segment), counted in SQL instead: one row per value with its `members`; a segment
    the members do not have gives no column (so its audience stays blank).
    """
    member = Member.__table__
    who = [not_(member.c.is_staff), not_(member.c.is_bot), member.c.activated_at.is_not(None)]
    if by is not None:
        segments = {"region": member.c.region, "country": member.c.country, "language": member.c.language,
                    "vendor": func.coalesce(member.c.vendor, "direct"),
                    "tenure_band": member.c.attributes["tenure_band"].as_string()}
        if by not in segments:
            return pd.DataFrame({"members": pd.Series(dtype="int64")})
        value = segments[by].label(by)
        return read_frame(engine, select(value, func.count().label("members")).where(*who).group_by(value))
    statement = (
        select(member.c.member_id, member.c.region, member.c.country, member.c.language, *_member_segments(member))
        .where(*who)
        .order_by(member.c.member_id)
    )
    frame = read_frame(engine, statement)
    frame["vendor"] = frame["vendor"].fillna("direct")
    return frame


def load_main_projects(engine: Engine) -> pd.DataFrame:
    """Each tasker's main project (most tasks submitted), to break survey answers down by project."""
    activity = Activity.__table__
    tasks = func.sum(activity.c.tasks_submitted).label("tasks")
    statement = select(activity.c.member_id, activity.c.project_id, tasks).group_by(
        activity.c.member_id, activity.c.project_id)
    frame = read_frame(engine, statement)
    if frame.empty:
        return pd.DataFrame(columns=["member_id", "project_id"])
    frame = frame.sort_values(["member_id", "tasks", "project_id"], ascending=[True, False, True])
    return frame.drop_duplicates("member_id")[["member_id", "project_id"]].reset_index(drop=True)


def read_rollup(engine: Engine, statement, *, timestamps=()) -> pd.DataFrame:
    """One query over a feedback roll-up as a frame (no rows: typeless columns)."""
    frame = read_frame(engine, statement, timestamps=timestamps)
    # No rows: typeless columns, as a frame of no messages has (not floats, which break merges).
    return frame.astype("object") if frame.empty else frame
