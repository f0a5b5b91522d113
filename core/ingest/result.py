"""What an import did: the counts, the rejected rows (with a CSV of them), the columns guessed, and the strict
refusal that carries them."""

from dataclasses import dataclass, field

import pandas as pd

from core.errors import ImportRejected
from core.exports import to_safe_csv

REJECT_COLUMNS = ["row", "column", "value", "reason"]


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    entity: str
    source: str
    rows_read: int = 0
    inserted: int = 0
    # rows whose id already existed (re-imports); `unchanged` of them held the same values and were not written
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    created_members: int = 0
    created_projects: int = 0
    created_surveys: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    mapping: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    attribute_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    hashed_ids: bool = False
    # canonical column -> the header it was read from, for columns matched by their header (not mapped by hand)
    guessed: dict[str, str] = field(default_factory=dict)
    create_missing: bool = True
    blank_clears: bool = False
    batches: int = 0  # committed batches (each part of a chunk is written and committed on its own)
    dry_run: bool = False
    strict: bool = False
    committed: bool = False
    scored_texts: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_id: int | None = None

    @property
    def accepted(self) -> int:
        """Rows written (new or updated)."""
        return self.inserted + self.updated

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of the import."""
        return self.rows_read / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        """One sentence: what was (or would be) written and what was refused."""
        parts = [f"{self.inserted:,} new", f"{self.updated:,} updated"
                 + (f" ({self.unchanged:,} unchanged)" if self.unchanged else ""), f"{self.rejected:,} rejected"]
        text = f"{self.rows_read:,} rows read: {', '.join(parts)}."
        created = [f"{n:,} {what if n == 1 else what + 's'}"
                   for n, what in ((self.created_members, "tasker"), (self.created_projects, "project"),
                                   (self.created_surveys, "survey")) if n]
        if created:
            text += f" Created for unknown references: {', '.join(created)}."
        if self.guessed:
            text += " Matched by header: " + ", ".join(f"{c} ← '{h}'" for c, h in self.guessed.items()) + "."
        if self.batches > 1:
            text += f" Written in {self.batches:,} short batches (taken back had the import failed)."
        if self.dry_run:
            text += " Dry run: nothing was written."
        elif self.strict and not self.committed and self.rejected:
            text += " Strict: nothing was written."
        return text


class RowsRejected(ImportRejected):
    """Strict mode: some rows were rejected, so nothing was imported. `result` lists them."""

    def __init__(self, result: ImportResult):
        self.result = result
        first = result.rejects.iloc[0] if len(result.rejects) else None
        where = f" (first: row {first['row']}, {first['column']}: {first['reason']})" if first is not None else ""
        super().__init__(f"Strict import of {result.source}: {result.rejected:,} of {result.rows_read:,} rows "
                         f"rejected{where}; nothing was imported.")


def rejects_csv(result: ImportResult) -> bytes:
    """The rejected rows as a CSV download (formula-like cells neutralised)."""
    return to_safe_csv(result.rejects)
