"""Plain-language checks for a message to a global crowd, each finding with its place, level, reason and fix.

Kinds (also the CLI's) are in `core.comms.findings.KINDS`. Findings carry the offending text, its
1-based line in the body (0 for the subject or the message as a whole) and character offsets so
the studio can highlight them Hemingway-style; placeholders and an unready launch are blocking.

Readability: the adapted Flesch-Kincaid grade counts acronyms letter by letter as they are read,
and each word the checks flag as jargon, idiom or informal as a hard word of three syllables (the
Gunning fog index's "complex word"); the standard grade is reported beside it. The target is
grade 8, lower when much of the audience reads English as a second language. Spanish, Portuguese
and French get their own reading-ease formulas; word-level checks are English only.
"""

import datetime as dt
import re
from dataclasses import asdict, dataclass, field, replace

from core import timeline
from core.comms import dates, grammar, wording
from core.comms.findings import KIND_LABELS, KINDS, LEVELS, Finding, found, line_of
from core.comms.glossary import load_glossary, load_idioms
from core.comms.readability import (
    TARGET_EASE,
    WORD,
    Sentence,
    measure,
    spoken_syllables,
    split_sentences,
)
from core.comms.templates import split_front_matter
from core.comms.placeholders import PLACEHOLDER
from core.exports import markdown_literal

__all__ = ["KINDS", "KIND_LABELS", "LEVELS", "Finding", "CheckReport", "check_text", "check_document",
           "highlighted_markdown", "load_glossary", "load_idioms"]

CHANNELS = ("email", "slack", "discord", "in_app")
# Hard sentences (Hemingway's "very hard to read") get a finding of their own.
HARD_SENTENCE_GRADE = 12.0
HARD_SENTENCE_MIN_WORDS = 10
HARD_WORD_SYLLABLES = 3
# Email subjects are cut off in most inboxes past about 60 characters; Slack advises keeping
# a message under 4,000 characters; Discord refuses more than 2,000; a banner is one short line.
SUBJECT_LIMIT = 60
BODY_LIMITS = {"slack": 4000, "discord": 2000, "in_app": 160}
PLACEHOLDER_TEXT = re.compile(
    r"https?://(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.example|localhost)(?![\w.-])\S*|\{\{.*?\}\}|"
    r"<(?:link|url|date|name|time)>|\[(?:link|url|date|name|time)\]|\]\(#?\)|\b(?:TBD|TODO|XXX+|lorem ipsum)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class CheckReport:
    """Readability figures, every finding, and each zoned time converted, for one message."""

    flesch_reading_ease: float
    grade: float
    target_grade: float
    words: int
    sentences: int
    language: str
    channel: str
    findings: list[Finding] = field(default_factory=list)
    standard_grade: float = 0.0
    readability_formula: str = "Flesch-Kincaid"
    readability_note: str = ""
    times: list = field(default_factory=list)

    def public(self) -> dict:
        """The CLI's JSON: readability figures, findings [{kind, level, text, line, span, message, suggestion}], times."""
        out = {k: v for k, v in asdict(self).items() if k not in ("findings", "times")}
        out["findings"] = [f.public() for f in self.findings]
        out["times"] = [{"text": t.text, "span": [t.start, t.end], "utc": t.utc.isoformat(), "local": list(t.local)}
                        for t in self.times]
        return out

    def count(self, kind: str) -> int:
        """How many findings of one kind."""
        return sum(1 for f in self.findings if f.kind == kind)

    @property
    def blocking(self) -> list[Finding]:
        """Findings that must be fixed before the message goes out."""
        return [f for f in self.findings if f.level == "blocking"]


def _readability(body: str, sentences: list[Sentence], figures, share: float) -> list[Finding]:
    if not figures.supported or not sentences:
        return []
    if figures.formula != "Flesch-Kincaid":
        if figures.ease >= TARGET_EASE:
            return []
        return [Finding("readability", "", 0, "Use shorter sentences and everyday words.",
                        message=f"The message reads at ease {figures.ease:.0f} ({figures.formula}); aim for "
                                f"{TARGET_EASE:.0f} or more.")]
    findings, hardest = [], None
    if figures.grade > figures.target_grade:
        hardest = max((s for s in sentences if s.words >= 6), key=lambda s: s.grade, default=sentences[0])
        who = f" ({share:.0%} of this audience read English as a second language)" if share >= 0.25 else ""
        findings.append(found("readability", body, hardest.start, hardest.end,
                              f"The message reads at grade {figures.grade:.1f} (standard Flesch-Kincaid "
                              f"{figures.standard_grade:.1f}); aim for {figures.target_grade:.0f} or lower{who}.",
                              "Use shorter sentences and everyday words; this is the hardest sentence."))
    for s in sentences:
        if s is hardest or s.words > grammar.LONG_SENTENCE_WORDS or s.words < HARD_SENTENCE_MIN_WORDS:
            continue
        if s.grade >= HARD_SENTENCE_GRADE:
            findings.append(found("readability", body, s.start, s.end, f"Hard to read (grade {s.grade:.0f}).",
                                  "Use shorter words or split it."))
    return findings


def _with_hard_words(sentences: list[Sentence], findings: list[Finding]) -> list[Sentence]:
    """Sentences whose flagged words (jargon, idiom, informal) count as hard words for the adapted grade."""
    spans = [(f.start, f.end) for f in findings if f.kind in ("jargon", "idiom", "register", "condescension")]
    adjusted = []
    for s in sentences:
        spoken = 0
        for match in WORD.finditer(s.text):
            at = s.start + match.start()
            cost = spoken_syllables(match.group())
            if any(a <= at < b for a, b in spans):
                cost = max(cost, HARD_WORD_SYLLABLES)
            spoken += cost
        adjusted.append(replace(s, spoken_syllables=spoken) if spans else s)
    return adjusted


def _word_checks(body: str, sentences: list[Sentence], glossary, idioms, names) -> list[Finding]:
    masked = wording.prepared(body, names)
    skip = [term for term, _plain in idioms] + ["EOD", "EOW", "COB", "ASAP"] + list(names or ())
    return (wording.listed("jargon", body, masked, glossary, inflect_first=False,
                           message="'{term}' is jargon to many readers.")
            + wording.unexplained_acronyms(body, masked, glossary, skip=skip)
            + wording.listed("idiom", body, masked, idioms, inflect_first=True,
                             message="'{term}' may not make sense to readers whose first language is not English.")
            + wording.register(body, masked) + wording.condescension(body, masked)
            + wording.shouting(body, masked, glossary) + grammar.long_sentences(body, sentences)
            + grammar.run_ons(body, sentences) + grammar.passive(body) + wording.tone(body, sentences))


def placeholders(body: str, subject: str | None = None) -> list[Finding]:
    """Template placeholders and placeholder links still in the text: blocking."""
    out = []
    for part, text in (("subject", subject or ""), ("body", body)):
        for pattern in (PLACEHOLDER, PLACEHOLDER_TEXT):
            for match in pattern.finditer(text):
                finding = found("placeholder", text, match.start(), match.end(),
                                "A placeholder is still in the message.",
                                "Replace it with the real text or link before review.")
                out.append(replace(finding, line=0, part="subject") if part == "subject" else finding)
    return out


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
                "come switch stop skip use contact write log go see let talk email message call send").split()
VERBS = "|".join(ACTION_VERBS)
CALL_TO_ACTION = re.compile(
    rf"(?:^|[.!?:]\s+|\n)\s*(?:[-*•]\s+|\d+[.)]\s+)?(?:\*\*)?(?:please\s+)?(?:{VERBS})\b"
    rf"|,\s*(?:please\s+)?(?:{VERBS})\b|\[(?:please\s+)?(?:{VERBS})\b[^\]]*\]\("
    r"|\bplease\s+\w+|\blet us know\b|\bhttps?://|\bwww\.", re.IGNORECASE)
DEADLINE = re.compile(rf"\b(?:by|before|until|closes?|due|deadline|ends?)\b[^.\n]{{0,40}}?(?:\d|{dates.MONTHS}\b|"
                      rf"{dates.WEEKDAYS})|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)


def _call_to_action(body: str, expects_deadline: bool) -> list[Finding]:
    findings = []
    if not CALL_TO_ACTION.search(body):
        findings.append(Finding("no_call_to_action", "", 0, "Say what the reader should do next, e.g. 'Read the new "
                                "guide: <link>'.", message="The message does not ask the reader to do anything."))
    if expects_deadline and not DEADLINE.search(body):
        findings.append(Finding("no_call_to_action", "", 0, "Say by when, with the date and time zone, e.g. 'by Friday "
                                "4 December 2026, 17:00 UTC'.", message="The message gives no deadline."))
    return findings


def _deduplicated(findings: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (LEVELS.index(f.level) if f.line == 0 and f.start < 0 else 3,
                                             f.part != "subject", f.line, f.start, -(f.end - f.start))):
        overlaps = any(k.kind == f.kind and k.part == f.part and k.start >= 0 and f.start >= 0
                       and f.start < k.end and k.start < f.end for k in kept)
        if not overlaps:
            kept.append(f)
    return kept


def check_text(body: str, *, subject: str | None = None, channel: str = "email", language: str = "en",
               second_language_share: float = 0.0, expects_deadline: bool = False, glossary=None, idioms=None,
               names=(), send_date: dt.date | None = None, zones=(), blockers=()) -> CheckReport:
    """Readability figures and every finding for a message body (and subject) on a channel.

    `names` are proper names never reported as jargon; `glossary` is the audience's (term, plain)
    rows; `send_date` the day it will be read (default today); `zones` the audience's IANA zones
    for converting times; `blockers` facts from data that stop the message (an unready guide).
    """
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}: choose one of {', '.join(CHANNELS)}")
    send_date = send_date or timeline.present().date()
    glossary = load_glossary() if glossary is None else tuple(glossary)
    idioms = load_idioms() if idioms is None else tuple(idioms)
    sentences = split_sentences(body, language=language or "en")
    english = (language or "en").lower().startswith("en")
    findings = [Finding("not_ready", "", 0, "Get them ready first, or say in the message when they will be.",
                        message=blocker) for blocker in blockers]
    findings += placeholders(body, subject)
    if english:
        words_found = _word_checks(body, sentences, glossary, idioms, names)
        sentences = _with_hard_words(sentences, words_found)
        findings += words_found
    figures = measure(sentences, language=language or "en", second_language_share=second_language_share)
    findings += _readability(body, sentences, figures, second_language_share)
    findings += dates.date_findings(body, send_date)
    time_findings, zoned = dates.times(body, send_date, zones)
    findings += time_findings
    if subject:
        findings += [replace(f, line=0, part="subject", start=-1, end=-1)
                     for f in dates.date_findings(subject, send_date) + dates.times(subject, send_date)[0]]
    findings += _lengths(subject, body, channel)
    if english:  # the action verbs are English; a translation follows the English version's structure
        findings += _call_to_action(body, expects_deadline)
    return CheckReport(flesch_reading_ease=figures.ease, grade=figures.grade, standard_grade=figures.standard_grade,
                       target_grade=figures.target_grade, words=sum(s.words for s in sentences),
                       sentences=len(sentences), language=language or "en", channel=channel,
                       readability_formula=figures.formula, readability_note=figures.note,
                       findings=_deduplicated(findings), times=zoned)


# --- highlighting -------------------------------------------------------------------------------

# Colour per kind, from Streamlit's markdown background colours; sentence-level problems in
# orange (Hemingway's yellow/red), word-level in violet/blue, dates, times and tone in red.
HIGHLIGHT = {"readability": "orange", "long_sentence": "orange", "run_on": "orange", "jargon": "violet",
             "idiom": "violet", "register": "violet", "passive": "blue", "ambiguous_date": "red",
             "date_mismatch": "red", "time_without_zone": "red", "tone": "red", "condescension": "red",
             "shouting": "red", "placeholder": "red"}


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


def check_document(text: str, *, channel: str = "email", second_language_share: float = 0.0, **options) -> CheckReport:
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
                        expects_deadline=bool(meta.get("expects_deadline", False)) if meta else False, **options)
    shifted = [replace(f, line=f.line + first_line - 1) if f.line > 0 else
               replace(f, line=subject_line) if f.part == "subject" else f for f in report.findings]
    return replace(report, findings=shifted)
