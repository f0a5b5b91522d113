"""Domain errors: each carries a message a community-ops specialist understands."""


class CrowdPulseError(Exception):
    """Base for errors shown to users as they are."""


class DatabaseUnavailable(CrowdPulseError):
    """The database cannot be reached or opened."""


class ImportRejected(CrowdPulseError):
    """An import was refused as a whole (strict mode, unreadable file, missing columns)."""


class UnknownMetric(CrowdPulseError):
    """A metric name or grouping the CLI does not know."""


# --- imports and Google Sheets (issue 3) -------------------------------------------------------


class SheetsError(CrowdPulseError):
    """A Google Sheets read or write failed; the message says what to fix."""


class SheetAuthFailed(SheetsError):
    """No credentials, or Google refused them."""


class SheetAccessDenied(SheetsError):
    """The spreadsheet is not shared with the service account (or the Sheets API is off)."""


class SheetNotFound(SheetsError):
    """No spreadsheet with that key (or the text is not a spreadsheet address)."""


class WorksheetNotFound(SheetNotFound):
    """The spreadsheet has no worksheet of that name (renamed since it was configured?)."""


class SheetQuotaExceeded(SheetsError):
    """Google kept answering 429 after the bounded retries."""


class SheetUnavailable(SheetsError):
    """Google kept failing (5xx, network) after the bounded retries."""


class SourceNotFound(CrowdPulseError):
    """No Sheets source configured under that name."""


class NotAllowed(CrowdPulseError):
    """The person's role does not allow this action (checked on the server, not only by hiding buttons)."""


class StaleEdit(CrowdPulseError):
    """Someone else saved this record first; reload to see their change, then re-apply yours."""
