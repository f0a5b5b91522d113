"""Hand-built message and answer rows stored in the test's database, read back through the roll-up scopes."""

import pandas as pd
import pytest
from sqlalchemy import delete

from core import models
from core.db import session_scope
from core.feedback import rollup
from core.feedback.messages import MessageScope
from core.feedback.surveys import ResponseScope

MESSAGE_FIELDS = ("feedback_id", "channel", "project_id", "created_at", "text", "author_is_staff", "language",
                  "sentiment", "themes", "sentiment_override", "themes_override", "triage_status")
ANSWER_FIELDS = ("response_id", "survey_id", "submitted_at", "score", "csat", "comment", "language", "sentiment",
                 "themes", "sentiment_override", "themes_override")


def _value(value):
    """A frame cell as a model field: NaN, NaT and pd.NA become None, numpy scalars Python ones."""
    if isinstance(value, list):
        return value
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _authors(frame: pd.DataFrame) -> tuple[list[models.Member], pd.Series]:
    """One member per (member_id, region, country) in the rows, and each row's member id.

    A factory row keeps its region on the row; stored, the region is the author's. An id written
    with two regions becomes two members ('m1/A', 'm1/B'), so each row keeps its region.
    """
    keys = frame[["member_id", "region", "country"]].astype("object").where(frame[["member_id", "region",
                                                                                   "country"]].notna(), None)
    combos = keys.drop_duplicates()
    split = combos["member_id"].value_counts()
    ids, members = {}, []
    for member_id, region, country in combos.itertuples(index=False):
        if member_id is None:
            continue
        stored_id = member_id if split[member_id] == 1 else f"{member_id}/{region}"
        ids[(member_id, region, country)] = stored_id
        members.append(models.Member(member_id=stored_id, region=region, country=country))
    authors = [ids.get(tuple(row)) for row in keys.itertuples(index=False)]
    return members, pd.Series(authors, index=frame.index, dtype="object")


def _replace(engine, kinds: tuple, rows: list) -> None:
    """Save `rows` in place of every stored row of `kinds`; authors and projects already there are kept."""
    with session_scope(engine) as session:
        for kind in kinds:
            session.execute(delete(kind))
        for row in rows:
            if isinstance(row, (models.Member, models.Project)):
                session.merge(row)
            else:
                session.add(row)
            session.flush()


def _with_rollup(engine):
    with engine.begin() as connection:  # rows saved directly: derive the roll-up the metrics read
        for table in (rollup.answer_mentions, rollup.answers, rollup.mentions, rollup.messages):
            connection.execute(table.delete())
        rollup.rebuild(connection)
    return engine


def _store(engine, frame: pd.DataFrame, *, model, fields: tuple, parents: list, kinds: tuple):
    """Save the rows as `model`s with their authors and `parents`, in place of every stored row of `kinds`."""
    members, authors = _authors(frame)
    rows = [model(member_id=author, **{f: _value(row[f]) for f in fields if f in row})
            for author, (_, row) in zip(authors, frame.iterrows())]
    _replace(engine, kinds, [*members, *parents, *rows])
    return _with_rollup(engine)


@pytest.fixture
def scope_of(engine):
    """Store message rows (the `feedback(...)` factory's) in place of those stored before, as a `MessageScope`."""

    def store(frame: pd.DataFrame) -> MessageScope:
        projects = [models.Project(project_id=p, name=p) for p in frame["project_id"].dropna().unique()]
        return MessageScope(_store(engine, frame, model=models.Feedback, fields=MESSAGE_FIELDS, parents=projects,
                                   kinds=(models.Feedback,)))

    return store


@pytest.fixture
def responses_of(engine):
    """Store answer rows (the `responses(...)` factory's) in place of those stored before, as a `ResponseScope`."""

    def store(frame: pd.DataFrame) -> ResponseScope:
        waves = [models.Survey(survey_id=s, title=s) for s in frame["survey_id"].dropna().unique()]
        return ResponseScope(_store(engine, frame, model=models.SurveyResponse, fields=ANSWER_FIELDS, parents=waves,
                                    kinds=(models.SurveyResponse, models.Survey)))

    return store
