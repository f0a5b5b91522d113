"""What a check reports: a finding with its kind, place, level, reason and fix; the kinds and their labels."""

from dataclasses import dataclass

# Every kind a check can report (the CLI's and the page's), with the words the studio shows.
KIND_LABELS = {
    "placeholder": "Placeholder to fill",
    "not_ready": "Launch not ready",
    "readability": "Hard to read",
    "jargon": "Jargon or acronym",
    "idiom": "Idiom or slang",
    "register": "Informal or vague",
    "condescension": "Condescending",
    "shouting": "Shouting",
    "long_sentence": "Long sentence",
    "run_on": "Run-on or comma splice",
    "passive": "Passive voice",
    "ambiguous_date": "Ambiguous date",
    "date_mismatch": "Weekday and date disagree",
    "time_without_zone": "Time without zone",
    "tone": "Negative or blaming tone",
    "length": "Too long for the channel",
    "no_call_to_action": "No call to action or deadline",
}
KINDS = tuple(KIND_LABELS)

# Blocking: the message must not go out like this. Important: a reader will misread or be hurt.
# Advice: the message is harder to read than it needs to be.
LEVELS = ("blocking", "important", "advice")
KIND_LEVELS = {
    "placeholder": "blocking", "not_ready": "blocking",
    "date_mismatch": "important", "ambiguous_date": "important", "time_without_zone": "important",
    "no_call_to_action": "important", "tone": "important", "condescension": "important", "jargon": "important",
    "length": "important",
}


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
    message: str = ""

    @property
    def level(self) -> str:
        """'blocking', 'important' or 'advice'."""
        return KIND_LEVELS.get(self.kind, "advice")

    @property
    def label(self) -> str:
        """The kind in words ('Jargon or acronym')."""
        return KIND_LABELS[self.kind]

    def public(self) -> dict:
        """The fields the CLI prints: kind, level, text, line, span, message, suggestion."""
        return {"kind": self.kind, "level": self.level, "text": self.text, "line": self.line,
                "span": [self.start, self.end] if self.start >= 0 else None, "part": self.part,
                "message": self.message, "suggestion": self.suggestion}


def line_of(text: str, offset: int) -> int:
    """The 1-based line of a character offset."""
    return text.count("\n", 0, max(offset, 0)) + 1


def found(kind: str, body: str, start: int, end: int, message: str, suggestion: str) -> Finding:
    """A finding on a span of the body, its line and text taken from the span."""
    return Finding(kind, body[start:end], line_of(body, start), suggestion, start, end, message=message)
