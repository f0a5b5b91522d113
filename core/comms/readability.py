"""How hard an English text is to read: its sentences, syllables, Flesch reading ease and Flesch-Kincaid grade.

Syllables are counted by heuristic (vowel groups, minus a silent final e). The target grade is 8, and
lower when much of the audience reads English as a second language.
"""

import re
from dataclasses import dataclass

BASE_TARGET_GRADE = 8.0

URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
# Words start with a letter: numbers, dates and clock times do not make a sentence harder to read.
WORD = re.compile(r"(?<![\w'’-])[A-Za-z][A-Za-z0-9]*(?:['’][A-Za-z]+|-[A-Za-z0-9]+)*")
LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|[-*+•]\s+|\d+[.)]\s+|>\s*)*")
BOUNDARY = re.compile(r"(?<=[.!?])[\"”’')\]*_]*\s+")
ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "a.m.", "p.m.", "no.", "approx."}


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a list item or heading) with its offsets in the body."""

    start: int
    end: int
    text: str
    words: int
    syllables: int

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade of this sentence alone."""
        return fk_grade(self.words, 1, self.syllables)


def mask_urls(text: str) -> str:
    """Links and email addresses blanked out; the same length, so offsets into the masked text are offsets into the original."""
    # Same length, so offsets into the masked text are offsets into the original.
    return URL.sub(lambda m: " " * len(m.group()), text)


def syllables(word: str) -> int:
    """Syllables in an English word by heuristic: vowel groups, minus a silent final e (at least 1)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|(?<![td])ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]+", w)))


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a Markdown body: split at . ! ? and at line ends; list items and headings stand alone."""
    masked = mask_urls(text)
    found: list[Sentence] = []
    offset = 0
    for line in masked.split("\n"):
        marker = LINE_MARKER.match(line)
        begin = marker.end() if marker else 0
        pieces, cursor = [], begin
        for boundary in BOUNDARY.finditer(line, begin):
            before = line[cursor:boundary.start()].split()
            if before and before[-1].lower().strip("*_\"'(") in ABBREVIATIONS:
                continue
            pieces.append((cursor, boundary.start()))
            cursor = boundary.end()
        pieces.append((cursor, len(line)))
        for s, e in pieces:
            chunk = line[s:e]
            words = WORD.findall(chunk)
            if words:
                lead = len(chunk) - len(chunk.lstrip())
                trail = len(chunk.rstrip())
                found.append(Sentence(start=offset + s + lead, end=offset + s + trail,
                                      text=text[offset + s + lead:offset + s + trail], words=len(words),
                                      syllables=sum(syllables(w) for w in words)))
        offset += len(line) + 1
    return found


def flesch_reading_ease(words: int, sentences: int, syllable_count: int) -> float:
    """206.835 − 1.015 × words per sentence − 84.6 × syllables per word (0 for no words)."""
    if not words or not sentences:
        return 0.0
    return 206.835 - 1.015 * words / sentences - 84.6 * syllable_count / words


def fk_grade(words: int, sentences: int, syllable_count: int) -> float:
    """Flesch-Kincaid grade: 0.39 × words per sentence + 11.8 × syllables per word − 15.59."""
    if not words or not sentences:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syllable_count / words - 15.59


def target_grade(second_language_share: float) -> float:
    """Grade 8 for native readers; 7 when a quarter, 6 when half the audience reads English as a second language."""
    if second_language_share >= 0.5:
        return 6.0
    if second_language_share >= 0.25:
        return 7.0
    return BASE_TARGET_GRADE
