"""Writing for the audience's languages: who reads their own language, who falls back to English, and the
rule that a launch or guideline message may not be approved while a large language group has no version.

A language group is "large" when its share of the recipients is above the threshold (the setting
`comms_language_version_threshold`, 0.20 by default). For such a group the message needs its own
version, or an explicit "send English to them" decision that the audit trail keeps with the person
and the reason. The rule applies to the templates in `RULE_TEMPLATES`; other messages only show
the counts.
"""

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from core import timeline
from core.comms.audience import load_audience_base, segment_members
from core.comms.readability import TARGET_EASE
from core.comms.errors import InvalidTransition
from core.db import bump_data_version, session_scope
from core.models import AuditEvent, Draft, DraftRevision, Segment, Setting
from core.people import require

RULE_TEMPLATES = ("project_launch", "guideline_update")
THRESHOLD_SETTING = "comms_language_version_threshold"
DEFAULT_THRESHOLD = 0.20
FALLBACK = "en"
SEND_ENGLISH, WITHDRAW = "send_english", "withdraw_send_english"
COLUMNS = ["language", "recipients", "share", "has_version", "own_language", "english_fallback",
           "send_english", "required", "missing"]


class MissingLanguageVersion(InvalidTransition):
    """A launch or guideline message lacks the version a large language group of its audience needs."""


def base_language(code) -> str:
    """'pt-BR' → 'pt', 'ES' → 'es'; a missing language is 'unknown'."""
    if code is None or (isinstance(code, float) and pd.isna(code)) or not str(code).strip():
        return "unknown"
    return str(code).strip().lower().replace("_", "-").split("-")[0]


def language_threshold(session: Session) -> float:
    """The share above which a language group needs its own version (the setting, else 20%)."""
    setting = session.get(Setting, THRESHOLD_SETTING)
    try:
        return DEFAULT_THRESHOLD if setting is None or setting.value is None else float(setting.value)
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def language_versions(audience: pd.DataFrame, versions, *, send_english=(), threshold: float = DEFAULT_THRESHOLD,
                      rule_applies: bool = True) -> pd.DataFrame:
    """Per audience language: recipients, share, whether a version exists, who reads their own language and
    who falls back to English, and whether the group is above the threshold and still missing a version.

    An unknown language gets English without counting as missing; English readers fall back to
    nothing (they read the English text, their own).
    """
    present = {base_language(v) for v in versions}
    decided = {base_language(v) for v in send_english}
    languages = audience["language"].map(base_language) if len(audience) else pd.Series(dtype="object")
    counts = languages.value_counts()
    rows = []
    for language, recipients in counts.items():
        has_version = language in present or (language == "unknown" and FALLBACK in present)
        own = recipients if language in present else 0
        share = recipients / len(audience)
        required = rule_applies and language not in (FALLBACK, "unknown") and share > threshold
        rows.append([language, int(recipients), share, language in present, int(own), int(recipients - own),
                     language in decided, required, required and not has_version and language not in decided])
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["recipients", "language"], ascending=[False, True], ignore_index=True)


def send_english_decisions(session: Session, draft_id: int) -> dict[str, dict]:
    """The languages a person decided to send English to, each with who, when and why (the latest decision wins)."""
    events = session.exec(select(AuditEvent).where(
        AuditEvent.entity == "draft", AuditEvent.entity_id == str(draft_id),
        AuditEvent.action.in_((SEND_ENGLISH, WITHDRAW))).order_by(AuditEvent.at, AuditEvent.id)).all()
    decided: dict[str, dict] = {}
    for event in events:
        language = (event.after or {}).get("language")
        if event.action == SEND_ENGLISH:
            decided[language] = {"actor": event.actor, "at": event.at, "reason": (event.after or {}).get("reason")}
        else:
            decided.pop(language, None)
    return decided


def draft_audience(engine: Engine, segment_id: int | None, *, base: pd.DataFrame | None = None) -> pd.DataFrame:
    """The recipients of a draft's saved audience as they are now (empty without one).

    `base` is `load_audience_base(engine)` when the caller holds it already (the studio caches it):
    reading 100k members again for one rule costs most of a second at the large scale.
    """
    with Session(engine) as session:
        segment = session.get(Segment, segment_id) if segment_id is not None else None
        filters, member_ids = (segment.filters, segment.member_ids) if segment is not None else (None, None)
    if segment is None:
        return (base if base is not None else load_audience_base(engine)).iloc[0:0]
    base = load_audience_base(engine) if base is None else base
    return segment_members(base, filters=filters, member_ids=member_ids, now=timeline.present())


def draft_language_table(engine: Engine, draft_id: int, audience: pd.DataFrame | None = None, *,
                         base: pd.DataFrame | None = None) -> pd.DataFrame:
    """`language_versions` for a stored draft: its current versions, its decisions and the threshold setting.

    Without `audience`, the draft's saved audience drawn from `base` (read when not given)."""
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        versions = set(session.exec(select(DraftRevision.language).where(
            DraftRevision.draft_id == draft_id, DraftRevision.applied == True)).all())  # noqa: E712
        decided = send_english_decisions(session, draft_id)
        threshold = language_threshold(session)
    if audience is None:
        audience = draft_audience(engine, draft.segment_id, base=base)
    return language_versions(audience, versions, send_english=decided, threshold=threshold,
                             rule_applies=draft.template in RULE_TEMPLATES)


def missing_versions_message(table: pd.DataFrame) -> str | None:
    """Why the message cannot be approved yet, naming each large group without a version; None when it can."""
    missing = table[table["missing"]]
    if missing.empty:
        return None
    groups = ", ".join(f"{r.language} ({r.recipients:,} readers, {r.share:.0%})" for r in missing.itertuples())
    return (f"This message goes to large language groups with no version of their own: {groups}. Add their "
            "version on Write, or decide on Audience to send them the English text (the decision is audited).")


def check_language_versions(session: Session, draft_id: int) -> None:
    """Refuse with `MissingLanguageVersion` a launch or guideline message whose large language groups lack a version."""
    draft = session.get(Draft, draft_id)
    if draft is None or draft.template not in RULE_TEMPLATES:
        return
    message = missing_versions_message(draft_language_table(session.get_bind(), draft_id))
    if message:
        raise MissingLanguageVersion(message)


def decide_send_english(engine: Engine, draft_id: int, *, language: str, actor: str, reason: str = "",
                        withdraw: bool = False) -> None:
    """Record (or withdraw) the decision to send the English text to one language group; audited, never silent."""
    require(engine, actor, "specialist", "decide which language a group reads")
    language = base_language(language)
    if language in (FALLBACK, "unknown"):
        raise InvalidTransition("English readers already read the English text.")
    if not withdraw and not reason.strip():
        raise InvalidTransition("Say why this group gets the English text (e.g. 'no translator before the launch').")
    with session_scope(engine) as session:
        if session.get(Draft, draft_id) is None:
            raise InvalidTransition(f"There is no draft number {draft_id}.")
        summary = (f"withdrew the decision to send English to {language} readers" if withdraw else
                   f"decided to send the English text to {language} readers: {reason.strip()}")
        session.add(AuditEvent(actor=actor, action=WITHDRAW if withdraw else SEND_ENGLISH, entity="draft",
                               entity_id=str(draft_id),
                               after={"language": language, "reason": reason.strip() or None, "summary": summary}))
        bump_data_version(session, "comms", "admin")


NO_CHECK = "No readability check for this language"
CHECK_COLUMNS = ["language", "readability", "figure", "target", "findings", "blocking", "note"]


def version_check_table(reports: dict) -> pd.DataFrame:
    """Per language version: the readability formula, its figure and target, the findings, or 'no check'.

    `reports` maps a language to its `checks.CheckReport` (not imported: checks depends on the workflow,
    which consults this module before an approval).

    English is checked in full; a language with a published formula (Fernández Huerta for Spanish,
    Flesch adapted for Portuguese and French…) gets its reading ease; the word checks (jargon,
    idioms, calls to action) are English-only, while placeholders, dates, times and lengths run on all.
    """
    rows = []
    for language, report in reports.items():
        if report.readability_formula == "Flesch-Kincaid":
            row = ["Grade (Flesch-Kincaid, adapted)", report.grade, f"≤ {report.target_grade:.0f}", ""]
        elif report.readability_note:
            row = ["—", None, "", f"{NO_CHECK}; placeholders, dates, times and lengths are checked"]
        else:
            row = [f"Reading ease ({report.readability_formula})", report.flesch_reading_ease,
                   f"≥ {TARGET_EASE:.0f}", "Word checks (jargon, idioms) are English-only"]
        rows.append([language, row[0], row[1], row[2], len(report.findings), len(report.blocking), row[3]])
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
