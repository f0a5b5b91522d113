"""Feedback themes: a starting taxonomy for crowd work, phrase matching, discovery and quotes.

The taxonomy's English phrases live here; its phrases in the crowd's other languages (Spanish,
Portuguese, French, Indonesian, German, Arabic, Hindi and Tagalog in Latin script) in data/theme_phrases.csv.
Matching ignores accents, so "instruções" and "instrucoes" both count.
"""

import csv
import functools
import math
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.errors import CrowdPulseError
from core.feedback import stopwords
from core.feedback.language import detect_language, language_name
from core.settings import DATA_DIR

THEME_PHRASES_FILE = DATA_DIR / "theme_phrases.csv"
# Texts read as English: undetermined ones ("payout late") are far more often English than not.
ENGLISH_LIKE = frozenset({"en", "und"})
# Discovery runs per language with that language's stop words (core.feedback.stopwords); texts in
# other languages would only surface their function words, so they are left out.
DISCOVERY_LANGUAGES = ENGLISH_LIKE | stopwords.languages_with_stop_words()


@dataclass(frozen=True)
class Theme:
    """A feedback theme: what it is called, which team owns it, and the phrases that signal it."""

    key: str
    label: str
    owner: str  # ops, quality, learning, payments, tooling
    phrases: tuple[str, ...]


# The starting themes; their phrases (English and the crowd's other languages) are in THEME_PHRASES_FILE.
_THEMES = [
    ("payments", "Pay and payouts", "payments"),
    ("instructions", "Guidelines and instructions", "learning"),
    ("task_availability", "Task availability", "ops"),
    ("tooling", "Tools and platform bugs", "tooling"),
    ("quality_feedback", "Quality reviews and rejections", "quality"),
    ("support", "Support responsiveness", "ops"),
    ("onboarding", "Onboarding and qualification", "learning"),
    ("community", "Community and events", "ops"),
]

def load_taxonomy(path=THEME_PHRASES_FILE) -> list[Theme]:
    """The starting themes with their phrases in every language of the phrase file (theme,language,phrase rows)."""
    phrases: dict[str, list[str]] = defaultdict(list)
    with open(path, encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            phrases[row["theme"]].append(row["phrase"])
    return [Theme(key, label, owner, tuple(phrases[key])) for key, label, owner in _THEMES]


TAXONOMY: list[Theme] = load_taxonomy()
OWNER_TEAMS = ("ops", "quality", "learning", "payments", "tooling")

# The Comms studio template to draft from when writing to the taskers behind a theme.
THEME_TEMPLATES = {"instructions": "guideline_update", "quality_feedback": "guideline_update",
                   "onboarding": "guideline_update", "community": "event_invite"}


def template_for(theme: str) -> str:
    """The message template that answers taskers unhappy about a theme (an incident notice unless named)."""
    return THEME_TEMPLATES.get(theme, "incident_notice")


# --- matching --------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def _word_pattern(word: str) -> str:
    """Regex for one phrase word with light inflection: plurals, -ed, -ing, -er, -ion."""
    escaped = re.escape(word).replace("'", "'?")  # "havent" matches "haven't"
    if not word.isalpha():
        return escaped
    # Short words only take plurals: "test" must not match "testing the new tool",
    # "pay" must not match "payable", "bug" must match "bugs".
    if len(word) < 5:
        return escaped + "(?:s|es)?"
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|er|ers|ing|ion|ions)?"
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    return escaped + "(?:s|es|ed|ing|er|ers|ion|ions)?"


def _fold(text: str) -> str:
    """The text without accents ("pésimo" → "pesimo"); ASCII text as it is."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _phrase_pattern(phrase: str) -> str:
    words = _fold(phrase.lower().translate(_APOSTROPHES)).split()
    return r"[\s\-]+".join(_word_pattern(w) for w in words)


@functools.lru_cache(maxsize=256)
def _theme_regex(phrases: tuple[str, ...]) -> re.Pattern:
    alternatives = sorted({_phrase_pattern(p) for p in phrases}, key=len, reverse=True)
    # Lookarounds instead of \b: phrases may start or end with punctuation ("q&a session").
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")


def _is_missing(text: Any) -> bool:
    return text is None or (isinstance(text, float) and math.isnan(text))


def _normalise(text: Any) -> str:
    return "" if _is_missing(text) else str(text).lower().translate(_APOSTROPHES)


def match_themes(text: Any, taxonomy: Sequence[Theme] = TAXONOMY) -> list[str]:
    """Keys of the taxonomy themes whose phrases occur in the text, in taxonomy order."""
    return _match_normalised(_normalise(text), taxonomy)


def _match_normalised(text: str, taxonomy: Sequence[Theme]) -> list[str]:
    if not text:
        return []
    text = _fold(text)
    return [theme.key for theme in taxonomy if _theme_regex(theme.phrases).search(text)]


def match_themes_many(texts: Iterable[Any], taxonomy: Sequence[Theme] = TAXONOMY) -> list[list[str]]:
    """match_themes for many texts; identical texts are matched once."""
    seen: dict[str, list[str]] = {}
    out = []
    for text in texts:
        text = _normalise(text)
        if text not in seen:
            seen[text] = _match_normalised(text, taxonomy)
        out.append(list(seen[text]))
    return out


def theme_by_key(key: str, taxonomy: Sequence[Theme] = TAXONOMY) -> Theme | None:
    """The theme with this key, or None."""
    return next((t for t in taxonomy if t.key == key), None)


# --- themes the team adopts ------------------------------------------------------------------


class InvalidTheme(CrowdPulseError):
    """A theme to adopt has no usable name, phrases or owner, or clashes with an existing one."""


def theme_key(name: str) -> str:
    """A stable key for a theme name: lower-case words joined by underscores ("Night shift" → "night_shift")."""
    return "_".join(re.findall(r"[a-z0-9]+", _normalise(name)))


def adopted_theme(name: str, phrases: Iterable[str], owner: str,
                  taxonomy: Sequence[Theme] = TAXONOMY) -> Theme:
    """A new theme named by the team, checked against the taxonomy it joins."""
    key = theme_key(name)
    if not key:
        raise InvalidTheme("Give the theme a name with at least one letter or digit.")
    if theme_by_key(key, taxonomy) is not None:
        raise InvalidTheme(f"There is already a theme called '{key.replace('_', ' ')}'; pick another name.")
    cleaned = list(dict.fromkeys(p for p in (" ".join(_normalise(p).split()) for p in phrases) if len(p) >= 3))
    if not cleaned:
        raise InvalidTheme("List at least one phrase of three or more characters that signals the theme.")
    if owner not in OWNER_TEAMS:
        raise InvalidTheme(f"The owner must be one of: {', '.join(OWNER_TEAMS)}.")
    return Theme(key=key, label=" ".join(name.split()), owner=owner, phrases=tuple(cleaned))


def theme_as_dict(theme: Theme) -> dict:
    """A theme as plain JSON-ready values (how adopted themes are stored)."""
    return {"key": theme.key, "label": theme.label, "owner": theme.owner, "phrases": list(theme.phrases)}


def taxonomy_with(adopted: Iterable[dict]) -> list[Theme]:
    """The starting taxonomy followed by the team's adopted themes (stored as dicts)."""
    extra = [Theme(key=t["key"], label=t["label"], owner=t["owner"], phrases=tuple(t["phrases"])) for t in adopted]
    return [*TAXONOMY, *extra]


def theme_labels(taxonomy: Sequence[Theme] = TAXONOMY) -> dict[str, str]:
    """Readable label per theme key."""
    return {t.key: t.label for t in taxonomy}


def theme_owners(taxonomy: Sequence[Theme] = TAXONOMY) -> dict[str, str]:
    """Owning team per theme key (ops, quality, learning, payments, tooling)."""
    return {t.key: t.owner for t in taxonomy}


# --- discovery -------------------------------------------------------------------------------

# English function words plus words every crowd-work message uses (see core.feedback.stopwords).
STOP_WORDS = stopwords.ENGLISH_STOP_WORDS
_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_']*[^\W\d_])?")


def _candidate_ngrams(text: str, stop: frozenset[str] = STOP_WORDS, max_n: int = 3) -> set[str]:
    """1-3 word phrases from runs of content words; stop words and punctuation break a run."""
    grams: set[str] = set()
    for segment in re.split(r"[.!?,;:()\[\]\"\n]+", text):
        run: list[str] = []
        for token in _TOKEN.findall(segment) + [""]:
            if token and token not in stop and len(token) > 2:
                run.append(token)
                continue
            for n in range(1, max_n + 1):
                for i in range(len(run) - n + 1):
                    grams.add(" ".join(run[i : i + n]))
            run = []
    return grams


def discover_themes(
    texts: Sequence[Any],
    known_themes_lists: Sequence[Sequence[str]] | None = None,
    *,
    languages: Sequence[Any] | None = None,
    min_count: int = 5,
    top: int = 15,
    taxonomy: Sequence[Theme] = TAXONOMY,
) -> pd.DataFrame:
    """Candidate new themes per language: recurring phrases in texts of one language that no known theme covers.

    `known_themes_lists` gives each text's themes (only whether it has any counts: a flag will do);
    without it the texts are matched against `taxonomy`. `languages` gives each text's language code
    (as stored); without it each text's language is detected. Undetermined texts count as English.
    Each language yields up to `top` candidates, named in the `language` column.
    """
    raw = ["" if _is_missing(t) else str(t).strip() for t in texts]
    lowered = [_normalise(t) for t in raw]
    if known_themes_lists is None:
        known_themes_lists = match_themes_many(lowered, taxonomy)
    if languages is None:
        languages = [detect_language(t) if t else "und" for t in raw]
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, code in enumerate(languages):
        code = "en" if code in ENGLISH_LIKE or _is_missing(code) else str(code)
        if lowered[i] and code in DISCOVERY_LANGUAGES:
            by_language[code].append(i)
    rows = []
    for code, members in sorted(by_language.items()):
        uncovered = {i for i in members if not known_themes_lists[i]}
        if uncovered:
            found = _candidates(raw, lowered, members, uncovered, stopwords.stop_words(code), min_count, top)
            rows += [{**row, "language": code} for row in found]
    rows.sort(key=lambda r: (-r["count"], r["language"], r["candidate"]))
    return pd.DataFrame(rows, columns=["candidate", "keywords", "count", "example", "language"])


def _candidates(raw: list[str], lowered: list[str], members: list[int], uncovered: set[int],
                stop: frozenset[str], min_count: int, top: int) -> list[dict[str, Any]]:
    """The `top` candidate themes among one language's texts (`members`), seeded by its uncovered ones."""
    scores, docs_by_gram = _phrase_scores(lowered, members, uncovered, min_count, stop)
    # Only the strongest phrases seed candidates; the tail would only add noise (and time).
    ranked = sorted(_longest_phrases(scores, docs_by_gram), key=lambda g: (-scores[g], g))[: top * 10]
    rows = []
    for group in _phrase_groups(ranked, docs_by_gram):
        label = group["keywords"][0]
        docs = sorted(group["docs"])
        # Punctuation can split a phrase ("night-shift"), so fall back to any text of the group.
        examples = [raw[i] for i in docs if label in lowered[i]] or [raw[i] for i in docs]
        rows.append(
            {
                "candidate": label,
                "keywords": group["keywords"][:6],
                "count": len(group["docs"]),
                "example": min(examples, key=lambda t: (_length_penalty(t), t)),
            }
        )
    rows.sort(key=lambda r: (-r["count"], r["candidate"]))
    return rows[:top]


def _phrase_scores(lowered: list[str], members: list[int], uncovered: set[int], min_count: int,
                   stop: frozenset[str]) -> tuple[dict, dict]:
    """(score per recurring phrase of the uncovered texts, the uncovered texts each phrase is in) among `members`."""
    # Document frequency among uncovered texts and among all texts: a phrase common in
    # uncovered texts but rare elsewhere is a gap in the taxonomy, not just a common phrase.
    docs_by_gram: dict[str, set[int]] = defaultdict(set)
    df_all: Counter[str] = Counter()
    grams_of: dict[str, set[str]] = {}  # feedback repeats itself: tokenise each text once
    for i in members:
        text = lowered[i]
        grams = grams_of.get(text)
        if grams is None:
            grams = grams_of[text] = _candidate_ngrams(text, stop)
        df_all.update(grams)
        if i in uncovered:
            for gram in grams:
                docs_by_gram[gram].add(i)
    n_all = len(members)
    scores = {}
    for gram, docs in docs_by_gram.items():
        if len(docs) < min_count:
            continue
        lift = (len(docs) / len(uncovered)) / (df_all[gram] / n_all)
        # Each extra word makes a phrase more specific, so a recurring 3-word phrase outranks
        # a slightly more frequent single word.
        scores[gram] = len(docs) * lift * (1 + 0.5 * gram.count(" "))
    return scores, docs_by_gram


def _longest_phrases(scores: dict, docs_by_gram: dict) -> list[str]:
    """The scored phrases without those that nearly always sit inside a longer one."""
    # A shorter phrase that nearly always sits inside a longer one adds nothing ("night",
    # "shift" inside "night shift rota"): keep the longer phrase only.
    kept: list[str] = []
    subsumed: set[str] = set()
    for gram in sorted(scores, key=lambda g: (-g.count(" "), -len(docs_by_gram[g]), g)):
        if gram in subsumed:
            continue
        kept.append(gram)
        words = gram.split()
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                part = " ".join(words[i : i + n])
                if part in scores and len(docs_by_gram[gram]) >= 0.8 * len(docs_by_gram[part]):
                    subsumed.add(part)
    return kept


def _phrase_groups(ranked: list[str], docs_by_gram: dict) -> list[dict[str, Any]]:
    """Near-duplicates (a shared word, or mostly the same texts) grouped as one candidate theme each."""
    groups: list[dict[str, Any]] = []
    for gram in ranked:
        tokens, docs = set(gram.split()), docs_by_gram[gram]
        for group in groups:
            overlap = len(docs & group["docs"]) / min(len(docs), len(group["docs"]))
            if tokens & group["tokens"] or overlap >= 0.5:
                group["keywords"].append(gram)
                group["tokens"] |= tokens
                group["docs"] |= docs
                break
        else:
            groups.append({"keywords": [gram], "tokens": set(tokens), "docs": set(docs)})
    return groups


def _length_penalty(text: str) -> int:
    # Prefer a quote that reads in one glance: 40-240 characters, ideally about 120.
    off_range = 0 if 40 <= len(text) <= 240 else 10
    return off_range + abs(len(text) - 120) // 40


# --- quotes ----------------------------------------------------------------------------------


def representative_quotes(texts: Sequence[Any], sentiments: Sequence[Any], k: int = 3,
                          median: float | None = None, fill_with_similar: bool = True) -> list[str]:
    """Up to k varied, readable texts whose sentiment is closest to the group's median (given, or of `sentiments`).

    Short of k different ones, texts similar to a chosen one fill the rest (unless `fill_with_similar` is off).
    """
    values = [_as_float(s) for s in sentiments]
    if median is None:
        scored = [v for v in values if not math.isnan(v)]
        median = statistics.median(scored) if scored else 0.0
    candidates = []
    for position, (text, value) in enumerate(zip(texts, values)):
        text = "" if _is_missing(text) else str(text).strip()
        if not text:
            continue
        distance = abs(value - median) if not math.isnan(value) else 2.0
        readable = 0 if 40 <= len(text) <= 240 else 1
        candidates.append((readable, round(distance, 3), position, text))
    candidates.sort()
    quotes: list[str] = []
    chosen_words: list[set[str]] = []
    similar: list[str] = []
    seen: set[str] = set()
    seen_texts: set[str] = set()  # feedback repeats itself: an exact copy needs no key
    for *_, text in candidates:
        if text in seen_texts:
            continue
        seen_texts.add(text)
        # Copies that differ only in case, punctuation, spacing or numbers ("pending for 9 days"
        # vs "for 3 days") are one quote; a quote sharing most of its words with one already
        # chosen is kept back, so three quotes show three different things people say.
        key = _quote_key(text)
        if key in seen:
            continue
        seen.add(key)
        words = {w for w in key.split() if len(w) > 2 and w not in STOP_WORDS}
        if any(_word_overlap(words, other) >= QUOTE_OVERLAP for other in chosen_words):
            similar.append(text)
            continue
        quotes.append(text)
        chosen_words.append(words)
        if len(quotes) == k:
            return [in_its_language(q) for q in quotes]
    quotes = quotes + similar[: k - len(quotes)] if fill_with_similar else quotes
    return [in_its_language(q) for q in quotes]


def in_its_language(quote: str) -> str:
    """A quote as written, followed by its language's name when that is not English ("… (in Spanish)")."""
    language = detect_language(quote)
    return quote if language in ENGLISH_LIKE else f"{quote} (in {language_name(language)})"


# Two quotes say the same thing when this share of the shorter one's content words is in the
# other ("The new guidelines for Cedar are confusing" / "... for Beacon are confusing": 2 of 3).
QUOTE_OVERLAP = 0.6
_NOT_A_WORD = re.compile(r"[\W\d_]+")


def _quote_key(text: str) -> str:
    return _NOT_A_WORD.sub(" ", text.lower()).strip()


def _word_overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else float(a == b)


def _as_float(value: Any) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def effective_themes(frame: pd.DataFrame) -> pd.Series:
    """The themes a human set where they did (even an empty list), else the computed ones."""
    computed = frame["themes"] if "themes" in frame else pd.Series([[]] * len(frame), index=frame.index)
    if "themes_override" not in frame:
        return computed
    override = frame["themes_override"]
    return override.where(override.notna(), computed)
