"""The words an audience knows: the shared glossary file, and each project's own terms kept as a setting.

A glossary row is (term, plain wording). A term with plain wording is flagged in a message with
that wording as the fix ("pairwise" → "side-by-side comparison"). A term with no plain wording is
one the project's taskers know: the checks never flag it ("IAA" for a team that uses it daily).
"""

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from core import admin
from core.db import session_scope
from core.errors import CrowdPulseError
from core.models import Setting

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GLOSSARY_FILE = PROJECT_ROOT / "data" / "glossary.csv"
IDIOMS_FILE = PROJECT_ROOT / "data" / "idioms.csv"
SETTING_PREFIX = "glossary:"


class GlossaryProblem(CrowdPulseError):
    """A glossary row that cannot be saved (empty term, a term twice)."""


@lru_cache(maxsize=4)
def _read_pairs(path: str) -> tuple[tuple[str, str], ...]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return tuple((row[0].strip(), row[1].strip() if len(row) > 1 else "") for row in rows[1:] if row and row[0].strip())


def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[tuple[str, str], ...]:
    """(term, plain replacement) pairs from the shared jargon glossary CSV."""
    return _read_pairs(str(path))


def load_idioms(path: Path = IDIOMS_FILE) -> tuple[tuple[str, str], ...]:
    """(phrase, plain wording) pairs of idioms and slang that do not travel."""
    return _read_pairs(str(path))


def setting_key(project_id: str) -> str:
    """The setting that holds one project's glossary."""
    return f"{SETTING_PREFIX}{project_id}"


def project_terms(engine: Engine, project_id: str | None) -> tuple[tuple[tuple[str, str], ...], int]:
    """A project's own (term, plain) rows and the setting's version (0 when it has none yet)."""
    if not project_id:
        return (), 0
    with session_scope(engine) as session:
        setting = session.get(Setting, setting_key(project_id))
        if setting is None or not isinstance(setting.value, dict):
            return (), 0
        rows = tuple((str(t), str(p or "")) for t, p in setting.value.get("terms", []))
        return rows, setting.version


def audience_glossary(engine: Engine | None, project_id: str | None) -> tuple[tuple[str, str], ...]:
    """The shared glossary with a project's own rows on top (a project's row replaces a shared one)."""
    shared = load_glossary()
    own = project_terms(engine, project_id)[0] if engine is not None else ()
    replaced = {term.lower() for term, _plain in own}
    return own + tuple(row for row in shared if row[0].lower() not in replaced)


def cleaned_terms(rows) -> list[list[str]]:
    """Rows from an editor as [term, plain] lists: blanks dropped, spaces trimmed; a term twice is refused."""
    out, seen = [], set()
    for term, plain in rows:
        term = " ".join(str(term or "").split())
        plain = " ".join(str(plain or "").split()) if plain is not None and str(plain) != "nan" else ""
        if not term:
            continue
        if term.lower() in seen:
            raise GlossaryProblem(f"'{term}' is in the glossary twice: keep one row for it.")
        seen.add(term.lower())
        out.append([term, plain])
    return out


def save_project_terms(engine: Engine, *, project_id: str, rows, expected_version: int, actor: str) -> int:
    """Replace a project's glossary (admins only, audited, refused if someone saved it meanwhile)."""
    return admin.update_setting(engine, key=setting_key(project_id), value={"terms": cleaned_terms(rows)},
                                expected_version=expected_version, actor=actor)


def with_term(rows, term: str, plain: str) -> list[list[str]]:
    """The rows with one term added, or its plain wording changed if it is there already."""
    kept = [[t, p] for t, p in rows if t.lower() != " ".join(term.split()).lower()]
    if not " ".join(term.split()):
        raise GlossaryProblem("Write the term to teach the checks, e.g. 'pairwise'.")
    return cleaned_terms(kept + [[term, plain]])


def without_term(rows, term: str) -> list[list[str]]:
    """The rows without one term."""
    return [[t, p] for t, p in rows if t != term]


KNOWN_TERM = "(taskers know it: never flagged)"


def terms_frame(rows) -> pd.DataFrame:
    """Glossary rows as a table: term, plain wording ('taskers know it' for a term without one)."""
    return pd.DataFrame([[t, p or KNOWN_TERM] for t, p in rows], columns=["term", "plain wording"])
