"""Faster, identical internals for two lexicons, installed when the lexicon is loaded: same scores, less time.

Portuguese: LeIA's `SentiText` strips punctuation from each word by building, for every text, a dictionary of
every word joined with every one of 22 punctuation marks on either side, then looking words up in
it: two thirds of Portuguese scoring time. Here each word is checked against those marks directly.
The result is the same: LeIA removes accents and non-ASCII characters first, so the words it joins
hold no punctuation, and a word matches at most one mark on each side (test_scorer_speedups pins it).

French: vaderSentiment-fr strips accents with `unidecode` for every word it looks at, and again for
its negation list on every sentiment word; the same few thousand words recur, so their accent-free
forms are remembered (`unidecode` is a pure function).
"""

import functools
import types
from typing import Any

UNIDECODE_CACHE = 100_000

_installed = False
# LeIA's own method, kept when `install` replaces it (the tests compare the two).
leias_own = None


def _strip_punctuation(word: str, words: set[str], marks: tuple[str, ...]) -> str:
    # LeIA's dictionary lets "word" + mark win over mark + "word"; keep that order.
    for mark in marks:
        if word.endswith(mark) and word[: -len(mark)] in words:
            return word[: -len(mark)]
    for mark in marks:
        if word.startswith(mark) and word[len(mark):] in words:
            return word[len(mark):]
    return word


def words_and_emoticons(sentitext: Any) -> list[str]:
    """The words of a LeIA SentiText with leading or trailing punctuation removed, as LeIA's own method gives."""
    from LeIA import leia

    text = sentitext.text
    words = {w for w in leia.REGEX_REMOVE_PUNCTUATION.sub("", text).split() if len(w) > 1}
    marks = tuple(leia.PUNC_LIST)
    out = []
    for word in text.split():
        if len(word) > 1:
            edge = word[0] + word[-1]
            out.append(word if edge.isalnum() else _strip_punctuation(word, words, marks))
    return out


def install(language: str) -> None:
    """Speed up the lexicon of `language` ('pt' or 'fr'; others are left as they are), once per process."""
    if language == "pt":
        _install_leia()
    elif language == "fr":
        _install_vader_fr()


def _install_leia() -> None:
    global _installed, leias_own
    if not _installed:
        from LeIA import leia

        leias_own = leia.SentiText._words_and_emoticons
        leia.SentiText._words_and_emoticons = words_and_emoticons
        _installed = True


def _install_vader_fr() -> None:
    import unidecode
    from vaderSentiment_fr import vaderSentiment as vader_fr

    if isinstance(vader_fr.unidecode, types.SimpleNamespace):
        return
    vader_fr.unidecode = types.SimpleNamespace(
        unidecode=functools.lru_cache(maxsize=UNIDECODE_CACHE)(unidecode.unidecode))
