"""Re-scoring stored texts: feedback messages and survey comments scored again with today's language detector and
sentiment lexicons (rows imported before a scorer existed keep their old language and score until then).

One transaction per batch: a batch's changed rows, their roll-up rows and the data version move together,
so a page never shows a half-applied batch, and an interrupted run keeps what it finished. A human
override is never touched (it wins over the computed score wherever a score is read).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, bindparam, select, update
from sqlmodel import Session

from core import rollups
from core.db import bump_data_version
from core.feedback.language import language_name
from core.feedback.sentiment import score_texts
from core.models import AuditEvent, Feedback, SurveyResponse

BATCH_ROWS = 5_000
# entity (as the roll-ups name it) → table, key column, text column
SOURCES = {"feedback": (Feedback.__table__, "feedback_id", "text"),
           "survey_responses": (SurveyResponse.__table__, "response_id", "comment")}


@dataclass
class RescoreResult:
    """What a re-score read and changed, per entity, and the texts left unscored per language afterwards."""

    rows: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    not_scored_by_language: dict[str, int] = field(default_factory=dict)

    def public(self) -> dict:
        """The CLI's JSON object."""
        return {"rows": self.rows, "changed": self.changed, "not_scored_by_language": self.not_scored_by_language}

    def describe(self) -> str:
        """One line a person reads."""
        parts = [f"{entity}: {self.changed.get(entity, 0):,} of {n:,} texts changed" for entity, n in self.rows.items()]
        unscored = ", ".join(f"{n:,} in {language_name(lang)}" for lang, n in self.not_scored_by_language.items())
        return "; ".join(parts) + (f". Not scored (no scorer for the language): {unscored}." if unscored else ".")


def _same(old, new) -> bool:
    if old is None or (isinstance(old, float) and math.isnan(old)):
        return new is None
    return new is not None and abs(float(old) - new) < 1e-9


def _rescore_batch(connection, entity: str, rows: list, result: RescoreResult) -> None:
    table, key, _ = SOURCES[entity]
    scores, languages = score_texts([row.text for row in rows])
    changes = []
    for row, score, language in zip(rows, scores, languages):
        new = None if math.isnan(score) else float(score)
        if new is None:
            result.not_scored_by_language[language] = result.not_scored_by_language.get(language, 0) + 1
        if not (_same(row.sentiment, new) and row.language == language):
            changes.append({"row_key": row.key, "new_sentiment": new, "new_language": language})
    if changes:
        statement = update(table).where(table.c[key] == bindparam("row_key")).values(
            sentiment=bindparam("new_sentiment"), language=bindparam("new_language"))
        connection.execute(statement, changes)
        rollups.refresh(connection, entity, ids=[c["row_key"] for c in changes])
    result.changed[entity] = result.changed.get(entity, 0) + len(changes)


def rescore_texts(engine: Engine, *, language: str | None = None, batch_rows: int = BATCH_ROWS,
                  actor: str = "command line",
                  progress: Callable[[str], None] = lambda _message: None) -> RescoreResult:
    """Detect the language and score the sentiment of every stored text again (or only those stored as `language`).

    Only rows whose language or score changed are written; each batch is one transaction that also
    refreshes the feedback roll-ups of its rows and bumps the data version.
    """
    result = RescoreResult()
    for entity, (table, key, text) in SOURCES.items():
        result.rows[entity] = 0
        after = None
        while True:
            query = select(table.c[key].label("key"), table.c[text].label("text"), table.c.sentiment,
                           table.c.language).where(table.c[text].is_not(None))
            if language:
                query = query.where(table.c.language == language)
            if after is not None:
                query = query.where(table.c[key] > after)
            with engine.begin() as connection:
                rows = connection.execute(query.order_by(table.c[key]).limit(batch_rows)).all()
                if not rows:
                    break
                _rescore_batch(connection, entity, rows, result)
                _record(connection)
            after = rows[-1].key
            result.rows[entity] += len(rows)
            progress(f"{entity}: {result.rows[entity]:,} texts re-scored")
    result.not_scored_by_language = dict(sorted(result.not_scored_by_language.items(), key=lambda kv: (-kv[1], kv[0])))
    with engine.begin() as connection:
        _record(connection, AuditEvent(actor=actor, action="rescore", entity="feedback", entity_id=language or "all",
                                       after=result.public()))
    return result


def _record(connection, *events: AuditEvent) -> None:
    """Bump the data version (and add audit events) inside the connection's transaction."""
    with Session(bind=connection) as session:
        bump_data_version(session)
        session.add_all(events)
        session.flush()
