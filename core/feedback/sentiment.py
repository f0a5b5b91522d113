"""Sentiment (VADER compound) and a cheap language guess for community feedback texts.

VADER is an English lexicon: texts confidently detected as another language are marked
(sentiment None/NaN) rather than scored as neutral English. Texts whose language cannot be told
('und': "thanks!!", "👍", "payout late") are scored, because in a mostly English
community they are far more often English than not.
"""

import math
import multiprocessing
import os
import re
import sys
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

# Texts longer than this are scored per sentence: VADER's cost grows with the square of the
# text length (3,000 repeats of a short phrase took 15 s on one text).
LONG_TEXT_CHARS = 300
# Only the beginning of a text is scored; the opening of a message carries its tone and the
# cap bounds the worst case to a few milliseconds per text.
MAX_SCORED_CHARS = 2_000
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
SENTIMENT_LABELS = ("positive", "neutral", "negative", "not scored")
# Languages VADER can score. 'und' is scored on purpose (see module docstring).
SCORED_LANGUAGES = frozenset({"en", "und"})
# Below this many distinct uncached texts a process pool costs more than it saves
# (starting two workers and loading the lexicon takes ~0.3 s).
POOL_MIN_TEXTS = 20_000
POOL_CHUNK = 2_000
CACHE_SIZE = 100_000

_shared_analyzer = None


def _analyzer():
    # Built on first use: loading the lexicon costs ~50 ms and many callers never score.
    global _shared_analyzer
    if _shared_analyzer is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _shared_analyzer = SentimentIntensityAnalyzer()
    return _shared_analyzer


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


def _compound(text: str) -> float:
    text = _normalise_emoji(text[:MAX_SCORED_CHARS]).strip()
    if not text:
        return 0.0
    scores = _analyzer().polarity_scores
    if len(text) <= LONG_TEXT_CHARS:
        return scores(text)["compound"]
    values = [scores(piece)["compound"] for piece in _chunks(text)]
    return round(sum(values) / len(values), 4) if values else 0.0


def _as_text(text: Any) -> str:
    # Feedback columns arrive from pandas and spreadsheets: None, NaN and numbers happen.
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return text if isinstance(text, str) else str(text)


def score_text(text: Any) -> float:
    """VADER compound score in [-1, 1] of one text; None, NaN and empty text score 0.0."""
    text = _as_text(text)
    return _compound(text) if text else 0.0


def sentiment_label(compound: float | None) -> str | None:
    """'positive' (≥ 0.05), 'negative' (≤ -0.05) or 'neutral'; None for an unscored text."""
    if compound is None or (isinstance(compound, float) and math.isnan(compound)):
        return None
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


# --- language --------------------------------------------------------------------------------

# Short, high-frequency function words per language. Words shared between languages ("de",
# "no", "a", "me", "in", "la", "para") or common in English chat ("do", "um", "im", "plus",
# "ya") and names ("Dan", "Ada") are left out, so a single hit is already evidence.
# Romanised Hindi (Hinglish) and Tagalog are common in crowd workforces and often mixed with English words.
_STOP_WORDS = {
    "en": """the and is are was were i you it this that to of for with my we have has not but be
        they can will just what when how why there been would could should your our their
        from about any all still again me am its it's i'm don't didn't can't haven't doesn't""",
    "es": """el los las que y es por con una un muy pero está estoy tengo hay porque cuando
        también sin todo nada gracias hola yo fue son del al como más qué cómo hasta desde
        nunca ningún ninguna pagan tareas todavía ahora mismo pues eso esto usted ustedes""",
    "pt": """não nao uma com da dos das na os eu você voce muito obrigado obrigada
        tarefas mais isso isto estou tenho ainda já também quando ninguém nenhum nenhuma
        pagamento recebi foi são ao pelo pela meu minha agora sempre vocês""",
    "fr": """le les des du une et est je il elle nous vous ils pas ne qui pour avec dans sur
        mais ou très tres merci c'est j'ai ce cette sont été être mon ma mes aussi toujours
        jamais rien au aux moins tâches paiement n'ai n'est encore""",
    "de": """der die das und ist nicht ich wir ihr ein eine einen zu mit auf für fur von den
        dem des auch noch nur aber wenn wie sehr schon kein keine habe haben wird werden
        bin sind danke bitte immer warum oder doch dass weil mein meine bezahlt aufgaben""",
    "id": """yang ini itu dengan untuk tidak saya kami kita akan dari juga sudah
        belum bisa tapi atau karena jika kalau bagaimana kenapa sangat sekali terima kasih
        tugas gaji masih hanya harus gak nggak tdk aja sih dong banget udah sampai""",
    "tl": """ang ng mga sa ay mo hindi po naman lang ba kasi yung ako ikaw siya kami tayo
        namin natin nila wala meron kung dahil talaga sana salamat paano bakit ano kailan
        dito doon ito iyan yan nang rin din nga opo bayad trabaho""",
    "hi": """hai hain nahi nahin nhi kya mein ka ki ke ko se aur bhi tha thi raha rahi yeh
        woh kuch bahut abhi kab kaise kyun kyu mujhe hum aap ap bhai paisa paise kaam karo
        karna gaya gayi hua hui tak wala wali""",
}
_WORD_LANGS: dict[str, list[str]] = {}
for _lang, _words in _STOP_WORDS.items():
    for _word in _words.split():
        # Apostrophes split words in the tokenizer below, so "c'est" is looked up as "est".
        for _part in re.findall(r"[^\W\d_]+", _word):
            _WORD_LANGS.setdefault(_part, []).append(_lang)
_WORD = re.compile(r"[^\W\d_]+")
# Letters outside Latin (and the general punctuation/emoji planes): decide by script.
# Latin Extended Additional (U+1E00-1EFF, Vietnamese) is left out: it is Latin.
_NON_LATIN = re.compile(
    "[\u0370-\u1dff\u1f00-\u1fff\u3040-\u30ff\u3400-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufb50-\ufdff\ufe70-\ufeff]"
)
_SCRIPTS = (
    ((0x0900, 0x097F), "hi"),  # Devanagari
    ((0x0980, 0x09FF), "bn"),
    ((0x0B80, 0x0BFF), "ta"),
    ((0x0590, 0x05FF), "he"),
    ((0x0600, 0x06FF), "ar"),
    ((0x0750, 0x077F), "ar"),
    ((0xFB50, 0xFDFF), "ar"),
    ((0xFE70, 0xFEFF), "ar"),
    ((0x3040, 0x30FF), "ja"),  # kana
    ((0x3400, 0x9FFF), "zh"),  # Han, also used in Japanese: kana decides
    ((0xF900, 0xFAFF), "zh"),
    ((0x0400, 0x04FF), "ru"),  # Cyrillic
    ((0xAC00, 0xD7AF), "ko"),
    ((0x0E00, 0x0E7F), "th"),
    ((0x0370, 0x03FF), "el"),
)


def _script_language(text: str) -> str | None:
    chars = _NON_LATIN.findall(text)
    if not chars:
        return None
    letters = sum(1 for c in text if c.isalpha())
    # A stray symbol in an English message must not flip it: most letters must be non-Latin.
    if len(chars) * 2 < letters:
        return None
    counts: dict[str, int] = {}
    for c in chars:
        cp = ord(c)
        for (lo, hi), lang in _SCRIPTS:
            if lo <= cp <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    if counts.get("ja") and counts.get("zh"):
        return "ja"
    return max(counts, key=counts.get)


def detect_language(text: Any) -> str:
    """ISO 639-1 code guessed from script and common words, or 'und' when it cannot be told."""
    text = _as_text(text)
    if not text:
        return "und"
    if not text.isascii():
        by_script = _script_language(text)
        if by_script:
            return by_script
    hits: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        for lang in _WORD_LANGS.get(word, ()):
            hits[lang] = hits.get(lang, 0) + 1
    if not hits:
        return "und"
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)
    best, best_hits = ranked[0]
    runner_up_hits = ranked[1][1] if len(ranked) > 1 else 0
    if best_hits == runner_up_hits:
        # A tie with English is usually English with a borrowed word ("gracias for the help").
        return "en" if hits.get("en", 0) == best_hits else "und"
    return best


# --- batch -----------------------------------------------------------------------------------


def _analysis_uncached(text: str) -> tuple[float | None, str]:
    language = detect_language(text)
    if language not in SCORED_LANGUAGES:
        return None, language
    return _compound(text), language


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
    """(compound, language) for one text; compound is None for a non-English text."""
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


def _warm_worker() -> None:
    _analyzer()


def _pool_results(texts: list[str], workers: int) -> list[tuple[float | None, str]]:
    # forkserver, not fork: the app calls this from Streamlit's threads, and forking a
    # threaded process can deadlock the child on a lock another thread held.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["core.feedback.sentiment"])
    chunks = [texts[i : i + POOL_CHUNK] for i in range(0, len(texts), POOL_CHUNK)]
    with _bare_main():
        pool = context.Pool(workers, initializer=_warm_worker)
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
    """Compound scores (float, NaN where not English) and language codes for many texts."""
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
