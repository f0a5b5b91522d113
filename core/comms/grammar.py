"""Sentence-level checks: long sentences, run-ons and comma splices, and the passive voice with an active rewrite.

The passive rewrite keeps the tense: 'submissions will be reviewed by the QA team' becomes
'the QA team will review submissions', not 'the QA team reviewed …'.
"""

import re

from core.comms.findings import Finding, found
from core.comms.readability import Sentence, mask_urls

LONG_SENTENCE_WORDS = 25
RUN_ON_WORDS = 20
PASSIVE_AUX = r"(?:am|is|are|was|were|be|been|being|get|gets|got|gotten|getting)"
IRREGULAR = {  # participle: (base, past)
    "written": ("write", "wrote"), "given": ("give", "gave"), "taken": ("take", "took"), "done": ("do", "did"),
    "made": ("make", "made"), "seen": ("see", "saw"), "known": ("know", "knew"), "shown": ("show", "showed"),
    "sent": ("send", "sent"), "paid": ("pay", "paid"), "told": ("tell", "told"), "found": ("find", "found"),
    "held": ("hold", "held"), "kept": ("keep", "kept"), "lost": ("lose", "lost"), "built": ("build", "built"),
    "bought": ("buy", "bought"), "brought": ("bring", "brought"), "caught": ("catch", "caught"),
    "chosen": ("choose", "chose"), "drawn": ("draw", "drew"), "driven": ("drive", "drove"), "eaten": ("eat", "ate"),
    "forgotten": ("forget", "forgot"), "forgiven": ("forgive", "forgave"), "frozen": ("freeze", "froze"),
    "hidden": ("hide", "hid"), "spoken": ("speak", "spoke"), "stolen": ("steal", "stole"), "thrown": ("throw", "threw"),
    "grown": ("grow", "grew"), "begun": ("begin", "began"), "broken": ("break", "broke"),
    "understood": ("understand", "understood"), "met": ("meet", "met"), "sold": ("sell", "sold"),
    "spent": ("spend", "spent"), "taught": ("teach", "taught"), "thought": ("think", "thought"), "won": ("win", "won"),
    "fed": ("feed", "fed"), "led": ("lead", "led"), "shut": ("shut", "shut"), "cut": ("cut", "cut"),
    "put": ("put", "put"), "set": ("set", "set"), "read": ("read", "read"),
}
# Participles that usually describe a state or feeling, not an action done to someone.
ADJECTIVAL = {"excited", "interested", "pleased", "tired", "bored", "worried", "married", "qualified",
              "experienced", "talented", "detailed", "advanced", "complicated", "dedicated", "limited", "located",
              "based", "supposed", "used", "closed", "finished", "done", "allowed", "concerned", "delighted",
              "thrilled", "satisfied", "surprised", "confused", "scared", "amazed", "engaged", "involved",
              "prepared", "organized", "organised", "focused", "motivated", "relaxed", "stressed", "overwhelmed",
              "welcomed", "needed", "unexpected", "left", "read", "set"}
NOT_PARTICIPLES = {"need", "seed", "feed", "bed", "red", "shed", "speed", "indeed", "hundred", "bleed", "breed",
                   "weed", "greed", "steed", "embed", "sacred", "kindred", "naked", "wicked"}
PASSIVE = re.compile(rf"\b{PASSIVE_AUX}\b((?:\s+(?:not|also|already|now|then|being|just|still|\w+ly))*)\s+"
                     rf"(\w+ed|{'|'.join(w for w in IRREGULAR if w not in ('read', 'set'))})\b", re.IGNORECASE)
MODALS = {"will", "would", "can", "could", "must", "should", "may", "might", "shall"}
PLURAL_AGENTS = {"we", "they", "you", "i"}
BOUNDARY_WORDS = {"and", "but", "or", "that", "which", "who", "because", "so", "if", "when", "while", "then"}
SUBORDINATORS = {"if", "when", "while", "because", "although", "though", "as", "since", "after", "before", "once",
                 "unless", "until", "whether", "whenever", "where", "even"}
AUXILIARIES = re.compile(r"\b(?:please|is|are|was|were|will|can|must|should|have|has|had|do|does|did|may|might|would|"
                         r"could|am|i|we|you|they|he|she)\b", re.IGNORECASE)
IMPERATIVES = {"read", "write", "open", "check", "click", "submit", "send", "ask", "join", "take", "try", "use", "reply",
               "finish", "complete", "review", "follow", "start", "stop", "tell", "call", "come", "go", "see", "keep"}
COMMA_SPLICE = re.compile(r",\s+(?:it(?:'|’)s|it (?:is|will|was)|this is|that is|we(?:'|’)(?:ll|re|ve)|"
                          r"we (?:will|are|have|can|need|want|do)|you(?:'|’)(?:ll|re|ve)|"
                          r"you (?:will|are|can|should|must|need|have to)|they (?:are|will|have)|"
                          r"there (?:is|are|will)|I(?:'|’)m|I (?:am|will|have))\b", re.IGNORECASE)


def long_sentences(body: str, sentences: list[Sentence]) -> list[Finding]:
    """Sentences over 25 words."""
    return [found("long_sentence", body, s.start, s.end, f"{s.words} words in one sentence.",
                  "Split it into two or three sentences of under 20 words.")
            for s in sentences if s.words > LONG_SENTENCE_WORDS]


def run_ons(body: str, sentences: list[Sentence]) -> list[Finding]:
    """Comma splices ('…any blockers, it's …') and long sentences strung together with and/but/so."""
    out = []
    for s in sentences:
        for match in COMMA_SPLICE.finditer(s.text):
            clause = re.split(r"[;:]", s.text[:match.start()])[-1].split()
            first = clause[0].lower().strip("*_\"'(") if clause else ""
            if len(clause) < 3 or first in SUBORDINATORS \
                    or not (AUXILIARIES.search(" ".join(clause)) or first in IMPERATIVES):
                continue
            rest = s.text[match.start() + 1:].strip()
            start = s.start + match.start()
            out.append(found("run_on", body, start, start + 1 + len(s.text[match.start() + 1:]) -
                             len(s.text[match.start() + 1:].lstrip()) + len(rest.split()[0]),
                             "Two sentences joined by a comma (a comma splice).",
                             f"End the first sentence at the comma: '… {clause[-1]}. {rest[0].upper()}{rest[1:]}'"))
        joins = re.findall(r"\b(?:and|but|so)\b", s.text, re.IGNORECASE)
        if s.words > RUN_ON_WORDS and len(joins) >= 3 and s.words <= LONG_SENTENCE_WORDS:
            out.append(found("run_on", body, s.start, s.end, f"{len(joins)} clauses strung together with "
                             "'and', 'but' or 'so'.", "Split it where a new idea starts."))
    return out


def base_form(participle: str) -> str:
    """The base verb of a past participle: 'reviewed' → 'review', 'submitted' → 'submit', 'updated' → 'update'."""
    word = participle.lower()
    if word in IRREGULAR:
        return IRREGULAR[word][0]
    if word.endswith("ied"):
        return word[:-3] + "y"
    stem = word[:-2]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    if re.search(r"(?:[vcz]|[dn]g|[aeiou][sz]|[^aeiou][aou]t|[^aeiou][ao]r|[iu]r|let|plet)$", stem):
        return stem + "e"
    return stem


def _present(base: str, plural: bool) -> str:
    if plural:
        return base
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    return base[:-1] + "ies" if re.search(r"[^aeiou]y$", base) else base + "s"


def _past(participle: str) -> str:
    word = participle.lower()
    return IRREGULAR[word][1] if word in IRREGULAR else word


def _patient(before: str) -> str:
    words = []
    for word in reversed(before.split()):
        if re.search(r"[,;:.!?]$", word) or word.lower() in BOUNDARY_WORDS:
            break
        words.insert(0, word)
        if len(words) == 10:
            break
    return " ".join(words)


def active_rewrite(body: str, match: re.Match) -> str:
    """The sentence part as the active voice, in the same tense: '[who] will review submissions'."""
    aux, participle = match.group().split()[0].lower(), match.group(2)
    before = body[:match.start()]
    prior = before.split()[-1].lower() if before.split() else ""
    tail = body[match.end():match.end() + 80]
    agent_match = re.match(r"\s+by\s+((?:the\s+)?[\w ]{1,30}?)(?=[.,;:!?]|$|\s(?:and|to|in|on|for|if|before)\b)", tail)
    complement = ""
    if not agent_match:
        rest = re.match(r"((?:[^.,;:!?]|[.,](?=\d))*?)(?=[.,;:!?](?!\d)|\s(?:and|but|if|so|by)\b|$)", tail)
        complement = rest.group(1).rstrip() if rest else ""
    agent = agent_match.group(1).strip() if agent_match else "[who]"
    last = agent.split()[-1].lower()
    plural = last in PLURAL_AGENTS or (last.endswith("s") and not last.endswith("ss"))
    stripped = before.rstrip()
    patient_before = stripped[:len(stripped) - len(prior)] if prior in MODALS | {"has", "have", "had"} else before
    patient = _patient(patient_before)
    base = base_form(participle)
    if aux == "be" and prior in MODALS:
        verb = f"{prior} {base}"
    elif aux == "been" and prior in ("has", "have", "had"):
        verb = f"{'had' if prior == 'had' else 'have' if plural else 'has'} {participle.lower()}"
    elif "being" in match.group().lower():
        verb = f"{'are' if plural else 'is'} {re.sub(r'e$', '', base)}ing"
    elif aux in ("was", "were", "got", "gotten"):
        verb = _past(participle)
    else:
        verb = _present(base, plural)
    head = patient_before.rstrip()
    head = head[:len(head) - len(patient)] if patient and head.endswith(patient) else head
    starts_sentence = not head.strip() or head.rstrip()[-1] in ".!?\n"
    if patient and starts_sentence and not patient.split()[0].isupper():
        patient = patient[0].lower() + patient[1:]
    sentence = " ".join(part for part in (agent, verb, patient or "[what]", complement.strip()) if part)
    return sentence[0].upper() + sentence[1:] if starts_sentence else sentence


def passive(body: str) -> list[Finding]:
    """Passive verbs, each with an active rewrite in the same tense."""
    out = []
    for match in PASSIVE.finditer(mask_urls(body)):
        participle = match.group(2).lower()
        if participle in ADJECTIVAL or participle in NOT_PARTICIPLES:
            continue
        if participle.endswith("ed") and len(participle) <= 4:
            continue
        out.append(found("passive", body, match.start(), match.end(), "Passive voice hides who acts.",
                         f"Say who acts: '{active_rewrite(body, match)}'."))
    return out
