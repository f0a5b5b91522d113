"""Plain-language checks for a message to a global crowd, each finding with its place and a fix.

Kinds (also the CLI's): readability, jargon, idiom, long_sentence, passive, ambiguous_date,
time_without_zone, tone, length, no_call_to_action. Findings carry the offending text, its
1-based line in the body (0 for the subject or the message as a whole) and character offsets
so the studio can highlight them Hemingway-style.

Readability is the Flesch reading ease and Flesch-Kincaid grade with a syllable heuristic
(vowel groups, minus a silent final e). The target grade is 8, and lower when much of the
audience reads English as a second language. English-only checks (readability, jargon,
idioms, passive voice, tone) are skipped for other language versions.
"""

import csv
import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from core.comms.readability import (
    Sentence,
    fk_grade,
    flesch_reading_ease,
    mask_urls,
    split_sentences,
    target_grade,
)
from core.comms.templates import split_front_matter
from core.exports import markdown_literal
from core.feedback.sentiment import score_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GLOSSARY_FILE = PROJECT_ROOT / "data" / "glossary.csv"
IDIOMS_FILE = PROJECT_ROOT / "data" / "idioms.csv"

KINDS = ("readability", "jargon", "idiom", "long_sentence", "passive", "ambiguous_date", "time_without_zone",
         "tone", "length", "no_call_to_action")
CHANNELS = ("email", "slack", "discord", "in_app")

LONG_SENTENCE_WORDS = 25
# Hard sentences (Hemingway's "very hard to read") get a finding of their own.
HARD_SENTENCE_GRADE = 12.0
HARD_SENTENCE_MIN_WORDS = 10
NEGATIVE_TONE = -0.6
# Email subjects are cut off in most inboxes past about 60 characters; Slack advises keeping
# a message under 4,000 characters; Discord refuses more than 2,000; a banner is one short line.
SUBJECT_LIMIT = 60
BODY_LIMITS = {"slack": 4000, "discord": 2000, "in_app": 160}
ENGLISH_ONLY = {"readability", "jargon", "idiom", "passive", "tone", "long_sentence", "no_call_to_action"}


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the offending text, its line (0 = subject or whole message), a fix, where."""

    kind: str
    text: str
    line: int
    suggestion: str
    start: int = -1
    end: int = -1
    part: str = "body"

    def public(self) -> dict:
        """The fields the CLI prints: kind, text, line, suggestion."""
        return {"kind": self.kind, "text": self.text, "line": self.line, "suggestion": self.suggestion}


@dataclass(frozen=True)
class CheckReport:
    """Readability figures and every finding for one message."""

    flesch_reading_ease: float
    grade: float
    target_grade: float
    words: int
    sentences: int
    language: str
    channel: str
    findings: list[Finding] = field(default_factory=list)

    def public(self) -> dict:
        """The CLI's JSON: readability figures and findings [{kind, text, line, suggestion}]."""
        out = {k: v for k, v in asdict(self).items() if k != "findings"}
        out["findings"] = [f.public() for f in self.findings]
        return out

    def count(self, kind: str) -> int:
        """How many findings of one kind."""
        return sum(1 for f in self.findings if f.kind == kind)


# --- word lists ---------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_pairs(path: str) -> tuple[tuple[str, str], ...]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return tuple((row[0].strip(), row[1].strip()) for row in rows[1:] if len(row) >= 2 and row[0].strip())


def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[tuple[str, str], ...]:
    """(term, plain replacement) pairs from the jargon glossary CSV."""
    return _read_pairs(str(path))


def load_idioms(path: Path = IDIOMS_FILE) -> tuple[tuple[str, str], ...]:
    """(phrase, plain wording) pairs of idioms and slang that do not travel."""
    return _read_pairs(str(path))


def _phrase_pattern(phrase: str, *, inflect_first: bool) -> re.Pattern:
    words = re.split(r"[\s-]+", phrase.strip())
    parts = [re.escape(w) for w in words]
    if inflect_first:
        parts[0] += r"\w*" if len(words) > 1 else r"(?:s|es|ed|ing)?"
    else:
        parts[-1] += r"(?:s|es)?"
    body = r"[\s-]+".join(parts)
    # Acronyms (SLA, QA) only match in capitals: 'qa' or 'sla' in other words are not jargon.
    flags = 0 if phrase.isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


@lru_cache(maxsize=8)
def _compiled(pairs: tuple[tuple[str, str], ...], inflect_first: bool) -> tuple[tuple[re.Pattern, str, str], ...]:
    return tuple((_phrase_pattern(term, inflect_first=inflect_first), term, plain) for term, plain in pairs)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


# --- the checks ---------------------------------------------------------------------------------


def _readability(body: str, sentences: list[Sentence], grade: float, target: float, share: float) -> list[Finding]:
    findings = []
    if grade > target and sentences:
        hardest = max((s for s in sentences if s.words >= 6), key=lambda s: s.grade, default=sentences[0])
        who = f" ({share:.0%} of this audience read English as a second language)" if share >= 0.25 else ""
        findings.append(Finding("readability", hardest.text, _line_of(body, hardest.start),
                                f"The message reads at grade {grade:.1f}; aim for {target:.0f} or lower{who}. "
                                "Use shorter sentences and everyday words; this is the hardest sentence.",
                                hardest.start, hardest.end))
    else:
        hardest = None
    for s in sentences:
        if s is hardest or s.words > LONG_SENTENCE_WORDS or s.words < HARD_SENTENCE_MIN_WORDS:
            continue
        if s.grade >= HARD_SENTENCE_GRADE:
            findings.append(Finding("readability", s.text, _line_of(body, s.start),
                                    f"Hard to read (grade {s.grade:.0f}): use shorter words or split it.",
                                    s.start, s.end))
    return findings


def _long_sentences(body: str, sentences: list[Sentence]) -> list[Finding]:
    return [Finding("long_sentence", s.text, _line_of(body, s.start),
                    f"{s.words} words: split it into two or three sentences of under 20 words.", s.start, s.end)
            for s in sentences if s.words > LONG_SENTENCE_WORDS]


def _mask_names(text: str, names) -> str:
    # Project and product names ('Harbor Safety Red-Teaming') are not jargon the writer can change.
    for name in sorted({n for n in names or () if n}, key=len, reverse=True):
        text = re.sub(re.escape(name), lambda m: " " * len(m.group()), text)
    return text


def _phrases(kind: str, body: str, pairs, *, inflect_first: bool, advice: str, names=()) -> list[Finding]:
    masked = _mask_names(mask_urls(body), names)
    findings = []
    for pattern, term, plain in _compiled(tuple(pairs), inflect_first):
        for match in pattern.finditer(masked):
            findings.append(Finding(kind, body[match.start():match.end()], _line_of(body, match.start()),
                                    advice.format(term=term, plain=plain), match.start(), match.end()))
    return findings


PASSIVE_AUX = r"(?:am|is|are|was|were|be|been|being|get|gets|got|gotten|getting)"
IRREGULAR_PARTICIPLES = (
    "written given taken done made seen known shown sent paid told found held kept left lost built bought brought "
    "caught chosen drawn driven eaten fallen forgotten forgiven frozen hidden ridden spoken stolen sworn torn worn "
    "thrown grown blown flown begun broken understood met sold spent taught thought won hung fed led shut cut put"
).split()
# Participles that usually describe a state or feeling, not an action done to someone.
ADJECTIVAL = {"excited", "interested", "pleased", "tired", "bored", "worried", "married", "qualified",
              "experienced", "talented", "detailed", "advanced", "complicated", "dedicated", "limited", "located",
              "based", "supposed", "used", "closed", "finished", "done", "allowed", "concerned", "delighted",
              "thrilled", "satisfied", "surprised", "confused", "scared", "amazed", "engaged", "involved",
              "prepared", "organized", "organised", "focused", "motivated", "relaxed", "stressed", "overwhelmed",
              "welcomed", "needed", "unexpected", "left"}
NOT_PARTICIPLES = {"need", "seed", "feed", "bed", "red", "shed", "speed", "indeed", "hundred", "bleed", "breed",
                   "weed", "greed", "steed", "embed", "sacred", "kindred", "naked", "wicked"}
PASSIVE = re.compile(rf"\b{PASSIVE_AUX}\b((?:\s+(?:not|also|already|now|then|being|just|still|\w+ly))*)\s+"
                     rf"(\w+ed|{'|'.join(IRREGULAR_PARTICIPLES)})\b", re.IGNORECASE)


def _passive(body: str) -> list[Finding]:
    findings = []
    for match in PASSIVE.finditer(mask_urls(body)):
        participle = match.group(2).lower()
        if participle in ADJECTIVAL or participle in NOT_PARTICIPLES:
            continue
        if participle.endswith("ed") and len(participle) <= 4:
            continue
        by = re.match(r"\s+by\s+(?:the\s+)?([\w ]{1,30}?)(?=[.,;:!?]|$|\s(?:and|to|in|on|for)\b)",
                      body[match.end():match.end() + 40])
        hint = (f"Start with who acts: '{by.group(1).strip()} {participle} …'." if by else
                "Say who does it, e.g. 'We reviewed your tasks' rather than 'Your tasks were reviewed'.")
        findings.append(Finding("passive", body[match.start():match.end()], _line_of(body, match.start()),
                                f"Passive voice hides who acts. {hint}", match.start(), match.end()))
    return findings


WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
NUMERIC_DATE = re.compile(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\w/]|[.-]\d)")
RELATIVE_DATE = re.compile(
    rf"\b(?:(?:next|this|coming)\s+{WEEKDAYS}|next\s+(?:week|weekend|month)|tomorrow|tonight|"
    rf"end\s+of\s+(?:the\s+)?(?:day|week|month)|EOD|EOW|COB)\b", re.IGNORECASE)
BARE_WEEKDAY = re.compile(rf"\b(?:by|on|until|before|from)\s+({WEEKDAYS})\b(?!,?\s*(?:\d|{MONTHS}))", re.IGNORECASE)
DATE_ADVICE = "Write the date with the month name, e.g. 'Friday 4 December 2026'."


def _ambiguous_dates(body: str) -> list[Finding]:
    masked = mask_urls(body)
    findings = []
    for match in NUMERIC_DATE.finditer(masked):
        first, separator, second, year = match.group(1), match.group(2), match.group(3), match.group(4)
        if separator != "/" and not year:
            continue  # '3-4 hours' and 'v2.1' are ranges and versions, not dates
        a, b = int(first), int(second)
        if 1 <= a <= 12 and 1 <= b <= 12 and a != b:
            findings.append(Finding("ambiguous_date", match.group(), _line_of(body, match.start()),
                                    f"'{match.group()}' is {a} {_month(b)} in most countries but {b} {_month(a)} in "
                                    f"the US. {DATE_ADVICE}", match.start(), match.end()))
    for pattern in (RELATIVE_DATE, BARE_WEEKDAY):
        for match in pattern.finditer(masked):
            findings.append(Finding("ambiguous_date", match.group(), _line_of(body, match.start()),
                                    f"'{match.group()}' depends on when and where it is read. {DATE_ADVICE}",
                                    match.start(), match.end()))
    return findings


def _month(number: int) -> str:
    return ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"][number - 1]


CLOCK = re.compile(r"(?<![\w:.])(?:(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*[ap](?:m\b|\.m\.)|(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:])"
                   r"|\bnoon\b|\bmidnight\b)", re.IGNORECASE)
ZONE = re.compile(r"\b(?:UTC|GMT)\b|UTC\s*[+−-]\s*\d|\b(?:[A-Z]{2,4}T|WIB|WITA|WIT)\b|\byour (?:local )?time\b|"
                  r"\blocal time\b|\btime zone\b|\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b")


def _times_without_zone(body: str) -> list[Finding]:
    masked = mask_urls(body)
    findings = []
    for match in CLOCK.finditer(masked):
        line_start = masked.rfind("\n", 0, match.start()) + 1
        line_end = masked.find("\n", match.end())
        line_end = len(masked) if line_end < 0 else line_end
        around = masked[max(line_start, match.start() - 40):min(line_end, match.end() + 40)]
        if ZONE.search(around):
            continue
        findings.append(Finding("time_without_zone", match.group(), _line_of(body, match.start()),
                                "Give the time zone and the local times, e.g. '17:00 UTC (New York 12:00, "
                                "Lagos 18:00, Manila 01:00 next day)'.", match.start(), match.end()))
    return findings


BLAME = re.compile(r"\b(?:you (?:failed|did not|didn't|never|must|should have)|your fault|failure to|unacceptable|"
                   r"we (?:already )?warned you|as (?:we )?(?:already )?(?:said|stated)|obviously|careless|lazy|"
                   r"no excuses?|or else|will be (?:banned|removed|punished))\b", re.IGNORECASE)


def _tone(body: str, sentences: list[Sentence]) -> list[Finding]:
    findings, flagged = [], set()
    for match in BLAME.finditer(body):
        sentence = next((s for s in sentences if s.start <= match.start() < s.end), None)
        flagged.add(sentence)
        findings.append(Finding("tone", body[match.start():match.end()], _line_of(body, match.start()),
                                "This can read as blame or a threat. Say what happened and what to do next, "
                                "e.g. 'Some answers missed step 2; here is how to do it'.",
                                match.start(), match.end()))
    for s in sentences:
        if s in flagged:
            continue
        score = score_text(s.text)
        if score <= NEGATIVE_TONE:
            findings.append(Finding("tone", s.text, _line_of(body, s.start),
                                    f"This sentence reads as very negative (VADER {score:+.2f}). Keep the facts, "
                                    "add what you are doing about it and what the reader can do.", s.start, s.end))
    return findings


def _lengths(subject: str | None, body: str, channel: str) -> list[Finding]:
    findings = []
    if channel == "email":
        if subject is not None and not subject.strip():
            findings.append(Finding("length", "", 0, "Add a subject line: say what the email is about in under "
                                    f"{SUBJECT_LIMIT} characters.", part="subject"))
        elif subject and len(subject) > SUBJECT_LIMIT:
            findings.append(Finding("length", subject, 0, f"The subject has {len(subject)} characters; inboxes cut "
                                    f"it after about {SUBJECT_LIMIT}. Put the key words first.", part="subject"))
        return findings
    limit = BODY_LIMITS.get(channel)
    size = len(body) + (len(subject) + 4 if subject else 0)
    if limit and size > limit:
        where = {"slack": "Slack messages over 4,000 characters are hard to read and may be cut",
                 "discord": "Discord refuses messages over 2,000 characters",
                 "in_app": "an in-app banner shows one short line"}[channel]
        findings.append(Finding("length", body[:80] + ("…" if len(body) > 80 else ""), 0,
                                f"{size:,} characters: {where} (limit {limit:,}). Shorten it or link to the details."))
    return findings


ACTION_VERBS = ("read open reply register join take complete click submit sign start check review update answer visit "
                "follow save confirm apply try share book rsvp ask tell download install watch attend fill finish "
                "come switch stop skip use contact write log go see let").split()
CALL_TO_ACTION = re.compile(
    rf"(?:^|[.!?:]\s+|\n)\s*(?:[-*•]\s+|\d+[.)]\s+)?(?:\*\*)?(?:please\s+)?(?:{'|'.join(ACTION_VERBS)})\b"
    r"|\bplease\s+\w+|\blet us know\b|\bhttps?://|\bwww\.", re.IGNORECASE)
DEADLINE = re.compile(rf"\b(?:by|before|until|closes?|due|deadline|ends?)\b[^.\n]{{0,40}}?(?:\d|{MONTHS}\b|{WEEKDAYS})"
                      rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)


def _call_to_action(body: str, expects_deadline: bool) -> list[Finding]:
    findings = []
    if not CALL_TO_ACTION.search(body):
        findings.append(Finding("no_call_to_action", "", 0,
                                "Say what the reader should do next, e.g. 'Read the new guide: <link>'."))
    if expects_deadline and not DEADLINE.search(body):
        findings.append(Finding("no_call_to_action", "", 0,
                                "Say by when, with the date and time zone, e.g. 'by Friday 4 December 2026, "
                                "17:00 UTC'."))
    return findings


def _deduplicated(findings: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.part != "subject", f.line, f.start, -(f.end - f.start))):
        overlaps = any(k.kind == f.kind and k.start >= 0 and f.start >= 0 and f.start < k.end and k.start < f.end
                       for k in kept)
        if not overlaps:
            kept.append(f)
    return kept


def check_text(body: str, *, subject: str | None = None, channel: str = "email", language: str = "en",
               second_language_share: float = 0.0, expects_deadline: bool = False,
               glossary=None, idioms=None, names=()) -> CheckReport:
    """Readability figures and every finding for a message body (and subject) on a channel.

    `names` are proper names (projects, events) that are never reported as jargon or idioms.
    """
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}: choose one of {', '.join(CHANNELS)}")
    sentences = split_sentences(body)
    words = sum(s.words for s in sentences)
    syllable_count = sum(s.syllables for s in sentences)
    ease = flesch_reading_ease(words, len(sentences), syllable_count)
    grade = fk_grade(words, len(sentences), syllable_count)
    target = target_grade(second_language_share)
    english = (language or "en").lower().startswith("en")
    findings: list[Finding] = []
    if english:
        findings += _readability(body, sentences, grade, target, second_language_share)
        findings += _phrases("jargon", body, glossary if glossary is not None else load_glossary(),
                             inflect_first=False, advice="Jargon: say '{plain}' instead of '{term}'.", names=names)
        findings += _phrases("idiom", body, idioms if idioms is not None else load_idioms(), inflect_first=True,
                             advice="'{term}' may not make sense to readers whose first language is not English: "
                                    "say '{plain}'.", names=names)
        findings += _long_sentences(body, sentences)
        findings += _passive(body)
        findings += _tone(body, sentences)
    findings += _ambiguous_dates(body)
    findings += _times_without_zone(body)
    if subject:
        findings += [Finding(f.kind, f.text, 0, f.suggestion, part="subject")
                     for f in _ambiguous_dates(subject) + _times_without_zone(subject)]
    findings += _lengths(subject, body, channel)
    if english:  # the action verbs are English; a translation follows the English version's structure
        findings += _call_to_action(body, expects_deadline)
    return CheckReport(flesch_reading_ease=round(ease, 1), grade=round(max(grade, 0.0), 1), target_grade=target, words=words,
                       sentences=len(sentences), language=language or "en", channel=channel,
                       findings=_deduplicated(findings))


# --- highlighting -------------------------------------------------------------------------------

# Colour per kind, from Streamlit's markdown background colours; sentence-level problems in
# orange (Hemingway's yellow/red), word-level in violet/blue, dates, times and tone in red.
HIGHLIGHT = {"readability": "orange", "long_sentence": "orange", "jargon": "violet", "idiom": "violet",
             "passive": "blue", "ambiguous_date": "red", "time_without_zone": "red", "tone": "red"}


def highlighted_markdown(body: str, findings: list[Finding]) -> str:
    """The body as Markdown with each finding's span on a coloured background, all user text escaped.

    Where findings overlap, the narrowest wins (a jargon word inside a long sentence shows as
    jargon), so directives are never nested.
    """
    spans = sorted([f for f in findings if f.part == "body" and 0 <= f.start < f.end and f.kind in HIGHLIGHT],
                   key=lambda f: f.end - f.start)
    colour_at: list[str | None] = [None] * len(body)
    for f in reversed(spans):  # widest first, narrower ones overwrite
        for i in range(f.start, min(f.end, len(body))):
            colour_at[i] = HIGHLIGHT[f.kind]
    out_lines = []
    for line_start, line in _lines_with_offsets(body):
        pieces, i = [], 0
        while i < len(line):
            colour = colour_at[line_start + i]
            j = i
            while j < len(line) and colour_at[line_start + j] == colour:
                j += 1
            chunk = markdown_literal(line[i:j])
            pieces.append(f":{colour}-background[{chunk}]" if colour and line[i:j].strip() else chunk)
            i = j
        out_lines.append("".join(pieces))
    # Two trailing spaces keep each line break; blank lines stay paragraph breaks.
    return "  \n".join(out_lines)


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


# --- files (the CLI) ----------------------------------------------------------------------------


def check_document(text: str, *, channel: str = "email", second_language_share: float = 0.0) -> CheckReport:
    """Check a draft written elsewhere: front matter `subject:` or a first 'Subject:' line; lines count in the file."""
    meta, body, first_line = split_front_matter(text)
    subject = meta.get("subject") if meta else None
    subject_line = next((i for i, line in enumerate(text.splitlines(), 1) if line.startswith("subject:")), 0)
    if subject is None:
        head, sep, rest = body.partition("\n")
        if head.lower().startswith("subject:"):
            subject, body, subject_line = head.split(":", 1)[1].strip(), rest, first_line
            first_line += 1
    report = check_text(body, subject=subject, channel=channel, second_language_share=second_language_share,
                        expects_deadline=bool(meta.get("expects_deadline", False)) if meta else False)
    shifted = [replace(f, line=f.line + first_line - 1) if f.line > 0 else
               replace(f, line=subject_line) if f.part == "subject" else f for f in report.findings]
    return replace(report, findings=shifted)
