"""How hard a text is to read: sentences, syllables, the published formulas per language, and the adapted grade.

English gets two figures. The standard Flesch-Kincaid grade counts syllables by heuristic (vowel
groups, minus a silent final e) and matches the published worked examples within half a grade.
The adapted grade is the same formula with what readers struggle with counted as it is read: an
acronym or abbreviation is spoken letter by letter ("IAA" is three syllables, "W" three), so a
message full of acronyms no longer reads as easy. Spanish uses Fernández Huerta's ease, Portuguese
Flesch as adapted by Martins et al. (1996), French Kandel and Moles (1958); those give a reading
ease (0-100, higher is easier), not a grade. Other languages get no readability figure.
"""

import re
import unicodedata
from dataclasses import dataclass

BASE_TARGET_GRADE = 8.0
# Plain language in the ease formulas of other languages: 60 and above (Flesch's "standard").
TARGET_EASE = 60.0

URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
# Words start with a letter: numbers, dates and clock times do not make a sentence harder to read.
WORD = re.compile(r"(?<![\w'’-])[^\W\d_][\w]*(?:['’][^\W\d_]+|-[\w]+)*")
ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]*[A-Z0-9](?:s|'s|’s)?$")
LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|[-*+•]\s+|\d+[.)]\s+|>\s*)*")
BOUNDARY = re.compile(r"(?<=[.!?])[\"”’')\]*_]*\s+")
ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "a.m.", "p.m.", "no.", "approx."}
# Letters whose names have more than one syllable when spoken ("double-u", "zero", "seven").
SPOKEN_LETTER_SYLLABLES = {"W": 3, "0": 2, "7": 2}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French"}


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a list item or heading) with its offsets in the body."""

    start: int
    end: int
    text: str
    words: int
    syllables: int
    spoken_syllables: int = 0

    @property
    def grade(self) -> float:
        """Adapted Flesch-Kincaid grade of this sentence alone (acronyms spoken letter by letter)."""
        return fk_grade(self.words, 1, self.spoken_syllables or self.syllables)


@dataclass(frozen=True)
class Readability:
    """The figures for one text: the published reading ease, the adapted and standard grade, the target, the formula."""

    ease: float
    grade: float
    standard_grade: float
    target_grade: float
    formula: str
    supported: bool = True
    note: str = ""


def mask_urls(text: str) -> str:
    """Links and email addresses blanked out, keeping the length: offsets into the masked text fit the original."""
    return URL.sub(lambda m: " " * len(m.group()), text)


def is_acronym(word: str) -> bool:
    """An all-capitals token of two or more letters or digits ('IAA', 'RLHF', 'F1', 'TLs'), spoken letter by letter."""
    return bool(ACRONYM.match(word)) and sum(ch.isupper() for ch in word) >= 2 or bool(re.fullmatch(r"[A-Z]\d+", word))


def syllables(word: str) -> int:
    """Syllables in an English word by heuristic: vowel groups, minus a silent final e (at least 1)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|(?<![td])ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    count = len(re.findall(r"[aeiouy]+", w))
    # Two vowels that are two syllables: 'Austral-i-an', 'flu-ent', 'stud-y-ing', 'be-ing'.
    count += len(re.findall(r"(?<![cgst])ia|[^aeiou]ua|[^aeiou]uo|[^aeiou]ue(?=n|nt)|yi|[aeo]i(?=ng)", w))
    return max(1, count)


def spoken_syllables(word: str) -> int:
    """Syllables as the word is read aloud: acronyms letter by letter ('IAA' = 3, 'WWW' = 9), others as `syllables`."""
    if is_acronym(word):
        letters = word.rstrip("s'’") if word.endswith(("s", "'s", "’s")) else word
        return sum(SPOKEN_LETTER_SYLLABLES.get(ch, 1) for ch in letters if ch.isalnum())
    return syllables(word)


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def syllables_spanish(word: str) -> int:
    """Syllables in a Spanish word: vowel groups, split between two strong vowels or at an accented í/ú."""
    w = word.lower()
    w = re.sub(r"(?<=[qg])u(?=[eiéí])", "", w)  # the silent u of 'que', 'guía'
    w = re.sub(r"y$", "i", w)
    count = 0
    for group in re.findall(r"[aeiouáéíóúü]+", w):
        count += 1
        for a, b in zip(group, group[1:]):
            strong = "aeoáéó"
            if (a in strong and b in strong) or a in "íú" or b in "íú":
                count += 1
    return max(1, count)


def syllables_romance(word: str) -> int:
    """Syllables in a Portuguese or French word: vowel groups, without the silent final -e/-es/-ent of French."""
    w = _strip_accents(word.lower())
    w = re.sub(r"(?<=[^aeiouy])(?:e|es|ent)$", "", w) if len(w) > 3 else w
    return max(1, len(re.findall(r"[aeiouy]+", w)))


def split_sentences(text: str, *, language: str = "en") -> list[Sentence]:
    """Sentences of a Markdown body: split at . ! ? and at line ends; list items and headings stand alone."""
    count = SYLLABLE_COUNTERS.get(_base(language), syllables)
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
                spoken = sum(spoken_syllables(w) if is_acronym(w) else count(w) for w in words)
                found.append(Sentence(start=offset + s + lead, end=offset + s + trail,
                                      text=text[offset + s + lead:offset + s + trail], words=len(words),
                                      syllables=sum(count(w) for w in words), spoken_syllables=spoken))
        offset += len(line) + 1
    return found


SYLLABLE_COUNTERS = {"en": syllables, "es": syllables_spanish, "pt": syllables_romance, "fr": syllables_romance}


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


def fernandez_huerta(words: int, sentences: int, syllable_count: int) -> float:
    """Spanish reading ease: 206.84 − 60 × syllables per word − 1.02 × words per sentence (Law's correction)."""
    if not words or not sentences:
        return 0.0
    return 206.84 - 60 * syllable_count / words - 1.02 * words / sentences


def flesch_portuguese(words: int, sentences: int, syllable_count: int) -> float:
    """Portuguese reading ease (Martins et al. 1996): Flesch's formula plus 42."""
    if not words or not sentences:
        return 0.0
    return 248.835 - 1.015 * words / sentences - 84.6 * syllable_count / words


def kandel_moles(words: int, sentences: int, syllable_count: int) -> float:
    """French reading ease (Kandel and Moles 1958): 207 − 1.015 × words per sentence − 73.6 × syllables per word."""
    if not words or not sentences:
        return 0.0
    return 207 - 1.015 * words / sentences - 73.6 * syllable_count / words


EASE_FORMULAS = {"es": ("Fernández Huerta", fernandez_huerta), "pt": ("Flesch adapted for Portuguese", flesch_portuguese),
                 "fr": ("Kandel-Moles (Flesch adapted for French)", kandel_moles)}


def _base(language: str | None) -> str:
    return (language or "en").lower().replace("_", "-").split("-")[0]


def measure(sentences: list[Sentence], *, language: str = "en", second_language_share: float = 0.0) -> Readability:
    """The readability figures of split sentences in their language (no figure for languages without a formula)."""
    lang = _base(language)
    words = sum(s.words for s in sentences)
    plain, spoken = sum(s.syllables for s in sentences), sum(s.spoken_syllables for s in sentences)
    if lang == "en":
        return Readability(ease=round(flesch_reading_ease(words, len(sentences), plain), 1),
                           grade=round(max(fk_grade(words, len(sentences), spoken), 0.0), 1),
                           standard_grade=round(max(fk_grade(words, len(sentences), plain), 0.0), 1),
                           target_grade=target_grade(second_language_share), formula="Flesch-Kincaid")
    if lang in EASE_FORMULAS:
        name, formula = EASE_FORMULAS[lang]
        return Readability(ease=round(formula(words, len(sentences), plain), 1), grade=0.0, standard_grade=0.0,
                           target_grade=0.0, formula=name)
    return Readability(ease=0.0, grade=0.0, standard_grade=0.0, target_grade=0.0, formula="", supported=False,
                       note="No readability check for this language.")


def target_grade(second_language_share: float) -> float:
    """Grade 8 for native readers; 7 when a quarter, 6 when half the audience reads English as a second language."""
    if second_language_share >= 0.5:
        return 6.0
    if second_language_share >= 0.25:
        return 7.0
    return BASE_TARGET_GRADE
