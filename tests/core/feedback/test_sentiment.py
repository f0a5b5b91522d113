import math
import sys
import types

import numpy as np
import pytest

from core.feedback import sentiment
from core.feedback.sentiment import (score_text, score_texts, sentiment_and_language, sentiment_label,
                                     sentiment_labels)
from tests.core.factories import feedback, make_feedback


class RecordingAnalyzer:
    """A stand-in for VADER that remembers what it was asked and scores 'good' as +0.5."""

    def __init__(self):
        self.seen: list[str] = []

    def polarity_scores(self, text):
        self.seen.append(text)
        return {"compound": 0.5 if "good" in text else -0.5}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with no cached scores."""
    sentiment.clear_cache()
    yield
    sentiment.clear_cache()


@pytest.fixture
def recording_analyzer(monkeypatch):
    """Replace the shared English VADER analyzer with a RecordingAnalyzer."""
    fake = RecordingAnalyzer()
    monkeypatch.setattr(sentiment, "_analyzers", {"en": fake, "und": fake})
    return fake


def test_clearly_positive_text_scores_above_the_positive_threshold():
    assert score_text("Thanks team, the new project is great and payouts arrived on time!") > 0.05


def test_clearly_negative_text_scores_below_the_negative_threshold():
    assert score_text("The guidelines are terrible and my work was rejected unfairly.") < -0.05


@pytest.mark.parametrize("missing", [None, float("nan"), "", "   "])
def test_missing_or_empty_text_scores_zero(missing):
    assert score_text(missing) == 0.0


@pytest.mark.parametrize(
    "text",
    ["❤️", "I ❤️ this community", "👍", "👍🏽", "thanks 🙏", "🙏"],
)
def test_common_positive_emoji_count_as_positive(text):
    assert score_text(text) > 0.05


@pytest.mark.parametrize("text", ["😡", "payout late again 😡", "👎", "💔"])
def test_common_negative_emoji_count_as_negative(text):
    assert score_text(text) < -0.05


def test_long_text_is_capped_before_it_reaches_the_analyzer(recording_analyzer):
    score_text("The pay is good. " * 3000)

    assert sum(len(piece) for piece in recording_analyzer.seen) <= sentiment.MAX_SCORED_CHARS
    assert all(len(piece) <= sentiment.LONG_TEXT_CHARS for piece in recording_analyzer.seen)


def test_long_run_on_sentence_is_cut_into_short_pieces(recording_analyzer):
    score_text("word " * 1000)

    assert len(recording_analyzer.seen) > 1
    assert all(len(piece) <= sentiment.LONG_TEXT_CHARS for piece in recording_analyzer.seen)


def test_long_text_scores_the_mean_of_its_sentences(recording_analyzer):
    text = "This is good news. " * 30 + "This is not fine. " * 10  # 750 characters

    assert score_text(text) == 0.25
    assert len(recording_analyzer.seen) == 40


def test_short_text_is_scored_whole(recording_analyzer):
    score_text("Good. Fine. Okay.")

    assert recording_analyzer.seen == ["Good. Fine. Okay."]


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (0.05, "positive"),
        (0.9, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_sentiment_label_uses_the_vader_thresholds(compound, label):
    assert sentiment_label(compound) == label


def test_spanish_text_is_marked_rather_than_scored_as_neutral_english():
    compound, language = score_texts(["No me han pagado todavía y nadie responde"])

    assert language.tolist() == ["es"]
    assert math.isnan(compound[0])
    assert sentiment_and_language("No me han pagado todavía y nadie responde") == (None, "es")


def test_text_of_undetermined_language_is_still_scored():
    assert sentiment_and_language("thanks!!") == (0.5399, "und")


def test_batch_keeps_input_order_and_matches_single_text_scores():
    texts = [
        "Great office hours, thank you!",
        None,
        "My tasks keep getting rejected and nobody explains why.",
        "Ainda não recebi o pagamento deste mês",
        "Great office hours, thank you!",
        "Todavía no recibo mi pago de la semana pasada",
    ]

    compound, language = score_texts(texts)

    assert language.tolist() == ["en", "und", "en", "pt", "en", "es"]
    assert compound[0] == compound[4] == score_text(texts[0])
    assert compound[1] == 0.0
    assert compound[2] == score_text(texts[2])
    assert compound[3] == score_text(texts[3], "pt")
    assert np.isnan(compound[5])


def test_identical_texts_are_scored_once(recording_analyzer):
    score_texts(["any update on the good project?"] * 50)
    score_texts(["any update on the good project?"])

    assert recording_analyzer.seen == ["any update on the good project?"]


def test_large_batch_in_worker_processes_matches_the_serial_result(monkeypatch):
    texts = [f"Task {i} was rejected, I am upset" for i in range(30)] + ["Merci beaucoup, c'est très clair"]
    serial_compound, serial_language = score_texts(texts, workers=1)
    sentiment.clear_cache()
    monkeypatch.setattr(sentiment, "POOL_MIN_TEXTS", 10)
    monkeypatch.setattr(sentiment, "POOL_CHUNK", 7)

    pooled_compound, pooled_language = score_texts(texts, workers=2)

    np.testing.assert_array_equal(pooled_compound, serial_compound)
    assert pooled_language.tolist() == serial_language.tolist()
    assert pooled_language[-1] == "fr"


def test_worker_processes_do_not_run_the_parents_main_script(monkeypatch, tmp_path):
    # Under `streamlit run`, __main__ is the app: a worker that imported it would run the whole app.
    marker = tmp_path / "main-ran"
    script = tmp_path / "app_like.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(sentiment, "POOL_MIN_TEXTS", 10)
    sentiment.clear_cache()

    compound, _language = score_texts([f"Task {i} went well, thanks" for i in range(12)], workers=2)

    assert len(compound) == 12
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main


def test_sentiment_labels_follow_the_vader_bands_and_mark_unscored_text():
    messages = feedback(*(make_feedback(sentiment=s) for s in (0.05, 0.049, -0.05, None)))
    assert sentiment_labels(messages).tolist() == ["positive", "neutral", "negative", "not scored"]
