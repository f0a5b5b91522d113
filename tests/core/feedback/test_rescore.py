"""Re-scoring stored texts with today's detector and scorers: `python -m core rescore-feedback` (issue 18)."""

import json

import pytest
from sqlalchemy import select

from core.__main__ import main
from core.db import data_version
from core.feedback.voice import language_coverage
from core.feedback import rollup
from core.feedback.rescore import rescore_texts
from core.feedback.sentiment import score_texts
from core.models import AuditEvent, Feedback, SurveyResponse

from tests.core.factories import feedback, make_feedback, make_response, responses

PORTUGUESE = "O pagamento atrasou de novo, estou muito chateado com isso"
SPANISH = "El pago llegó tarde otra vez y nadie responde a mis preguntas"
ENGLISH = "Thanks, the new guide is really clear and helpful!"


@pytest.fixture
def stale(scope_of, responses_of):
    """Rows imported before today's scorers: Portuguese stored as undetermined and scored by VADER, English as
    Spanish unscored, one message a person corrected; one survey comment stored as Spanish unscored."""
    responses_of(responses(make_response(response_id="r1", comment=ENGLISH, language="es", sentiment=None)))
    return scope_of(feedback(
        make_feedback(feedback_id="f1", text=PORTUGUESE, language="und", sentiment=0.0),
        make_feedback(feedback_id="f2", text=ENGLISH, language="es", sentiment=None),
        make_feedback(feedback_id="f3", text=SPANISH, language="es", sentiment=None, sentiment_override=-0.9)))


def stored(engine, model, key):
    """(language, sentiment, sentiment_override) per stored row."""
    with engine.connect() as connection:
        table = model.__table__
        return {row[0]: tuple(row[1:]) for row in connection.execute(
            select(table.c[key], table.c.language, table.c.sentiment, table.c.sentiment_override))}


def test_stored_texts_get_todays_language_and_score_and_the_rollup_follows(engine, stale):
    (pt, en, es), languages = score_texts([PORTUGUESE, ENGLISH, SPANISH])
    assert list(languages) == ["pt", "en", "es"] and pt < -0.05 and en > 0.05  # what today's scorers say
    before = data_version(engine)
    result = rescore_texts(engine, batch_rows=2)
    assert result.rows == {"feedback": 3, "survey_responses": 1}
    assert result.changed == {"feedback": 2, "survey_responses": 1}  # the Spanish message was right already
    assert result.not_scored_by_language == {"es": 1}
    assert stored(engine, Feedback, "feedback_id") == {"f1": ("pt", pt, None), "f2": ("en", en, None),
                                                        "f3": ("es", None, -0.9)}  # the override is kept
    assert stored(engine, SurveyResponse, "response_id") == {"r1": ("en", en, None)}
    with engine.connect() as connection:
        rolled = dict(connection.execute(select(rollup.messages.c.feedback_id, rollup.messages.c.sentiment)).all())
    assert rolled == {"f1": pt, "f2": en, "f3": None}
    coverage = language_coverage(stale).set_index("language")
    # a corrected message counts as scored, once
    assert coverage.loc["pt", "scored"] == 1 and coverage.loc["es", "scored"] == 1
    assert coverage.loc["es", "not_scored"] == 0
    assert data_version(engine) >= before + 3  # 2 feedback batches, 1 survey batch (+ the audit)


def test_only_texts_stored_in_one_language_when_asked(engine, stale):
    result = rescore_texts(engine, language="und")
    assert result.rows == {"feedback": 1, "survey_responses": 0} and result.changed == {"feedback": 1}
    assert stored(engine, Feedback, "feedback_id")["f2"] == ("es", None, None)  # untouched


def test_the_command_prints_what_changed_and_audits_the_run(engine, stale, monkeypatch, capsys):
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["rescore-feedback", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"rows": {"feedback": 3, "survey_responses": 1},
                       "changed": {"feedback": 2, "survey_responses": 1}, "not_scored_by_language": {"es": 1}}
    assert main(["rescore-feedback"]) == 0
    assert capsys.readouterr().out.strip() == ("feedback: 0 of 3 texts changed; survey_responses: 0 of 1 texts "
                                               "changed. Not scored (no scorer for the language): 1 in Spanish.")
    with engine.connect() as connection:
        actions = connection.execute(select(AuditEvent.actor, AuditEvent.action)
                                     .where(AuditEvent.action == "rescore")).all()
    assert actions == [("command line", "rescore"), ("command line", "rescore")]
