"""Strings for translators: a draft's subject and paragraphs out as CSV or XLIFF 1.2, and the translation back in.

A unit is the subject or one paragraph of the body (paragraphs are separated by blank lines), so a
translator never sees Markdown split mid-sentence. The import rebuilds the body with the English
version's own paragraph breaks. A unit whose English text changed since the export is "stale" and a
unit left empty keeps the English text: the import says which, so nothing is silently half-translated.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from core.comms import workflow
from core.comms.errors import InvalidTransition
from core.exports import FORMULA_PREFIXES, to_safe_csv

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
CSV_COLUMNS = ["draft_id", "source_language", "target_language", "unit", "source", "target"]
# A translation file bigger than this is not a message's strings.
MAX_FILE_BYTES = 2_000_000
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*|\s+\Z)")


class TranslationProblem(InvalidTransition):
    """A translation file that cannot be read or does not belong to this draft and language."""


@dataclass(frozen=True)
class Translation:
    """The translated subject and body, with the units that are stale or were left untranslated."""

    language: str
    subject: str
    body: str
    stale: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)

    def caveats(self) -> str:
        """What the translator should look at again, in words ('' when every unit is translated and current)."""
        notes = []
        if self.untranslated:
            notes.append(f"left empty, so still in English: {', '.join(self.untranslated)}")
        if self.stale:
            notes.append(f"translated from an older English text: {', '.join(self.stale)}")
        return ("Units " + "; ".join(notes) + ".") if notes else ""


def units(subject: str, body: str) -> list[tuple[str, str]]:
    """(unit id, text): the subject, then each non-empty paragraph of the body as body.1, body.2…"""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(body)[::2] if p.strip()]
    return [("subject", subject)] + [(f"body.{n}", text) for n, text in enumerate(paragraphs, start=1)]


def translation_table(draft_id: int, source: tuple[str, str], target_language: str,
                      target: tuple[str, str] | None = None) -> pd.DataFrame:
    """The strings to translate, one row a unit, with the existing translation where its paragraph count matches."""
    rows = units(*source)
    existing = dict(units(*target)) if target else {}
    if len(existing) != len(rows):
        existing = {"subject": existing["subject"]} if existing else {}
    return pd.DataFrame([[draft_id, "en", target_language, unit, text, existing.get(unit, "")]
                         for unit, text in rows], columns=CSV_COLUMNS)


def to_csv(table: pd.DataFrame) -> bytes:
    """The strings as UTF-8 CSV, formula-like cells neutralised like every export."""
    return to_safe_csv(table)


def to_xliff(table: pd.DataFrame) -> bytes:
    """The strings as an XLIFF 1.2 document (one file element, one trans-unit a unit, spaces preserved)."""
    ET.register_namespace("", XLIFF_NS)
    first = table.iloc[0]
    root = ET.Element(f"{{{XLIFF_NS}}}xliff", version="1.2")
    file = ET.SubElement(root, f"{{{XLIFF_NS}}}file", {
        "original": f"draft-{first['draft_id']}", "source-language": first["source_language"],
        "target-language": first["target_language"], "datatype": "plaintext"})
    body = ET.SubElement(file, f"{{{XLIFF_NS}}}body")
    for row in table.itertuples():
        unit = ET.SubElement(body, f"{{{XLIFF_NS}}}trans-unit", {"id": row.unit, XML_SPACE: "preserve"})
        ET.SubElement(unit, f"{{{XLIFF_NS}}}source").text = row.source
        ET.SubElement(unit, f"{{{XLIFF_NS}}}target").text = row.target
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _restore_cell(value: str) -> str:
    # The CSV export put an apostrophe before formula-like cells ("- Sao Paulo…"); take it off again.
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES) else value


def read_csv(data: bytes) -> pd.DataFrame:
    """The strings of a translation CSV (as `to_csv` wrote it and a translator filled it)."""
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TranslationProblem(f"The file is not a UTF-8 CSV of strings to translate ({exc}).") from exc
    missing = [c for c in ("draft_id", "target_language", "unit", "source", "target") if rows and c not in rows[0]]
    if not rows or missing:
        raise TranslationProblem("The CSV needs the columns draft_id, target_language, unit, source and target, "
                                 "as the export has them.")
    return pd.DataFrame([{k: _restore_cell(row.get(k) or "") for k in CSV_COLUMNS} for row in rows])


def read_xliff(data: bytes) -> pd.DataFrame:
    """The strings of an XLIFF 1.2 file; a document type declaration (entities) is refused."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise TranslationProblem("The XLIFF file declares a document type or entities; export it again without.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise TranslationProblem(f"The file is not well-formed XLIFF ({exc}).") from exc
    file = root.find(f"{{{XLIFF_NS}}}file")
    if file is None:
        raise TranslationProblem("The file has no XLIFF 1.2 <file> element.")
    draft_id = (file.get("original") or "").removeprefix("draft-")
    rows = [[draft_id, file.get("source-language") or "en", file.get("target-language") or "", unit.get("id"),
             unit.findtext(f"{{{XLIFF_NS}}}source") or "", unit.findtext(f"{{{XLIFF_NS}}}target") or ""]
            for unit in file.iter(f"{{{XLIFF_NS}}}trans-unit")]
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def read_file(data: bytes, filename: str) -> pd.DataFrame:
    """The strings of a CSV or XLIFF translation file, told apart by its name."""
    if len(data) > MAX_FILE_BYTES:
        raise TranslationProblem("The file is larger than a message's strings can be (2 MB).")
    if filename.lower().endswith((".xlf", ".xliff", ".xml")):
        return read_xliff(data)
    return read_csv(data)


def apply_translation(table: pd.DataFrame, draft_id: int, source: tuple[str, str]) -> Translation:
    """The translated subject and body for the draft's English text, with stale and untranslated units named."""
    languages = set(table["target_language"])
    if set(table["draft_id"].astype(str)) != {str(draft_id)} or len(languages) != 1 or "" in languages:
        raise TranslationProblem(f"This file holds strings of another draft or no target language; export the "
                                 f"strings of draft {draft_id} again.")
    given = {row.unit: row for row in table.itertuples()}
    expected = units(*source)
    unknown = sorted(set(given) - {unit for unit, _ in expected})
    if unknown:
        raise TranslationProblem(f"Units not in this draft: {', '.join(unknown)}. The English text changed "
                                 "since the export: export the strings again.")
    texts, stale, untranslated = {}, [], []
    for unit, text in expected:
        row = given.get(unit)
        if row is None or not row.target.strip():
            untranslated.append(unit)
            texts[unit] = text
            continue
        if row.source != text:
            stale.append(unit)
        texts[unit] = row.target
    pieces = _PARAGRAPH_BREAK.split(source[1])
    paragraphs = iter(texts[unit] for unit, _ in expected[1:])
    body = "".join(piece if i % 2 or not piece.strip() else next(paragraphs) for i, piece in enumerate(pieces))
    return Translation(languages.pop(), texts["subject"], body, stale, untranslated)


def strings_file(draft: workflow.DraftView, language: str, *, format: str = "csv") -> bytes:
    """The draft's English strings for a translator into `language`, as CSV or XLIFF ("xliff")."""
    english = draft.versions.get("en")
    if english is None:
        raise TranslationProblem("This draft has no English version to translate from.")
    current = draft.versions.get(language)
    table = translation_table(draft.id, (english.subject, english.body), language,
                              (current.subject, current.body) if current else None)
    return to_xliff(table) if format == "xliff" else to_csv(table)


def import_strings(engine: Engine, draft_id: int, data: bytes, filename: str, *, expected_version: int, actor: str,
                   role: str) -> tuple[Translation, int]:
    """Save a translator's file as the draft's version in its target language; (what was read, new draft version)."""
    draft = workflow.get_draft(engine, draft_id)
    english = draft.versions.get("en")
    if english is None:
        raise TranslationProblem("This draft has no English version to translate from.")
    translation = apply_translation(read_file(data, filename), draft_id, (english.subject, english.body))
    if translation.language.lower().startswith("en"):
        raise TranslationProblem("The file's target language is English: the English text is edited on Write.")
    version = workflow.save_revision(engine, draft_id, expected_version=expected_version, subject=translation.subject,
                                     body=translation.body, language=translation.language, actor=actor, role=role)
    return translation, version
