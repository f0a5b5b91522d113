"""Audiences saved as segments: a filter over members, or an explicit member list (a hand-off from an alert)."""

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.comms.errors import SegmentProblem
from core.db import bump_data_version, session_scope
from core.models import AuditEvent, Segment
from core.people import require


def save_segment(engine: Engine, *, name: str, actor: str, filters: dict | None = None,
                 member_ids: list[str] | None = None, description: str | None = None, unique: bool = False) -> int:
    """Save an audience as a segment (a filter or an explicit member list); returns its id.

    With `unique`, a taken name gets a number appended instead of being refused (hand-offs
    from alerts are saved this way).
    """
    require(engine, actor, "specialist", "save an audience")
    name = (name or "").strip()
    if not name:
        raise SegmentProblem("Give the audience a name.")
    if not filters and not member_ids:
        raise SegmentProblem("Choose at least one filter or member before saving an audience.")
    with session_scope(engine) as session:
        taken = set(session.exec(select(Segment.name).where(Segment.name.startswith(name))).all())
        if name in taken:
            if not unique:
                raise SegmentProblem(f"An audience called '{name}' already exists; choose another name.")
            name = next(f"{name} ({i})" for i in range(2, len(taken) + 3) if f"{name} ({i})" not in taken)
        segment = Segment(name=name, description=description, filters=dict(filters or {}),
                          member_ids=list(member_ids or []), created_by=actor)
        session.add(segment)
        session.flush()
        session.add(AuditEvent(actor=actor, action="create", entity="segment", entity_id=str(segment.id),
                               after={"name": name, "filters": dict(filters or {}),
                                      "members": len(member_ids or [])}))
        bump_data_version(session, "comms", "admin")
        return segment.id


def segment_for_audience(engine: Engine, spec: dict, *, actor: str, today) -> int:
    """The segment id for an audience choice: a saved one as is; a hand-off list or a filter saved now.

    `spec` is {"segment_id"}, {"member_ids", "label"} (from an alert) or {"filters", "label"}.
    """
    if spec.get("segment_id") is not None:
        return int(spec["segment_id"])
    day = pd.Timestamp(today).strftime("%d %b %Y")
    if spec.get("member_ids"):
        return save_segment(engine, name=f"{spec['label']} · {day}", member_ids=list(spec["member_ids"]),
                            description=spec.get("description") or "Handed over from an alert", actor=actor,
                            unique=True)
    return save_segment(engine, name=(spec.get("label") or "Filtered taskers")[:120], filters=spec.get("filters") or
                        {"statuses": ["active"]}, description="Saved from the audience filters", actor=actor,
                        unique=True)


def list_segments(engine: Engine) -> pd.DataFrame:
    """Saved segments, newest first: id, name, description, filters, member_ids, created_at, created_by."""
    with Session(engine) as session:
        rows = session.exec(select(Segment).order_by(Segment.created_at.desc(), Segment.id.desc())).all()
        records = [dict(id=s.id, name=s.name, description=s.description, filters=dict(s.filters or {}),
                        member_ids=list(s.member_ids or []), created_at=s.created_at, created_by=s.created_by)
                   for s in rows]
    return pd.DataFrame(records, columns=["id", "name", "description", "filters", "member_ids", "created_at",
                                          "created_by"])
