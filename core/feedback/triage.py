"""What a specialist changes in the voice of the crowd: overrides, triage, adopted themes.

Every change is one transaction that writes an AuditEvent (before/after) and bumps the data
version. Edits of a message or survey answer are guarded by its `version` column: the caller
passes the version it showed, and a change made by someone else in between is refused with
`StaleFeedback` instead of being silently overwritten.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, null, select, update
from sqlmodel import Session

from core import people, rollups
from core.feedback import themes
from core.db import bump_data_version, session_scope
from core.errors import CrowdPulseError
from core.models import AuditEvent, Feedback, QueueItem, Setting, SurveyResponse

TRIAGE_STATUSES = ("new", "assigned", "handled")


class FeedbackNotFound(CrowdPulseError):
    """The message, survey answer, queue item or theme named does not exist (any more)."""


class StaleFeedback(CrowdPulseError):
    """Someone else changed the message, answer or theme list after it was shown."""


class InvalidFeedbackEdit(CrowdPulseError):
    """An override or triage change that makes no sense (unknown theme, status, score out of range)."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # "leave this field as it is" (None means "clear it")

# What a label override stores as the compound score: clearly inside each band.
LABEL_SCORES = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}
CUSTOM_THEMES_KEY = "custom_themes"
EDITOR_ROLE = "specialist"  # viewers read feedback; specialists and above correct, triage and adopt


@dataclass(frozen=True)
class _Kind:
    model: type
    key: str
    text: str


ENTITIES = {
    "feedback": _Kind(Feedback, "feedback_id", "text"),
    "survey_response": _Kind(SurveyResponse, "response_id", "comment"),
}


def sentiment_for_label(label: str) -> float:
    """The compound score stored when a specialist says a text is positive, neutral or negative."""
    if label not in LABEL_SCORES:
        raise InvalidFeedbackEdit(f"Sentiment must be one of {', '.join(LABEL_SCORES)}.")
    return LABEL_SCORES[label]


# --- taxonomy the team adopted -----------------------------------------------------------------


def adopted_themes(engine: Engine) -> list[dict]:
    """Themes the team adopted into the taxonomy, as stored (key, label, owner, phrases)."""
    with Session(engine) as session:
        setting = session.get(Setting, CUSTOM_THEMES_KEY)
        return list(setting.value or []) if setting else []


def current_taxonomy(engine: Engine) -> list[themes.Theme]:
    """The starting taxonomy plus adopted themes: what imports and re-tagging match against."""
    return themes.taxonomy_with(adopted_themes(engine))


@dataclass(frozen=True)
class Retagged:
    """A theme adopted or retired, and how many stored texts it was added to or removed from."""

    theme: themes.Theme
    messages: int
    responses: int


def adopt_theme(engine: Engine, *, name: str, phrases: Iterable[str], owner: str, actor: str) -> Retagged:
    """Add a named theme to the taxonomy and tag every stored message and survey comment its phrases match."""
    people.require(engine, actor, EDITOR_ROLE, "adopt a theme")
    with session_scope(engine) as session:
        setting, stored = _theme_setting(session)
        theme = themes.adopted_theme(name, phrases, owner, themes.taxonomy_with(stored))
        after = [*stored, themes.theme_as_dict(theme)]
        _save_theme_setting(session, setting, after)
        counts = {entity: _retag(session, kind, theme, add=True) for entity, kind in ENTITIES.items()}
        session.add(AuditEvent(actor=actor, action="adopt_theme", entity="theme", entity_id=theme.key, before=None,
                               after={**themes.theme_as_dict(theme), "tagged_messages": counts["feedback"],
                                      "tagged_responses": counts["survey_response"]}))
        _refresh_rollups(session)
        bump_data_version(session)
    return Retagged(theme, counts["feedback"], counts["survey_response"])


def retire_theme(engine: Engine, *, key: str, actor: str) -> Retagged:
    """Take an adopted theme out of the taxonomy and off the texts it tagged (human overrides stay as set)."""
    people.require(engine, actor, EDITOR_ROLE, "retire a theme")
    with session_scope(engine) as session:
        setting, stored = _theme_setting(session)
        found = next((t for t in stored if t["key"] == key), None)
        if found is None:
            raise FeedbackNotFound(f"'{key}' is not an adopted theme; the starting themes cannot be retired.")
        theme = themes.taxonomy_with([found])[-1]
        _save_theme_setting(session, setting, [t for t in stored if t["key"] != key])
        counts = {entity: _retag(session, kind, theme, add=False) for entity, kind in ENTITIES.items()}
        session.add(AuditEvent(actor=actor, action="retire_theme", entity="theme", entity_id=key, before=found,
                               after={"untagged_messages": counts["feedback"],
                                      "untagged_responses": counts["survey_response"]}))
        _refresh_rollups(session)
        bump_data_version(session)
    return Retagged(theme, counts["feedback"], counts["survey_response"])


def _theme_setting(session: Session) -> tuple[Setting | None, list[dict]]:
    setting = session.get(Setting, CUSTOM_THEMES_KEY)
    return setting, list(setting.value or []) if setting else []


def _save_theme_setting(session: Session, setting: Setting | None, value: list[dict]) -> None:
    if setting is None:
        session.add(Setting(key=CUSTOM_THEMES_KEY, value=value, version=1))
        session.flush()
        return
    # Two specialists adopting at once must not lose one list: update only the version we read.
    done = session.execute(
        update(Setting).where(Setting.key == CUSTOM_THEMES_KEY, Setting.version == setting.version)
        .values(value=value, version=setting.version + 1)
    )
    if done.rowcount != 1:
        raise StaleFeedback("Someone else changed the theme list at the same moment; try again.")


def _retag(session: Session, kind: _Kind, theme: themes.Theme, *, add: bool) -> int:
    """Add the theme to (or remove it from) the computed themes of every stored text it applies to."""
    table = kind.model.__table__
    key_column, text_column = table.c[kind.key], table.c[kind.text]
    if add:
        rows = session.execute(select(key_column, text_column, table.c.themes).where(text_column.is_not(None))).all()
        matched = themes.match_themes_many((text for _, text, _ in rows), [theme])
        changes = [{"row_key": key, "new_themes": [*(found or []), theme.key]}
                   for (key, _, found), hit in zip(rows, matched) if hit and theme.key not in (found or [])]
    else:
        rows = session.execute(select(key_column, table.c.themes)).all()
        changes = [{"row_key": key, "new_themes": [t for t in found if t != theme.key]}
                   for key, found in rows if found and theme.key in found]
    if changes:
        session.execute(update(table).where(key_column == bindparam("row_key")).values(themes=bindparam("new_themes")),
                        changes)
    return len(changes)


# --- human overrides -----------------------------------------------------------------------------


def override_scores(engine: Engine, *, entity: str, entity_id: str, expected_version: int, actor: str,
                    sentiment: Any = UNCHANGED, themes_set: Any = UNCHANGED) -> int:
    """Correct a text's sentiment (compound −1..1) and/or themes; None clears an override. Returns the new version."""
    people.require(engine, actor, EDITOR_ROLE, "correct a sentiment or theme")
    kind = _kind(entity)
    if sentiment is not UNCHANGED and sentiment is not None:
        sentiment = float(sentiment)
        if math.isnan(sentiment) or not -1 <= sentiment <= 1:
            raise InvalidFeedbackEdit("A sentiment override is a compound score between −1 and 1.")
    if themes_set is not UNCHANGED and themes_set is not None:
        known = {t.key for t in current_taxonomy(engine)}
        themes_set = list(dict.fromkeys(themes_set))
        unknown = [t for t in themes_set if t not in known]
        if unknown:
            raise InvalidFeedbackEdit(f"Unknown theme(s): {', '.join(unknown)}. Adopt a new theme first.")
    changes = {}
    if sentiment is not UNCHANGED:
        changes["sentiment_override"] = sentiment
    if themes_set is not UNCHANGED:
        changes["themes_override"] = themes_set
    # JSON columns store a Python None as the JSON text 'null'; a cleared override must be SQL NULL.
    stored = {field: null() if value is None else value for field, value in changes.items()}
    if not changes:
        raise InvalidFeedbackEdit("Nothing to change: give a sentiment or themes (or clear one).")
    with session_scope(engine) as session:
        row = _get(session, kind, entity_id)
        before = {"sentiment": row.sentiment, "themes": list(row.themes or []),
                  **{field: getattr(row, field) for field in changes}}
        new_version = _update_versioned(session, kind, entity_id, expected_version, stored)
        session.add(AuditEvent(actor=actor, action="override_" + "_and_".join(
            field.removesuffix("_override") for field in changes), entity=entity, entity_id=entity_id,
            before=before, after=changes))
        _refresh_rollups(session, entity, [entity_id])
        bump_data_version(session)
    return new_version


# --- inbox triage --------------------------------------------------------------------------------


def triage_messages(engine: Engine, *, versions: Mapping[str, int], actor: str,
                    status: Any = UNCHANGED, assignee: Any = UNCHANGED, linked_item_id: Any = UNCHANGED) -> dict[str, int]:
    """Assign, mark handled or link messages to a queue item, all or none; returns each message's new version.

    Assigning someone to a message that is still 'new' moves it to 'assigned'.
    """
    people.require(engine, actor, EDITOR_ROLE, "triage messages")
    if status is not UNCHANGED and status not in TRIAGE_STATUSES:
        raise InvalidFeedbackEdit(f"Status must be one of {', '.join(TRIAGE_STATUSES)}.")
    if assignee is not UNCHANGED and assignee is not None:
        assignee = assignee.strip() or None
    if linked_item_id is not UNCHANGED and linked_item_id is not None:
        linked_item_id = linked_item_id.strip() or None
    if all(v is UNCHANGED for v in (status, assignee, linked_item_id)):
        raise InvalidFeedbackEdit("Nothing to change: pick a status, an assignee or a queue item.")
    if not versions:
        raise InvalidFeedbackEdit("Select at least one message.")
    kind = ENTITIES["feedback"]
    new_versions = {}
    with session_scope(engine) as session:
        if linked_item_id not in (UNCHANGED, None) and session.get(QueueItem, linked_item_id) is None:
            raise FeedbackNotFound(f"There is no queue item '{linked_item_id}'. Check the id on the Queues page.")
        stale = []
        for feedback_id, expected in versions.items():
            row = _get(session, kind, feedback_id)
            changes = {}
            if status is not UNCHANGED:
                changes["triage_status"] = status
            elif assignee not in (UNCHANGED, None) and row.triage_status == "new":
                changes["triage_status"] = "assigned"
            if assignee is not UNCHANGED:
                changes["assignee"] = assignee
            if linked_item_id is not UNCHANGED:
                changes["linked_item_id"] = linked_item_id
            before = {field: getattr(row, field) for field in changes}
            try:
                new_versions[feedback_id] = _update_versioned(session, kind, feedback_id, expected, changes)
            except StaleFeedback:
                stale.append(feedback_id)
                continue
            session.add(AuditEvent(actor=actor, action="triage", entity="feedback", entity_id=feedback_id,
                                   before=before, after=changes))
        if stale:
            shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
            raise StaleFeedback(f"Someone else changed {shown} after you opened the inbox, so nothing was saved. "
                                "Reload to see their change, then try again.")
        _refresh_rollups(session, "feedback", list(new_versions))  # the roll-up counts untriaged messages
        bump_data_version(session)
    return new_versions


# --- shared --------------------------------------------------------------------------------------


ROLLUP_ENTITIES = {"feedback": "feedback", "survey_response": "survey_responses"}


def _refresh_rollups(session: Session, entity: str | None = None, ids: list[str] | None = None) -> None:
    """Bring the roll-ups over feedback texts up to date (both kinds when `entity` is None)."""
    session.flush()
    for kind in ([entity] if entity else list(ROLLUP_ENTITIES)):
        rollups.refresh(session.connection(), ROLLUP_ENTITIES[kind], ids=ids)


def _kind(entity: str) -> _Kind:
    if entity not in ENTITIES:
        raise InvalidFeedbackEdit(f"Can only correct {' or '.join(ENTITIES)}, not '{entity}'.")
    return ENTITIES[entity]


def _get(session: Session, kind: _Kind, entity_id: str):
    row = session.get(kind.model, entity_id)
    if row is None:
        noun = "message" if kind.model is Feedback else "survey answer"
        raise FeedbackNotFound(f"There is no {noun} '{entity_id}' (it may have been deleted by a re-import).")
    return row


def _update_versioned(session: Session, kind: _Kind, entity_id: str, expected_version: int, changes: dict) -> int:
    """Write `changes` only if the row is still at `expected_version` (checked in the UPDATE itself)."""
    table = kind.model.__table__
    done = session.execute(
        update(table).where(table.c[kind.key] == entity_id, table.c.version == expected_version)
        .values(**changes, version=expected_version + 1)
    )
    if done.rowcount != 1:
        current = session.execute(select(table.c.version).where(table.c[kind.key] == entity_id)).scalar()
        raise StaleFeedback(f"Someone else changed '{entity_id}' after you opened it (it is now at version {current}, "
                            f"you had {expected_version}); nothing was saved. Reload to see their change.")
    session.expire_all()
    return expected_version + 1

