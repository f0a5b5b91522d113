"""Language detection on short crowd chat, and each language's scorer on labelled examples."""

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from core.ingest import importer as ingest
from core.feedback.language import detect_language, language_name
from core.feedback.messages import MessageScope
from core.feedback.sentiment import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    SCORED_LANGUAGES,
    score_text,
    sentiment_and_language,
)
from core.feedback.voice import language_coverage, sentiment_summary

FIXTURE = Path(__file__).parent / "fixtures" / "short_texts.csv"
# 60 hand-written crowd chat lines (30 positive, 30 negative) in each of Spanish, Indonesian, Tagalog and
# Hindi in Latin script: the languages with no scorer yet, on which candidate scorers were measured.
UNSCORED_FIXTURE = Path(__file__).parent / "fixtures" / "sentiment_labelled.csv"


def labelled_texts() -> list[dict]:
    """The hand-labelled short texts: language, polarity (pos/neg, blank for undetermined ones), text."""
    with FIXTURE.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The new guidelines are confusing and I have not been paid", "en"),
        ("payout late again smh", "en"),
        ("No me han pagado todavía y nadie responde los tickets", "es"),
        ("Ainda não recebi o pagamento deste mês", "pt"),
        ("Je n'ai pas reçu mon paiement cette semaine", "fr"),
        ("Ich habe noch keine Aufgaben bekommen und warte immer noch", "de"),
        ("Saya belum menerima gaji bulan ini, tolong dibantu", "id"),
        ("Wala pa po yung bayad ko para sa project", "tl"),
        ("Non ho ancora ricevuto il pagamento", "it"),
        ("Ik heb mijn betaling nog steeds niet ontvangen", "nl"),
        ("bhai payment abhi tak nahi aaya", "hi"),
        ("मेरा भुगतान अभी तक नहीं आया", "hi"),
        ("لم أستلم الدفع حتى الآن", "ar"),
        ("我还没有收到付款", "zh"),
        ("支払いがまだです", "ja"),
        ("Я до сих пор не получил оплату", "ru"),
        ("Do you have tasks?", "en"),
        ("Thanks Dan!", "und"),
        ("payout late", "und"),
        ("obrigado guys see you", "und"),
        ("👍", "und"),
        ("12345", "und"),
        (None, "und"),
        ("", "und"),
    ],
)
def test_language_is_told_by_script_model_or_undetermined(text, language):
    assert detect_language(text) == language


def test_every_short_english_chat_line_of_the_fixture_stays_english():
    english = [row["text"] for row in labelled_texts() if row["language"] == "en"]

    assert [text for text in english if detect_language(text) != "en"] == []


def test_detection_is_right_on_at_least_nine_in_ten_labelled_short_texts():
    rows = [row for row in labelled_texts() if row["language"] != "und"]
    right = Counter(row["language"] for row in rows if detect_language(row["text"]) == row["language"])

    # Measured: 126 of 129 (the misses: two Spanish and one Portuguese two-to-four-word line the model is unsure of).
    assert sum(right.values()) >= 0.9 * len(rows)
    assert right["es"] >= 18 and right["pt"] >= 18 and right["hi"] == 8 and right["tl"] == 8


def test_emoji_numbers_and_punctuation_are_undetermined():
    rows = [row["text"] for row in labelled_texts() if row["language"] == "und" and not row["text"].isascii()
            or row["text"] in ("12345", "???")]

    assert {detect_language(text) for text in rows} == {"und"}


def _sign(compound: float) -> str:
    return "pos" if compound >= POSITIVE_THRESHOLD else "neg" if compound <= NEGATIVE_THRESHOLD else "neutral"


@pytest.mark.parametrize(("language", "at_least"), [("en", 25), ("pt", 11), ("fr", 9)])
def test_each_scorer_agrees_in_sign_with_labelled_texts_of_its_language(language, at_least):
    rows = [row for row in labelled_texts() if row["language"] == language]

    agree = sum(_sign(score_text(row["text"], language)) == row["polarity"] for row in rows)

    # Measured when the scorers were chosen: VADER 25/25 English, LeIA 11/20 Portuguese
    # (VADER: 1/20), vaderSentiment-fr 9/15 French (VADER: 5/15).
    assert agree >= at_least


def unscored_language_texts() -> list[dict]:
    """The hand-labelled chat lines in the languages without a scorer: language, polarity (pos/neg), text."""
    with UNSCORED_FIXTURE.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


@pytest.mark.parametrize("language", ["es", "id", "tl", "hi"])
def test_chat_in_languages_without_a_scorer_is_told_apart_and_never_scored(language):
    rows = [row for row in unscored_language_texts() if row["language"] == language]
    results = [sentiment_and_language(row["text"]) for row in rows]

    assert len(rows) == 60
    # Hindi in Latin script was told on 37 of these 60 before the Hinglish word list grew (23 were
    # 'und', 'id', 'tl' or, twice, English and then scored with VADER); now on all 60.
    assert sum(detected == language for _, detected in results) >= 59
    assert all(compound is None for compound, detected in results if detected != "und")


def test_languages_without_a_scorer_are_named_for_the_not_scored_counts():
    assert "es" not in SCORED_LANGUAGES and "tl" not in SCORED_LANGUAGES
    assert [language_name(code) for code in ("es", "tl", "pt", "und", "xx", None)] == [
        "Spanish", "Tagalog", "Portuguese", "undetermined", "xx", "unknown"]


def test_a_mixed_language_import_scores_each_language_by_its_own_lexicon_and_counts_the_rest(engine):
    rows = [
        ("f1", "The payout is late again and nobody answers, this is terrible"),
        ("f2", "Love the new guidelines, thanks team"),
        ("f3", "Estou muito feliz com os pagamentos semanais"),
        ("f4", "Ainda não recebi meu pagamento desta semana"),
        ("f5", "Todavía no recibo mi pago de la semana pasada"),
        ("f6", "Wala pa po yung bayad ko para sa project"),
        ("f7", "👍"),
    ]
    ingest.import_frame(engine, "feedback", pd.DataFrame(
        [{"feedback_id": i, "channel": "slack", "created_at": "2026-11-02T08:00:00Z", "text": t} for i, t in rows]))

    coverage = language_coverage(MessageScope(engine)).set_index("language")

    assert coverage[["scored", "not_scored"]].to_dict("index") == {
        "en": {"scored": 2, "not_scored": 0}, "pt": {"scored": 2, "not_scored": 0},
        "es": {"scored": 0, "not_scored": 1}, "tl": {"scored": 0, "not_scored": 1},
        "und": {"scored": 1, "not_scored": 0}}
    summary = sentiment_summary(MessageScope(engine), by="language").set_index("language")
    # Portuguese figures rest on LeIA's scores: one happy, one unhappy message.
    assert summary.loc["pt", "count"] == 2 and summary.loc["pt", "net"] == 0.0
    assert "es" not in summary.index
