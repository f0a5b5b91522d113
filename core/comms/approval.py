"""What must hold before a message is approved: four eyes, and no blocking finding.

Four eyes: a manager approves only a message someone else wrote and last edited. A one-person team
may allow self-approval (CROWDPULSE_ALLOW_SELF_APPROVAL=1, off by default), and local single-user
mode is such a team by nature: its one person writes and approves. Either way the approval is
audited as self-approved. Blocking findings are the checks' own (`core.comms.checks`): a
placeholder left in any language version, or a launch announcement whose guides are not ready.
"""

from sqlalchemy import Engine
from sqlmodel import Session, select

from core import people, timeline
from core.comms import checks, languages, launch
from core.comms.errors import SelfApproval
from core.models import AuditEvent, Draft, DraftRevision
from core.settings import get_settings

EDITS = ("create", "save", "set_audience")  # audit actions that change what would be sent, or to whom
REFUSAL = ("You wrote or last edited this message, so someone else must approve it (four eyes): ask another "
           "manager or admin. A one-person team can allow self-approval with CROWDPULSE_ALLOW_SELF_APPROVAL=1.")


def writers(session: Session, draft_id: int) -> set[str]:
    """Who wrote or last edited a draft: its creator, the authors of its current text and its last editor."""
    draft = session.get(Draft, draft_id)
    current = {row.language: row.author for row in session.exec(
        select(DraftRevision).where(DraftRevision.draft_id == draft_id, DraftRevision.applied == True)  # noqa: E712
        .order_by(DraftRevision.number)).all()}
    last_editor = session.exec(select(AuditEvent.actor).where(
        AuditEvent.entity == "draft", AuditEvent.entity_id == str(draft_id), AuditEvent.action.in_(EDITS))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).first()
    return {who for who in (draft and draft.created_by, last_editor, *current.values()) if who}


def self_approval_allowed(actor: str) -> bool:
    """Whether this person may approve their own message: local single-user mode, or a one-person team's setting."""
    return actor == people.LOCAL_USER or get_settings().allow_self_approval


def check_four_eyes(session: Session, draft_id: int, actor: str) -> bool:
    """Refuse with `SelfApproval` if the approver wrote or last edited the draft; True for an allowed self-approval.

    First refuses with `MissingLanguageVersion` a launch or guideline message that a large language
    group of its audience would read in English without anyone having decided so (core.comms.languages).
    """
    languages.check_language_versions(session, draft_id)
    if actor not in writers(session, draft_id):
        return False
    if self_approval_allowed(actor):
        return True
    raise SelfApproval(REFUSAL)


def approval_blocker(engine: Engine, draft_id: int, actor: str, *, base=None) -> str | None:
    """Why this person may not approve the draft (four eyes, or a missing language version), or None when they may.

    `base`: the audience base (`audience.load_audience_base`) when the caller holds it, else it is read.
    """
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        if self_approval_allowed(actor) or actor not in writers(session, draft_id):
            if draft is None or draft.template not in languages.RULE_TEMPLATES:
                return None
            return languages.missing_versions_message(languages.draft_language_table(engine, draft_id, base=base))
    return REFUSAL


def launch_blockers(engine: Engine, template: str | None, project_id: str | None, now) -> list[str]:
    """Why a launch announcement cannot go out yet (its guides not ready); none for other templates."""
    if template != "project_launch" or not project_id:
        return []
    return launch_blockers_in(launch.load_resources(engine), template, project_id, now)


def launch_blockers_in(resources, template: str | None, project_id: str | None, now) -> list[str]:
    """`launch_blockers` over resources already loaded (the studio's cached ones)."""
    if template != "project_launch" or not project_id:
        return []
    return launch.announcement_blockers(resources, project_id, now)


def blocking_findings(engine: Engine, draft_id: int, *, now=None) -> list[str]:
    """The checks' blocking findings on a draft's current text in every language, in words (none: it may go on)."""
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            return []
        current = {row.language: row for row in session.exec(
            select(DraftRevision).where(DraftRevision.draft_id == draft_id, DraftRevision.applied == True)  # noqa: E712
            .order_by(DraftRevision.number)).all()}
        template, project_id = draft.template, (draft.context or {}).get("project_id")
        channel = draft.channel if draft.channel in checks.CHANNELS else "email"
    blockers = tuple(launch_blockers(engine, template, project_id, now or timeline.present()))
    found = []
    for n, (language, row) in enumerate(sorted(current.items(), key=lambda item: (item[0] != "en", item[0]))):
        report = checks.check_text(row.body, subject=row.subject, channel=channel, language=language,
                                   blockers=blockers if n == 0 else ())
        for finding in report.blocking:
            said = f"{checks.KIND_LABELS[finding.kind].lower()} “{finding.text}”" if finding.text else finding.message
            found.append(f"{said} ({language})" if len(current) > 1 else said)
    return list(dict.fromkeys(found))
