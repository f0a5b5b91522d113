"""Domain errors: each carries a message a community-ops specialist understands."""


class CrowdPulseError(Exception):
    """Base for errors shown to users as they are."""


class DatabaseUnavailable(CrowdPulseError):
    """The database cannot be reached or opened."""


class ImportRejected(CrowdPulseError):
    """An import was refused as a whole (strict mode, unreadable file, missing columns)."""


class UnknownMetric(CrowdPulseError):
    """A metric name or grouping the CLI does not know."""
