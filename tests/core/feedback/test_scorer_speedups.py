"""The lexicons' faster internals give exactly their own words and scores."""

import csv
from pathlib import Path

import pytest

from bench.throughput import short_texts_in
from core.feedback import scorer_speedups

leia = pytest.importorskip("LeIA.leia")
# LeIA's own method, whether or not an earlier test already loaded the Portuguese scorer.
ORIGINAL = scorer_speedups.leias_own or leia.SentiText._words_and_emoticons
FIXTURES = Path(__file__).parent / "fixtures"
TRICKY = ["!!!bom!!!", "...", "a", "ok?!", ":) valeu", "não!!! gostei...", "pagamento, atrasado.", "'ótimo'",
          "--ruim--", "?!?!pessimo!?!?", "bom.ruim", "a, b, c", "ÓTIMO!!! mas... ruim?", "e-mail não chegou -",
          "(atrasado)", "nada! nada!", "\"horrível\"", "— travou —", "?!? ...!!"]


def _texts() -> list[str]:
    with open(FIXTURES / "short_texts.csv", encoding="utf-8") as rows:
        fixture = [row["text"] for row in csv.DictReader(rows)]
    return TRICKY + fixture + short_texts_in("pt", 2_000)


def test_the_faster_tokeniser_gives_leias_own_words():
    for text in _texts():
        ascii_text = leia.unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")
        sentitext = leia.SentiText.__new__(leia.SentiText)
        sentitext.text = ascii_text
        assert scorer_speedups.words_and_emoticons(sentitext) == ORIGINAL(sentitext), text


def test_scores_are_the_same_with_and_without_it(monkeypatch):
    analyzer = leia.SentimentIntensityAnalyzer()
    monkeypatch.setattr(leia.SentiText, "_words_and_emoticons", ORIGINAL)
    before = [analyzer.polarity_scores(t) for t in _texts()]
    monkeypatch.setattr(leia.SentiText, "_words_and_emoticons", scorer_speedups.words_and_emoticons)
    after = [analyzer.polarity_scores(t) for t in _texts()]
    assert after == before


def test_punctuation_before_or_after_a_word_is_removed_but_a_quoted_word_stays_whole_as_in_leia():
    sentitext = leia.SentiText.__new__(leia.SentiText)
    sentitext.text = "bom!!! ...ruim 'ok' x"
    assert scorer_speedups.words_and_emoticons(sentitext) == ["bom", "ruim", "'ok'"]


def test_french_scores_are_the_same_with_remembered_accent_free_words(monkeypatch):
    vader_fr = pytest.importorskip("vaderSentiment_fr.vaderSentiment")
    import unidecode

    texts = TRICKY + short_texts_in("fr", 2_000) + ["Très déçu, pas payé !", "génial, merci à l'équipe", "NUL NUL NUL"]
    analyzer = vader_fr.SentimentIntensityAnalyzer()
    monkeypatch.setattr(vader_fr, "unidecode", unidecode)
    before = [analyzer.polarity_scores(t) for t in texts]
    scorer_speedups.install("fr")
    assert vader_fr.unidecode is not unidecode
    after = [analyzer.polarity_scores(t) for t in texts]
    assert after == before
