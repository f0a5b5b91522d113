"""Feedback themes: a starting taxonomy for crowd work, phrase matching, discovery and quotes."""

import functools
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.errors import CrowdPulseError
from core.feedback.sentiment import SCORED_LANGUAGES, detect_language


@dataclass(frozen=True)
class Theme:
    """A feedback theme: what it is called, which team owns it, and the phrases that signal it."""

    key: str
    label: str
    owner: str  # ops, quality, learning, payments, tooling
    phrases: tuple[str, ...]


TAXONOMY: list[Theme] = [
    Theme(
        "payments",
        "Pay and payouts",
        "payments",
        (
            "pay", "pay rate", "payrate", "paycheck", "payout", "pay out", "payment", "paid",
            "unpaid", "invoice", "paypal", "payoneer", "wise transfer", "haven't been paid",
            "not been paid",
            "not paid", "didn't get paid", "missing payment", "late payment", "bonus",
            "incentive", "rate cut", "lower rate", "hourly rate", "per task rate", "salary",
            "earnings", "wage", "compensation", "withdrawal", "tax form", "w-8ben", "money",
        ),
    ),
    Theme(
        "instructions",
        "Guidelines and instructions",
        "learning",
        (
            "guideline", "instruction", "unclear", "confusing", "confused", "confusion",
            "rubric", "examples", "contradict", "contradictory", "ambiguous", "ambiguity",
            "edge case", "not sure how", "what does it mean", "clarify", "clarification",
            "documentation", "spec", "criteria", "hard to understand", "makes no sense",
            "don't understand", "do not understand", "what counts as",
        ),
    ),
    Theme(
        "task_availability",
        "Task availability",
        "ops",
        (
            "no tasks", "no task available", "no work", "no more tasks", "empty queue",
            "queue is empty", "queue empty", "ran out of work", "ran out of tasks",
            "out of tasks", "waiting for tasks", "waiting for work", "task availability",
            "not enough tasks", "tasks dried up", "nothing to do", "zero tasks",
            "project paused", "project ended", "when will tasks", "more work",
            "queue has been empty", "queue was empty", "available tasks", "tasks available",
            "tasks disappear", "lots of tasks", "plenty of tasks", "more tasks",
        ),
    ),
    Theme(
        "tooling",
        "Tools and platform bugs",
        "tooling",
        (
            "bug", "crash", "upload failed", "failed to upload", "can't upload", "cannot upload",
            "stuck", "loading", "won't load", "not loading", "doesn't load", "error",
            "timeout", "timed out", "glitch", "broken", "freeze", "frozen", "lag", "laggy",
            "slow platform", "platform is slow", "tool is slow", "login", "log in", "sign in",
            "password reset", "blank screen", "white screen", "submit button", "can't submit",
            "cannot submit", "extension", "browser", "tool", "page load", "shortcut",
        ),
    ),
    Theme(
        "quality_feedback",
        "Quality reviews and rejections",
        "quality",
        (
            "rejected", "rejection", "reject", "reviewer", "review score", "quality score",
            "score", "audit", "auditor", "disqualified", "disqualification", "removed from project",
            "kicked from", "accuracy", "feedback on my work", "unfair review", "dispute",
            "appeal", "strike", "warning", "flagged", "qa",
        ),
    ),
    Theme(
        "support",
        "Support responsiveness",
        "ops",
        (
            "ticket", "no reply", "no response", "never replied", "no one replied",
            "nobody replied", "support", "support team", "contact support", "support is slow",
            "support agent", "customer support", "support ticket", "help channel", "helpdesk",
            "help desk", "waiting for an answer", "waiting for a response", "waiting for a reply",
            "ignored", "no answer", "unanswered", "follow up", "escalate",
        ),
    ),
    Theme(
        "onboarding",
        "Onboarding and qualification",
        "learning",
        (
            "onboarding", "onboard", "qualification", "qualify", "assessment", "training",
            "test", "exam", "quiz", "certification", "entry test", "skills test",
            "trial task", "new to the project", "getting started", "account approval",
            "verification", "verify my account", "id check", "background check",
        ),
    ),
    Theme(
        "community",
        "Community and events",
        "ops",
        (
            "event", "office hours", "ama", "ask me anything", "discord community",
            "community", "webinar", "meetup", "town hall", "newsletter", "livestream",
            "live stream", "q&a session", "forum", "community call", "shoutout",
        ),
    ),
]

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


def _phrase_pattern(phrase: str) -> str:
    words = phrase.lower().translate(_APOSTROPHES).split()
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

# English function words plus words every crowd-work message uses: they would otherwise top
# every discovery list ("task", "project", "please").
STOP_WORDS = frozenset(
    """a about above after again against all almost also am an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even ever every few for from further
    get gets getting got had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just let's like
    me more most much my myself need needs no nor not now of off on once only or other our ours
    ourselves out over own really same she should shouldn't so some such than that that's the
    their theirs them themselves then there there's these they they're this those through to too
    under until up us very was wasn't we we're were weren't what what's when where which while
    who whom why will with won't would wouldn't you you're your yours yourself yourselves
    already always another anyone anything around back day days else everyone still thing
    things today week weeks yesterday time times make made one two lot lots way well yes yeah ok
    okay hi hello hey dear thanks thank please team guys everyone anybody someone something
    task tasks project projects work working worked job jobs know think want going go see said
    say says since last first new also though may might must shall us via etc im dont cant ive
    didnt doesnt isnt wont""".split()
)
_TOKEN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")


def _candidate_ngrams(text: str, max_n: int = 3) -> set[str]:
    """1-3 word phrases from runs of content words; stop words and punctuation break a run."""
    grams: set[str] = set()
    for segment in re.split(r"[.!?,;:()\[\]\"\n]+", text):
        run: list[str] = []
        for token in _TOKEN.findall(segment) + [""]:
            if token and token not in STOP_WORDS and len(token) > 2:
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
    min_count: int = 5,
    top: int = 15,
    taxonomy: Sequence[Theme] = TAXONOMY,
) -> pd.DataFrame:
    """Candidate new themes: recurring phrases in texts that no known theme covers.

    `known_themes_lists` gives each text's themes (only whether it has any counts: a flag will do);
    without it the texts are matched against `taxonomy`.
    """
    columns = ["candidate", "keywords", "count", "example"]
    raw = ["" if _is_missing(t) else str(t).strip() for t in texts]
    lowered = [_normalise(t) for t in raw]
    if known_themes_lists is None:
        known_themes_lists = match_themes_many(lowered, taxonomy)
    # The stop words and the taxonomy are English: a Spanish complaint about payment is not a
    # new theme, so texts in other languages are left out of discovery.
    uncovered = {
        i
        for i, themes in enumerate(known_themes_lists)
        if not themes and lowered[i] and detect_language(lowered[i]) in SCORED_LANGUAGES
    }
    if not uncovered:
        return pd.DataFrame(columns=columns)
    scores, docs_by_gram = _phrase_scores(lowered, uncovered, min_count)
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
    return pd.DataFrame(rows[:top], columns=columns)


def _phrase_scores(lowered: list[str], uncovered: set[int], min_count: int) -> tuple[dict, dict]:
    """(score per recurring phrase of the uncovered texts, the uncovered texts each phrase is in)."""
    # Document frequency among uncovered texts and among all texts: a phrase common in
    # uncovered texts but rare elsewhere is a gap in the taxonomy, not just a common phrase.
    docs_by_gram: dict[str, set[int]] = defaultdict(set)
    df_all: Counter[str] = Counter()
    grams_of: dict[str, set[str]] = {}  # feedback repeats itself: tokenise each text once
    for i, text in enumerate(lowered):
        if not text:
            continue
        grams = grams_of.get(text)
        if grams is None:
            grams = grams_of[text] = _candidate_ngrams(text)
        df_all.update(grams)
        if i in uncovered:
            for gram in grams:
                docs_by_gram[gram].add(i)
    n_all = sum(1 for t in lowered if t)
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
            return quotes
    return quotes + similar[: k - len(quotes)] if fill_with_similar else quotes


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
