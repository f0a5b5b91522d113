"""Errors the comms studio raises, each in words a community-ops specialist understands."""

from core.errors import CrowdPulseError, NotAllowed, StaleEdit

__all__ = ["DraftNotFound", "InvalidTransition", "NotAllowed", "SegmentProblem", "SelfApproval", "StaleDraft",
           "TemplateProblem", "TemplateTooSlow"]


class TemplateProblem(CrowdPulseError):
    """A template could not be filled: unknown variable, syntax error, forbidden operation or too big."""

    def __init__(self, message: str, *, line: int | None = None, variable: str | None = None):
        super().__init__(message)
        self.line = line
        self.variable = variable


class TemplateTooSlow(TemplateProblem):
    """A template took longer than the render time cap (a runaway loop)."""


class InvalidTransition(CrowdPulseError):
    """A draft cannot move from its current status to the asked one."""


class DraftNotFound(CrowdPulseError):
    """No draft with this id."""


class StaleDraft(StaleEdit):
    """Someone else saved the draft first; the losing edit is kept as an unapplied revision."""

    def __init__(self, message: str, *, draft_id: int, current_version: int, kept_revision: int | None = None,
                 saved_by: str | None = None):
        super().__init__(message)
        self.draft_id = draft_id
        self.current_version = current_version
        self.kept_revision = kept_revision
        self.saved_by = saved_by


class SegmentProblem(CrowdPulseError):
    """A segment cannot be saved (empty, duplicate name)."""


class SelfApproval(NotAllowed):
    """Four eyes: the person who wrote or last edited a message may not approve it."""
