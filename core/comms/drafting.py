"""Starting a message: fill a template from live data for an audience, save that audience, open the draft."""

import pandas as pd
from sqlalchemy import Engine

from core.comms import context, launch, workflow
from core.comms.audience import AudienceChoice
from core.comms.templates import MessageTemplate, render


def draft_for_segment(*, engine: Engine, template: MessageTemplate, segment: AudienceChoice, title: str,
                      author: str, today, channel: str | None = None, signer: str | None = None,
                      subject_source: str | None = None, body_source: str | None = None,
                      project: dict | None = None, deadline=None, event: dict | None = None,
                      link: str | None = None) -> workflow.DraftView:
    """A new draft: the template (or its edited source) filled for the audience, which is saved as a segment.

    Raises `TemplateProblem` when the template cannot be filled (nothing is saved then),
    `NotAllowed` for a role that may not write, `SegmentProblem` or `InvalidTransition` for a
    choice that cannot be saved.
    """
    guide = launch.project_guide(launch.load_resources(engine), project.get("project_id"), today) if project else None
    link = link or (guide or {}).get("url")
    variables = context.template_variables(
        audience=segment.members, audience_label=segment.label, sender={"name": signer}, project=project,
        deadline=deadline, event=event, link=link, community=context.community_figures(engine, today), guide=guide)
    subject, body = render(template.subject if subject_source is None else subject_source,
                           template.body if body_source is None else body_source, variables)
    segment_id = workflow.segment_for_audience(engine, segment.spec, actor=author, today=today)
    draft_id = workflow.create_draft(
        engine, title=title, subject=subject, body=body, actor=author, channel=channel or template.channel,
        template=template.key, segment_id=segment_id,
        context=context.draft_context(audience_label=segment.label, project=project, deadline=deadline, event=event,
                                      link=link))
    return workflow.get_draft(engine, draft_id)


def message_moment(*, deadline=None, event: dict | None = None, project: dict | None = None):
    """The moment a new message talks about: its deadline, else the event's start, else the project's launch."""
    if deadline is not None:
        return deadline
    if event:
        return event["starts_at"]
    if project is not None and not pd.isna(project.get("launch_at")):
        return project.get("launch_at")
    return None
