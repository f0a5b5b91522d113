"""'Request retry' tells the pipeline: a POST with the item ids and the token, its answer kept, failures in words."""

import pandas as pd
from sqlmodel import Session, select

from core.comms import channels
from core.models import AuditEvent
from core.queues.actions import notify_pipeline
from tests.core.comms.receivers import Receiver

NOW = pd.Timestamp("2026-12-07 09:00", tz="UTC").to_pydatetime()


def pipeline(receiver: Receiver) -> channels.Channels:
    return channels.load_channels(environ={"CROWDPULSE_PIPELINE_RETRY_URL": receiver.url("/retry"),
                                           "CROWDPULSE_PIPELINE_TOKEN": "s3cret"}, secrets={})


def test_the_pipeline_gets_the_item_ids_with_the_token_and_its_answer_is_kept(engine):
    with Receiver(answers={"/retry": [(202, {}, '{"queued": 2}')]}) as receiver:
        level, message = notify_pipeline(engine, ["s1", "s2"], actor="joy", now=NOW, ready=pipeline(receiver))
    path, headers, body = receiver.requests[0]
    assert (path, headers["Authorization"], body) == ("/retry", "Bearer s3cret", {"item_ids": ["s1", "s2"]})
    assert (level, message) == ("success", 'The pipeline accepted the retry of 2 item(s): 202 {"queued": 2}.')
    with Session(engine) as session:
        kept = session.exec(select(AuditEvent).where(AuditEvent.action == "pipeline_retry")).all()
    assert [(a.entity_id, a.after["answer"]) for a in kept] == [("s1", '202 {"queued": 2}'), ("s2", '202 {"queued": 2}')]


def test_a_refusal_is_shown_in_words_and_the_retry_stays_recorded(engine):
    with Receiver(answers={"/retry": [(401, {}, "bad token")]}) as receiver:
        level, message = notify_pipeline(engine, ["s1"], actor="joy", now=NOW, ready=pipeline(receiver))
    assert (level, message) == ("error", "The retry is recorded, but the pipeline was not told: the pipeline's retry "
                                         "endpoint answered 401 bad token: the token was refused.")


def test_without_an_endpoint_the_retry_is_only_recorded_and_it_says_so(engine):
    level, message = notify_pipeline(engine, ["s1"], actor="joy", ready=channels.load_channels(environ={}, secrets={}))
    assert level == "info" and message.startswith("The retry is only recorded here: no pipeline retry endpoint")
