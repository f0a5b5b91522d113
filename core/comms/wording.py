"""Word-level checks: jargon by list and by rule, idioms, informal or vague wording, condescension, shouting, blame.

Jargon by rule: any all-capitals token ('IAA', 'TL') or short abbreviation ('approx.', 'w/') that
the message does not define ("inter-annotator agreement (IAA)") and the audience's glossary does
not list is flagged, with the glossary's plain wording as the fix where there is one. Every fix
keeps the meaning and the tense of what it replaces ('bumped' → 'raised').
"""

import re
from functools import lru_cache

from core.comms.findings import Finding, found
from core.comms.readability import Sentence, is_acronym, mask_urls
from core.feedback.sentiment import score_text

# Acronyms every reader knows: never jargon.
COMMON_ACRONYMS = {"AI", "OK", "FAQ", "FAQs", "PDF", "URL", "URLs", "ID", "IDs", "AM", "PM", "US", "USA", "UK", "EU",
                   "TV", "UTC", "GMT", "CEO", "PS", "P.S."}
ABBREVIATIONS = {"approx.": "about", "req.": "required", "w/": "with", "w/o": "without", "b/c": "because",
                 "pls": "please", "plz": "please", "thx": "thank you", "mgr": "manager", "asap": "by <date and time>",
                 "info": "information", "pic": "picture", "msg": "message", "tmrw": "tomorrow (give the date)"}
# Words in capitals that are the writer raising their voice, not acronyms.
SHOUT_WORDS = {"IMPORTANT", "URGENT", "NOW", "MUST", "NOT", "NEVER", "DO", "DON'T", "ALL", "STOP", "ONLY", "PLEASE",
               "NOTE", "WARNING", "ATTENTION", "READ", "NO", "YOU", "FINAL", "LAST", "TODAY", "REMINDER", "DEADLINE",
               "AND", "THE", "THIS", "WILL", "BE", "ARE", "IS", "YOUR"}
ZONE_NAMES = {"ET", "EST", "EDT", "CT", "CST", "CDT", "MT", "MST", "MDT", "PT", "PST", "PDT", "CET", "CEST", "IST",
              "BRT", "BST", "WAT", "EAT", "SAST", "PHT", "PHST", "SGT", "JST", "KST", "HKT", "WIB", "AEST", "AEDT",
              "NZST", "NZDT", "MSK", "ART", "WET", "WEST", "EET", "EEST"}

# (forms, the plain wording for each form, why): informal or vague words, inflected alike.
REGISTER = (
    ("folks", "everyone", "'Folks' is informal and does not translate well."),
    ("guys", "everyone", "'Guys' is informal and leaves people out."),
    ("going forward|moving forward", "from now on", "Vague and corporate: say from when, or 'from now on'."),
    ("bump|bumps|bumped|bumping", "raise|raises|raised|raising",
     "'Bump' is informal and unclear to many readers (up? moved?): say what happens."),
    ("tweak|tweaks|tweaked|tweaking", "adjust|adjusts|adjusted|adjusting", "'Tweak' is informal."),
    ("blocker|blockers", "problem that stops your work|problems that stop your work",
     "'Blocker' is team jargon: say what it is."),
    ("ASAP", "by <date and time>", "Vague: 'as soon as possible' means a different time to each reader."),
    ("reach out to|reaching out to|reached out to", "write to|writing to|wrote to", "'Reach out' is vague: say how."),
    ("at some point", "on <date>", "Vague: give the date."),
    ("in a bit", "in <minutes or hours>", "Vague: say how long."),
)
CONDESCENSION = (
    (r"(?:it(?:'|’)s|it is|that(?:'|’)s|this is)\s+(?:a\s+)?(?:piece of cake|easy|simple|trivial|a breeze)",
     "Calling a task easy makes readers who find it hard feel slow, and dismisses their problem.",
     "Delete it, or offer help: 'we will help you'."),
    (r"piece of cake|a breeze|no-brainer", "Calling a task easy makes readers who find it hard feel slow.",
     "Delete it, or offer help: 'we will help you'."),
    (r"simply|obviously|of course|clearly(?=,)|as (?:you|everyone) (?:should )?knows?",
     "It tells readers that they should already know or find this easy.",
     "Delete the word; the sentence keeps its meaning."),
    (r"just(?=\s+(?:click|read|open|do|follow|write|ask|try|submit|fill|check|use|go|type|select|add|copy|send|reply|"
     r"sign|log|make|update|remember)\b)", "'Just' makes the step sound trivial to readers who find it hard.",
     "Delete 'just': 'click …', not 'just click …'."),
)
BLAME = re.compile(r"\b(?:you (?:failed|did not|didn't|never|must|should have)|your fault|failure to|unacceptable|"
                   r"we (?:already )?warned you|as (?:we )?(?:already )?(?:said|stated)|careless|lazy|"
                   r"no excuses?|or else|will be (?:banned|removed|punished))\b", re.IGNORECASE)
BLAME_PASSIVE = re.compile(r"\byour (?:\w+ ){0,2}(?:was|were|has been|have been|got) (?:rejected|flagged|removed|"
                           r"refused|denied|banned|disqualified|failed)\b", re.IGNORECASE)
NEGATIVE_TONE = -0.6


def _mask_names(text: str, names) -> str:
    # Project and product names ('Harbor Safety Red-Teaming') are not jargon the writer can change.
    for name in sorted({n for n in names or () if n}, key=len, reverse=True):
        text = re.sub(re.escape(name), lambda m: " " * len(m.group()), text)
    return text


def prepared(body: str, names=()) -> str:
    """The body with links and proper names blanked out (same length), for word-level checks."""
    return _mask_names(mask_urls(body), names)


def phrase_pattern(phrase: str, *, inflect_first: bool) -> re.Pattern:
    """A pattern for a glossary or idiom phrase: whole words, hyphen or space between, light inflection."""
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


@lru_cache(maxsize=16)
def _compiled(pairs: tuple[tuple[str, str], ...], inflect_first: bool) -> tuple[tuple[re.Pattern, str, str], ...]:
    return tuple((phrase_pattern(term, inflect_first=inflect_first), term, plain) for term, plain in pairs if plain)


def listed(kind: str, body: str, masked: str, pairs, *, inflect_first: bool, message: str) -> list[Finding]:
    """Findings for every glossary or idiom phrase in the text, with its plain wording as the fix."""
    out = []
    for pattern, term, plain in _compiled(tuple(pairs), inflect_first):
        if term.isupper() and defined_in(body, term):
            continue  # 'inter-annotator agreement (IAA)': the message explains it
        for match in pattern.finditer(masked):
            out.append(found(kind, body, match.start(), match.end(), message.format(term=term),
                             f"Say '{plain}' instead of '{match.group()}'."))
    return out


def defined_in(text: str, term: str) -> bool:
    """Whether the message explains a term: 'words (TERM)' or 'TERM (words)'."""
    escaped = re.escape(term)
    return bool(re.search(rf"[A-Za-z][\w\s-]{{3,}}\(\s*{escaped}\s*\)|\b{escaped}\s*\(\s*[a-z][^)]{{3,}}\)", text))


def unexplained_acronyms(body: str, masked: str, glossary, skip=()) -> list[Finding]:
    """All-capitals tokens and short abbreviations that neither the message nor the glossary explains."""
    known = {term.lower() for term, _plain in glossary} | {s.lower() for s in skip}
    out = []
    for match in re.finditer(r"(?<![\w/.-])[A-Z][A-Za-z0-9&]*(?:['’]s)?(?![\w-])", masked):
        token = match.group()
        bare = re.sub(r"(?:['’]?s)$", "", token) if token.endswith("s") and token[:-1].isupper() else token
        if not is_acronym(token) or token.upper() in SHOUT_WORDS or len(bare) > 5:
            continue
        if bare in COMMON_ACRONYMS or bare.lower() in known or token.lower() in known or defined_in(body, bare):
            continue
        before = masked[max(0, match.start() - 9):match.start()]
        if bare in ZONE_NAMES and re.search(r"(?:\d|[ap]\.?m\.?|noon|midnight)\s*\(?$", before, re.IGNORECASE):
            continue  # a time zone after a clock time: the date and time check reads it
        out.append(found("jargon", body, match.start(), match.end(),
                         f"'{bare}' is an acronym this message does not explain and the audience's glossary does not list.",
                         f"Write it out the first time, e.g. '<the words> ({bare})', or teach it to the project's "
                         "glossary on Settings."))
    for short, plain in ABBREVIATIONS.items():
        if short in known:
            continue
        for match in re.finditer(rf"(?<![\w/]){re.escape(short)}(?![\w/])", masked, re.IGNORECASE):
            out.append(found("jargon", body, match.start(), match.end(),
                             f"'{match.group()}' is an abbreviation some readers will not know.", f"Write '{plain}'."))
    return out


def register(body: str, masked: str) -> list[Finding]:
    """Informal or vague words, with a plain word in the same form ('bumped' → 'raised')."""
    out = []
    for forms, plains, why in REGISTER:
        pairs = dict(zip(forms.split("|"), plains.split("|") if "|" in plains else [plains] * len(forms.split("|"))))
        for form, plain in pairs.items():
            flags = 0 if form.isupper() else re.IGNORECASE
            for match in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", masked, flags):
                out.append(found("register", body, match.start(), match.end(), why,
                                 f"Say '{plain}' instead of '{match.group()}'."))
    return out


def condescension(body: str, masked: str) -> list[Finding]:
    """Words that call the reader's task easy or their knowledge lacking."""
    out = []
    for pattern, why, fix in CONDESCENSION:
        for match in re.finditer(rf"(?<![\w-])(?:{pattern})(?![\w-])", masked, re.IGNORECASE):
            out.append(found("condescension", body, match.start(), match.end(), why, fix))
    return out


def shouting(body: str, masked: str, glossary=()) -> list[Finding]:
    """Capitals used for emphasis ('DO NOT SUBMIT', 'URGENT') and repeated '!!' or '?!'."""
    known = {term for term, _plain in glossary}
    out = [found("shouting", body, m.start(), m.end(), "Repeated punctuation reads as shouting or panic.",
                 "Use one full stop, or one '!' at most.") for m in re.finditer(r"[!?]*!{2,}[!?]*|\?!|!\?", masked)]
    for match in re.finditer(r"(?<![\w'’])[A-Z][A-Z'’]+(?:\s+[A-Z][A-Z'’]+)*(?![\w'’])", masked):
        words = match.group().split()
        loud = [w for w in words if w not in known and (w in SHOUT_WORDS or len(w) >= 6)]
        if loud and (len(words) >= 2 or words[0] not in {"YOU", "NO", "DO", "ALL", "THE", "AND", "BE", "IS"}):
            out.append(found("shouting", body, match.start(), match.end(), "Words in capitals read as shouting.",
                             f"Write '{match.group().capitalize()}' and put the key fact first instead."))
    return out


def tone(body: str, sentences: list[Sentence]) -> list[Finding]:
    """Blame, threats and very negative sentences, with a rewrite that keeps the facts."""
    out, flagged = [], set()
    for pattern, fix in ((BLAME, "Say what happened and what to do next, e.g. 'Some answers missed step 2; here is how "
                                 "to do it'."),
                         (BLAME_PASSIVE, "Say what happened, why, and how to fix it, e.g. 'We could not accept these "
                                         "tasks because step 2 is missing; here is how to add it'.")):
        for match in pattern.finditer(body):
            flagged.add(next((s for s in sentences if s.start <= match.start() < s.end), None))
            out.append(found("tone", body, match.start(), match.end(), "This can read as blame or a threat.", fix))
    for s in sentences:
        if s in flagged:
            continue
        score = score_text(s.text)
        if score <= NEGATIVE_TONE:
            out.append(found("tone", body, s.start, s.end, f"This sentence reads as very negative (VADER {score:+.2f}).",
                             "Keep the facts, add what you are doing about it and what the reader can do."))
    return out
